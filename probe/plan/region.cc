#include "probe/plan/region.h"

#include <cctype>

namespace ssmreach {

bool is_valid_region_name(std::string_view region) {
  // Lower-case words joined by '-', the last one a number: "us-gov-west-1".
  if (region.size() < 4 || region.size() > 32) return false;
  if (!std::islower(static_cast<unsigned char>(region.front()))) return false;
  bool last_dash = false;
  for (char c : region) {
    bool ok = std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '-';
    if (!ok || (c == '-' && last_dash)) return false;
    last_dash = c == '-';
  }
  auto dash = region.rfind('-');
  if (dash == std::string_view::npos || dash + 1 == region.size()) return false;
  for (char c : region.substr(dash + 1))
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string partition_suffix(std::string_view region) {
  if (region.starts_with("cn-")) return "amazonaws.com.cn";
  if (region.starts_with("eusc-")) return "amazonaws.eu";
  if (region.starts_with("us-isob-")) return "sc2s.sgov.gov";
  if (region.starts_with("us-isof-")) return "csp.hci.ic.gov";
  if (region.starts_with("us-iso-")) return "c2s.ic.gov";
  if (region.starts_with("eu-isoe-")) return "cloud.adc-e.uk";
  return "amazonaws.com";
}

std::string service_host(std::string_view service, std::string_view region) {
  std::string host(service);
  host += '.';
  host += region;
  host += '.';
  host += partition_suffix(region);
  return host;
}

Sourced region_from_flag_or_env(const std::optional<std::string>& flag, const GetEnv& env,
                                std::string* warning) {
  if (flag) return {*flag, "--region"};
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    auto value = env(name);
    if (!value) continue;
    if (is_valid_region_name(*value)) return {*value, name};
    if (warning) *warning = std::string(name) + "='" + *value + "' is not a region name; ignored";
  }
  return {};
}

}  // namespace ssmreach
