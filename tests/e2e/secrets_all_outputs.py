#!/usr/bin/python3
"""No secret on any output path: every way ssm-reach prints or saves, in one
lab world full of secrets, scanned for every secret the lab knows.

  secrets_all_outputs.py --binary build/dev/probe/ssm-reach --pki DIR --artifacts DIR

The world: squid wants Basic proxy authentication, the agent's systemd
drop-in and this shell's https_proxy both carry user:password, IMDSv2 hands
out tokens and the instance profile's fake credentials (signed call made),
and the shell also exports AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. The
runs: --output json with --save-evidence, --output text (pipe and
terminal), --proxy URL-with-password, --no-proxy, --boot (console lines,
stderr JSON, --boot-json file), explain of the evidence (text and json),
usage errors with the password in a bad --proxy value, write errors
(--save-evidence and --boot-json where nothing can be written) and explain
of a malformed file that holds a token. ssm-reach has no verbose mode.

Every stdout, stderr and written file is scanned with the e2e runner's
scanner (expect.secret_leaks: raw, percent-encoded and JSON-escaped
spellings, Basic credentials) for run_scenario.lab_secrets plus the IMDS
tokens issued. The test must be able to fail: one planted run puts a secret
access key into a path ssm-reach echoes (--ca-file), and the scan must
report it in that run's outputs and evidence. Exit 0 on success, 1 on failure.
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run_scenario  # noqa: E402  (also puts tests/lab on the path)
import expect  # noqa: E402
from ssmlab import plan  # noqa: E402

PROXY_WITH_PASSWORD = "http://%s:%s@%s:%d" % (plan.PROXY_USER, plan.PROXY_PASSWORD, plan.PROXY,
                                              plan.PROXY_PORT)
WORLD = {
    "proxy": "auth",
    "agent": {"service_dropin": "[Service]\nEnvironment=\"https_proxy=%s\"\n"
                                "Environment=\"no_proxy=%s\"\n" % (PROXY_WITH_PASSWORD, plan.IMDS)},
}
ENV = {"https_proxy": PROXY_WITH_PASSWORD, "http_proxy": PROXY_WITH_PASSWORD,
       "no_proxy": plan.IMDS,
       "AWS_ACCESS_KEY_ID": plan.ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": plan.SECRET_ACCESS_KEY,
       "AWS_SESSION_TOKEN": plan.SESSION_TOKEN}
# A path ssm-reach names in its report: the planted leak.
PLANTED_CA_FILE = "/nonexistent/" + plan.SECRET_ACCESS_KEY + ".pem"


def runs_of(directory, pki):
    """(kind, args, extra env, files it writes, expected exit codes or None)."""
    region = ["--region", plan.REGION]
    evidence = os.path.join(directory, "evidence.json")
    evidence_flag = os.path.join(directory, "evidence-proxy-flag.json")
    malformed = os.path.join(directory, "malformed.json")
    with open(malformed, "w") as f:
        f.write('{"schema": "ssm-reach-evidence/v1", "token": "%s", ' % plan.SESSION_TOKEN)
    boot_json = os.path.join(directory, "boot", "boot.json")
    unwritable = "/proc/ssm-reach-cannot-write-here/evidence.json"
    return [
        ("json", region + ["--output", "json", "--save-evidence", evidence], {}, [evidence]),
        ("text", region + ["--output", "text"], {}, []),
        ("proxy-flag", region + ["--proxy", PROXY_WITH_PASSWORD, "--output", "json",
                                 "--save-evidence", evidence_flag], {}, [evidence_flag]),
        ("no-proxy", region + ["--no-proxy", "--output", "text"], {}, []),
        ("boot", region + ["--boot", "--boot-wait", "5", "--boot-json", boot_json], {},
         [boot_json]),
        ("bad-env-proxy", region + ["--output", "text"],
         {"https_proxy": "http://%s:%s@%s:99999" % (plan.PROXY_USER, plan.PROXY_PASSWORD,
                                                    plan.PROXY)}, []),
        ("usage-proxy-port", region + ["--proxy", "http://%s:%s@%s:notaport" % (
            plan.PROXY_USER, plan.PROXY_PASSWORD, plan.PROXY)], {}, []),
        ("usage-proxy-scheme", region + ["--proxy", "ftp://%s:%s@%s:%d" % (
            plan.PROXY_USER, plan.PROXY_PASSWORD, plan.PROXY, plan.PROXY_PORT)], {}, []),
        ("usage-proxy-garbage", region + ["--proxy", "http://%s:%s@[%s" % (
            plan.PROXY_USER, plan.PROXY_PASSWORD, plan.PROXY)], {}, []),
        ("evidence-unwritable", region + ["--proxy", PROXY_WITH_PASSWORD,
                                          "--save-evidence", unwritable], {}, []),
        ("boot-json-unwritable", region + ["--boot", "--boot-wait", "1", "--boot-json",
                                           unwritable], {}, []),
        ("explain-malformed", ["explain", malformed], {}, []),
    ], evidence


def main():
    return run_scenario.lab_script_main(__doc__, "secrets", run_inside)


def run_inside(binary, pki, directory):
    from ssmlab.probe_run import ProbeRun, PtyRun, clean_env
    from ssmlab.world import World

    shutil.rmtree(directory, ignore_errors=True)
    home = os.path.join(directory, "home")
    os.makedirs(home)
    env = clean_env(home, pki.ca_file, ENV)
    specs, evidence = runs_of(directory, pki)
    world = World(WORLD, pki, directory)
    world.start()
    runs = []
    try:
        for kind, args, extra, files in specs:
            run = ProbeRun(binary, args, dict(env, **extra), home, 30)
            run.kind, run.files = kind, files
            runs.append(run.start())
        tty = PtyRun(binary, ["--region", plan.REGION], dict(env, TERM="xterm"), home, 30)
        tty.kind, tty.files = "tty", []
        runs.append(tty.start())
        planted_evidence = os.path.join(directory, "planted-evidence.json")
        planted = ProbeRun(binary, ["--region", plan.REGION, "--ca-file", PLANTED_CA_FILE,
                                    "--output", "json", "--save-evidence", planted_evidence],
                           env, home, 30)
        planted.kind, planted.files = "planted", [planted_evidence]
        planted.start()
        for run in runs + [planted]:
            run.wait()
    finally:
        world.stop()
    # Offline: explain of the saved evidence, both formats.
    for output in ("text", "json"):
        run = ProbeRun(binary, ["explain", evidence, "--output", output], env, home, 30)
        run.kind, run.files = "explain-" + output, []
        runs.append(run.start().wait())

    errors = []
    secrets = run_scenario.lab_secrets(world)
    # The scan is only meaningful if the secrets were in play.
    if not world.imds or not world.imds.tokens:
        errors.append("IMDS issued no token: nothing to leak")
    if not any(r["path"].endswith(plan.ROLE_CREDENTIALS_PATH) for r in world.imds.requests):
        errors.append("the credentials were never fetched from IMDS: nothing to leak")
    if not any(result == "TCP_TUNNEL/200" for _, result in world.proxy_connects()):
        errors.append("no authenticated CONNECT through squid: the password was not used")
    if not world.api_calls():
        errors.append("no signed call: the secret key was not used")
    for run in runs + [planted]:
        if run.timed_out:
            errors.append("%s: killed after %.0f s" % (run.kind, run.limit_s))
        elif run.returncode not in (0, 1, 2, 3):
            errors.append("%s: exit %s (crash or sanitizer?)" % (run.kind, run.returncode))
        if not run.stdout.strip() and not run.stderr.strip():
            errors.append("%s: printed nothing, so proves nothing" % run.kind)
        for path in run.files:
            if not os.path.isfile(path):
                errors.append("%s: did not write %s" % (run.kind, path))
    for kind in ("usage-proxy-port", "usage-proxy-scheme", "usage-proxy-garbage"):
        run = next(r for r in runs if r.kind == kind)
        if run.returncode != 3:
            errors.append("%s: exit %s, expected the usage error 3" % (kind, run.returncode))
    errors += run_scenario.check_sanitizers(runs + [planted], directory)

    def sources(run):
        found = {"%s stdout" % run.kind: run.stdout, "%s stderr" % run.kind: run.stderr}
        for path in run.files:
            if os.path.isfile(path):
                with open(path, errors="replace") as f:
                    found["%s file %s" % (run.kind, os.path.basename(path))] = f.read()
        return found

    all_sources = {}
    for run in runs:
        all_sources.update(sources(run))
    leaks = expect.secret_leaks(all_sources, secrets)
    errors += leaks
    # The planted run must be caught, on stdout and in its evidence file.
    caught = expect.secret_leaks(sources(planted), secrets)
    for where in ("planted stdout", "planted file"):
        if not any(where in c for c in caught):
            errors.append("self-test: the secret planted through --ca-file was not caught in %s "
                          "(caught: %s)" % (where, caught))

    for label, text in all_sources.items():  # artifacts, secrets replaced by their kind
        name = label.replace(" ", "_").replace("/", "_") + ".txt"
        with open(os.path.join(directory, name), "w") as f:
            f.write(expect.redact(text, secrets))
    hide = lambda text: expect.redact(text, secrets)  # noqa: E731
    summary = ", ".join("%s exit %s" % (r.kind, r.returncode) for r in runs)
    if errors:
        print("FAIL secrets: %d runs (%s)" % (len(runs), summary))
        for e in errors:
            print("  - " + hide(e))
        print("  artifacts: %s" % directory)
        return 1
    print("PASS secrets: %d output paths, %d secrets, none leaked; the planted one was caught "
          "(%s)" % (len(all_sources), len(secrets), summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
