"""Footprint: the release binaries' sizes, read where packaging/release
leaves them (dist/, build/release-ARCH/install/bin/), never built here."""

import glob
import os
import shutil
import subprocess

ARCHITECTURES = ("x86_64", "aarch64")


def release_binary(root, arch):
    """The stripped static binary of `arch` under checkout `root`, or None."""
    candidates = sorted(glob.glob(os.path.join(root, "dist", "ssm-reach-*-linux-%s" % arch)))
    candidates.append(os.path.join(root, "build", "release-%s" % arch, "install", "bin",
                                   "ssm-reach"))
    return next((c for c in candidates if os.path.isfile(c)), None)


def binary_sizes(root):
    """{arch: {"path", "bytes", "stripped"} or None (not built)}."""
    sizes = {}
    for arch in ARCHITECTURES:
        path = release_binary(root, arch)
        if path is None:
            sizes[arch] = None
            continue
        stripped = None
        if shutil.which("file"):
            described = subprocess.run(["file", "-b", path], capture_output=True,
                                       text=True).stdout
            stripped = ", stripped" in described
        sizes[arch] = {"path": path, "bytes": os.path.getsize(path), "stripped": stripped}
    return sizes
