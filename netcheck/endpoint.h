// Parsing and formatting of "host[:port]", "addr[:port]" and IP literals.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netcheck {

enum class Family { v4, v6 };

// A numeric IP address in canonical text form ("10.0.0.2", "fd00::2").
struct IpAddress {
  Family family = Family::v4;
  std::string text;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Returns the canonical form of a numeric IPv4/IPv6 literal, or nullopt.
std::optional<IpAddress> parse_ip(std::string_view text);

struct HostPort {
  std::string host;  // name or IP literal, without IPv6 brackets
  std::uint16_t port = 0;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// Parses "host", "host:port", "1.2.3.4:53", "[fd00::2]:53" or a bare "fd00::2".
// The port defaults to `default_port`. Returns nullopt and sets `error` on
// malformed input (empty host, port out of range, stray brackets).
std::optional<HostPort> parse_host_port(std::string_view text, std::uint16_t default_port,
                                        std::string* error = nullptr);

// "1.2.3.4:53", "[fd00::2]:53".
std::string format_host_port(const std::string& host, std::uint16_t port);

}  // namespace netcheck
