#include "netcheck/endpoint.h"

#include <doctest/doctest.h>

namespace netcheck {
namespace {

TEST_CASE("parse_ip: canonical forms; names are not IPs") {
  CHECK(parse_ip("10.0.0.2")->text == "10.0.0.2");
  CHECK(parse_ip("10.0.0.2")->family == Family::v4);
  CHECK(parse_ip("FD00:0:0::2")->text == "fd00::2");
  CHECK(parse_ip("FD00:0:0::2")->family == Family::v6);
  for (const char* bad : {"", "ssm.us-east-1.amazonaws.com", "10.0.0", "10.0.0.256",
                          "1.2.3.4:53", "[fd00::2]", "fd00::2::3"})
    CHECK_FALSE_MESSAGE(parse_ip(bad), bad);
}

struct HostPortCase {
  const char* text;
  const char* host;
  int port;  // 0: must fail
};

TEST_CASE("parse_host_port") {
  const HostPortCase cases[] = {
      {"ssm.example", "ssm.example", 443},
      {"ssm.example:8443", "ssm.example", 8443},
      {"10.0.0.2", "10.0.0.2", 443},
      {"10.0.0.2:53", "10.0.0.2", 53},
      {"[fd00::2]:5353", "fd00::2", 5353},
      {"[fd00::2]", "fd00::2", 443},
      {"fd00::2", "fd00::2", 443},
      {"", nullptr, 0},
      {":443", nullptr, 0},
      {"host:", nullptr, 0},
      {"host:0", nullptr, 0},
      {"host:65536", nullptr, 0},
      {"host:12ab", nullptr, 0},
      {"[fd00::2", nullptr, 0},
      {"[fd00::2]x", nullptr, 0},
      {"[10.0.0.2]:53", nullptr, 0},
      {"fd00::2::x", nullptr, 0},
      {"a b:1", nullptr, 0},
  };
  for (const auto& c : cases) {
    std::string error;
    auto parsed = parse_host_port(c.text, 443, &error);
    INFO("input: '", c.text, "'");
    if (c.port == 0) {
      CHECK_FALSE(parsed);
      CHECK_FALSE(error.empty());
    } else {
      REQUIRE(parsed);
      CHECK(parsed->host == c.host);
      CHECK(parsed->port == c.port);
    }
  }
}

TEST_CASE("format_host_port brackets IPv6") {
  CHECK(format_host_port("10.0.0.2", 53) == "10.0.0.2:53");
  CHECK(format_host_port("fd00::2", 53) == "[fd00::2]:53");
}

}  // namespace
}  // namespace netcheck
