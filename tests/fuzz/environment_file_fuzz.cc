// EnvironmentFile= files (systemd's env-file.c syntax): where the agent's
// proxy is often set, /etc/environment among them.
#include <cstddef>
#include <cstdint>

#include "probe/host/systemd_syntax.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto file = systemd::parse_environment_file(fuzz::as_text(data, size));
  for (const auto& variable : file.variables)
    fuzz::require(systemd::is_variable_name(variable.key), "a kept key is a variable name");
  return 0;
}
