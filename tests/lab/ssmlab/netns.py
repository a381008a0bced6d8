"""A fresh, private world for one test: user + network + mount namespaces.

`reenter_in_namespace()` re-runs the calling script under
`unshare --user --map-root-user --net --mount`: the new network namespace
holds only `lo` and has no route out, so nothing a test does can leave the
machine, and tests run in parallel without seeing each other. It works as
root and as an ordinary user. When the last process in it exits, the
namespace and everything in it disappear.

If the namespace cannot be created the caller fails loudly: a lab test must
never pass without its lab.

Inside, `add_addresses`, `apply_nft` and `bind_file` shape the world.
"""

import ctypes
import os
import signal
import subprocess
import sys
import tempfile

_INSIDE = "SSM_REACH_LAB_INSIDE"
_OUTER_NETNS = "SSM_REACH_LAB_OUTER_NETNS"
_STARTED = "SSM_REACH_LAB_STARTED"

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: SIGKILL this child when the process that started it dies,
    so no peer or probe outlives a killed test."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _netns_inode():
    return os.stat("/proc/self/ns/net").st_ino


def inside():
    """True in the process that reenter_in_namespace() started."""
    return os.environ.get(_INSIDE) == "1"


def reenter_in_namespace(argv=None):
    """Run this script again inside a fresh namespace and exit with its code.

    Returns (without re-running) when already inside, after checking that the
    namespace really is a fresh one. Never returns in the outer process.
    """
    if inside():
        _check_fresh()
        return
    argv = list(sys.argv if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="ssm-reach-lab-") as tmp:
        started = os.path.join(tmp, "started")
        env = dict(os.environ)
        env.update({_INSIDE: "1", _OUTER_NETNS: str(_netns_inode()), _STARTED: started})
        command = ["unshare", "--user", "--map-root-user", "--net", "--mount",
                   "--kill-child", "--", sys.executable] + argv
        try:
            proc = subprocess.run(command, env=env, preexec_fn=die_with_parent)
            code = proc.returncode
        except OSError as e:
            code, started = 1, None
            print("lab: cannot run unshare: %s" % e, file=sys.stderr)
        if not started or not os.path.exists(started):
            print("LAB FAILURE: could not create a private network namespace with "
                  "`unshare --user --map-root-user --net --mount` (exit %s). The lab "
                  "needs unprivileged user namespaces (sysctl "
                  "kernel.unprivileged_userns_clone=1, or run as root) and util-linux. "
                  "Refusing to run the test outside its lab." % code, file=sys.stderr)
            sys.exit(code if code not in (0, None) else 1)
        sys.exit(code if code >= 0 else 128 - code)


def _check_fresh():
    outer = os.environ.get(_OUTER_NETNS)
    if not outer or int(outer) == _netns_inode():
        print("LAB FAILURE: not inside a new network namespace", file=sys.stderr)
        sys.exit(1)
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    names = [line.split(":")[1].strip().split("@")[0] for line in links]
    if names != ["lo"]:
        print("LAB FAILURE: namespace is not empty: links %s" % names, file=sys.stderr)
        sys.exit(1)
    started = os.environ.get(_STARTED)
    if started:
        with open(started, "w") as f:
            f.write("ok\n")
    # Children of the lab must not re-enter or mistake themselves for the lab.
    for key in (_INSIDE, _OUTER_NETNS, _STARTED):
        os.environ.pop(key, None)
    os.environ["SSM_REACH_LAB_NETNS"] = "1"


def run(command, stdin=None):
    """Run a shaping command; raise with its stderr if it fails."""
    proc = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(command), proc.stderr.strip()))
    return proc.stdout


def add_addresses(addresses):
    """Bring lo up and give it every address (host routes, /32 or /128)."""
    lines = ["link set lo up"]
    for address in sorted(set(addresses)):
        prefix = 128 if ":" in address else 32
        lines.append("address add %s/%d dev lo" % (address, prefix))
    run(["ip", "-batch", "-"], stdin="\n".join(lines) + "\n")


def apply_nft(drops):
    """Silently drop matching packets on input, as a security group does.

    `drops` is a list of (address, protocol, port); protocol "tcp" or "udp",
    port None for every port of that protocol, protocol None for everything.
    """
    if not drops:
        return
    rules = []
    for address, protocol, port in drops:
        family = "ip6" if ":" in address else "ip"
        rule = "%s daddr %s" % (family, address)
        if protocol:
            rule += " %s dport %d" % (protocol, port) if port else " meta l4proto %s" % protocol
        rules.append("    %s drop" % rule)
    ruleset = (
        "table inet lab {\n  chain input {\n    type filter hook input priority 0; policy accept;\n"
        + "\n".join(rules)
        + "\n  }\n}\n"
    )
    run(["nft", "-f", "-"], stdin=ruleset)


_mounts_private = False


def bind_file(content, target, workdir):
    """Show `content` at `target` (e.g. /etc/resolv.conf) in this mount
    namespace only; the host's file is untouched."""
    global _mounts_private
    if not _mounts_private:
        run(["mount", "--make-rprivate", "/"])
        _mounts_private = True
    source = os.path.join(workdir, os.path.basename(target))
    with open(source, "w") as f:
        f.write(content)
    real = os.path.realpath(target)
    if not os.path.exists(real):
        raise RuntimeError("cannot bind over %s: %s does not exist" % (target, real))
    run(["mount", "--bind", source, real])
    return source
