#!/usr/bin/env python3
"""`ssm-reach fleet` on console output shaped like EC2's (this folder; see
README.md here): the files given, the same through stdin, JSON output, and
inputs that are not get-console-output's JSON (exit 3, one line on stderr).

  fleet_test.py SSM_REACH FLEET_DIR
"""
import json
import os
import subprocess
import sys


def run(binary, args, stdin=None):
    return subprocess.run([binary, "fleet"] + args, input=stdin, capture_output=True, text=True,
                          timeout=60)


def main():
    binary, here = sys.argv[1], sys.argv[2]
    files = [os.path.join(here, f) for f in ("console-array.json", "console-concatenated.json")]
    errors = []

    table = run(binary, files)
    lines = table.stdout.splitlines()
    if table.returncode != 2:
        errors.append("exit %d, expected 2 (one instance critical)" % table.returncode)
    if not lines or not lines[0].startswith("INSTANCE  ") or "CAUSE" not in lines[0]:
        errors.append("no table header: %r" % lines[:1])
    elif not lines[1].split()[:7] == ["i-0a1b2c3d4e5f60001", "2026-12-06", "10:00:06", "CRITICAL",
                                      "ssmmessages", "tcp", "tcp.timeout"]:
        errors.append("first row: %r" % lines[1])
    if lines[-1:] != ["6 instances: 1 CRITICAL, 1 WARNING, 1 incomplete, 2 no boot check, 1 ok"]:
        errors.append("summary: %r" % lines[-1:])

    with open(files[1]) as f:
        piped = run(binary, ["--output", "json", "-"], f.read())
    try:
        doc = json.loads(piped.stdout)
        verdicts = {i["instance_id"]: i["verdict"] for i in doc["instances"]}
        if verdicts != {"i-0a1b2c3d4e5f60004": "incomplete", "i-0a1b2c3d4e5f60005": "warning",
                        "i-0a1b2c3d4e5f60006": "no-boot-check"} or doc["exit_code"] != 1:
            errors.append("stdin, JSON: %s, exit_code %s" % (verdicts, doc.get("exit_code")))
        if piped.returncode != 1:
            errors.append("stdin: exit %d, expected 1" % piped.returncode)
    except (ValueError, KeyError) as e:
        errors.append("stdin, JSON: not the fleet's JSON (%s): %r" % (e, piped.stdout[:200]))

    for stdin, says in (("", "no document"),
                        ('{"Output": "x"}', 'no "InstanceId"'),
                        ('{"InstanceId": "i-1", "Output": "x"', "ends inside it"),
                        ("garbage", "expected a JSON object"),
                        ("[" * 100, "expected a JSON object")):
        bad = run(binary, ["-"], stdin)
        if bad.returncode != 3 or says not in bad.stderr or bad.stdout or \
                len(bad.stderr.strip().splitlines()) != 1:
            errors.append("input %r: exit %d, stderr %r; expected exit 3 and one line with %r"
                          % (stdin[:40], bad.returncode, bad.stderr, says))
    missing = run(binary, [os.path.join(here, "no-such-file.json")])
    if missing.returncode != 3 or "cannot open" not in missing.stderr:
        errors.append("a missing file: exit %d, %r" % (missing.returncode, missing.stderr))

    for e in errors:
        print("FAIL: " + e)
    print("fleet: %s" % ("FAILED" if errors else "ok"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
