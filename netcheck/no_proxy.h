// no_proxy / NO_PROXY matching with the rules of Go's
// golang.org/x/net/http/httpproxy (the SSM agent's HTTP stack).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace netcheck {

class NoProxy {
 public:
  NoProxy() = default;
  // Comma-separated entries: "*", host names ("example.com" matches it and
  // its subdomains; ".example.com" and "*.example.com" only subdomains),
  // IP addresses, CIDR blocks ("10.0.0.0/8"), each optionally with ":port".
  static NoProxy parse(std::string_view text);

  // The entry (as written) that sends a request for host:port direct, or ""
  // when the proxy applies. Names are not resolved: a CIDR entry matches
  // only a host that is an IP literal, as in Go. Loopback ("localhost",
  // 127.0.0.0/8, ::1) always goes direct, as in Go; that returns "localhost".
  std::string match(std::string_view host, std::uint16_t port) const;
  bool excludes(std::string_view host, std::uint16_t port) const {
    return !match(host, port).empty();
  }

 private:
  // One entry, in the form Go's httpproxy matches it.
  struct Entry {
    enum class Kind { ip, cidr, domain };
    Kind kind = Kind::domain;
    std::string written;  // as written, trimmed
    // ip and cidr: the address (4 bytes for IPv4, 16 for IPv6) and, for
    // cidr, the prefix length.
    std::array<unsigned char, 16> address{};
    std::size_t address_length = 0;
    unsigned prefix_bits = 0;
    // domain: ".example.com" (lower case, always with the leading dot) and
    // whether the name itself matches too ("example.com" but not
    // ".example.com" or "*.example.com").
    std::string suffix;
    bool matches_name_itself = false;
    std::string port;  // "" for any port; compared as text, like Go
  };
  bool match_all_ = false;  // "*"
  // Go consults the address entries (only for IP hosts) before the names.
  std::vector<Entry> address_entries_;
  std::vector<Entry> name_entries_;
};

}  // namespace netcheck
