// no_proxy / NO_PROXY matching with the rules of Go's
// golang.org/x/net/http/httpproxy (the SSM agent's HTTP stack).
#pragma once

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
  bool excludes(std::string_view host, std::uint16_t port) const { return !match(host, port).empty(); }

 private:
  struct Entry;
  std::vector<std::string> entries_;  // as written, trimmed
};

}  // namespace netcheck
