#include "probe/cause.h"

#include <string>

namespace ssmreach {
namespace {

struct CauseRow {
  Cause cause = Cause::tcp_error;
  const char* id = "";
  Layer layer = Layer::tcp;
  std::optional<Status> severity;
};

constexpr auto kCritical = Status::critical;
constexpr auto kWarning = Status::warning;
constexpr std::optional<Status> kDepends = std::nullopt;

// One row per cause, in the order of the enum.
constexpr CauseRow kCauses[] = {
    {Cause::imds_unreachable, "imds.unreachable", Layer::imds, kCritical},
    {Cause::imds_token_failed, "imds.token-failed", Layer::imds, kDepends},
    {Cause::imds_timeout, "imds.timeout", Layer::imds, kDepends},
    {Cause::imds_throttled, "imds.throttled", Layer::imds, kWarning},
    {Cause::imds_bad_answer, "imds.bad-answer", Layer::imds, kCritical},
    {Cause::dns_nxdomain, "dns.nxdomain", Layer::dns, kCritical},
    {Cause::dns_servfail, "dns.servfail", Layer::dns, kCritical},
    {Cause::dns_timeout, "dns.timeout", Layer::dns, kCritical},
    {Cause::dns_no_address, "dns.no-address", Layer::dns, kCritical},
    {Cause::dns_public_answer, "dns.public-answer", Layer::dns, kCritical},
    {Cause::dns_custom_resolver_bypass, "dns.custom-resolver-bypass", Layer::dns, kCritical},
    {Cause::dns_hosts_override, "dns.hosts-override", Layer::dns, kCritical},
    {Cause::dns_unreachable, "dns.unreachable", Layer::dns, kCritical},
    {Cause::dns_no_resolver, "dns.no-resolver", Layer::dns, kCritical},
    {Cause::dns_error, "dns.error", Layer::dns, kCritical},
    {Cause::tcp_timeout, "tcp.timeout", Layer::tcp, kDepends},
    {Cause::tcp_refused, "tcp.refused", Layer::tcp, kDepends},
    {Cause::tcp_unreachable, "tcp.unreachable", Layer::tcp, kDepends},
    {Cause::tcp_error, "tcp.error", Layer::tcp, kDepends},
    {Cause::tcp_not_probed, "tcp.not-probed", Layer::tcp, kDepends},
    {Cause::tls_timeout, "tls.timeout", Layer::tls, kDepends},
    {Cause::tls_protocol, "tls.protocol", Layer::tls, kDepends},
    {Cause::tls_closed, "tls.closed", Layer::tls, kDepends},
    {Cause::tls_untrusted, "tls.untrusted", Layer::tls, kDepends},
    {Cause::tls_hostname_mismatch, "tls.hostname-mismatch", Layer::tls, kDepends},
    {Cause::tls_expired, "tls.expired", Layer::tls, kDepends},
    {Cause::tls_not_yet_valid, "tls.not-yet-valid", Layer::tls, kDepends},
    {Cause::tls_verify_failed, "tls.verify-failed", Layer::tls, kDepends},
    {Cause::tls_error, "tls.error", Layer::tls, kDepends},
    {Cause::tls_not_probed, "tls.not-probed", Layer::tls, kDepends},
    // Not a finding about the path: TLS and what follows were skipped (the
    // contract's target statuses have no "unknown"; the run is unknown).
    {Cause::tls_trust_store, "tls.trust-store", Layer::tls, Status::skipped},
    {Cause::http_timeout, "http.timeout", Layer::http, kDepends},
    {Cause::http_error, "http.error", Layer::http, kDepends},
    {Cause::proxy_unreachable, "proxy.unreachable", Layer::proxy, kCritical},
    {Cause::proxy_connect_denied, "proxy.connect-denied", Layer::proxy, kCritical},
    {Cause::proxy_auth_required, "proxy.auth-required", Layer::proxy, kCritical},
    {Cause::proxy_timeout, "proxy.timeout", Layer::proxy, kCritical},
    {Cause::proxy_imds_not_excluded, "proxy.imds-not-excluded", Layer::proxy, kCritical},
    {Cause::auth_no_credentials, "auth.no-credentials", Layer::auth, kCritical},
    {Cause::auth_expired_credentials, "auth.expired-credentials", Layer::auth, kCritical},
    {Cause::auth_access_denied, "auth.access-denied", Layer::auth, kCritical},
    {Cause::auth_endpoint_policy_deny, "auth.endpoint-policy-deny", Layer::auth, kCritical},
    {Cause::auth_clock_skew, "auth.clock-skew", Layer::auth, kCritical},
    {Cause::auth_invalid_credentials, "auth.invalid-credentials", Layer::auth, kCritical},
    // Answers that say nothing certain about this instance.
    {Cause::auth_throttled, "auth.throttled", Layer::auth, kWarning},
    {Cause::auth_service_error, "auth.service-error", Layer::auth, kWarning},
    {Cause::auth_unexpected_answer, "auth.unexpected-answer", Layer::auth, kWarning},
    {Cause::auth_unchecked, "auth.unchecked", Layer::auth, kWarning},
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

const CauseRow& row(Cause cause) { return kCauses[static_cast<std::size_t>(cause)]; }

}  // namespace

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
