// IPv6-only instances and DNS64: whether this instance reaches anything over
// IPv6, and the words of the causes that come from an address family it
// cannot use. Internal to diagnose() (see diagnosis.cc).
#pragma once

#include <string>

#include "probe/diagnose/cause_text.h"
#include "probe/evidence/evidence.h"

namespace ssmreach::diagnosis_detail {

// Something answered over IPv6 in this run: TCP to an endpoint's IPv6
// address, IMDS at an IPv6 endpoint, or an IPv6 resolver.
bool ipv6_answered(const Evidence& evidence);

// The same over IPv4: TCP to an IPv4 address, or an IPv4 resolver's answer
// (IMDS at 169.254.169.254 is link-local: it proves no IPv4 route).
bool ipv4_answered(const Evidence& evidence);

// dns.ipv4-only-answer: the name has only IPv4 addresses, none of them is
// routed from this instance (`failure`), and IPv6 works. What to change
// depends on where the name comes from: the agent's IPv4-only default
// names (Agent.UseDualStackEndpoint), an override, or an interface endpoint
// whose IP address type is IPv4.
CauseText ipv4_only_answer_text(const TargetContext& ctx, const std::string& failure);

// dns.public-answer for DNS64 answers: NAT64 addresses (64:ff9b::/96) that
// go nowhere (`failure`): no route to a NAT gateway for the prefix.
CauseText nat64_answer_text(const TargetContext& ctx, const std::string& failure);

// Why a NAT64 address does not answer, and the route that fixes it, for
// the TCP texts.
std::string nat64_why(const std::string& tcp_port);
std::string nat64_route_remedy(const TargetContext& ctx);

}  // namespace ssmreach::diagnosis_detail
