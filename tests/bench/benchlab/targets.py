"""Issue 16's targets beside what the benchmark measured. Printed, never
judged: the benchmark does not fail on a number (machines are noisy).

Each target reads the result dict of tests/bench/run; a part that did not
run gives "-" for its targets.
"""

from . import minimum

BLACKHOLE_SLACK_S = 0.1


def _healthy(result, rtt_ms):
    rows = [r for r in result.get("healthy", []) if r["rtt_ms"] == rtt_ms]
    return rows[0] if rows else None


def _scaling(result, services, enis):
    rows = [r for r in result.get("scaling", [])
            if r["services"] == services and r["enis_per_service"] == enis]
    return rows[0] if rows else None


def _median(summary):
    return summary["median"] if summary else None


def rows(result):
    """[(target words, limit, measured value or None, unit)]; met = value <= limit."""
    out = []
    at1 = _healthy(result, 1)
    out.append(("healthy verdict at RTT 1 ms (median)", 15.0,
                _median(at1["ssm_reach"]) * 1000 if at1 else None, "ms"))
    for rtt, limit in ((10, 1.10), (50, 1.05)):
        row = _healthy(result, rtt)
        out.append(("ratio to the %d-round-trip minimum at RTT %d ms" % (minimum.round_trips(),
                                                                        rtt), limit,
                    _median(row["ratio_to_minimum"]) if row else None, ""))
    observed = result.get("round_trips_observed") or {}
    out.append(("round trips (slope between the two largest RTTs)",
                float(minimum.round_trips()), observed.get("ssm_reach"), ""))
    fixed = result.get("fixed_cost_s")
    out.append(("fixed cost per run (the slope's intercept)", 8.0,
                fixed * 1000 if fixed is not None else None, "ms"))
    cpu = [_median(r["ssm_reach_cpu"]) for r in result.get("healthy", [])]
    out.append(("CPU per healthy run (median of the RTTs' medians)", 10.0,
                sorted(cpu)[len(cpu) // 2] * 1000 if cpu else None, "ms"))
    corner = _scaling(result, 8, 4)
    out.append(("CPU for 8 services x 4 ENIs (32 addresses)", 40.0,
                _median(corner["cpu_seconds"]) * 1000 if corner else None, "ms"))
    rss = (result.get("footprint") or {}).get("peak_rss_kib_healthy")
    out.append(("peak RSS of a healthy run", 8.0, _median(rss) / 1024 if rss else None, "MiB"))
    for row in result.get("blackholed", []):
        out.append(("every endpoint blackholed, --timeout %d" % row["timeout_s"],
                    (row["timeout_s"] + BLACKHOLE_SLACK_S) * 1000,
                    _median(row["ssm_reach"]) * 1000, "ms"))
    return out


def lines(result):
    out = ["targets (issue 16; printed beside the measurement, never judged):"]
    for words, limit, value, unit in rows(result):
        shown = "-" if value is None else "%.2f%s" % (value, " " + unit if unit else "")
        verdict = "" if value is None else ("met" if value <= limit else "NOT met")
        out.append("  %-58s <= %-10s %-14s %s" % (words, "%g%s" % (limit, " " + unit if unit
                                                                      else ""), shown, verdict))
    return out
