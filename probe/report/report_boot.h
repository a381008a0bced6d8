// The boot summary (--boot): a few lines for the serial console, which
// `aws ec2 get-console-output` returns, so an instance that never came
// online still tells why.
#pragma once

#include <string>
#include <vector>

#include "probe/diagnose/verdict.h"

namespace ssmreach {

// Every console line starts with this, for grep.
inline constexpr const char* kBootLinePrefix = "ssm-reach: ";

// The boot lines' format (docs/contract.md "Boot lines"), named in the first
// line of every boot check: "ssm-reach: boot/1 VERSION TIME: ...". Readers
// (`ssm-reach fleet`) rely on it; a change they could misread gets the next
// number.
inline constexpr int kBootLinesFormat = 1;

// One line: the prefix, then `text` made plain ASCII (anything else becomes
// '?', control characters spaces) and cut to `width` columns with "...".
std::string boot_line(const std::string& text, std::size_t width = 80);

// The first line of a boot check: "ssm-reach: boot/1 0.1.0
// 2026-12-06T10:00:00Z: network and IMDS ready after 0.3 s" (the format,
// the tool's version, when the checks started in UTC, then how the wait for
// the network and IMDS ended).
std::string boot_start_line(const std::string& version, const std::string& utc_time,
                            const std::string& wait_text);

// One line per target, IMDS first ("ssm-reach: ssmmessages CRITICAL
// tcp.timeout TCP 443 to 10.0.1.11 timed out (3.0 s)"), the run's notes,
// then "ssm-reach: result CRITICAL (exit 2) - details: <details>".
// `details` says where the full report is (the JSON file).
std::string render_boot_summary(const Verdict& verdict, const std::string& details);

}  // namespace ssmreach
