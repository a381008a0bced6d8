// Each cause as a few words, for the text report's one-line summary ("3 of
// 3 services blocked: no interface endpoints and no NAT"); the headline and
// explanation say the rest.
#pragma once

#include "probe/diagnose/cause.h"

namespace ssmreach {

// Lower case, no final period.
const char* cause_title(Cause cause);

}  // namespace ssmreach
