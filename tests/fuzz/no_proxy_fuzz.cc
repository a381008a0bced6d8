// no_proxy/NO_PROXY values matched against the endpoints' hosts, with Go's
// httpproxy rules.
//
// Input: NO_PROXY @@@@ HOST @@@@ PORT (kPartSeparator lines).
#include <cstddef>
#include <cstdint>
#include <string>

#include "netcheck/no_proxy.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 3);
  const auto no_proxy = netcheck::NoProxy::parse(parts[0]);
  unsigned port = 0;
  for (char c : parts[2]) {
    if (c < '0' || c > '9' || port > 65535) break;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  const auto port16 = static_cast<std::uint16_t>(port);
  (void)no_proxy.match(parts[1], port16);
  (void)no_proxy.match("ssm.eu-west-1.amazonaws.com", 443);
  (void)no_proxy.match("169.254.169.254", 80);
  (void)no_proxy.match("fd00:ec2::254", 80);
  (void)no_proxy.excludes(parts[1], 443);
  return 0;
}
