#include "probe/verdict.h"

namespace ssmreach {

const char* to_string(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::warning:
      return "warning";
    case Status::critical:
      return "critical";
    case Status::unknown:
      return "unknown";
    case Status::skipped:
      return "skipped";
  }
  return "unknown";
}

int exit_code(Status status) {
  switch (status) {
    case Status::ok:
    case Status::skipped:
      return 0;
    case Status::warning:
      return 1;
    case Status::critical:
      return 2;
    case Status::unknown:
      return 3;
  }
  return 3;
}

namespace {
// Severity rank: a skipped check is not a problem, but it is less than "ok".
int severity(Status status) {
  switch (status) {
    case Status::ok:
      return 0;
    case Status::skipped:
      return 1;
    case Status::warning:
      return 2;
    case Status::critical:
      return 3;
    case Status::unknown:
      return 4;
  }
  return 4;
}
}  // namespace

Status worst(Status a, Status b) { return severity(b) > severity(a) ? b : a; }

}  // namespace ssmreach
