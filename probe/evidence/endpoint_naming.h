// Which names a run gives the endpoints it checks by default (no override):
// IPv4-only or dual-stack, standard or FIPS, and who asked for each.
// plan/endpoint_names.h chooses them and builds the names.
#pragma once

#include <string>
#include <vector>

namespace ssmreach {

struct NamingChoice {
  bool on = false;
  // Who decided: "--dualstack", "AWS_USE_FIPS_ENDPOINT",
  // "/etc/amazon/ssm/amazon-ssm-agent.json (Agent.UseDualStackEndpoint)";
  // empty when nothing set it (off, the agent's default).
  std::string source{};
};

struct EndpointNaming {
  NamingChoice dualstack{};  // SVC.REGION.api.aws (the partition's dual-stack suffix)
  NamingChoice fips{};       // SVC-fips.REGION.amazonaws.com where FIPS endpoints exist
  // Settings seen but not used, and why: "AWS_USE_DUALSTACK_ENDPOINT='yes'
  // (this shell) is not true or false; ignored".
  std::vector<std::string> notes{};
};

}  // namespace ssmreach
