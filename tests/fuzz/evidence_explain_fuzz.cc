// `ssm-reach explain FILE` on any file: the evidence reader, then the
// diagnosis and every report (text at two widths, JSON, boot summary) on
// whatever it accepts. Evidence files travel by e-mail and serial console
// and may be hand-edited: nothing in them is trusted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/diagnosis.h"
#include "probe/evidence_file.h"
#include "probe/report.h"
#include "probe/report_boot.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  std::string error;
  auto evidence = evidence_from_json(fuzz::as_text(data, size), &error);
  if (!evidence) {
    fuzz::require(!error.empty(), "a refused evidence file says why");
    return 0;
  }
  const Verdict verdict = diagnose(*evidence);
  (void)render_text(*evidence, verdict, TextStyle{false, 80}, "fuzz.evidence.json");
  (void)render_text(*evidence, verdict, TextStyle{true, 40});
  (void)render_json(*evidence, verdict);
  (void)render_boot_summary(verdict, "/var/log/ssm-reach.json");
  // What the reader accepted, written again, is read again (save, then
  // explain, on a support engineer's laptop).
  std::string again_error;
  fuzz::require(evidence_from_json(evidence_to_json(*evidence), &again_error).has_value(),
                "evidence_to_json output is accepted by evidence_from_json");
  return 0;
}
