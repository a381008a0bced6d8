"""Scenario files (tests/vpc/scenarios/NAME.toml) and what they expect.

A scenario file (Python 3.11 tomllib):

    about = "one line: what the world simulates"
    proves = "one line for README's table: what a pass shows"
    pending = "why"            # optional: reported as PENDING, exit 1, never a pass

    [world]                    # VpcWorld knobs (vpclab/world.py)
    nat = false

    [run]
    args = ["--timeout", "1"]  # ssm-reach arguments (--region added unless
    region_flag = true         #   region_flag is false; --output by the runner)
    env = { https_proxy = "http://10.0.4.4:3128" }
    sequential = true          # the JSON run, then the text run (default: both
                               #   at once); IMDS's counters restart for each.
                               #   On by default when the world has
                               #   imds_throttle or imds_connlimit, or [expect]
                               #   has imds_max_connections: those count per
                               #   run, and two runs at once share IMDS

    [expect]
    exit = 2                   # or a list of acceptable codes
    status = "critical"        # the report's overall status
    others_ok = true           # targets not named below must be ok (default)
    text_contains = ["..."]    # substrings of the text report
    checks = ["resolver_used"] # peer-side checks of tests/e2e/run_scenario.py
                               # (a list item ["proxy_connect", "ssm", "TCP_TUNNEL/200"]
                               # is its tuple form)
    imds_max_connections = 2   # no run held more client connections to IMDS
                               # open at once (FakeImds.max_connections)

    [expect.targets.ssmmessages]
    host = "ssmmessages.eu-central-1.api.aws"   # the name checked
    status = "critical"
    failed_layer = "tcp"
    cause = "tcp.timeout"      # or cause_any = ["tls.closed", "tls.protocol"]
    class = "vpc"              # every address's class (those ignored, an unrouted
                               #   family while the other works, included)
    ips = ["10.0.1.11"]        # exactly these addresses
    tcp = "timeout"            # every address's TCP status ("" for no TLS)
    tls = "ok"                 # every address's TLS status
    explanation_contains = ["..."]
    remedy_contains = ["..."]

    [expect.targets.ssm.addresses."64:ff9b::cb00:710a"]   # or per address, keyed by IP
    class = "nat64"            # (exactly the addresses named; any JSON field of
    ignored = false            #   the address, tcp = { status = "ok" } too)

`to_e2e(scenario)` turns it into tests/e2e's scenario dict, so the same
checks (run_scenario.check_json_run and friends) judge it.
"""

import os
import tomllib

import expect  # tests/e2e (the runner puts it on sys.path)
from ssmlab import plan

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO_DIR = os.path.join(HERE, "scenarios")
TOP_KEYS = {"about", "proves", "pending", "world", "run", "expect"}
RUN_KEYS = {"args", "region_flag", "env", "sequential"}
EXPECT_KEYS = {"exit", "status", "others_ok", "text_contains", "checks", "targets", "services",
               "report", "imds_max_connections"}
TARGET_KEYS = {"status", "failed_layer", "cause", "cause_any", "class", "ips", "tcp", "tls",
               "explanation_contains", "remedy_contains", "host", "addresses"}


def names():
    return sorted(f[:-5] for f in os.listdir(SCENARIO_DIR) if f.endswith(".toml"))


def load(name):
    path = os.path.join(SCENARIO_DIR, name + ".toml")
    with open(path, "rb") as f:
        s = tomllib.load(f)
    problems = sorted(set(s) - TOP_KEYS) + sorted(set(s.get("run", {})) - RUN_KEYS) \
        + sorted(set(s.get("expect", {})) - EXPECT_KEYS)
    for service, t in s.get("expect", {}).get("targets", {}).items():
        problems += ["targets.%s.%s" % (service, k) for k in sorted(set(t) - TARGET_KEYS)]
    if problems or "about" not in s or "exit" not in s.get("expect", {}):
        raise ValueError("%s: unknown keys %s, or no about / expect.exit" % (path, problems))
    limit = s.get("expect", {}).get("imds_max_connections")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ValueError("%s: expect.imds_max_connections must be an integer >= 1" % path)
    s["name"] = name
    return s


def sequential(s):
    """Whether the runs go one after another (see [run] sequential)."""
    world, e = s.get("world", {}), s.get("expect", {})
    default = bool(world.get("imds_throttle") or world.get("imds_connlimit") is not None
                   or "imds_max_connections" in e)
    return bool(s.get("run", {}).get("sequential", default))


def vpc_checks(s, runs):
    """The expectations tests/e2e has no place for: [expect]
    imds_max_connections against each run's `imds_max_connections` (the
    runner records FakeImds.max_connections per run when the runs go one
    after another, the shared maximum when they overlap)."""
    limit = s.get("expect", {}).get("imds_max_connections")
    errors = []
    if limit is None:
        return errors
    for run in runs:
        seen = getattr(run, "imds_max_connections", None)
        if seen is None:
            errors.append("%s run: IMDS's connections were not counted" % run.kind)
        elif seen > limit:
            errors.append("%s run: IMDS saw %d client connections open at once, expected at "
                          "most %d" % (run.kind, seen, limit))
    return errors


class AddressCheck(expect.Matcher):
    """A target's address list: exactly `ips` (if given), and every address
    with the wanted class, TCP status and TLS status (None: no TLS)."""

    _UNSET = object()

    def __init__(self, ips=None, klass=None, tcp=None, tls=_UNSET):
        self.ips, self.klass, self.tcp, self.tls = ips, klass, tcp, tls

    def check(self, actual):
        if not isinstance(actual, list) or not all(isinstance(a, dict) for a in actual):
            return "expected a list of addresses, got %r" % (actual,)
        problems = []
        got = sorted(a.get("ip") for a in actual)
        if self.ips is not None and got != sorted(self.ips):
            problems.append("addresses %s, expected %s" % (got, sorted(self.ips)))
        if not actual:
            problems.append("no address")
        for a in actual:
            tls = a.get("tls")
            seen = {"class": a.get("class"),
                    "tcp": (a.get("tcp") or {}).get("status"),
                    "tls": tls.get("status") if isinstance(tls, dict) else tls}
            wanted = {"class": self.klass, "tcp": self.tcp}
            if self.tls is not self._UNSET:
                wanted["tls"] = self.tls
            for key, want in wanted.items():
                if want is not None or key == "tls":
                    if seen[key] != want:
                        problems.append("%s %s is %r, expected %r" % (a.get("ip"), key,
                                                                      seen[key], want))
        return "; ".join(problems) or None

    def __repr__(self):
        return "AddressCheck(ips=%r, class=%r, tcp=%r, tls=%r)" % (self.ips, self.klass,
                                                                   self.tcp, self.tls)


def _target(t):
    out = {k: t[k] for k in ("status", "failed_layer", "cause", "host") if k in t}
    if "cause_any" in t:
        out["cause"] = expect.OneOf(*t["cause_any"])
    if "explanation_contains" in t:
        out["explanation"] = expect.Contains(*t["explanation_contains"])
    if "remedy_contains" in t:
        out["remedy"] = expect.Contains(*t["remedy_contains"])
    if "addresses" in t:  # per address, keyed by IP: exactly these addresses
        if set(t) & {"ips", "class", "tcp", "tls"}:
            raise ValueError("a target takes addresses or ips/class/tcp/tls, not both")
        out["addresses"] = {ip: dict(a) for ip, a in t["addresses"].items()}
    if set(t) & {"ips", "class", "tcp", "tls"}:
        check = AddressCheck(t.get("ips"), t.get("class"), t.get("tcp"))
        if "tls" in t:  # "" means no TLS result (TCP never connected)
            check.tls = t["tls"] or None
        out["addresses"] = check
    return out


def to_e2e(s):
    """tests/e2e's scenario dict for run_scenario's checks."""
    e = s.get("expect", {})
    run = s.get("run", {})
    region = s.get("world", {}).get("region", plan.REGION)
    out = {"name": s["name"], "about": s["about"], "world": {"region": region},
           "args": list(run.get("args", [])), "region_flag": run.get("region_flag", True),
           "env": dict(run.get("env", {})),
           "exit": tuple(e["exit"]) if isinstance(e["exit"], list) else e["exit"],
           "targets": {svc: _target(t) for svc, t in e.get("targets", {}).items()},
           "others_ok": e.get("others_ok", True),
           "text_contains": list(e.get("text_contains", [])),
           # ["proxy_connect", "ssmmessages", "TCP_DENIED/403"] -> a tuple, as e2e writes it
           "checks": [tuple(c) if isinstance(c, list) else c for c in e.get("checks", [])],
           "report": dict(e.get("report", {}))}
    if "status" in e:
        out["report"]["status"] = e["status"]
    if "services" in e:
        out["services"] = e["services"]
    return out
