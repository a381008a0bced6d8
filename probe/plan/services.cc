#include "probe/plan/services.h"

#include <algorithm>

namespace ssmreach {

const std::vector<std::string>& default_services() {
  static const std::vector<std::string> services = {"ssm", "ssmmessages", "ec2messages"};
  return services;
}

const std::vector<std::string>& known_services() {
  // Extras: s3 (agent updates, session logs), kms (session encryption), logs
  // and monitoring (CloudWatch), sts and ec2 (Default Host Management, tags).
  static const std::vector<std::string> services = {
      "ssm", "ssmmessages", "ec2messages", "s3", "kms", "logs", "monitoring", "sts", "ec2"};
  return services;
}

bool is_known_service(std::string_view service) {
  const auto& all = known_services();
  return std::find(all.begin(), all.end(), service) != all.end();
}

bool is_default_service(std::string_view service) {
  const auto& defaults = default_services();
  return std::find(defaults.begin(), defaults.end(), service) != defaults.end();
}

}  // namespace ssmreach
