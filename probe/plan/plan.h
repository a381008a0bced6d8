// The plan: which targets this run checks, derived from the request and region.
#pragma once

#include <string>
#include <vector>

#include "netcheck/endpoint.h"
#include "probe/evidence/agent_facts.h"
#include "probe/evidence/endpoint_naming.h"
#include "probe/evidence/target.h"
#include "probe/plan/endpoint_names.h"

namespace ssmreach {

// SERVICE.REGION.DOMAIN, as the agent builds it: Agent.ServiceDomain when
// set, else the partition's suffix.
std::string agent_default_host(std::string_view service, std::string_view region,
                               const AgentConfig& config);

// --service and --endpoint, as far as planning is concerned.
struct EndpointOverride {
  std::string service;
  netcheck::HostPort endpoint;
};

struct PlanRequest {
  std::vector<std::string> services;  // empty: the defaults
  std::vector<EndpointOverride> endpoints;
  NamingFlags naming{};  // --dualstack, --fips
};

// One target per service (request.services or the defaults), in that order.
// The agent's three services are required; the extras are optional. Hosts:
// --endpoint, else the agent config's Endpoint for the service, else the
// default name under `naming` (endpoint_names.h: dual-stack, FIPS; the agent
// config's ServiceDomain, else the partition's suffix).
std::vector<Target> plan_targets(const PlanRequest& request, const std::string& region,
                                 const AgentConfig& agent = {}, const EndpointNaming& naming = {});

}  // namespace ssmreach
