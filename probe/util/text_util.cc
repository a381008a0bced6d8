#include "probe/util/text_util.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace ssmreach {
namespace {

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

}  // namespace

std::string errno_text(int err) { return std::system_category().message(err); }

std::string seconds_text(double ms) { return format("%.1f s", ms / 1000.0); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string list_and(const std::vector<std::string>& items) {
  if (items.size() <= 1) return join(items, "");
  std::vector<std::string> head(items.begin(), items.end() - 1);
  return join(head, ", ") + " and " + items.back();
}

std::string count_of(std::size_t n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string capitalized(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The reason after the last "::" is the part a person can use.
std::string openssl_reason(const std::string& error) {
  const auto pos = error.rfind("::");
  if (pos != std::string::npos && pos + 2 < error.size()) return error.substr(pos + 2);
  return error;
}

std::string ip_port(const netcheck::IpAddress& ip, std::uint16_t port) {
  if (ip.family == netcheck::Family::v6) return "[" + ip.text + "]:" + std::to_string(port);
  return ip.text + ":" + std::to_string(port);
}

std::vector<std::string> ip_texts(const std::vector<netcheck::IpAddress>& ips) {
  std::vector<std::string> out;
  for (const auto& ip : ips) out.push_back(ip.text);
  return out;
}

// Pure calendar arithmetic, without the process clock or time zone.
std::optional<long long> parse_utc(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(text.c_str(), "%d-%u-%uT%u:%u:%u", &year, &month, &day, &hour, &minute,
                  &second) != 6) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (!date.ok()) return std::nullopt;
  const auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  return static_cast<long long>(days) * 86400 + hour * 3600LL + minute * 60LL + second;
}

std::string gap_text(long long seconds) {
  if (seconds < 0) seconds = -seconds;
  if (seconds >= 2LL * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2LL * 3600) return std::to_string(seconds / 3600) + " hours";
  const long long minutes = std::max(1LL, seconds / 60);
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

std::string gap_note(const std::string& a, const std::string& b, const char* words) {
  const auto first = parse_utc(a);
  const auto second = parse_utc(b);
  if (!first || !second) return "";
  return ", " + gap_text(*first - *second) + " " + words;
}

std::string clock_offset_words(double offset_s) {
  const double magnitude = offset_s < 0 ? -offset_s : offset_s;
  const char* direction = offset_s > 0 ? "behind" : "ahead";  // the other clock is later
  if (magnitude < 120) return std::to_string(std::llround(magnitude)) + " s " + direction;
  return gap_text(std::llround(magnitude)) + " " + direction;
}

}  // namespace ssmreach
