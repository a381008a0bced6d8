// A live run's evidence, gathered in the order the SSM agent needs things:
// the host (agent files, IMDS settings), the boot wait, the region, IMDS,
// then every target's path, all on one event loop under one deadline.
// Diagnosis and reports come after, from the returned Evidence alone.
#pragma once

#include <optional>
#include <string>

#include "netcheck/clock.h"
#include "probe/evidence/evidence.h"
#include "probe/options.h"
#include "probe/util/environment.h"

namespace ssmreach {

// nullopt with `error` set when the checks cannot run at all (no TLS
// context can be made). `started` is when the run began (elapsed_ms and the
// deadline count from it).
std::optional<Evidence> gather_live_evidence(const Options& options, const GetEnv& env,
                                             netcheck::TimePoint started, std::string* error);

}  // namespace ssmreach
