"""The ssm-reach lab: a simulated VPC inside a throw-away network namespace.

Modules:
  plan       the lab's addressing plan, region and instance metadata
  pki        the test PKI (lab CA, service leaves, broken leaves, inspection CA)
  netns      entering a fresh user+network+mount namespace and shaping it
  dns_peer   a scripted DNS responder (dnspython)
  dnsmasq    dnsmasq as a real resolver
  tls_peer   TCP peers on the endpoint ENIs: TLS (then HTTP as AWS answers
             it), plain HTTP, close, reset, silent
  ssm_api    a fake SSM API (ListInstanceAssociations) verifying SigV4
  squid      squid as the instance's proxy: allow, deny, auth
  imds_peer  a fake IMDSv2
  world      a whole world described by a small dict, started and stopped
  probe_run  running ssm-reach with a clean environment
  selftest   the peers proven with curl, without ssm-reach
"""
