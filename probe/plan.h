// The plan: which targets this run checks, derived from options and region.
#pragma once

#include <string>
#include <vector>

#include "probe/agent_config.h"
#include "probe/options.h"
#include "probe/target.h"

namespace ssmreach {

// One target per service (options.services or the defaults), in that order.
// The agent's three services are required; the extras are optional. Hosts:
// --endpoint, else the agent config's Endpoint for the service, else the
// default name (the agent config's ServiceDomain, else the partition's).
std::vector<Target> plan_targets(const Options& options, const std::string& region,
                                 const AgentConfig& agent = {});

}  // namespace ssmreach
