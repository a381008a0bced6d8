#include "probe/address_class.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ssmreach {
namespace {

// An address as raw bytes in network order: 4 for IPv4, 16 for IPv6.
struct RawAddress {
  int family = AF_INET;
  std::array<std::uint8_t, 16> bytes{};
  int bits() const { return family == AF_INET ? 32 : 128; }
};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::optional<RawAddress> parse_raw(std::string_view text) {
  // inet_pton needs a NUL-terminated string.
  const std::string owned(trim(text));
  RawAddress raw;
  if (inet_pton(AF_INET, owned.c_str(), raw.bytes.data()) == 1) {
    raw.family = AF_INET;
    return raw;
  }
  if (inet_pton(AF_INET6, owned.c_str(), raw.bytes.data()) == 1) {
    raw.family = AF_INET6;
    return raw;
  }
  return std::nullopt;
}

struct Network {
  RawAddress base;
  int prefix = 0;
};

std::optional<Network> parse_cidr(std::string_view text) {
  text = trim(text);
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto base = parse_raw(text.substr(0, slash));
  if (!base) return std::nullopt;
  const std::string_view digits = text.substr(slash + 1);
  int prefix = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  if (prefix < 0 || prefix > base->bits()) return std::nullopt;
  return Network{*base, prefix};
}

bool contains(const Network& network, const RawAddress& address) {
  if (network.base.family != address.family) return false;
  int remaining = network.prefix;
  for (std::size_t i = 0; remaining > 0; ++i, remaining -= 8) {
    const int take = std::min(remaining, 8);
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - take));
    if ((network.base.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

bool in(std::string_view cidr, const RawAddress& address) {
  const auto network = parse_cidr(cidr);
  return network && contains(*network, address);
}

}  // namespace

std::string classify_address(const netcheck::IpAddress& ip,
                             const std::vector<std::string>& vpc_cidrs) {
  const auto address = parse_raw(ip.text);
  if (!address) return "unknown";

  if (in("127.0.0.0/8", *address) || in("::1/128", *address)) return "loopback";
  if (in("169.254.0.0/16", *address) || in("fe80::/10", *address)) return "link-local";
  for (const auto& cidr : vpc_cidrs) {
    if (in(cidr, *address)) return "vpc";
  }
  for (const char* cidr : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  // RFC 1918
                           "100.64.0.0/10",                                  // RFC 6598
                           "fc00::/7"}) {                                    // ULA
    if (in(cidr, *address)) return "private";
  }
  return "public";
}

std::vector<std::string> vpc_cidrs_from_facts(const std::map<std::string, std::string>& facts) {
  static constexpr std::string_view kPrefix = "meta-data/network/interfaces/macs/";
  std::vector<std::string> cidrs;
  for (const auto& [key, value] : facts) {
    const std::string_view path = key;
    if (!path.starts_with(kPrefix)) continue;
    if (!path.ends_with("/vpc-ipv4-cidr-blocks") && !path.ends_with("/vpc-ipv6-cidr-blocks")) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto newline = rest.find('\n');
      const std::string_view line = trim(rest.substr(0, newline));
      rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
      if (line.empty()) continue;
      if (std::find(cidrs.begin(), cidrs.end(), line) == cidrs.end()) cidrs.emplace_back(line);
    }
  }
  return cidrs;
}

netcheck::HostPort url_host_port(const std::string& url) {
  std::string_view rest = url;
  std::uint16_t port = 80;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    if (rest.substr(0, scheme) == "https") port = 443;
    rest.remove_prefix(scheme + 3);
  }
  rest = rest.substr(0, rest.find('/'));
  if (auto parsed = netcheck::parse_host_port(rest, port)) return *parsed;
  return {std::string(rest), port};
}

}  // namespace ssmreach
