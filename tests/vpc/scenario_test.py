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


class ImdsKnobs(unittest.TestCase):
    def world(self, **knobs):
        return VpcWorld(knobs, tempfile.gettempdir(), None)

    def test_bad_values_are_refused(self):
        for knobs in ({"imds_throttle": {"status": 500, "after": 2}},
                      {"imds_throttle": {"status": 429}},
                      {"imds_throttle": {"status": 429, "after": 2, "every": 3}},
                      {"imds_throttle": {"status": 429, "every": 0}},
                      {"imds_delay": {"/latest/meta-data/mac": 1}},
                      {"imds_delay": {"meta-data/mac": -1}},
                      {"imds_connlimit": 0}, {"imds_connlimit": True},
                      {"imds_region": 7}):
            with self.assertRaises(ValueError, msg=knobs):
                self.world(**knobs)

    def test_region_garbage_in_both_places(self):
        import json
        metadata = self.world(imds_region="not a region").imds_metadata()
        self.assertEqual(metadata["meta-data/placement/region"], "not a region")
        document = json.loads(metadata["dynamic/instance-identity/document"])
        self.assertEqual(document["region"], "not a region")
        self.assertEqual(document["availabilityZone"], "eu-central-1a")
        self.assertEqual(self.world().imds_metadata()["meta-data/placement/region"],
                         "eu-central-1")

    def test_connlimit_rule(self):
        world = self.world(imds_connlimit=2)
        self.assertEqual(world.connlimit_rule(), "ip saddr 10.0.3.7 ip daddr 169.254.169.254 "
                         "tcp dport 80 ct state new ct count over 2 drop")

    def test_runs_go_one_after_another_when_imds_counts(self):
        self.assertFalse(scenario.sequential(scenario.load("healthy")))
        for name in ("imds_connlimit_2", "imds_throttled", "imds_throttled_transient"):
            self.assertTrue(scenario.sequential(scenario.load(name)), name)
        self.assertFalse(scenario.sequential({"world": {"imds_connlimit": 2},
                                              "run": {"sequential": False}}))

    def test_max_connections_check_can_fail(self):
        class Run:
            def __init__(self, kind, n):
                self.kind, self.imds_max_connections = kind, n
        s = {"expect": {"imds_max_connections": 2}}
        self.assertEqual(scenario.vpc_checks(s, [Run("json", 2), Run("text", 1)]), [])
        self.assertEqual(len(scenario.vpc_checks(s, [Run("json", 3), Run("text", None)])), 2)
        self.assertEqual(scenario.vpc_checks({}, [Run("json", 9)]), [])


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
