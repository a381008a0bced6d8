#include "probe/diagnose/signed_call_cause.h"

#include <doctest/doctest.h>

#include <string>

namespace ssmreach {
namespace {

TEST_CASE("signed-call causes: every branch, with the words AWS uses") {
  struct Case {
    long status;
    const char* type;
    const char* message;
    const char* cause;
  };
  for (const auto& c : {
           Case{200, "", "", ""},
           Case{204, "AccessDeniedException", "", ""},
           Case{400, "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized to "
                "perform: ssm:ListInstanceAssociations on resource: "
                "arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc because no VPC endpoint "
                "policy allows the ssm:ListInstanceAssociations action",
                "auth.endpoint-policy-deny"},
           Case{400, "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized to "
                "perform: ssm:ListInstanceAssociations with an explicit deny in a VPC endpoint "
                "policy",
                "auth.endpoint-policy-deny"},
           Case{403, "AccessDenied", "denied by vpce-0a1b2c3d4e5f60718 policy",
                "auth.endpoint-policy-deny"},
           Case{400, "AccessDeniedException",
                "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized to "
                "perform: ssm:ListInstanceAssociations on resource: "
                "arn:aws:ec2:eu-central-1:123456789012:instance/i-0abc because no "
                "identity-based policy allows the ssm:ListInstanceAssociations action",
                "auth.access-denied"},
           Case{400, "InvalidSignatureException",
                "Signature expired: 20240301T000010Z is now earlier than 20240301T001510Z "
                "(20240301T002010Z - 5 min.)",
                "auth.clock-skew"},
           Case{400, "InvalidSignatureException",
                "Signature not yet current: 20240301T003010Z is still later than "
                "20240301T002510Z (20240301T002010Z + 5 min.)",
                "auth.clock-skew"},
           Case{403, "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                "auth.clock-skew"},
           Case{400, "", "Request time is too skewed", "auth.clock-skew"},
           Case{400, "ExpiredTokenException",
                "The security token included in the request is expired",
                "auth.expired-credentials"},
           Case{403, "", "The security token included in the request is expired",
                "auth.expired-credentials"},
           Case{400, "UnrecognizedClientException",
                "The security token included in the request is invalid.",
                "auth.invalid-credentials"},
           Case{403, "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                "auth.invalid-credentials"},
           Case{400, "IncompleteSignatureException",
                "Authorization header requires 'Signature' parameter.", "auth.invalid-credentials"},
           Case{400, "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                "Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.",
                "auth.invalid-credentials"},
           Case{400, "ThrottlingException", "Rate exceeded", "auth.throttled"},
           Case{500, "InternalServerError", "Internal Server Error", "auth.service-error"},
           Case{503, "", "503 Service Unavailable", "auth.service-error"},
           Case{403, "", "403 Forbidden", "auth.unexpected-answer"},
           Case{404, "UnknownOperationException", "", "auth.unexpected-answer"},
           Case{400, "InvalidInstanceId", "", "auth.unexpected-answer"},
       }) {
    INFO(c.status << " " << c.type << " " << c.message);
    const auto cause = signed_call_cause(c.status, AwsError{c.type, c.message});
    CHECK(std::string(cause ? to_string(*cause) : "") == c.cause);
  }
}

TEST_CASE("signed-call causes: from a raw AWS answer") {
  const auto error = parse_aws_error(
      R"({"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"})");
  CHECK(signed_call_cause(400, error) == Cause::auth_expired_credentials);
}

}  // namespace
}  // namespace ssmreach
