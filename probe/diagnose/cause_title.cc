#include "probe/diagnose/cause_title.h"

namespace ssmreach {

// A switch without default: the compiler names a cause left out.
const char* cause_title(Cause cause) {
  switch (cause) {
    case Cause::imds_unreachable:
      return "IMDS does not answer";
    case Cause::imds_token_failed:
      return "no IMDSv2 token";
    case Cause::imds_timeout:
      return "IMDS does not answer after the token";
    case Cause::imds_throttled:
      return "IMDS throttles the requests";
    case Cause::imds_bad_answer:
      return "an IMDS answer the agent cannot use";
    case Cause::dns_nxdomain:
      return "the name does not exist in DNS (NXDOMAIN)";
    case Cause::dns_servfail:
      return "the DNS server fails the lookup";
    case Cause::dns_timeout:
      return "the DNS server does not answer";
    case Cause::dns_no_address:
      return "DNS has no address for the name";
    case Cause::dns_public_answer:
      return "no interface endpoints and no NAT";
    case Cause::dns_custom_resolver_bypass:
      return "the custom DNS server bypasses the VPC's endpoints";
    case Cause::dns_hosts_override:
      return "/etc/hosts pins an address that does not work";
    case Cause::dns_unreachable:
      return "no route to the DNS server";
    case Cause::dns_no_resolver:
      return "no DNS server configured";
    case Cause::dns_error:
      return "the DNS lookup failed";
    case Cause::tcp_timeout:
      return "connections time out (dropped on the way)";
    case Cause::tcp_refused:
      return "connections refused";
    case Cause::tcp_unreachable:
      return "no route to the endpoint";
    case Cause::tcp_error:
      return "connections fail on this instance";
    case Cause::tcp_not_probed:
      return "not checked before the run ended";
    case Cause::tls_timeout:
      return "the TLS handshake times out";
    case Cause::tls_protocol:
      return "no TLS on the endpoint's port";
    case Cause::tls_closed:
      return "the connection closes during TLS";
    case Cause::tls_untrusted:
      return "an untrusted certificate issuer (TLS inspection)";
    case Cause::tls_hostname_mismatch:
      return "a certificate for another name";
    case Cause::tls_expired:
      return "an expired certificate";
    case Cause::tls_not_yet_valid:
      return "a certificate not valid yet";
    case Cause::tls_verify_failed:
      return "a certificate that fails verification";
    case Cause::tls_error:
      return "TLS fails on this instance";
    case Cause::tls_not_probed:
      return "TLS not checked before the run ended";
    case Cause::http_timeout:
      return "no HTTP answer after TLS";
    case Cause::http_error:
      return "the HTTPS request fails";
    case Cause::proxy_unreachable:
      return "the proxy cannot be reached";
    case Cause::proxy_connect_denied:
      return "the proxy refuses CONNECT";
    case Cause::proxy_auth_required:
      return "the proxy wants credentials";
    case Cause::proxy_timeout:
      return "the proxy does not answer in time";
    case Cause::proxy_imds_not_excluded:
      return "IMDS goes through the proxy (no_proxy)";
    case Cause::auth_no_credentials:
      return "no credentials (no instance profile)";
    case Cause::auth_expired_credentials:
      return "the credentials have expired";
    case Cause::auth_access_denied:
      return "the role may not call SSM";
    case Cause::auth_endpoint_policy_deny:
      return "the VPC endpoint policy denies SSM";
    case Cause::auth_clock_skew:
      return "this instance's clock is off";
    case Cause::auth_invalid_credentials:
      return "the credentials are rejected";
    case Cause::auth_throttled:
      return "SSM throttles the signed call";
    case Cause::auth_service_error:
      return "SSM answers with an error of its own";
    case Cause::auth_unexpected_answer:
      return "an unexpected answer to the signed call";
    case Cause::auth_unchecked:
      return "the credentials could not be checked";
  }
  return "a problem";
}

}  // namespace ssmreach
