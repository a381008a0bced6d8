#include "probe/fleet/fleet_verdict.h"

#include <algorithm>

namespace ssmreach {
namespace {

int severity(Status status) {
  switch (status) {
    case Status::critical:
      return 0;
    case Status::unknown:
      return 1;
    case Status::warning:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

Status InstanceVerdict::status() const {
  return kind == FleetKind::checked && last.result ? *last.result : Status::unknown;
}

std::string InstanceVerdict::word() const {
  switch (kind) {
    case FleetKind::checked:
      return status_word(status());
    case FleetKind::incomplete:
      return "incomplete";
    case FleetKind::unknown_format:
      return "format " + std::to_string(last.format) + "?";
    case FleetKind::no_boot_check:
      break;
  }
  return "no boot check";
}

std::string InstanceVerdict::json_word() const {
  switch (kind) {
    case FleetKind::checked:
      return to_string(status());
    case FleetKind::incomplete:
      return "incomplete";
    case FleetKind::unknown_format:
      return "unknown-format";
    case FleetKind::no_boot_check:
      break;
  }
  return "no-boot-check";
}

int InstanceVerdict::exit_contribution() const {
  if (kind == FleetKind::checked && status() == Status::ok) return 0;
  if (kind == FleetKind::checked && status() == Status::critical) return 2;
  return 1;
}

int InstanceVerdict::rank() const {
  switch (kind) {
    case FleetKind::checked:
      return status() == Status::ok ? 7 : severity(status());
    case FleetKind::incomplete:
      return 4;
    case FleetKind::unknown_format:
      return 5;
    case FleetKind::no_boot_check:
      break;
  }
  return 6;
}

InstanceVerdict instance_verdict(std::string instance_id, std::string console_timestamp,
                                 std::string_view output) {
  InstanceVerdict v;
  v.instance_id = std::move(instance_id);
  v.console_timestamp = std::move(console_timestamp);
  std::vector<BootCheck> checks = read_boot_checks(output);
  v.boot_checks = static_cast<int>(checks.size());
  if (checks.empty()) return v;
  v.last = std::move(checks.back());
  if (!v.last.format_known())
    v.kind = FleetKind::unknown_format;
  else
    v.kind = v.last.result ? FleetKind::checked : FleetKind::incomplete;
  for (const auto& target : v.last.targets)
    if (target.status != Status::ok && target.status != Status::skipped)
      v.failing.push_back(target);
  std::stable_sort(v.failing.begin(), v.failing.end(), [](const auto& a, const auto& b) {
    return severity(a.status) < severity(b.status);
  });
  return v;
}

}  // namespace ssmreach
