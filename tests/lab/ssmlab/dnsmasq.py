"""dnsmasq as the instance's real resolver (what a VPC's resolver looks like
to the probe: a full server, not a script).

Names are served with --host-record under --local=/DOMAIN/ zones: that gives
clean NODATA for a missing AAAA and NXDOMAIN for unknown names in the zone
(on Debian 12, --address with --no-resolv would answer AAAA with REFUSED).
dnsmasq logs every query to a file the test keeps.
"""

import os
import socket
import subprocess
import time

import dns.message

from .netns import die_with_parent, stop_process


class Dnsmasq:
    """A dnsmasq process listening on address:port inside the lab."""

    def __init__(self, address, records, port=53, zones=("amazonaws.com",), log_path=None,
                 also_on=()):
        self.address, self.port = address, port
        self.also_on = list(also_on)  # more listen addresses (the same resolver)
        self.records = records  # name -> {"A": [...], "AAAA": [...]}
        self.zones = zones
        self.log_path = log_path or os.devnull
        self.process = None

    def describe(self):
        return "dnsmasq %s:%d (%d names, log %s)" % (
            "+".join([self.address] + self.also_on), self.port, len(self.records), self.log_path)

    def command(self):
        cmd = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
               "--no-poll", "--pid-file=", "--bind-interfaces",
               "--listen-address=" + ",".join([self.address] + self.also_on),
               "--port=%d" % self.port,
               # Mapped root in a user namespace: dropping to nobody would fail.
               "--user=root", "--group=root",
               "--log-queries", "--log-facility=-", "--cache-size=0"]
        cmd += ["--local=/%s/" % zone for zone in self.zones]
        for name, rr in sorted(self.records.items()):
            # One address per --host-record: a second IPv4 address in the same
            # option would replace the first, not add to it.
            for ip in list(rr.get("A", [])) + list(rr.get("AAAA", [])):
                cmd.append("--host-record=%s,%s" % (name.rstrip("."), ip))
        return cmd

    def start(self, ready_within=5.0):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log, preexec_fn=die_with_parent)
        log.close()
        probe = dns.message.make_query("ready.lab.test", "A").to_wire()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dnsmasq exited with %s; see %s" % (self.process.returncode,
                                                                       self.log_path))
            if self._answers(probe):
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("dnsmasq did not answer within %.0f s; see %s" % (ready_within,
                                                                            self.log_path))

    def _answers(self, query):
        # A raw socket, not dns.query: that module drags in an HTTP stack.
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.settimeout(0.1)
            try:
                sock.sendto(query, (self.address, self.port))
                return bool(sock.recv(4096))
            except OSError:
                return False

    def stop(self):
        stop_process(self.process, 2)
