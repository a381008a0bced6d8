// Reading the boot lines back (docs/contract.md "Boot lines"): what
// `ssm-reach fleet` finds in a serial console's text. The writer is
// report_boot.cc; the two change together.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/diagnose/cause.h"
#include "probe/diagnose/status.h"

namespace ssmreach {

// "ssm-reach: ssmmessages CRITICAL tcp.timeout TCP 443 to ... timed out".
struct BootTargetLine {
  std::string target;
  Status status = Status::unknown;
  std::optional<Cause> cause;
  std::string text;  // the headline (cut at 80 columns), or the ok line's address
};

// One boot check: its lines from "boot/1 ..." to "result ...".
struct BootCheck {
  // The first line's format number: 1; 0 for the lines of ssm-reach before
  // the format had one ("ssm-reach: boot 0.1.0: ..."); -1 when the start
  // is missing (the console's buffer begins after it).
  int format = -1;
  std::string tool_version;
  std::string checked_at;  // ISO 8601 UTC from the first line; "" when unknown
  std::vector<BootTargetLine> targets;
  std::vector<std::string> notes;  // "note: ..." and "warning: ..." lines
  std::optional<Status> result;    // absent: the lines end before the result
  // Lines with the prefix that say nothing readable (cut by the console,
  // broken by kernel messages written in between).
  int unreadable_lines = 0;

  bool format_known() const { return format <= kKnownFormat; }
  static constexpr int kKnownFormat = 1;
};

// Every boot check in a console's text, oldest first. The prefix may stand
// anywhere in a line (after a kernel timestamp or a journal's "unit[pid]: ");
// CR LF line ends are fine. A check whose format is newer than this reader
// knows keeps only its format and version.
std::vector<BootCheck> read_boot_checks(std::string_view console);

}  // namespace ssmreach
