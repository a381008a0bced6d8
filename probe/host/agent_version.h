// Which SSM agent version is installed, found without the network.
//
// It decides whether ec2messages is required: from 3.3.40.0 the agent takes
// commands through ssmmessages when it can and switches ec2messages off
// (aws/amazon-ssm-agent RELEASENOTES.md, 3.3.40.0: "Update Messaging module to
// switch off ec2messages when ssmmessages connected successfully").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/evidence/agent_facts.h"

namespace ssmreach {

// Where to look, in order. Defaults are the real locations; tests point them
// at fixtures. An empty path skips that source.
struct AgentVersionSources {
  std::string dpkg_status = "/var/lib/dpkg/status";
  std::string snap_yaml = "/snap/amazon-ssm-agent/current/meta/snap.yaml";
  std::string agent_log = "/var/log/amazon/ssm/amazon-ssm-agent.log";
  // Last resort, run with -version: the first that is an executable regular
  // file. deb and rpm install /usr/bin/amazon-ssm-agent, the snap its own copy.
  std::vector<std::string> agent_binaries = {"/usr/bin/amazon-ssm-agent",
                                             "/snap/amazon-ssm-agent/current/amazon-ssm-agent"};
  double exec_timeout_s = 2.0;
};

// Tries dpkg, snap, the agent's log, then the binary. Never throws.
AgentVersion detect_agent_version(const AgentVersionSources& sources = {});

// The single sources, each returning the version string it found.
std::optional<std::string> agent_version_from_dpkg(const std::string& status_file,
                                                   std::string* note);
std::optional<std::string> agent_version_from_snap(const std::string& snap_yaml, std::string* note);
std::optional<std::string> agent_version_from_log(const std::string& log_file, std::string* note);
std::optional<std::string> agent_version_from_binary(const std::string& binary, double timeout_s,
                                                     std::string* note);

// "3.3.40.0" -> {3, 3, 40, 0}; leading "v" allowed; nullopt unless the text
// is dot-separated decimal numbers.

// Numeric per component, missing components count as 0 ("3.3" == "3.3.0.0").

// False when the version is unknown or `minimum` does not parse.

}  // namespace ssmreach
