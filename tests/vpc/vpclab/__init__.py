"""The mini VPC: ssm-reach's lab peers (tests/lab/ssmlab) spread over real
network namespaces joined by veth pairs, with a router, NAT, security
groups and network ACLs. See world.py for the API and the addressing.

Modules:
  isolation  the runner's private mount namespace; entering a netns
  world      VpcWorld: the namespaces, links, routes, firewall and peers
  scenario   loading tests/vpc/scenarios/*.toml and checking a report
"""
