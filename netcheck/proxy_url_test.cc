#include "netcheck/proxy_url.h"

#include <doctest/doctest.h>

namespace netcheck {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("proxy URL: the forms Go's net/http accepts") {
  struct Case {
    const char* text;
    const char* scheme;
    const char* host;
    std::uint16_t port;
    const char* redacted;
  };
  const Case cases[] = {
      {"http://proxy.corp:3128", "http", "proxy.corp", 3128, "http://proxy.corp:3128"},
      {"proxy.corp:3128", "http", "proxy.corp", 3128, "http://proxy.corp:3128"},
      {"proxy.corp", "http", "proxy.corp", 80, "http://proxy.corp:80"},
      {"localhost", "http", "localhost", 80, "http://localhost:80"},
      {"127.0.0.1:8080", "http", "127.0.0.1", 8080, "http://127.0.0.1:8080"},
      {"https://proxy.corp", "https", "proxy.corp", 443, "https://proxy.corp:443"},
      {"HTTPS://proxy.corp:8443/", "https", "proxy.corp", 8443, "https://proxy.corp:8443"},
      {"http://proxy.corp:3128/", "http", "proxy.corp", 3128, "http://proxy.corp:3128"},
      {"http://proxy.corp:/", "http", "proxy.corp", 80, "http://proxy.corp:80"},
      {"http://[fd00::1]:3128", "http", "fd00::1", 3128, "http://[fd00::1]:3128"},
      {"[fd00::1]:3128", "http", "fd00::1", 3128, "http://[fd00::1]:3128"},
      {"https://[FD00:0::1]", "https", "fd00::1", 443, "https://[fd00::1]:443"},
      {"http://user:pass@proxy.corp:3128", "http", "proxy.corp", 3128, "http://proxy.corp:3128"},
      {"user:pass@proxy.corp:3128", "http", "proxy.corp", 3128, "http://proxy.corp:3128"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    auto url = parse_proxy_url(c.text, &error);
    REQUIRE_MESSAGE(url, error);
    CHECK(url->scheme == c.scheme);
    CHECK(url->host == c.host);
    CHECK(url->port == c.port);
    CHECK(url->redacted() == c.redacted);
  }
}

TEST_CASE("proxy URL: credentials are decoded, re-encoded for curl, never redacted()") {
  auto url = parse_proxy_url("http://dom%5Cuser:p%40ss:w0rd@proxy.corp:3128");
  REQUIRE(url);
  CHECK(url->user == "dom\\user");
  CHECK(url->password == "p@ss:w0rd");  // the user name ends at the first ':'
  CHECK(url->has_credentials());
  CHECK(url->redacted() == "http://proxy.corp:3128");
  CHECK(url->for_curl() == "http://dom%5Cuser:p%40ss%3Aw0rd@proxy.corp:3128");

  // The user information runs to the last '@', as in Go.
  url = parse_proxy_url("http://me:a@b@proxy:8080");
  REQUIRE(url);
  CHECK(url->password == "a@b");
  CHECK(url->for_curl() == "http://me:a%40b@proxy:8080");

  url = parse_proxy_url("https://user@[fd00::5]:3129");
  REQUIRE(url);
  CHECK(url->user == "user");
  CHECK(url->password.empty());
  CHECK(url->for_curl() == "https://user:@[fd00::5]:3129");

  url = parse_proxy_url("http://proxy:3128");
  REQUIRE(url);
  CHECK_FALSE(url->has_credentials());
  CHECK(url->for_curl() == "http://proxy:3128");
}

TEST_CASE("proxy URL: refusals name the problem and never the password") {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"socks5://proxy:1080", "scheme 'socks5' is not supported"},
      {"socks5h://user:s3cret@proxy:1080", "scheme 'socks5h'"},
      {"ftp://proxy", "scheme 'ftp'"},
      {"http://", "no host"},
      {"http://:3128", "no host"},
      {"http://proxy:abc", "not a number"},
      {"http://proxy:0", "out of range"},
      {"http://proxy:70000", "out of range"},
      {"http://user:s3cret@proxy:99999", "out of range"},
      {"http://fd00::1:3128", "IPv6 address in brackets"},
      {"http://[fd00::1", "missing ']'"},
      {"http://[10.0.0.1]:3128", "not an IPv6 address"},
      {"http://[fd00::1]x", "after ']'"},
      {"http://pro xy:3128", "not a host name"},
      {"http://proxy\n:3128", "control character"},
      {"http://us er:s3cret@proxy:3128", "must be percent-encoded"},
      {"http://user:s3cr%zzet@proxy:3128", "two hex digits"},
      {"http://user:s3c/ret@proxy:3128", "ends the address early"},
      {"http://user:s3c#ret@proxy:3128", "ends the address early"},
      {"http://proxy:3128/%zz", "two hex digits"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string error;
    CHECK_FALSE(parse_proxy_url(c.text, &error));
    CHECK_MESSAGE(contains(error, c.reason), error);
    CHECK_FALSE(contains(error, "s3c"));
    CHECK_FALSE(contains(error, "ret"));
  }
}

TEST_CASE("redact_url_credentials: everything before the last '@'") {
  CHECK(redact_url_credentials("http://user:pass@proxy:3128") == "http://***@proxy:3128");
  CHECK(redact_url_credentials("user:pass@proxy:3128") == "***@proxy:3128");
  CHECK(redact_url_credentials("http://u:p/a#s@s@proxy:3128/") == "http://***@proxy:3128/");
  CHECK(redact_url_credentials("http://proxy:3128") == "http://proxy:3128");
  CHECK(redact_url_credentials("") == "");
}

}  // namespace
}  // namespace netcheck
