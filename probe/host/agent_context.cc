#include "probe/host/agent_context.h"

#include "probe/host/agent_config.h"
#include "probe/plan/region.h"

namespace ssmreach {

AgentPaths agent_paths(const std::string& root, const std::string& config_file) {
  AgentPaths paths;
  const auto below = [&root](const std::string& path) { return path.empty() ? path : root + path; };
  paths.config = config_file.empty() ? below(default_agent_config_paths().front()) : config_file;
  paths.registration = below(default_registration_path());
  paths.version.dpkg_status = below(paths.version.dpkg_status);
  paths.version.snap_yaml = below(paths.version.snap_yaml);
  paths.version.agent_log = below(paths.version.agent_log);
  for (auto& binary : paths.version.agent_binaries) binary = below(binary);
  return paths;
}

AgentEvidence read_agent_files(const AgentPaths& paths) {
  AgentEvidence agent;
  agent.config = read_agent_config({paths.config});
  agent.registration = read_registration(paths.registration);
  return agent;
}

Sourced agent_region(const AgentEvidence& agent) {
  if (agent.config.region && is_valid_region_name(agent.config.region->value))
    return {agent.config.region->value, "agent-config"};
  const auto& registration = agent.registration;
  if (registration.hybrid() && registration.region &&
      is_valid_region_name(registration.region->value))
    return {registration.region->value, "agent-registration"};
  return {};
}

}  // namespace ssmreach
