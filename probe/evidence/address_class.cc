#include "probe/evidence/address_class.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "netcheck/cidr.h"
#include "probe/util/text_util.h"

namespace ssmreach {
namespace {

// An address as raw bytes in network order: 4 for IPv4, 16 for IPv6.
struct RawAddress {
  int family = AF_INET;
  std::array<unsigned char, 16> bytes{};
};

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

// The address is in the block (of the same family), which may be written
// with blanks around it.
bool in(std::string_view cidr, const RawAddress& address) {
  const auto block = netcheck::parse_cidr(trim(cidr));
  const std::size_t length = address.family == AF_INET ? 4 : 16;
  return block && block->length == length &&
         netcheck::same_prefix(block->bytes, address.bytes, block->bits);
}

}  // namespace

std::string classify_address(const netcheck::IpAddress& ip,
                             const std::vector<std::string>& vpc_cidrs) {
  const auto address = parse_raw(ip.text);
  if (!address) return "unknown";

  if (in("127.0.0.0/8", *address) || in("::1/128", *address)) return "loopback";
  if (in("169.254.0.0/16", *address) || in("fe80::/10", *address)) return "link-local";
  // DNS64 answers: an IPv4-only name's address inside the NAT64 prefix, the
  // well-known 64:ff9b::/96 (what Route 53 Resolver's DNS64 uses) or the
  // local-use 64:ff9b:1::/48 (RFC 8215). Reachable only through NAT64 (a
  // NAT gateway), whatever the VPC's CIDRs say.
  if (in("64:ff9b::/96", *address) || in("64:ff9b:1::/48", *address)) return "nat64";
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
  // USER:PASSWORD@ (or the "***@" left of it) is not part of the host.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (auto parsed = netcheck::parse_host_port(rest, port)) return *parsed;
  return {std::string(rest), port};
}

}  // namespace ssmreach
