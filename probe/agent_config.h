// What the SSM agent itself is configured to use: its amazon-ssm-agent.json
// (region, endpoint overrides, service domain) and a hybrid (on-premises)
// registration. Reading only; nothing here touches the network.
//
// Format facts come from the agent's public source, aws/amazon-ssm-agent:
//   agent/appconfig/contracts.go   sections Agent, Ssm, Mgs, Mds, S3, Kms and
//                                  their fields (Agent.Region,
//                                  Agent.ServiceDomain, Ssm.Endpoint, ...)
//   agent/appconfig/constants_unix.go   AppConfigPath, /etc/amazon/ssm/
//   agent/appconfig/appconfig.go   the file is read with encoding/json
//   common/identity/endpoint/endpoint.go   SERVICE.REGION.ServiceDomain
//   core/agent.go, core/agent_parser.go    the registration file
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netcheck/endpoint.h"

namespace ssmreach {

// One value from an agent file, and where it was written.
struct AgentSetting {
  std::string value;  // as written, surrounding blanks trimmed
  std::string key;    // "Agent.Region", "Mgs.Endpoint", "ManagedInstanceID"
  std::string file;   // "/etc/amazon/ssm/amazon-ssm-agent.json"
  // For the report's "source" column: "/etc/amazon/ssm/amazon-ssm-agent.json (Agent.Region)".
  std::string source() const { return file + " (" + key + ")"; }
};

// An endpoint override from the agent config, ready to use like
// `--endpoint SERVICE=HOST:PORT`.
struct AgentEndpoint {
  std::string service;  // ssm-reach's name: "ssm", "ssmmessages", "ec2messages", "s3", "kms"
  AgentSetting setting;
  netcheck::HostPort host_port;  // port 443 unless the value names one
};

struct AgentConfig {
  // The config file the agent reads (the first of the paths that exists),
  // even when it could not be used; empty when none exists.
  std::string file;
  std::optional<AgentSetting> region;              // Agent.Region
  std::optional<AgentSetting> service_domain;      // Agent.ServiceDomain, "amazonaws.com.cn"
  std::optional<AgentSetting> mgs_region;          // Mgs.Region (region for ssmmessages only)
  std::map<std::string, AgentEndpoint> endpoints;  // keyed by service
  // Each names the file and the problem. A file the agent cannot load
  // (invalid JSON, wrong types) contributes no settings at all.
  std::vector<std::string> warnings;
};

// Where the agent looks on Linux: /etc/amazon/ssm/amazon-ssm-agent.json, also
// for the snap install (see agent_config.cc for why there is no snap path).
std::vector<std::string> default_agent_config_paths();

// Reads the first existing file of `paths`. Never throws; a missing file is
// not a warning, anything else that stops the read is.
AgentConfig read_agent_config(const std::vector<std::string>& paths);

// "host", "host:port", "https://host[:port][/path]", "wss://..." -> host and
// port (443 by default). nullopt with `error` set for anything else.
std::optional<netcheck::HostPort> parse_agent_endpoint(std::string_view value,
                                                       std::string* error = nullptr);

// The name the agent builds when no endpoint override is set:
// SERVICE.REGION.SUFFIX, where SUFFIX is Agent.ServiceDomain when set and the
// region's partition suffix otherwise.
std::string agent_default_host(std::string_view service, std::string_view region,
                               const AgentConfig& config);

// A hybrid (on-premises) registration, from the file `amazon-ssm-agent
// -register` writes: {"ManagedInstanceID":"mi-...","Region":"..."}.
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

std::string default_registration_path();  // /var/lib/amazon/ssm/registration
AgentRegistration read_registration(const std::string& path);

// Bounded file reading, shared with agent_version.cc. Only regular files are
// read; a FIFO or device never blocks or streams forever.
struct FileRead {
  enum class Status { ok, missing, failed };
  Status status = Status::missing;
  std::string text;
  std::string error;  // "Permission denied", "is a directory", "is larger than 1 MiB"
};
// Reads the whole file, failing when it is larger than `max_bytes`; with
// `tail`, reads only its last `max_bytes` instead.
FileRead read_text_file(const std::string& path, std::size_t max_bytes, bool tail = false);

inline constexpr std::size_t kMaxAgentFileBytes = std::size_t{1} << 20;  // 1 MiB

// File contents quoted in a warning end up on someone's terminal: one line of
// printable ASCII (anything else becomes '?'), cut after `max` characters.
std::string printable_excerpt(std::string_view text, std::size_t max = 80);

}  // namespace ssmreach
