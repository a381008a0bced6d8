"""NAT64 in the router, as a NAT gateway does it for an IPv6-only subnet:
Debian's TAYGA (stateless NAT64 on a TUN device) maps each IPv6 client to an
address of a private IPv4 pool and 64:ff9b::/96 + IPv4 to that IPv4
address; the router's NAT (masquerade out of the internet link, knob nat)
then does the rest, as the NAT gateway's NAT44 would.

TAYGA translates the well-known prefix only to global IPv4 addresses (RFC
6052; its addrmap.c counts the documentation ranges, 203.0.113.0/24 among
them, as private), so a world with NAT64 gives its public endpoints global
addresses (knob public_range = "global", 52.119.161.10 + i, assigned only
inside the lab's internet namespace).

    peer = Tayga(run_dir, ["203.0.113.10", ...])   # start() in the router's namespace
    peer.start(); ...; peer.stop()

The TUN device and its routes live in the router's namespace and go with it.
"""

import ipaddress
import os
import shutil
import subprocess
import time

from ssmlab.netns import die_with_parent, stop_process

PREFIX = "64:ff9b::/96"          # the well-known prefix, as Route 53 Resolver's DNS64 uses
POOL = "192.168.255.0/24"        # IPv4 addresses TAYGA gives the IPv6 clients
TAYGA_V4 = "192.168.255.1"       # TAYGA's own (ICMPv4 errors), out of the pool
TAYGA_V6 = "fd00:ff:64::1"       # TAYGA's own IPv6 (not in the prefix: the WKP with a
                                 # private IPv4 address is refused, RFC 6052)
DEVICE = "nat64"


def nat64_address(ipv4):
    """64:ff9b::/96 + an IPv4 address: what DNS64 answers for it."""
    return str(ipaddress.ip_network(PREFIX).network_address + int(ipaddress.ip_address(ipv4)))


class Tayga:
    """TAYGA on the router's TUN device `nat64`, until stop()."""

    def __init__(self, run_dir):
        self.run_dir = run_dir
        self.prefix = PREFIX
        self.conf = os.path.join(run_dir, "tayga.conf")
        self.log_path = os.path.join(run_dir, "tayga.log")
        self.process = None

    def describe(self):
        return "NAT64: tayga on %s, %s -> IPv4 pool %s, then the router's NAT (log %s)" % (
            DEVICE, self.prefix, POOL, self.log_path)

    def _config(self):
        data = os.path.join(self.run_dir, "tayga-data")
        os.makedirs(data, exist_ok=True)
        with open(self.conf, "w") as f:
            f.write("tun-device %s\nipv4-addr %s\nipv6-addr %s\nprefix %s\n"
                    "dynamic-pool %s\ndata-dir %s\n" % (DEVICE, TAYGA_V4, TAYGA_V6, self.prefix,
                                                        POOL, data))

    def start(self):
        """Call inside the router's namespace (isolation.in_netns)."""
        binary = shutil.which("tayga") or "/usr/sbin/tayga"
        if not os.access(binary, os.X_OK):
            raise RuntimeError("tayga is not installed (Debian package tayga; .ci/install-deps)")
        self._config()
        subprocess.run([binary, "--config", self.conf, "--mktun"], check=True,
                       capture_output=True, preexec_fn=die_with_parent)
        for argv in (["ip", "link", "set", DEVICE, "up"],
                     ["ip", "route", "add", POOL, "dev", DEVICE],
                     ["ip", "-6", "route", "add", self.prefix, "dev", DEVICE]):
            subprocess.run(argv, check=True, capture_output=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([binary, "--config", self.conf, "--nodetach"],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        preexec_fn=die_with_parent)
        log.close()
        self._wait_attached()
        return self

    def _wait_attached(self, within_s=3.0):
        """Until TAYGA holds the TUN device (carrier up): packets routed to
        it before then are dropped."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("tayga exited with %s; see %s" % (self.process.returncode,
                                                                     self.log_path))
            link = subprocess.run(["ip", "-o", "link", "show", DEVICE], capture_output=True,
                                  text=True).stdout
            if "LOWER_UP" in link:
                return
            time.sleep(0.02)
        raise RuntimeError("tayga did not take %s within %.0f s; see %s" % (DEVICE, within_s,
                                                                            self.log_path))

    def stop(self):
        stop_process(self.process, 2)
