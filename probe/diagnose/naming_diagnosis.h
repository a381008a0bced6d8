// The endpoint names a run checked, weighed: FIPS asked for where Systems
// Manager has none, dual-stack names an older agent ignores, and names that
// came from somewhere the agent does not look. Internal to diagnose().
#pragma once

#include <string>
#include <vector>

#include "probe/evidence/evidence.h"

namespace ssmreach::diagnosis_detail {

// Adds the notes; true when the run could not check the names the agent
// uses (or asked for names that do not exist): a risky setting, so the run
// is at least a warning.
bool weigh_naming(const Evidence& evidence, std::vector<std::string>& notes);

}  // namespace ssmreach::diagnosis_detail
