#!/usr/bin/python3
"""The vpc suite's own checks can fail, and every scenario file is valid
(ctest vpc.selftest; no root needed: nothing is built)."""

import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(REPO, "tests", "lab"), os.path.join(REPO, "tests", "e2e")]

import expect  # noqa: E402
from vpclab import scenario  # noqa: E402
from vpclab.world import VpcWorld, owner  # noqa: E402

TARGET = {"service": "ssm", "addresses": [
    {"ip": "10.0.1.10", "class": "vpc", "tcp": {"status": "timeout"}, "tls": None}]}


class ScenarioFiles(unittest.TestCase):
    def test_every_file_loads_and_plans_its_world(self):
        names = scenario.names()
        self.assertGreaterEqual(len(names), 24)
        for name in names:
            s = scenario.load(name)
            scenario.to_e2e(s)
            VpcWorld(s.get("world", {}), tempfile.gettempdir(), None)  # plans, builds nothing

    def test_unknown_keys_are_refused(self):
        with self.assertRaises(KeyError):
            VpcWorld({"natt": True}, tempfile.gettempdir(), None)
        with self.assertRaises(ValueError):
            VpcWorld({"endpoint": {"ssm": ["tls:bogus"]}}, tempfile.gettempdir(), None)


class AddressChecks(unittest.TestCase):
    def errors(self, **want):
        return expect.match(scenario._target(want), TARGET)

    def test_matching_expectations_pass(self):
        self.assertEqual(self.errors(**{"class": "vpc", "ips": ["10.0.1.10"], "tcp": "timeout",
                                        "tls": ""}), [])

    def test_each_expectation_can_fail(self):
        for want in ({"class": "public"}, {"ips": ["10.0.1.11"]}, {"tcp": "ok"}, {"tls": "ok"}):
            self.assertTrue(self.errors(**want), want)

    def test_cause_any(self):
        target = dict(TARGET, cause="tls.closed")
        self.assertEqual(expect.match(scenario._target({"cause_any": ["tls.closed"]}), target), [])
        self.assertTrue(expect.match(scenario._target({"cause_any": ["tls.expired"]}), target))


class Placement(unittest.TestCase):
    def test_addresses_land_in_their_roles(self):
        self.assertEqual(owner("169.254.169.254"), "router")
        self.assertEqual(owner("10.0.0.2"), "router")
        self.assertEqual(owner("10.0.1.13"), "endpoints")
        self.assertEqual(owner("10.100.0.10"), "endpoints")
        self.assertEqual(owner("fd00:ec2::10"), "endpoints")
        self.assertEqual(owner("10.0.4.4"), "corporate")
        self.assertEqual(owner("203.0.113.10"), "internet")
        self.assertIsNone(owner("8.8.8.8"))

    def test_eni_plan(self):
        world = VpcWorld({"endpoint": {"ssm": ["tls", "drop"]}, "dual_stack": ["ssm"]},
                         tempfile.gettempdir(), None)
        self.assertEqual(world.enis["ssm"], [("10.0.1.10", "tls"), ("10.0.1.13", "drop"),
                                             ("fd00:ec2::10", "tls")])
        self.assertEqual(world.vpc_answer("ssm"), {"A": ["10.0.1.10", "10.0.1.13"],
                                                   "AAAA": ["fd00:ec2::10"]})
        world = VpcWorld({"private_dns": False}, tempfile.gettempdir(), None)
        self.assertEqual(world.vpc_answer("ssmmessages"), {"A": ["203.0.113.11"], "AAAA": []})


if __name__ == "__main__":
    unittest.main()
