#!/usr/bin/python3
"""The vpc suite refuses, loudly and with a non-zero exit, where it cannot
build its namespaces; it never passes without its world (ctest vpc.refuses).

  refuses_test.py RUN BINARY PKI

Two cases: the runner as `nobody` (not root), and as root without any
capability (setpriv drops them all: unshare(CLONE_NEWNS) fails).
"""

import os
import shutil
import subprocess
import sys
import tempfile

CASES = {
    "nobody": ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
    "root without capabilities": ["setpriv", "--inh-caps=-all", "--bounding-set=-all"],
}


def readable_copy(run, into):
    """tests/{vpc,lab,e2e} copied where `nobody` can read them (a checkout
    under /root is not), so the refusal is the runner's, not "cannot open"."""
    tests = os.path.dirname(os.path.dirname(os.path.abspath(run)))
    for part in ("vpc", "lab", "e2e"):
        shutil.copytree(os.path.join(tests, part), os.path.join(into, "tests", part),
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["chmod", "-R", "a+rX", into], check=True)
    return os.path.join(into, "tests", "vpc", "run")


def main(run, binary, pki):
    failures = []
    for label, prefix in CASES.items():
        with tempfile.TemporaryDirectory() as scratch:
            os.chmod(scratch, 0o755)
            run_copy = readable_copy(run, os.path.join(scratch, "repo"))
            artifacts = os.path.join(scratch, "artifacts")
            os.mkdir(artifacts)
            os.chmod(artifacts, 0o777)
            proc = subprocess.run(prefix + [sys.executable, run_copy, "--binary", binary,
                                            "--pki", pki, "--artifacts", artifacts, "healthy"],
                                  capture_output=True, text=True, timeout=60)
        said = (proc.stdout + proc.stderr).strip()
        if proc.returncode == 0 or "VPC REFUSED" not in proc.stderr or "PASS" in proc.stdout:
            failures.append("%s: exit %d, output %r" % (label, proc.returncode, said[:400]))
        else:
            print("ok   %s: exit %d: %s" % (label, proc.returncode, said.splitlines()[-1][:150]))
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
