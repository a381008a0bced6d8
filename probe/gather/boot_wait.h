// Boot mode (--boot): before checking, wait a bounded time for the network
// and IMDS to come up, as a unit started early in boot must.
#pragma once

#include <string>
#include <string_view>

#include "netcheck/clock.h"
#include "probe/gather/imds.h"

namespace ssmreach {

struct BootWaitResult {
  bool network_up = false;
  bool imds_answered = false;  // the IMDSv2 token PUT got an HTTP answer
  bool gave_up = false;        // the bound was reached first
  double waited_s = 0;
  std::string waiting_for;  // what was still missing: "the network", "IMDS"
};

// /proc/net/route text: true when it holds an up default route (destination
// and mask 0).
bool has_default_route(std::string_view proc_net_route);

// An up default route, or any address other than loopback (and IPv6
// link-local, which exists before DHCP has answered) on an up interface.
bool network_is_up();

// Waits until the network is up and (when `imds.enabled`) the IMDS token
// PUT answers, retrying every second, for at most `bound`; then returns,
// ready or not. The token itself is never buffered.
BootWaitResult wait_for_boot(const ImdsSettings& imds, netcheck::Duration bound);

// One line for the console: "ready after 0.4 s" or why it gave up.
std::string describe(const BootWaitResult& result, double bound_s);

}  // namespace ssmreach
