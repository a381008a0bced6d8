"""Self-test of the lab's HTTP peers, SSM API and proxy, without ssm-reach:
Debian's curl, inside a lab namespace, against lab addresses only.

  python3 -m ssmlab.selftest --pki DIR [--artifacts DIR]   every case (ctest e2e.lab_peers)
  python3 -m ssmlab.selftest --pki DIR --case NAME         one case, in this process

Each case is a world of its own (a fresh namespace: a subprocess), started,
probed with curl, stopped. curl never sees the host's proxy variables and
trusts only the lab CA; names are pinned with --resolve on the direct path
and resolved by squid on the proxy path. Secrets (the proxy password, the
test credentials) reach curl through a config on stdin, never its argv.
Exit 0 when every check of every case passes.
"""

import argparse
import email.utils
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

from . import netns, pki as lab_pki, plan

HERE = os.path.dirname(os.path.abspath(__file__))
KEY_ID = "ASIALABSELFTEST00001"
SECRET_KEY = "lab-selftest-secret-key-DO-NOT-PRINT"
SESSION_TOKEN = "lab-selftest-session-token-DO-NOT-PRINT"
PROXY_URL = "http://%s:%d" % (plan.PROXY, plan.PROXY_PORT)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

CASES = {
    "direct": {"agent": {"service_dropin": "[Service]\nEnvironment=\"https_proxy=%s\"\n"
                                           % PROXY_URL}},
    "clock": {"service_clock_offset_s": 600},
    "endpoint-policy": {"ssm_api": "endpoint-policy-deny"},
    "proxy-allow": {"proxy": {"mode": "allow", "deny_hosts": ["ssmmessages"]}},
    "proxy-deny": {"proxy": "deny"},
    "proxy-auth": {"proxy": "auth"},
    "proxy-dead": {"proxy": "dead"},
}


class Curl:
    """One curl run: exit code, HTTP status, CONNECT status, last headers, body."""

    def __init__(self, directory, ca_file, url, proxy=None, config="", args=(), resolve=True):
        self.url = url
        host = url.split("/")[2]
        out = os.path.join(directory, "curl-body")
        head = os.path.join(directory, "curl-headers")
        for path in (out, head):
            if os.path.exists(path):
                os.unlink(path)
        command = ["curl", "-sS", "--max-time", "10", "--cacert", ca_file, "-o", out, "-D", head,
                   "-w", "%{http_code} %{http_connect}", "-K", "-"] + list(args)
        if proxy:
            command += ["--proxy", proxy]
        elif resolve:
            ip = plan.ENI[host.split(".")[0]]
            command += ["--resolve", "%s:443:%s" % (host, ip)]
        command.append(url)
        env = {"PATH": "/usr/bin:/bin", "HOME": directory, "LC_ALL": "C"}
        self.started = time.time()  # the server's Date must fall between these
        proc = subprocess.run(command, input=config, capture_output=True, text=True, env=env,
                              preexec_fn=netns.die_with_parent, timeout=30)
        self.ended = time.time()
        self.exit = proc.returncode
        self.stderr = proc.stderr.strip()
        codes = (proc.stdout.split() + ["000", "000"])[:2]
        self.status, self.connect_status = int(codes[0]), int(codes[1])
        self.body = b""
        if os.path.exists(out):
            with open(out, "rb") as f:
                self.body = f.read()
        self.headers = {}
        if os.path.exists(head):
            with open(head, errors="replace") as f:
                blocks = [b for b in f.read().split("\r\n\r\n") if b.strip()]
            for line in (blocks[-1].splitlines()[1:] if blocks else []):
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class Case:
    def __init__(self, name, pki, directory):
        self.name, self.pki, self.directory = name, pki, directory
        self.failures = []

    def expect(self, condition, what):
        print("  %s %s" % ("ok  " if condition else "FAIL", what))
        if not condition:
            self.failures.append(what)

    def curl(self, service="ssm", **kw):
        return Curl(self.directory, self.pki.ca_file, "https://%s/" % plan.host(service), **kw)

    def signed_call(self, secret=SECRET_KEY, **kw):
        """ListInstanceAssociations signed by curl's own SigV4 (--aws-sigv4),
        an implementation independent of ssm-reach and of the lab's verifier."""
        config = ('user = "%s:%s"\nheader = "X-Amz-Security-Token: %s"\n'
                  % (KEY_ID, secret, SESSION_TOKEN))
        args = ["--aws-sigv4", "aws:amz:%s:ssm" % plan.REGION,
                "-H", "X-Amz-Target: AmazonSSM.ListInstanceAssociations",
                "-H", "Content-Type: application/x-amz-json-1.1",
                "--data", json.dumps({"InstanceId": plan.INSTANCE_ID})]
        return self.curl(config=config + kw.pop("config", ""), args=args, **kw)

    def expect_aws_reply(self, curl, status, what):
        self.expect(curl.status == status, "%s: HTTP %d (got %d, curl exit %d %s)"
                    % (what, status, curl.status, curl.exit, curl.stderr[:120]))
        self.expect(_UUID.match(curl.headers.get("x-amzn-requestid", "")) is not None,
                    "%s: x-amzn-RequestId is a uuid4 (%r)"
                    % (what, curl.headers.get("x-amzn-requestid")))
        # Keep-alive, as AWS endpoints: no Connection: close.
        self.expect(curl.headers.get("content-length") == str(len(curl.body))
                    and curl.headers.get("connection") is None,
                    "%s: Content-Length, connection kept alive" % what)

    def date_offset(self, curl, shift=0):
        """Seconds by which the reply's Date, less `shift`, misses the time
        curl ran (0 when within it; Date has whole seconds, hence the 1 s
        either side).
        Not against the wall clock after the fact: on a loaded machine curl
        itself may take seconds."""
        try:
            sent = email.utils.parsedate_to_datetime(curl.headers.get("date", "")).timestamp()
        except (TypeError, ValueError):
            return None
        sent -= shift
        return max(0.0, curl.started - 1 - sent, sent - (curl.ended + 1))


def run_case(case, world):
    c = case
    if c.name == "direct":
        get = c.curl()
        c.expect_aws_reply(get, 404, "GET / direct")
        offset = c.date_offset(get)
        c.expect(offset == 0, "Date in RFC 7231 form, while curl ran (%r, off by %s s)"
                 % (get.headers.get("date"), offset))
        c.expect(get.json().get("__type") == "UnknownOperationException",
                 "404 body names UnknownOperationException")
        ok = c.signed_call()
        c.expect_aws_reply(ok, 200, "signed ListInstanceAssociations")
        c.expect(ok.json() == {"Associations": []}, "200 body {\"Associations\": []}: %r"
                 % ok.body[:200])
        bad = c.signed_call(secret="not-the-secret")
        c.expect(bad.status == 400 and bad.json().get("__type") == "InvalidSignatureException",
                 "wrong secret: 400 InvalidSignatureException (%d %r)"
                 % (bad.status, bad.body[:120]))
        calls = world.api_calls()
        c.expect([x["signature_valid"] for x in calls] == [True, False],
                 "the peer recorded curl's signature valid, then invalid: %r" % calls)
        c.expect(all(x["key_id"] == KEY_ID for x in calls), "the peer recorded the key id")
        dropin = "/etc/systemd/system/amazon-ssm-agent.service.d/proxy.conf"
        with open(dropin) as f:
            c.expect(PROXY_URL in f.read(), "agent.service_dropin is at %s" % dropin)
        snap = "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d"
        c.expect(not os.path.isdir(snap) or not os.listdir(snap), "the snap's drop-ins are hidden")
    elif c.name == "clock":
        get = c.curl()
        offset = c.date_offset(get, shift=600)
        c.expect(offset == 0, "service_clock_offset_s 600 shifts Date by 600 s (%r, off by %s s)"
                 % (get.headers.get("date"), offset))
        late = c.signed_call()
        message = late.json().get("message", "")
        c.expect(late.status == 400 and message.startswith("Signature expired: ")
                 and message.endswith(" - 5 min.)"), "signature expired: %r" % late.body[:200])
        c.expect([x["signature_valid"] for x in world.api_calls()] == [True],
                 "the signature itself was valid")
    elif c.name == "endpoint-policy":
        denied = c.signed_call()
        body = denied.json()
        c.expect(denied.status == 400 and body.get("__type") == "AccessDeniedException"
                 and "because no VPC endpoint policy allows" in body.get("Message", ""),
                 "endpoint policy denial: %r" % denied.body[:300])
    elif c.name == "proxy-allow":
        tunnel = c.curl(proxy=PROXY_URL)
        c.expect(tunnel.connect_status == 200, "CONNECT ssm:443 answered 200 (%d, %s)"
                 % (tunnel.connect_status, tunnel.stderr[:120]))
        c.expect_aws_reply(tunnel, 404, "GET / through the tunnel")
        signed = c.signed_call(proxy=PROXY_URL)
        c.expect(signed.status == 200, "signed call through the proxy: 200 (%d)" % signed.status)
        denied = c.curl("ssmmessages", proxy=PROXY_URL)
        c.expect(denied.connect_status == 403 and denied.exit != 0,
                 "CONNECT to a deny_hosts entry: 403 (%d, exit %d)"
                 % (denied.connect_status, denied.exit))
        imds = Curl(c.directory, c.pki.ca_file, "http://%s/latest/meta-data/" % plan.IMDS,
                    proxy=PROXY_URL)
        c.expect(imds.status == 403, "IMDS through the proxy: 403 (%d)" % imds.status)
        world.proxy.stop()  # access.log is complete once squid has exited
        connects = world.proxy_connects()
        host = plan.host("ssm") + ":443"
        c.expect(connects.count((host, "TCP_TUNNEL/200")) == 2,
                 "access.log: two tunnels to %s: %r" % (host, connects))
        c.expect((plan.host("ssmmessages") + ":443", "TCP_DENIED/403") in connects,
                 "access.log: the denied CONNECT")
    elif c.name == "proxy-deny":
        denied = c.curl(proxy=PROXY_URL)
        c.expect(denied.connect_status == 403, "CONNECT ssm:443 answered 403 (%d)"
                 % denied.connect_status)
    elif c.name == "proxy-auth":
        anonymous = c.curl(proxy=PROXY_URL)
        c.expect(anonymous.connect_status == 407, "without credentials: 407 (%d)"
                 % anonymous.connect_status)
        wrong = c.curl(proxy=PROXY_URL, config='proxy-user = "%s:wrong"\n' % plan.PROXY_USER)
        c.expect(wrong.connect_status == 407, "wrong password: 407 (%d)" % wrong.connect_status)
        good = c.curl(proxy=PROXY_URL, config='proxy-user = "%s:%s"\n'
                      % (plan.PROXY_USER, plan.PROXY_PASSWORD))
        c.expect(good.connect_status == 200 and good.status == 404,
                 "with credentials: CONNECT 200, then 404 from the endpoint (%d, %d, %s)"
                 % (good.connect_status, good.status, good.stderr[:120]))
        world.proxy.stop()
        with open(world.proxy.access_log) as f:
            c.expect(plan.PROXY_PASSWORD not in f.read(), "the password is not in access.log")
    elif c.name == "proxy-dead":
        dead = c.curl(proxy=PROXY_URL)
        c.expect(dead.exit == 7, "dead proxy: curl cannot connect (exit %d, %s)"
                 % (dead.exit, dead.stderr[:120]))
        try:
            socket.create_connection((plan.PROXY, plan.PROXY_PORT), timeout=2).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        except OSError:
            refused = False
        c.expect(refused, "dead proxy: the address exists, the port refuses")


def run_one(name, pki_dir, artifacts):
    from .world import World  # dnspython and friends: only inside the lab

    directory = os.path.join(artifacts, name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    lab_pki.ensure(pki_dir)
    netns.enter_lab_namespace()
    plan.LAB_API_CREDENTIALS = {KEY_ID: (SECRET_KEY, SESSION_TOKEN)}
    world = World(CASES[name], lab_pki.Pki(pki_dir), directory)
    started = time.monotonic()
    world.start()
    print("%s: world up in %.2f s" % (name, time.monotonic() - started))
    case = Case(name, lab_pki.Pki(pki_dir), directory)
    try:
        run_case(case, world)
    finally:
        world.stop()
    with open(os.path.join(directory, "world.txt"), "w") as f:
        f.write("\n".join(world.describe()) + "\n")
    print("%s %s" % ("FAIL" if case.failures else "PASS", name))
    return 1 if case.failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pki", required=True)
    parser.add_argument("--artifacts", default=None)
    parser.add_argument("--case", choices=sorted(CASES))
    opts = parser.parse_args()
    pki_dir = os.path.abspath(opts.pki)
    artifacts = os.path.abspath(opts.artifacts or os.path.join(os.path.dirname(pki_dir),
                                                               "runs", "lab_peers"))
    if not shutil.which("curl"):
        print("LAB FAILURE: curl is not installed (run .ci/install-deps)", file=sys.stderr)
        return 1
    if opts.case:
        return run_one(opts.case, pki_dir, artifacts)
    failed = []
    for name in CASES:  # each in a fresh namespace of its own
        code = subprocess.call([sys.executable, "-m", "ssmlab.selftest", "--pki", pki_dir,
                                "--artifacts", artifacts, "--case", name],
                               cwd=os.path.dirname(HERE))
        if code:
            failed.append(name)
    print("lab self-test: %s" % ("FAIL %s" % ", ".join(failed) if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
