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
#include "probe/evidence/agent_facts.h"

namespace ssmreach {

// One value from an agent file, and where it was written.

// An endpoint override from the agent config, ready to use like
// `--endpoint SERVICE=HOST:PORT`.

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

// A hybrid (on-premises) registration, from the file `amazon-ssm-agent
// -register` writes: {"ManagedInstanceID":"mi-...","Region":"..."}.

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
