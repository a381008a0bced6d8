// The cells of the text report's table, judged once by the diagnosis: what
// each layer of each address showed, and what its row's RESULT says.
#pragma once

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

// Fills the DNS cell and the proxy row of every target, and the TCP, TLS,
// HTTP and RESULT cells of every address. `verdict.targets` are the
// diagnosis of `evidence.targets`, in the same order (their addresses too);
// run it once the statuses and causes are final.
void fill_table_cells(const Evidence& evidence, Verdict& verdict);

}  // namespace ssmreach
