#include "probe/diagnose/cause.h"

#include <string>

namespace ssmreach {
namespace {

struct CauseRow {
  Cause cause = Cause::tcp_error;
  const char* id = "";
  Layer layer = Layer::tcp;
  std::optional<Status> severity;
  // A few words, lower case, no final period: the text report's one-line
  // summary ("3 of 3 services blocked: no interface endpoints and no NAT").
  const char* title = "";
};

constexpr auto kCritical = Status::critical;
constexpr auto kWarning = Status::warning;
constexpr std::optional<Status> kDepends = std::nullopt;

// One row per cause, in the order of the enum.
constexpr CauseRow kCauses[] = {
    {Cause::imds_unreachable, "imds.unreachable", Layer::imds, kCritical, "IMDS does not answer"},
    {Cause::imds_token_failed, "imds.token-failed", Layer::imds, kDepends, "no IMDSv2 token"},
    {Cause::imds_timeout, "imds.timeout", Layer::imds, kDepends,
     "IMDS does not answer after the token"},
    {Cause::imds_throttled, "imds.throttled", Layer::imds, kWarning, "IMDS throttles the requests"},
    {Cause::imds_bad_answer, "imds.bad-answer", Layer::imds, kCritical,
     "an IMDS answer the agent cannot use"},
    // IPv6: the endpoint [fd00:ec2::254] off; the IPv4 one without an IPv4 route.
    {Cause::imds_ipv6_disabled, "imds.ipv6-disabled", Layer::imds, kCritical,
     "IMDS's IPv6 endpoint is not enabled"},
    {Cause::imds_no_ipv4_route, "imds.no-ipv4-route", Layer::imds, kCritical,
     "no IPv4 route to IMDS on an IPv6-only instance"},
    {Cause::dns_nxdomain, "dns.nxdomain", Layer::dns, kCritical,
     "the name does not exist in DNS (NXDOMAIN)"},
    {Cause::dns_servfail, "dns.servfail", Layer::dns, kCritical, "the DNS server fails the lookup"},
    {Cause::dns_timeout, "dns.timeout", Layer::dns, kCritical, "the DNS server does not answer"},
    {Cause::dns_no_address, "dns.no-address", Layer::dns, kCritical,
     "DNS has no address for the name"},
    {Cause::dns_public_answer, "dns.public-answer", Layer::dns, kCritical,
     "no interface endpoints and no NAT"},
    {Cause::dns_custom_resolver_bypass, "dns.custom-resolver-bypass", Layer::dns, kCritical,
     "the custom DNS server bypasses the VPC's endpoints"},
    {Cause::dns_hosts_override, "dns.hosts-override", Layer::dns, kCritical,
     "/etc/hosts pins an address that does not work"},
    {Cause::dns_unreachable, "dns.unreachable", Layer::dns, kCritical,
     "no route to the DNS server"},
    {Cause::dns_no_resolver, "dns.no-resolver", Layer::dns, kCritical, "no DNS server configured"},
    {Cause::dns_error, "dns.error", Layer::dns, kCritical, "the DNS lookup failed"},
    // Only A records, on an instance that reaches only IPv6.
    {Cause::dns_ipv4_only_answer, "dns.ipv4-only-answer", Layer::dns, kCritical,
     "IPv4-only endpoint names on an IPv6-only instance"},
    {Cause::tcp_timeout, "tcp.timeout", Layer::tcp, kDepends,
     "connections time out (dropped on the way)"},
    {Cause::tcp_refused, "tcp.refused", Layer::tcp, kDepends, "connections refused"},
    {Cause::tcp_unreachable, "tcp.unreachable", Layer::tcp, kDepends, "no route to the endpoint"},
    {Cause::tcp_error, "tcp.error", Layer::tcp, kDepends, "connections fail on this instance"},
    {Cause::tcp_not_probed, "tcp.not-probed", Layer::tcp, kDepends,
     "not checked before the run ended"},
    {Cause::tls_timeout, "tls.timeout", Layer::tls, kDepends, "the TLS handshake times out"},
    {Cause::tls_protocol, "tls.protocol", Layer::tls, kDepends, "no TLS on the endpoint's port"},
    {Cause::tls_closed, "tls.closed", Layer::tls, kDepends, "the connection closes during TLS"},
    {Cause::tls_untrusted, "tls.untrusted", Layer::tls, kDepends,
     "an untrusted certificate issuer (TLS inspection)"},
    {Cause::tls_hostname_mismatch, "tls.hostname-mismatch", Layer::tls, kDepends,
     "a certificate for another name"},
    {Cause::tls_expired, "tls.expired", Layer::tls, kDepends, "an expired certificate"},
    {Cause::tls_not_yet_valid, "tls.not-yet-valid", Layer::tls, kDepends,
     "a certificate not valid yet"},
    {Cause::tls_verify_failed, "tls.verify-failed", Layer::tls, kDepends,
     "a certificate that fails verification"},
    {Cause::tls_error, "tls.error", Layer::tls, kDepends, "TLS fails on this instance"},
    {Cause::tls_not_probed, "tls.not-probed", Layer::tls, kDepends,
     "TLS not checked before the run ended"},
    // Not a finding about the path: TLS and what follows were skipped (the
    // contract's target statuses have no "unknown"; the run is unknown).
    {Cause::tls_trust_store, "tls.trust-store", Layer::tls, Status::skipped,
     "no usable CA trust store on this instance"},
    {Cause::http_timeout, "http.timeout", Layer::http, kDepends, "no HTTP answer after TLS"},
    {Cause::http_error, "http.error", Layer::http, kDepends, "the HTTPS request fails"},
    {Cause::proxy_unreachable, "proxy.unreachable", Layer::proxy, kCritical,
     "the proxy cannot be reached"},
    {Cause::proxy_connect_denied, "proxy.connect-denied", Layer::proxy, kCritical,
     "the proxy refuses CONNECT"},
    {Cause::proxy_auth_required, "proxy.auth-required", Layer::proxy, kCritical,
     "the proxy wants credentials"},
    {Cause::proxy_timeout, "proxy.timeout", Layer::proxy, kCritical,
     "the proxy does not answer in time"},
    {Cause::proxy_imds_not_excluded, "proxy.imds-not-excluded", Layer::proxy, kCritical,
     "IMDS goes through the proxy (no_proxy)"},
    {Cause::auth_no_credentials, "auth.no-credentials", Layer::auth, kCritical,
     "no credentials (no instance profile)"},
    {Cause::auth_expired_credentials, "auth.expired-credentials", Layer::auth, kCritical,
     "the credentials have expired"},
    {Cause::auth_access_denied, "auth.access-denied", Layer::auth, kCritical,
     "the role may not call SSM"},
    {Cause::auth_endpoint_policy_deny, "auth.endpoint-policy-deny", Layer::auth, kCritical,
     "the VPC endpoint policy denies SSM"},
    {Cause::auth_clock_skew, "auth.clock-skew", Layer::auth, kCritical,
     "this instance's clock is off"},
    {Cause::auth_invalid_credentials, "auth.invalid-credentials", Layer::auth, kCritical,
     "the credentials are rejected"},
    // Answers that say nothing certain about this instance.
    {Cause::auth_throttled, "auth.throttled", Layer::auth, kWarning,
     "SSM throttles the signed call"},
    {Cause::auth_service_error, "auth.service-error", Layer::auth, kWarning,
     "SSM answers with an error of its own"},
    {Cause::auth_unexpected_answer, "auth.unexpected-answer", Layer::auth, kWarning,
     "an unexpected answer to the signed call"},
    {Cause::auth_unchecked, "auth.unchecked", Layer::auth, kWarning,
     "the credentials could not be checked"},
};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kCauses); ++i)
    if (static_cast<std::size_t>(kCauses[i].cause) != i) return false;
  return std::size(kCauses) == static_cast<std::size_t>(Cause::auth_unchecked) + 1;
}
static_assert(table_in_enum_order(), "kCauses must list every Cause once, in enum order");

// The id's layer prefix is the row's layer.
constexpr bool ids_match_layers() {
  const char* const layers[] = {"imds", "dns", "tcp", "tls", "http", "proxy", "auth"};
  for (const auto& row : kCauses) {
    const std::string_view id = row.id;
    const std::string_view layer = layers[static_cast<std::size_t>(row.layer)];
    if (!id.starts_with(layer) || id.size() <= layer.size() || id[layer.size()] != '.')
      return false;
  }
  return true;
}
static_assert(ids_match_layers(), "a cause's id must start with its layer");

constexpr bool every_cause_has_a_title() {
  for (const auto& row : kCauses)
    if (row.title == nullptr || row.title[0] == '\0') return false;
  return true;
}
static_assert(every_cause_has_a_title(), "every cause needs its few words");

const CauseRow& row(Cause cause) { return kCauses[static_cast<std::size_t>(cause)]; }

}  // namespace

const char* cause_title(Cause cause) { return row(cause).title; }

const char* to_string(Layer layer) {
  switch (layer) {
    case Layer::imds:
      return "imds";
    case Layer::dns:
      return "dns";
    case Layer::tcp:
      return "tcp";
    case Layer::tls:
      return "tls";
    case Layer::http:
      return "http";
    case Layer::proxy:
      return "proxy";
    case Layer::auth:
      return "auth";
  }
  return "unknown";
}

const char* to_string(Cause cause) { return row(cause).id; }

std::optional<Cause> cause_from_string(std::string_view id) {
  for (const auto& r : kCauses)
    if (id == r.id) return r.cause;
  return std::nullopt;
}

Layer layer_of(Cause cause) { return row(cause).layer; }

std::string_view code_of(Cause cause) {
  const std::string_view id = row(cause).id;
  return id.substr(id.find('.') + 1);
}

std::optional<Status> default_severity(Cause cause) { return row(cause).severity; }

}  // namespace ssmreach
