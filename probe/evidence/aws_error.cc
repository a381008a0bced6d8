#include "probe/evidence/aws_error.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "netcheck/text.h"
#include "probe/util/json_depth.h"

namespace ssmreach {
namespace {

constexpr std::size_t kMaxMessage = 400;

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
  const std::string lower = netcheck::ascii_lower(body);
  const auto start = lower.find("<title>");
  if (start == std::string::npos) return std::nullopt;
  const auto end = lower.find("</title>", start);
  if (end == std::string::npos) return std::nullopt;
  return body.substr(start + 7, end - start - 7);
}

}  // namespace

AwsError parse_aws_error(const std::string& body) {
  if (auto error = json_error(body)) return *error;
  if (auto error = xml_error(body)) return *error;
  if (auto title = html_title(body)) return AwsError{"", tidy_message(*title)};
  return AwsError{"", tidy_message(body)};
}

}  // namespace ssmreach
