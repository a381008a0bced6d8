// The SSM agent's amazon-ssm-agent.json, read from a file as the run reads
// it (size bound, BOM, JSON, the fields' types, endpoint overrides), then the
// endpoint host names built from what it accepted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/host/agent_config.h"
#include "probe/plan/plan.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto text = fuzz::as_text(data, size);
  const auto& scratch = fuzz::ScratchDir::get();
  const std::string path = scratch.write("amazon-ssm-agent.json", text);
  const AgentConfig config = read_agent_config({scratch.path() + "/absent.json", path});
  fuzz::require(config.file == path, "the first existing file is the one read");
  for (const auto& [service, endpoint] : config.endpoints) {
    fuzz::require(endpoint.host_port.port != 0, "an endpoint override has a port");
    (void)endpoint.setting.source();
  }
  for (const char* service : {"ssm", "ssmmessages", "ec2messages"}) {
    (void)agent_default_host(service, config.region ? config.region->value : "eu-west-1", config);
  }
  // The endpoint syntax on its own, for values the JSON layer would not let through.
  std::string error;
  if (!parse_agent_endpoint(text, &error))
    fuzz::require(!error.empty(), "a refused endpoint says why");
  (void)printable_excerpt(text);
  return 0;
}
