"""A mini VPC on one machine: five network namespaces joined by veth pairs.

    with VpcWorld(knobs, run_dir, pki) as world:      # root, after isolation
        run = world.probe(["--region", "eu-central-1", "--output", "json"])
        run.start().wait(); print(run.returncode, run.stdout)
        world.run_in("router", ["nft", "list", "ruleset"])

Call `isolation.enter_private_mounts(run_dir)` once before the first world
(the `run` script does): the namespaces' names then live in this process's
own mount namespace and vanish with it.

Roles (`world.ns[role]` is the `ip netns` name, unique per process:
"vpc<pid>-<n>-<short role>"), addresses from ssmlab.plan where they exist:

Role names are short in namespace names: <prefix>-inst, -rtr, -vpce, -corp, -inet.

  instance   the EC2 instance: eth0 10.0.3.7/24 (and fd00:ec2:3::7/64),
             default route via the router 10.0.3.1, on-link routes to
             169.254.169.254 and 169.254.169.253 (as on EC2). Its
             /etc/resolv.conf and /etc/hosts are /etc/netns/<ns>/ files, so
             `ip netns exec` (run_in, probe) shows them to ssm-reach.
  router     the VPC router: IMDS (ssmlab FakeImds) on 169.254.169.254:80,
             the Amazon-provided resolver (dnsmasq) on 10.0.0.2 (VPC base +
             2) and 169.254.169.253; forwards between the other roles; a
             blackhole default route (no NAT: packets to the internet
             vanish, as without a route to a NAT gateway); network ACLs as
             nft rules on its forward hook.
  endpoints  interface endpoint ENIs (ssmlab StreamPeer with the lab CA's
             certificates; the ssm ENIs answer the SSM API, ssm_api.py):
             10.0.1.10 + i for service i, further ENIs after the first of
             every service (10.0.1.13.. for three services), or in the
             shared-services range 10.100.0.10.. (knob eni_range); IPv6
             ENIs fd00:ec2::10 + i (knob dual_stack). Security groups are
             nft rules on its input hook.
  corporate  a corporate DNS server (dnsmasq) on 172.31.8.19 that answers
             the services' public addresses (it does not forward to the VPC
             resolver), and squid on 10.0.4.4:3128 (knob proxy).
  internet   the public endpoints, 203.0.113.10 + i (TEST-NET-3), behind
             198.51.100.2; the router reaches them only with knob nat = true
             (a route and nft masquerade, as a NAT gateway). Their IPv6
             addresses 2001:db8:ffff::10 + i, behind fd00:ff:3::2, only with
             knob egress_v6.

Knobs (a dict, e.g. a scenario file's [world] table; all optional):
  services        endpoint services (default ssm, ssmmessages, ec2messages;
                  any of plan.SERVICES + plan.EXTRA_SERVICES)
  enis            ENIs per service: an int for all (default 1) or
                  {service: int}
  endpoint        {service: [behaviour of ENI 0, of ENI 1, ...]} (the list
                  length sets the ENI count): tls (default), tls:wrong-host,
                  tls:expired, tls:not-yet-valid, tls:inspection,
                  tls:self-signed, http, close, reset, silent (tls_peer),
                  refused (nothing listens), drop (a security group drops
                  inbound 443 at that ENI)
  missing_endpoints  services with no interface endpoint in this VPC
  private_dns     true (default): the VPC resolver answers a service's name
                  with its ENIs; false: with its public address
  nat             false (default) | true: the router reaches the internet
  eni_range       vpc (default, 10.0.1.0/24) | shared-services (10.100.0.0/16,
                  centralised endpoints reached over a Transit Gateway)
  dual_stack      services that also get an IPv6 ENI (AAAA answers)
  dns_records     {service: "nxdomain" | {"A": [...], "AAAA": [...]}}: the
                  VPC resolver's answer, overriding the above
  resolver        vpc (default) | corporate | vpc-ipv4 (10.0.0.2 even on an
                  ipv6-only instance): the nameserver resolv.conf names
  vpc_resolver    up (default) | down: the Amazon resolver never answers, as
                  with the VPC's enableDnsSupport off (nft drops port 53 in the
                  router; on AWS no NACL or security group filters it)
  nacl_drop_return  services whose ENIs' return traffic (TCP source port
                  443) the router drops, as a network ACL without the
                  ephemeral ports
  firewall        extra nft rules: [{"ns": role, "chain": "input" |
                  "forward" | "output", "rule": "ip daddr 10.0.1.10 drop"}]
  imds, credentials, ssm_api, proxy   as ssmlab.world (proxy in corporate)
  agent           as ssmlab.world (the host's agent is always hidden)
  imds_throttle   {"status": 429 | 503, "after": N}: IMDS answers that status
                  to every request after the first N (persistent throttling),
                  or {"status": ..., "every": K}: to every K-th request
                  (transient: the next request for a throttled path is always
                  answered, so retries get past it). Requests count in the order
                  they arrive, PUTs too; the runner restarts the count for each
                  ssm-reach run (FakeImds.reset_counters). Recorded in
                  imds.requests with their status and "throttled": true.
  imds_delay      {path below /latest/: seconds}: IMDS answers that path only
                  after so long, e.g. {"meta-data/iam/security-credentials/
                  LabSsmRole": 0.7}, just under ssm-reach's 1 s per IMDS step
  imds_connlimit  N: the router drops new TCP SYNs from the instance to
                  169.254.169.254:80 while N connections are open (nft
                  `ct state new ct count over N drop` on its input hook, the
                  nftables form of `iptables -m connlimit --connlimit-above N`):
                  the client's connect() waits and retransmits. As the kernel
                  counts, a connection holds its place until both sides have
                  closed it (conntrack TIME_WAIT); the lab's IMDS closes its
                  side as soon as it reads the client's FIN. FakeImds's own
                  max_connections (client view) is recorded whatever this is.
  imds_region     a string IMDS gives as the region instead of the real one:
                  meta-data/placement/region and the identity document's
                  "region" (e.g. "not a region"); the availability zone and
                  everything else stay as they are
  region          the VPC's region (default eu-central-1; one of
                  plan.LAB_REGIONS: us-east-1 has FIPS endpoints)
  instance_stack  dual (default: 10.0.3.7 and fd00:ec2:3::7) | ipv6-only: the
                  instance has no IPv4 address or route at all, its
                  resolv.conf names fd00:ec2::253, and IMDS gives it no
                  local-ipv4 (an instance in an IPv6-only subnet)
  imds_ipv6       true: IMDS also answers at [fd00:ec2::254]:80 (the Nitro
                  IPv6 endpoint, HttpProtocolIpv6 enabled); it is the world's
                  `imds` for an ipv6-only instance
  egress_v6       true: the router reaches the public endpoints' IPv6
                  addresses (2001:db8:ffff::10 + i), as an egress-only
                  internet gateway; no NAT is needed for IPv6
  dns64           true: the Amazon resolver synthesizes AAAA records in
                  64:ff9b::/96 for names that have public A records and no
                  AAAA (Route 53 Resolver's DNS64 on the subnet)
  nat64           true: the router translates 64:ff9b::/96 to IPv4 (TAYGA on
                  a TUN device, vpclab/nat64.py) and NATs it out (implies nat),
                  as a NAT gateway with a 64:ff9b::/96 route does; TAYGA
                  translates only to global addresses, so it needs
  public_range    test-net (default: public endpoints at 203.0.113.10 + i) |
                  global (52.119.161.10 + i, only inside the internet namespace)

The VPC resolver also answers every service's dual-stack name
(SVC.REGION.api.aws: the public endpoint's A and AAAA) and, in FIPS regions,
its FIPS names (SVC-fips.REGION.amazonaws.com and SVC-fips.REGION.api.aws):
the public endpoints' certificates cover them all.

Everything a peer records is reachable through the ssmlab.world.World
accessors this class inherits (tls_events, all_queries, api_calls,
proxy_connects, imds.requests), so tests/e2e's checks apply unchanged.
"""

import datetime
import ipaddress
import itertools
import json
import os
import shutil
import subprocess

from ssmlab import plan
from ssmlab.dnsmasq import Dnsmasq
from ssmlab.imds_peer import FakeImds, check_delays, check_throttle
from ssmlab.probe_run import ProbeRun
from ssmlab.squid import Squid
from ssmlab.tls_peer import StreamPeer
from ssmlab.world import World

from . import isolation
from .nat64 import Tayga, nat64_address

ROLES = ("instance", "router", "endpoints", "corporate", "internet")
SHORT = {"instance": "inst", "router": "rtr", "endpoints": "vpce", "corporate": "corp",
         "internet": "inet"}
GATEWAY = "10.0.3.1"
INSTANCE_V6, GATEWAY_V6 = "fd00:ec2:3::7", "fd00:ec2:3::1"
CORPORATE_DNS = plan.PEERED[9]  # 172.31.8.19, on-premises over a VPN or peering
PUBLIC_NET = "203.0.113.0/24"
NAT_OUTSIDE, INTERNET_SIDE = "198.51.100.1", "198.51.100.2"
SHARED_SERVICES_BASE = "10.100.0.10"
VPC_ENI_BASE = "10.0.1.10"
V6_ENI_BASE = "fd00:ec2::10"
# Links: (role a, interface in a, address in a, role b, interface in b, address in b)
TRANSIT = {
    "endpoints": ("e0", "10.255.1.1/30", "fd00:ff:1::1/64", "10.255.1.2/30", "fd00:ff:1::2/64"),
    "corporate": ("c0", "10.255.2.1/30", None, "10.255.2.2/30", None),
    "internet": ("n0", NAT_OUTSIDE + "/30", "fd00:ff:3::1/64", INTERNET_SIDE + "/30",
                 "fd00:ff:3::2/64"),
}
PUBLIC_V6_BASE = "2001:db8:ffff::10"
PUBLIC_RANGES_GLOBAL = "52.119.161.0/24"
# Which role owns an address (peers are placed by address).
OWNERS = [
    ("router", ["10.0.0.0/24", "169.254.0.0/16"]),
    ("endpoints", ["10.0.1.0/24", "10.0.2.0/24", "10.100.0.0/16", "fd00:ec2::/64"]),
    ("corporate", ["10.0.4.0/24", "172.31.8.0/24"]),
    ("internet", [PUBLIC_NET, PUBLIC_RANGES_GLOBAL, plan.PUBLIC_V6]),
]
# Routes the router holds towards each role.
ROUTED = {"endpoints": ["10.0.1.0/24", "10.0.2.0/24", "10.100.0.0/16"],
          "corporate": ["10.0.4.0/24", "172.31.8.0/24"]}
ENDPOINT_BEHAVIOURS = ("tls", "tls:wrong-host", "tls:expired", "tls:not-yet-valid",
                       "tls:inspection", "tls:self-signed", "http", "close", "reset", "silent",
                       "refused", "drop")
KNOBS = {
    "services": list(plan.SERVICES), "enis": 1, "endpoint": {}, "missing_endpoints": [],
    "private_dns": True, "nat": False, "eni_range": "vpc", "dual_stack": [],
    "dns_records": {}, "resolver": "vpc", "vpc_resolver": "up", "nacl_drop_return": [],
    "firewall": [], "imds": "v2", "credentials": "role", "ssm_api": "ok", "proxy": None,
    "agent": {}, "imds_throttle": None, "imds_delay": {}, "imds_connlimit": None,
    "imds_region": None, "region": plan.REGION, "instance_stack": "dual", "imds_ipv6": False,
    "egress_v6": False, "dns64": False, "nat64": False, "public_range": "test-net",
}
# The public endpoints' IPv4 addresses: TEST-NET-3, or global ones (only
# inside the lab's internet namespace) where NAT64 needs them.
PUBLIC_RANGES = {"test-net": ("203.0.113.10", PUBLIC_NET),
                 "global": (plan.PUBLIC[0], PUBLIC_RANGES_GLOBAL)}
INSTANCE_STACKS = ("dual", "ipv6-only")
IDENTITY_DOCUMENT = "dynamic/instance-identity/document"
REGION_PATH = "meta-data/placement/region"
_counter = itertools.count()


def owner(ip):
    """The role whose namespace holds `ip` (None: nobody's)."""
    address = ipaddress.ip_address(ip)
    for role, networks in OWNERS:
        if any(address in ipaddress.ip_network(n) for n in networks):
            return role
    return None


def public_address(index):
    return str(ipaddress.ip_address("203.0.113.10") + index)


def public_address_v6(index):
    return str(ipaddress.ip_address(PUBLIC_V6_BASE) + index)


class VpcWorld(World):
    """The mini VPC of one scenario (see the module docstring)."""

    def __init__(self, knobs, run_dir, pki):
        unknown = set(knobs or {}) - set(KNOBS)
        if unknown:
            raise KeyError("unknown VPC knob(s) %s" % sorted(unknown))
        self.knobs = dict(KNOBS, **(knobs or {}))
        self._check_imds_knobs()
        self._check_ipv6_knobs()
        self.run_dir = os.path.abspath(run_dir)
        os.makedirs(self.run_dir, exist_ok=True)
        serial = next(_counter)
        self.prefix = "vpc%d-%d" % (os.getpid(), serial)
        self.ns = {role: "%s-%s" % (self.prefix, SHORT[role]) for role in ROLES}
        self.created = []
        self.services = list(self.knobs["services"])
        self.enis = self._plan_enis()         # service -> [(ip, behaviour)]
        base, self.public_net = PUBLIC_RANGES[self.knobs["public_range"]]
        self.public = {s: str(ipaddress.ip_address(base) + i) for i, s in enumerate(self.services)}
        self.public_v6 = {s: public_address_v6(i) for i, s in enumerate(self.services)}
        endpoints = {s: list(self.enis.get(s, [])) + [(self.public[s], "tls")]
                     for s in self.services}
        super().__init__({"region": self.knobs["region"],
                          "endpoints": endpoints, "imds": self.knobs["imds"],
                          "credentials": self.knobs["credentials"],
                          "ssm_api": self.knobs["ssm_api"], "proxy": self.knobs["proxy"],
                          "agent": self.knobs["agent"],
                          "dns": {"server": "dnsmasq", "address": plan.RESOLVER}},
                         pki, self.run_dir)
        self.placed = {}   # peer -> role, for describe()
        self.nft = {role: [] for role in ROLES}
        self.extra = []    # started beyond World's own: IMDS's other address, NAT64

    # -- planning ----------------------------------------------------------------
    def _plan_enis(self):
        knobs = self.knobs
        for service in list(knobs["endpoint"]) + knobs["missing_endpoints"] + knobs["dual_stack"]:
            if service not in self.services:
                raise KeyError("knob names %r, not one of the services %s" % (service,
                                                                             self.services))
        counts = {}
        for service in self.services:
            if service in knobs["missing_endpoints"]:
                continue
            if service in knobs["endpoint"]:
                counts[service] = len(knobs["endpoint"][service])
            elif isinstance(knobs["enis"], dict):
                counts[service] = knobs["enis"].get(service, 1)
            else:
                counts[service] = knobs["enis"]
        ranges = {"vpc": VPC_ENI_BASE, "shared-services": SHARED_SERVICES_BASE}
        if knobs["eni_range"] not in ranges:
            raise ValueError("eni_range must be one of %s" % ", ".join(ranges))
        base = ipaddress.ip_address(ranges[knobs["eni_range"]])
        # First ENIs 10.0.1.10 + i (plan.ENI for the three services), then
        # the further ENIs one after another.
        firsts = {s: base + i for i, s in enumerate(self.services)}
        spare = base + len(self.services)
        enis = {}
        for service in self.services:
            if service not in counts:
                continue
            behaviours = knobs["endpoint"].get(service, ["tls"] * counts[service])
            ips = []
            for k in range(counts[service]):
                if k == 0:
                    ips.append(firsts[service])
                else:
                    ips.append(spare)
                    spare += 1
            for b in behaviours:
                if b not in ENDPOINT_BEHAVIOURS:
                    raise ValueError("unknown endpoint behaviour %r (one of %s)"
                                     % (b, ", ".join(ENDPOINT_BEHAVIOURS)))
            enis[service] = [(str(ip), b) for ip, b in zip(ips, behaviours)]
            if service in knobs["dual_stack"]:
                v6 = ipaddress.ip_address(V6_ENI_BASE) + self.services.index(service)
                enis[service].append((str(v6), "tls"))
        if knobs["eni_range"] == "vpc" and spare > ipaddress.ip_address("10.0.2.254"):
            raise ValueError("too many ENIs for 10.0.1.0/23")
        return enis

    def _check_imds_knobs(self):
        k = self.knobs
        k["imds_throttle"] = check_throttle(k["imds_throttle"])
        k["imds_delay"] = check_delays(k["imds_delay"])
        limit = k["imds_connlimit"]
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)
                                  or limit < 1):
            raise ValueError("imds_connlimit must be an integer >= 1, not %r" % (limit,))
        if k["imds_region"] is not None and not isinstance(k["imds_region"], str):
            raise ValueError("imds_region must be a string, not %r" % (k["imds_region"],))

    def _check_ipv6_knobs(self):
        k = self.knobs
        if k["region"] not in plan.LAB_REGIONS:
            raise ValueError("region must be one of %s (the lab PKI's)" % ", ".join(plan.LAB_REGIONS))
        if k["instance_stack"] not in INSTANCE_STACKS:
            raise ValueError("instance_stack must be one of %s" % ", ".join(INSTANCE_STACKS))
        for knob in ("imds_ipv6", "egress_v6", "dns64", "nat64"):
            if not isinstance(k[knob], bool):
                raise ValueError("%s must be true or false, not %r" % (knob, k[knob]))
        if k["public_range"] not in PUBLIC_RANGES:
            raise ValueError("public_range must be one of %s" % ", ".join(PUBLIC_RANGES))
        if k["nat64"] and k["public_range"] != "global":
            raise ValueError("nat64 needs public_range = \"global\": TAYGA translates "
                             "64:ff9b::/96 only to global IPv4 addresses")

    @property
    def ipv6_only(self):
        return self.knobs["instance_stack"] == "ipv6-only"

    def _needs_v6_services(self):
        """IMDS and the resolver also at fd00:ec2::254 and ::253 (Nitro)."""
        return self.ipv6_only or self.knobs["imds_ipv6"] or self.knobs["dns64"]

    def _running(self):
        return super()._running() + self.extra

    def imds_metadata(self):
        """Everything IMDS serves below /latest/: the plan's metadata, the
        credentials knob's, imds_region, then the imds knob's own overrides."""
        metadata = plan.metadata(self.region)
        metadata.update(plan.credentials_metadata(
            self.knobs["credentials"], datetime.datetime.now(datetime.timezone.utc)))
        if self.knobs["imds_region"] is not None:
            document = json.loads(metadata[IDENTITY_DOCUMENT])
            document["region"] = self.knobs["imds_region"]
            metadata[IDENTITY_DOCUMENT] = json.dumps(document)
            metadata[REGION_PATH] = self.knobs["imds_region"]
        if self.ipv6_only:  # no private IPv4 address: IMDS has none to tell
            metadata.pop("meta-data/local-ipv4", None)
            metadata.pop("meta-data/network/interfaces/macs/%s/local-ipv4s" % plan.MAC, None)
            document = json.loads(metadata[IDENTITY_DOCUMENT])
            document["privateIp"] = None
            metadata[IDENTITY_DOCUMENT] = json.dumps(document)
            metadata["meta-data/network/interfaces/macs/%s/ipv6s" % plan.MAC] = INSTANCE_V6
        metadata.update(self.imds_spec().get("metadata", {}))
        return metadata

    def vpc_answer(self, service):
        """What the Amazon-provided resolver answers for a service's name."""
        records = self.knobs["dns_records"]
        if service in records:
            return records[service]
        if self.knobs["private_dns"] and service in self.enis:
            ips = [ip for ip, _ in self.enis[service]]
            return {"A": [i for i in ips if ":" not in i], "AAAA": [i for i in ips if ":" in i]}
        return {"A": [self.public[service]], "AAAA": []}

    def vpc_records(self):
        """Every name the Amazon-provided resolver serves: per service its
        standard name (vpc_answer: the ENIs with Private DNS, or public), its
        dual-stack name and, in FIPS regions, its FIPS names (the public
        endpoint); with dns64, AAAA in 64:ff9b::/96 for names whose only
        addresses are public IPv4 ones."""
        records = {}
        for service in self.services:
            answer = self.vpc_answer(service)
            if answer != "nxdomain":  # dnsmasq's --local zone: absent names are NXDOMAIN
                if not isinstance(answer, dict):
                    raise ValueError("dns_records: %r (nxdomain or {A, AAAA})" % (answer,))
                records[plan.host(service, self.region)] = dict(answer)
            both = {"A": [self.public[service]], "AAAA": [self.public_v6[service]]}
            records[plan.dualstack_host(service, self.region)] = both
            for name in plan.fips_hosts(service, self.region):
                records[name] = both if name.endswith(plan.dualstack_suffix(self.region)) \
                    else {"A": [self.public[service]]}
        if self.knobs["dns64"]:
            for name, rr in records.items():
                public = [a for a in rr.get("A", []) if ipaddress.ip_address(a).is_global
                          or ipaddress.ip_address(a) in ipaddress.ip_network(PUBLIC_NET)]
                if public and not rr.get("AAAA") and len(public) == len(rr.get("A", [])):
                    records[name] = dict(rr, AAAA=[nat64_address(a) for a in public])
        return records

    def resolv_conf(self):
        if self.ipv6_only and self.knobs["resolver"] == "vpc":
            return "# ssm-reach mini VPC (IPv6-only subnet)\nnameserver %s\nsearch %s.compute.internal\n" % (
                plan.AMAZON_RESOLVER_V6, self.region)
        if self.knobs["resolver"] not in ("vpc", "corporate", "vpc-ipv4"):
            raise ValueError("resolver must be vpc, corporate or vpc-ipv4")
        server = CORPORATE_DNS if self.knobs["resolver"] == "corporate" else plan.RESOLVER
        return "# ssm-reach mini VPC\nnameserver %s\nsearch %s.compute.internal\n" % (
            server, self.region)

    # -- building --------------------------------------------------------------------
    def run_in(self, role, argv, **popen):
        """Run argv in a role's namespace (ip netns exec: the instance's
        resolv.conf and hosts apply there); returns subprocess.CompletedProcess."""
        popen.setdefault("capture_output", True)
        popen.setdefault("text", True)
        return subprocess.run(["ip", "netns", "exec", self.ns[role]] + list(argv),
                              preexec_fn=isolation.lab_netns.die_with_parent, **popen)

    def probe(self, args, env=None, home=None, limit_s=30.0, binary=None):
        """An ssm-reach run on the instance (ssmlab ProbeRun: start(), wait(),
        returncode, stdout, stderr, seconds). `env` defaults to a clean one
        that trusts the lab CA; `binary` to $SSM_REACH."""
        from ssmlab.probe_run import clean_env
        home = home or os.path.join(self.run_dir, "home")
        os.makedirs(home, exist_ok=True)
        env = env if env is not None else clean_env(home, self.pki.ca_file)
        binary = binary or os.environ.get("SSM_REACH")
        if not binary:
            raise ValueError("no ssm-reach binary (argument or $SSM_REACH)")
        return ProbeRun(shutil.which("ip"), ["netns", "exec", self.ns["instance"],
                                             os.path.abspath(binary)] + list(args),
                        env, home, limit_s)

    def _ip(self, role, script):
        isolation.run(["ip", "-n", self.ns[role], "-batch", "-"], stdin=script)

    def _network(self):
        for role in ROLES:
            isolation.run(["ip", "netns", "add", self.ns[role]])
            self.created.append(self.ns[role])
            self._ip(role, "link set lo up\n")
            with isolation.in_netns(self.ns[role]):
                # No duplicate address detection: a tentative link-local
                # address would hold up neighbour discovery for about a
                # second, and the first IPv6 SYN with it.
                for conf in ("all", "default"):
                    with open("/proc/sys/net/ipv6/conf/%s/accept_dad" % conf, "w") as f:
                        f.write("0")
        inst, rtr = self.ns["instance"], self.ns["router"]
        isolation.run(["ip", "-n", rtr, "link", "add", "i0", "type", "veth", "peer", "name",
                       "eth0", "netns", inst])
        router = ["link set i0 up", "address add %s/24 dev i0" % GATEWAY,
                  "address add %s/64 dev i0 nodad" % GATEWAY_V6,
                  "address add %s/32 dev lo" % plan.IMDS,
                  "address add %s/32 dev lo" % plan.AMAZON_RESOLVER,
                  "address add %s/32 dev lo" % plan.RESOLVER,
                  "route add blackhole default", "route add blackhole ::/0"]
        # Local addresses win over the route to the ENIs' fd00:ec2::/64.
        if self._needs_v6_services():
            router.append("address add %s/128 dev lo nodad" % plan.AMAZON_RESOLVER_V6)
        if self.knobs["imds_ipv6"]:
            router.append("address add %s/128 dev lo nodad" % plan.IMDS_V6)
        elif self.ipv6_only:  # HttpProtocolIpv6 disabled: nothing answers there
            self.nft["router"].append(("forward", "ip6 daddr %s drop" % plan.IMDS_V6))
        instance = ["link set eth0 up", "address add %s/64 dev eth0 nodad" % INSTANCE_V6,
                    "route add ::/0 via %s" % GATEWAY_V6]
        if not self.ipv6_only:
            instance += ["address add %s/24 dev eth0" % plan.INSTANCE_IP,
                         "route add default via %s" % GATEWAY,
                         "route add %s/32 dev eth0 scope link" % plan.IMDS,
                         "route add %s/32 dev eth0 scope link" % plan.AMAZON_RESOLVER]
        self._ip("instance", "\n".join(instance) + "\n")
        for role, (dev, mine, mine6, theirs, theirs6) in TRANSIT.items():
            isolation.run(["ip", "-n", rtr, "link", "add", dev, "type", "veth", "peer", "name",
                           "eth0", "netns", self.ns[role]])
            router += ["link set %s up" % dev, "address add %s dev %s" % (mine, dev)]
            peer = ["link set eth0 up", "address add %s dev eth0" % theirs,
                    "route add default via %s" % mine.split("/")[0]]
            if mine6:
                router.append("address add %s dev %s nodad" % (mine6, dev))
                peer += ["address add %s dev eth0 nodad" % theirs6,
                         "route add ::/0 via %s" % mine6.split("/")[0]]
            via = theirs.split("/")[0]
            router += ["route add %s via %s" % (n, via) for n in ROUTED.get(role, [])]
            if role == "endpoints":
                router.append("route add fd00:ec2::/64 via %s" % theirs6.split("/")[0])
            if role == "internet" and (self.knobs["nat"] or self.knobs["nat64"]):
                router.append("route add %s via %s" % (self.public_net, via))
            if role == "internet" and self.knobs["egress_v6"]:
                router.append("route add %s via %s" % (plan.PUBLIC_V6, theirs6.split("/")[0]))
            self._ip(role, "\n".join(peer) + "\n")
        self._ip("router", "\n".join(router) + "\n")
        with isolation.in_netns(rtr):
            for path in ("/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"):
                with open(path, "w") as f:
                    f.write("1")

    def connlimit_rule(self):
        """The router's nft rule for knob imds_connlimit."""
        return ("ip saddr %s ip daddr %s tcp dport 80 ct state new ct count over %d drop"
                % (plan.INSTANCE_IP, plan.IMDS, self.knobs["imds_connlimit"]))

    def _add_address(self, ip, role=None):
        role = role or owner(ip)
        if role is None:
            raise ValueError("no namespace holds %s in this VPC's plan" % ip)
        prefix = 128 if ":" in ip else 32
        self._ip(role, "address add %s/%d dev lo%s\n" % (ip, prefix, " nodad" if ":" in ip else ""))
        return role

    def _start_in(self, role, peer):
        with isolation.in_netns(self.ns[role]):
            peer.start()
        self.placed[id(peer)] = role

    def _firewall(self):
        knobs = self.knobs
        if knobs["vpc_resolver"] not in ("up", "down"):
            raise ValueError("vpc_resolver must be up or down")
        if knobs["vpc_resolver"] == "down":
            for ip in (plan.RESOLVER, plan.AMAZON_RESOLVER):
                self.nft["router"] += [("input", "ip daddr %s udp dport 53 drop" % ip),
                                       ("input", "ip daddr %s tcp dport 53 drop" % ip)]
        for service in knobs["nacl_drop_return"]:
            for ip, _ in self.enis.get(service, []):
                family = "ip6" if ":" in ip else "ip"
                self.nft["router"].append(("forward", "%s saddr %s tcp sport 443 drop"
                                           % (family, ip)))
        for extra in knobs["firewall"]:
            chain = extra.get("chain", "input")
            if extra.get("ns") not in ROLES or chain not in ("input", "forward", "output"):
                raise ValueError("firewall rule %r: ns one of %s, chain input, forward or "
                                 "output" % (extra, ", ".join(ROLES)))
            self.nft[extra["ns"]].append((chain, extra["rule"]))
        for role, rules in self.nft.items():
            text = ""
            if rules:
                chains = {}
                for chain, rule in rules:
                    chains.setdefault(chain, []).append(rule)
                text += "table inet vpc {\n"
                for chain, lines in chains.items():
                    text += ("  chain %s {\n    type filter hook %s priority 0; policy accept;\n"
                             % (chain, chain))
                    text += "".join("    %s\n" % line for line in lines) + "  }\n"
                text += "}\n"
            if role == "router" and (knobs["nat"] or knobs["nat64"]):
                text += ("table ip vpcnat {\n  chain postrouting {\n    type nat hook postrouting "
                         "priority 100; policy accept;\n    oifname \"n0\" masquerade\n  }\n}\n")
            if text:
                isolation.run_in_netns(self.ns[role], ["nft", "-f", "-"], stdin=text)

    def _instance_files(self):
        directory = os.path.join("/etc/netns", self.ns["instance"])
        os.makedirs(directory, exist_ok=True)
        for name, text in (("resolv.conf", self.resolv_conf()), ("hosts", self.hosts_file())):
            path = os.path.join(directory, name)
            with open(path, "w") as f:
                f.write(text)
            shutil.copy(path, os.path.join(self.run_dir, "instance-" + name))
            self.files[name] = path

    def start(self):
        """Build the namespaces, links, routes, firewall and peers."""
        try:
            self._network()
            self._start_peers()
            self._firewall()
            self.isolate_agent()
            self._instance_files()
        except Exception:
            self.stop()
            raise
        return self

    def _start_peers(self):
        offset = self.spec["service_clock_offset_s"]  # the lab's default, 0
        for service in self.services:
            public = [(self.public[service], "tls")]
            if self.knobs["egress_v6"]:
                public.append((self.public_v6[service], "tls"))
            for ip, behaviour in list(self.enis.get(service, [])) + public:
                role = self._add_address(ip)
                if behaviour == "refused":
                    continue
                if behaviour == "drop":  # a security group on the ENI
                    family = "ip6" if ":" in ip else "ip"
                    self.nft[role].append(("input", "%s daddr %s tcp dport 443 drop"
                                           % (family, ip)))
                    behaviour = "tls"
                kind = behaviour.split(":", 1)[0]
                files = self._tls_files(service, behaviour) if kind == "tls" else (None, None)
                peer = StreamPeer(ip, 443, kind, *files, label="%s %s" % (service, behaviour),
                                  clock_offset_s=offset,
                                  api=self._ssm_api(service) if kind == "tls" else None)
                self.peers.append(peer)
                self._start_in(role, peer)
        # The Amazon-provided resolver; the corporate one answers public addresses.
        also_on = [plan.AMAZON_RESOLVER]
        if self._needs_v6_services():
            also_on.append(plan.AMAZON_RESOLVER_V6)
        vpc = Dnsmasq(plan.RESOLVER, self.vpc_records(), also_on=also_on,
                      zones=("amazonaws.com", plan.dualstack_suffix(self.region)),
                      log_path=os.path.join(self.run_dir, "dnsmasq-vpc.log"))
        self.resolvers.append(vpc)
        self._start_in("router", vpc)
        self._add_address(CORPORATE_DNS)
        corporate = Dnsmasq(CORPORATE_DNS, {plan.host(s, self.region): {"A": [self.public[s]]}
                                            for s in self.services},
                            log_path=os.path.join(self.run_dir, "dnsmasq-corporate.log"))
        self.resolvers.append(corporate)
        self._start_in("corporate", corporate)

        imds = self.imds_spec()
        mode = imds["mode"]
        if mode not in ("v2", "v1", "token-blocked", "token-blocked-v2", "blackhole", "refused"):
            raise ValueError("imds mode %r not supported in the VPC world" % mode)
        if mode == "blackhole":
            self.nft["router"].append(("input", "ip daddr %s tcp dport 80 drop" % plan.IMDS))
        if self.knobs["imds_connlimit"] is not None:
            self.nft["router"].append(("input", self.connlimit_rule()))
        if mode != "refused":
            imds_at = {plan.IMDS: None}
            if self.knobs["imds_ipv6"]:
                imds_at[plan.IMDS_V6] = None
            for address in imds_at:
                imds_at[address] = FakeImds(address, 80, "v2" if mode == "blackhole" else mode,
                                            self.imds_metadata(),
                                            throttle=self.knobs["imds_throttle"],
                                            delays=self.knobs["imds_delay"])
                self._start_in("router", imds_at[address])
            # The world's IMDS is the one the instance talks to.
            main = plan.IMDS_V6 if self.ipv6_only and self.knobs["imds_ipv6"] else plan.IMDS
            self.imds = imds_at.pop(main)
            self.extra += list(imds_at.values())
        if self.knobs["nat64"]:
            tayga = Tayga(self.run_dir)
            self._start_in("router", tayga)
            self.extra.append(tayga)

        proxy = self.proxy_spec()
        if proxy:
            self._add_address(proxy["address"])
            if proxy["mode"] != "dead":
                # A proxy in the VPC resolves names as the VPC resolver does.
                hosts = {plan.host(s, self.region): [ip for ip in
                                                     (self.vpc_answer(s) or {}).get("A", [])]
                         for s in self.services if isinstance(self.vpc_answer(s), dict)}
                self.proxy = Squid(proxy["address"], proxy["port"], self.run_dir, proxy["mode"],
                                   deny_hosts=[self.name(h) for h in proxy["deny_hosts"]],
                                   hosts=hosts, nameserver=plan.RESOLVER,
                                   user=plan.PROXY_USER, password=plan.PROXY_PASSWORD)
                self._start_in("corporate", self.proxy)

    def stop(self):
        """Stop every peer and delete the namespaces (also after a failed start)."""
        super().stop()
        for name in reversed(self.created):
            try:
                isolation.run(["ip", "netns", "del", name])
            except RuntimeError:
                pass  # gone with the mount namespace anyway
        self.created = []
        shutil.rmtree(os.path.join("/etc/netns", self.ns["instance"]), ignore_errors=True)

    def describe(self):
        """Lines that say what this world is (for logs and the demo)."""
        k = self.knobs
        lines = ["instance %s (%s/24 via %s) in %s" % (plan.INSTANCE_ID, plan.INSTANCE_IP,
                                                         GATEWAY, plan.VPC_CIDR),
                 "namespaces %s-{%s}" % (self.prefix, ",".join(SHORT[r] for r in ROLES)),
                 "private DNS %s, NAT %s, resolv.conf names the %s resolver%s"
                 % ("on" if k["private_dns"] else "off", "yes" if k["nat"] else "no",
                    k["resolver"], " (down)" if k["vpc_resolver"] == "down" else ""),
                 "IMDS %s, credentials %s, ssm API %s" % (self.imds_spec()["mode"],
                                                          k["credentials"], k["ssm_api"])]
        v6 = []
        if k["region"] != plan.REGION:
            v6.append("region " + k["region"])
        if self.ipv6_only:
            v6.append("IPv6-only instance %s (resolver %s)" % (INSTANCE_V6, plan.AMAZON_RESOLVER_V6))
        if k["imds_ipv6"]:
            v6.append("IMDS also at [%s]" % plan.IMDS_V6)
        v6 += [words for knob, words in (("egress_v6", "egress-only IPv6 to the public endpoints"),
                                         ("dns64", "DNS64 on the subnet"),
                                         ("nat64", "NAT64 (tayga) in the router")) if k[knob]]
        if v6:
            lines.append("IPv6: " + ", ".join(v6))
        imds = []
        if k["imds_throttle"]:
            t = k["imds_throttle"]
            imds.append("%d %s" % (t["status"], "after %d requests" % t["after"] if "after" in t
                                   else "to one request in every %d" % t["every"]))
        imds += ["%s after %g s" % d for d in sorted(k["imds_delay"].items())]
        if k["imds_connlimit"] is not None:
            imds.append("at most %d connections (SYNs beyond dropped)" % k["imds_connlimit"])
        if k["imds_region"] is not None:
            imds.append("region %r" % k["imds_region"])
        if imds:
            lines.append("IMDS: " + ", ".join(imds))
        for service in self.services:
            enis = ", ".join("%s %s" % e for e in self.enis.get(service, [])) or "no endpoint"
            lines.append("%s: %s; public %s%s" % (service, enis, self.public[service],
                                                 " and " + self.public_v6[service]
                                                 if k["egress_v6"] else ""))
        if self.proxy:
            lines.append("proxy: " + self.proxy.describe())
        for role, rules in self.nft.items():
            lines += ["nft %s %s: %s" % (role, chain, rule) for chain, rule in rules]
        return lines
