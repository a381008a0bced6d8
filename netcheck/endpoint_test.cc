#include "netcheck/endpoint.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace netcheck {
namespace {

TEST_CASE("parse_ip accepts literals of both families in canonical form") {
  struct Case {
    std::string input;
    Family family;
    std::string canonical;
  };
  const std::vector<Case> cases = {
      {"10.0.0.2", Family::v4, "10.0.0.2"},
      {"169.254.169.253", Family::v4, "169.254.169.253"},
      {"255.255.255.255", Family::v4, "255.255.255.255"},
      {"::1", Family::v6, "::1"},
      {"fd00::2", Family::v6, "fd00::2"},
      {"FD00:0:0:0:0:0:0:2", Family::v6, "fd00::2"},
      {"2001:db8:0:0:1:0:0:1", Family::v6, "2001:db8::1:0:0:1"},
      {"::ffff:10.0.0.1", Family::v6, "::ffff:10.0.0.1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    auto ip = parse_ip(c.input);
    REQUIRE(ip.has_value());
    CHECK(ip->family == c.family);
    CHECK(ip->text == c.canonical);
  }
}

TEST_CASE("parse_ip rejects names and malformed literals") {
  const std::vector<std::string> bad = {
      "",
      "ssm.us-east-1.amazonaws.com",
      "10.0.0",
      "10.0.0.256",
      "010.0.0.1",
      " 10.0.0.1",
      "10.0.0.1 ",
      "0x0a.0.0.1",
      "fe80::1%eth0",
      "[fd00::2]",
      "fd00:::2",
      "1.2.3.4:53",
      std::string("10.0.0.1\0junk", 13),
  };
  for (const auto& text : bad) {
    CAPTURE(text);
    CHECK_FALSE(parse_ip(text).has_value());
  }
}

TEST_CASE("parse_host_port accepts every documented form") {
  struct Case {
    std::string input;
    std::string host;
    std::uint16_t port;
  };
  const std::vector<Case> cases = {
      {"ssm.eu-west-1.amazonaws.com", "ssm.eu-west-1.amazonaws.com", 443},
      {"vpce.example:8443", "vpce.example", 8443},
      {"1.2.3.4", "1.2.3.4", 443},
      {"1.2.3.4:53", "1.2.3.4", 53},
      {"[fd00::2]:53", "fd00::2", 53},
      {"[fd00::2]", "fd00::2", 443},
      {"fd00::2", "fd00::2", 443},
      {"::1", "::1", 443},
      // Ambiguous without brackets: a valid address, so it stays an address.
      {"fd00::2:53", "fd00::2:53", 443},
      {"host:1", "host", 1},
      {"host:65535", "host", 65535},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    std::string error;
    auto hp = parse_host_port(c.input, 443, &error);
    REQUIRE_MESSAGE(hp.has_value(), error);
    CHECK(hp->host == c.host);
    CHECK(hp->port == c.port);
    CHECK(error.empty());
  }
}

TEST_CASE("parse_host_port rejects malformed input with a clear error") {
  struct Case {
    std::string input;
    std::string error_mentions;
  };
  const std::vector<Case> cases = {
      {"", "empty host"},
      {":53", "empty host"},
      {"[]:53", "empty host"},
      {"host:", "missing port"},
      {"host:0", "out of range"},
      {"host:65536", "out of range"},
      {"host:99999999999999999999999", "out of range"},
      {"host:53a", "not a number"},
      {"host:-1", "not a number"},
      {"host:+53", "not a number"},
      {"host: 53", "not a number"},
      {"[fd00::2", "missing ']'"},
      {"[fd00::2]53", "after ']'"},
      {"[fd00::2]:", "missing port"},
      {"[fd00::2]:0", "out of range"},
      {"[10.0.0.1]:53", "not an IPv6 address"},
      {"[host]:53", "not an IPv6 address"},
      {"host]:53", "bracket"},
      {"ho[st", "bracket"},
      {"ho st:53", "space"},
      {"a:b:c", "not an IPv6 address"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.input);
    std::string error;
    CHECK_FALSE(parse_host_port(c.input, 443, &error).has_value());
    CHECK(error.find(c.error_mentions) != std::string::npos);
  }
  // The error pointer is optional.
  CHECK_FALSE(parse_host_port("host:0", 443).has_value());
}

TEST_CASE("format_host_port brackets IPv6 literals only") {
  CHECK(format_host_port("10.0.0.2", 53) == "10.0.0.2:53");
  CHECK(format_host_port("fd00::2", 53) == "[fd00::2]:53");
  CHECK(format_host_port("ssm.us-east-1.amazonaws.com", 443) == "ssm.us-east-1.amazonaws.com:443");
  // Round trip through the parser.
  for (const std::string host : {"10.0.0.2", "fd00::2", "name.example"}) {
    auto hp = parse_host_port(format_host_port(host, 5353), 53);
    REQUIRE(hp.has_value());
    CHECK(*hp == HostPort{host, 5353});
  }
}

}  // namespace
}  // namespace netcheck
