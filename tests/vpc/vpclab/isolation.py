"""The runner's private mount namespace and entering network namespaces.

`enter_private_mounts()` puts this process in a mount namespace of its own
(unshare(CLONE_NEWNS), then `mount --make-rprivate /`) and mounts empty
tmpfs directories over /run/netns and /etc/netns. Every `ip netns add` of
the run then lands in this mount namespace only: nothing appears on the
host's /run or /etc, parallel runs never see each other's namespaces, and
when the runner dies its mount namespace, the named network namespaces
with it, vanish (the runner still deletes them in a finally: block).

`in_netns(name)` is a context manager: the calling thread enters the named
network namespace (setns(2)) and comes back on exit. Sockets keep the
namespace they were created in, so a peer that binds its sockets inside
the block keeps serving there from any thread; a child process forked
inside the block (dnsmasq, squid, nft) starts in that namespace.

Whatever cannot be done (not root, unshare or a mount refused) ends in
`refuse()`: a clear message and exit 1, never a vacuous pass.
"""

import contextlib
import ctypes
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lab"))

from ssmlab import netns as lab_netns  # noqa: E402

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

NETNS_DIRS = ("/run/netns", "/etc/netns")
REFUSAL = "VPC REFUSED"


def refuse(reason):
    """Exit 1 with a message that says the suite did not run, and why."""
    print("%s: cannot build the mini VPC (%s). The vpc suite needs root (as in CI) to "
          "create network namespaces with ip netns; refusing to run rather than pass "
          "without its world." % (REFUSAL, reason), file=sys.stderr)
    sys.exit(1)


def _run(argv, stdin=None):
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                          preexec_fn=lab_netns.die_with_parent)
    if proc.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(argv), proc.stderr.strip()))
    return proc.stdout


def require_root():
    """refuse() unless this process is root."""
    if os.geteuid() != 0:
        refuse("running as uid %d, not root" % os.geteuid())


def enter_private_mounts(workdir):
    """A private mount namespace with empty /run/netns and /etc/netns, or
    refuse(). Call before any thread starts."""
    require_root()
    if _libc.unshare(_CLONE_NEWNS) != 0:
        refuse("unshare(CLONE_NEWNS): %s" % os.strerror(ctypes.get_errno()))
    try:
        _run(["mount", "--make-rprivate", "/"])
        for directory in NETNS_DIRS:
            if not os.path.isdir(directory):
                # Never create it on the host: a private overlay of its parent.
                lab_netns.overlay(os.path.dirname(directory), workdir)
                os.mkdir(directory)
            _run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=755", "vpc", directory])
    except (RuntimeError, OSError) as e:
        refuse("private mounts: %s" % e)


@contextlib.contextmanager
def in_netns(name):
    """Run the block with this thread in network namespace `name`."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(os.path.join("/run/netns", name), os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns into %s" % name)
        try:
            yield
        finally:
            if _libc.setns(home, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back from %s" % name)
    finally:
        os.close(target)
        os.close(home)


def run_in_netns(name, argv, stdin=None):
    """Run a shaping command (nft, sysctl) in network namespace `name`."""
    with in_netns(name):
        return _run(argv, stdin)


def run(argv, stdin=None):
    """Run a shaping command here; raise with its stderr if it fails."""
    return _run(argv, stdin)
