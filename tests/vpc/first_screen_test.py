#!/usr/bin/python3
"""The text report as a person sees it on an 80x24 serial console (ctest
vpc.first_screen.NAME; root, as the vpc suite; needs tmux):

  first_screen_test.py --binary SSM_REACH --pki DIR [--artifacts DIR] NAME

Builds scenario NAME's mini VPC (scenarios/NAME.toml: one where several
services share one cause), runs ssm-reach --output json on the instance
for the verdict, then the same run as a person would, in a tmux terminal of
80x24 (stdout a terminal, colour on), and reads the screen back with
capture-pane. Passes when:
  - the first screen (the first 24 lines) holds the header, the table with a
    row for every failing target and its status, the one-line summary, the
    first finding's headline naming every target it hits, and its first fix
    command whole: the `for s in ...; do ...; done` loop, which run for each
    service must be exactly the command the JSON gives that target, or the
    command itself when all targets have the same;
  - the result line comes within the first 45 lines;
  - tmux wrapped no line (every line fits 80 columns), and the exit code is
    the JSON run's;
  - in a 120-column terminal the report uses the room (a line longer than 80,
    none longer than 120, fewer lines), and COLUMNS=100 there holds it to 100;
  - no lab secret is on any screen.
Exit 0 on a pass, 1 otherwise (or when the world or tmux cannot be had:
never a pass without them).
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "lab"), os.path.join(REPO, "tests", "e2e")]

from vpclab import isolation, scenario_run  # noqa: E402

SCREEN_LINES = 24
MAX_LINES_TO_RESULT = 45
LOOP = re.compile(r"^for s in ([^;]+); do (.+); done$")


class Terminal:
    """ssm-reach in a detached tmux session of its own (a private server
    socket in the run directory), read back with capture-pane."""

    def __init__(self, directory, name, width, height):
        self.socket = os.path.join(directory, "tmux-%s.sock" % name)
        self.exit_file = os.path.join(directory, "tmux-%s.exit" % name)
        self.width, self.height = width, height

    def tmux(self, *args, env=None):
        return subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, env=env, timeout=30)

    def run(self, command, env, limit_s=30.0):
        """Runs `command` in the terminal; (exit code, screen lines, joined lines)."""
        # The pane outlives ssm-reach by at most a minute, so a test killed
        # before kill-server leaves no tmux server behind for long.
        shell = "%s; echo $? > %s; sleep 60" % (shlex.join(command), shlex.quote(self.exit_file))
        started = self.tmux("new-session", "-d", "-x", str(self.width), "-y", str(self.height),
                            "-s", "report", shell, env=env)
        if started.returncode != 0:
            raise RuntimeError("tmux new-session: %s" % started.stderr.strip())
        try:
            deadline = time.monotonic() + limit_s
            while not os.path.exists(self.exit_file) or not open(self.exit_file).read().strip():
                if time.monotonic() > deadline:
                    raise RuntimeError("ssm-reach did not end within %.0f s in tmux" % limit_s)
                time.sleep(0.1)
            code = int(open(self.exit_file).read())
            # The whole output (history and screen), as lines on the terminal
            # and with tmux's wrapped lines joined.
            screen = self.tmux("capture-pane", "-p", "-t", "report", "-S", "-", "-E", "-")
            joined = self.tmux("capture-pane", "-p", "-J", "-t", "report", "-S", "-", "-E", "-")
            return code, lines_of(screen.stdout), lines_of(joined.stdout)
        finally:
            self.tmux("kill-server")


def lines_of(text):
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def first_command(remedy):
    """A remedy's first command, as the shell would read it."""
    for line in (remedy or "").split("\n"):
        if line.startswith("$ "):
            return " ".join(line[2:].split())
    return None


def logical_lines(lines):
    """Physical lines joined where they end with a backslash (the shell's
    continuation), each with the index of its last physical line."""
    out, current = [], ""
    for i, line in enumerate(lines):
        if line.endswith("\\"):
            current += line[:-1]
            continue
        out.append((" ".join((current + line).split()), i))
        current = ""
    if current:
        out.append((" ".join(current.split()), len(lines)))  # runs past the end
    return out


def fix_section(lines):
    """The first block's Fix: lines, the label taken off, up to its Why:."""
    start = next((i for i, line in enumerate(lines) if line.startswith("  Fix:")), None)
    if start is None:
        return None, []
    section = []
    for line in lines[start:]:
        if line.startswith("  Why:") or (section and not line.strip()):
            break
        section.append(line[10:] if len(line) >= 10 else "")
    return start, section


def check_fix_command(screen, failing):
    """The first fix command whole on the screen: a loop that, run for each
    failing target, gives exactly the command the JSON gives it."""
    errors = []
    start, section = fix_section(screen)
    if start is None:
        return ["no Fix: on the first screen"]
    wanted = {t["service"]: first_command(t["remedy"]) for t in failing}
    if None in wanted.values():
        return ["a failing target's remedy has no command: %s" % wanted]
    same = len(set(wanted.values())) == 1
    for text, last in logical_lines(section):
        loop = LOOP.match(text)
        if loop:
            services = loop.group(1).split()
            body = loop.group(2)
            run_as = {s: body.replace("${s}", s).replace("$s", s) for s in services}
            if services != [t["service"] for t in failing] or run_as != wanted:
                continue
        elif not (same and text == next(iter(wanted.values()))):
            continue
        if start + last >= SCREEN_LINES:
            errors.append("the first fix command ends on line %d, past the first screen"
                          % (start + last + 1))
        return errors
    errors.append("the first fix command is not on the first screen (looked for %s)" % wanted)
    return errors


def check_first_screen(lines, doc):
    errors = []
    screen = lines[:SCREEN_LINES]
    failing = [t for t in doc["targets"] if t["status"] in ("critical", "warning", "unknown")]
    services = [t["service"] for t in doc["targets"] if t["service"] != "imds"]
    if not failing:
        return ["the scenario has no failing target: nothing to look for"]
    if not screen or not screen[0].startswith("ssm-reach "):
        errors.append("the first line is not the header: %r" % (screen[:1],))
    if not any(line.startswith("TARGET ") for line in screen):
        errors.append("no table on the first screen")
    for t in failing:
        word = t["status"].upper()
        if not any(line.startswith(t["service"] + " ") and line.rstrip().endswith(word)
                   for line in screen):
            errors.append("no %s row for %s on the first screen" % (word, t["service"]))
    # One cause for all: one summary line and one block naming them all.
    summary = "%d of %d services blocked: " % (len(failing), len(services))
    if not any(line.startswith(summary) for line in screen):
        errors.append("no summary line %r... on the first screen" % summary)
    headline = "%s %s: " % (failing[0]["status"].upper(), ", ".join(t["service"] for t in failing))
    if not any(line.startswith(headline) for line in screen):
        errors.append("no headline %r... on the first screen" % headline)
    errors += check_fix_command(screen, failing)
    result = next((i for i, line in enumerate(lines) if line.startswith("Result: ")), None)
    if result is None:
        errors.append("no result line")
    elif result + 1 > MAX_LINES_TO_RESULT:
        errors.append("the result line is line %d (at most %d)" % (result + 1, MAX_LINES_TO_RESULT))
    return errors


def check_width(lines, joined, width, limit_name):
    errors = []
    if len(joined) != len(lines):
        errors.append("%s: tmux wrapped %d line(s): longer than the terminal"
                      % (limit_name, len(lines) - len(joined)))
    longest = max(len(line) for line in joined)
    if longest > width:
        errors.append("%s: a line of %d columns" % (limit_name, longest))
    return errors, longest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--artifacts", default=None)
    parser.add_argument("scenario")
    opts = parser.parse_args()
    isolation.require_root()
    import expect
    import run_scenario as rs

    if not shutil.which("tmux"):
        print("FAIL first_screen %s: tmux is not installed (.ci/install-deps)" % opts.scenario)
        return 1
    run_setup = scenario_run.prepare(opts.binary, opts.pki, opts.artifacts, opts.scenario,
                                     "_first_screen")
    if run_setup is None:
        return 1
    binary, directory = run_setup.binary, run_setup.directory
    env, home, args = run_setup.env, run_setup.home, run_setup.args
    env.pop("COLUMNS", None)
    world = scenario_run.start_world(run_setup, "first_screen " + opts.scenario)
    if world is None:
        return 1
    errors, screens = [], {}
    try:
        json_run = world.probe(args + ["--output", "json"], env, home, 30.0, binary)
        json_run.start().wait()
        doc = json.loads(json_run.stdout)
        command = ["ip", "netns", "exec", world.ns["instance"], binary] + args
        for name, width, height, extra in (("80x24", 80, 24, {}), ("120x40", 120, 40, {}),
                                           ("120x40-columns-100", 120, 40, {"COLUMNS": "100"})):
            code, lines, joined = Terminal(directory, name, width, height).run(
                command, dict(env, **extra))
            screens[name] = (code, lines, joined)
            if code != json_run.returncode:
                errors.append("%s: exit %d, the JSON run's %d" % (name, code, json_run.returncode))
        secrets = rs.lab_secrets(world)
    except Exception as e:  # noqa: BLE001 - tmux or the run failed: a failure, not a pass
        errors.append("%s: %s" % (type(e).__name__, e))
        secrets = []
    finally:
        world.stop()

    for name, (code, lines, joined) in screens.items():
        with open(os.path.join(directory, "screen-%s.txt" % name), "w") as f:
            f.write(expect.redact("\n".join(lines) + "\n", secrets))
        errors += expect.secret_leaks({name: "\n".join(lines)}, secrets)
    if "80x24" in screens:
        _, lines, joined = screens["80x24"]
        errors += check_first_screen(lines, doc)
        errors += check_width(lines, joined, 80, "80x24")[0]
    if "120x40" in screens and "80x24" in screens:
        _, lines, joined = screens["120x40"]
        width_errors, longest = check_width(lines, joined, 120, "120x40")
        errors += width_errors
        if longest <= 80:
            errors.append("120x40: no line longer than 80: the terminal's width was not used")
        if len(lines) >= len(screens["80x24"][1]):
            errors.append("120x40: %d lines, no fewer than at 80 columns (%d)"
                          % (len(lines), len(screens["80x24"][1])))
    if "120x40-columns-100" in screens:
        _, lines, joined = screens["120x40-columns-100"]
        width_errors, longest = check_width(lines, joined, 100, "COLUMNS=100")
        errors += width_errors
        if longest <= 80:
            errors.append("COLUMNS=100: no line longer than 80")

    if errors:
        print("FAIL first_screen %s" % opts.scenario)
        for e in errors:
            print("  - " + expect.redact(e, secrets))
        print("  artifacts: %s" % directory)
        return 1
    lines = screens["80x24"][1]
    result = next(i for i, line in enumerate(lines) if line.startswith("Result: "))
    print("PASS first_screen %s: verdict, failing targets and first fix command on the first "
          "%d lines of 80x24; result line %d of %d" % (opts.scenario, SCREEN_LINES, result + 1,
                                                       MAX_LINES_TO_RESULT))
    print("\n".join("  | " + line for line in lines[:SCREEN_LINES]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
