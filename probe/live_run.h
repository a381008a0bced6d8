// A live run's evidence, gathered in the order the SSM agent needs things:
// the host (agent files, IMDS settings), the boot wait, the region, IMDS,
// then every target's path, all on one event loop under one deadline.
// Diagnosis and reports come after, from the returned Evidence alone.
#pragma once

#include "netcheck/clock.h"
#include "probe/evidence/evidence.h"
#include "probe/options.h"
#include "probe/util/environment.h"

namespace ssmreach {

// Always evidence: what cannot be checked (a trust store that cannot be
// used, no region) is part of it. `started` is when the run began
// (elapsed_ms and the deadline count from it).
Evidence gather_live_evidence(const Options& options, const GetEnv& env,
                              netcheck::TimePoint started);

}  // namespace ssmreach
