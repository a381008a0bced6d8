#!/usr/bin/env python3
"""Proves the delay line: TCP connect time between two namespaces through a
router namespace that runs delay_line, for RTT 0 (no delay line), 1, 10 and
50 ms. A connect is one round trip (SYN out, SYN-ACK back), so its median
must be the configured RTT plus the bare path's time.

    tests/bench/delay_selfcheck.py [--build build/dev] [--count 20]

Root only (named network namespaces, in a private mount namespace of this
process, so nothing shows on the host). Prints a table; exit 1 when a
median is off by more than 1 ms + 10 % (a sanity bound, not a benchmark).
"""

import argparse
import os
import shutil
import statistics
import sys
import threading
import socket

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "vpc"), os.path.join(REPO, "tests", "lab")]

from benchlab import delay  # noqa: E402
from vpclab import isolation  # noqa: E402

LEFT, ROUTER, RIGHT = "dlc-left", "dlc-router", "dlc-right"
LEFT_IP, RIGHT_IP = "10.251.1.2", "10.251.2.2"
PORT = 7000


def build_path():
    """left (10.251.1.2) -- router -- right (10.251.2.2), two veth pairs."""
    for name in (LEFT, ROUTER, RIGHT):
        isolation.run(["ip", "netns", "add", name])
    isolation.run(["ip", "-batch", "-"], stdin="\n".join([
        "link add dlc-l type veth peer name dlc-rl",
        "link add dlc-r type veth peer name dlc-rr",
        "link set dlc-l netns %s" % LEFT, "link set dlc-rl netns %s" % ROUTER,
        "link set dlc-rr netns %s" % ROUTER, "link set dlc-r netns %s" % RIGHT,
    ]) + "\n")
    plans = {
        LEFT: ["link set lo up", "link set dlc-l up", "address add 10.251.1.2/24 dev dlc-l",
               "route add default via 10.251.1.1"],
        ROUTER: ["link set lo up", "link set dlc-rl up", "link set dlc-rr up",
                 "address add 10.251.1.1/24 dev dlc-rl", "address add 10.251.2.1/24 dev dlc-rr"],
        RIGHT: ["link set lo up", "link set dlc-r up", "address add 10.251.2.2/24 dev dlc-r",
                "route add default via 10.251.2.1"],
    }
    for name, lines in plans.items():
        isolation.run_in_netns(name, ["ip", "-batch", "-"], stdin="\n".join(lines) + "\n")
    isolation.run_in_netns(ROUTER, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])


def serve():
    with isolation.in_netns(RIGHT):
        listener = socket.create_server((RIGHT_IP, PORT), backlog=128)

    def accept_forever():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    threading.Thread(target=accept_forever, daemon=True).start()
    return listener


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default=os.path.join(REPO, "build", "dev"))
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    binary = delay.delay_binary(args.build)
    workdir = os.path.join(args.build, "bench", "selfcheck")  # the last one's log stays
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    isolation.enter_private_mounts(workdir)
    failures = 0
    try:
        build_path()
        listener = serve()
        print("%8s  %10s  %10s  %10s  %s" % ("RTT ms", "median ms", "min ms", "max ms", ""))
        bare = None
        for rtt_ms in (0, 1, 10, 50):
            log = os.path.join(workdir, "delay_line.log")
            with delay.DelayLine(binary, ROUTER, "dlc-rl", rtt_ms, log_path=log):
                with isolation.in_netns(LEFT):
                    times = [t * 1000 for t in delay.tcp_connect_times(RIGHT_IP, PORT, args.count)]
            median = statistics.median(times)
            if rtt_ms == 0:
                bare = median
            expected = bare + rtt_ms
            ok = abs(median - expected) <= 1.0 + 0.1 * rtt_ms
            failures += not ok
            print("%8g  %10.3f  %10.3f  %10.3f  %s" % (rtt_ms, median, min(times), max(times),
                                                       "ok" if ok else "OFF (expected %.3f)"
                                                       % expected))
        listener.close()
    finally:
        for name in (LEFT, ROUTER, RIGHT):
            try:
                isolation.run(["ip", "netns", "delete", name])
            except RuntimeError:
                pass
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
