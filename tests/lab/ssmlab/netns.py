"""A fresh, private world for one test: user + network + mount namespaces.

`enter_lab_namespace()` moves the calling process into new user, network
and mount namespaces: unshare(2) with the flags of `unshare -rnm`
(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS, this user mapped to root). The
new network namespace holds only `lo` and has no route out, so nothing a
test does can leave the machine, and tests run in parallel without seeing
each other. It works as root and as an ordinary user. The namespaces live
as long as this process and its children; children are started with
`die_with_parent` so none outlives it.

If the namespace cannot be created the caller fails loudly: a lab test must
never pass without its lab.

Inside, `add_addresses`, `apply_nft` and `bind_file` shape the world.
"""

import ctypes
import os
import signal
import subprocess
import sys

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_inside = False


def die_with_parent():
    """preexec_fn: SIGKILL this child when the process that started it dies,
    so no peer or probe outlives a killed test."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def stop_process(process, grace_s):
    """SIGTERM a peer started with Popen, SIGKILL it after `grace_s`, and
    reap it; nothing when it is gone already (or was never started)."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _netns_inode():
    return os.stat("/proc/self/ns/net").st_ino


def inside():
    """True once this process has entered its lab namespace."""
    return _inside


def _fail(reason):
    print("LAB FAILURE: could not create a private network namespace (%s). The lab "
          "needs user namespaces (as root, or sysctl kernel.unprivileged_userns_clone=1 "
          "for other users). Refusing to run the test outside its lab." % reason,
          file=sys.stderr)
    sys.exit(1)


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


# The unprivileged user a test may run ssm-reach as (Debian's nobody/nogroup).
NOBODY = 65534


def _map_from_outside(pid, uid, gid, go, done):
    """In a child forked before unshare: once told to (`go`), write the
    lab's id maps with lab root and nobody. A map of more than our own id
    needs CAP_SETUID in the parent namespace, which the process that just
    left it no longer has; this child, still outside, does (when root)."""
    if not os.read(go, 1):  # the parent died before it unshared
        os._exit(1)
    try:
        _write("/proc/%d/uid_map" % pid, "0 %d 1\n%d %d 1" % (uid, NOBODY, NOBODY))
        _write("/proc/%d/gid_map" % pid, "0 %d 1\n%d %d 1" % (gid, NOBODY, NOBODY))
        os.write(done, b"ok")
    except OSError as e:
        os.write(done, str(e).encode())
    os._exit(0)


def enter_lab_namespace(with_nobody=False):
    """Enter fresh user, network and mount namespaces (as `unshare -rnm`),
    or exit 1 with LAB FAILURE. Call before starting any thread.

    with_nobody: map the host's nobody (NOBODY) into the lab as well, so a
    test can run ssm-reach as an unprivileged user (setpriv). Needs root."""
    global _inside
    if _inside:
        return
    uid, gid = os.getuid(), os.getgid()
    outer = _netns_inode()
    if with_nobody:
        if uid != 0:
            _fail("mapping nobody into the lab needs root")
        go_read, go_write = os.pipe()
        done_read, done_write = os.pipe()
        helper = os.fork()
        if helper == 0:
            os.close(go_write)  # so a parent that dies is an end of file
            os.close(done_read)
            _map_from_outside(os.getppid(), uid, gid, go_read, done_write)
        os.close(go_read)
        os.close(done_write)
    if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS) != 0:
        _fail("unshare: %s" % os.strerror(ctypes.get_errno()))
    try:
        if with_nobody:
            os.write(go_write, b"x")
            answer = os.read(done_read, 512).decode(errors="replace")
            os.waitpid(helper, 0)
            os.close(go_write)
            os.close(done_read)
            if answer != "ok":
                raise OSError(answer)
        else:
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", "0 %d 1" % uid)
            _write("/proc/self/gid_map", "0 %d 1" % gid)
    except OSError as e:
        _fail("mapping the user: %s" % e)
    if _netns_inode() == outer:
        _fail("the network namespace did not change")
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True)
    names = [line.split(":")[1].strip().split("@")[0] for line in links.stdout.splitlines()]
    if links.returncode != 0 or names != ["lo"]:
        _fail("unexpected links %s %s" % (names, links.stderr.strip()))
    _inside = True


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


def _make_mounts_private():
    """Mounts made from now on stay in this namespace (never propagate out)."""
    global _mounts_private
    if not _mounts_private:
        run(["mount", "--make-rprivate", "/"])
        _mounts_private = True


def bind_file(content, target, workdir, mode=0o644):
    """Show `content` at `target` (e.g. /etc/resolv.conf) in this mount
    namespace only; the host's file is untouched."""
    _make_mounts_private()
    source = os.path.join(workdir, os.path.basename(target))
    with open(source, "w") as f:
        f.write(content)
    os.chmod(source, mode)
    real = os.path.realpath(target)
    if not os.path.exists(real):
        raise RuntimeError("cannot bind over %s: %s does not exist" % (target, real))
    run(["mount", "--bind", source, real])
    return source


def mount_tmpfs(directory, options="size=4m,mode=755"):
    """An empty, private directory over `directory` (which must exist)."""
    _make_mounts_private()
    run(["mount", "-t", "tmpfs", "-o", options, "lab", directory])


_private_shm = False


def private_dev_shm():
    """A private, empty /dev/shm for this namespace (once): squid keeps
    shared memory segments there under fixed names, which would collide
    between parallel tests and outlive a killed squid on the host's."""
    global _private_shm
    if not _private_shm:
        mount_tmpfs("/dev/shm", "size=64m,mode=1777")
        _private_shm = True


def overlay(directory, workdir):
    """Make `directory` writable in this mount namespace only: an overlay with
    the host's directory as the read-only lower layer and a tmpfs upper layer
    (tmpfs, because an overlay upper layer cannot live on many filesystems)."""
    _make_mounts_private()
    base = os.path.join(workdir, "overlay" + directory.replace("/", "-"))
    os.makedirs(base, exist_ok=True)
    mount_tmpfs(base)
    upper, work = os.path.join(base, "upper"), os.path.join(base, "work")
    os.mkdir(upper)
    os.mkdir(work)
    run(["mount", "-t", "overlay", "lab", "-o",
         "lowerdir=%s,upperdir=%s,workdir=%s" % (directory, upper, work), directory])
