#!/usr/bin/python3
"""ssm-reach writes nothing but what it is asked to and runs no other
program, except the SSM agent's own `-version` query: strace -f of full lab
runs.

  least_privilege.py --binary build/dev/probe/ssm-reach --pki DIR --artifacts DIR

The world: squid with Basic authentication (the agent's drop-in names it),
IMDSv2 with credentials, the signed call. Each run is traced with
`strace -f` (every thread and child) for every system call that creates,
opens for writing, removes, renames, links or re-permissions a file, binds
a socket to a path, or executes a program:
  json     --output json --save-evidence E: writes only E (through its
           temporary E.XXXXXX in the same folder, renamed onto E)
  boot     --boot --boot-json D/boot.json, D missing: mkdir D (and chmod
           it 0755), writes only boot.json (the same way)
  explain  explain E: writes nothing
  text     --output text: writes nothing
  textfile --output prometheus --textfile T: writes only T (the same way)
and each of them executes exactly one program: ssm-reach itself.
Then a fake agent is put at /usr/bin/amazon-ssm-agent (the lab's own mount
namespace) and ssm-reach must run it once, by that fixed path, with argv
[path, "-version"] and the environment PATH/LANG only (no shell, none of
ours, no AWS_* credentials); a fake that never answers must be killed within
the 2 s limit. Exit 0 on success, 1 on failure.
"""

import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run_scenario  # noqa: E402  (also puts tests/lab on the path)
import expect  # noqa: E402
from ssmlab import netns, plan  # noqa: E402

PROXY_WITH_PASSWORD = "http://%s:%s@%s:%d" % (plan.PROXY_USER, plan.PROXY_PASSWORD, plan.PROXY,
                                              plan.PROXY_PORT)
WORLD = {"proxy": "auth",
         "agent": {"service_dropin": "[Service]\nEnvironment=\"https_proxy=%s\"\n"
                                     "Environment=\"no_proxy=%s\"\n"
                                     % (PROXY_WITH_PASSWORD, plan.IMDS)}}
# Our environment holds credentials: none of it may reach the agent child.
ENV = {"AWS_SECRET_ACCESS_KEY": plan.SECRET_ACCESS_KEY, "AWS_SESSION_TOKEN": plan.SESSION_TOKEN}

# Every system call that can change the file system by name, start a
# program, or make a file by binding a socket.
TRACED = ("execve,execveat,open,openat,openat2,creat,mkdir,mkdirat,mknod,mknodat,unlink,unlinkat,"
          "rmdir,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,"
          "chown,lchown,fchownat,utime,utimes,utimensat,futimesat,setxattr,lsetxattr,removexattr,"
          "lremovexattr,bind,mount,umount2,pivot_root,chroot")
AGENT = "/usr/bin/amazon-ssm-agent"
AGENT_ENV = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"]
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_TMPFILE")

CALL = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)(?:\(| resumed>)(.*)$")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def syscalls(log):
    """[(pid, name, rest of the line)] from `strace -f -o LOG`."""
    out = []
    with open(log, errors="replace") as f:
        for line in f:
            m = CALL.match(line.rstrip("\n"))
            if m and "resumed>" not in line:
                out.append((int(m.group(1)), m.group(2), m.group(3)))
    return out


def paths_in(rest):
    return [bytes(p, "utf-8").decode("unicode_escape") for p in QUOTED.findall(rest)]


def temporary_of(path):
    """The names write_file_atomically may use for `path` before the rename."""
    return re.compile(re.escape(path) + r"\.[A-Za-z0-9]{6}$")


def audit(calls, asked, made_dirs=()):
    """Errors for every write outside `asked` (files) and `made_dirs`, and
    the list of execve calls [(argv text, rest)]."""
    errors, execs = [], []
    temporaries = [temporary_of(p) for p in asked]

    def allowed(path):
        return path in asked or any(t.match(path) for t in temporaries)

    for pid, name, rest in calls:
        paths = paths_in(rest)
        if name in ("execve", "execveat"):
            execs.append((pid, name, rest))
        elif name in ("open", "openat", "openat2", "creat"):
            writes = name == "creat" or any(flag in rest for flag in WRITE_FLAGS)
            if writes and paths and not allowed(paths[0]) and paths[0] != "/dev/null":
                errors.append("opened for writing: %s(%s" % (name, rest[:200]))
        elif name in ("mkdir", "mkdirat"):
            if not paths or paths[0] not in made_dirs:
                errors.append("made a directory: %s(%s" % (name, rest[:200]))
        elif name in ("rename", "renameat", "renameat2"):
            if len(paths) != 2 or not (any(t.match(paths[0]) for t in temporaries)
                                       and paths[1] in asked):
                errors.append("renamed: %s(%s" % (name, rest[:200]))
        elif name in ("unlink", "unlinkat", "rmdir"):
            if not paths or not any(t.match(paths[0]) for t in temporaries):
                errors.append("removed: %s(%s" % (name, rest[:200]))
        elif name == "bind":
            if "AF_UNIX" in rest and 'sun_path="' in rest and 'sun_path=@' not in rest:
                errors.append("bound a socket to a file: bind(%s" % rest[:200])
        elif name in ("chmod", "fchmodat") and paths and paths[0] in made_dirs:
            continue  # the folder it made gets 0755 whatever the umask
        elif name in ("chmod", "fchmodat", "chown", "lchown", "fchownat", "utime", "utimes",
                      "utimensat", "futimesat", "setxattr", "lsetxattr", "removexattr",
                      "lremovexattr", "truncate", "link", "linkat", "symlink", "symlinkat",
                      "mknod", "mknodat", "mount", "umount2", "pivot_root", "chroot"):
            if name == "utimensat" and not paths:
                continue  # futimens(fd): a file already opened (and checked) above
            errors.append("changed the file system: %s(%s" % (name, rest[:200]))
    return errors, execs


def main():
    return run_scenario.lab_script_main(__doc__, "least_privilege", run_inside, tools=("strace",))


def run_inside(binary, pki, directory):
    from ssmlab.probe_run import ProbeRun, clean_env
    from ssmlab.world import World

    shutil.rmtree(directory, ignore_errors=True)
    home = os.path.join(directory, "home")
    os.makedirs(home)
    env = clean_env(home, pki.ca_file, ENV)
    if "ASAN_OPTIONS" in env:
        # LeakSanitizer stops the world with ptrace, which strace already
        # holds: it would only fail. The asan suite checks leaks elsewhere.
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    evidence = os.path.join(directory, "evidence.json")
    boot_dir = os.path.join(directory, "boot-dir-missing")
    boot_json = os.path.join(boot_dir, "boot.json")
    textfile = os.path.join(directory, "ssm_reach.prom")
    region = ["--region", plan.REGION]
    errors = []

    def traced(kind, args, limit=60):
        log = os.path.join(directory, "strace.%s.log" % kind)
        run = ProbeRun(["strace", "-f", "-qq", "-v", "-s", "256", "-o", log, "-e", "trace=" + TRACED,
                        "--", binary], args, env, home, limit)
        run.kind, run.log = kind, log
        return run

    world = World(WORLD, pki, directory)
    world.start()
    try:
        # Alone, one after the other: each trace is that run's only.
        plain = []
        for kind, args in (("json", region + ["--output", "json", "--save-evidence", evidence]),
                           ("text", region + ["--output", "text"]),
                           ("textfile", region + ["--output", "prometheus", "--textfile", textfile]),
                           ("boot", region + ["--boot", "--boot-wait", "5",
                                              "--boot-json", boot_json]),
                           ("explain", ["explain", evidence])):
            plain.append(traced(kind, args).start().wait())
        # The fake agent, in this namespace only: /usr/bin writable through
        # an overlay, the fake owned by root and not writable by others (or
        # ssm-reach rightly refuses to run it).
        netns.overlay("/usr/bin", directory)
        with open(AGENT, "w") as f:
            f.write("#!/bin/sh\necho 'SSM Agent version: 3.3.40.0'\n")
        os.chmod(AGENT, 0o755)
        answering = traced("agent-answers", region + ["--no-auth", "--output", "json"]).start()
        answering.wait()
        with open(AGENT, "w") as f:  # never answers, never exits (python: no further execve)
            f.write("#!/usr/bin/python3\nimport time\ntime.sleep(300)\n")
        hanging = traced("agent-hangs", region + ["--no-auth", "--output", "json"]).start()
        hang_started = time.monotonic()
        hanging.wait()
        hang_seconds = time.monotonic() - hang_started
    finally:
        world.stop()

    for run in plain + [answering, hanging]:
        if run.timed_out or run.returncode not in (0, 1, 2):
            errors.append("%s: exit %s%s, stderr %r" % (run.kind, run.returncode,
                                                        " (killed)" if run.timed_out else "",
                                                        run.stderr[-300:]))
    asked = {"json": ([evidence], ()), "boot": ([boot_json], (boot_dir,)),
             "text": ([], ()), "explain": ([], ()), "textfile": ([textfile], ())}
    for run in plain:
        files, dirs = asked[run.kind]
        found, execs = audit(syscalls(run.log), files, dirs)
        errors += ["%s: %s" % (run.kind, e) for e in found]
        if len(execs) != 1 or binary not in execs[0][2]:
            errors.append("%s: expected exactly one execve (ssm-reach itself), got %s"
                          % (run.kind, [e[2][:120] for e in execs]))
        for path in files:
            if not os.path.isfile(path):
                errors.append("%s: %s was not written" % (run.kind, path))
    if not any(r["path"].endswith(plan.ROLE_CREDENTIALS_PATH) for r in world.imds.requests):
        errors.append("credentials never fetched: the traced runs did not exercise auth")

    for run, want_version in ((answering, True), (hanging, False)):
        found, execs = audit(syscalls(run.log), [], ())
        errors += ["%s: %s" % (run.kind, e) for e in found]
        agent_execs = [e for e in execs if binary not in e[2]]
        want = '"%s", ["%s", "-version"], [%s]' % (
            AGENT, AGENT, ", ".join('"%s"' % v for v in AGENT_ENV))
        if len(execs) != 2 or len(agent_execs) != 1 or not agent_execs[0][2].startswith(want):
            errors.append("%s: expected ssm-reach and then exactly execve(%s), got %s"
                          % (run.kind, want, [e[2][:200] for e in execs]))
        version_known = '"3.3.40.0"' in run.stdout
        if version_known != want_version:
            errors.append("%s: agent version %s in the report" % (
                run.kind, "not found" if want_version else "unexpectedly"))
    if "gave no answer within 2.0 s" not in hanging.stdout:
        errors.append("agent-hangs: the report does not say the agent was stopped after 2 s")
    # The agent never answers: the run must stop it after 2 s and not wait
    # for it. Judged on the run's own clock (its report's elapsed_ms: the
    # agent's 2 s and the lab's healthy, quick checks), not the wall clock,
    # which under strace -f, a sanitizer's start and exit and a loaded
    # machine is only a hang guard (the kill at 60 s ends a run that waits
    # for the agent's 300 s).
    hang_doc, _ = expect.check_json_stdout(hanging.stdout)
    hang_elapsed = hang_doc.get("elapsed_ms") if hang_doc else None
    if not isinstance(hang_elapsed, (int, float)) or hang_elapsed > (2.0 + 6.0) * 1000:
        errors.append("agent-hangs: the report's elapsed_ms is %r, expected the agent's 2 s "
                      "and the quick checks, under 8 s" % (hang_elapsed,))
    if hang_seconds > 2 * (2.0 + 6.0) + 20.0:
        errors.append("agent-hangs: the run took %.1f s of wall time (hang guard)" % hang_seconds)
    errors += run_scenario.check_sanitizers(plain + [answering, hanging], directory)
    # strace -v logged our environment: keep the artifacts free of the lab's secrets.
    secrets = run_scenario.lab_secrets(world)
    for run in plain + [answering, hanging]:
        with open(run.log, errors="replace") as f:
            text = f.read()
        with open(run.log, "w") as f:
            f.write(expect.redact(text, secrets))

    if errors:
        print("FAIL least_privilege (strace logs in %s)" % directory)
        for e in errors:
            print("  - " + e)
        return 1
    print("PASS least_privilege: writes only --save-evidence / --boot-json / --textfile, runs "
          "only itself, "
          "and the agent's -version by its fixed path (%s)"
          % ", ".join("%s %.1f s" % (r.kind, r.seconds) for r in plain + [answering, hanging]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
