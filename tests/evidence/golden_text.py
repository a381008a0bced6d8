#!/usr/bin/env python3
"""Replays one evidence file with `ssm-reach explain --output text` and
compares the report, byte for byte, with the golden text beside it (see
tests/golden/README.md).

Usage: golden_text.py SSM_REACH NAME.evidence.json NAME.expected.txt [--update]

The report is made as a pipe gets it (80 columns, no colour), in the
evidence file's folder with its bare name, so that its first line ("Replay
of NAME.evidence.json ...") does not depend on where the tree is. On a
difference it prints a unified diff and fails; --update writes the report
as the new golden text instead (review the diff before committing it).
"""
import difflib
import os
import subprocess
import sys


def explain_text(binary, evidence):
    folder, name = os.path.split(os.path.abspath(evidence))
    args = [os.path.abspath(binary), "explain", name, "--output", "text"]
    # explain contacts nothing; a network namespace (when available) makes
    # sure of it.
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        args = ["unshare", "-rn"] + args
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1"}
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=folder, timeout=60)


def main():
    if len(sys.argv) not in (4, 5) or (len(sys.argv) == 5 and sys.argv[4] != "--update"):
        print(__doc__.split("\n\n")[1])
        return 2
    binary, evidence, expected_path = sys.argv[1:4]
    if not os.path.exists(evidence):
        print("missing", evidence, "(a golden text is NAME.expected.txt beside NAME.evidence.json)")
        return 1
    result = explain_text(binary, evidence)
    if result.stderr:
        print("FAIL: stderr: " + result.stderr.strip())
        return 1
    if len(sys.argv) == 5:
        with open(expected_path, "w") as f:
            f.write(result.stdout)
        print("wrote", expected_path)
        return 0
    if not os.path.exists(expected_path):
        print("missing", expected_path, "(write it with --update, then review it)")
        return 1
    with open(expected_path) as f:
        expected = f.read()
    if result.stdout == expected:
        print("ok: %s (%d lines)" % (os.path.basename(expected_path), expected.count("\n")))
        return 0
    print("FAIL: the text report differs from %s:" % expected_path)
    sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True),
                                               result.stdout.splitlines(True),
                                               "expected", "explain --output text"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
