"""Running ssm-reach inside the lab with a clean, explicit environment.

Nothing leaks in from the host: no AWS_*, proxy or CA variables, no locale
surprises. The lab CA is trusted through SSL_CERT_FILE unless a test says
otherwise.
"""

import errno
import fcntl
import os
import pty
import select
import struct
import subprocess
import tempfile
import termios
import time

from .netns import die_with_parent

# Sanitizer settings may pass (asan preset); nothing else from the host does.
_PASS_THROUGH = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LLVM_PROFILE_FILE")


# tests/e2e/peak_rss_exec: when set, every run goes through it, so its peak
# RSS is measured (a child of this driver would count the driver's memory).
RSS_HELPER = None


def communicate_within(proc, limit_s):
    """(stdout, stderr, timed_out) of `proc`, killed once `limit_s` passed
    (a hang guard, never a measurement); missing streams read as b""."""
    try:
        out, err = proc.communicate(timeout=limit_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    return out or b"", err or b"", timed_out


def clean_env(home, ca_file=None, extra=None):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": home, "LC_ALL": "C", "TZ": "UTC"}
    for key in _PASS_THROUGH:
        if key in os.environ:
            env[key] = os.environ[key]
    if ca_file:
        env["SSL_CERT_FILE"] = ca_file
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class ProbeRun:
    """One ssm-reach process; start() now, wait() later (runs overlap).
    `binary` is its path, or a command that ends with it (a wrapper such as
    valgrind or setpriv first)."""

    def __init__(self, binary, args, env, cwd, limit_s):
        self.command = (list(binary) if isinstance(binary, (list, tuple)) else [binary]) + list(args)
        self._rss_file = None
        if RSS_HELPER:
            fd, self._rss_file = tempfile.mkstemp(prefix="ssm-reach-rss-")
            os.close(fd)
            self.command = [RSS_HELPER, self._rss_file] + self.command
        self.env, self.cwd, self.limit_s = env, cwd, limit_s
        self.returncode = None
        self.stdout = self.stderr = ""
        self.seconds = None
        self.timed_out = False
        self.max_rss_kib = None  # peak RSS of ssm-reach itself, once reaped

    def _peak_rss_kib(self):
        """ssm-reach's own peak RSS in KiB, from the helper; None without."""
        if not self._rss_file:
            return None
        try:
            with open(self._rss_file) as f:
                return int(f.read().strip() or 0) or None
        except (OSError, ValueError):
            return None
        finally:
            os.unlink(self._rss_file)

    def start(self):
        self._started = time.monotonic()
        self._proc = subprocess.Popen(self.command, env=self.env, cwd=self.cwd,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, preexec_fn=die_with_parent)
        return self

    def wait(self):
        out, err, self.timed_out = communicate_within(self._proc, self.limit_s)
        self.seconds = time.monotonic() - self._started
        self.returncode = self._proc.returncode
        self.max_rss_kib = self._peak_rss_kib()
        self.stdout = out.decode("utf-8", "replace")
        self.stderr = err.decode("utf-8", "replace")
        self.stdout_bytes = out
        return self


class PtyRun(ProbeRun):
    """ssm-reach with stdout on a terminal (80x24), as a person would run it.

    stdout carries whatever the terminal got (colour included), with the
    terminal's CR LF turned back into LF.
    """

    def start(self):
        self._started = time.monotonic()
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self._proc = subprocess.Popen(self.command, env=self.env, cwd=self.cwd,
                                      stdin=subprocess.DEVNULL, stdout=slave,
                                      stderr=subprocess.PIPE, preexec_fn=die_with_parent)
        os.close(slave)
        return self

    def wait(self):
        deadline = self._started + self.limit_s
        out = b""

        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                self._proc.kill()
                break
            ready, _, _ = select.select([self._master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError as e:  # EIO: the terminal's other side is closed
                if e.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            out += chunk
        os.close(self._master)
        err = self._proc.stderr.read()
        self._proc.wait()
        self.seconds = time.monotonic() - self._started
        self.returncode = self._proc.returncode
        self.max_rss_kib = self._peak_rss_kib()
        self.stdout = out.decode("utf-8", "replace").replace("\r\n", "\n")
        self.stderr = err.decode("utf-8", "replace")
        self.stdout_bytes = out
        return self
