// IMDS's requests summed up once, for the diagnosis and every renderer.
#pragma once

#include <string>
#include <vector>

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

// What IMDS's calls show: whether and how it answered, its address and
// class (against `vpc_cidrs`), and the table's TCP and HTTP cells.
ImdsSummary summarize_imds(const ImdsEvidence& imds, const std::vector<std::string>& vpc_cidrs);

}  // namespace ssmreach
