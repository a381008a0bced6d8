#include "netcheck/no_proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include "netcheck/cidr.h"
#include "netcheck/text.h"

namespace netcheck {

// The rules are those of golang.org/x/net/http/httpproxy (config.init,
// config.useProxy and its matchers), which the SSM agent's net/http uses;
// they differ from curl's in places that matter here:
//   - "localhost" and loopback addresses never use a proxy, whatever the list;
//   - "*" anywhere in the list matches everything;
//   - a CIDR block or an IP entry matches only hosts written as IP addresses
//     (names are not resolved);
//   - a name entry is a suffix match on the lower-cased host: "example.com"
//     matches "example.com" and "*.example.com", ".example.com" and
//     "*.example.com" only the subdomains; name entries are also tried on IP
//     hosts, as text (Go does the same, so "0.1" matches 10.0.0.1);
//   - "entry:port" matches that port only; the port is compared as text.
// Not reproduced: Go converts non-ASCII names to punycode (IDNA) first.

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// An IP address as Go's net.IP compares it: IPv4 and IPv4-mapped IPv6 as 4
// bytes (To4), any other IPv6 as 16.
struct Address {
  std::array<unsigned char, 16> bytes{};
  std::size_t length = 0;
};

// Go's net.ParseIP; inet_pton is as strict (no leading zeros in IPv4, no
// IPv6 zone).
std::optional<Address> parse_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  const std::string input(text);
  Address a;
  if (::inet_pton(AF_INET, input.c_str(), a.bytes.data()) == 1) {
    a.length = 4;
    return a;
  }
  if (::inet_pton(AF_INET6, input.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix, kMappedPrefix + 12, a.bytes.begin())) {
    std::copy(a.bytes.begin() + 12, a.bytes.end(), a.bytes.begin());
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    a.length = 4;
  } else {
    a.length = 16;
  }
  return a;
}

bool is_loopback(const Address& a) {
  if (a.length == 4) return a.bytes[0] == 127;
  static constexpr std::array<unsigned char, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                              0, 0, 0, 0, 0, 0, 0, 1};
  return a.bytes == kLoopback;
}

// Go's net.SplitHostPort: "host:port" or "[host]:port"; nullopt for anything
// else (no colon, several colons outside brackets, stray brackets).
struct SplitHost {
  std::string_view host;
  std::string_view port;
};
std::optional<SplitHost> split_host_port(std::string_view s) {
  const auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host;
  std::size_t no_open_from = 0, no_close_from = 0;
  if (s.front() == '[') {
    const auto end = s.find(']');
    if (end == std::string_view::npos || end + 1 != colon) return std::nullopt;
    host = s.substr(1, end - 1);
    no_open_from = 1;
    no_close_from = end + 1;
  } else {
    host = s.substr(0, colon);
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (s.find('[', no_open_from) != std::string_view::npos) return std::nullopt;
  if (s.find(']', no_close_from) != std::string_view::npos) return std::nullopt;
  return SplitHost{host, s.substr(colon + 1)};
}

}  // namespace

NoProxy NoProxy::parse(std::string_view text) {
  NoProxy list;
  while (true) {
    const auto comma = text.find(',');
    const std::string_view written = trim(text.substr(0, comma));
    const std::string entry = lower(written);
    if (!entry.empty()) {
      if (entry == "*") {
        // Go replaces every matcher with one that matches all, and stops.
        list.match_all_ = true;
        list.address_entries_.clear();
        list.name_entries_.clear();
        return list;
      }
      Entry e;
      e.written = std::string(written);
      std::string_view host = entry;
      if (const auto cidr = parse_cidr(entry)) {
        e.kind = Entry::Kind::cidr;
        e.address = cidr->bytes;
        e.address_length = cidr->length;
        e.prefix_bits = cidr->bits;
        list.address_entries_.push_back(std::move(e));
      } else {
        if (auto split = split_host_port(entry)) {
          host = split->host;
          e.port = std::string(split->port);
        }
        if (auto ip = parse_address(host)) {
          e.kind = Entry::Kind::ip;
          e.address = ip->bytes;
          e.address_length = ip->length;
          list.address_entries_.push_back(std::move(e));
        } else if (!host.empty()) {  // ":80" alone names no host: Go skips it
          if (host.starts_with("*.")) host.remove_prefix(1);
          e.kind = Entry::Kind::domain;
          e.matches_name_itself = host.front() != '.';
          e.suffix = e.matches_name_itself ? "." + std::string(host) : std::string(host);
          list.name_entries_.push_back(std::move(e));
        }
      }
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return list;
}

std::string NoProxy::match(std::string_view host, std::uint16_t port) const {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  // Go's useProxy: these checks come first and are case-sensitive.
  if (host == "localhost") return "localhost";
  const auto ip = parse_address(host);
  if (ip && is_loopback(*ip)) return "localhost";
  if (match_all_) return "*";

  const std::string port_text = std::to_string(port);
  auto port_matches = [&](const Entry& e) { return e.port.empty() || e.port == port_text; };
  if (ip) {
    for (const auto& e : address_entries_) {
      if (e.address_length != ip->length) continue;
      if (e.kind == Entry::Kind::ip) {
        if (e.address == ip->bytes && port_matches(e)) return e.written;
      } else if (same_prefix(e.address, ip->bytes, e.prefix_bits)) {
        return e.written;  // Go's cidrMatch ignores the port
      }
    }
  }
  const std::string name = lower(trim(host));
  for (const auto& e : name_entries_) {
    const bool hit =
        name.ends_with(e.suffix) ||
        (e.matches_name_itself && std::string_view(name) == std::string_view(e.suffix).substr(1));
    if (hit && port_matches(e)) return e.written;
  }
  return {};
}

}  // namespace netcheck
