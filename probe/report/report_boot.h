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

// One line: the prefix, then `text` made plain ASCII (anything else becomes
// '?', control characters spaces) and cut to `width` columns with "...".
std::string boot_line(const std::string& text, std::size_t width = 80);

// One line per target, IMDS first ("ssm-reach: ssmmessages CRITICAL
// tcp.timeout TCP 443 to 10.0.1.11 timed out (3.0 s)"), the run's notes,
// then "ssm-reach: result CRITICAL (exit 2) - details: <details>".
// `details` says where the full report is (the JSON file).
std::string render_boot_summary(const Verdict& verdict, const std::string& details);

}  // namespace ssmreach
