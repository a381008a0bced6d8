#include "probe/ssm_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "probe/util/json_depth.h"

namespace ssmreach {
namespace {

constexpr std::size_t kMaxMessage = 400;

std::string lower_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

bool contains_nocase(std::string_view haystack, std::string_view needle) {
  return lower_case(haystack).find(lower_case(needle)) != std::string::npos;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Control characters and runs of blanks become one space, ends trimmed; then
// at most kMaxMessage bytes, not cutting a UTF-8 character in two.
std::string tidy_message(std::string_view text) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : text) {
    if (c <= ' ' || c == 0x7f) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += static_cast<char>(c);
  }
  if (out.size() > kMaxMessage) {
    std::size_t cut = kMaxMessage;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

// "com.amazon.coral.service#UnrecognizedClientException" and
// "AccessDeniedException:http://internal.amazon.com/..." (x-amzn-ErrorType
// form) are both "...Exception".
std::string bare_type(std::string type) {
  if (const auto hash = type.rfind('#'); hash != std::string::npos) type.erase(0, hash + 1);
  if (const auto colon = type.find(':'); colon != std::string::npos) type.resize(colon);
  return tidy_message(type);
}

std::optional<AwsError> json_error(const std::string& body) {
  // ordered_json and string_view iterators, as every JSON reader here: one
  // parser instantiation in the binary (the release's size budget).
  const std::string_view body_text = body;
  if (json_nested_too_deeply(body_text)) return std::nullopt;
  const auto json = nlohmann::ordered_json::parse(body_text.begin(), body_text.end(), nullptr,
                                                  /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  const auto text = [&](std::initializer_list<const char*> keys) -> std::string {
    for (const char* key : keys) {
      const auto it = json.find(key);
      if (it != json.end() && it->is_string()) return it->get<std::string>();
    }
    return "";
  };
  return AwsError{bare_type(text({"__type", "code", "Code"})),
                  tidy_message(text({"message", "Message"}))};
}

// The text between the first <tag> and its </tag>, or nullopt. Element
// names are matched as written: AWS's XML is consistent about case.
std::optional<std::string> element_text(const std::string& body, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto start = body.find(open);
  if (start == std::string::npos) return std::nullopt;
  const auto end = body.find(close, start + open.size());
  if (end == std::string::npos) return std::nullopt;
  return body.substr(start + open.size(), end - start - open.size());
}

// The five predefined XML entities; AWS escapes quotes in its messages.
std::string unescape_xml(std::string text) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, character] : kEntities) {
    const std::string_view from = entity;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
      text.replace(at, from.size(), character);
    }
  }
  return text;
}

std::optional<AwsError> xml_error(const std::string& body) {
  const auto code = element_text(body, "Code");
  const auto message = element_text(body, "Message");
  if (!code && !message) return std::nullopt;
  return AwsError{bare_type(unescape_xml(code.value_or(""))),
                  tidy_message(unescape_xml(message.value_or("")))};
}

// An HTML page (a proxy's or a firewall's block page): its title says most.
std::optional<std::string> html_title(const std::string& body) {
  const std::string lower = lower_case(body);
  const auto start = lower.find("<title>");
  if (start == std::string::npos) return std::nullopt;
  const auto end = lower.find("</title>", start);
  if (end == std::string::npos) return std::nullopt;
  return body.substr(start + 7, end - start - 7);
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

std::string https_host_header(const std::string& host, std::uint16_t port) {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == 443 ? name : name + ":" + std::to_string(port);
}

netcheck::HttpRequest list_instance_associations_request(
    const std::string& host, std::uint16_t port, const std::string& region,
    const std::string& instance_id, const AwsCredentials& credentials, long long unix_now,
    netcheck::Duration timeout) {
  SignableRequest signable;
  signable.method = "POST";
  signable.path = "/";
  signable.body = nlohmann::ordered_json{{"InstanceId", instance_id}, {"MaxResults", 1}}.dump();
  signable.headers = {
      {"Host", https_host_header(host, port)},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", "AmazonSSM.ListInstanceAssociations"},
  };
  const SigningScope scope{region, "ssm", amz_date_from_unix(unix_now)};

  netcheck::HttpRequest request;
  request.method = signable.method;
  request.url = "https://" + https_host_header(host, port) + "/";
  request.body = signable.body;
  request.timeout = timeout;
  for (const auto& [name, value] : signable.headers) {
    if (name != "Host") request.headers.push_back(name + ": " + value);
  }
  for (const auto& [name, value] : sign_request(signable, scope, credentials)) {
    request.headers.push_back(name + ": " + value);
  }
  return request;
}

AwsError parse_aws_error(const std::string& body) {
  if (auto error = json_error(body)) return *error;
  if (auto error = xml_error(body)) return *error;
  if (auto title = html_title(body)) return AwsError{"", tidy_message(*title)};
  return AwsError{"", tidy_message(body)};
}

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
