"""What every ssm-reach report must satisfy, and small matchers that let a
scenario say what its report must show.

check_json_stdout  stdout is exactly one JSON object (no NaN, nothing else)
check_report       the contract's required fields, types and consistency
check_text         plain ASCII, no control characters, <= 80 columns
check_replay       `ssm-reach explain` of the saved evidence says what the live run said
check_elapsed      the run's timing promises, judged on its own clock (elapsed_ms)
wall_guard_s       the wall-clock limit that only catches a hang
match              a scenario's expectations against the report (subset match)
secret_leaks       no secret the lab knows appears in any output or file
"""

import base64
import ipaddress
import json
import re
import urllib.parse

SCHEMA = "ssm-reach/v1"
STATUSES = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}
TARGET_STATUSES = {"ok", "warning", "critical", "skipped"}
LAYERS = {"imds", "dns", "tcp", "tls", "http", "proxy", "auth"}
CLASSES = {"vpc", "private", "public", "loopback", "link-local", "nat64"}
# DNS64 answers: the well-known NAT64 prefix and the local-use one (RFC 8215).
_NAT64 = [ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48")]
TCP_STATUSES = {"ok", "timeout", "refused", "unreachable", "error"}
# Targets reached over plain HTTP: no TLS result is expected for them.
PLAIN_HTTP_SERVICES = {"imds"}
_PRIVATE = [ipaddress.ip_network(n) for n in
            ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")]


# -- matchers ----------------------------------------------------------------
class Matcher:
    def check(self, actual):
        """None if `actual` fits, else a short reason."""
        raise NotImplementedError


class Contains(Matcher):
    """A string holding every needle (case and runs of whitespace ignored)."""

    def __init__(self, *needles):
        self.needles = needles

    def check(self, actual):
        if not isinstance(actual, str):
            return "expected a string containing %r, got %r" % (self.needles, actual)
        hay = " ".join(actual.split()).lower()
        missing = [n for n in self.needles if " ".join(n.split()).lower() not in hay]
        return "%r does not contain %r" % (_short(actual), missing) if missing else None

    def __repr__(self):
        return "Contains%r" % (self.needles,)


class NotContains(Matcher):
    """A string holding none of the needles (case and whitespace ignored)."""

    def __init__(self, *needles):
        self.needles = needles

    def check(self, actual):
        if not isinstance(actual, str):
            return "expected a string, got %r" % (actual,)
        hay = " ".join(actual.split()).lower()
        found = [n for n in self.needles if " ".join(n.split()).lower() in hay]
        return "%r contains %r" % (_short(actual), found) if found else None


class OneOf(Matcher):
    def __init__(self, *choices):
        self.choices = choices

    def check(self, actual):
        return None if actual in self.choices else "%r not one of %r" % (actual, self.choices)

    def __repr__(self):
        return "OneOf%r" % (self.choices,)


class Matches(Matcher):
    def __init__(self, pattern):
        self.pattern = re.compile(pattern)

    def check(self, actual):
        ok = isinstance(actual, str) and self.pattern.search(actual)
        return None if ok else "%r does not match /%s/" % (actual, self.pattern.pattern)


class AnyItem(Matcher):
    """A list with at least one item that matches `expected` (say, one note
    among several)."""

    def __init__(self, expected):
        self.expected = expected

    def check(self, actual):
        if not isinstance(actual, list):
            return "expected a list, got %r" % (_short(actual),)
        if any(not match(self.expected, item) for item in actual):
            return None
        return "no item of %s matches %r" % (_short(actual), self.expected)

    def __repr__(self):
        return "AnyItem(%r)" % (self.expected,)


class Present(Matcher):
    """Any value but null."""

    def check(self, actual):
        return "missing or null" if actual is None else None


def _short(text, limit=160):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


def match(expected, actual, path="$"):
    """Mismatches of `actual` against `expected` (a subset: unnamed keys are free).

    Dicts match key by key; an `addresses` dict keyed by IP matches the list of
    address objects by their `ip`, and the set of IPs must be exactly those.
    """
    if isinstance(expected, Matcher):
        reason = expected.check(actual)
        return ["%s: %s" % (path, reason)] if reason else []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ["%s: expected an object, got %r" % (path, _short(actual))]
        errors = []
        for key, want in expected.items():
            if key == "addresses" and isinstance(want, dict):
                errors += _match_addresses(want, actual.get("addresses"), path + ".addresses")
            elif key not in actual:
                errors.append("%s.%s: missing" % (path, key))
            else:
                errors += match(want, actual[key], "%s.%s" % (path, key))
        return errors
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return ["%s: expected %r, got %r" % (path, expected, _short(actual))]
        return [e for i, w in enumerate(expected) for e in match(w, actual[i], "%s[%d]" % (path, i))]
    if not _equal(expected, actual):
        return ["%s: expected %r, got %r" % (path, expected, _short(actual))]
    return []


def _equal(expected, actual):
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if expected is None or actual is None:
        return expected is actual
    if _is_number(expected) and _is_number(actual):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def _match_addresses(want, actual, path):
    if not isinstance(actual, list):
        return ["%s: expected a list, got %r" % (path, actual)]
    by_ip = {a.get("ip"): a for a in actual if isinstance(a, dict)}
    errors = []
    if set(by_ip) != set(want):
        errors.append("%s: addresses %s, expected %s" % (path, sorted(by_ip), sorted(want)))
    for ip, expectation in want.items():
        if ip in by_ip:
            errors += match(expectation, by_ip[ip], "%s[%s]" % (path, ip))
    return errors


# -- the contract ------------------------------------------------------------
def check_json_stdout(stdout):
    """(document, errors): stdout must be exactly one JSON object."""
    def no_constants(name):
        raise ValueError("non-standard JSON constant %s" % name)

    text = stdout.strip()
    if not text:
        return None, ["stdout is empty: expected one JSON object"]
    try:
        doc, end = json.JSONDecoder(parse_constant=no_constants).raw_decode(text)
    except ValueError as e:
        return None, ["stdout is not JSON: %s; starts %r" % (e, text[:120])]
    errors = []
    if text[end:].strip():
        errors.append("stdout has more after the JSON object: %r" % text[end:end + 80])
    if not isinstance(doc, dict):
        errors.append("stdout JSON is a %s, not an object" % type(doc).__name__)
        return None, errors
    return doc, errors


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _field(obj, key, types, path, errors, nullable=False):
    if not isinstance(obj, dict) or key not in obj:
        errors.append("%s.%s: required field missing" % (path, key))
        return None
    value = obj[key]
    if value is None and nullable:
        return None
    ok = _is_number(value) if types == "number" else isinstance(value, types)
    if types is int and isinstance(value, bool):
        ok = False
    if not ok:
        errors.append("%s.%s: %r has the wrong type" % (path, key, _short(value)))
        return None
    return value


def address_classes(ip, vpc_cidrs):
    """The class(es) the contract allows for an address."""
    a = ipaddress.ip_address(ip)
    if a.is_loopback:
        return {"loopback"}
    if a.is_link_local:
        return {"link-local"}
    if any(a in n for n in _NAT64 if n.version == a.version):
        return {"nat64"}
    for cidr in vpc_cidrs:
        try:
            if a in ipaddress.ip_network(cidr, strict=False):
                return {"vpc"}
        except ValueError:
            pass
    if any(a in n for n in _PRIVATE if n.version == a.version):
        return {"private"}
    return {"public"}


def check_report(doc, exit_code):
    """Every contract-required field with its type, and the rules tying them."""
    errors = []
    if _field(doc, "schema", str, "$", errors) not in (None, SCHEMA):
        errors.append("$.schema: %r, expected %r" % (doc["schema"], SCHEMA))
    status = _field(doc, "status", str, "$", errors)
    if status is not None and status not in STATUSES:
        errors.append("$.status: %r is not a contract status" % status)
    elif status is not None and STATUSES[status] != exit_code:
        errors.append("exit code %s does not match status %r (expected %d)"
                      % (exit_code, status, STATUSES[status]))
    if "exit_code" in doc and doc["exit_code"] != exit_code:  # an extension; if there, true
        errors.append("$.exit_code %r, but the process exited %s" % (doc["exit_code"], exit_code))
    _field(doc, "region", str, "$", errors, nullable=(status == "unknown"))
    elapsed = _field(doc, "elapsed_ms", "number", "$", errors)
    if elapsed is not None and elapsed < 0:
        errors.append("$.elapsed_ms: negative")
    context = _field(doc, "context", dict, "$", errors) or {}
    vpc_cidrs = context.get("vpc_cidrs") or []
    targets = _field(doc, "targets", list, "$", errors) or []
    if status in ("ok", "warning", "critical") and not targets:
        errors.append("$.targets: empty, yet status is %r" % status)

    ranks = {"ok": 0, "skipped": 0, "warning": 1, "critical": 2}
    for i, target in enumerate(targets):
        errors += _check_target(target, "$.targets[%d]" % i, vpc_cidrs)
        t_status = target.get("status") if isinstance(target, dict) else None
        if (isinstance(target, dict) and target.get("required") is True and status in STATUSES
                and t_status in ranks and status != "unknown"
                and STATUSES[status] < ranks[t_status]):
            errors.append("$.status %r is milder than required target %s's %r"
                          % (status, target.get("service"), t_status))
    return errors


def _check_target(t, path, vpc_cidrs):
    errors = []
    if not isinstance(t, dict):
        return ["%s: not an object" % path]
    for key in ("service", "host"):
        if not _field(t, key, str, path, errors):
            if key in t:
                errors.append("%s.%s: empty" % (path, key))
    port = _field(t, "port", int, path, errors)
    if port is not None and not 1 <= port <= 65535:
        errors.append("%s.port: %d out of range" % (path, port))
    _field(t, "required", bool, path, errors)
    status = _field(t, "status", str, path, errors)
    if status is not None and status not in TARGET_STATUSES:
        errors.append("%s.status: %r is not a target status" % (path, status))
    layer = _field(t, "failed_layer", str, path, errors, nullable=True)
    cause = _field(t, "cause", str, path, errors, nullable=True)
    if layer is not None and layer not in LAYERS:
        errors.append("%s.failed_layer: %r is not a contract layer" % (path, layer))
    if cause is not None:
        m = re.fullmatch(r"([a-z]+)\.[a-z0-9-]+", cause)
        if not m or m.group(1) not in LAYERS:
            errors.append("%s.cause: %r is not written layer.code" % (path, cause))
        elif layer is not None and m.group(1) != layer:
            errors.append("%s.cause %r is not in failed_layer %r" % (path, cause, layer))
    explanation = _field(t, "explanation", str, path, errors, nullable=True)
    remedy = _field(t, "remedy", str, path, errors, nullable=True)
    if status == "ok" and (layer is not None or cause is not None):
        errors.append("%s: status ok but failed_layer/cause %r/%r" % (path, layer, cause))
    if status == "critical" and (layer is None or cause is None):
        errors.append("%s: critical without failed_layer and cause" % path)
    if status in ("warning", "critical"):
        if not explanation:
            errors.append("%s.explanation: empty for a %s target" % (path, status))
        if not remedy:
            errors.append("%s.remedy: empty for a %s target" % (path, status))
    addresses = _field(t, "addresses", list, path, errors) or []
    usable = 0
    plain = t.get("service") in PLAIN_HTTP_SERVICES
    for j, a in enumerate(addresses):
        a_errors, a_usable = _check_address(a, "%s.addresses[%d]" % (path, j), vpc_cidrs, plain)
        errors += a_errors
        usable += a_usable
    if status == "ok" and addresses and not usable:
        errors.append("%s: status ok but no address completed TCP and TLS" % path)
    if status == "ok" and not addresses:
        errors.append("%s: status ok without any address" % path)
    return errors


def _check_address(a, path, vpc_cidrs, plain=False):
    errors = []
    if not isinstance(a, dict):
        return ["%s: not an object" % path], False
    ip = _field(a, "ip", str, path, errors)
    klass = _field(a, "class", str, path, errors)
    if ip is not None:
        try:
            allowed = address_classes(ip, vpc_cidrs)
            if klass is not None and klass not in allowed:
                errors.append("%s.class: %r for %s, expected %s" % (path, klass, ip, sorted(allowed)))
        except ValueError:
            errors.append("%s.ip: %r is not an IP address" % (path, ip))
    if klass is not None and klass not in CLASSES:
        errors.append("%s.class: %r is not a contract class" % (path, klass))
    if "tcp" not in a:
        errors.append("%s.tcp: required field missing" % path)
    if "tls" not in a:
        errors.append("%s.tls: required field missing" % path)
    tcp, tls = a.get("tcp"), a.get("tls")
    tcp_ok = False
    if tcp is not None:
        s = _field(tcp, "status", str, path + ".tcp", errors)
        if s is not None and s not in TCP_STATUSES:
            errors.append("%s.tcp.status: %r is not a contract value" % (path, s))
        ms = _field(tcp, "ms", "number", path + ".tcp", errors)
        if ms is not None and ms < 0:
            errors.append("%s.tcp.ms: negative" % path)
        tcp_ok = s == "ok"
    tls_ok = False
    if tls is not None:
        if not tcp_ok:
            errors.append("%s.tls: present although TCP did not connect" % path)
        s = _field(tls, "status", str, path + ".tls", errors)
        tls_ok = s == "ok"
        if tls_ok and not str(tls.get("version") or "").startswith(("TLSv1.2", "TLSv1.3")):
            errors.append("%s.tls.version: %r for a successful TLS 1.2+ handshake"
                          % (path, tls.get("version")))
    if plain and tls is not None:
        errors.append("%s.tls: a TLS result on a plain HTTP target" % path)
    return errors, tcp_ok and (tls_ok or plain)


def check_text(text):
    """The text report's rules: ASCII, no control characters, <= 80 columns."""
    errors = []
    if not text.strip():
        return ["text report is empty"]
    for number, line in enumerate(text.split("\n"), 1):
        bad = sorted({c for c in line if ord(c) > 126 or (ord(c) < 32)})
        if bad:
            errors.append("text line %d has non-ASCII or control characters %r: %r"
                          % (number, bad, line[:100]))
        if len(line) > 80:
            errors.append("text line %d is %d columns: %r" % (number, len(line), line))
    return errors


# -- timing ------------------------------------------------------------------
# What "ends by its deadline" means, and how the tests judge it:
#
# * The promise is judged on the run's OWN clock: the JSON report's elapsed_ms
#   (from ssm-reach's start to its report). ssm-reach promises the report within
#   DEADLINE_GRACE_MS of its deadline (context.deadline_s; with --boot counted
#   from the end of the boot wait, which has its own bound), and a scenario's
#   max_seconds is held against elapsed_ms (as written; in sanitizer builds
#   the runner's --elapsed-slack 1 s more, as a structural limit counts the
#   run's own, instrumented work; a deadline gets no slack in any build).
# * The wall clock around the process also counts its start, a sanitizer's
#   start and exit (LeakSanitizer scans a 90 MiB ASan process: `explain`
#   alone took 1.2-1.7 s on a loaded 2-core machine) and the scheduling of a
#   machine with other jobs. It is only a hang guard: wall_guard_s gives it
#   WALL_FACTOR times the limit plus WALL_BASE_S, plus the runner's --slack in
#   sanitizer builds. A run that outlives its deadline still fails on
#   elapsed_ms; one that never ends is killed and fails.
DEADLINE_GRACE_MS = 500
WALL_FACTOR = 2.0
WALL_BASE_S = 3.0


def check_elapsed(doc, deadline_s=None, max_seconds=None, wait_s=0.0, factor=1.0,
                  slack_s=0.0):
    """The run's timing promises against its own elapsed_ms:
      - it ended by its deadline: elapsed_ms <= (wait_s + deadline) * 1000 + 500,
        the deadline being `deadline_s` (the --deadline the run was given; the
        report's context.deadline_s must say the same) or, without one, the
        report's own context.deadline_s; wait_s is --boot's wait, before
        which the deadline does not count;
      - max_seconds: elapsed_ms <= (max_seconds + slack_s) * 1000.
    `factor` (a slow wrapper such as valgrind) stretches max_seconds and the
    grace, never the deadline itself; `slack_s` (an instrumented build's
    slower work) is for max_seconds only: a deadline cuts however slow the
    work."""
    if not isinstance(doc, dict):
        return ["no JSON report: the run's timing cannot be judged"]
    elapsed = doc.get("elapsed_ms")
    if not _is_number(elapsed):
        return ["$.elapsed_ms: %r is no number: the run's timing cannot be judged"
                % (_short(elapsed),)]
    errors = []
    context = doc.get("context") if isinstance(doc.get("context"), dict) else {}
    reported = context.get("deadline_s")
    if deadline_s is not None and not (_is_number(reported) and reported == deadline_s):
        errors.append("$.context.deadline_s: %r, but the run was given --deadline %g"
                      % (reported, deadline_s))
    deadline = deadline_s if deadline_s is not None else (
        reported if _is_number(reported) and reported > 0 else None)
    if deadline is not None:
        limit_ms = (wait_s + deadline) * 1000 + DEADLINE_GRACE_MS * factor
        if elapsed > limit_ms:
            errors.append("$.elapsed_ms %s: past the deadline (%s%g s) + %.1f s: %.0f ms"
                          % (elapsed, "boot wait %g s + " % wait_s if wait_s else "", deadline,
                             DEADLINE_GRACE_MS * factor / 1000.0, limit_ms))
    if max_seconds:
        limit_s = max_seconds * factor + slack_s
        if elapsed > limit_s * 1000:
            errors.append("$.elapsed_ms %s: over max_seconds %.1f s%s" % (
                elapsed, max_seconds * factor, " + %g s slack" % slack_s if slack_s else ""))
    return errors


def wall_guard_s(limit_s, factor=1.0, slack_s=0.0):
    """The wall time past which a run counts as hung: a multiple of the
    limit its own clock is held to, plus room for process start and exit
    and a loaded machine; `factor` for slow wrappers, `slack_s` for
    sanitizer builds."""
    return factor * (WALL_FACTOR * limit_s + WALL_BASE_S) + slack_s


# -- replay ------------------------------------------------------------------
# Fields that may differ between a live run and `explain` of its evidence.
REPLAY_IGNORED = ("elapsed_ms",)


def check_replay(live, live_exit, replayed, replay_exit):
    """`explain` of a run's saved evidence must print the live JSON report
    (less elapsed_ms, the only thing a replay cannot know) and exit alike."""
    errors = []
    if replay_exit != live_exit:
        errors.append("explain exits %s, the live run %s" % (replay_exit, live_exit))
    strip = lambda doc: {k: v for k, v in doc.items() if k not in REPLAY_IGNORED}  # noqa: E731
    differences = _differences(strip(live), strip(replayed), "$")
    if differences:
        shown = differences[:8] + (["... %d more" % (len(differences) - 8)]
                                   if len(differences) > 8 else [])
        errors.append("explain's JSON differs from the live run's: " + "; ".join(shown))
    return errors


def _differences(live, replayed, path):
    """Every path where two JSON values differ (a number differs from a bool,
    1 equals 1.0 as JSON readers see it)."""
    if isinstance(live, dict) and isinstance(replayed, dict):
        out = []
        for key in sorted(set(live) | set(replayed), key=str):
            where = "%s.%s" % (path, key)
            if key not in replayed:
                out.append("%s: only in the live report" % where)
            elif key not in live:
                out.append("%s: only in explain's" % where)
            else:
                out += _differences(live[key], replayed[key], where)
        return out
    if isinstance(live, list) and isinstance(replayed, list):
        if len(live) != len(replayed):
            return ["%s: %d items live, %d explained" % (path, len(live), len(replayed))]
        return [d for i, (a, b) in enumerate(zip(live, replayed))
                for d in _differences(a, b, "%s[%d]" % (path, i))]
    if not _equal(live, replayed):
        return ["%s: live %r, explained %r" % (path, _short(live, 80), _short(replayed, 80))]
    return []


# -- secrets -----------------------------------------------------------------
# Shorter values would match by chance (and an empty one everywhere).
MIN_SECRET_LENGTH = 8


def named_secrets(secrets, default_kind="lab secret"):
    """[(kind, value)] from what a lab module declares: a dict of kind ->
    value or list of values, or a list of values or (kind, value) pairs."""
    items = secrets.items() if isinstance(secrets, dict) else (
        tuple(s) if isinstance(s, (tuple, list)) and len(s) == 2 else (default_kind, s)
        for s in secrets or [])
    out = []
    for kind, value in items:
        for one in value if isinstance(value, (list, tuple, set)) else [value]:
            if isinstance(one, str) and len(one) >= MIN_SECRET_LENGTH:
                out.append((kind, one))
    return out


def proxy_basic_credentials(user, password):
    """A Proxy-Authorization header's payload: base64 of user:password."""
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def _spellings(value):
    """The value as written raw, percent-encoded, and escaped in JSON."""
    escaped = json.dumps(value)[1:-1]
    return {value, urllib.parse.quote(value, safe=""), escaped, escaped.replace("/", "\\/")}


def secret_leaks(sources, secrets):
    """One message per (source, kind) where a secret appears. `sources`
    maps a label ("json stdout", "evidence file") to text, `secrets` is
    [(kind, value)]. Messages name the kind, never the value."""
    errors = []
    secrets = [(k, v) for k, v in secrets if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH]
    for label, text in sources.items():
        # Percent-decoded too: a URL may encode any character, even unreserved ones.
        haystacks = (text, urllib.parse.unquote(text))
        kinds = []
        for kind, value in secrets:
            if kind not in kinds and any(v in h for v in _spellings(value) for h in haystacks):
                kinds.append(kind)
        errors += ["a secret leaked: %s appears in %s" % (kind, label) for kind in kinds]
    return errors


def redact(text, secrets):
    """`text` with every secret replaced by <KIND> (for logs of a leak)."""
    secrets = [(k, v) for k, v in secrets if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH]
    for kind, value in sorted(secrets, key=lambda s: -len(s[1])):
        for spelling in sorted(_spellings(value), key=len, reverse=True):
            text = text.replace(spelling, "<%s>" % kind)
    return text
