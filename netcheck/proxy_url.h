// Proxy URLs as the environment variables give them, parsed the way Go's
// net/http (the SSM agent's HTTP stack) reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netcheck {

struct ProxyUrl {
  std::string scheme;      // "http" or "https" (a missing scheme means http)
  std::string host;        // name or IP literal, without IPv6 brackets
  std::uint16_t port = 0;  // explicit, or the scheme's default (80, 443)
  std::string user;        // secret: never printed
  std::string password;    // secret: never printed
  bool has_credentials() const { return !user.empty() || !password.empty(); }
  // "http://proxy.corp:3128": no credentials, ever. For reports and evidence.
  std::string redacted() const;
  // The URL with credentials (percent-encoded) for libcurl's CURLOPT_PROXY.
  std::string for_curl() const;
};

// Parses "http://user:pass@proxy:3128", "proxy:3128", "https://[fd00::1]:3128".
// Returns nullopt and sets `error` (which never repeats a password) when the
// URL is malformed or its scheme is not http/https (socks is not supported
// by ssm-reach; the agent itself also takes socks5:// proxies).
std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string* error = nullptr);

// `text` with any "user:password@" of a URL-looking value replaced by "***@",
// for echoing a value that failed to parse.
std::string redact_url_credentials(std::string_view text);

}  // namespace netcheck
