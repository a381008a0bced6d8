"""A whole lab world, described by a small dict, started and stopped.

Spec keys (all optional; see DEFAULTS):
  region       the lab region (names are SVC.REGION.amazonaws.com)
  endpoints    service -> list of (ip, behaviour[, port]); DNS answers with
               these addresses unless `dns.records` says otherwise.
               Behaviours:
                 tls                 valid certificate for the service
                 tls:KIND            KIND: wrong-host, expired, not-yet-valid,
                                     inspection, self-signed
                 tls:valid-for=SVC   the valid certificate of another service
                 tls-legacy          valid certificate, TLS 1.0/1.1 only
                 tls-mute            valid certificate, then never an HTTP
                                     answer (a middlebox that holds requests)
                 http, close, reset, silent   plain peers (see tls_peer)
                 hostile:KIND        a hostile peer (hostile_peer.py): slowloris,
                                     endless-headers, huge-header, infinite-body,
                                     redirect-loop (valid certificate where TLS)
                 refused             address exists, nothing listens
                 drop                a TLS server whose port a security group
                                     silently drops (nft)
                 unassigned          address exists nowhere (ENETUNREACH)
  dns          {"server": scripted|dnsmasq|silent|closed|none, "address", "port",
                "records": name-or-service -> behaviour (see dns_peer)}
               The default resolver is the VPC's Amazon-provided one (10.0.0.2,
               base + 2); it also answers on 169.254.169.253, as on EC2.
  more_resolvers  list of further {"server", "address", "port", "records"}
               (custom DNS servers, say)
  resolv_conf  full text for /etc/resolv.conf (default: the dns server)
  resolv_options  an "options" line's value, e.g. "timeout:2 attempts:5"
  hosts        name-or-service -> ip or list of ips pinned in /etc/hosts
  imds         v2 | v1 | token-blocked | token-blocked-v2 | refused | blackhole |
               absent | hang-after-token | stream (hostile, see imds_peer), or
               {"mode": ..., "metadata": {path: value overrides},
                "address": ..., "port": ...}  (default 169.254.169.254:80)
  credentials  what IMDS serves as the instance's AWS credentials (fake keys
               of plan.py, all in plan.SECRETS; expiry computed when the
               world starts):
                 role     instance profile LabSsmProfile with role LabSsmRole,
                          expiring 6 hours after the start (default)
                 expired  the same, expired 1 hour before the start
                 none     no iam/ at all and no identity-credentials/
                 dhmc     no instance profile; the EC2 instance identity
                          credentials of Default Host Management
                          (identity-credentials/ec2/security-credentials/
                          ec2-instance), with keys of their own
               imds.metadata overrides still win.
  agent        files of an SSM agent on this instance: {"config": dict or
               text (the amazon-ssm-agent.json; text may be malformed),
               "registration": dict (hybrid), "log": text of the agent's log
               (plan.agent_log_line(VERSION) says which version started),
               "dpkg": VERSION (an installed amazon-ssm-agent stanza in
               /var/lib/dpkg/status, e.g. "3.3.40.0-1"),
               "service_dropin": text of the agent's systemd drop-in
               /etc/systemd/system/amazon-ssm-agent.service.d/proxy.conf,
               how AWS documents setting the agent's proxy:
                 [Service]
                 Environment="https_proxy=http://10.0.4.4:3128"
                 Environment="http_proxy=http://10.0.4.4:3128"
                 Environment="no_proxy=169.254.169.254"
               }. The host's own agent files are always hidden (see
               isolate_agent), its drop-in directories included.
  system_ca    present (default) | hidden: every system CA bundle directory
               (SYSTEM_CA_DIRS) is an empty tmpfs, as on an image without
               ca-certificates (also unset SSL_CERT_FILE in the env)
  drops        extra (address, protocol, port) silently dropped
  addresses    extra addresses to put on lo
  service_clock_offset_s  seconds added to the clock of every endpoint peer
               (default 0): the Date they send and the time the SSM API
               checks X-Amz-Date against; 600 simulates this instance's
               clock being 10 minutes slow
  ssm_api      what the ssm endpoints' API (ssm_api.py) answers to a signed
               ListInstanceAssociations once the signature is valid:
               ok (default, 200) | access-denied | endpoint-policy-deny |
               expired-token. Bad signatures, unknown keys, wrong tokens and
               X-Amz-Date more than 5 minutes off fail whatever the mode. The
               accepted credentials are plan.LAB_API_CREDENTIALS
  proxy        None (default: no proxy), a mode, or {"mode": allow | deny |
               auth | dead, "deny_hosts": [service or host names, or IPs:
               CONNECT to these gets 403], "address": (default plan.PROXY),
               "port": (default 3128)}. A real squid (squid.py): allow lets
               CONNECT to 443 through, deny answers 403 to all, auth wants
               Basic credentials plan.PROXY_USER / plan.PROXY_PASSWORD (407
               without), dead is the address with nothing listening (refused),
               garbage is no squid but a hostile peer that accepts every
               CONNECT and then sends random bytes, slowloris one that answers
               CONNECT one byte per second, never completing (hostile_peer.py).
               Squid resolves endpoint names from the world's endpoints;
               requests for a link-local address (IMDS) get 403.
"""

import copy
import datetime
import json
import os

from . import netns, plan
from .dns_peer import ScriptedResolver
from .dnsmasq import Dnsmasq
from .imds_peer import FakeImds
from .squid import Squid
from .ssm_api import SsmApi
from .hostile_peer import HostilePeer
from .tls_peer import StreamPeer

DEFAULTS = {
    "region": plan.REGION,
    "endpoints": {svc: [(plan.ENI[svc], "tls")] for svc in plan.SERVICES},
    "dns": {"server": "scripted", "address": plan.RESOLVER, "port": 53, "records": {}},
    "more_resolvers": [],
    "resolv_conf": None,
    "resolv_options": "",
    "hosts": {},
    "imds": "v2",
    "credentials": "role",
    "agent": {},
    "drops": [],
    "addresses": [],
    "service_clock_offset_s": 0,
    "ssm_api": "ok",
    "proxy": None,
    "system_ca": "present",
}
# Where systems keep their CA bundles (netcheck/trust_store.cc's search
# list): "system_ca": "hidden" puts an empty tmpfs over each that exists.
SYSTEM_CA_DIRS = ("/etc/ssl", "/etc/pki", "/var/lib/ca-certificates")
PROXY_MODES = ("allow", "deny", "auth", "dead", "garbage", "slowloris")
PROXY_KEYS = ("mode", "deny_hosts", "address", "port")

# Where an installed SSM agent keeps state that ssm-reach reads. The host's
# copies must never leak into a test (a CI runner on EC2 may have an agent).
# The systemd drop-in directories (deb/rpm and snap units) may set the
# agent's proxy environment.
AGENT_DIRS = ("/etc/amazon", "/var/lib/amazon", "/var/log/amazon", "/snap/amazon-ssm-agent",
              "/etc/systemd/system/amazon-ssm-agent.service.d",
              "/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service.d")
AGENT_BINARY = "/usr/bin/amazon-ssm-agent"
AGENT_FILES = {"config": "/etc/amazon/ssm/amazon-ssm-agent.json",
               "registration": "/var/lib/amazon/ssm/registration",
               "log": "/var/log/amazon/ssm/amazon-ssm-agent.log",
               "service_dropin": "/etc/systemd/system/amazon-ssm-agent.service.d/proxy.conf"}
# The agent's unit files, wherever systemd looks: the host's are hidden (a
# drop-in applies only to a unit that exists, and the unit may set
# Environment= itself); a scenario with a drop-in gets a plain unit of its own.
AGENT_UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                   "/usr/lib/systemd/system", "/lib/systemd/system")
AGENT_UNITS = ("amazon-ssm-agent.service", "snap.amazon-ssm-agent.amazon-ssm-agent.service")
AGENT_UNIT_TEXT = (
    "[Unit]\nDescription=amazon-ssm-agent\nAfter=network-online.target\n\n"
    "[Service]\nType=simple\nWorkingDirectory=/usr/bin/\n"
    "ExecStart=/usr/bin/amazon-ssm-agent\nKillMode=process\nRestart=on-failure\n"
    "RestartForceExitStatus=SIGPIPE\nRestartSec=15min\n\n"
    "[Install]\nWantedBy=multi-user.target\n")
DPKG_STATUS = "/var/lib/dpkg/status"
# The stanza the agent's .deb leaves in the dpkg database (fields as dpkg
# writes them; ssm-reach reads Package, Status and Version).
DPKG_STANZA = (
    "Package: amazon-ssm-agent\n"
    "Status: install ok installed\n"
    "Priority: optional\n"
    "Section: admin\n"
    "Installed-Size: 123456\n"
    "Maintainer: Amazon.com, Inc. <ec2-ssm-feedback@amazon.com>\n"
    "Architecture: amd64\n"
    "Version: %s\n"
    "Description: Amazon SSM Agent\n"
)

CREDENTIAL_WORDS = {
    "role": "instance profile role %s, expiring 6 h after the start" % plan.ROLE,
    "expired": "instance profile role %s, expired 1 h before the start" % plan.ROLE,
    "none": "none (no instance profile, no instance identity credentials)",
    "dhmc": "EC2 instance identity (Default Host Management), no instance profile",
}

BASE_HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "%s\tip-%s.%s.compute.internal ip-%s\n"
)


def merge(defaults, overrides):
    """`defaults` with `overrides` applied; dicts merge one level deep, so a
    scenario can replace one service's endpoints, or dns.records without
    restating dns.server."""
    out = copy.deepcopy(defaults)
    for key, value in (overrides or {}).items():
        if key not in defaults:
            raise KeyError("unknown world knob %r" % key)
        if isinstance(value, dict) and isinstance(out[key], dict):
            out[key].update(copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    return out


class World:
    """Peers, firewall rules and resolver files of one lab namespace."""

    def __init__(self, spec, pki, workdir):
        self.spec = merge(DEFAULTS, spec)
        self.pki = pki
        self.workdir = workdir
        self.region = self.spec["region"]
        self.peers = []          # StreamPeer
        self.resolvers = []      # ScriptedResolver or Dnsmasq
        self.imds = None         # FakeImds
        self.proxy = None        # Squid
        self.addresses = set(self.spec["addresses"])
        self.drops = list(self.spec["drops"])
        self.files = {}

    # -- naming ------------------------------------------------------------
    def name(self, key):
        """A service name becomes its endpoint host; anything else is a name."""
        known = set(plan.SERVICES) | set(plan.EXTRA_SERVICES) | set(self.spec["endpoints"])
        return plan.host(key, self.region) if key in known else key

    def imds_spec(self):
        imds = self.spec["imds"]
        return dict(imds) if isinstance(imds, dict) else {"mode": imds}

    def proxy_spec(self):
        """The proxy knob with its defaults filled in, or None for no proxy."""
        proxy = self.spec["proxy"]
        if proxy is None:
            return None
        spec = dict(proxy) if isinstance(proxy, dict) else {"mode": proxy}
        unknown = set(spec) - set(PROXY_KEYS)
        if unknown:
            raise KeyError("unknown proxy knob(s) %s" % sorted(unknown))
        spec.setdefault("mode", "allow")
        if spec["mode"] not in PROXY_MODES:
            raise ValueError("unknown proxy mode %r (one of %s)" % (spec["mode"],
                                                                 ", ".join(PROXY_MODES)))
        spec.setdefault("deny_hosts", [])
        spec.setdefault("address", plan.PROXY)
        spec.setdefault("port", plan.PROXY_PORT)
        return spec

    # -- planning ------------------------------------------------------------
    def _endpoint_peers(self):
        for service, entries in self.spec["endpoints"].items():
            for entry in entries:
                ip, behaviour = entry[0], entry[1]
                port = entry[2] if len(entry) > 2 else 443
                yield service, ip, behaviour, port

    def dns_records(self, records):
        """Records a resolver serves: endpoints' addresses, then overrides."""
        out = {}
        for service, entries in self.spec["endpoints"].items():
            ips = [e[0] for e in entries]
            out[self.name(service)] = {"A": [i for i in ips if ":" not in i],
                                       "AAAA": [i for i in ips if ":" in i]}
        for key, value in records.items():
            out[self.name(key)] = value
        return out

    def _tls_files(self, service, behaviour):
        kind = behaviour.split(":", 1)[1] if ":" in behaviour else "valid"
        if kind.startswith("valid-for="):
            return self.pki.server_files("valid", kind.split("=", 1)[1], self.region)
        return self.pki.server_files(kind, service, self.region)

    def _resolvers(self, spec, log_name):
        """The resolver(s) one spec describes: the VPC resolver (at 10.0.0.2,
        port 53) also serves 169.254.169.253, like Route 53 Resolver on EC2."""
        server = spec.get("server", "scripted")
        address, port = spec.get("address", plan.RESOLVER), spec.get("port", 53)
        if server == "none":
            return []
        also_on = [plan.AMAZON_RESOLVER] if (address, port) == (plan.RESOLVER, 53) else []
        self.addresses.update([address] + also_on)
        if server == "closed":  # the addresses exist, nothing listens on 53
            return []
        records = self.dns_records(spec.get("records", {}))
        if server in ("scripted", "silent"):
            return [ScriptedResolver(a, port, records, silent=(server == "silent"))
                    for a in [address] + also_on]
        if server == "dnsmasq":
            for name, rr in records.items():
                if not isinstance(rr, dict):
                    raise ValueError("dnsmasq serves only address records (%s: %r)" % (name, rr))
            return [Dnsmasq(address, records, port=port, also_on=also_on,
                            log_path=os.path.join(self.workdir, log_name))]
        raise ValueError("unknown resolver kind %r" % server)

    def resolv_conf(self):
        if self.spec["resolv_conf"] is not None:
            return self.spec["resolv_conf"]
        text = "# ssm-reach lab\n"
        dns = self.spec["dns"]
        if dns.get("server", "scripted") != "none":  # "closed" still names it
            text += "nameserver %s\n" % dns.get("address", plan.RESOLVER)
        text += "search %s.compute.internal\n" % self.region
        if self.spec["resolv_options"]:
            text += "options %s\n" % self.spec["resolv_options"]
        return text

    def hosts_file(self):
        ip = plan.INSTANCE_IP
        text = BASE_HOSTS % (ip, ip.replace(".", "-"), self.region, ip.replace(".", "-"))
        for key, ips in self.spec["hosts"].items():
            for address in [ips] if isinstance(ips, str) else ips:
                text += "%s\t%s\n" % (address, self.name(key))
        return text

    def _ssm_api(self, service):
        """The fake SSM API for the ssm endpoint's peers, None for others."""
        if service != "ssm":
            return None
        return SsmApi(plan.LAB_API_CREDENTIALS, self.region, self.spec["ssm_api"],
                      clock_offset_s=self.spec["service_clock_offset_s"],
                      account=plan.API_ACCOUNT_ID, role=plan.API_ROLE_NAME,
                      instance_id=plan.INSTANCE_ID)

    def _squid(self, spec):
        """Squid for the proxy knob: it resolves every endpoint name to the
        world's endpoint addresses, whatever the instance's DNS says."""
        hosts = {self.name(service): [e[0] for e in entries]
                 for service, entries in self.spec["endpoints"].items()}
        return Squid(spec["address"], spec["port"], self.workdir, spec["mode"],
                     deny_hosts=[self.name(h) for h in spec["deny_hosts"]], hosts=hosts,
                     nameserver=self.spec["dns"].get("address", plan.RESOLVER),
                     user=plan.PROXY_USER, password=plan.PROXY_PASSWORD)

    # -- running ---------------------------------------------------------------
    def start(self):
        """Shape the namespace and start every peer. Call inside the lab."""
        if not netns.inside():
            raise RuntimeError("World.start() outside a lab namespace: refusing to touch the host")
        self.addresses.add(plan.INSTANCE_IP)
        for service, ip, behaviour, port in self._endpoint_peers():
            if behaviour == "unassigned":
                continue
            self.addresses.add(ip)
            if behaviour == "refused":
                continue
            if behaviour == "drop":
                self.drops.append((ip, "tcp", port))
                behaviour = "tls"
            if behaviour.startswith("hostile:"):
                kind = behaviour.split(":", 1)[1]
                self.peers.append(HostilePeer(ip, port, kind, *self._tls_files(service, "tls"),
                                              label=service))
                continue
            legacy = behaviour == "tls-legacy"
            mute = behaviour == "tls-mute"
            kind = "tls" if legacy or mute else behaviour.split(":", 1)[0]
            files = self._tls_files(service, "tls" if legacy or mute else behaviour) \
                if kind == "tls" else (None, None)
            self.peers.append(StreamPeer(ip, port, kind, *files, legacy=legacy, mute=mute,
                                         label="%s %s" % (service, behaviour),
                                         clock_offset_s=self.spec["service_clock_offset_s"],
                                         api=self._ssm_api(service) if kind == "tls" else None))

        self.resolvers += self._resolvers(self.spec["dns"], "dnsmasq.log")
        for i, spec in enumerate(self.spec["more_resolvers"]):
            self.resolvers += self._resolvers(spec, "dnsmasq-%d.log" % (i + 2))

        imds = self.imds_spec()
        mode = imds["mode"]
        imds_address, imds_port = imds.get("address", plan.IMDS), imds.get("port", 80)
        if mode != "absent":
            self.addresses.add(imds_address)
        if mode == "blackhole":
            self.drops.append((imds_address, "tcp", imds_port))
        # Computed now (an unknown mode fails even without IMDS): the
        # expiry is relative to the world's start.
        credentials = plan.credentials_metadata(self.spec["credentials"],
                                                datetime.datetime.now(datetime.timezone.utc))
        if mode in ("v2", "v1", "token-blocked", "token-blocked-v2", "blackhole",
                    "hang-after-token", "stream"):
            metadata = plan.metadata(self.region)
            metadata.update(credentials)
            metadata.update(imds.get("metadata", {}))
            self.imds = FakeImds(imds_address, imds_port, "v2" if mode == "blackhole" else mode,
                                 metadata)

        proxy = self.proxy_spec()
        if proxy:
            self.addresses.add(proxy["address"])
            if proxy["mode"] in ("garbage", "slowloris"):
                kind = "proxy-garbage" if proxy["mode"] == "garbage" else "slowloris"
                self.peers.append(HostilePeer(proxy["address"], proxy["port"], kind,
                                              label="proxy"))
            elif proxy["mode"] != "dead":  # dead: the address exists, nothing listens
                self.proxy = self._squid(proxy)

        netns.add_addresses(self.addresses)
        netns.apply_nft(self.drops)
        self.isolate_agent()
        if self.spec["system_ca"] not in ("present", "hidden"):
            raise KeyError("system_ca must be present or hidden, not %r" % self.spec["system_ca"])
        if self.spec["system_ca"] == "hidden":
            for directory in SYSTEM_CA_DIRS:
                if os.path.isdir(directory):
                    netns.mount_tmpfs(directory)
        self.files["resolv.conf"] = netns.bind_file(self.resolv_conf(), "/etc/resolv.conf",
                                                    self.workdir)
        self.files["hosts"] = netns.bind_file(self.hosts_file(), "/etc/hosts", self.workdir)
        try:
            for peer in self._running():
                peer.start()
        except Exception:
            self.stop()
            raise
        return self

    def isolate_agent(self):
        """Hide the host's SSM agent state; put the scenario's agent files in place."""
        agent = dict(self.spec["agent"])
        dpkg_version = agent.pop("dpkg", None)
        wanted = {AGENT_FILES[k]: v for k, v in agent.items() if k in AGENT_FILES}
        unknown = set(agent) - set(AGENT_FILES)
        if unknown:
            raise KeyError("unknown agent knob(s) %s" % sorted(unknown))
        # A missing top directory can only be created in an overlay of its
        # nearest existing ancestor.
        overlaid = set()
        for path in wanted:
            top = next(d for d in AGENT_DIRS if path.startswith(d + "/"))
            ancestor = os.path.dirname(top)
            while not os.path.isdir(ancestor):
                ancestor = os.path.dirname(ancestor)
            if not os.path.isdir(top) and ancestor not in overlaid:
                netns.overlay(ancestor, self.workdir)
                overlaid.add(ancestor)
            os.makedirs(top, exist_ok=True)
        for directory in AGENT_DIRS:
            if os.path.isdir(directory):
                netns.mount_tmpfs(directory)
        if os.path.exists(AGENT_BINARY):  # not executable, so never run
            netns.bind_file("", AGENT_BINARY, self.workdir)
        self._agent_dpkg_entry(dpkg_version)
        for directory in AGENT_UNIT_DIRS:
            for unit in AGENT_UNITS:
                path = os.path.join(directory, unit)
                if os.path.lexists(path) and os.path.exists(path):
                    netns.bind_file("", path, self.workdir)  # an empty unit: masked
        # The manager's DefaultEnvironment= reaches every service, the agent too.
        if os.path.exists("/etc/systemd/system.conf"):
            netns.bind_file("", "/etc/systemd/system.conf", self.workdir)
        if "service_dropin" in agent:
            unit = os.path.join(AGENT_UNIT_DIRS[0], AGENT_UNITS[0])
            if "/etc/systemd" not in overlaid and "/etc/systemd/system" not in overlaid:
                netns.overlay("/etc/systemd/system", self.workdir)
            if os.path.exists(unit):
                os.unlink(unit)  # the overlay's copy, not the host's
            with open(unit, "w") as f:
                f.write(AGENT_UNIT_TEXT)
        for path, content in wanted.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(content if isinstance(content, str) else json.dumps(content, indent=2))

    def _agent_dpkg_entry(self, version):
        """Drop the host's amazon-ssm-agent stanza from the dpkg database; add
        the scenario's (an installed package of `version`) when it has one."""
        stanzas = []
        if os.path.exists(DPKG_STATUS):
            with open(DPKG_STATUS, errors="replace") as f:
                stanzas = [st for st in f.read().split("\n\n") if st.strip()]
        kept = [st for st in stanzas if "Package: amazon-ssm-agent\n" not in st + "\n"]
        if version:
            kept.append(DPKG_STANZA % version)
        elif len(kept) == len(stanzas):
            return  # nothing to hide, nothing to add
        text = "\n\n".join(st.strip("\n") for st in kept) + "\n"
        if not os.path.exists(DPKG_STATUS):  # not a dpkg system: a private copy of the folder
            parent = os.path.dirname(DPKG_STATUS)
            if not os.path.isdir(parent):
                raise RuntimeError("cannot place a dpkg database: %s does not exist" % parent)
            netns.overlay(parent, self.workdir)
            with open(DPKG_STATUS, "w") as f:
                f.write(text)
            return
        netns.bind_file(text, DPKG_STATUS, self.workdir)

    def _running(self):
        """Everything started, in order: the proxy last, once its upstreams listen."""
        return (self.peers + self.resolvers + ([self.imds] if self.imds else [])
                + ([self.proxy] if self.proxy else []))

    def stop(self):
        for peer in reversed(self._running()):
            try:
                peer.stop()
            except Exception:  # best effort: the namespace dies with us anyway
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def describe(self):
        """Lines that say what this world is (for logs and the demo)."""
        lines = ["region %s, instance %s (%s) in %s" % (self.region, plan.INSTANCE_ID,
                                                        plan.INSTANCE_IP, plan.VPC_CIDR)]
        imds = self.imds_spec()
        lines.append("IMDS %s:%d: %s" % (imds.get("address", plan.IMDS), imds.get("port", 80),
                                         imds["mode"]))
        lines.append("IMDS credentials: " + CREDENTIAL_WORDS.get(self.spec["credentials"],
                                                             self.spec["credentials"]))
        for r in self.resolvers:
            lines.append("resolver: " + r.describe())
        proxy = self.proxy_spec()
        if self.proxy:
            lines.append("proxy: " + self.proxy.describe())
        elif proxy:
            lines.append("proxy: %s:%d dead (nothing listens)" % (proxy["address"], proxy["port"]))
        if self.spec["service_clock_offset_s"]:
            lines.append("service clock: %+d s" % self.spec["service_clock_offset_s"])
        lines.append("ssm API: %s (%d accepted keys)" % (self.spec["ssm_api"],
                                                         len(plan.LAB_API_CREDENTIALS)))
        for p in self.peers:
            lines.append("endpoint: " + p.describe())
        for service, ip, behaviour, port in self._endpoint_peers():
            if behaviour in ("refused", "unassigned"):
                lines.append("endpoint: %s:%d %s %s" % (ip, port, behaviour, service))
        for d in self.drops:
            lines.append("nft drop: %s %s %s" % d)
        return lines

    def tls_events(self):
        """(ip, port, event) for every connection a TLS peer saw."""
        return [(p.address, p.port, e) for p in self.peers if p.behaviour == "tls" for e in p.events]

    def all_queries(self):
        return [q for r in self.resolvers if isinstance(r, ScriptedResolver) for q in r.queries]

    def api_calls(self):
        """Every signed API call an endpoint peer answered (ssm_api's records)."""
        return [call for p in self.peers for call in p.api_calls()]

    def proxy_connects(self):
        """(host:port, squid result) of every CONNECT the proxy logged."""
        return self.proxy.connects() if self.proxy else []
