#include "probe/plan/plan.h"

#include "probe/plan/region.h"
#include "probe/plan/services.h"

namespace ssmreach {

std::string agent_default_host(std::string_view service, std::string_view region,
                               const AgentConfig& config) {
  // common/identity/endpoint/endpoint.go: SERVICE.REGION.DOMAIN with
  // Agent.ServiceDomain when set, else a domain chosen by region prefix.
  // Caveat: some agent versions look ssmmessages up in a built-in region
  // table first (agent/rip/riputil.go), so there Agent.ServiceDomain may not
  // change the ssmmessages name for the regions in that table.
  return endpoint_name(service, region, EndpointNaming{}, config);
}

std::vector<Target> plan_targets(const PlanRequest& request, const std::string& region,
                                 const AgentConfig& agent, const EndpointNaming& naming) {
  const std::vector<std::string>& services =
      request.services.empty() ? default_services() : request.services;
  std::vector<Target> targets;
  for (const auto& service : services) {
    Target target;
    target.service = service;
    target.required = is_default_service(service);
    target.host = endpoint_name(service, region, naming, agent);
    if (auto it = agent.endpoints.find(service); it != agent.endpoints.end()) {
      target.host = it->second.host_port.host;
      target.port = it->second.host_port.port;
      target.host_source = "agent-config";
    }
    // The last --endpoint for a service wins, as with repeated CLI flags.
    for (const auto& o : request.endpoints) {
      if (o.service != service) continue;
      target.host = o.endpoint.host;
      target.port = o.endpoint.port;
      target.host_source = "--endpoint";
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace ssmreach
