// `ssm-reach fleet` on any input: the documents cut out of the stream (in
// pieces of two sizes, as a pipe delivers them), each parsed, its console
// text's boot lines read, and both fleet reports rendered. Console output
// is whatever an instance wrote to its serial port: nothing in it is
// trusted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "probe/fleet/fleet.h"
#include "probe/fleet/fleet_report.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const std::string_view input = fuzz::as_text(data, size);
  for (std::size_t piece : {std::size_t{1} << 16, std::size_t{7}}) {
    ConsoleOutputReader reader;
    std::string error;
    bool ok = true;
    for (std::size_t i = 0; ok && i < input.size(); i += piece)
      ok = reader.feed(input.substr(i, piece), &error);
    if (ok) ok = reader.finish(&error);
    (void)render_fleet_text(reader.verdicts());
    (void)render_fleet_json(reader.verdicts());
  }
  // The same bytes as one console's text, without the JSON around it.
  const auto verdict = instance_verdict("i-0", "", input);
  (void)render_fleet_text({verdict});
  return 0;
}
