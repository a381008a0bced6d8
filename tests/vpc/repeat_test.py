#!/usr/bin/python3
"""ssm-reach run again and again in one healthy mini VPC finds nothing each
time (ctest vpc.healthy_repeat; root, as the vpc suite):

  repeat_test.py --binary SSM_REACH --pki DIR [--artifacts DIR] [--runs 30]
                 [--scenario healthy]

The world of scenarios/healthy.toml is built once; ssm-reach runs in it
--runs times one after another (--output json, the scenario's arguments).
A run has findings unless all of these hold:
  - exit 0, status ok, no note, the deadline not reached, nothing on stderr
    (a sanitizer report would be there), and the report keeps the contract
    (tests/e2e's check_report) and the scenario's own expectations;
  - every target ok, with no cause;
  - the signed call made (not skipped, HTTP 200) and, on the fake SSM API's
    side, at least one new call, every new one with a valid signature;
  - IMDS never saw more than 2 of its client connections open at once
    (FakeImds.max_connections, counted afresh for each run);
  - no lab secret (IMDS token, fake keys) in its stdout or stderr.
Prints one line per run with findings, then "N runs, K with findings"
(and their numbers); exit 0 only when K is 0, 1 otherwise (or when the
world cannot be built: never a pass without it).
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "lab"), os.path.join(REPO, "tests", "e2e")]

from vpclab import isolation, scenario_run  # noqa: E402

MAX_IMDS_CONNECTIONS = 2


def findings_of(run, doc_errors, doc, world, calls_before, imds_max, secrets):
    import expect
    found = list(doc_errors)
    if run.timed_out:
        found.append("killed after %.0f s (hang)" % run.limit_s)
    elif run.returncode != 0:
        found.append("exit %s" % run.returncode)
    if run.stderr.strip():
        found.append("stderr: %s" % expect.redact(run.stderr.strip(), secrets)[:300])
    if doc is not None:
        if doc.get("status") != "ok":
            found.append("status %r" % doc.get("status"))
        for target in doc.get("targets") or []:
            if target.get("status") != "ok" or target.get("cause"):
                found.append("target %s %s (%s)" % (target.get("service"), target.get("status"),
                                                     target.get("cause")))
        if doc.get("notes"):
            found.append("notes: %s" % doc["notes"])
        if doc.get("deadline_reached"):
            found.append("deadline reached")
        call = doc.get("signed_call") or {}
        http = call.get("http") or {}
        if call.get("skipped") or http.get("status") != "ok" or http.get("code") != 200:
            found.append("signed call: skipped %r, http %r %r" % (call.get("skipped"),
                                                                http.get("status"),
                                                                http.get("code")))
    calls = world.api_calls()[calls_before:]
    if not calls:
        found.append("no signed call reached the SSM API")
    invalid = [c for c in calls if not c["signature_valid"]]
    if invalid:
        found.append("%d of %d signed calls invalid" % (len(invalid), len(calls)))
    if imds_max > MAX_IMDS_CONNECTIONS:
        found.append("IMDS saw %d connections open at once (at most %d)"
                     % (imds_max, MAX_IMDS_CONNECTIONS))
    leaks = expect.secret_leaks({"stdout": run.stdout, "stderr": run.stderr}, secrets)
    found += leaks
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--artifacts", default=None)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--scenario", default="healthy")
    opts = parser.parse_args()
    isolation.require_root()
    import expect
    import run_scenario as rs

    run_setup = scenario_run.prepare(opts.binary, opts.pki, opts.artifacts, opts.scenario,
                                     "_repeat")
    if run_setup is None:
        return 1
    e2e, binary, directory = run_setup.e2e, run_setup.binary, run_setup.directory
    env, home = run_setup.env, run_setup.home
    args = run_setup.args + ["--output", "json"]
    with_findings, seconds = [], []
    world = scenario_run.start_world(run_setup, opts.scenario + "_repeat")
    if world is None:
        return 1
    try:
        print("%s world (%s), ssm-reach %s, %d runs one after another"
              % (opts.scenario, "; ".join(world.describe()[2:4]), " ".join(args), opts.runs))
        for i in range(1, opts.runs + 1):
            world.imds.reset_counters()
            calls_before = len(world.api_calls())
            run = world.probe(args, env, home, 30.0, binary)
            run.start().wait()
            seconds.append(run.seconds)
            imds_max = world.imds.max_connections
            secrets = rs.lab_secrets(world)
            doc, doc_errors = rs.check_json_run(e2e, run)
            found = findings_of(run, doc_errors, doc, world, calls_before, imds_max, secrets)
            with open(os.path.join(directory, "run-%02d.json" % i), "w") as f:
                f.write(expect.redact(run.stdout, secrets))
            if found:
                with_findings.append(i)
                print("run %d (exit %s, %.2f s, IMDS %d connections at most): %s"
                      % (i, run.returncode, run.seconds, imds_max,
                         "; ".join(expect.redact(x, secrets) for x in found)))
        imds_total = world.imds.connections
        requests = len(world.imds.requests)
    finally:
        world.stop()
    seconds.sort()
    summary = {"runs": opts.runs, "with_findings": with_findings,
               "seconds": {"min": seconds[0], "median": seconds[len(seconds) // 2],
                           "max": seconds[-1]},
               "imds_connections_accepted": imds_total, "imds_requests": requests}
    with open(os.path.join(directory, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print("%d runs, %d with findings%s (wall %.2f / %.2f / %.2f s min / median / max; IMDS: "
          "%d connections, %d requests in all)"
          % (opts.runs, len(with_findings),
             ": runs " + ", ".join(map(str, with_findings)) if with_findings else "",
             seconds[0], seconds[len(seconds) // 2], seconds[-1], imds_total, requests))
    print("artifacts: %s" % directory)
    return 1 if with_findings else 0


if __name__ == "__main__":
    sys.exit(main())
