// A hybrid (on-premises) registration file,
// /var/lib/amazon/ssm/registration, read from a file as the run reads it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/host/agent_config.h"
#include "probe/plan/region.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const std::string path = fuzz::ScratchDir::get().write("registration", fuzz::as_text(data, size));
  const AgentRegistration registration = read_registration(path);
  fuzz::require(registration.present, "an existing registration file is present");
  if (registration.region)
    fuzz::require(is_valid_region_name(registration.region->value),
                  "a kept region is a region name");
  (void)registration.hybrid();
  return 0;
}
