// Small text helpers netcheck's parsers share with the probe (which reaches
// them through probe/util/text_util.h).
#pragma once

#include <string>
#include <string_view>

namespace netcheck {

// The text without leading and trailing blanks: space, \t, \n, \v, \f and \r
// (what isspace() means in the C locale).
inline std::string_view trim(std::string_view s) {
  constexpr std::string_view kBlanks = " \t\n\v\f\r";
  const auto first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

// The text with ASCII letters in lower case (no locale).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Whether `needle` occurs in `haystack`, ASCII case ignored.
inline bool contains_nocase(std::string_view haystack, std::string_view needle) {
  return ascii_lower(haystack).find(ascii_lower(needle)) != std::string::npos;
}

}  // namespace netcheck
