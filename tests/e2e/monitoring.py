#!/usr/bin/python3
"""Monitoring end to end (README "Monitoring a fleet"), in the lab's own
user+network+mount namespace (only loopback; nothing leaves the machine).

  monitoring.py --binary build/dev/probe/ssm-reach --pki DIR --artifacts DIR CASE

Cases:
  node-exporter   ssmmessages' ENI drops 443. `ssm-reach --textfile DIR/ssm_reach.prom`
                  writes the metrics (promtool check metrics accepts them, no
                  temporary file is left); Debian's prometheus-node-exporter,
                  on 127.0.0.1 in the namespace with only its textfile
                  collector on DIR, serves them: /metrics (curl) has no
                  textfile scrape error and the series that say ssmmessages is
                  critical at TCP (tcp.timeout) and ssm is ok.
  watch-flapping  ssm has two ENIs; `ssm-reach --watch 1` runs while the test
                  drops 443 at 10.0.1.13, lets it through, drops it again and
                  lets it through, each step taken only once the watch has
                  printed the previous change (no timing is assumed). Then
                  SIGINT: the summary counts the failures per address, marks
                  10.0.1.13 FLAPPING and names it; exit 1 (the worst run).
  watch-sigterm   the same world untouched: SIGTERM after the first run gives
                  the summary, nothing flapping, exit 0.
Exit 0 on success, 1 on failure.
"""

import argparse
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run_scenario  # noqa: E402  (also puts tests/lab on the path)
from ssmlab import netns, pki as lab_pki, plan  # noqa: E402

# A hang guard for each wait (never a timing assertion): a step that does
# not happen within it fails the test, saying which.
GUARD_S = 90


def metric_samples(text):
    """{(name, frozenset of label pairs): value} from the exposition format."""
    samples = {}
    pattern = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = pattern.match(line)
        if not m:
            continue
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def sample(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def wait_listening(port):
    """Until something accepts on 127.0.0.1:port (hang guard GUARD_S)."""
    until = time.monotonic() + GUARD_S
    while time.monotonic() < until:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def node_exporter(binary, pki, directory, env, home):
    from ssmlab.probe_run import ProbeRun
    from ssmlab.world import World

    errors = []
    textfiles = os.path.join(directory, "textfile")
    os.makedirs(textfiles)
    prom = os.path.join(textfiles, "ssm_reach.prom")
    world = World({"endpoints": {"ssm": [(plan.ENI["ssm"], "tls")],
                                 "ssmmessages": [(plan.ENI["ssmmessages"], "drop")],
                                 "ec2messages": [(plan.ENI["ec2messages"], "tls")]}},
                  pki, directory)
    world.start()
    try:
        run = ProbeRun(binary, ["--region", plan.REGION, "--timeout", "1", "--textfile", prom],
                       env, home, GUARD_S).start().wait()
    finally:
        world.stop()
    errors += run_scenario.check_sanitizers([run], directory)
    if run.returncode != 2:
        errors.append("ssm-reach exited %s, expected 2 (critical): %r" % (run.returncode,
                                                                         run.stderr[-300:]))
    if sorted(os.listdir(textfiles)) != ["ssm_reach.prom"]:
        errors.append("the textfile directory holds %s, expected ssm_reach.prom alone"
                      % sorted(os.listdir(textfiles)))
        return errors
    if oct(os.stat(prom).st_mode & 0o777) != "0o644":
        errors.append("ssm_reach.prom has mode %s, expected 0644" % oct(os.stat(prom).st_mode))
    check = subprocess.run(["promtool", "check", "metrics"], stdin=open(prom), capture_output=True,
                           text=True)
    if check.returncode != 0:
        errors.append("promtool check metrics: %s %s" % (check.stdout, check.stderr))

    port = 9100
    exporter = subprocess.Popen(
        ["prometheus-node-exporter", "--collector.disable-defaults", "--collector.textfile",
         "--collector.textfile.directory=" + textfiles,
         "--web.listen-address=127.0.0.1:%d" % port],
        stdout=open(os.path.join(directory, "node-exporter.log"), "w"), stderr=subprocess.STDOUT,
        preexec_fn=netns.die_with_parent)
    try:
        if not wait_listening(port):
            return errors + ["node_exporter did not listen on 127.0.0.1:%d" % port]
        scrape = subprocess.run(["curl", "-sSf", "--max-time", "30",
                                 "http://127.0.0.1:%d/metrics" % port],
                                capture_output=True, text=True)
    finally:
        exporter.kill()
        exporter.wait()
    with open(os.path.join(directory, "metrics.txt"), "w") as f:
        f.write(scrape.stdout)
    if scrape.returncode != 0:
        return errors + ["curl /metrics: %s" % scrape.stderr]
    got = metric_samples(scrape.stdout)
    want = [
        (("node_textfile_scrape_error",), {}, 0),
        (("ssm_reach_status",), {}, 2),
        (("ssm_reach_target_status",), {"target": "ssmmessages", "required": "true",
                                        "failed_layer": "tcp", "cause": "tcp.timeout"}, 2),
        (("ssm_reach_target_status",), {"target": "ssm", "required": "true",
                                        "failed_layer": "", "cause": ""}, 0),
        (("ssm_reach_layer_status",), {"target": "ssmmessages", "layer": "tcp",
                                       "cause": "tcp.timeout"}, 2),
        (("ssm_reach_layer_status",), {"target": "ssmmessages", "layer": "tls", "cause": ""}, -1),
        (("ssm_reach_address_up",), {"target": "ssmmessages", "address": plan.ENI["ssmmessages"],
                                     "class": "vpc"}, 0),
        (("ssm_reach_address_up",), {"target": "ssm", "address": plan.ENI["ssm"],
                                     "class": "vpc"}, 1),
        (("ssm_reach_info",), {"version": run_version(binary), "region": plan.REGION,
                               "instance_id": plan.INSTANCE_ID}, 1),
    ]
    for (name,), labels, value in want:
        shown = labels
        if sample(got, name, **shown) != value:
            errors.append("/metrics: %s%s is %r, expected %r" % (name, shown,
                                                                 sample(got, name, **shown), value))
    if sample(got, "ssm_reach_tcp_connect_seconds", target="ssm", address=plan.ENI["ssm"]) is None:
        errors.append("/metrics: no ssm_reach_tcp_connect_seconds for ssm's ENI")
    return errors


def run_version(binary):
    out = subprocess.run(binary + ["--version"], capture_output=True, text=True).stdout
    return out.split()[-1] if out else "?"


class Watch:
    """ssm-reach --watch, its stdout read line by line on a thread."""

    def __init__(self, binary, args, env, home):
        self.proc = subprocess.Popen(binary + args, env=env, cwd=home, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=netns.die_with_parent)
        self.lines, self.seen = queue.Queue(), []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, needle, after=0):
        """The first line (from index `after` on) holding `needle`; None
        when the output ends or the hang guard passes first."""
        for i, line in enumerate(self.seen[after:], after):
            if needle in line:
                return i
        until = time.monotonic() + GUARD_S
        while time.monotonic() < until:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                return None
            self.seen.append(line)
            if needle in line:
                return len(self.seen) - 1
        return None

    def stop(self, signum):
        self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=GUARD_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return False
        while self.wait_for("\0") is not None:  # drain to the end
            pass
        self.stderr = self.proc.stderr.read()
        return True


FLAP_TABLE = "flap"


def flap(drop):
    """Drop (or let through) TCP 443 to the second ssm ENI, as a security
    group that changes its mind would."""
    if drop:
        netns.run(["nft", "add rule inet %s input ip daddr %s tcp dport 443 drop"
                   % (FLAP_TABLE, SECOND_ENI)])
    else:
        netns.run(["nft", "flush chain inet %s input" % FLAP_TABLE])


SECOND_ENI = "10.0.1.13"


def watch(binary, pki, directory, env, home, flapping):
    from ssmlab.world import World

    errors = []
    world = World({"endpoints": {"ssm": [(plan.ENI["ssm"], "tls"), (SECOND_ENI, "tls")],
                                 "ssmmessages": [(plan.ENI["ssmmessages"], "tls")],
                                 "ec2messages": [(plan.ENI["ec2messages"], "tls")]}},
                  pki, directory)
    world.start()
    netns.run(["nft", "-f", "-"], stdin="table inet %s {\n chain input {\n  type filter hook input "
              "priority 0; policy accept;\n }\n}\n" % FLAP_TABLE)
    w = Watch(binary, ["--region", plan.REGION, "--timeout", "1", "--no-auth", "--watch", "1"],
              env, home)
    try:
        at = w.wait_for("run 1: ssm ok")
        if at is None:
            errors.append("the first run never said 'ssm ok'")
        elif flapping:
            for round_ in (1, 2):
                flap(True)
                # Usually tcp.timeout; tls.timeout when the drop lands
                # between a run's connect and its handshake (both are bad).
                at = w.wait_for("ssm %s went bad: t" % SECOND_ENI, at + 1)
                if at is None:
                    errors.append("round %d: the watch never said %s went bad" % (round_, SECOND_ENI))
                    break
                flap(False)
                at = w.wait_for("ssm %s recovered" % SECOND_ENI, at + 1)
                if at is None:
                    errors.append("round %d: the watch never said %s recovered" % (round_, SECOND_ENI))
                    break
        stopped = w.stop(signal.SIGINT if flapping else signal.SIGTERM)
    finally:
        if w.proc.poll() is None:
            w.proc.kill()
        world.stop()
    output = "\n".join(w.seen)
    with open(os.path.join(directory, "watch.txt"), "w") as f:
        f.write(output + "\n")
    if not stopped:
        return errors + ["the watch did not end after the signal (killed)"]
    with open(os.path.join(directory, "watch.stderr"), "w") as f:
        f.write(w.stderr)
    if run_scenario.SANITIZER_REPORT.search(w.stderr):
        errors.append("sanitizer report on stderr: %s"
                      % run_scenario.SANITIZER_REPORT.search(w.stderr).group(0))
    errors += ["line over 80 columns: %r" % line for line in w.seen if len(line) > 80]
    if "the summary follows" not in w.stderr:
        errors.append("stderr does not say the watch is stopping: %r" % w.stderr[-300:])
    summary = output[output.find("Summary: "):] if "Summary: " in output else ""
    if not summary:
        return errors + ["no summary after the signal:\n" + output[-800:]]
    runs = re.search(r"Summary: (\d+) runs?", summary)
    row = re.search(r"^ssm +%s vpc +(\d+) of (\d+) +(\d+) +(\S+) *(FLAPPING)?$"
                    % re.escape(SECOND_ENI), summary, re.M)
    good = re.search(r"^ssm +%s vpc +0 of (\d+) +0 +-$" % re.escape(plan.ENI["ssm"]), summary, re.M)
    if not runs or not row or not good:
        return errors + ["the summary lacks its rows:\n" + summary]
    if flapping:
        failed, total, changes = int(row.group(1)), int(row.group(2)), int(row.group(3))
        if not (2 <= failed < total and changes >= 4 and row.group(5) == "FLAPPING"):
            errors.append("%s: failed %d of %d, %d changes, %r; expected at least 2 failures in "
                          "2 spells (4 changes), FLAPPING" % (SECOND_ENI, failed, total, changes,
                                                             row.group(5)))
        if "Flapping: ENI %s (ssm) failed %d of %d runs in 2 separate spells" % (
                SECOND_ENI, failed, total) not in " ".join(summary.split()):
            errors.append("the summary does not name ENI %s as flapping:\n%s" % (SECOND_ENI, summary))
        if w.proc.returncode != 1:
            errors.append("exit %s, expected 1 (the worst run: a warning)" % w.proc.returncode)
    else:
        if row.group(1) != "0" or "FLAPPING" in summary or "Flapping" in summary:
            errors.append("nothing changed, yet the summary says otherwise:\n" + summary)
        if w.proc.returncode != 0:
            errors.append("exit %s, expected 0" % w.proc.returncode)
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("case", choices=["node-exporter", "watch-flapping", "watch-sigterm"])
    opts = parser.parse_args()
    for tool in ("promtool", "prometheus-node-exporter", "curl", "nft"):
        if not shutil.which(tool):
            print("FAIL %s: %s is not installed (.ci/install-deps)" % (opts.case, tool))
            return 1
    binary = [os.path.abspath(opts.binary)]
    lab_pki.ensure(os.path.abspath(opts.pki))
    pki = lab_pki.Pki(os.path.abspath(opts.pki))
    directory = os.path.join(os.path.abspath(opts.artifacts), "monitoring-" + opts.case)
    netns.enter_lab_namespace()
    from ssmlab.probe_run import clean_env

    shutil.rmtree(directory, ignore_errors=True)
    home = os.path.join(directory, "home")
    os.makedirs(home)
    env = clean_env(home, pki.ca_file)
    if opts.case == "node-exporter":
        errors = node_exporter(binary, pki, directory, env, home)
    else:
        errors = watch(binary, pki, directory, env, home, opts.case == "watch-flapping")
    if errors:
        print("FAIL monitoring %s (artifacts in %s)" % (opts.case, directory))
        for e in errors:
            print("  - " + e)
        return 1
    print("PASS monitoring %s" % opts.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
