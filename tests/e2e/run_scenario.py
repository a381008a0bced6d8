#!/usr/bin/python3
"""Run one end-to-end scenario of ssm-reach inside its own lab namespace.

  run_scenario.py --binary build/dev/probe/ssm-reach NAME   run one scenario
  run_scenario.py --binary ... NAME NAME ...                run several, in turn
  run_scenario.py --list                                    list scenario names
  run_scenario.py --describe NAME                           show a scenario

The scenario's world is started (peers in threads of this process, dnsmasq
as a child), ssm-reach runs twice at the same time (--output json with
--save-evidence, and --output text), and the outputs are checked against the
contract and the scenario's expectations. Then, with every peer gone,
`ssm-reach explain` of the saved evidence must print the same JSON report
(less elapsed_ms) and exit alike. Exit 0 on success, 1 on any failure.
Artifacts (outputs, evidence, peer logs) go to --artifacts/NAME/.

Robustness runs of the same scenarios (README "Robustness"):
  --wrapper "valgrind ... --log-file={artifacts}/valgrind.%p.log"
        every ssm-reach command starts with this ({artifacts}: NAME's folder)
  --time-factor 10      the runner's kill limits, wall guards and max_seconds,
                        times 10
  --slack 5.0           5 s more on every wall-clock guard and kill limit
                        (sanitizer builds; see CMakeLists). Never on elapsed_ms.
  --elapsed-slack 1.0   max_seconds plus 1 s on the report's elapsed_ms (sanitizer
                        builds); a deadline never gets any
  --sequential          the runs one after another, not at the same time
  --memcheck-only       check what no slowdown changes (check_memcheck_runs),
                        not the scenario's verdict (valgrind)
  --as-nobody           ssm-reach runs as nobody (setpriv), not as root
Whatever the wrapper, any sanitizer or valgrind report on stderr fails.
"""

import argparse
import importlib.util
import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, HERE)

_MISSING = [m for m in ("dns", "cryptography") if importlib.util.find_spec(m) is None]
if _MISSING:
    print("LAB FAILURE: %s lacks %s. Run this with the Debian Python that has "
          "python3-dnspython and python3-cryptography (run .ci/install-deps)."
          % (sys.executable, ", ".join(_MISSING)), file=sys.stderr)
    sys.exit(1)

import expect  # noqa: E402
import scenarios  # noqa: E402
from ssmlab import netns, pki as lab_pki, plan  # noqa: E402
# ssmlab.world and ssmlab.probe_run (dnspython and friends) are imported in
# run_inside(): the outer process, which only enters the namespace, skips them.

DEFAULT_BINARY = os.path.join(REPO, "build", "dev", "probe", "ssm-reach")


LONG_CA_DIR = "a-directory-with-a-rather-long-name/and-another-one-below-it/certificates"


def lab_script_main(description, name, run_inside, tools=()):
    """main() of a script that runs its cases in one lab namespace:
    --binary, --pki and --artifacts; the tools it needs (a FAIL when one is
    missing, never a pass); then run_inside(binary, pki, ARTIFACTS/name)
    inside a fresh network namespace. Returns the exit status."""
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--artifacts", required=True)
    opts = parser.parse_args()
    for tool in tools:
        if not shutil.which(tool):
            print("FAIL %s: %s is not installed (.ci/install-deps)" % (name, tool))
            return 1
    pki_dir, artifacts = os.path.abspath(opts.pki), os.path.abspath(opts.artifacts)
    lab_pki.ensure(pki_dir)
    netns.enter_lab_namespace()
    return run_inside(os.path.abspath(opts.binary), lab_pki.Pki(pki_dir),
                      os.path.join(artifacts, name))


def long_ca_file(home):
    """The lab CA copied to a path longer than a terminal line."""
    return os.path.join(home, LONG_CA_DIR, "lab-root-certificate-authority.pem")


# Trust stores that cannot be used (tls.trust-store): the name says what is
# in the file, bad_ca_files() writes them into a scenario's home.
BAD_CA_FILES = {
    "empty_ca_file": b"",
    "garbage_ca_file": (b"not a certificate bundle\n" + bytes(range(256)) * 8
                        + b"\n-----BEGIN CERTIFICATE-----\nbm90IGJhc2U2NCBkZXI=!!\n"
                        b"-----END CERTIFICATE-----\n"),
}


def bad_ca_files(home):
    """Writes BAD_CA_FILES into `home`; {name: path}."""
    paths = {}
    for name, content in BAD_CA_FILES.items():
        paths[name] = os.path.join(home, name + ".pem")
        with open(paths[name], "wb") as f:
            f.write(content)
    return paths


def substitute(value, pki, home=""):
    if value is None:  # env: None unsets the variable (clean_env)
        return None
    for name in BAD_CA_FILES:
        value = value.replace("{%s}" % name, os.path.join(home, name + ".pem"))
    return (value.replace("{ca_file}", pki.ca_file)
            .replace("{long_ca_file}", long_ca_file(home))
            .replace("{inspection_ca}", pki.inspection_ca_file)
            .replace("{region}", plan.REGION))


def probe_args(s, pki, home=""):
    args = [substitute(a, pki, home) for a in s.get("args", [])]
    if s.get("region_flag", True):
        args = ["--region", s.get("world", {}).get("region", plan.REGION)] + args
    return args


ANSI_SGR = re.compile(r"\x1b\[[0-9;]*m")


# Timing (expect.py, "timing"): a scenario's deadline_s and max_seconds are
# judged on the run's own elapsed_ms (check_json_run: the JSON report, or
# --boot's JSON file); the wall clock only catches a hang (check_common).
def boot_wait_s(s):
    """--boot's wait bound (--boot-wait, default 30 s): the deadline counts
    from its end."""
    if not s.get("boot"):
        return 0.0
    args = s.get("args", [])
    return float(args[args.index("--boot-wait") + 1]) if "--boot-wait" in args else 30.0


def timing_limit_s(s):
    """The longest a run of `s` may take by the promises its own clock is
    held to (max_seconds; the deadline, after --boot's wait, plus the
    grace), or None when the scenario makes none beyond the default
    deadline (the kill limit then guards against a hang)."""
    limits = [s["max_seconds"]] if s.get("max_seconds") else []
    if s.get("deadline_s"):
        limits.append(boot_wait_s(s) + s["deadline_s"] + expect.DEADLINE_GRACE_MS / 1000.0)
    return max(limits) if limits else None


def kill_limit_s(s):
    """When the driver kills a run as hung: never before its wall guard."""
    return max(15.0, 3 * (timing_limit_s(s) or 0)) * TIME_FACTOR + SLACK_S


def world_checks(s, world, runs):
    """The peers' side of the story: who was contacted, SNI, leaked secrets."""
    errors = []
    imds_requests = world.imds.requests if world.imds else []
    for check in s.get("checks", []):
        if check in ("no_contact", "imds_not_contacted") and imds_requests:
            errors.append("IMDS was contacted: %s" % imds_requests[:3])
        if check == "no_contact":
            if world.all_queries():
                errors.append("a resolver was queried: %s" % world.all_queries()[:3])
            touched = [p.describe() for p in world.peers if p.events]
            if touched:
                errors.append("endpoint peers were contacted: %s" % touched)
        if check == "imds_token_used":
            puts = [r for r in imds_requests if r["method"] == "PUT"]
            gets = [r for r in imds_requests if r["method"] == "GET"]
            if not any(r["status"] == 200 for r in puts):
                errors.append("no IMDSv2 token PUT (with a valid TTL header) succeeded: %s" % puts)
            # The agent reads its region from the identity document.
            if not any(r["path"] == "/latest/dynamic/instance-identity/document"
                       and r["status"] == 200 for r in gets):
                errors.append("IMDS's instance identity document was never read")
            tokenless = [r["path"] for r in gets if r["token"] != "valid"]
            if tokenless:
                errors.append("IMDS GETs without a valid token: %s" % tokenless)
        if check == "resolver_used":
            for r in world.resolvers:
                log = getattr(r, "log_path", None)
                if log:
                    with open(log, errors="replace") as f:
                        if "query[" not in f.read():
                            errors.append("dnsmasq logged no query (%s)" % log)
                elif not r.queries and r.address != plan.AMAZON_RESOLVER:
                    errors.append("%s got no query" % r.describe())
        if isinstance(check, tuple) and check[0] in ("queried", "queried_tcp"):
            transports = ("udp", "tcp") if check[0] == "queried" else ("tcp",)
            hits = [q for r in world.resolvers if (r.address, r.port) == check[1:]
                    for q in getattr(r, "queries", []) if q[0] in transports]
            if not hits:
                errors.append("resolver %s:%d got no query over %s" % (check[1], check[2],
                                                                     "/".join(transports)))
        if check == "signed_call_verified":
            calls = world.api_calls()
            if not calls:
                errors.append("no signed API call reached an ssm endpoint")
            invalid = [c for c in calls if not c["signature_valid"]]
            if invalid:
                errors.append("the SSM API found %d of %d signed calls invalid: %s"
                              % (len(invalid), len(calls), invalid[:2]))
        if check == "one_handshake_per_address":
            # The TLS evidence comes from the HTTPS exchange's own handshake:
            # each live run connects to an address once (the signed call and
            # any further request ride that connection, kept alive).
            live = sum(1 for r in runs if getattr(r, "kind", "") != "explain")
            for p in world.peers:
                if p.behaviour != "tls":
                    continue
                connections = [e for e in p.events if e.get("outcome") != "keep-alive request"]
                if len(connections) > live:
                    errors.append("%s: %d connections in %d runs (one handshake per address "
                                  "and run expected): %s" % (p.describe(), len(connections), live,
                                                            connections[:4]))
        if check == "no_signed_call" and world.api_calls():
            errors.append("a signed API call was made: %s" % world.api_calls()[:2])
        if isinstance(check, tuple) and check[0] == "proxy_connect":
            # ("proxy_connect", service or host[, squid result]): squid logged it
            host = world.name(check[1]) + ":443"
            result = check[2] if len(check) > 2 else "TCP_TUNNEL/200"
            if (host, result) not in world.proxy_connects():
                errors.append("the proxy logged no CONNECT %s with %s: %s"
                              % (host, result, world.proxy_connects()))
        if check == "proxy_not_used" and world.proxy_connects():
            errors.append("the proxy was used: %s" % world.proxy_connects())
    return errors


def check_evidence(s, evidence):
    """The saved evidence matches the scenario's `evidence` expectations
    (secrets in it are searched with every output, see lab_secrets)."""
    if "evidence" not in s or not os.path.isfile(evidence):
        return []
    with open(evidence, errors="replace") as f:
        text = f.read()
    try:
        return expect.match(s["evidence"], json.loads(text), "evidence")
    except ValueError as e:
        return ["evidence file %s is not JSON: %s" % (evidence, e)]


def lab_secrets(world):
    """[(kind, value)]: every secret this lab knows of. None may appear in
    anything ssm-reach prints or saves."""
    secrets = [("IMDS token", t) for t in (world.imds.tokens if world.imds else [])]
    # The fake credentials IMDS serves and the SSM API accepts: key id ->
    # (secret access key, session token).
    key_pairs = dict(getattr(plan, "LAB_CREDENTIALS", {}))
    key_pairs.update(getattr(plan, "LAB_API_CREDENTIALS", {}))
    for secret_key, session_token in key_pairs.values():
        secrets += [("AWS secret access key", secret_key), ("session token", session_token)]
    secrets += [("proxy password", plan.PROXY_PASSWORD),
                ("proxy Basic credentials",
                 expect.proxy_basic_credentials(plan.PROXY_USER, plan.PROXY_PASSWORD))]
    # Whatever else plan.SECRETS lists (a list, or a dict of kind -> values).
    known = {value for _, value in secrets}
    secrets += [(kind, value) for kind, value
                in expect.named_secrets(getattr(plan, "SECRETS", []), "credential secret")
                if value not in known]
    return expect.named_secrets(secrets)


def secret_sources(runs, evidence):
    """Label -> text of everything ssm-reach printed or saved."""
    sources = {}
    for run in runs:
        sources["%s stdout" % run.kind] = run.stdout
        sources["%s stderr" % run.kind] = run.stderr
    if evidence and os.path.isfile(evidence):
        with open(evidence, errors="replace") as f:
            sources["evidence file"] = f.read()
    return sources


def check_sni(world, doc):
    """Every TLS handshake a peer saw carried the target's host as SNI (none
    for an IP literal: RFC 6066 forbids it). A handshake that failed before
    the server read the name proves nothing either way."""
    errors = []
    host_of = {}
    for t in doc.get("targets", []) if doc else []:
        for a in t.get("addresses", []) or []:
            if isinstance(a, dict):
                host_of[(a.get("ip"), t.get("port"))] = t.get("host")
    for ip, port, event in world.tls_events():
        want = host_of.get((ip, port))
        if want is None:
            continue
        if is_ip_literal(want):
            want = None
        sni = event.get("sni")
        if sni != want and (sni is not None or event.get("outcome") == "handshake ok"):
            errors.append("TLS peer %s:%d saw SNI %r, expected %r" % (ip, port, sni, want))
    return errors


def is_ip_literal(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def imds_enabled(s):
    return ("--no-imds" not in s.get("args", [])
            and s.get("env", {}).get("AWS_EC2_METADATA_DISABLED") != "true")


def default_services(s):
    """IMDS is a target of its own, first, whenever it is not disabled."""
    return (["imds"] if imds_enabled(s) else []) + list(plan.SERVICES)


def check_json_run(s, run):
    errors = []
    doc, parse_errors = expect.check_json_stdout(run.stdout)
    errors += parse_errors
    if doc is None:
        return None, errors
    errors += expect.check_report(doc, run.returncode)
    services = [t.get("service") for t in doc.get("targets", []) if isinstance(t, dict)]
    want_services = s.get("services", default_services(s))
    if services != want_services:
        errors.append("targets are %s, expected %s" % (services, want_services))
    errors += expect.match(s.get("report", {}), doc)
    # "Ends by its deadline" and max_seconds, on the run's own clock: every
    # report within its context.deadline_s (the scenario's deadline_s when
    # it has one) + 0.5 s, and within max_seconds (+ --elapsed-slack). Not
    # stretched by --slack: a sanitizer's start and exit scan are outside
    # elapsed_ms.
    errors += expect.check_elapsed(doc, s.get("deadline_s"), s.get("max_seconds"),
                                   boot_wait_s(s), TIME_FACTOR, ELAPSED_SLACK_S)
    by_service = {t.get("service"): t for t in doc.get("targets", []) if isinstance(t, dict)}
    for service, want in s.get("targets", {}).items():
        if service not in by_service:
            errors.append("no target %r in the report" % service)
            continue
        errors += expect.match(want, by_service[service], "$.targets[%s]" % service)
    if s.get("others_ok", True):
        for service, t in by_service.items():
            if service not in s.get("targets", {}) and t.get("status") != "ok":
                errors.append("target %s is %r (%s), expected ok"
                              % (service, t.get("status"), t.get("cause")))
    for needle in s.get("json_contains", []):
        if needle not in run.stdout:
            errors.append("JSON report does not mention %r" % needle)
    return doc, errors


def check_text_run(s, run, doc):
    errors = expect.check_text(run.stdout)
    for t in (doc or {}).get("targets", []):
        if isinstance(t, dict) and t.get("status") not in ("ok", None, "skipped"):
            if t.get("service") not in run.stdout:
                errors.append("text report does not name failing target %s" % t.get("service"))
    flat = " ".join(run.stdout.split()).lower()
    for needle in s.get("text_contains", []):
        if " ".join(needle.split()).lower() not in flat:
            errors.append("text report does not mention %r" % needle)
    return errors


def check_console_bytes(run, label):
    """What reaches a serial console: plain ASCII bytes (the decoded text
    could hide a stray byte behind U+FFFD), checked with expect.check_text."""
    raw = getattr(run, "stdout_bytes", b"")
    bad = sorted({b for b in raw if b > 126 or (b < 32 and b != 10)})
    return ["%s: bytes that are not plain ASCII on stdout: %r" % (label, bad)] if bad else []


BOOT_JSON = "/var/log/ssm-reach/boot.json"
BOOT_LINE = re.compile(r"^ssm-reach: (\S+) (ok|skipped|WARNING|CRITICAL|UNKNOWN)\b")
BOOT_RESULT = re.compile(r"^ssm-reach: result (OK|WARNING|CRITICAL|UNKNOWN) \(exit (\d)\) - "
                         r"details: (.+)$")


class _Doc:
    """A JSON text with an exit code, shaped like a run for check_json_run."""

    def __init__(self, text, returncode):
        self.stdout, self.returncode = text, returncode


def check_boot_run(s, run, boot_json):
    """--boot: every stdout line is a console line ("ssm-reach: ..."), one
    per target in the report's order, the last the result naming boot_json;
    the file holds the JSON report (as stderr does) with the same status."""
    errors = ["boot summary: %s" % e for e in expect.check_text(run.stdout)]
    errors += check_console_bytes(run, "boot summary")
    lines = run.stdout.rstrip("\n").split("\n")
    errors += ["boot summary line without the ssm-reach: prefix: %r" % line
               for line in lines if not line.startswith("ssm-reach: ")]
    if not os.path.isfile(boot_json):
        return errors + ["--boot-json %s was not written (stderr: %r)"
                         % (boot_json, run.stderr.strip()[:300])]
    modes = {p: oct(os.stat(p).st_mode & 0o7777) for p in (boot_json, os.path.dirname(boot_json))}
    if modes != {boot_json: "0o644", os.path.dirname(boot_json): "0o755"}:
        errors.append("modes %s, expected the file 0644 and its directory 0755" % modes)
    with open(boot_json) as f:
        text = f.read()
    shutil.copy(boot_json, os.path.join(os.path.dirname(run.cwd), "boot.json"))
    if text not in run.stderr:
        errors.append("stderr does not carry the JSON report that %s holds" % boot_json)
    doc, json_errors = check_json_run(s, _Doc(text, run.returncode))
    errors += ["%s: %s" % (boot_json, e) for e in json_errors]
    if doc is None:
        return errors
    result = BOOT_RESULT.match(lines[-1])
    if not result:
        errors.append("last boot line is not the result: %r" % lines[-1])
    else:
        if result.group(1).lower() != doc.get("status") or int(result.group(2)) != run.returncode:
            errors.append("result line %r, but the JSON says %r and the exit is %s"
                          % (lines[-1], doc.get("status"), run.returncode))
        if result.group(3) != boot_json:
            errors.append("result line names %r, not %s" % (result.group(3), boot_json))
    shown = [m.group(1) for m in map(BOOT_LINE.match, lines[:-1]) if m]
    want = [t.get("service") for t in doc.get("targets", [])]
    if shown != want:
        errors.append("boot lines name targets %s, the report %s" % (shown, want))
    flat = " ".join(run.stdout.split()).lower()
    for needle in s.get("text_contains", []):
        if " ".join(needle.split()).lower() not in flat:
            errors.append("boot summary does not mention %r" % needle)
    return errors


BOOT_START = re.compile(r"^ssm-reach: boot/1 \S+ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: ")
CONSOLE_NOISE = ("[    0.000000] Linux version 6.1.0-13-cloud-amd64 (debian-kernel@lists.debian.org)\n"
                 "[    1.234567] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode.\n")


def check_boot_fleet(run, boot_json, binary, env, home, limit, directory):
    """The console lines read back: the first names the format (boot/1) and
    when; `ssm-reach fleet` of them, wrapped as get-console-output's JSON with
    kernel noise and CR LF around them, finds the verdict and the failing
    targets (with their causes) that the JSON report has."""
    lines = run.stdout.split("\n")
    if not BOOT_START.match(lines[0]):
        return ["the first boot line does not start with 'ssm-reach: boot/1 VERSION TIME: ': %r"
                % lines[0]]
    try:
        with open(boot_json) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return []  # check_boot_run said why
    console = {"InstanceId": plan.INSTANCE_ID, "Timestamp": "2026-12-06T10:00:00+00:00",
               "Output": (CONSOLE_NOISE + run.stdout + "\nlogin: ").replace("\n", "\r\n")}
    document = os.path.join(directory, "console-output.json")
    with open(document, "w") as f:
        json.dump(console, f, indent=4)
    from ssmlab.probe_run import ProbeRun
    fleet = ProbeRun(binary, ["fleet", "--output", "json", document], env, home, limit)
    fleet.kind = "fleet"
    fleet.start().wait()
    try:
        doc = json.loads(fleet.stdout)
        instance = doc["instances"][0]
    except (ValueError, KeyError, IndexError):
        return ["fleet of the boot console: not its JSON (exit %s): %r %r"
                % (fleet.returncode, fleet.stdout[:300], fleet.stderr[:300])]
    errors = []
    if instance.get("verdict") != report.get("status"):
        errors.append("fleet reads the verdict %r from the boot lines, the report says %r"
                      % (instance.get("verdict"), report.get("status")))
    want = sorted((t["service"], t["cause"]) for t in report.get("targets", [])
                  if t.get("status") not in ("ok", "skipped"))
    got = sorted((t["target"], t["cause"]) for t in instance.get("failing", []))
    if got != want:
        errors.append("fleet reads the failing targets %s from the boot lines, the report has %s"
                      % (got, want))
    if instance.get("unreadable_lines"):
        errors.append("fleet found %s unreadable boot lines" % instance["unreadable_lines"])
    return errors


# What AddressSanitizer, LeakSanitizer, UBSan and valgrind print on an error.
# The asan preset also makes such runs exit 66, but a check must not rely on
# the exit code alone: a usage scenario expects exit 3 and a sanitizer
# configured by hand could exit 1.
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|"
                              r"runtime error: |==\d+== (Invalid|Conditional jump|Syscall param|"
                              r"Mismatched|Source and destination overlap)|definitely lost: [1-9]")


def check_sanitizers(runs, directory):
    """No run reported a memory or undefined-behaviour error (stderr, and
    the valgrind logs a --wrapper wrote to the scenario's folder)."""
    errors = []
    for run in runs:
        if run is not None and SANITIZER_REPORT.search(run.stderr):
            errors.append("%s: sanitizer report on stderr: %s"
                          % (run.kind, SANITIZER_REPORT.search(run.stderr).group(0)))
    for name in sorted(os.listdir(directory)):
        if name.startswith("valgrind.") and name.endswith(".log"):
            with open(os.path.join(directory, name), errors="replace") as f:
                text = f.read()
            if SANITIZER_REPORT.search(text) or "ERROR SUMMARY: 0 errors" not in text:
                errors.append("valgrind found errors: %s" % os.path.join(directory, name))
    return errors


def check_common(s, run, label):
    errors = []
    allowed = s["exit"] if isinstance(s["exit"], tuple) else (s["exit"],)
    if run.timed_out:
        errors.append("%s: killed after %.0f s (hang)" % (label, run.limit_s))
    elif run.returncode not in allowed:
        errors.append("%s: exit %s, expected %s" % (label, run.returncode, " or ".join(map(str, allowed))))
    # The wall clock only guards against a hang: it also counts process
    # start, a sanitizer's start and exit scan and a loaded machine. The
    # promises themselves (deadline_s, max_seconds) are judged on the run's
    # own elapsed_ms (check_json_run; for a text or terminal run, on the
    # JSON run beside it, with the same arguments at the same time).
    limit = timing_limit_s(s)
    if limit and not run.timed_out:
        guard = expect.wall_guard_s(limit, TIME_FACTOR, SLACK_S)
        if run.seconds > guard:
            errors.append("%s: took %.2f s of wall time, over its hang guard %.1f s (%g x %.1f s"
                          " + %g s%s)" % (label, run.seconds, guard, expect.WALL_FACTOR, limit,
                                          expect.WALL_BASE_S,
                                          " + %g s slack" % SLACK_S if SLACK_S else ""))
    rss_limit = s.get("max_rss_mib")
    if rss_limit and run.returncode is not None and CHECK_RSS:
        if run.max_rss_kib is None:
            errors.append("%s: peak RSS not measured (wait4 gave no rusage)" % label)
        elif run.max_rss_kib > rss_limit * 1024:
            errors.append("%s: peak RSS %.1f MiB, limit %d MiB" % (
                label, run.max_rss_kib / 1024.0, rss_limit))
    for needle in s.get("stderr_contains", []):
        if needle not in run.stderr:
            errors.append("%s: stderr does not mention %r: %r" % (label, needle, run.stderr[:300]))
    return errors


def check_usage_run(s, run):
    errors = check_common(s, run, "run")
    if run.stdout:
        errors.append("stdout must be empty on a usage error, got %r" % run.stdout[:200])
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    if len(lines) != 1:
        errors.append("stderr must be exactly one line, got %d: %r" % (len(lines), run.stderr[:300]))
    return errors


def check_replay(json_run, replay, evidence):
    """`ssm-reach explain EVIDENCE --output json` against the live JSON run."""
    if json_run.timed_out:
        return []  # already a failure; a killed run saved nothing
    if not os.path.isfile(evidence):
        return ["--save-evidence %s wrote no file (stderr: %r)"
                % (evidence, json_run.stderr.strip()[:300])]
    if replay.timed_out:
        return ["explain: killed after %.0f s (hang)" % replay.limit_s]
    live, _ = expect.check_json_stdout(json_run.stdout)
    replayed, errors = expect.check_json_stdout(replay.stdout)
    if replayed is None:
        return ["explain %s: %s (stderr: %r)" % (evidence, "; ".join(errors),
                                                  replay.stderr.strip()[:300])]
    if live is None:
        return errors
    return errors + expect.check_replay(live, json_run.returncode, replayed, replay.returncode)


def write_artifacts(directory, world, runs, errors, secrets):
    """Outputs and peer logs, with any leaked secret replaced by its kind."""
    def dump(name, text):
        with open(os.path.join(directory, name), "w") as f:
            f.write(expect.redact(text, secrets))

    for run in runs:
        kind = run.kind
        dump(kind + ".stdout", run.stdout)
        dump(kind + ".stderr", run.stderr)
    peers = {"tls": [dict(e, peer="%s:%d" % (ip, port)) for ip, port, e in world.tls_events()],
             "other_peers": {p.describe(): p.events for p in world.peers if p.behaviour != "tls"},
             "dns_queries": world.all_queries(),
             "imds_requests": world.imds.requests if world.imds else [],
             "api_calls": world.api_calls(),
             "proxy_connects": world.proxy_connects()}
    dump("peers.json", json.dumps(peers, indent=2, default=str))
    dump("world.txt", "\n".join(world.describe()) + "\n")
    dump("result.txt", "\n".join(errors or ["PASS"]) + "\n")


# --time-factor: valgrind runs ssm-reach 20-50 times slower.
TIME_FACTOR = 1.0
# --slack: seconds added to every wall-clock guard and kill limit (an
# instrumented build's start and exit scan, outside ssm-reach's own clock).
# The promises on elapsed_ms get none, in any build.
SLACK_S = 0.0
# --elapsed-slack: seconds added to max_seconds on elapsed_ms, never to a
# deadline. A deadline cuts the run however slow its work; a structural
# max_seconds ("one timeout, not two") is timeouts plus the run's own work
# (TLS, the lab's Python peers), which an instrumented build on a loaded
# machine stretches: dns_server_port (one 2 s timeout, max 3 s) took 2.6 s
# of its own time under ASan at load 6 on 2 cores.
ELAPSED_SLACK_S = 0.0
# --sequential: one run at a time (under valgrind, parallel runs starve each
# other of CPU and miss IMDS's fixed 1 s per request).
SEQUENTIAL = False
# --memcheck-only: see check_memcheck_runs.
MEMCHECK_ONLY = False
CHECK_RSS = True  # max_rss_mib holds for uninstrumented builds only (--no-rss-limit)


def give_to_nobody(directory):
    """`directory` and all below it owned by nobody (--as-nobody: its home
    and where its evidence goes; the artifacts stay readable for root)."""
    for root, dirs, files in os.walk(directory):
        for entry in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.chown(entry, netns.NOBODY, netns.NOBODY)


def check_memcheck_runs(runs, replay, evidence):
    """--memcheck-only: what stays true however slowly ssm-reach runs. Every
    run ends on its own (no kill) with a diagnosis exit (0-2; valgrind's
    own error exit is 99), its JSON keeps the contract, and explain of its
    evidence reproduces it. Which targets pass is not asked: under valgrind
    each step costs 20-50 times the CPU, and IMDS's fixed 1 s per request
    (README "Usage", Timing) runs out while the event loop is busy with the
    other targets' TLS handshakes, so IMDS may time out."""
    errors = []
    for run in runs:
        if run.timed_out:
            errors.append("%s: killed after %.0f s (hang)" % (run.kind, run.limit_s))
        elif run.returncode not in (0, 1, 2):
            errors.append("%s: exit %s, expected a diagnosis (0-2)" % (run.kind, run.returncode))
    json_run = runs[0]
    doc, parse_errors = expect.check_json_stdout(json_run.stdout)
    errors += parse_errors
    if doc is not None:
        errors += expect.check_report(doc, json_run.returncode)
    errors += check_replay(json_run, replay, evidence)
    return errors


def evidence_written_by(s, directory):
    """The uid that owns the scenario's saved evidence, if it has one."""
    path = os.path.join(directory, "evidence.json")
    if s.get("usage") or s.get("boot") or not os.path.isfile(path):
        return None
    return os.stat(path).st_uid


def run_inside(s, binary, pki, artifacts, wrapper=(), as_nobody=False):
    """In the lab namespace: start the world, run, check, report. `wrapper`
    precedes every ssm-reach command; `as_nobody` runs it as nobody."""
    from ssmlab.probe_run import ProbeRun, PtyRun, clean_env
    from ssmlab.world import World

    name = s["name"]
    directory = os.path.join(artifacts, name)
    shutil.rmtree(directory, ignore_errors=True)
    home = os.path.join(directory, "home")
    os.makedirs(home)
    os.makedirs(os.path.dirname(long_ca_file(home)))
    shutil.copy(pki.ca_file, long_ca_file(home))
    bad_ca_files(home)
    env = clean_env(home, pki.ca_file,
                    {k: substitute(v, pki, home) for k, v in s.get("env", {}).items()})
    args = probe_args(s, pki, home)
    limit = kill_limit_s(s)
    wrapper = [w.replace("{artifacts}", directory) for w in wrapper]
    if as_nobody:
        give_to_nobody(directory)
        wrapper = ["setpriv", "--reuid=%d" % netns.NOBODY, "--regid=%d" % netns.NOBODY,
                   "--clear-groups", "--inh-caps=-all", "--"] + wrapper
    binary = wrapper + [binary]

    world = World(s.get("world", {}), pki, directory)
    try:
        world.start()
    except Exception as e:
        print("FAIL %s: LAB FAILURE: the world did not start: %s: %s" % (name, type(e).__name__, e))
        return 1
    try:
        if s.get("usage"):
            runs = [ProbeRun(binary, args, env, home, limit)]
            runs[0].kind = "usage"
        elif s.get("boot"):
            # The unit's default path, in an empty /var/log of this
            # namespace: ssm-reach must create /var/log/ssm-reach itself.
            netns.mount_tmpfs("/var/log")
            boot_json = BOOT_JSON
            runs = [ProbeRun(binary, args + ["--boot"], env, home, limit)]
            runs[0].kind = "boot"
        else:
            evidence = os.path.join(directory, "evidence.json")
            runs = [ProbeRun(binary, args + ["--output", "json", "--save-evidence", evidence],
                             env, home, limit),
                    ProbeRun(binary, args + ["--output", "text"], env, home, limit)]
            runs[0].kind, runs[1].kind = "json", "text"
            if s.get("tty"):
                # The same text report on an 80-column terminal, with and without NO_COLOR.
                for kind, extra in (("tty", {}), ("tty-nocolor", {"NO_COLOR": "1"})):
                    run = PtyRun(binary, args + ["--output", "text"], dict(env, TERM="xterm", **extra),
                                 home, limit)
                    run.kind = kind
                    runs.append(run)
        if SEQUENTIAL:
            for run in runs:
                run.start().wait()
        else:
            for run in runs:
                run.start()
            for run in runs:
                run.wait()
    finally:
        world.stop()

    # The live verdict must be reproducible offline: `explain` of the
    # evidence the JSON run saved, with every peer already gone.
    replay = None
    if not s.get("usage") and not s.get("boot"):
        replay = ProbeRun(binary, ["explain", evidence, "--output", "json"], env, home, limit)
        replay.kind = "explain"
        replay.start().wait()

    errors = []
    if s.get("usage"):
        errors += check_usage_run(s, runs[0])
        doc = None
    elif s.get("boot"):
        errors += check_common(s, runs[0], "--boot")
        errors += check_boot_run(s, runs[0], boot_json)
        errors += check_boot_fleet(runs[0], boot_json, binary, env, home, limit, directory)
    elif MEMCHECK_ONLY:
        errors += check_memcheck_runs(runs, replay, evidence)
        runs.append(replay)
    else:
        json_run, text_run = runs[:2]
        errors += check_common(s, json_run, "--output json")
        errors += check_common(s, text_run, "--output text")
        for run in runs[2:]:
            errors += check_common(s, run, run.kind)
            text = run.stdout if run.kind == "tty-nocolor" else ANSI_SGR.sub("", run.stdout)
            errors += ["%s: %s" % (run.kind, e) for e in expect.check_text(text)]
        doc, json_errors = check_json_run(s, json_run)
        errors += json_errors
        errors += check_text_run(s, text_run, doc)
        errors += check_console_bytes(text_run, "--output text")
        if json_run.returncode != text_run.returncode:
            errors.append("exit codes differ: json %s, text %s" % (json_run.returncode,
                                                                 text_run.returncode))
        errors += check_sni(world, doc)
        errors += check_replay(json_run, replay, evidence)
        errors += check_evidence(s, evidence)
        runs.append(replay)
    if not MEMCHECK_ONLY:
        errors += world_checks(s, world, runs)
    errors += check_sanitizers(runs, directory)
    if as_nobody and evidence_written_by(s, directory) not in (None, netns.NOBODY):
        errors.append("--as-nobody: the evidence file is not owned by nobody: setpriv did not "
                      "take effect")
    secrets = lab_secrets(world)
    evidence_file = None if s.get("usage") else boot_json if s.get("boot") else evidence
    leaks = expect.secret_leaks(secret_sources(runs, evidence_file), secrets)
    errors += leaks
    if leaks and evidence_file and os.path.isfile(evidence_file):  # the artifact, not the secret
        with open(evidence_file, errors="replace") as f:
            redacted = expect.redact(f.read(), secrets)
        with open(evidence_file, "w") as f:
            f.write(redacted)
    write_artifacts(directory, world, runs, errors, secrets)

    # What this runner prints must not carry a secret either (a scenario's
    # arguments may hold the proxy password).
    hide = lambda text: expect.redact(text, secrets)  # noqa: E731
    command = hide("ssm-reach " + " ".join(args))
    timing = ", ".join("%s %.2f s%s" % (r.kind, r.seconds, "" if r.max_rss_kib is None else
                                          " %.1f MiB" % (r.max_rss_kib / 1024.0)) for r in runs)
    if errors:
        print("FAIL %s: %s" % (name, s["about"]))
        print("  command: %s [--output json --save-evidence FILE | --output text]; "
              "ssm-reach explain FILE --output json   (%s)" % (command, timing))
        for e in errors:
            print("  - " + hide(e))
        for run in runs:
            print("  --- %s exit %s, stderr: %s" % (run.kind, run.returncode,
                                                   hide(run.stderr.strip())[:500]))
        print("  artifacts: %s" % directory)
        return 1
    print("PASS %s: %s (%s)" % (name, s["about"], timing))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.environ.get("SSM_REACH", DEFAULT_BINARY))
    parser.add_argument("--rss-helper", default=None,
                        help="tests/e2e/peak_rss_exec, to measure each run's peak RSS "
                             "(default: next to the binary's build, if built)")
    parser.add_argument("--pki", default=None, help="PKI directory (default: next to the binary)")
    parser.add_argument("--artifacts", default=None, help="where outputs are kept")
    parser.add_argument("--wrapper", default="",
                        help="command (shell words) every ssm-reach run starts with")
    parser.add_argument("--time-factor", type=float, default=1.0,
                        help="multiply the kill limits and max_seconds (slow wrappers)")
    parser.add_argument("--slack", type=float, default=0.0,
                        help="seconds added to the wall-clock hang guards and kill limits "
                             "(instrumented builds); elapsed_ms gets none")
    parser.add_argument("--elapsed-slack", type=float, default=0.0,
                        help="seconds added to max_seconds on the report's elapsed_ms "
                             "(instrumented builds); never to a deadline")
    parser.add_argument("--no-rss-limit", action="store_true",
                        help="report peak RSS but do not check max_rss_mib (ASan's shadow "
                             "memory alone is tens of MiB)")
    parser.add_argument("--sequential", action="store_true",
                        help="one ssm-reach run at a time (slow wrappers)")
    parser.add_argument("--memcheck-only", action="store_true",
                        help="check only what no slowdown changes (valgrind)")
    parser.add_argument("--as-nobody", action="store_true",
                        help="run ssm-reach as nobody (needs root; maps nobody into the lab)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--describe", action="store_true")
    parser.add_argument("names", nargs="*")
    opts = parser.parse_args()
    table = scenarios.by_name()

    if opts.list:
        print("\n".join(table))
        return 0
    unknown = [n for n in opts.names if n not in table]
    if unknown or not opts.names:
        print("unknown scenario(s) %s; try --list" % unknown if unknown else "name a scenario",
              file=sys.stderr)
        return 2
    if opts.describe:
        for n in opts.names:
            print(json.dumps(table[n], indent=2, default=repr))
        return 0

    binary = os.path.abspath(opts.binary)
    build = os.path.dirname(os.path.dirname(binary))
    pki_dir = opts.pki or os.path.join(build, "lab", "pki")
    artifacts = os.path.abspath(opts.artifacts or os.path.join(build, "lab", "runs"))

    rss_helper = os.path.abspath(opts.rss_helper or os.path.join(build, "tests", "e2e",
                                                                 "peak_rss_exec"))
    if len(opts.names) > 1:  # each scenario needs its own fresh namespace
        passed = ["--wrapper", opts.wrapper, "--time-factor", str(opts.time_factor),
                  "--slack", str(opts.slack), "--elapsed-slack", str(opts.elapsed_slack)]
        passed += ["--as-nobody"] if opts.as_nobody else []
        passed += ["--sequential"] if opts.sequential else []
        passed += ["--no-rss-limit"] if opts.no_rss_limit else []
        passed += ["--memcheck-only"] if opts.memcheck_only else []
        codes = [subprocess.call([sys.executable, __file__, "--binary", binary, "--pki", pki_dir,
                                  "--artifacts", artifacts, "--rss-helper", rss_helper] + passed + [n]) for n in opts.names]
        return 1 if any(codes) else 0

    if not os.access(binary, os.X_OK):
        print("FAIL: ssm-reach binary not found or not executable: %s" % binary, file=sys.stderr)
        return 1
    if os.access(rss_helper, os.X_OK):
        from ssmlab import probe_run
        probe_run.RSS_HELPER = rss_helper
    global TIME_FACTOR, SLACK_S, ELAPSED_SLACK_S, SEQUENTIAL, MEMCHECK_ONLY, CHECK_RSS
    CHECK_RSS = not opts.no_rss_limit
    ELAPSED_SLACK_S = opts.elapsed_slack
    TIME_FACTOR, SLACK_S, SEQUENTIAL = opts.time_factor, opts.slack, opts.sequential
    MEMCHECK_ONLY = opts.memcheck_only
    lab_pki.ensure(pki_dir)
    netns.enter_lab_namespace(with_nobody=opts.as_nobody)  # from here on, inside the lab
    return run_inside(table[opts.names[0]], binary, lab_pki.Pki(pki_dir), artifacts,
                      shlex.split(opts.wrapper), opts.as_nobody)


if __name__ == "__main__":
    sys.exit(main())
