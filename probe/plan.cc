#include "probe/plan.h"

#include "probe/services.h"

namespace ssmreach {

std::vector<Target> plan_targets(const Options& options, const std::string& region,
                                 const AgentConfig& agent) {
  const std::vector<std::string>& services =
      options.services.empty() ? default_services() : options.services;
  std::vector<Target> targets;
  for (const auto& service : services) {
    Target target;
    target.service = service;
    target.required = is_default_service(service);
    target.host = agent_default_host(service, region, agent);
    if (auto it = agent.endpoints.find(service); it != agent.endpoints.end()) {
      target.host = it->second.host_port.host;
      target.port = it->second.host_port.port;
      target.host_source = "agent-config";
    }
    // The last --endpoint for a service wins, as with repeated CLI flags.
    for (const auto& o : options.endpoints) {
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
