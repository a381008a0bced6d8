#!/usr/bin/env python3
"""The man page and --help list the same options.

Usage: man_matches_help.py SSM_REACH MANPAGE

Every option the built binary's --help lists must be documented in the man
page's OPTIONS section, and every option the man page documents there must
be one --help lists. An option is the first --word of a help line, or of
the heading line after .TP in the man page.
"""
import re
import subprocess
import sys

# Options the man page documents before the binary on this branch has them.
# --boot comes with the boot-mode branch; once merged, --help lists it and
# this tolerance no longer matters (an option both sides list always passes).
DOCUMENTED_AHEAD = set()

HELP_OPTION = re.compile(r"^  (?:-\w,)?(--[a-z][a-z0-9-]*)")
ROFF_OPTION = re.compile(r"\\-\\-([a-z][a-z0-9\\-]*)")


def help_options(binary):
    # timeout: only a hang guard. --help is instant, but an ASan build's
    # start and exit scan took 1.2-1.7 s on a loaded 2-core machine.
    result = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        sys.exit(f"{binary} --help exited {result.returncode}: {result.stderr}")
    options = set()
    for line in result.stdout.splitlines():
        match = HELP_OPTION.match(line)
        if match:
            options.add(match.group(1))
    return options


def man_options(path):
    options = set()
    in_options = False
    heading_next = False
    with open(path, encoding="utf-8") as manpage:
        for line in manpage:
            line = line.rstrip("\n")
            if line.startswith(".SH"):
                in_options = line.split(None, 1)[1].strip('"') == "OPTIONS"
                continue
            if not in_options:
                continue
            if line == ".TP":
                heading_next = True
                continue
            if heading_next:
                heading_next = False
                # Each heading may name two forms (-h, --help); take every
                # --word on it before the argument name.
                for word in ROFF_OPTION.findall(line):
                    options.add("--" + word.replace("\\-", "-"))
    return options


def main():
    binary, manpage = sys.argv[1], sys.argv[2]
    in_help = help_options(binary)
    in_man = man_options(manpage)
    if len(in_help) < 5 or len(in_man) < 5:
        sys.exit(f"parser found too few options: help {sorted(in_help)}, man {sorted(in_man)}")
    missing_from_man = sorted(in_help - in_man)
    missing_from_help = sorted(in_man - in_help - DOCUMENTED_AHEAD)
    for option in missing_from_man:
        print(f"FAIL: --help lists {option}, the man page does not document it")
    for option in missing_from_help:
        print(f"FAIL: the man page documents {option}, --help does not list it")
    if missing_from_man or missing_from_help:
        sys.exit(1)
    ahead = sorted(DOCUMENTED_AHEAD & (in_man - in_help))
    print(f"ok: {len(in_help)} options in both" + (f" (documented ahead: {ahead})" if ahead else ""))


if __name__ == "__main__":
    main()
