// AWS Signature Version 4 (HMAC-SHA256 with OpenSSL): the signing the SSM
// agent's SDK does for every call.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssmreach {

// Credentials the instance authenticates with. Secret: held in memory for
// signing only, never written to evidence, reports or logs.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct SignableRequest {
  std::string method = "GET";
  std::string path = "/";  // already URI-encoded as it goes on the wire
  std::string query;       // raw query string without '?', may be empty
  HeaderList headers;      // every header to sign; must include "host"
  std::string body;
};

struct SigningScope {
  std::string region;    // "eu-central-1"
  std::string service;   // "ssm"
  std::string amz_date;  // "20150830T123600Z" (UTC)
};

// The steps of the algorithm, exposed for the AWS test-suite vectors.
std::string canonical_request(const SignableRequest& request);
std::string string_to_sign(const SignableRequest& request, const SigningScope& scope);
std::string authorization_header(const SignableRequest& request, const SigningScope& scope,
                                 const AwsCredentials& credentials);

// The headers to add to `request` to sign it: X-Amz-Date, X-Amz-Security-Token
// (with a session token; signed too) and Authorization.
HeaderList sign_request(const SignableRequest& request, const SigningScope& scope,
                        const AwsCredentials& credentials);

// "20150830T123600Z" for a UTC time.
std::string amz_date_from_unix(long long unix_seconds);

}  // namespace ssmreach
