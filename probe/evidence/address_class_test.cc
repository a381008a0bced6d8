#include "probe/evidence/address_class.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace {

netcheck::IpAddress ip(const std::string& text) {
  return {text.find(':') != std::string::npos ? netcheck::Family::v6 : netcheck::Family::v4, text};
}

}  // namespace

TEST_CASE("classify_address: loopback, link-local, vpc, private, public") {
  const std::vector<std::string> vpc = {"10.40.0.0/16",   "2600:1f14:abc::/56", "not-a-cidr",
                                        "10.0.0.0/33",    "10.1.0.0/",          "/16",
                                        "192.168.7.0/24x"};
  struct Row {
    const char* address;
    const char* expected;
  };
  const Row rows[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.255.254", "loopback"},
      {"::1", "loopback"},
      {"169.254.169.254", "link-local"},
      {"169.254.169.253", "link-local"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fec0::1", "public"},  // just outside fe80::/10
      {"10.40.1.11", "vpc"},
      {"10.40.255.255", "vpc"},
      {"10.41.0.1", "private"},  // RFC 1918 outside the VPC
      {"2600:1f14:abc:ff::10", "vpc"},
      {"2600:1f14:abc:100::10", "public"},  // outside the /56
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"172.32.0.1", "public"},
      {"172.15.255.255", "public"},
      {"192.168.7.9", "private"},  // malformed "/24x" entry must not make it vpc
      {"100.64.0.1", "private"},   // RFC 6598
      {"100.127.255.255", "private"},
      {"100.128.0.1", "public"},
      {"fd00:ec2::253", "private"},  // ULA
      {"fc00::1", "private"},
      {"52.94.1.1", "public"},
      {"2600:9000::1", "public"},
      {"not an ip", "unknown"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.address);
    CHECK(ssmreach::classify_address(ip(row.address), vpc) == row.expected);
  }
}

TEST_CASE("classify_address: CIDR edge prefixes") {
  CHECK(ssmreach::classify_address(ip("8.8.8.8"), {"0.0.0.0/0"}) == "vpc");
  CHECK(ssmreach::classify_address(ip("10.0.0.5"), {"10.0.0.5/32"}) == "vpc");
  CHECK(ssmreach::classify_address(ip("10.0.0.6"), {"10.0.0.5/32"}) == "private");
  CHECK(ssmreach::classify_address(ip("10.0.0.6"), {"10.0.0.0/31"}) == "private");
  CHECK(ssmreach::classify_address(ip("10.0.0.1"), {"10.0.0.0/31"}) == "vpc");
  // An IPv4 CIDR never contains an IPv6 address and vice versa.
  CHECK(ssmreach::classify_address(ip("::ffff:10.40.0.1"), {"10.40.0.0/16"}) == "public");
  CHECK(ssmreach::classify_address(ip("10.40.0.1"), {"::/0"}) == "private");
  CHECK(ssmreach::classify_address(ip("10.40.0.1"), {" 10.40.0.0/16 "}) == "vpc");
}

TEST_CASE("vpc_cidrs_from_facts reads every interface's IPv4 and IPv6 blocks") {
  const std::map<std::string, std::string> facts = {
      {"meta-data/placement/region", "eu-west-1"},
      {"meta-data/network/interfaces/macs/0a:00:00:00:00:01/vpc-ipv4-cidr-blocks",
       "10.40.0.0/16\n100.64.0.0/16\n"},
      {"meta-data/network/interfaces/macs/0a:00:00:00:00:02/vpc-ipv4-cidr-blocks", "10.40.0.0/16"},
      {"meta-data/network/interfaces/macs/0a:00:00:00:00:01/vpc-ipv6-cidr-blocks",
       "2600:1f14:abc::/56"},
      {"meta-data/network/interfaces/macs/0a:00:00:00:00:01/subnet-ipv4-cidr-block",
       "10.40.1.0/24"},
  };
  const auto cidrs = ssmreach::vpc_cidrs_from_facts(facts);
  REQUIRE(cidrs.size() == 3);
  CHECK(std::find(cidrs.begin(), cidrs.end(), "10.40.0.0/16") != cidrs.end());
  CHECK(std::find(cidrs.begin(), cidrs.end(), "100.64.0.0/16") != cidrs.end());
  CHECK(std::find(cidrs.begin(), cidrs.end(), "2600:1f14:abc::/56") != cidrs.end());
  CHECK(ssmreach::vpc_cidrs_from_facts({}).empty());
}

TEST_CASE("classify_address: DNS64 answers are nat64, whatever the VPC's CIDRs") {
  const std::vector<std::string> vpc = {"10.40.0.0/16", "64:ff9b::/64"};
  CHECK(ssmreach::classify_address(ip("64:ff9b::cb00:710a"), vpc) == "nat64");
  CHECK(ssmreach::classify_address(ip("64:ff9b::10.40.1.1"), {}) == "nat64");
  CHECK(ssmreach::classify_address(ip("64:ff9b:1::a00:1"), {}) == "nat64");   // RFC 8215
  CHECK(ssmreach::classify_address(ip("64:ff9b:0:0:1::1"), {}) == "public");  // outside the /96
  CHECK(ssmreach::classify_address(ip("64:ff9c::1"), {}) == "public");
}

namespace ssmreach {

TEST_CASE("url_host_port leaves out a user and password (issue 15, 6)") {
  CHECK(url_host_port("http://user:pw@10.0.0.1:8080/x").host == "10.0.0.1");
  CHECK(url_host_port("http://user:pw@10.0.0.1:8080/x").port == 8080);
  CHECK(url_host_port("http://***@169.254.169.254").host == "169.254.169.254");
  CHECK(url_host_port("https://[fd00:ec2::254]").host == "fd00:ec2::254");
  CHECK(url_host_port("https://[fd00:ec2::254]").port == 443);
}

}  // namespace ssmreach
