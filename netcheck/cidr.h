// CIDR blocks ("10.0.0.0/16", "fd00:ec2::/64") as Go's net.ParseCIDR reads
// them, and prefix comparison of raw addresses.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace netcheck {

struct Cidr {
  std::array<unsigned char, 16> bytes{};  // the address in network order
  std::size_t length = 0;                 // 4 (IPv4) or 16 (IPv6), as written
  unsigned bits = 0;                      // the prefix length
};

// "address/bits": an IPv4 or IPv6 address (inet_pton's syntax, no NUL) and 1
// to 3 decimal digits up to the address size. The block keeps the family it
// is written in: "::ffff:10.0.0.0/104" is an IPv6 block (as in Go).
std::optional<Cidr> parse_cidr(std::string_view text);

// The first `bits` bits of both are equal.
bool same_prefix(const std::array<unsigned char, 16>& a, const std::array<unsigned char, 16>& b,
                 unsigned bits);

}  // namespace netcheck
