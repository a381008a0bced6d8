// The plan: which targets this run checks, derived from options and region.
#pragma once

#include <string>
#include <vector>

#include "probe/options.h"
#include "probe/target.h"

namespace ssmreach {

// One target per service (options.services or the defaults), in that order.
// The agent's three services are required; the extras are optional.
std::vector<Target> plan_targets(const Options& options, const std::string& region);

}  // namespace ssmreach
