#include "probe/plan.h"

#include "probe/region.h"
#include "probe/services.h"

namespace ssmreach {

std::vector<Target> plan_targets(const Options& options, const std::string& region) {
  const std::vector<std::string>& services =
      options.services.empty() ? default_services() : options.services;
  std::vector<Target> targets;
  for (const auto& service : services) {
    Target target;
    target.service = service;
    target.required = is_default_service(service);
    target.host = service_host(service, region);
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
