// The verdict as Prometheus metrics (--output prometheus, --textfile): the
// text exposition format, as node_exporter's textfile collector reads it.
#pragma once

#include <string>

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach {

// Every metric starts with "ssm_reach_" and has HELP and TYPE lines; all are
// gauges (a textfile holds the last run, not a running count). Statuses are
// numbers on the exit-code scale (0 ok, 1 warning, 2 critical, 3 unknown;
// -1 not checked), the cause a label. No sample carries a timestamp: the
// collector forbids them; ssm_reach_last_run_timestamp_seconds says when.
// README.md "Monitoring a fleet" lists the metrics.
std::string render_prometheus(const Evidence& evidence, const Verdict& verdict);

// The number a status is in the metrics: the exit code, -1 for skipped.
int status_metric_value(Status status);

}  // namespace ssmreach
