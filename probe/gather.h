// Runs the plan's DNS -> TCP -> TLS chains on the event loop, filling evidence.
#pragma once

#include <vector>

#include "netcheck/clock.h"
#include "netcheck/dns.h"
#include "netcheck/event_loop.h"
#include "netcheck/tls.h"
#include "probe/evidence.h"

namespace ssmreach {

struct GatherSettings {
  netcheck::Duration step_timeout{};           // each of DNS, TCP, TLS
  std::vector<netcheck::DnsServer> resolvers;  // empty: no DNS possible
  const netcheck::TlsClientContext* tls = nullptr;
  // A name that answers with hundreds of addresses must not open hundreds of
  // sockets; the rest are listed in the evidence, not probed.
  std::size_t max_addresses_per_target = 16;
};

// Adds every target's first task to `loop`. `out` is resized to one entry per
// target and must outlive the loop's run; follow-up tasks (TCP per address,
// TLS per connected socket) are added as answers arrive.
void start_targets(netcheck::EventLoop& loop, const std::vector<Target>& targets,
                   const GatherSettings& settings, std::vector<TargetEvidence>* out);

// Asks `vpc_resolvers` for every target name that was looked up in DNS, into
// TargetEvidence::vpc_dns. Call after start_targets; `out` as there.
void start_vpc_dns(netcheck::EventLoop& loop, const std::vector<netcheck::DnsServer>& vpc_resolvers,
                   netcheck::Duration timeout, std::vector<TargetEvidence>* out);

}  // namespace ssmreach
