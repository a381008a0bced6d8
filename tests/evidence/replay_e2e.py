#!/usr/bin/env python3
"""End to end: a live run saves its evidence, `explain` replays it.

Usage: replay_e2e.py SSM_REACH

The live run happens inside a fresh network namespace (`unshare -rn`, only
loopback) against a resolver address where nothing listens, so it contacts
nothing outside the namespace. The replay runs in a namespace without even
loopback up: it must not need the network at all. The replayed JSON report
must equal the live one (elapsed_ms aside) and the exit status too.
Fails when user namespaces are not available: it never runs outside one.
"""
import json
import os
import subprocess
import sys
import tempfile

LIVE_FLAGS = ["--region", "us-east-1", "--no-imds", "--dns-server", "127.0.0.1:1",
              "--timeout", "0.5"]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def in_netns(args, loopback=True):
    script = ('ip link set lo up && ' if loopback else '') + 'exec "$0" "$@"'
    return ["unshare", "-rn", "sh", "-c", script] + args


def run(args, loopback=True):
    # No AWS_* or proxy variables from the caller's environment.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NO_COLOR": "1"}
    return subprocess.run(in_netns(args, loopback), capture_output=True, text=True, env=env,
                          timeout=60)


def main():
    binary = sys.argv[1]
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        # Never pass (or skip) vacuously: without a namespace there is no test.
        print("FAILURE: unshare -rn (user and network namespaces) is not available here")
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        evidence = os.path.join(tmp, "run.json")
        live = run([binary] + LIVE_FLAGS + ["--save-evidence", evidence, "--output", "json"])
        print("live: exit", live.returncode, live.stderr.strip())
        check(live.returncode == 2, "the live run is critical (exit 2): DNS cannot answer")
        check(os.path.exists(evidence), "--save-evidence wrote the file")
        check(os.listdir(tmp) == ["run.json"], "no temporary file is left")
        if not os.path.exists(evidence):
            return 1
        with open(evidence) as f:
            saved = json.load(f)
        check(saved.get("schema") == "ssm-reach-evidence/v1", "the file names its schema")

        replay = run([binary, "explain", evidence, "--output", "json"], loopback=False)
        print("explain: exit", replay.returncode, replay.stderr.strip())
        check(replay.returncode == live.returncode, "explain exits like the live run")
        check(replay.stderr == "", "explain prints nothing on stderr")
        live_report, replay_report = json.loads(live.stdout), json.loads(replay.stdout)
        check(live_report["targets"][0]["cause"] == "dns.unreachable",
              "the live report names the cause")
        for report in (live_report, replay_report):
            report.pop("elapsed_ms", None)
        check(replay_report == live_report, "the replayed JSON report equals the live one")
        if replay_report != live_report:
            print("live:   ", json.dumps(live_report, sort_keys=True))
            print("replay: ", json.dumps(replay_report, sort_keys=True))

        text = run([binary, "explain", evidence], loopback=False)
        check(text.returncode == live.returncode, "explain (text) exits like the live run")
        check(text.stdout.startswith("Replay of " + evidence),
              "the text report says it is a replay")
        check(all(len(line) <= 80 for line in text.stdout.splitlines()), "80 columns")

        # A file that cannot be written: same exit status, one warning line.
        unsaved = run([binary] + LIVE_FLAGS + ["--save-evidence", os.path.join(tmp, "no", "f")])
        check(unsaved.returncode == live.returncode, "a failed save keeps the exit status")
        check(unsaved.stderr.count("\n") == 1 and "warning: evidence not saved" in unsaved.stderr,
              "a failed save is one warning line: " + repr(unsaved.stderr))

        # Files explain cannot use: one line on stderr, nothing on stdout, exit 3.
        with open(os.path.join(tmp, "report.json"), "w") as f:
            f.write(live.stdout)
        for path, words in ((os.path.join(tmp, "missing.json"), "No such file"),
                            (os.path.join(tmp, "report.json"), "is a report, not evidence"),
                            (tmp, "is a directory, not a regular file")):
            bad = run([binary, "explain", path], loopback=False)
            check(bad.returncode == 3, "explain " + path + " exits 3")
            check(bad.stdout == "", "explain " + path + " prints no report")
            check(bad.stderr.count("\n") == 1 and words in bad.stderr,
                  "explain " + path + ": one line mentioning " + repr(words) + ": " +
                  repr(bad.stderr))

    print("FAILED:" if failures else "ok", len(failures), "failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
