// --watch S: the checks again every S seconds, printing only what changed,
// until Ctrl-C or SIGTERM; then a summary with the failures per address,
// flapping ones named.
#pragma once

#include "probe/options.h"

namespace ssmreach {

// Runs until a signal (or stdout closes) and returns the exit status: the
// worst result of any run (a flapping failure is not hidden by a good last
// run), 3 when the checks cannot run at all. A signal during a run lets that
// run finish (within its --deadline); a second one ends the program at once.
int run_watch(const Options& options);

}  // namespace ssmreach
