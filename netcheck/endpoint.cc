#include "netcheck/endpoint.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace netcheck {

std::optional<IpAddress> parse_ip(std::string_view text) {
  // inet_pton reads a C string: an embedded NUL would silently cut the input
  // short ("1.2.3.4\0junk" would pass), and INET6_ADDRSTRLEN bounds any
  // valid literal, so both are rejected before copying.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  const std::string input(text);

  // inet_pton is strict where it matters: AF_INET takes only four decimal
  // octets (no "10.1", no octal/hex forms inet_aton would accept) and
  // AF_INET6 takes no zone index ("fe80::1%eth0").
  unsigned char bytes[sizeof(in6_addr)];
  char canonical[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, input.c_str(), bytes) == 1 &&
      ::inet_ntop(AF_INET, bytes, canonical, sizeof canonical) != nullptr)
    return IpAddress{Family::v4, canonical};
  if (::inet_pton(AF_INET6, input.c_str(), bytes) == 1 &&
      ::inet_ntop(AF_INET6, bytes, canonical, sizeof canonical) != nullptr)
    return IpAddress{Family::v6, canonical};
  return std::nullopt;
}

namespace {

std::optional<HostPort> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

// Digits only (no sign, no spaces), 1..65535.
std::optional<std::uint16_t> parse_port(std::string_view digits, std::string* error) {
  if (digits.empty()) {
    if (error) *error = "missing port number after ':'";
    return std::nullopt;
  }
  const bool all_digits = std::all_of(digits.begin(), digits.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (!all_digits || ec == std::errc::invalid_argument || end != digits.data() + digits.size()) {
    if (error) *error = "port \"" + std::string(digits) + "\" is not a number";
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value == 0 || value > 65535) {
    if (error) *error = "port " + std::string(digits) + " is out of range (1-65535)";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// A host name or IPv4 literal: no brackets (those only wrap IPv6), no
// whitespace or control characters (a pasted "host :53" or a tab).
bool has_bad_host_char(std::string_view host) {
  return std::any_of(host.begin(), host.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return c == '[' || c == ']' || std::isspace(u) != 0 || std::iscntrl(u) != 0;
  });
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port,
                                        std::string* error) {
  if (text.empty()) return fail(error, "empty host");

  // "[v6]" or "[v6]:port": the only form where an IPv6 address takes a port.
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return fail(error, "missing ']' after IPv6 address");
    const std::string_view inside = text.substr(1, close - 1);
    if (inside.empty()) return fail(error, "empty host");
    auto ip = parse_ip(inside);
    if (!ip || ip->family != Family::v6)
      return fail(error, "\"" + std::string(inside) + "\" in brackets is not an IPv6 address");
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return HostPort{std::string(inside), default_port};
    if (rest.front() != ':')
      return fail(error, "unexpected \"" + std::string(rest) + "\" after ']' (expected :port)");
    auto port = parse_port(rest.substr(1), error);
    if (!port) return std::nullopt;
    return HostPort{std::string(inside), *port};
  }

  const auto first_colon = text.find(':');
  if (first_colon != text.rfind(':')) {
    // Several colons: only a bare IPv6 address makes sense, and it takes the
    // default port ("fd00::2:53" is the address fd00::2:53, not port 53).
    if (parse_ip(text)) return HostPort{std::string(text), default_port};
    return fail(error, "\"" + std::string(text) +
                           "\" is not an IPv6 address (write an IPv6 address with a port as "
                           "[fd00::2]:53)");
  }

  const std::string_view host = text.substr(0, first_colon);
  if (host.empty()) return fail(error, "empty host");
  if (has_bad_host_char(host))
    return fail(
        error, "host \"" + std::string(host) + "\" contains a bracket, space or control character");
  if (first_colon == std::string_view::npos) return HostPort{std::string(host), default_port};
  auto port = parse_port(text.substr(first_colon + 1), error);
  if (!port) return std::nullopt;
  return HostPort{std::string(host), *port};
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
  // Any colon in a host means an IPv6 literal: names cannot contain one.
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace netcheck
