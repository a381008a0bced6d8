// The names an endpoint has: standard or dual-stack, and FIPS where
// Systems Manager has FIPS endpoints; which of them this run checks, and why.
//
// Sources:
// - the partitions' DNS suffixes: the AWS SDKs' partitions.json (dnsSuffix,
//   dualStackDnsSuffix of aws, aws-cn, aws-us-gov, aws-eusc, aws-iso,
//   aws-iso-b, aws-iso-e, aws-iso-f);
// - FIPS: the AWS SDK endpoint model lists ssm-fips.REGION.amazonaws.com in
//   us-east-1, us-east-2, us-west-1, us-west-2, ca-central-1 and ca-west-1,
//   and names the GovCloud (US) endpoints themselves as FIPS
//   (ssm.us-gov-west-1.amazonaws.com); the Systems Manager User Guide
//   ("Configuring SSM Agent for use with FIPS") gives the agent the
//   ec2messages-fips, ssm-fips, ssmmessages-fips, s3-fips.dualstack and
//   kms-fips names through its config's Endpoint overrides;
// - the agent: its own endpoint helper builds SERVICE.REGION.DOMAIN
//   (common/identity/endpoint/endpoint.go) and hands that name to the SDK
//   as the endpoint (agent/sdkutil/awsconfig.go), so the SDK's
//   AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT do not change it;
//   from 3.3.3270.0 its config key Agent.UseDualStackEndpoint does (its
//   release notes; amazon-ecs-agent writes the key, a JSON bool, for
//   IPv6-only tasks and before it existed wrote the same names itself:
//   SERVICE.REGION.api.aws, api.amazonwebservices.com.cn in China,
//   api.amazonwebservices.eu in the European Sovereign Cloud). The agent
//   source read here predates the key, so the dual-stack suffixes are the
//   SDK partitions' dualStackDnsSuffix.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/evidence/agent_facts.h"
#include "probe/evidence/endpoint_naming.h"
#include "probe/util/environment.h"

namespace ssmreach {

// --dualstack[=false] and --fips[=false]; nullopt when not given.
struct NamingFlags {
  std::optional<bool> dualstack{};
  std::optional<bool> fips{};
};

// The naming this run checks. Dual-stack: --dualstack, else the agent
// config's Agent.UseDualStackEndpoint (what the agent itself uses), else
// this shell's AWS_USE_DUALSTACK_ENDPOINT. FIPS: --fips, else this shell's
// AWS_USE_FIPS_ENDPOINT (the agent has no such key: FIPS reaches it only as
// Endpoint overrides, which win anyway). Values other than true or false
// (any case) are ignored with a note, as are variables the agent's own
// setting overrides.
EndpointNaming choose_endpoint_naming(const NamingFlags& flags, const AgentConfig& agent,
                                      const GetEnv& env);

// The partition's dual-stack DNS suffix: api.aws (aws, aws-us-gov),
// api.amazonwebservices.com.cn (cn-*), api.amazonwebservices.eu (eusc-*),
// api.aws.ic.gov, api.aws.scloud, api.cloud-aws.adc-e.uk, api.aws.hci.ic.gov
// (the ISO partitions).
std::string dualstack_suffix(std::string_view region);

// Where Systems Manager has FIPS endpoints.
enum class FipsEndpoints {
  none,      // no FIPS endpoint in this region
  own_name,  // SVC-fips.REGION...: the US and Canada regions
  standard,  // the standard names are FIPS endpoints: AWS GovCloud (US)
};
FipsEndpoints fips_endpoints(std::string_view region);

// "us-east-1, us-east-2, us-west-1, us-west-2, ca-central-1 and ca-west-1".
std::string fips_regions_text();

// The name a service gets under `naming` in `region`: SERVICE[-fips].REGION.
// SUFFIX, with the agent config's Agent.ServiceDomain as SUFFIX when set
// (the agent uses it as written), else the partition's standard or
// dual-stack suffix. S3 keeps its own dual-stack form
// (s3[-fips].dualstack.REGION.amazonaws.com). FIPS only where
// fips_endpoints() says the names exist: elsewhere the standard name.
std::string endpoint_name(std::string_view service, std::string_view region,
                          const EndpointNaming& naming, const AgentConfig& config);

// "SVC.eu-west-1.api.aws", the pattern of the default names, for reports.
std::string endpoint_name_pattern(std::string_view region, const EndpointNaming& naming,
                                  const AgentConfig& config);

// A name of the FIPS form (a first label ending in "-fips").
bool is_fips_name(std::string_view host);

// A name under one of the partitions' dual-stack suffixes (or S3's
// ".dualstack." form).
bool is_dualstack_name(std::string_view host);

}  // namespace ssmreach
