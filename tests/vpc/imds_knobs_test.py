#!/usr/bin/python3
"""The mini VPC's IMDS knobs do what they say, proven without ssm-reach
from the instance's namespace (ctest vpc.imds_knobs; root, as the vpc suite):

  imds_knobs_test.py --pki DIR [--artifacts DIR]

- imds_connlimit = 2: two TCP connections to 169.254.169.254:80 open, the
  third connect() gets no answer (the router's nft `ct count over 2` drops
  its SYN), and once one of the two is closed a new one opens; FakeImds
  counts 2 connections open at once. Without the knob three open, and it
  counts 3 (the counting is not capped by itself).
- imds_throttle every 3: requests 3 and 6 get 429, are recorded throttled,
  and keep-alive survives them; reset_counters() starts the count afresh;
  a request for the path just throttled is answered even as a 3rd.
  imds_throttle after 2: everything from the 3rd request on gets 503.
- imds_delay: the delayed path takes at least its delay, others do not.
- imds_region: placement/region and the identity document's region carry
  the garbage, the availability zone does not.

Exit 0 when every case holds, 1 otherwise (never a pass without its world).
"""

import argparse
import http.client
import json
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "lab")]

from ssmlab import pki as lab_pki, plan  # noqa: E402
from vpclab import isolation  # noqa: E402
from vpclab.world import VpcWorld  # noqa: E402

TTL = {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}


def connect(world, timeout):
    """A TCP connection from the instance to IMDS, or None if connect() times out."""
    with isolation.in_netns(world.ns["instance"]):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((plan.IMDS, 80))
        return sock
    except socket.timeout:
        sock.close()
        return None


def http_conn(world):
    with isolation.in_netns(world.ns["instance"]):
        sock = socket.create_connection((plan.IMDS, 80), timeout=5)
    conn = http.client.HTTPConnection(plan.IMDS, 80, timeout=5)
    conn.sock = sock
    return conn


def ask(conn, method, path, token=None):
    headers = dict(TTL) if method == "PUT" else {}
    if token:
        headers["X-aws-ec2-metadata-token"] = token
    started = time.monotonic()
    conn.request(method, "/latest/" + path, headers=headers)
    answer = conn.getresponse()
    body = answer.read().decode()
    return answer.status, body, time.monotonic() - started


class Case:
    def __init__(self):
        self.errors = []

    def check(self, ok, message):
        print("  %s %s" % ("ok  " if ok else "FAIL", message))
        if not ok:
            self.errors.append(message)


def connlimit(case, world, limited):
    first, second = connect(world, 1.0), connect(world, 1.0)
    case.check(first is not None and second is not None, "two connections open")
    third = connect(world, 1.5)
    if limited:
        case.check(third is None, "the third connect() times out (SYN dropped)")
        first.close()
        time.sleep(0.3)  # IMDS reads the FIN and closes its side: conntrack TIME_WAIT
        fourth = connect(world, 1.5)
        case.check(fourth is not None, "after one is closed a new connection opens")
        time.sleep(0.2)
        case.check(world.imds.max_connections == 2,
                   "FakeImds counted %d open at once, expected 2" % world.imds.max_connections)
        for sock in (second, fourth):
            if sock:
                sock.close()
    else:
        case.check(third is not None, "without imds_connlimit the third connection opens")
        time.sleep(0.2)
        case.check(world.imds.max_connections == 3,
                   "FakeImds counted %d open at once, expected 3" % world.imds.max_connections)
        for sock in (first, second, third):
            if sock:
                sock.close()
    time.sleep(0.2)
    world.imds.reset_counters()
    case.check(world.imds.max_connections == 0,
               "reset_counters() after every close leaves 0 open, not %d"
               % world.imds.max_connections)


def throttle_every(case, world):
    conn = http_conn(world)
    statuses = [ask(conn, "PUT", "api/token")[:2]]
    token = statuses[0][1]
    for _ in range(5):
        statuses.append(ask(conn, "GET", "meta-data/instance-id", token)[:2])
    codes = [s for s, _ in statuses]
    case.check(codes == [200, 200, 429, 200, 200, 429], "every 3rd request 429: %s" % codes)
    throttled = [r for r in world.imds.requests if r.get("throttled")]
    case.check(len(throttled) == 2 and all(r["status"] == 429 for r in throttled),
               "throttled requests recorded with 429")
    case.check(len({r["conn"] for r in world.imds.requests[-6:]}) == 1,
               "all six on one keep-alive connection")
    world.imds.reset_counters()
    codes = [ask(conn, "GET", "meta-data/instance-id", token)[0] for _ in range(3)]
    case.check(codes == [200, 200, 429], "after reset_counters() the count restarts: %s" % codes)
    codes = [ask(conn, "GET", "meta-data/mac", token)[0] for _ in range(2)]
    codes.append(ask(conn, "GET", "meta-data/instance-id", token)[0])
    case.check(codes == [200, 200, 200], "request 6 retries the throttled request 3 and is "
               "answered: %s" % codes)
    conn.close()


def throttle_after(case, world):
    conn = http_conn(world)
    codes = [ask(conn, "PUT", "api/token")[0] for _ in range(4)]
    case.check(codes == [200, 200, 503, 503], "503 from the 3rd request on: %s" % codes)
    conn.close()


def delay_and_region(case, world, path, seconds):
    conn = http_conn(world)
    _, token, _ = ask(conn, "PUT", "api/token")
    status, _, took = ask(conn, "GET", path, token)
    case.check(status == 200 and took >= seconds, "%s answered after %.2f s (>= %g)"
               % (path, took, seconds))
    status, region, took = ask(conn, "GET", "meta-data/placement/region", token)
    case.check(status == 200 and took < seconds, "other paths at once (%.2f s)" % took)
    case.check(region == "not a region", "placement/region is %r" % region)
    _, document, _ = ask(conn, "GET", "dynamic/instance-identity/document", token)
    document = json.loads(document)
    case.check(document.get("region") == "not a region"
               and document.get("availabilityZone") == plan.REGION + "a"
               and document.get("instanceId") == plan.INSTANCE_ID,
               "identity document: region %r, AZ %r" % (document.get("region"),
                                                       document.get("availabilityZone")))
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pki", required=True)
    parser.add_argument("--artifacts", default=None)
    opts = parser.parse_args()
    isolation.require_root()
    lab_pki.ensure(opts.pki)
    run_dir = os.path.abspath(opts.artifacts or os.path.join("/tmp", "vpc-imds-knobs"))
    os.makedirs(run_dir, exist_ok=True)
    isolation.enter_private_mounts(run_dir)
    pki = lab_pki.Pki(opts.pki)
    credentials = "meta-data/iam/security-credentials/" + plan.ROLE
    cases = [
        ("imds_connlimit = 2", {"imds_connlimit": 2}, lambda c, w: connlimit(c, w, True)),
        ("no imds_connlimit", {}, lambda c, w: connlimit(c, w, False)),
        ("imds_throttle every 3", {"imds_throttle": {"status": 429, "every": 3}},
         throttle_every),
        ("imds_throttle after 2", {"imds_throttle": {"status": 503, "after": 2}},
         throttle_after),
        ("imds_delay and imds_region", {"imds_delay": {credentials: 0.7},
                                        "imds_region": "not a region"},
         lambda c, w: delay_and_region(c, w, credentials, 0.7)),
    ]
    failed = []
    for label, knobs, test in cases:
        print("%s:" % label)
        case = Case()
        directory = os.path.join(run_dir, label.replace(" ", "_").replace("=", ""))
        try:
            with VpcWorld(knobs, directory, pki) as world:
                test(case, world)
        except Exception as e:  # noqa: BLE001 - a broken world fails the case
            case.errors.append("%s: %s" % (type(e).__name__, e))
            print("  FAIL %s: %s" % (type(e).__name__, e))
        if case.errors:
            failed.append(label)
    print("%d of %d cases held%s" % (len(cases) - len(failed), len(cases),
                                     "; failed: " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
