"""RTT on the router: every packet the instance sends through delay_line.

An iptables rule in the router's namespace hands each packet that comes in
on the instance's link (mangle PREROUTING -i LINK) to an NFQUEUE;
`delay_line` (tests/bench/delay_line.cc) holds it for the whole RTT and
then accepts it, in order. Every round trip of the instance (to IMDS and
the resolver on the router, to the endpoints beyond it) crosses that point
exactly once, so each costs the RTT; TCP is not terminated: the peers see
the original packets, late.

Why all of the RTT on the way in and none on the way back: a packet the
router itself sends (IMDS, the resolver) and that a queue holds on the way
out is not yet "transmitted" for its socket, so TCP autocorking holds the
socket's next segment until the first is released, and an answer of two
segments (headers, body) would pay the delay twice. For request and answer
exchanges, which is all ssm-reach and the manual way do, the split of the
RTT between the two directions changes nothing.

Stopping removes the rule first (no new packet is queued), then asks
delay_line to release what it holds (SIGTERM), so no packet is lost.
"""

import os
import subprocess
import time

from ssmlab.netns import die_with_parent  # the delay line dies with the benchmark

# The kernel has no nft `queue` expression (CONFIG_NFT_QUEUE is off) but the
# xtables NFQUEUE target, which iptables-nft drives through nft_compat. The
# mangle table (priority -150) runs before any filter of the world (its
# security groups, priority 0), so dropped packets are delayed as well.
def _queue_rule(action, interface, queue):
    return ["-t", "mangle", action, "PREROUTING", "-i", interface, "-j", "NFQUEUE",
            "--queue-num", str(queue)]


class DelayLine:
    """`delay_line` in network namespace `netns`, adding `rtt_ms` to every
    round trip over its link `interface` (rtt_ms 0: no rule, no process)."""

    def __init__(self, binary, netns, interface, rtt_ms, queue=0, log_path=None):
        self.binary, self.netns, self.interface = binary, netns, interface
        self.rtt_ms, self.queue = rtt_ms, queue
        self.log_path = log_path
        self._proc = None
        self._rule_added = False

    def _rules(self, action):
        """Add (-A) or delete (-D) the NFQUEUE rule for IPv4 and IPv6."""
        for argv in [[tool] + _queue_rule(action, self.interface, self.queue)
                     for tool in ("iptables", "ip6tables")]:
            proc = subprocess.run(["ip", "netns", "exec", self.netns] + argv,
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError("%s in %s: %s" % (" ".join(argv), self.netns,
                                                     proc.stderr.strip()))

    def start(self):
        if self.rtt_ms <= 0:
            return self
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self._proc = subprocess.Popen(
                ["ip", "netns", "exec", self.netns, self.binary, "--queue", str(self.queue),
                 "--delay-ms", "%g" % self.rtt_ms],
                stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent)
        finally:
            if log is not subprocess.DEVNULL:
                log.close()
        line = self._proc.stdout.readline().decode().strip()
        if line != "ready":
            self.stop()
            raise RuntimeError("delay_line did not start in %s (said %r)" % (self.netns, line))
        try:
            self._rules("-A")
        except Exception:
            self.stop()
            raise
        self._rule_added = True
        return self

    def stop(self):
        if self._rule_added:
            self._rule_added = False
            self._rules("-D")
        if self._proc:
            proc, self._proc = self._proc, None
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def tcp_connect_times(host, port, count, timeout_s=5.0):
    """Seconds each of `count` TCP connects to host:port took (one round
    trip each: SYN, SYN-ACK). Runs in the caller's namespace."""
    import socket
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with socket.create_connection((host, port), timeout=timeout_s):
            times.append(time.perf_counter() - started)
    return times


def delay_binary(build_dir):
    path = os.path.join(build_dir, "tests", "bench", "delay_line")
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s is not built: cmake --build --preset dev --target delay_line"
                           % path)
    return path
