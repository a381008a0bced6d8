#include "probe/diagnose/naming_diagnosis.h"

#include <algorithm>

#include "probe/plan/endpoint_names.h"
#include "probe/plan/services.h"

namespace ssmreach::diagnosis_detail {
namespace {

std::string config_file(const AgentConfig& config) {
  return config.file.empty() ? "/etc/amazon/ssm/amazon-ssm-agent.json" : config.file;
}

// The agent config points a required service at a FIPS name itself.
bool agent_has_fips_overrides(const AgentConfig& config) {
  return std::any_of(config.endpoints.begin(), config.endpoints.end(), [](const auto& entry) {
    return is_default_service(entry.first) && is_fips_name(entry.second.host_port.host);
  });
}

// FIPS asked for: where the names exist, where the standard ones are FIPS,
// and where there are none. True when there are none.
bool weigh_fips(const RunContext& context, std::vector<std::string>& notes) {
  const NamingChoice& fips = context.naming.fips;
  if (!fips.on) return false;
  const std::string& region = context.region.value;
  switch (fips_endpoints(region)) {
    case FipsEndpoints::standard:
      notes.push_back("Endpoint names: FIPS (" + fips.source + "): in AWS GovCloud (US) the " +
                      "standard endpoints are the FIPS endpoints, so the standard names were "
                      "checked.");
      return false;
    case FipsEndpoints::none:
      notes.push_back(
          "Endpoint names: FIPS endpoints were asked for (" + fips.source +
          "), but Systems Manager has none in " + region + " (only in " + fips_regions_text() +
          ", and AWS GovCloud (US), whose standard endpoints are FIPS): the standard names were "
          "checked instead, and an agent pointed at SVC-fips." +
          region + " names cannot connect. Use a region with FIPS endpoints, or drop the FIPS " +
          "requirement (" +
          (fips.source == "--fips" ? "run without --fips" : "unset " + fips.source) + ").");
      return true;
    case FipsEndpoints::own_name:
      if (!agent_has_fips_overrides(context.agent.config))
        notes.push_back("Endpoint names: FIPS (" + fips.source +
                        "). The agent itself uses FIPS endpoints only when its config names "
                        "them (Ssm, Mgs and Mds Endpoint in " +
                        config_file(context.agent.config) +
                        ", as the Systems Manager User Guide describes); AWS_USE_FIPS_ENDPOINT "
                        "does not change the names it builds.");
      return false;
  }
  return false;
}

// Dual-stack names: an agent too old for the key, and names asked for by
// a variable the agent does not read. True when the agent ignores its key.
bool weigh_dualstack(const RunContext& context, std::vector<std::string>& notes) {
  const NamingChoice& dualstack = context.naming.dualstack;
  const AgentConfig& config = context.agent.config;
  const AgentVersion& version = context.agent.version;
  if (!dualstack.on) return false;
  if (config.service_domain)
    notes.push_back("Endpoint names: dual-stack (" + dualstack.source +
                    "), but Agent.ServiceDomain (" + config.service_domain->value +
                    ") is set: the names use that domain as written.");
  const bool from_agent =
      config.use_dualstack && dualstack.source == config.use_dualstack->source();
  if (from_agent && version.known() && !at_least(version, kAgentDualStackVersion)) {
    notes.push_back(
        "Endpoint names: Agent.UseDualStackEndpoint is true, but this agent (" + version.version +
        ", from " + version.source + ") is older than " + std::string(kAgentDualStackVersion) +
        ", which introduced it: the agent ignores the key and uses the IPv4-only "
        "names (SVC.REGION." +
        (context.partition_suffix.empty() ? "amazonaws.com" : context.partition_suffix) +
        "), which this run did not check. Update the agent, or run "
        "ssm-reach --dualstack=false to check the names it uses now.");
    return true;
  }
  if (!from_agent && !(config.use_dualstack && config.use_dualstack->value == "true"))
    notes.push_back("Endpoint names: dual-stack (" + dualstack.source +
                    "). The agent uses them only with \"Agent\": {\"UseDualStackEndpoint\": "
                    "true} in " +
                    config_file(config) + " (SSM Agent " + std::string(kAgentDualStackVersion) +
                    " or later).");
  return false;
}

}  // namespace

bool weigh_naming(const Evidence& evidence, std::vector<std::string>& notes) {
  const RunContext& context = evidence.context;
  for (const auto& note : context.naming.notes) notes.push_back("Endpoint names: " + note);
  if (context.region.empty() || evidence.targets.empty()) return false;
  const bool fips_missing = weigh_fips(context, notes);
  const bool dualstack_ignored = weigh_dualstack(context, notes);
  return fips_missing || dualstack_ignored;
}

}  // namespace ssmreach::diagnosis_detail
