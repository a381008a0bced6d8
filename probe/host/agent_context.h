// Reads what the SSM agent on this host will use (config, registration,
// version), from the usual paths or below a root folder.
#pragma once

#include <string>

#include "probe/evidence/evidence.h"
#include "probe/host/agent_version.h"
#include "probe/util/environment.h"

namespace ssmreach {

// Where the agent's files are: the usual paths, each below `root` when one
// is given (SSM_REACH_AGENT_ROOT: the lab uses it, and it reads the files of
// a root volume mounted elsewhere). An empty `config_file` keeps the default.
struct AgentPaths {
  std::string config;
  std::string registration;
  AgentVersionSources version;
};
AgentPaths agent_paths(const std::string& root, const std::string& config_file);

// The config and the registration (small files, read now).
AgentEvidence read_agent_files(const AgentPaths& paths);

// The region the agent itself would use when no flag or environment variable
// names one: Agent.Region, else a hybrid registration's region. Empty: none.
Sourced agent_region(const AgentEvidence& agent);

}  // namespace ssmreach
