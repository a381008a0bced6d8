// Small text helpers netcheck's parsers share with the probe (which reaches
// them through probe/text_util.h).
#pragma once

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

}  // namespace netcheck
