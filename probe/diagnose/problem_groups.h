// Findings by root cause: targets that fail for the same cause and take the
// same remedy, up to their own service names and addresses, are one finding
// (one dead resolver breaks all three names; at 80x24 on a serial console,
// three near-identical blocks push the table off the screen). The JSON keeps
// one finding per target: this is for the text report.
#pragma once

#include <string>
#include <vector>

#include "probe/diagnose/verdict.h"

namespace ssmreach {

// Sets each target's problem_key: equal for targets with the same status,
// cause and remedy up to service names and addresses (the first such
// target's status, cause and remedy, names and addresses marked); "" for a
// target without a finding (ok, skipped).
void assign_problem_keys(std::vector<TargetVerdict>& targets);

// The findings, one per key (IMDS's of its own), the most severe first and
// otherwise IMDS, then the targets, in order. Reads each target's
// problem_key.
std::vector<Problem> group_problems(const Verdict& verdict);

// "3 of 3 services blocked: no interface endpoints and no NAT": the first
// finding in a few words, and how many follow; "" when there is none.
std::string summary_line(const Verdict& verdict);

}  // namespace ssmreach
