#!/usr/bin/python3
"""README.md's mini-VPC table names every scenario file, and only those
(ctest vpc.readme): the list of what each scenario proves cannot drift."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, "..", "..", "README.md")


def main():
    with open(README) as f:
        text = f.read()
    section = text.split("## See it without AWS: the mini VPC", 1)[-1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M)
    files = sorted(f[:-5] for f in os.listdir(os.path.join(HERE, "scenarios"))
                   if f.endswith(".toml"))
    missing, extra = sorted(set(files) - set(listed)), sorted(set(listed) - set(files))
    if missing or extra or len(listed) != len(set(listed)):
        print("README.md's mini-VPC table: missing %s, unknown %s, %d rows for %d names"
              % (missing, extra, len(listed), len(set(listed))))
        return 1
    print("README.md lists all %d vpc scenarios" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
