// The status of a target or of a whole run, and the words every output
// uses for it.
#pragma once

namespace ssmreach {

enum class Status { ok, warning, critical, unknown, skipped };

// The contract's word: "ok", "warning", ... (JSON, exit-code tables).
const char* to_string(Status status);

// The word a person reads in the text report's RESULT column, its "Result:"
// line and the boot lines: "ok" and "skipped" stay lower case (calm), what
// needs attention shouts ("WARNING", "CRITICAL", "UNKNOWN").
const char* status_word(Status status);

// The word in capitals: "OK", "WARNING", ... (the boot result line).
const char* upper_word(Status status);

// Nagios convention: ok 0, warning 1, critical 2, unknown 3.
int exit_code(Status status);

// The more severe of two (ok < skipped < warning < critical < unknown).
Status worst(Status a, Status b);

}  // namespace ssmreach
