// systemd unit files and drop-ins (systemd.syntax(7)) and the words of
// Environment= values with their specifiers: the text layer of the agent
// service's environment.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/host/systemd_syntax.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto text = fuzz::as_text(data, size);
  const systemd::UnitText unit = systemd::parse_unit_text(text);
  if (unit.refused) fuzz::require(unit.assignments.empty(), "a refused unit has no assignments");
  for (const auto& assignment : unit.assignments) {
    const systemd::Words words = systemd::split_words(assignment.value);
    for (const auto& word : words.words) {
      const systemd::Specifiers resolved = systemd::resolve_specifiers(word);
      if (resolved.status == systemd::Specifiers::Status::ok) {
        const auto eq = resolved.text.find('=');
        if (eq != std::string::npos) (void)systemd::is_variable_name(resolved.text.substr(0, eq));
      }
    }
  }
  // The value syntaxes on their own, for what the line layer would not let through.
  (void)systemd::split_words(text);
  (void)systemd::resolve_specifiers(text);
  (void)systemd::is_valid_utf8(text);
  return 0;
}
