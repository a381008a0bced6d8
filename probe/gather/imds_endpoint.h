// Where IMDS is, chosen the way the AWS SDKs (and so the SSM agent) choose
// it: an explicit endpoint, else the endpoint mode's address, IPv4
// 169.254.169.254 or IPv6 [fd00:ec2::254] (the Nitro IPv6 endpoint, which
// answers only when the instance's HttpProtocolIpv6 is enabled).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "probe/util/environment.h"

namespace ssmreach {

inline constexpr const char* kImdsIpv4Endpoint = "http://169.254.169.254";
inline constexpr const char* kImdsIpv6Endpoint = "http://[fd00:ec2::254]";

// A variable of the SSM agent's own environment (the Environment= lines of
// its systemd unit and drop-ins) and the file that sets it.
struct AgentVariable {
  std::string value;
  std::string file;
};
using AgentEnv = std::function<std::optional<AgentVariable>(const char* name)>;

struct ImdsEndpointChoice {
  std::string endpoint = kImdsIpv4Endpoint;  // no trailing slash
  // "--imds-endpoint", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
  // "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (/etc/systemd/system/...conf)";
  // empty for the default.
  std::string source{};
  // A setting that could not be used, in plain words (never a value that
  // could be a secret: modes are short words).
  std::string note{};
};

// --imds-endpoint; else this shell's AWS_EC2_METADATA_SERVICE_ENDPOINT,
// then AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE (IPv4 or IPv6, any case);
// else the same two in the agent's own environment (it reads IMDS with the
// SDK's client, which takes them from its process environment); else
// 169.254.169.254. A mode other than IPv4 or IPv6 is ignored with a note:
// the SDK refuses it.
ImdsEndpointChoice choose_imds_endpoint(const std::optional<std::string>& flag, const GetEnv& env,
                                        const AgentEnv& agent_env);

}  // namespace ssmreach
