#include "probe/ssm_api.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <map>

namespace ssmreach {
namespace {

const AwsCredentials kCredentials{"ASIAEXAMPLEEXAMPLE00",
                                  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                  "IQoJb3JpZ2luX2VjEXAMPLE//token+with/odd=chars"};
constexpr long long kNow = 1709251210;  // 2024-03-01T00:00:10Z

// Independent of probe/sigv4.cc: the documented steps, spelled out.
std::string hex(const unsigned char* bytes, std::size_t size) {
  std::string out;
  char two[3];
  for (std::size_t i = 0; i < size; ++i) {
    std::snprintf(two, sizeof two, "%02x", bytes[i]);
    out += two;
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) == 1);
  return hex(digest.data(), size);
}

std::string hmac(const std::string& key, const std::string& data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
               reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
               &size) != nullptr);
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string expected_authorization(const std::string& host_header, const std::string& body,
                                   const std::string& region) {
  const std::string canonical =
      "POST\n/\n\n"
      "content-type:application/x-amz-json-1.1\n"
      "host:" +
      host_header +
      "\n"
      "x-amz-date:20240301T000010Z\n"
      "x-amz-security-token:" +
      kCredentials.session_token +
      "\n"
      "x-amz-target:AmazonSSM.ListInstanceAssociations\n"
      "\n"
      "content-type;host;x-amz-date;x-amz-security-token;x-amz-target\n" +
      sha256_hex(body);
  const std::string scope = "20240301/" + region + "/ssm/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n20240301T000010Z\n" + scope + "\n" + sha256_hex(canonical);
  const std::string key =
      hmac(hmac(hmac(hmac("AWS4" + kCredentials.secret_access_key, "20240301"), region), "ssm"),
           "aws4_request");
  const std::string signature = hmac(key, to_sign);
  return "AWS4-HMAC-SHA256 Credential=" + kCredentials.access_key_id + "/" + scope +
         ", SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
         ", Signature=" +
         hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

// "Name: value" lines by name; every name must be there once.
std::map<std::string, std::string> header_map(const std::vector<std::string>& lines) {
  std::map<std::string, std::string> out;
  for (const auto& line : lines) {
    const auto colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    CHECK(out.emplace(line.substr(0, colon), line.substr(colon + 2)).second);
  }
  return out;
}

TEST_CASE("SSM API: ListInstanceAssociations is a signed AWS JSON 1.1 POST") {
  const auto request = list_instance_associations_request(
      "ssm.eu-central-1.amazonaws.com", 443, "eu-central-1", "i-0123456789abcdef0", kCredentials,
      kNow, std::chrono::seconds(3));
  CHECK(request.method == "POST");
  CHECK(request.url == "https://ssm.eu-central-1.amazonaws.com/");
  CHECK(request.body == R"({"InstanceId":"i-0123456789abcdef0","MaxResults":1})");
  CHECK(request.timeout == std::chrono::seconds(3));
  const auto headers = header_map(request.headers);
  CHECK(headers.count("Host") == 0);  // libcurl's own, from the URL
  CHECK(headers.at("Content-Type") == "application/x-amz-json-1.1");
  CHECK(headers.at("X-Amz-Target") == "AmazonSSM.ListInstanceAssociations");
  CHECK(headers.at("X-Amz-Date") == "20240301T000010Z");
  CHECK(headers.at("X-Amz-Security-Token") == kCredentials.session_token);
  CHECK(headers.at("Authorization") ==
        expected_authorization("ssm.eu-central-1.amazonaws.com", request.body, "eu-central-1"));
}

TEST_CASE("SSM API: a port other than 443 is in the URL and in the signed host") {
  const std::string host = "vpce-0a1b2c3d4e5f60718-abcdefgh.ssm.us-east-1.vpce.amazonaws.com";
  const auto request =
      list_instance_associations_request(host, 8443, "us-east-1", "i-0abc", kCredentials, kNow, {});
  CHECK(request.url == "https://" + host + ":8443/");
  CHECK(header_map(request.headers).at("Authorization") ==
        expected_authorization(host + ":8443", request.body, "us-east-1"));
}

TEST_CASE("SSM API: the Host libcurl sends") {
  CHECK(https_host_header("ssm.eu-west-1.amazonaws.com", 443) == "ssm.eu-west-1.amazonaws.com");
  CHECK(https_host_header("127.0.0.1", 8443) == "127.0.0.1:8443");
  CHECK(https_host_header("fd00::1", 443) == "[fd00::1]");
  CHECK(https_host_header("fd00::1", 8443) == "[fd00::1]:8443");
}

TEST_CASE("SSM API: long-term keys send no token, and the secret is never in the request") {
  AwsCredentials keys = kCredentials;
  keys.session_token.clear();
  const auto request = list_instance_associations_request("ssm.eu-west-1.amazonaws.com", 443,
                                                          "eu-west-1", "i-0abc", keys, kNow, {});
  const auto headers = header_map(request.headers);
  CHECK(headers.count("X-Amz-Security-Token") == 0);
  CHECK(headers.at("Authorization")
            .find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,") != std::string::npos);
  for (const auto& line : request.headers) {
    CHECK(line.find(keys.secret_access_key) == std::string::npos);
  }
  CHECK(request.url.find(keys.secret_access_key) == std::string::npos);
  CHECK(request.body.find(keys.secret_access_key) == std::string::npos);
}

TEST_CASE("AWS errors: JSON protocol, namespaces dropped, either message spelling") {
  auto e = parse_aws_error(
      R"({"__type":"com.amazon.coral.service#AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized"})");
  CHECK(e.type == "AccessDeniedException");
  CHECK(e.message == "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized");

  e = parse_aws_error(
      R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})");
  CHECK(e.type == "UnrecognizedClientException");
  CHECK(e.message == "The security token included in the request is invalid.");

  e = parse_aws_error(R"({"__type":"ThrottlingException:http://internal.amazon.com/coral/"})");
  CHECK(e.type == "ThrottlingException");
  CHECK(e.message.empty());
}

TEST_CASE("AWS errors: XML, HTML, empty and junk answers give what they can") {
  auto e = parse_aws_error(
      "<ErrorResponse "
      "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
      "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
      "invalid.</Message></Error><RequestId>4a6b8c</RequestId></ErrorResponse>");
  CHECK(e.type == "InvalidClientTokenId");
  CHECK(e.message == "The security token included in the request is invalid.");

  e = parse_aws_error(
      "<?xml version=\"1.0\"?><Error><Code>RequestTimeTooSkewed</Code><Message>The difference "
      "between the request time and the current time is too large.</Message></Error>");
  CHECK(e.type == "RequestTimeTooSkewed");

  e = parse_aws_error("<Error><Message>Don&apos;t &amp; &lt;stop&gt;</Message></Error>");
  CHECK(e.type.empty());
  CHECK(e.message == "Don't & <stop>");

  e = parse_aws_error(
      "<html><head><TITLE>403 Forbidden</TITLE></head>\n<body>Access denied by policy "
      "</body></html>");
  CHECK(e.type.empty());
  CHECK(e.message == "403 Forbidden");

  e = parse_aws_error("");
  CHECK(e.type.empty());
  CHECK(e.message.empty());

  e = parse_aws_error("upstream connect error or\r\n disconnect/reset before headers");
  CHECK(e.message == "upstream connect error or disconnect/reset before headers");

  e = parse_aws_error("{\"__type\": 42, \"message\": [\"not\", \"text\"]}");
  CHECK(e.type.empty());
  CHECK(e.message.empty());
}

TEST_CASE("AWS errors: messages are cut to 400 bytes, never inside a character") {
  const std::string long_text(600, 'x');
  CHECK(parse_aws_error(R"({"message":")" + long_text + R"("})").message.size() == 400);
  // "ü" is two bytes: 399 x's and one ü would end at byte 401.
  const std::string accented = std::string(399, 'x') + "\xc3\xbc" + "tail";
  const auto message = parse_aws_error(R"({"message":")" + accented + R"("})").message;
  CHECK(message == std::string(399, 'x'));
}

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
