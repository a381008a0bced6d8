// What is known about the SSM agent on this host: its configuration, its
// hybrid registration and its version, as plain data (host/ reads them).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netcheck/endpoint.h"

namespace ssmreach {

// From 3.3.40.0 the agent takes commands through ssmmessages when it can
// and switches ec2messages off (aws/amazon-ssm-agent RELEASENOTES.md).
inline constexpr std::string_view kAgentMessagesFallbackVersion = "3.3.40.0";
// Agent.UseDualStackEndpoint came with 3.3.3270.0 (RELEASENOTES.md: "initial
// IPv6 support with UseDualStackEndpoint configuration option"); older
// agents ignore the key and keep the IPv4-only names.
inline constexpr std::string_view kAgentDualStackVersion = "3.3.3270.0";

struct AgentSetting {
  std::string value;  // as written, surrounding blanks trimmed
  std::string key;    // "Agent.Region", "Mgs.Endpoint", "ManagedInstanceID"
  std::string file;   // "/etc/amazon/ssm/amazon-ssm-agent.json"
  // For the report's "source" column: "/etc/amazon/ssm/amazon-ssm-agent.json (Agent.Region)".
  std::string source() const { return file + " (" + key + ")"; }
};

struct AgentEndpoint {
  std::string service;  // ssm-reach's name: "ssm", "ssmmessages", "ec2messages", "s3", "kms"
  AgentSetting setting;
  netcheck::HostPort host_port;  // port 443 unless the value names one
};

struct AgentConfig {
  // The config file the agent reads (the first of the paths that exists),
  // even when it could not be used; empty when none exists.
  std::string file;
  std::optional<AgentSetting> region;          // Agent.Region
  std::optional<AgentSetting> service_domain;  // Agent.ServiceDomain, "amazonaws.com.cn"
  std::optional<AgentSetting> mgs_region;      // Mgs.Region (region for ssmmessages only)
  // Agent.UseDualStackEndpoint, a JSON boolean: value "true" or "false".
  std::optional<AgentSetting> use_dualstack{};
  std::map<std::string, AgentEndpoint> endpoints;  // keyed by service
  // Each names the file and the problem. A file the agent cannot load
  // (invalid JSON, wrong types) contributes no settings at all.
  std::vector<std::string> warnings;
};

struct AgentRegistration {
  std::string file;
  bool present = false;  // the file exists (even if unreadable)
  std::optional<AgentSetting> managed_instance_id;
  std::optional<AgentSetting> region;
  std::vector<std::string> warnings;
  // Registered as a managed instance: the agent takes its identity and region
  // from here, not from IMDS.
  bool hybrid() const {
    return managed_instance_id && managed_instance_id->value.starts_with("mi-");
  }
};

struct AgentVersion {
  std::string version;               // "3.3.40.0"; empty when unknown
  std::string source;                // "dpkg", "snap", "log", "exec"; empty when unknown
  std::string path;                  // the file read or the binary run
  std::vector<unsigned> components;  // {3, 3, 40, 0}
  // One line per source that did not answer, for the report:
  // "dpkg: /var/lib/dpkg/status lists no amazon-ssm-agent package".
  std::vector<std::string> notes;
  bool known() const { return !components.empty(); }
};

std::optional<std::vector<unsigned>> parse_version(std::string_view text);

int compare_versions(const std::vector<unsigned>& a, const std::vector<unsigned>& b);

bool at_least(const AgentVersion& version, std::string_view minimum);

}  // namespace ssmreach
