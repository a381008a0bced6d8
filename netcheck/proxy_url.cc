#include "netcheck/proxy_url.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <memory>

#include "netcheck/endpoint.h"

namespace netcheck {

namespace {

// What Go's net/http does with a proxy variable (x/net/http/httpproxy
// parseProxy, then net/url.Parse) decides what this parser accepts:
//   - "host[:port]" without a scheme is read as "http://host[:port]";
//   - the scheme is case-insensitive;
//   - the user information runs up to the LAST '@' of the address, and the
//     user name up to its first ':'; both are percent-decoded;
//   - the address ends at the first '/', '?' or '#', whatever follows is
//     ignored for a proxy (a trailing "/" is common);
//   - an empty port (":" alone) means the scheme's default.
// Where Go accepts something no proxy can be reached with (a host with a
// colon in it, port 0 or 70000, spaces), this parser refuses it with a
// reason instead of failing later at connect time.

std::optional<ProxyUrl> fail(std::string* error, std::string reason) {
  if (error) *error = std::move(reason);
  return std::nullopt;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool is_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Every '%' starts a two-digit hex escape (Go rejects the URL otherwise).
bool valid_escapes(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Go's validUserinfo: unreserved and sub-delims, ':', '%' (escapes) and '@'.
bool valid_userinfo(std::string_view s) {
  static constexpr std::string_view kAllowed = "-._:~!$&'()*+,;=%@";
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kAllowed.find(c) != kAllowed.npos;
  });
}

// A DNS name or IPv4 literal as a proxy host can be: letters, digits, '-',
// '.', '_' (some internal names have one).
bool valid_host_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

// "" (default), or 1..65535 in decimal.
std::optional<std::uint16_t> parse_port(std::string_view digits, std::uint16_t default_port,
                                        std::string* error) {
  if (digits.empty()) return default_port;
  const bool all_digits = std::all_of(digits.begin(), digits.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  if (!all_digits) {
    // The port text is not repeated: a misplaced ':' in a password can end
    // up here.
    if (error) *error = "the port is not a number";
    return std::nullopt;
  }
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
    if (error) *error = "the port is out of range (1-65535)";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// libcurl's percent-encoding of one URL component (everything but
// unreserved characters).
std::string url_escape(const std::string& text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) return {};
  std::unique_ptr<char, decltype(&curl_free)> escaped(
      curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size())), &curl_free);
  return escaped ? std::string(escaped.get()) : std::string();
}

}  // namespace

std::string ProxyUrl::redacted() const { return scheme + "://" + format_host_port(host, port); }

std::string ProxyUrl::for_curl() const {
  std::string url = scheme + "://";
  if (has_credentials()) url += url_escape(user) + ":" + url_escape(password) + "@";
  return url + format_host_port(host, port);
}

std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string* error) {
  if (text.empty()) return fail(error, "empty");
  if (std::any_of(text.begin(), text.end(), is_control))
    return fail(error, "contains a control character");

  ProxyUrl url;
  std::string_view rest = text;
  if (auto sep = text.find("://");
      sep != std::string_view::npos && is_scheme(text.substr(0, sep))) {
    url.scheme = std::string(text.substr(0, sep));
    std::transform(url.scheme.begin(), url.scheme.end(), url.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (url.scheme != "http" && url.scheme != "https")
      return fail(error, "scheme '" + url.scheme +
                             "' is not supported: only http:// and https:// proxies can be "
                             "checked");
    rest = text.substr(sep + 3);
  } else {
    url.scheme = "http";  // Go's httpproxy: "host[:port]" means http://host[:port]
  }
  const std::uint16_t default_port = url.scheme == "https" ? 443 : 80;

  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  if (authority_end != std::string_view::npos) {
    const std::string_view tail = rest.substr(authority_end);
    if (tail.find('@') != std::string_view::npos && authority.find('@') == std::string_view::npos)
      return fail(error,
                  "a '/', '?' or '#' in the user name or password ends the address early; "
                  "percent-encode them (%2F, %3F, %23)");
    // Go rejects a bad escape in the path or fragment; the query is kept raw.
    const std::string_view path_and_fragment = tail.substr(0, tail.find('?'));
    const auto hash = tail.find('#');
    if (!valid_escapes(path_and_fragment) ||
        (hash != std::string_view::npos && !valid_escapes(tail.substr(hash + 1))))
      return fail(error, "a '%' after the address is not followed by two hex digits");
  }

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    if (!valid_userinfo(userinfo))
      return fail(error,
                  "the user name or password contains a character that must be "
                  "percent-encoded (for example a space, '\"', '[' or non-ASCII text)");
    if (!valid_escapes(userinfo))
      return fail(error,
                  "a '%' in the user name or password is not followed by two hex digits "
                  "(write a literal '%' as %25)");
    const auto colon = userinfo.find(':');
    url.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) url.password = percent_decode(userinfo.substr(colon + 1));
  }

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.rfind(']');
    if (close == std::string_view::npos) return fail(error, "missing ']' after the IPv6 address");
    const std::string_view inside = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return fail(error, "unexpected text after ']' (expected :port)");
    if (!after.empty()) port_text = after.substr(1);
    if (inside.find('%') != std::string_view::npos)
      return fail(error, "IPv6 zone indexes (%25...) are not supported");
    auto ip = parse_ip(inside);
    if (!ip || ip->family != Family::v6)
      return fail(error, "the text in brackets is not an IPv6 address");
    url.host = ip->text;
  } else {
    const auto colon = authority.rfind(':');
    const std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (host.empty()) return fail(error, "no host name");
    if (host.find(':') != std::string_view::npos)
      return fail(error, "the host contains ':' (write an IPv6 address in brackets: [fd00::1])");
    if (!valid_host_name(host)) return fail(error, "the host is not a host name or IPv4 address");
    url.host = std::string(host);
  }
  auto port = parse_port(port_text, default_port, error);
  if (!port) return std::nullopt;
  url.port = *port;
  return url;
}

std::string redact_url_credentials(std::string_view text) {
  // Everything up to the last '@' is user information, wherever a '/', '?'
  // or '#' sits: a password with an unencoded '/' must not leak either.
  const auto at = text.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  const auto scheme_end = text.find("://");
  const std::size_t start =
      scheme_end != std::string_view::npos && scheme_end < at ? scheme_end + 3 : 0;
  return std::string(text.substr(0, start)) + "***" + std::string(text.substr(at));
}

}  // namespace netcheck
