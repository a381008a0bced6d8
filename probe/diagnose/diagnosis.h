// Evidence -> verdict. A pure function: no I/O, no clock, no environment.
#pragma once

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

Verdict diagnose(const Evidence& evidence);

}  // namespace ssmreach
