// Evidence -> verdict. A pure function: no I/O, no clock, no environment.
#pragma once

#include "probe/evidence.h"
#include "probe/verdict.h"

namespace ssmreach {

Verdict diagnose(const Evidence& evidence);

}  // namespace ssmreach
