// The fleet's verdicts as a table for people and as JSON for programs.
#pragma once

#include <string>
#include <vector>

#include "probe/fleet/fleet_verdict.h"

namespace ssmreach {

// One line per instance, what needs attention first (critical, unknown,
// warning, incomplete, no boot check, ok): instance, time of the check
// (UTC), verdict, failing target ("+N" more), its layer and cause; then a
// count per verdict.
std::string render_fleet_text(std::vector<InstanceVerdict> instances);

// {"schema": "ssm-reach-fleet/v1", "instances": [...], "summary": {...},
// "exit_code": N}, instances in the table's order.
std::string render_fleet_json(std::vector<InstanceVerdict> instances);

// 2 when an instance is critical, 1 when one needs a look, else 0.
int fleet_exit_code(const std::vector<InstanceVerdict>& instances);

}  // namespace ssmreach
