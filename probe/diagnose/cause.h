// The causes a verdict can name, one table: each cause's id as the JSON and
// the boot lines write it ("tcp.timeout"), its layer, and its severity where
// that is fixed. Code compares Cause values; the ids are for the edges.
#pragma once

#include <optional>
#include <string_view>

#include "probe/diagnose/status.h"

namespace ssmreach {

// The layers of a target's path, in the contract's words.
enum class Layer { imds, dns, tcp, tls, http, proxy, auth };

// "imds", "dns", "tcp", "tls", "http", "proxy", "auth".
const char* to_string(Layer layer);

// Every cause; README.md "Causes" and docs/contract.md say what each means.
enum class Cause {
  imds_unreachable,
  imds_token_failed,
  imds_timeout,
  imds_throttled,
  imds_bad_answer,
  imds_ipv6_disabled,
  imds_no_ipv4_route,
  dns_nxdomain,
  dns_servfail,
  dns_timeout,
  dns_no_address,
  dns_public_answer,
  dns_custom_resolver_bypass,
  dns_hosts_override,
  dns_unreachable,
  dns_no_resolver,
  dns_error,
  dns_ipv4_only_answer,
  tcp_timeout,
  tcp_refused,
  tcp_unreachable,
  tcp_error,
  tcp_not_probed,
  tls_timeout,
  tls_protocol,
  tls_closed,
  tls_untrusted,
  tls_hostname_mismatch,
  tls_expired,
  tls_not_yet_valid,
  tls_verify_failed,
  tls_error,
  tls_not_probed,
  tls_trust_store,
  http_timeout,
  http_error,
  proxy_unreachable,
  proxy_connect_denied,
  proxy_auth_required,
  proxy_timeout,
  proxy_imds_not_excluded,
  auth_no_credentials,
  auth_expired_credentials,
  auth_access_denied,
  auth_endpoint_policy_deny,
  auth_clock_skew,
  auth_invalid_credentials,
  auth_throttled,
  auth_service_error,
  auth_unexpected_answer,
  auth_unchecked,
};

// The id: "layer.code", as in the JSON ("tcp.timeout").
const char* to_string(Cause cause);

// The cause whose id is `id`; nullopt for an id no cause has.
std::optional<Cause> cause_from_string(std::string_view id);

// The cause as a few words, lower case, no final period, for the text
// report's one-line summary; the headline and explanation say the rest.
const char* cause_title(Cause cause);

// The layer a cause belongs to, which is the target's failed layer.
Layer layer_of(Cause cause);

// The code after the layer: "timeout" of "tcp.timeout".
std::string_view code_of(Cause cause);

// The status a target gets for this cause, where the cause alone decides it
// (before an optional service is weighed down to a warning); nullopt where
// the evidence decides (one of several addresses, IMDSv1 still answering).
std::optional<Status> default_severity(Cause cause);

}  // namespace ssmreach
