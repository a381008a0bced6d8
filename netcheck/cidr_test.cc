#include "netcheck/cidr.h"

#include <doctest/doctest.h>

using netcheck::parse_cidr;

TEST_CASE("parse_cidr: Go's net.ParseCIDR rules") {
  const auto v4 = parse_cidr("10.0.0.0/16");
  REQUIRE(v4);
  CHECK(v4->length == 4);
  CHECK(v4->bits == 16);
  CHECK(v4->bytes[0] == 10);
  const auto v6 = parse_cidr("fd00:ec2::/64");
  REQUIRE(v6);
  CHECK(v6->length == 16);
  CHECK(v6->bits == 64);
  // An IPv4-mapped block stays IPv6, as written.
  const auto mapped = parse_cidr("::ffff:10.0.0.0/104");
  REQUIRE(mapped);
  CHECK(mapped->length == 16);
  CHECK(mapped->bytes[10] == 0xff);
  CHECK(mapped->bytes[12] == 10);
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/0016",
                          "10.0.0.0/-1", "10.0.0.0/+8", "/8", "10.0.0/8", "x/8"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_cidr(bad));
  }
}

TEST_CASE("same_prefix compares whole and partial bytes") {
  const std::array<unsigned char, 16> a{10, 0, 1, 10};
  const std::array<unsigned char, 16> b{10, 0, 1, 200};
  CHECK(netcheck::same_prefix(a, b, 24));
  CHECK(netcheck::same_prefix(a, b, 0));
  CHECK_FALSE(netcheck::same_prefix(a, b, 25));
}
