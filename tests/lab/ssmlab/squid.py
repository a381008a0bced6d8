"""Squid as the instance's forward proxy (what an HTTPS proxy looks like to
the agent: CONNECT host:443, 403 from an allow-list, 407 without credentials).

Modes:
  allow   CONNECT to port 443 is allowed, except to `deny_hosts` (403)
  deny    every CONNECT gets 403 (an allow-list without the AWS names)
  auth    Basic proxy authentication (basic_ncsa_auth, an htpasswd file made
          here): 407 without or with wrong credentials, then as `allow`
In every mode plain HTTP to port 80 is forwarded, and anything for a
link-local address (169.254.169.254: IMDS) gets 403: the proxy is another
host and never reaches this instance's metadata.
The "dead" proxy of world.py is an address where nothing listens: no squid.

Squid runs in the foreground (`-N`) with its own config in the run's
directory: no cache, access.log (every CONNECT and its answer), cache.log
and pid file there. It resolves endpoint names from a hosts file made from
the world's endpoints (as a corporate proxy has DNS of its own, independent
of the instance's resolver), then from the lab resolver.

Unprivileged: started as root, squid insists on switching to the user
`proxy`, which fails inside the lab's user namespace (only uid 0 is mapped).
So squid is started through `unshare --user --map-user=proxy`: a nested user
namespace where this process's uid (the lab's 0, outside the host's root or
an ordinary user) is the `proxy` uid. Squid sees a non-root uid without
capabilities and neither switches user nor needs to; its network namespace
stays the lab's. The same works as root and as an ordinary user, and
PR_SET_PDEATHSIG survives the exec of unshare and squid, so squid dies with
the test. Squid 5 keeps shared memory segments in /dev/shm even with one
worker; the lab mounts a private tmpfs there (netns.private_dev_shm) so that
parallel tests, or a killed squid's leftovers, never collide.
"""

import ipaddress
import os
import pwd
import shutil
import subprocess
import time

from .netns import die_with_parent, private_dev_shm, stop_process

MODES = ("allow", "deny", "auth")
SQUID = "/usr/sbin/squid"
NCSA_AUTH = "/usr/lib/squid/basic_ncsa_auth"
REALM = "lab proxy"


def _proxy_uid():
    """The uid squid would switch to; any non-zero uid would do."""
    try:
        return pwd.getpwnam("proxy").pw_uid
    except KeyError:
        return 13  # Debian's proxy user


def htpasswd_line(user, password):
    """`user:$apr1$...` as basic_ncsa_auth reads it (openssl passwd -apr1;
    the password goes through stdin, never on a command line)."""
    proc = subprocess.run(["openssl", "passwd", "-apr1", "-stdin"], input=password + "\n",
                          capture_output=True, text=True, check=True)
    return "%s:%s\n" % (user, proc.stdout.strip())


class Squid:
    """One squid listening on address:port inside the lab."""

    def __init__(self, address, port, workdir, mode="allow", deny_hosts=(), hosts=None,
                 nameserver=None, user=None, password=None):
        if mode not in MODES:
            raise ValueError("unknown squid mode %r (one of %s)" % (mode, ", ".join(MODES)))
        if mode == "auth" and not (user and password):
            raise ValueError("squid mode auth needs a user and a password")
        self.address, self.port, self.mode = address, port, mode
        self.deny_hosts = sorted(set(deny_hosts))
        self.hosts = dict(hosts or {})  # name -> [ip, ...]
        self.nameserver = nameserver
        self.user, self._password = user, password
        self.directory = os.path.join(workdir, "squid")
        self.config_path = os.path.join(self.directory, "squid.conf")
        self.access_log = os.path.join(self.directory, "access.log")
        self.cache_log = os.path.join(self.directory, "cache.log")
        self.process = None

    def describe(self):
        extra = " deny %s" % ",".join(self.deny_hosts) if self.deny_hosts else ""
        return "squid %s:%d mode %s%s (log %s)" % (self.address, self.port, self.mode, extra,
                                                   self.access_log)

    def _path(self, name):
        return os.path.join(self.directory, name)

    def config(self):
        """squid.conf: listen, log, resolve, and the access rules of the mode."""
        lines = [
            "http_port %s:%d" % (self.address, self.port),
            "visible_hostname lab-proxy",
            "pid_filename %s" % self._path("squid.pid"),
            "cache_log %s" % self.cache_log,
            "access_log stdio:%s squid" % self.access_log,
            "cache_store_log none",
            "logfile_rotate 0",
            "buffered_logs off",
            "coredump_dir %s" % self.directory,
            "netdb_filename none",
            "pinger_enable off",
            "cache deny all",
            "shutdown_lifetime 0 seconds",
            "hosts_file %s" % self._path("hosts"),
            "dns_nameservers %s" % (self.nameserver or "127.0.0.1"),
            "acl SSL_ports port 443",
            "acl Safe_ports port 80 443",
            "acl CONNECT method CONNECT",
            # A proxy is another host: it never reaches this instance's IMDS.
            "acl link_local dst 169.254.0.0/16 fe80::/10",
            "http_access deny !Safe_ports",
            "http_access deny CONNECT !SSL_ports",
            "http_access deny link_local",
        ]
        names = [h for h in self.deny_hosts if not _is_ip(h)]
        ips = [h for h in self.deny_hosts if _is_ip(h)]
        if names:
            lines += ["acl lab_denied_names dstdomain %s" % " ".join(names),
                      "http_access deny CONNECT lab_denied_names"]
        if ips:
            lines += ["acl lab_denied_ips dst %s" % " ".join(ips),
                      "http_access deny CONNECT lab_denied_ips"]
        if self.mode == "deny":
            lines.append("http_access deny all")
        if self.mode == "auth":
            lines += ["auth_param basic program %s %s" % (NCSA_AUTH, self._path("htpasswd")),
                      "auth_param basic children 2 startup=1",
                      "auth_param basic realm %s" % REALM,
                      "auth_param basic credentialsttl 1 minute",
                      "acl lab_users proxy_auth REQUIRED",
                      "http_access deny !lab_users"]
        lines.append("http_access allow all")
        return "\n".join(lines) + "\n"

    def hosts_file(self):
        return "".join("%s %s\n" % (ip, name) for name, ips in sorted(self.hosts.items())
                       for ip in ips)

    def command(self):
        uid = _proxy_uid()
        return ["unshare", "--map-user=%d" % uid, "--map-group=%d" % uid,
                SQUID, "-N", "-f", self.config_path]

    def start(self, ready_within=10.0):
        if not os.access(SQUID, os.X_OK):
            raise RuntimeError("%s not found: install squid (.ci/install-deps)" % SQUID)
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        files = {"squid.conf": self.config(), "hosts": self.hosts_file()}
        if self.mode == "auth":
            files["htpasswd"] = htpasswd_line(self.user, self._password)
        for name, text in files.items():
            with open(self._path(name), "w") as f:
                f.write(text)
        private_dev_shm()
        out = open(self._path("squid.out"), "ab")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=out, cwd=self.directory,
                                        preexec_fn=die_with_parent)
        out.close()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("squid exited with %s: %s" % (self.process.returncode,
                                                                 self._last_words()))
            if self._listening():
                return self
            time.sleep(0.01)
        self.stop()
        raise RuntimeError("squid did not listen on %s:%d within %.0f s: %s"
                           % (self.address, self.port, ready_within, self._last_words()))

    def _listening(self):
        """Whether a socket listens on address:port in this namespace (read
        from /proc, not probed: a probe would be a line in access.log)."""
        ip = ipaddress.ip_address(self.address)
        table = "/proc/net/tcp6" if ip.version == 6 else "/proc/net/tcp"
        if ip.version == 4:  # little-endian hex, as the kernel prints it
            local = "%08X:%04X" % (int.from_bytes(ip.packed, "little"), self.port)
        else:
            words = [ip.packed[i:i + 4] for i in range(0, 16, 4)]
            local = "%s:%04X" % ("".join("%08X" % int.from_bytes(w, "little") for w in words),
                                 self.port)
        with open(table) as f:
            next(f)
            return any(line.split()[1] == local and line.split()[3] == "0A" for line in f)

    def _last_words(self):
        text = ""
        for name in ("squid.out", "cache.log"):
            try:
                with open(self._path(name), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        fatal = [line for line in text.splitlines() if "FATAL" in line or "ERROR" in line]
        return " | ".join(fatal[-3:]) or text.strip()[-300:] or "no output"

    def log_lines(self):
        """access.log's lines so far (squid writes each when a transaction ends)."""
        try:
            with open(self.access_log, errors="replace") as f:
                return f.read().splitlines()
        except OSError:
            return []

    def connects(self):
        """(host:port, result code/status) of every CONNECT in access.log,
        e.g. ("ssm.eu-central-1.amazonaws.com:443", "TCP_TUNNEL/200")."""
        out = []
        for line in self.log_lines():
            fields = line.split()
            if len(fields) >= 7 and fields[5] == "CONNECT":
                out.append((fields[6], fields[3]))
        return out

    def stop(self):
        """SIGTERM, then SIGKILL: squid's graceful shutdown takes 2 s however
        short shutdown_lifetime is, and nothing is lost by cutting it, since
        access.log is written line by line (buffered_logs off) as each
        transaction ends, and the shared memory is in the lab's /dev/shm."""
        stop_process(self.process, 0.2)


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
