#include "netcheck/no_proxy.h"

#include <doctest/doctest.h>

namespace netcheck {
namespace {

// Go's own table (x/net/http/httpproxy proxy_test.go, UseProxyTests) uses
// this list; "go" marks the rows taken from it.
constexpr const char* kGoList =
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, "
    "10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, "
    "2002:db8:a::45/64";

struct Case {
  const char* list;
  const char* host;
  std::uint16_t port;
  const char* expected;  // the matching entry, "" when the proxy applies
};

TEST_CASE("no_proxy: Go's httpproxy rules") {
  const Case cases[] = {
      // go: loopback is never proxied, whatever the list
      {kGoList, "localhost", 80, "localhost"},
      {kGoList, "127.0.0.1", 80, "localhost"},
      {kGoList, "127.0.0.2", 80, "localhost"},
      {kGoList, "::1", 80, "localhost"},
      {kGoList, "[::1]", 80, "localhost"},
      {"", "localhost", 443, "localhost"},
      {"", "::ffff:127.0.0.1", 443, "localhost"},
      {kGoList, "::2", 80, ""},
      // go: IP entries, with and without a port
      {kGoList, "192.168.1.1", 80, "192.168.1.1"},
      {kGoList, "192.168.1.2", 80, ""},  // the entry is for port 81
      {kGoList, "192.168.1.2", 81, "192.168.1.2:81"},
      {kGoList, "192.168.1.3", 80, "192.168.1.3:80"},
      {kGoList, "192.168.1.4", 80, ""},
      {kGoList, "10.0.0.2", 80, "10.0.0.0/30"},
      {kGoList, "10.0.0.4", 80, ""},  // outside the /30
      {kGoList, "2001:db8::52:0:1", 80, "2001:db8::52:0:1"},
      {kGoList, "2001:db8::52:0:2", 80, ""},  // the entry is for port 443
      {kGoList, "2001:db8::52:0:3", 80, "[2001:db8::52:0:3]:80"},
      {kGoList, "2002:db8:a::123", 80, "2002:db8:a::45/64"},
      {kGoList, "fe80::424b:c8be:1643:a1b6", 80, ""},
      // go: names
      {kGoList, "barbaz.net", 80, ""},  // ".barbaz.net" is subdomains only
      {kGoList, "www.barbaz.net", 80, ".barbaz.net"},
      {kGoList, "foobar.com", 80, "foobar.com"},
      {kGoList, "www.foobar.com", 80, "foobar.com"},
      {kGoList, "foofoobar.com", 80, ""},  // not a label boundary
      {kGoList, "baz.com", 80, ""},
      {kGoList, "localhost.net", 80, ""},
      {kGoList, "local.localhost", 80, ""},
      {kGoList, "barbarbaz.net", 80, ""},
      {kGoList, "wildcard.io", 80, ""},  // "*.wildcard.io" is subdomains only
      {kGoList, "nested.wildcard.io", 80, "*.wildcard.io"},
      {kGoList, "awildcard.io", 80, ""},
      // go: TestInvalidNoProxy, an entry with no host is skipped
      {":1", "example.com", 80, ""},
      // go: proxyForURLTests
      {"ample.com", "example.com", 80, ""},
      {".foo.com", "example.com", 80, ""},
      // "*" matches everything, even next to other entries
      {"*", "ssm.eu-west-1.amazonaws.com", 443, "*"},
      {"example.com, *", "169.254.169.254", 80, "*"},
      // entries are trimmed and lower-cased, empty ones skipped; the match
      // reports the entry as written
      {" , ,  .AmazonAWS.com ,", "ssm.eu-west-1.amazonaws.com", 443, ".AmazonAWS.com"},
      {"EXAMPLE.com", "WWW.Example.COM", 443, "EXAMPLE.com"},
      // the usual SSM no_proxy for IMDS
      {"169.254.169.254,169.254.170.2", "169.254.169.254", 80, "169.254.169.254"},
      {"localhost,127.0.0.1", "169.254.169.254", 80, ""},
      {"169.254.0.0/16", "169.254.169.254", 80, "169.254.0.0/16"},
      // a CIDR ignores the host's port; names are never resolved for it
      {"10.0.0.0/8", "10.1.2.3", 8443, "10.0.0.0/8"},
      {"10.0.0.0/8", "ssm.internal", 443, ""},
      // a name entry with a port matches only that port
      {"amazonaws.com:443", "ssm.us-east-1.amazonaws.com", 443, "amazonaws.com:443"},
      {"amazonaws.com:443", "ssm.us-east-1.amazonaws.com", 80, ""},
      // IPv4-mapped IPv6 hosts compare as IPv4, as net.IP.Equal does
      {"10.0.0.5", "::ffff:10.0.0.5", 443, "10.0.0.5"},
      {"10.0.0.0/24", "::ffff:10.0.0.5", 443, "10.0.0.0/24"},
      // an IPv4 host is never in an IPv6 block (net.IPNet.Contains)
      {"::ffff:10.0.0.0/104", "10.0.0.5", 443, ""},
      // Go also tries name entries on IP hosts, as text
      {"0.5", "10.0.0.5", 443, "0.5"},
      // "[v6]" without a port is not an address to Go: it never matches
      {"[fd00::1]", "fd00::1", 443, ""},
      // a leading "*." is read as "."
      {"*.vpce.amazonaws.com", "vpce-1.ssm.eu-west-1.vpce.amazonaws.com", 443,
       "*.vpce.amazonaws.com"},
      {"*.vpce.amazonaws.com", "vpce.amazonaws.com", 443, ""},
      // "localhost" matching is exact and case-sensitive in Go
      {"", "LOCALHOST", 80, ""},
      // leading zeros make no IPv4 address (Go 1.17+, inet_pton)
      {"010.0.0.1", "10.0.0.1", 80, ""},
  };
  for (const auto& c : cases) {
    INFO("no_proxy=\"" << c.list << "\" host=" << c.host << ":" << c.port);
    CHECK(NoProxy::parse(c.list).match(c.host, c.port) == c.expected);
  }
}

TEST_CASE("no_proxy: excludes() and an empty list") {
  auto none = NoProxy::parse("");
  CHECK_FALSE(none.excludes("ssm.us-east-1.amazonaws.com", 443));
  CHECK(none.excludes("127.0.0.1", 80));
  auto list = NoProxy::parse("169.254.169.254");
  CHECK(list.excludes("169.254.169.254", 80));
  CHECK_FALSE(list.excludes("169.254.169.253", 53));
  CHECK_FALSE(NoProxy{}.excludes("example.com", 443));
}

}  // namespace
}  // namespace netcheck
