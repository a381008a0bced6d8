#include "probe/diagnose/signed_call_cause.h"

#include "netcheck/text.h"

namespace ssmreach {
namespace {

using netcheck::contains_nocase;

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.starts_with(prefix);
}

bool is_access_denied(const std::string& type) { return starts_with(type, "AccessDenied"); }

bool names_endpoint_policy(const std::string& message) {
  return contains_nocase(message, "VPC endpoint policy") || contains_nocase(message, "vpce");
}

bool says_clock_skew(const AwsError& error) {
  return error.type == "RequestTimeTooSkewed" ||
         contains_nocase(error.message, "Signature expired") ||
         contains_nocase(error.message, "Signature not yet current") ||
         contains_nocase(error.message, "too skewed");
}

bool says_expired_credentials(const AwsError& error) {
  return error.type == "ExpiredTokenException" || error.type == "ExpiredToken" ||
         contains_nocase(error.message, "security token included in the request is expired");
}

bool says_invalid_credentials(const std::string& type) {
  return type == "UnrecognizedClientException" || type == "InvalidClientTokenId" ||
         type == "IncompleteSignature" || type == "IncompleteSignatureException" ||
         type == "InvalidSignatureException" || type == "SignatureDoesNotMatch";
}

}  // namespace

std::optional<Cause> signed_call_cause(long http_status, const AwsError& error) {
  if (http_status >= 200 && http_status < 300) return std::nullopt;
  if (is_access_denied(error.type)) {
    return names_endpoint_policy(error.message) ? Cause::auth_endpoint_policy_deny
                                                : Cause::auth_access_denied;
  }
  if (says_clock_skew(error)) return Cause::auth_clock_skew;
  if (says_expired_credentials(error)) return Cause::auth_expired_credentials;
  if (says_invalid_credentials(error.type)) return Cause::auth_invalid_credentials;
  if (starts_with(error.type, "Throttling")) return Cause::auth_throttled;
  if (http_status >= 500 && http_status < 600) return Cause::auth_service_error;
  return Cause::auth_unexpected_answer;
}

}  // namespace ssmreach
