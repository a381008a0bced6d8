// One instance of the fleet: what its console output says of its last
// boot check.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/report/boot_lines_reader.h"

namespace ssmreach {

enum class FleetKind {
  checked,         // the last boot check ended with its result line
  incomplete,      // it began but its result line is missing (still running, or cut)
  no_boot_check,   // no ssm-reach line at all: not installed, or not run yet
  unknown_format,  // boot lines of a newer format than this ssm-reach reads
};

struct InstanceVerdict {
  std::string instance_id;
  std::string console_timestamp;  // get-console-output's Timestamp
  int boot_checks = 0;            // boot checks in the output (one per boot)
  FleetKind kind = FleetKind::no_boot_check;
  BootCheck last;                       // the latest boot check (kind != no_boot_check)
  std::vector<BootTargetLine> failing;  // its targets that are not ok, worst first

  // The result of a checked instance; unknown for the other kinds.
  Status status() const;
  // The table's word: "ok", "CRITICAL", "incomplete", "no boot check", ...
  std::string word() const;
  // JSON's word: "ok", "critical", "incomplete", "no-boot-check", ...
  std::string json_word() const;
  // What this instance adds to the fleet's exit status: 2 critical, 1
  // anything else that needs a look (warning, unknown, incomplete, none,
  // a newer format), 0 ok.
  int exit_contribution() const;
  // Sort key: what needs attention first.
  int rank() const;
};

// `output` is the console's text (get-console-output's "Output", decoded by
// the AWS CLI).
InstanceVerdict instance_verdict(std::string instance_id, std::string console_timestamp,
                                 std::string_view output);

}  // namespace ssmreach
