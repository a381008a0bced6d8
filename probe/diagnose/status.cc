#include "probe/diagnose/status.h"

namespace ssmreach {
namespace {

// One row per status: its words, exit code and severity rank (a skipped
// check is not a problem, but it is less than "ok").
struct StatusRow {
  Status status;
  const char* word;   // the contract's, lower case
  const char* upper;  // in capitals
  bool calm;          // nothing to attend to: shown in lower case
  int exit_code;
  int rank;
};

constexpr StatusRow kStatuses[] = {
    {Status::ok, "ok", "OK", true, 0, 0},
    {Status::warning, "warning", "WARNING", false, 1, 2},
    {Status::critical, "critical", "CRITICAL", false, 2, 3},
    {Status::unknown, "unknown", "UNKNOWN", false, 3, 4},
    {Status::skipped, "skipped", "SKIPPED", true, 0, 1},
};

const StatusRow& row(Status status) {
  for (const auto& r : kStatuses)
    if (r.status == status) return r;
  return kStatuses[3];  // unknown
}

}  // namespace

const char* to_string(Status status) { return row(status).word; }

const char* status_word(Status status) {
  const StatusRow& r = row(status);
  return r.calm ? r.word : r.upper;
}

const char* upper_word(Status status) { return row(status).upper; }

int exit_code(Status status) { return row(status).exit_code; }

Status worst(Status a, Status b) { return row(b).rank > row(a).rank ? b : a; }

}  // namespace ssmreach
