// Proxy URLs from HTTPS_PROXY/https_proxy/HTTP_PROXY/http_proxy, the agent's
// unit files or --proxy: parsed as Go's net/http reads them, then turned back
// into the URL given to libcurl and the one printed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "netcheck/proxy_url.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto text = fuzz::as_text(data, size);
  (void)netcheck::redact_url_credentials(text);
  std::string error;
  const auto url = netcheck::parse_proxy_url(text, &error);
  if (!url) {
    fuzz::require(!error.empty(), "a refused proxy URL says why");
    return 0;
  }
  fuzz::require(url->scheme == "http" || url->scheme == "https", "scheme is http or https");
  fuzz::require(url->port != 0, "a parsed proxy URL has a port");
  const std::string redacted = url->redacted();
  // What libcurl is given names the same proxy.
  std::string again_error;
  const auto again = netcheck::parse_proxy_url(url->for_curl(), &again_error);
  fuzz::require(again.has_value(), "for_curl() parses again");
  fuzz::require(again->host == url->host && again->port == url->port &&
                    again->scheme == url->scheme && again->user == url->user &&
                    again->password == url->password,
                "for_curl() names the same proxy and credentials");
  fuzz::require(again->redacted() == redacted, "redacted() is stable");
  return 0;
}
