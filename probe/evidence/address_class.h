// Where an address lives, as far as reaching an endpoint is concerned.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "netcheck/endpoint.h"

namespace ssmreach {

// "vpc" (inside one of `vpc_cidrs`), "private" (RFC 1918, RFC 6598, ULA),
// "public", "loopback", "link-local", "nat64" (64:ff9b::/96 and 64:ff9b:1::/48:
// DNS64 answers, reachable only through NAT64). `vpc_cidrs` like
// "10.40.0.0/16" or "2600:1f14:abc::/56"; malformed entries are ignored. An
// address that is not a numeric IP at all is "unknown".
std::string classify_address(const netcheck::IpAddress& ip,
                             const std::vector<std::string>& vpc_cidrs);

// The VPC's CIDR blocks from IMDS facts (keys below /latest/):
// "meta-data/network/interfaces/macs/<mac>/vpc-ipv4-cidr-blocks" and
// ".../vpc-ipv6-cidr-blocks", newline separated. Deduplicated, in key order.
std::vector<std::string> vpc_cidrs_from_facts(const std::map<std::string, std::string>& facts);

// Host and port of an http(s) base URL such as IMDS's:
// "http://169.254.169.254" -> {"169.254.169.254", 80},
// "http://[fd00:ec2::254]:8080/" -> {"fd00:ec2::254", 8080}.
netcheck::HostPort url_host_port(const std::string& url);

}  // namespace ssmreach
