// The sources of the installed agent's version: dpkg's status database, the
// snap's meta/snap.yaml and the tail of the agent's log, each read from a
// file as the run reads it; then the version comparisons that decide
// whether ec2messages is needed.
//
// Input: one text, given to each of the three sources.
#include <cstddef>
#include <cstdint>
#include <string>

#include "probe/host/agent_version.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

void check_version(const std::optional<std::string>& version) {
  using namespace ssmreach;
  if (!version) return;
  const auto parts = parse_version(*version);
  fuzz::require(parts.has_value(), "a version found parses");
  AgentVersion known;
  known.version = *version;
  known.components = *parts;
  (void)at_least(known, kAgentMessagesFallbackVersion);
  (void)compare_versions(*parts, {3, 3, 40, 0});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ssmreach;
  const auto text = fuzz::as_text(data, size);
  const std::string path = fuzz::ScratchDir::get().write("source", text);
  std::string note;
  check_version(agent_version_from_dpkg(path, &note));
  check_version(agent_version_from_snap(path, &note));
  check_version(agent_version_from_log(path, &note));
  (void)parse_version(text);
  return 0;
}
