#!/usr/bin/python3
"""A careless or hostile user: every case of issue 15 against the real
binary, in one lab world (tests/lab) inside a private network namespace.

  hostile_user.py --binary build/dev/probe/ssm-reach --pki DIR --artifacts DIR

Cases (README "Robustness", "Bad input"):
  files      --save-evidence / --boot-json over a device (a bind mount of
             /dev/null), a FIFO, a socket, a symlink to /dev/stdout, a
             directory, DIR/, a file that is not ours: exit 3 before the run,
             one line, the object untouched; an earlier evidence file, an
             empty file, --force, "-" (stdout) and a 250-byte name are written
  nesting    explain, --agent-config, and the agent config and hybrid
             registration the run reads by itself, each with 400 KB of
             nested arrays: a clear error or warning, never a crash
  proxy      HTTPS_PROXY=garbage, six runs: every target proxy.unreachable
  deadline   --deadline 1 alone runs, with a 1 s step
  secrets    user:password in --imds-endpoint, AWS_EC2_METADATA_SERVICE_ENDPOINT
             and --endpoint never printed or saved
  imds env   AWS_EC2_METADATA_SERVICE_ENDPOINT=garbage: exit 3 naming it
  writes     stdout on /dev/full, closed, or a pipe without reader: exit 4
             and one line on stderr
  explain    a FIFO (no hang), 9 MiB, elapsed_ms 1e308, a huge tcp.ms
  escapes    ESC, BEL, CR/LF, C1 bytes from --region, --endpoint, AWS_REGION,
             a file name and explain's parse error never reach stderr raw
  numbers    --timeout 0x10 is a usage error
  trust      an empty, blank or garbage --ca-file: a full report (text and
             JSON), IMDS, DNS and TCP checked, every endpoint skipped from
             TLS on with tls.trust-store, the run unknown (exit 3)

Exit 0 when every case holds, 1 otherwise; outputs in --artifacts/hostile_user/.
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run_scenario  # noqa: E402  (also puts tests/lab on the path)
from ssmlab import netns, plan  # noqa: E402
from ssmlab.probe_run import communicate_within  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.path.join(REPO, "tests", "golden", "all-ok-vpc-endpoints.evidence.json")
PASSWORD = "Hostile-S3cret-pw"
DEEP = "[" * 200000 + "]" * 200000  # 400 KB of nested arrays
PROXY_RUNS = 6
LIMIT_S = 30
AGENT_CONFIG = "/etc/amazon/ssm/amazon-ssm-agent.json"
REGISTRATION = "/var/lib/amazon/ssm/registration"
TOO_DEEP = "nested too deeply (more than 64 levels of arrays and objects)"
EXIT_OUTPUT_FAILED = 4
BATCH = 8


class Run:
    """One ssm-reach process with chosen stdout: "pipe", "full" (/dev/full),
    "closed", or "broken" (a pipe whose reader is gone)."""

    def __init__(self, kind, binary, args, env, cwd, stdout="pipe"):
        self.kind, self.args, self.stdout_mode = kind, args, stdout
        self.command = [binary] + list(args)
        self.env, self.cwd = env, cwd
        self.returncode = None
        self.stdout = self.stderr = ""
        self.stderr_bytes = b""
        self.timed_out = False
        self.limit_s = LIMIT_S

    def start(self):
        from ssmlab.netns import die_with_parent
        out, preexec, self._close = subprocess.PIPE, die_with_parent, []
        if self.stdout_mode == "full":
            out = open("/dev/full", "wb")
            self._close.append(out)
        elif self.stdout_mode == "broken":
            read_end, write_end = os.pipe()
            os.close(read_end)
            out = write_end
            self._close.append(write_end)
        elif self.stdout_mode == "closed":
            out = subprocess.DEVNULL

            def preexec():
                die_with_parent()
                os.close(1)
        self._started = time.monotonic()
        self._proc = subprocess.Popen(self.command, env=self.env, cwd=self.cwd,
                                      stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.PIPE, preexec_fn=preexec)
        for f in self._close:
            f.close() if hasattr(f, "close") else os.close(f)
        return self

    def wait(self):
        out, err, self.timed_out = communicate_within(self._proc, self.limit_s)
        self.seconds = time.monotonic() - self._started
        self.returncode = self._proc.returncode
        self.stdout = out.decode("utf-8", "replace")
        self.stderr_bytes = err
        self.stderr = self.stderr_bytes.decode("utf-8", "replace")
        return self


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)
    return path


class Case:
    """Runs and their checks; errors collected, never raised."""

    def __init__(self, binary, env, home):
        self.binary, self.env, self.home = binary, env, home
        self.runs, self.checks = [], []

    def run(self, kind, args, check, env=None, stdout="pipe", region=True):
        full_args = (["--region", plan.REGION] if region else []) + list(args)
        run = Run(kind, self.binary, full_args, dict(self.env, **(env or {})), self.home, stdout)
        self.runs.append(run)
        self.checks.append((run, check))
        return run


def one_line_error(run, exit_code, *words):
    """Exit `exit_code`, nothing on stdout, one stderr line with `words`."""
    errors = []
    if run.returncode != exit_code:
        errors.append("exit %s, expected %s" % (run.returncode, exit_code))
    if run.stdout.strip():
        errors.append("stdout should be empty: %r" % run.stdout[:200])
    lines = run.stderr.splitlines()
    if len(lines) != 1:
        errors.append("stderr should be one line: %r" % run.stderr[:400])
    for word in words:
        if word not in run.stderr:
            errors.append("stderr lacks %r: %r" % (word, run.stderr[:400]))
    return errors


def report_of(run):
    try:
        return json.loads(run.stdout)
    except ValueError:
        return None


def file_cases(case, d):
    """Saving: what may be replaced, what is refused (exit 3 before the run)."""
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    device = write(os.path.join(d, "devnull"), "")
    # A character device in a writable folder: /dev/null bound over a file of
    # this private mount namespace (a rename over it could only fail).
    netns._make_mounts_private()
    netns.run(["mount", "--bind", "/dev/null", device])
    link = os.path.join(d, "stdout")
    os.symlink("/dev/stdout", link)
    sock_path = os.path.join(d, "socket")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(sock_path)
    folder = os.path.join(d, "folder")
    os.mkdir(folder)
    passwd = write(os.path.join(d, "passwd"), "root:x:0:0:root:/root:/bin/bash\n")
    forced = write(os.path.join(d, "forced"), "root:x:0:0:root:/root:/bin/bash\n")
    earlier = write(os.path.join(d, "earlier.json"), '{"schema": "ssm-reach-evidence/v1"}\n')
    empty = write(os.path.join(d, "empty.json"), "")
    long_name = os.path.join(d, "e" * 245 + ".json")  # 250 bytes
    kinds = {fifo: stat.S_ISFIFO, device: stat.S_ISCHR, link: stat.S_ISLNK,
             sock_path: stat.S_ISSOCK, folder: stat.S_ISDIR}

    def untouched(path, words):
        def check(run):
            errors = one_line_error(run, 3, path[:40], *words)
            if not kinds[path](os.lstat(path).st_mode):
                errors.append("%s is no longer what it was" % path)
            return errors
        return check

    refused = [(fifo, ["is a FIFO, not a regular file"]),
               (device, ["is a character device, not a regular file", "- writes to stdout"]),
               (link, ["is a symbolic link (to /dev/stdout)", "or - for stdout"]),
               (sock_path, ["is a socket"]),
               (folder, ["is a directory; give a file name in it"])]
    for path, words in refused:
        case.run("save-over-%s" % os.path.basename(path),
                 ["--output", "json", "--save-evidence", path], untouched(path, words))
    case.run("boot-json-over-fifo", ["--boot", "--boot-wait", "1", "--boot-json", fifo],
             untouched(fifo, ["--boot-json", "is a FIFO"]))
    case.run("save-folder-slash", ["--save-evidence", folder + "/"],
             lambda r: one_line_error(r, 3, "is a directory"))
    case.run("save-missing-slash", ["--save-evidence", os.path.join(d, "missing") + "/"],
             lambda r: one_line_error(r, 3, "ends in '/': give a file name"))

    def kept(run):
        errors = one_line_error(run, 3, "exists and is not an earlier ssm-reach report",
                                "--force")
        with open(passwd) as f:
            if not f.read().startswith("root:x:0:0"):
                errors.append("%s was overwritten" % passwd)
        return errors
    case.run("save-over-other-file", ["--save-evidence", passwd], kept)

    def written(path):
        def check(run):
            errors = []
            if run.returncode not in (0, 1, 2):
                errors.append("exit %s: %s" % (run.returncode, run.stderr[:300]))
            try:
                with open(path) as f:
                    if not f.read().startswith('{\n  "schema": "ssm-reach-evidence/v1"'):
                        errors.append("%s does not hold the evidence" % path[:60])
            except OSError as e:
                errors.append("%s not written: %s" % (path[:60], e))
            if "not saved" in run.stderr:
                errors.append("stderr: %s" % run.stderr[:300])
            return errors
        return check
    case.run("save-forced", ["--save-evidence", forced, "--force"], written(forced))
    case.run("save-over-earlier", ["--save-evidence", earlier], written(earlier))
    case.run("save-over-empty", ["--save-evidence", empty], written(empty))
    case.run("save-long-name", ["--save-evidence", long_name], written(long_name))

    def to_stdout(run):
        errors = []
        if run.returncode not in (0, 1, 2):
            errors.append("exit %s: %s" % (run.returncode, run.stderr[:300]))
        if os.path.exists(os.path.join(case.home, "-")):
            errors.append("wrote a file named '-'")
        if '"schema": "ssm-reach-evidence/v1"' not in run.stdout:
            errors.append("no evidence on stdout")
        return errors
    case.run("save-dash", ["--output", "json", "--save-evidence", "-"], to_stdout)
    return sock  # kept open until the end


def nesting_cases(case, d):
    deep_evidence = write(os.path.join(d, "deep-evidence.json"),
                          '{"schema": "ssm-reach-evidence/v1", "x": %s}' % DEEP)
    case.run("explain-deep", ["explain", deep_evidence],
             lambda r: one_line_error(r, 3, TOO_DEEP), region=False)
    deep_config = write(os.path.join(d, "deep-config.json"),
                        '{"x": %s, "Agent": {"Region": "%s"}}' % (DEEP, plan.REGION))

    def warned(run):
        errors = []
        if run.returncode not in (0, 1, 2):
            return ["exit %s (crash?): %s" % (run.returncode, run.stderr[-300:])]
        doc = report_of(run) or {}
        agent = doc.get("context", {}).get("agent", {})
        warnings = agent.get("config", {}).get("warnings", [])
        if not any(TOO_DEEP in w for w in warnings):
            errors.append("no config warning naming the depth: %r" % warnings)
        return errors
    case.run("agent-config-deep", ["--output", "json", "--agent-config", deep_config], warned)

    def auto_read(run):  # the agent config and registration found by themselves
        errors = warned(run)
        doc = report_of(run) or {}
        registration = doc.get("context", {}).get("agent", {}).get("registration", {})
        if not any(TOO_DEEP in w for w in registration.get("warnings", [])):
            errors.append("no registration warning naming the depth: %r" % registration)
        return errors
    # The files the run reads by itself, below SSM_REACH_AGENT_ROOT.
    root = os.path.join(d, "agent-root")
    for path, text in ((AGENT_CONFIG, '{"x": %s, "Agent": {"Region": "%s"}}' % (DEEP, plan.REGION)),
                       (REGISTRATION, '{"x": %s, "ManagedInstanceID": "%s"}'
                                      % (DEEP, plan.MANAGED_INSTANCE_ID))):
        os.makedirs(os.path.dirname(root + path), exist_ok=True)
        write(root + path, text)
    agent_root = {"SSM_REACH_AGENT_ROOT": root}
    case.run("agent-files-deep", ["--output", "json"], auto_read, env=agent_root)
    boot_json = os.path.join(d, "boot", "boot.json")

    def boot(run):
        if run.returncode not in (0, 1, 2):
            return ["exit %s (crash?): %s" % (run.returncode, run.stderr[-300:])]
        return [] if os.path.isfile(boot_json) else ["no %s" % boot_json]
    case.run("boot-deep", ["--boot", "--boot-wait", "2", "--boot-json", boot_json], boot,
             env=agent_root)


def proxy_cases(case):
    def unreachable(run):
        doc = report_of(run)
        if not doc:
            return ["no JSON report (exit %s): %s" % (run.returncode, run.stderr[:300])]
        causes = {t["service"]: t["cause"] for t in doc["targets"] if t["service"] != "imds"}
        wrong = {s: c for s, c in causes.items() if c != "proxy.unreachable"}
        return ["causes %r, expected proxy.unreachable for all" % wrong] if wrong else []
    for i in range(PROXY_RUNS):
        case.run("proxy-garbage-%d" % i, ["--output", "json", "--timeout", "2"], unreachable,
                 env={"HTTPS_PROXY": "garbage"})


def deadline_and_number_cases(case):
    def deadline(run):
        doc = report_of(run)
        if not doc:
            return ["no report (exit %s): %s" % (run.returncode, run.stderr[:300])]
        ctx = doc["context"]
        errors = []
        if ctx.get("deadline_s") != 1 or ctx.get("timeout_s") != 1:
            errors.append("deadline_s %s, timeout_s %s; expected 1 and 1"
                          % (ctx.get("deadline_s"), ctx.get("timeout_s")))
        if doc.get("elapsed_ms", 0) > 1500:
            errors.append("elapsed_ms %s past the deadline" % doc.get("elapsed_ms"))
        return errors
    case.run("deadline-1", ["--output", "json", "--deadline", "1"], deadline)
    case.run("timeout-hex", ["--timeout", "0x10"],
             lambda r: one_line_error(r, 3, "--timeout", "decimal number of seconds"))


def trust_store_cases(case, d):
    """An unusable CA bundle is a finding, never a stop of the run."""
    def finding(run):
        doc = report_of(run)
        if not doc:
            return ["no JSON report (exit %s): %s" % (run.returncode, run.stderr[:300])]
        errors = []
        if run.returncode != 3 or doc.get("status") != "unknown":
            errors.append("exit %s, status %s; expected 3, unknown"
                          % (run.returncode, doc.get("status")))
        if "cannot be used" not in doc["context"].get("trust_store", {}).get("error", ""):
            errors.append("trust store error not named: %r" % doc["context"].get("trust_store"))
        for t in doc["targets"]:
            if t["service"] == "imds":
                if t["status"] != "ok":
                    errors.append("imds %s: IMDS should still be checked" % t["status"])
                continue
            got = (t["status"], t.get("failed_layer"), t.get("cause"))
            if got != ("skipped", "tls", "tls.trust-store"):
                errors.append("%s: %r, expected skipped/tls/tls.trust-store" % (t["service"], got))
            if not all((a.get("tcp") or {}).get("status") == "ok" for a in t.get("addresses", [])):
                errors.append("%s: TCP should still be checked and pass" % t["service"])
        if "cannot set up TLS" in run.stderr:
            errors.append("stderr: %r" % run.stderr[:300])
        return errors

    def text_report(run):
        errors = []
        if run.returncode != 3:
            errors.append("exit %s, expected 3" % run.returncode)
        for words in ("UNUSABLE", "tls.trust-store", "Result: UNKNOWN"):
            if words not in run.stdout:
                errors.append("text report lacks %r" % words)
        return errors

    bundles = {"empty": "", "blank": "\n  \n", "garbage": "this is not PEM\n" * 40,
               "damaged": "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"}
    for name, text in bundles.items():
        path = os.path.join(d, "ca-%s.pem" % name)
        write(path, text)
        case.run("ca-file-%s" % name, ["--output", "json", "--ca-file", path], finding)
    case.run("ca-file-garbage-text", ["--ca-file", os.path.join(d, "ca-garbage.pem")], text_report)


def secret_cases(case, d):
    url = "http://user:%s@%s" % (PASSWORD, plan.IMDS)

    def no_password(evidence=None, shown=True):
        def check(run):
            errors = []
            if run.returncode not in (0, 1, 2):
                errors.append("exit %s: %s" % (run.returncode, run.stderr[:300]))
            texts = {"stdout": run.stdout, "stderr": run.stderr}
            if evidence and os.path.isfile(evidence):
                with open(evidence) as f:
                    texts["evidence"] = f.read()
            elif evidence:
                errors.append("no evidence file")
            for where, text in texts.items():
                if PASSWORD in text:
                    errors.append("the password is in %s" % where)
            if shown and "***@" not in run.stdout:
                errors.append("the redacted endpoint is not shown")
            return errors
        return check
    flag_evidence = os.path.join(d, "imds-flag.json")
    case.run("imds-endpoint-password-json",
             ["--output", "json", "--imds-endpoint", url, "--save-evidence", flag_evidence],
             no_password(flag_evidence))
    # A healthy IMDS row shows the host only.
    case.run("imds-endpoint-password-text", ["--output", "text", "--imds-endpoint", url],
             no_password(shown=False))
    env_evidence = os.path.join(d, "imds-env.json")
    case.run("imds-env-password-json", ["--output", "json", "--save-evidence", env_evidence],
             no_password(env_evidence), env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": url})

    def usage_without_password(run):
        errors = one_line_error(run, 3, "--endpoint", "ssm=***@")
        return errors + (["the password is on stderr"] if PASSWORD in run.stderr else [])
    case.run("endpoint-password", ["--endpoint", "ssm=user:%s@host" % PASSWORD],
             usage_without_password)
    case.run("imds-env-garbage", ["--output", "json"],
             lambda r: one_line_error(r, 3, "AWS_EC2_METADATA_SERVICE_ENDPOINT: 'garbage' is "
                                            "not a URL"),
             env={"AWS_EC2_METADATA_SERVICE_ENDPOINT": "garbage"})


def write_error_cases(case):
    def failed(reason):
        def check(run):
            errors = []
            if run.returncode != EXIT_OUTPUT_FAILED:
                errors.append("exit %s, expected %d" % (run.returncode, EXIT_OUTPUT_FAILED))
            if "ssm-reach: cannot write to stdout: %s" % reason not in run.stderr:
                errors.append("stderr does not say why: %r" % run.stderr[:300])
            return errors
        return check
    for mode, reason in (("full", "No space left on device"), ("closed", "Bad file descriptor"),
                         ("broken", "Broken pipe")):
        case.run("explain-stdout-%s" % mode, ["explain", GOLDEN], failed(reason), stdout=mode,
                 region=False)
    case.run("live-stdout-full", ["--output", "json", "--timeout", "1"],
             failed("No space left on device"), stdout="full")


def explain_cases(case, d):
    fifo = os.path.join(d, "explain-fifo")
    os.mkfifo(fifo)
    case.run("explain-fifo", ["explain", fifo],
             lambda r: one_line_error(r, 3, "is a FIFO, not a regular file"), region=False)
    big = os.path.join(d, "big.json")
    with open(big, "wb") as f:
        f.truncate(9 << 20)
    case.run("explain-9mib", ["explain", big],
             lambda r: one_line_error(r, 3, "larger than 8 MiB"), region=False)
    with open(GOLDEN) as f:
        golden = json.load(f)
    huge_elapsed = dict(golden, elapsed_ms=1e308)
    path = write(os.path.join(d, "elapsed.json"), json.dumps(huge_elapsed))
    case.run("explain-elapsed-1e308", ["explain", path],
             lambda r: one_line_error(r, 3, "elapsed_ms: 1e+308 is out of range"), region=False)
    huge_tcp = json.loads(json.dumps(golden))
    for target in huge_tcp["targets"]:
        for address in target["addresses"]:
            if address.get("tcp"):
                address["tcp"]["ms"] = 1e15
    path = write(os.path.join(d, "tcp-ms.json"), json.dumps(huge_tcp))
    case.run("explain-huge-tcp-ms", ["explain", path, "--output", "text"],
             lambda r: one_line_error(r, 3, ".tcp.ms: ", "is out of range"), region=False)


def escape_cases(case, d):
    def clean(exit_code):
        def check(run):
            errors = []
            if run.returncode != exit_code:
                errors.append("exit %s, expected %s" % (run.returncode, exit_code))
            raw = [b for b in run.stderr_bytes if (b < 0x20 and b != 0x0a) or b >= 0x7f]
            if raw:
                errors.append("raw control or non-ASCII bytes on stderr: %r" % run.stderr[:300])
            if "\\x" not in run.stderr:
                errors.append("no visible escape on stderr: %r" % run.stderr[:300])
            return errors
        return check
    case.run("region-escape", ["--region", "us-east-1\x1b[2J\nssm-reach: all ok"], clean(3),
             region=False)
    case.run("endpoint-escape", ["--endpoint", "ssm=host\x1b]0;pwned\x07"], clean(3))
    case.run("aws-region-escape", ["--no-imds"], clean(3), region=False,
             env={"AWS_REGION": "\x1b[2Jeu-west-1\r", "AWS_DEFAULT_REGION": ""})
    case.run("explain-name-escape", ["explain", os.path.join(d, "run\x1b[2J.json")], clean(3),
             region=False)
    parse_error = write(os.path.join(d, "c1.json"), b'{"schema": \xc2\x9b2J}', mode="wb")
    case.run("explain-excerpt-escape", ["explain", parse_error], clean(3), region=False)


def main():
    return run_scenario.lab_script_main(__doc__, "hostile_user", run_inside)


def run_inside(binary, pki, directory):
    from ssmlab.probe_run import clean_env
    from ssmlab.world import World

    shutil.rmtree(directory, ignore_errors=True)
    home = os.path.join(directory, "home")
    files = os.path.join(directory, "files")
    os.makedirs(home)
    os.makedirs(files)
    world = World({}, pki, directory)
    case = Case(binary, clean_env(home, pki.ca_file), home)
    sock = file_cases(case, files)
    nesting_cases(case, files)
    proxy_cases(case)
    deadline_and_number_cases(case)
    trust_store_cases(case, files)
    secret_cases(case, files)
    write_error_cases(case)
    explain_cases(case, files)
    escape_cases(case, files)

    world.start()
    try:
        # A few at a time: the lab's peers and a 2-core machine are shared.
        for first in range(0, len(case.runs), BATCH):
            batch = case.runs[first:first + BATCH]
            for run in batch:
                run.start()
            for run in batch:
                run.wait()
    finally:
        world.stop()
        sock.close()

    errors = []
    for run, check in case.checks:
        if run.timed_out:
            errors.append("%s: killed after %d s (hang)" % (run.kind, run.limit_s))
            continue
        if run.returncode not in (0, 1, 2, 3, EXIT_OUTPUT_FAILED):
            errors.append("%s: exit %s (crash?): %s" % (run.kind, run.returncode,
                                                         run.stderr[-300:]))
            continue
        errors += ["%s: %s" % (run.kind, e) for e in check(run)]
    errors += run_scenario.check_sanitizers(case.runs, directory)

    with open(os.path.join(directory, "runs.txt"), "w") as f:
        for run in case.runs:
            f.write("== %s: exit %s, %.1f s\n$ %r\n-- stdout\n%s\n-- stderr\n%s\n"
                    % (run.kind, run.returncode, run.seconds, run.args,
                       run.stdout[:4000], run.stderr[:4000]))
    if errors:
        print("FAIL hostile_user: %d of %d runs" % (len({e.split(":")[0] for e in errors}),
                                                     len(case.runs)))
        for e in errors:
            print("  - " + e)
        print("  artifacts: %s" % directory)
        return 1
    print("PASS hostile_user: %d runs, every case held" % len(case.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
