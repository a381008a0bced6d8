"""What every test that runs ssm-reach in one scenario's mini VPC sets up
first: the scenario, its run directory (in this process's private mounts),
the lab PKI, a clean home and environment, the scenario's arguments, and
the world itself. The caller has tests/lab and tests/e2e on sys.path.
"""

import os
import shutil
import types

from vpclab import isolation, scenario as scenarios


def prepare(binary, pki_dir, artifacts, scenario, suffix):
    """A namespace of scenario, e2e, binary, directory, pki, home, env and
    args; None (after a FAIL line) when the binary cannot be run."""
    import run_scenario as rs
    from ssmlab import pki as lab_pki
    from ssmlab.probe_run import clean_env

    s = scenarios.load(scenario)
    e2e = scenarios.to_e2e(s)
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        print("FAIL: ssm-reach not found or not executable: %s" % binary)
        return None
    build = os.path.dirname(os.path.dirname(binary))
    directory = os.path.join(os.path.abspath(artifacts or os.path.join(build, "vpc", "runs")),
                             scenario + suffix)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    lab_pki.ensure(pki_dir)
    isolation.enter_private_mounts(directory)
    pki = lab_pki.Pki(pki_dir)
    home = os.path.join(directory, "home")
    os.makedirs(home)
    env = clean_env(home, pki.ca_file, {k: rs.substitute(v, pki, home)
                                        for k, v in e2e["env"].items()})
    return types.SimpleNamespace(scenario=s, e2e=e2e, binary=binary, directory=directory,
                                 pki=pki, home=home, env=env, args=rs.probe_args(e2e, pki))


def start_world(run, label):
    """The scenario's world, started; None (after a FAIL line naming
    `label`) when it did not start: a VPC failure, never a pass."""
    from vpclab.world import VpcWorld

    try:
        return VpcWorld(run.scenario.get("world", {}), run.directory, run.pki).start()
    except Exception as e:  # noqa: BLE001 - the world, not ssm-reach, failed
        print("FAIL %s: VPC FAILURE: the world did not start: %s: %s"
              % (label, type(e).__name__, e))
        return None
