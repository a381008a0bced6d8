#include "probe/gather/ssm_api.h"

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

}  // namespace
}  // namespace ssmreach
