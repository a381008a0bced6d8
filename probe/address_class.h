// Where an address lives, as far as reaching an endpoint is concerned.
#pragma once

#include <string>
#include <vector>

#include "netcheck/endpoint.h"

namespace ssmreach {

// "vpc" (inside one of `vpc_cidrs`), "private" (RFC 1918, RFC 6598, ULA),
// "public", "loopback", "link-local". `vpc_cidrs` like "10.40.0.0/16".
std::string classify_address(const netcheck::IpAddress& ip,
                             const std::vector<std::string>& vpc_cidrs);

}  // namespace ssmreach
