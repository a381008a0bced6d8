#!/usr/bin/env python3
"""The AMI recipes in packaging/ami/ parse, their shell passes shellcheck,
and every path, unit and command they use is one the package installs.

Usage: ami_recipes_test.py SOURCE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

src = sys.argv[1]
ami = os.path.join(src, "packaging", "ami")
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def package_files():
    """The rpm spec's %files list (packages_test.sh checks rpm -qpl against it)."""
    files, in_files = set(), False
    with open(os.path.join(src, "packaging", "rpm", "ssm-reach.spec.in"), encoding="utf-8") as spec:
        for line in spec:
            line = line.strip()
            if line.startswith("%"):
                in_files = line == "%files" or (in_files and not re.match(r"%(post|preun|postun)\b", line))
            if in_files and "/" in line:
                files.add(line.split()[-1])
    return files


def logs_directory():
    with open(os.path.join(src, "packaging", "systemd", "ssm-reach-boot.service"), encoding="utf-8") as unit:
        for line in unit:
            if line.startswith("LogsDirectory="):
                return "/var/log/" + line.split("=", 1)[1].strip()
    return None


def shellcheck(name, script, shell="bash"):
    # Image Builder's {{ Parameter }} and Packer's {{ .Vars }} are filled in
    # before the shell sees them.
    script = re.sub(r"\{\{[^}]*\}\}", "PLACEHOLDER", script)
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(f"#!/bin/{shell}\n{script}\n")
    try:
        result = subprocess.run(["shellcheck", "-s", shell, f.name], capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"shellcheck {name}:\n{result.stdout}{result.stderr}")
        else:
            print(f"ok: shellcheck {name}")
    finally:
        os.unlink(f.name)


texts = {}
for name in sorted(os.listdir(ami)):
    with open(os.path.join(ami, name), encoding="utf-8") as f:
        texts[name] = f.read()

# Image Builder component.
component = yaml.safe_load(texts["image-builder-component.yaml"])
if component.get("schemaVersion") != 1.0:
    fail("image-builder-component.yaml: schemaVersion 1.0")
phases = {phase["name"]: phase for phase in component["phases"]}
for wanted in ("build", "validate"):
    if wanted not in phases:
        fail(f"image-builder-component.yaml: no {wanted} phase")
for phase in component["phases"]:
    for step in phase["steps"]:
        if step["action"] == "ExecuteBash":
            shellcheck(f"image-builder {phase['name']}/{step['name']}", "\n".join(step["inputs"]["commands"]))
validate = "\n".join(c for s in phases["validate"]["steps"] for c in s["inputs"].get("commands", []))
if not re.search(r"ssm-reach (--no-auth|--boot)", validate):
    fail("validate phase does not run ssm-reach --no-auth or --boot")
if "-gt 1" not in validate:
    fail("validate phase does not accept exit 0 and 1 only")

# cloud-init.
if not texts["cloud-init.yaml"].startswith("#cloud-config\n"):
    fail("cloud-init.yaml does not start with #cloud-config")
cloud = yaml.safe_load(texts["cloud-init.yaml"])
for entry in cloud["write_files"]:
    if entry["content"].startswith("#!/bin/sh"):
        shellcheck(f"cloud-init {entry['path']}", entry["content"].split("\n", 1)[1], "sh")
runcmd = [c if isinstance(c, str) else " ".join(c) for c in cloud["runcmd"]]
shellcheck("cloud-init runcmd", "\n".join(runcmd), "sh")

# Packer: the inline commands and the script it runs.
packer = texts["packer-provisioner.pkr.hcl"]
inline = re.search(r"inline\s*=\s*\[(.*?)\]", packer, re.S)
if not inline:
    fail("packer: no inline provisioner")
else:
    commands = [bytes(c, "utf-8").decode("unicode_escape") for c in re.findall(r'"((?:[^"\\]|\\.)*)"', inline.group(1))]
    shellcheck("packer inline", "\n".join(commands), "sh")
for script in re.findall(r'script\s*=\s*"\$\{path\.root\}/([^"]+)"', packer):
    if script not in texts:
        fail(f"packer: script {script} is not in packaging/ami")
shellcheck("install-ssm-reach.sh", texts["install-ssm-reach.sh"].split("\n", 1)[1], "sh")

# Every path and unit the recipes name is in the package (or, for the
# boot result, in the directory the unit's LogsDirectory= creates).
files = package_files()
units = {os.path.basename(f) for f in files if f.endswith(".service")}
logs = logs_directory()
created = {entry["path"] for entry in cloud["write_files"]}  # the recipe writes these itself
everything = "\n".join(texts.values())
for path in sorted(set(re.findall(r"(/usr/[\w./-]+|/var/log/[\w./-]+)", everything))):
    if path.startswith("/var/log/"):
        if not (logs and path.startswith(logs + "/")):
            fail(f"{path}: not under the unit's LogsDirectory ({logs})")
    elif path not in files and path not in created:
        fail(f"{path}: not in the package")
for unit in sorted(set(re.findall(r"[\w-]+\.service", everything))):
    if unit not in units:
        fail(f"{unit}: the package has no such unit ({sorted(units)})")
if "/usr/bin/ssm-reach" not in files:
    fail("the package lacks /usr/bin/ssm-reach")
for name, text in texts.items():
    if "ssm-reach-boot.service" not in text and name != "packer-provisioner.pkr.hcl":
        fail(f"{name} does not name ssm-reach-boot.service")
    if not re.search(r"/var/log/ssm-reach/boot\.json|ssm-reach-boot\.service", text):
        fail(f"{name} names neither the unit nor its result")

if failures:
    sys.exit(1)
print(f"ok: recipes use {sorted(units)} and package paths only")
