#!/usr/bin/env python3
"""Every golden evidence file as Prometheus metrics (`explain --output
prometheus`): promtool check metrics accepts the text, the exit status is
the expected verdict's, and ssm_reach_status and every target's
ssm_reach_target_status (status number, failed_layer and cause labels) say
what NAME.expected.json says.

  golden_prometheus.py SSM_REACH GOLDEN_DIR
"""
import glob
import json
import os
import re
import subprocess
import sys

NUMBERS = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3, "skipped": -1}
TARGET = re.compile(r'^ssm_reach_target_status\{target="([^"]*)",required="[^"]*",'
                    r'failed_layer="([^"]*)",cause="([^"]*)"\} (\S+)$', re.M)


def main():
    binary, golden = sys.argv[1], sys.argv[2]
    cases = sorted(glob.glob(os.path.join(golden, "*.evidence.json")))
    if not cases:
        sys.exit("no golden evidence files in %s" % golden)
    failures = []
    for evidence in cases:
        name = os.path.basename(evidence)[:-len(".evidence.json")]
        with open(os.path.join(golden, name + ".expected.json")) as f:
            expected = json.load(f)
        run = subprocess.run([binary, "explain", evidence, "--output", "prometheus"],
                             capture_output=True, text=True, timeout=60)
        check = subprocess.run(["promtool", "check", "metrics"], input=run.stdout,
                               capture_output=True, text=True, timeout=60)
        errors = []
        if check.returncode != 0:
            errors.append("promtool check metrics: %s%s" % (check.stdout, check.stderr))
        if run.returncode != NUMBERS[expected["status"]]:
            errors.append("exit %d, expected %s" % (run.returncode, expected["status"]))
        if "\nssm_reach_status %d\n" % NUMBERS[expected["status"]] not in run.stdout:
            errors.append("ssm_reach_status is not %s" % expected["status"])
        got = {m[0]: (int(m[3]), m[1], m[2]) for m in TARGET.findall(run.stdout)}
        for target in expected["targets"]:
            want = (NUMBERS[target["status"]], target["failed_layer"] or "", target["cause"] or "")
            if got.get(target["service"]) != want:
                errors.append("%s: %s, expected %s" % (target["service"], got.get(target["service"]),
                                                       want))
        if errors:
            failures.append(name)
            print("FAIL %s" % name)
            for e in errors:
                print("  - " + e)
        else:
            print("ok %s" % name)
    print("%d passed, %d failed" % (len(cases) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
