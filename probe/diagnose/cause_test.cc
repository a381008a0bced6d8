#include "probe/diagnose/cause.h"

#include <doctest/doctest.h>

#include <string>

using namespace ssmreach;

TEST_CASE("cause ids: every cause round-trips through its id") {
  for (int i = 0; i <= static_cast<int>(Cause::auth_unchecked); ++i) {
    const auto cause = static_cast<Cause>(i);
    const std::string id = to_string(cause);
    CAPTURE(id);
    CHECK(cause_from_string(id) == cause);
    CHECK(id == std::string(to_string(layer_of(cause))) + "." + std::string(code_of(cause)));
  }
  CHECK_FALSE(cause_from_string("tcp.nonsense").has_value());
  CHECK_FALSE(cause_from_string("").has_value());
}

TEST_CASE("cause ids: the contract's words") {
  CHECK(std::string(to_string(Cause::tcp_timeout)) == "tcp.timeout");
  CHECK(std::string(to_string(Cause::dns_custom_resolver_bypass)) == "dns.custom-resolver-bypass");
  CHECK(std::string(to_string(Cause::auth_endpoint_policy_deny)) == "auth.endpoint-policy-deny");
  CHECK(layer_of(Cause::proxy_imds_not_excluded) == Layer::proxy);
  CHECK(code_of(Cause::tls_not_yet_valid) == "not-yet-valid");
}

TEST_CASE("cause severities: fixed where the cause alone decides") {
  CHECK(default_severity(Cause::auth_access_denied) == Status::critical);
  CHECK(default_severity(Cause::auth_throttled) == Status::warning);
  CHECK(default_severity(Cause::auth_unchecked) == Status::warning);
  CHECK_FALSE(default_severity(Cause::tcp_timeout).has_value());
}
