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

    [expect]
    exit = 2                   # or a list of acceptable codes
    status = "critical"        # the report's overall status
    others_ok = true           # targets not named below must be ok (default)
    text_contains = ["..."]    # substrings of the text report
    checks = ["resolver_used"] # peer-side checks of tests/e2e/run_scenario.py

    [expect.targets.ssmmessages]
    status = "critical"
    failed_layer = "tcp"
    cause = "tcp.timeout"      # or cause_any = ["tls.closed", "tls.protocol"]
    class = "vpc"              # every address's class
    ips = ["10.0.1.11"]        # exactly these addresses
    tcp = "timeout"            # every address's TCP status ("" for no TLS)
    tls = "ok"                 # every address's TLS status
    explanation_contains = ["..."]
    remedy_contains = ["..."]

`to_e2e(scenario)` turns it into tests/e2e's scenario dict, so the same
checks (run_scenario.check_json_run and friends) judge it.
"""

import os
import tomllib

from ssmlab import plan

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO_DIR = os.path.join(HERE, "scenarios")
TOP_KEYS = {"about", "proves", "pending", "world", "run", "expect"}
RUN_KEYS = {"args", "region_flag", "env"}
EXPECT_KEYS = {"exit", "status", "others_ok", "text_contains", "checks", "targets", "services",
               "report"}
TARGET_KEYS = {"status", "failed_layer", "cause", "cause_any", "class", "ips", "tcp", "tls",
               "explanation_contains", "remedy_contains"}


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
    s["name"] = name
    return s


class EveryAddress:
    """A matcher for a target's address list: each address has `want`."""

    def __init__(self, key, want, sub=None):
        self.key, self.want, self.sub = key, want, sub

    def check(self, actual):
        if not isinstance(actual, list) or not actual:
            return "expected addresses, got %r" % (actual,)
        bad = []
        for a in actual:
            value = a.get(self.key) if isinstance(a, dict) else None
            if self.sub:
                value = value.get(self.sub) if isinstance(value, dict) else value
            if value != self.want:
                bad.append("%s: %r" % (a.get("ip") if isinstance(a, dict) else a, value))
        return None if not bad else "%s%s should be %r: %s" % (
            self.key, "." + self.sub if self.sub else "", self.want, ", ".join(bad))

    def __repr__(self):
        return "EveryAddress(%s=%r)" % (self.key, self.want)


class AllOf:
    def __init__(self, *matchers):
        self.matchers = matchers

    def check(self, actual):
        reasons = [r for r in (m.check(actual) for m in self.matchers) if r]
        return "; ".join(reasons) or None


class SameSet:
    def __init__(self, ips):
        self.ips = sorted(ips)

    def check(self, actual):
        got = sorted(a.get("ip") for a in actual or [] if isinstance(a, dict))
        return None if got == self.ips else "addresses %s, expected %s" % (got, self.ips)


def _target(t):
    import expect  # tests/e2e, on sys.path via run_scenario
    from expect import Contains, OneOf
    out = {k: t[k] for k in ("status", "failed_layer", "cause") if k in t}
    if "cause_any" in t:
        out["cause"] = OneOf(*t["cause_any"])
    if "explanation_contains" in t:
        out["explanation"] = Contains(*t["explanation_contains"])
    if "remedy_contains" in t:
        out["remedy"] = Contains(*t["remedy_contains"])
    address_checks = []
    if "ips" in t:
        address_checks.append(SameSet(t["ips"]))
    if "class" in t:
        address_checks.append(EveryAddress("class", t["class"]))
    if "tcp" in t:
        address_checks.append(EveryAddress("tcp", t["tcp"], "status"))
    if "tls" in t:
        address_checks.append(EveryAddress("tls", t["tls"] or None,
                                           "status" if t["tls"] else None))
    if address_checks:
        # Subclass of expect.Matcher, so expect.match calls check() on it.
        matcher = type("AddressCheck", (expect.Matcher,), {
            "check": lambda self, actual: AllOf(*address_checks).check(actual)})()
        out["addresses"] = matcher
    return out


def to_e2e(s):
    """tests/e2e's scenario dict for run_scenario's checks."""
    e = s.get("expect", {})
    run = s.get("run", {})
    out = {"name": s["name"], "about": s["about"], "world": {"region": plan.REGION},
           "args": list(run.get("args", [])), "region_flag": run.get("region_flag", True),
           "env": dict(run.get("env", {})),
           "exit": tuple(e["exit"]) if isinstance(e["exit"], list) else e["exit"],
           "targets": {svc: _target(t) for svc, t in e.get("targets", {}).items()},
           "others_ok": e.get("others_ok", True),
           "text_contains": list(e.get("text_contains", [])),
           "checks": list(e.get("checks", [])),
           "report": dict(e.get("report", {}))}
    if "status" in e:
        out["report"]["status"] = e["status"]
    if "services" in e:
        out["services"] = e["services"]
    return out
