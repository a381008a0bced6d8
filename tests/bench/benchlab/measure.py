"""Timing one process: wall time and peak RSS, with medians and ranges.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`, the child's
ru_maxrss): a child forked from this Python process would count Python's
own resident pages (they are the child's until it execs, and the kernel
keeps the highest mark across exec), while GNU time's child starts from
GNU time's 2 MB. `ip netns exec` execs the program in place (same
process), so the peak is the larger of ip's own (the launcher baseline,
measured the same way) and the program's.

CPU time (user + system) comes from wait4 on GNU time, to the microsecond
(GNU time itself prints it in 10 ms steps, too coarse for a run of a few
milliseconds): it counts GNU time, `ip netns exec` and the program, so the
launcher's own (measured the same way, `launcher_cpu`) is what to subtract.
"""

import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time

from ssmlab.netns import die_with_parent


class Timed:
    """One finished process: seconds (wall), cpu_seconds (user + system),
    peak_rss_kib, returncode, stdout, stderr."""

    def __init__(self, seconds, cpu_seconds, peak_rss_kib, returncode, stdout, stderr,
                 timed_out):
        self.seconds, self.cpu_seconds, self.peak_rss_kib = seconds, cpu_seconds, peak_rss_kib
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.timed_out = timed_out


GNU_TIME = "/usr/bin/time"


def run_timed(argv, env=None, cwd=None, limit_s=60.0):
    """Run argv to its end (killed after limit_s): wall time, CPU, peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        started = time.perf_counter()
        proc = subprocess.Popen([GNU_TIME, "-q", "-f", "%M", "-o", rss.name] + list(argv),
                                env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, preexec_fn=die_with_parent, start_new_session=True)
        reaped = {}

        def reap():
            # wait4, not Popen.wait: its rusage has the CPU to the microsecond.
            _, status, usage = os.wait4(proc.pid, 0)
            reaped.update(ended=time.perf_counter(), status=status, usage=usage)

        reaper = threading.Thread(target=reap, daemon=True)
        reaper.start()
        reaper.join(limit_s)
        timed_out = reaper.is_alive()
        if timed_out:
            # The whole group: GNU time's child does not inherit PDEATHSIG.
            os.killpg(proc.pid, signal.SIGKILL)
            reaper.join()
        proc.returncode = os.waitstatus_to_exitcode(reaped["status"])
        seconds = reaped["ended"] - started
        cpu = reaped["usage"].ru_utime + reaped["usage"].ru_stime
        out.seek(0)
        err.seek(0)
        fields = (rss.read().strip().splitlines() or [""])[-1].split()
        # GNU time's last line; a killed child leaves a note before it.
        peak = int(fields[0]) if len(fields) == 1 and fields[0].isdigit() else None
        return Timed(seconds, cpu, peak, proc.returncode, out.read().decode("utf-8", "replace"),
                     err.read().decode("utf-8", "replace"), timed_out)


def summary(values):
    """{median, min, max, n} of a list of numbers (empty: None)."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def ms(summary_, scale=1000.0):
    """'median (min-max)' in milliseconds, for the table."""
    if not summary_:
        return "-"
    if summary_["n"] == 1:
        return "%.0f" % (summary_["median"] * scale)
    return "%.0f (%.0f-%.0f)" % (summary_["median"] * scale, summary_["min"] * scale,
                                 summary_["max"] * scale)
