#include "netcheck/endpoint.h"

#include <arpa/inet.h>

#include <charconv>

namespace netcheck {

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string input(text);
  unsigned char raw[sizeof(in6_addr)];
  char canonical[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, input.c_str(), raw) == 1) {
    ::inet_ntop(AF_INET, raw, canonical, sizeof canonical);
    return IpAddress{Family::v4, canonical};
  }
  if (::inet_pton(AF_INET6, input.c_str(), raw) == 1) {
    ::inet_ntop(AF_INET6, raw, canonical, sizeof canonical);
    return IpAddress{Family::v6, canonical};
  }
  return std::nullopt;
}

namespace {

bool parse_port(std::string_view text, std::uint16_t* port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535)
    return false;
  *port = static_cast<std::uint16_t>(value);
  return true;
}

std::optional<HostPort> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port,
                                        std::string* error) {
  HostPort out{std::string(), default_port};
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return fail(error, "missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail(error, "expected ':PORT' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return fail(error, "empty port");
    }
    if (!parse_ip(out.host) || parse_ip(out.host)->family != Family::v6)
      return fail(error, "'" + out.host + "' in brackets is not an IPv6 address");
  } else if (text.find(':') != text.rfind(':')) {
    // Two or more colons and no brackets: a bare IPv6 address, no port.
    if (!parse_ip(text)) return fail(error, "not an IPv6 address (use [ADDR]:PORT for a port)");
    out.host = std::string(text);
  } else {
    auto colon = text.find(':');
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return fail(error, "empty port");
    }
  }
  if (out.host.empty()) return fail(error, "empty host");
  if (out.host.find_first_of("[]/ \t") != std::string::npos)
    return fail(error, "'" + out.host + "' is not a host name or address");
  if (!port_text.empty() && !parse_port(port_text, &out.port))
    return fail(error, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
  return out;
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace netcheck
