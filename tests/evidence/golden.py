#!/usr/bin/env python3
"""Replays one recorded evidence file with `ssm-reach explain` and compares
the verdict with the expected one beside it (see tests/golden/README.md).

Usage: golden.py SSM_REACH NAME.evidence.json NAME.expected.json

Compared: the overall status, the exit status it implies, and per target (in
order) service, status, failed_layer and cause. The text report must also
exit the same way and keep to 80 columns of plain ASCII.
"""
import json
import os
import subprocess
import sys

EXIT_CODES = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
TARGET_KEYS = ("service", "status", "failed_layer", "cause")


def explain(binary, evidence, output):
    args = [binary, "explain", evidence, "--output", output]
    # explain contacts nothing; a network namespace (when available) makes
    # sure of it.
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        args = ["unshare", "-rn"] + args
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1"}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)


def main():
    binary, evidence, expected_path = sys.argv[1:4]
    for path in (evidence, expected_path):
        if not os.path.exists(path):
            print("missing", path, "(a golden case is NAME.evidence.json with NAME.expected.json)")
            return 1
    with open(expected_path) as f:
        expected = json.load(f)

    problems = []
    result = explain(binary, evidence, "json")
    if result.stderr:
        problems.append("stderr: " + result.stderr.strip())
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print("explain printed no JSON report; exit", result.returncode, result.stderr.strip())
        return 1

    if report["status"] != expected["status"]:
        problems.append("status: %s, expected %s" % (report["status"], expected["status"]))
    if result.returncode != EXIT_CODES[expected["status"]]:
        problems.append("exit %d, expected %d" % (result.returncode,
                                                  EXIT_CODES[expected["status"]]))
    got = [{key: target.get(key) for key in TARGET_KEYS} for target in report["targets"]]
    want = [{key: target.get(key) for key in TARGET_KEYS} for target in expected["targets"]]
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else None
        w = want[i] if i < len(want) else None
        if g != w:
            problems.append("targets[%d]: %s, expected %s" % (i, json.dumps(g), json.dumps(w)))

    text = explain(binary, evidence, "text")
    if text.returncode != result.returncode:
        problems.append("text report: exit %d, JSON report: exit %d"
                        % (text.returncode, result.returncode))
    for line in text.stdout.splitlines():
        if len(line) > 80 or not line.isascii():
            problems.append("text report line not 80-column ASCII: " + repr(line))

    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("ok:", expected.get("about", os.path.basename(evidence)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
