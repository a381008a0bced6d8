#include "netcheck/cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

namespace netcheck {

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  unsigned bits = 0;
  for (char c : digits) bits = bits * 10 + static_cast<unsigned>(c - '0');
  const std::string_view address = text.substr(0, slash);
  if (address.empty() || address.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string input(address);  // inet_pton needs a NUL-terminated string
  Cidr cidr;
  if (::inet_pton(AF_INET, input.c_str(), cidr.bytes.data()) == 1) {
    cidr.length = 4;
  } else if (::inet_pton(AF_INET6, input.c_str(), cidr.bytes.data()) == 1) {
    cidr.length = 16;
  } else {
    return std::nullopt;
  }
  if (bits > cidr.length * 8) return std::nullopt;
  cidr.bits = bits;
  return cidr;
}

bool same_prefix(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                 unsigned bits) {
  std::size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i)
    if (a[i] != b[i]) return false;
  if (bits == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - bits));
  return (a[i] & mask) == (b[i] & mask);
}

}  // namespace netcheck
