"""Self-test of the e2e checks: each must accept a good report and catch a
bad one, or the end-to-end suite could pass vacuously."""

import copy
import json
import unittest

import expect
from expect import AnyItem, Contains, NotContains, OneOf

GOOD = {
    "schema": "ssm-reach/v1", "status": "critical", "region": "eu-central-1",
    "elapsed_ms": 12, "context": {"vpc_cidrs": ["10.0.0.0/16"]},
    "targets": [
        {"service": "imds", "host": "169.254.169.254", "port": 80, "required": True,
         "status": "ok", "failed_layer": None, "cause": None, "explanation": "", "remedy": "",
         "addresses": [{"ip": "169.254.169.254", "class": "link-local",
                        "tcp": {"status": "ok", "ms": 0.2}, "tls": None}]},
        {"service": "ssm", "host": "ssm.eu-central-1.amazonaws.com", "port": 443,
         "required": True, "status": "ok", "failed_layer": None, "cause": None,
         "explanation": "", "remedy": "",
         "addresses": [{"ip": "10.0.1.10", "class": "vpc", "tcp": {"status": "ok", "ms": 0.3},
                        "tls": {"status": "ok", "version": "TLSv1.3"}}]},
        {"service": "ssmmessages", "host": "ssmmessages.eu-central-1.amazonaws.com",
         "port": 443, "required": True, "status": "critical", "failed_layer": "tcp",
         "cause": "tcp.timeout", "explanation": "TCP 443 timed out.", "remedy": "Allow 443.",
         "addresses": [{"ip": "172.31.8.11", "class": "private",
                        "tcp": {"status": "timeout", "ms": 1000.0}, "tls": None}]},
    ],
}


def target(doc, service):
    return next(t for t in doc["targets"] if t["service"] == service)


def imds(doc):
    return target(doc, "imds")


def ssm(doc):
    return target(doc, "ssm")


def ssmmessages(doc):
    return target(doc, "ssmmessages")


def broken(mutate):
    doc = copy.deepcopy(GOOD)
    mutate(doc)
    return doc


class ReportChecks(unittest.TestCase):
    def test_good_report_passes(self):
        self.assertEqual(expect.check_report(GOOD, 2), [])

    def test_each_defect_is_caught(self):
        defects = {
            "wrong schema": lambda d: d.update(schema="ssm-reach/v0"),
            "exit code": lambda d: d.update(status="warning"),
            "missing region": lambda d: d.pop("region"),
            "elapsed as string": lambda d: d.update(elapsed_ms="12"),
            "bad target status": lambda d: ssm(d).update(status="fine"),
            "cause outside layer": lambda d: ssmmessages(d).update(cause="dns.timeout"),
            "cause not layer.code": lambda d: ssmmessages(d).update(cause="timeout"),
            "critical without cause": lambda d: ssmmessages(d).update(cause=None),
            "ok with cause": lambda d: ssm(d).update(cause="tcp.timeout"),
            "empty explanation": lambda d: ssmmessages(d).update(explanation=""),
            "missing remedy": lambda d: ssmmessages(d).pop("remedy"),
            "port as string": lambda d: ssm(d).update(port="443"),
            "required missing": lambda d: ssm(d).pop("required"),
            "class vs VPC": lambda d: ssm(d)["addresses"][0].update({"class": "private"}),
            "public called private": lambda d: ssmmessages(d)["addresses"][0].update(
                ip="52.119.161.12"),
            "tls after failed tcp": lambda d: ssmmessages(d)["addresses"][0].update(
                tls={"status": "ok", "version": "TLSv1.3"}),
            "tcp missing": lambda d: ssm(d)["addresses"][0].pop("tcp"),
            "ok without working address": lambda d: ssm(d)["addresses"][0].update(
                tls={"status": "closed"}),
            "status milder than target": lambda d: d.update(status="ok"),
            "TLS on the plain HTTP target": lambda d: imds(d)["addresses"][0].update(
                tls={"status": "ok", "version": "TLSv1.3"}),
            "plain target ok without TCP": lambda d: imds(d)["addresses"][0].update(
                tcp={"status": "timeout", "ms": 1000}),
        }
        for name, mutate in defects.items():
            doc = broken(mutate)
            code = {"ok": 0, "warning": 1, "critical": 2}.get(doc.get("status"), 2)
            if name == "exit code":
                code = 2
            with self.subTest(name):
                self.assertNotEqual(expect.check_report(doc, code), [], name)

    def test_stdout_must_be_one_object(self):
        self.assertEqual(expect.check_json_stdout(json.dumps(GOOD) + "\n")[1], [])
        self.assertNotEqual(expect.check_json_stdout(json.dumps(GOOD) + "\nDone.\n")[1], [])
        self.assertNotEqual(expect.check_json_stdout("")[1], [])
        self.assertNotEqual(expect.check_json_stdout('{"elapsed_ms": NaN}')[1], [])
        self.assertNotEqual(expect.check_json_stdout("[1]")[1], [])


class TextChecks(unittest.TestCase):
    def test_rules(self):
        self.assertEqual(expect.check_text("ok line\n" + "x" * 80 + "\n"), [])
        self.assertNotEqual(expect.check_text("x" * 81), [])
        self.assertNotEqual(expect.check_text("caf\u00e9"), [])
        self.assertNotEqual(expect.check_text("\x1b[31mred\x1b[0m"), [])
        self.assertNotEqual(expect.check_text("tab\there"), [])
        self.assertNotEqual(expect.check_text("  \n"), [])


class Matching(unittest.TestCase):
    def test_subset_and_matchers(self):
        actual = ssmmessages(GOOD)
        self.assertEqual(expect.match({"status": "critical", "cause": OneOf("tcp.timeout")}, actual), [])
        self.assertNotEqual(expect.match({"cause": "tcp.refused"}, actual), [])
        self.assertNotEqual(expect.match({"failed_layer": None}, actual), [])
        self.assertEqual(expect.match({"explanation": Contains("tcp  443", "TIMED")}, actual), [])
        self.assertNotEqual(expect.match({"explanation": Contains("refused")}, actual), [])
        self.assertEqual(expect.match({"explanation": NotContains("refused")}, actual), [])
        self.assertNotEqual(expect.match({"explanation": NotContains("TIMED  out")}, actual), [])
        self.assertNotEqual(expect.match({"nonexistent": None}, actual), [])

    def test_addresses_by_ip_exact_set(self):
        actual = ssmmessages(GOOD)
        self.assertEqual(expect.match({"addresses": {"172.31.8.11": {"tls": None}}}, actual), [])
        self.assertNotEqual(expect.match({"addresses": {}}, actual), [])
        self.assertNotEqual(expect.match({"addresses": {"10.9.9.9": {}}}, actual), [])
        self.assertNotEqual(
            expect.match({"addresses": {"172.31.8.11": {"tcp": {"status": "ok"}}}}, actual), [])

    def test_any_item(self):
        notes = {"notes": ["IMDS answered slowly.", "SSM agent config: /etc/x.json: invalid JSON"]}
        self.assertEqual(expect.match({"notes": AnyItem(Contains("/etc/x.json"))}, notes), [])
        self.assertNotEqual(expect.match({"notes": AnyItem(Contains("/etc/y.json"))}, notes), [])
        self.assertNotEqual(expect.match({"notes": AnyItem(Contains("x"))}, {"notes": []}), [])
        self.assertNotEqual(expect.match({"notes": AnyItem(Contains("x"))}, {"notes": "x"}), [])

    def test_types_are_strict(self):
        self.assertNotEqual(expect.match({"port": "443"}, {"port": 443}), [])
        self.assertNotEqual(expect.match({"required": 1}, {"required": True}), [])
        self.assertEqual(expect.match({"ms": 1}, {"ms": 1.0}), [])


class ReplayChecks(unittest.TestCase):
    def test_same_report_but_elapsed(self):
        replayed = broken(lambda d: d.update(elapsed_ms=99999))
        self.assertEqual(expect.check_replay(GOOD, 2, replayed, 2), [])

    def test_each_difference_is_caught(self):
        differences = {
            "status": lambda d: d.update(status="warning"),
            "a cause": lambda d: ssmmessages(d).update(cause="tcp.refused"),
            "a number": lambda d: ssm(d)["addresses"][0]["tcp"].update(ms=0.4),
            "a bool for a number": lambda d: ssm(d).update(port=True),
            "a missing field": lambda d: ssm(d).pop("remedy"),
            "an extra field": lambda d: d.update(notes=["replayed"]),
            "a missing target": lambda d: d["targets"].pop(),
            "null for a string": lambda d: ssmmessages(d).update(explanation=None),
        }
        for name, mutate in differences.items():
            with self.subTest(name):
                self.assertNotEqual(expect.check_replay(GOOD, 2, broken(mutate), 2), [], name)

    def test_exit_codes_must_match(self):
        self.assertNotEqual(expect.check_replay(GOOD, 2, GOOD, 3), [])


class SecretScan(unittest.TestCase):
    TOKEN = "AQAEAexampleIMDStoken-0123456789"
    PASSWORD = "LabProxyPass-DO-NOT-PRINT"
    SECRETS = [("IMDS token", TOKEN), ("proxy password", PASSWORD),
               ("proxy Basic credentials", expect.proxy_basic_credentials("labuser", PASSWORD)),
               ("session token", "")]

    def test_clean_sources_pass(self):
        sources = {"json stdout": '{"proxy": "http://10.0.4.4:3128", "user": "labuser"}',
                   "text stderr": "", "evidence file": "{}"}
        self.assertEqual(expect.secret_leaks(sources, self.SECRETS), [])

    def test_every_spelling_is_found_and_named_by_kind(self):
        leaks = {
            "raw": "token %s here" % self.TOKEN,
            "in a URL": "http://labuser:%s@10.0.4.4:3128" % self.PASSWORD.replace("-", "%2D"),
            "percent-encoded": "p=" + "LabProxyPass%2DDO%2DNOT%2DPRINT",
            "header": "Proxy-Authorization: Basic "
                      + expect.proxy_basic_credentials("labuser", self.PASSWORD),
        }
        for name, text in leaks.items():
            with self.subTest(name):
                errors = expect.secret_leaks({"text stdout": text}, self.SECRETS)
                self.assertEqual(len(errors), 1, errors)
                self.assertIn("text stdout", errors[0])
                for _, value in self.SECRETS:
                    if value:
                        self.assertNotIn(value, errors[0])
        self.assertIn("IMDS token", expect.secret_leaks({"x": leaks["raw"]}, self.SECRETS)[0])
        self.assertIn("proxy Basic credentials",
                      expect.secret_leaks({"x": leaks["header"]}, self.SECRETS)[0])

    def test_json_escaped(self):
        secret = [("AWS secret access key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\\x")]
        text = json.dumps({"k": secret[0][1]})
        self.assertEqual(len(expect.secret_leaks({"evidence file": text}, secret)), 1)
        slash_escaped = text.replace("/", "\\/")  # JSON writers may escape '/'
        self.assertEqual(len(expect.secret_leaks({"evidence file": slash_escaped}, secret)), 1)

    def test_short_or_empty_values_are_ignored(self):
        self.assertEqual(expect.named_secrets({"session token": ["", "short"]}), [])
        self.assertEqual(expect.secret_leaks({"x": "anything"}, self.SECRETS[3:]), [])

    def test_named_secrets_shapes(self):
        self.assertEqual(expect.named_secrets(["long-secret-1"]), [("lab secret", "long-secret-1")])
        self.assertEqual(expect.named_secrets([("AWS secret access key", "long-secret-2")]),
                         [("AWS secret access key", "long-secret-2")])
        self.assertEqual(expect.named_secrets({"session token": ["long-secret-3"]}),
                         [("session token", "long-secret-3")])
        self.assertEqual(expect.named_secrets([]), [])

    def test_redact(self):
        text = "a %s b %s" % (self.TOKEN, self.PASSWORD)
        self.assertEqual(expect.redact(text, self.SECRETS[:2]), "a <IMDS token> b <proxy password>")


class SanitizerReports(unittest.TestCase):
    """run_scenario.check_sanitizers: what ASan, LSan, UBSan and valgrind
    print on an error fails a run; a clean run and a clean valgrind log do not."""

    class Run:
        def __init__(self, stderr):
            self.kind, self.stderr = "json", stderr

    REPORTS = {
        "asan": "==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020",
        "lsan": "==12==ERROR: LeakSanitizer: detected memory leaks",
        "ubsan": "probe/x.cc:10:5: runtime error: signed integer overflow",
        "valgrind": "==12== Invalid read of size 4",
    }

    def test_each_report_is_caught(self):
        import tempfile
        import run_scenario
        with tempfile.TemporaryDirectory() as empty:
            self.assertEqual(run_scenario.check_sanitizers([self.Run("")], empty), [])
            for name, text in self.REPORTS.items():
                with self.subTest(name):
                    errors = run_scenario.check_sanitizers([self.Run("x\n" + text)], empty)
                    self.assertEqual(len(errors), 1)

    def test_valgrind_logs(self):
        import os
        import tempfile
        import run_scenario
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "valgrind.7.log")
            with open(log, "w") as f:
                f.write("==7== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n")
            self.assertEqual(run_scenario.check_sanitizers([], folder), [])
            for bad in ("==7== ERROR SUMMARY: 2 errors from 1 contexts\n",
                        "==7==    definitely lost: 16 bytes in 1 blocks\n", ""):
                with open(log, "w") as f:
                    f.write(bad)
                self.assertEqual(len(run_scenario.check_sanitizers([], folder)), 1, bad)


class Timing(unittest.TestCase):
    """"Ends by its deadline" is judged on the run's own elapsed_ms, tightly;
    the wall clock is only a hang guard. Both must still trip."""

    def report(self, elapsed_ms, deadline_s=3.0):
        doc = copy.deepcopy(GOOD)
        doc["elapsed_ms"] = elapsed_ms
        doc["context"]["deadline_s"] = deadline_s
        return doc

    def test_within_the_deadline_passes(self):
        # The loaded ASan run of issue 13: 3131 ms for a 3 s budget.
        self.assertEqual(expect.check_elapsed(self.report(3131), deadline_s=3.0), [])
        self.assertEqual(expect.check_elapsed(self.report(3500), deadline_s=3.0), [])

    def test_an_overrun_trips(self):
        for elapsed in (3501, 6100):  # 6.1 s: hostile_deadline_everything without a deadline
            with self.subTest(elapsed):
                errors = expect.check_elapsed(self.report(elapsed), deadline_s=3.0)
                self.assertEqual(len(errors), 1)
                self.assertIn("past the deadline", errors[0])

    def test_the_report_must_carry_the_given_deadline(self):
        self.assertEqual(len(expect.check_elapsed(self.report(100, 20.0), deadline_s=3.0)), 1)
        doc = self.report(100)
        del doc["context"]["deadline_s"]
        self.assertEqual(len(expect.check_elapsed(doc, deadline_s=3.0)), 1)

    def test_every_report_is_held_to_its_own_deadline(self):
        self.assertEqual(expect.check_elapsed(self.report(20400, 20.0)), [])
        self.assertEqual(len(expect.check_elapsed(self.report(20600, 20.0))), 1)

    def test_boot_wait_comes_before_the_deadline(self):
        # boot_deadline: --boot-wait 1, --deadline 2
        self.assertEqual(expect.check_elapsed(self.report(3400, 2.0), 2.0, wait_s=1.0), [])
        self.assertEqual(len(expect.check_elapsed(self.report(3600, 2.0), 2.0, wait_s=1.0)), 1)

    def test_max_seconds(self):
        self.assertEqual(expect.check_elapsed(self.report(1900, 20.0), max_seconds=2.0), [])
        errors = expect.check_elapsed(self.report(2001, 20.0), max_seconds=2.0)
        self.assertEqual(len(errors), 1)
        self.assertIn("max_seconds", errors[0])
        # a slow wrapper (--time-factor) stretches max_seconds, not the deadline
        self.assertEqual(expect.check_elapsed(self.report(2001, 20.0), max_seconds=2.0,
                                              factor=10), [])
        self.assertEqual(len(expect.check_elapsed(self.report(8001, 3.0), 3.0, factor=10)), 1)
        # an instrumented build's slack is for max_seconds, never the deadline
        self.assertEqual(expect.check_elapsed(self.report(2900, 20.0), max_seconds=2.0,
                                              slack_s=1.0), [])
        self.assertEqual(len(expect.check_elapsed(self.report(3001, 20.0), max_seconds=2.0,
                                                  slack_s=1.0)), 1)
        self.assertEqual(len(expect.check_elapsed(self.report(3600, 3.0), 3.0, slack_s=1.0)), 1)

    def test_no_elapsed_no_pass(self):
        for doc in (broken(lambda d: d.pop("elapsed_ms")), broken(lambda d: d.update(
                elapsed_ms="12")), None):
            self.assertEqual(len(expect.check_elapsed(doc, deadline_s=3.0)), 1)

    def test_wall_guard_has_room_but_ends(self):
        self.assertEqual(expect.wall_guard_s(3.5), 10.0)
        self.assertEqual(expect.wall_guard_s(3.5, slack_s=5.0), 15.0)
        self.assertEqual(expect.wall_guard_s(3.5, factor=10), 100.0)


class RunnerTiming(unittest.TestCase):
    """run_scenario: the JSON run's elapsed_ms is checked against the
    scenario's deadline; the wall clock of any run only against a hang guard,
    which the kill limit never undercuts."""

    class Run:
        def __init__(self, seconds, timed_out=False):
            self.seconds, self.timed_out, self.limit_s = seconds, timed_out, 20.0
            self.returncode = None if timed_out else 2
            self.stdout = self.stderr = ""
            self.max_rss_kib = 1024

    def setUp(self):
        import run_scenario
        import scenarios
        self.rs, self.table = run_scenario, scenarios.by_name()
        self.saved = (run_scenario.TIME_FACTOR, run_scenario.SLACK_S)

    def tearDown(self):
        self.rs.TIME_FACTOR, self.rs.SLACK_S = self.saved

    def timing_errors(self, errors):
        return [e for e in errors if "elapsed_ms" in e or "wall time" in e or "killed" in e]

    def test_deadline_judged_on_elapsed_ms(self):
        s = self.table["hostile_deadline_everything"]
        for elapsed, failures in ((3131, 0), (3499, 0), (3600, 1), (6100, 1)):
            doc = self.Doc(elapsed, 3.0)
            _, errors = self.rs.check_json_run(s, doc)
            with self.subTest(elapsed):
                self.assertEqual(len(self.timing_errors(errors)), failures, errors)

    def test_boot_deadline(self):
        s = self.table["boot_deadline"]
        self.assertEqual(self.rs.boot_wait_s(s), 1.0)
        for elapsed, failures in ((3400, 0), (3600, 1)):
            _, errors = self.rs.check_json_run(s, self.Doc(elapsed, 2.0))
            self.assertEqual(len(self.timing_errors(errors)), failures, errors)

    def test_max_seconds_judged_on_elapsed_ms(self):
        s = self.table["dns_silence"]
        self.assertEqual(s["max_seconds"], 2.0)
        for elapsed, failures in ((1100, 0), (2100, 1)):
            _, errors = self.rs.check_json_run(s, self.Doc(elapsed, 7.0))
            self.assertEqual(len(self.timing_errors(errors)), failures, errors)

    def Doc(self, elapsed_ms, deadline_s):
        import run_scenario
        doc = copy.deepcopy(GOOD)
        doc["elapsed_ms"], doc["context"]["deadline_s"] = elapsed_ms, deadline_s
        return run_scenario._Doc(json.dumps(doc), 2)

    def test_wall_clock_is_a_hang_guard(self):
        s = self.table["hostile_deadline_everything"]  # limit 3.5 s
        for slack, seconds, failures in ((0.0, 5.47, 0), (0.0, 10.5, 1), (5.0, 14.0, 0),
                                         (5.0, 15.5, 1)):
            self.rs.SLACK_S = slack
            errors = self.rs.check_common(s, self.Run(seconds), "json")
            with self.subTest(slack=slack, seconds=seconds):
                self.assertEqual(len(self.timing_errors(errors)), failures, errors)
        errors = self.rs.check_common(s, self.Run(20.0, timed_out=True), "json")
        self.assertEqual(len(self.timing_errors(errors)), 1, errors)

    def test_kill_limit_never_undercuts_the_guard(self):
        import expect as e
        for slack in (0.0, 5.0):
            self.rs.SLACK_S = slack
            for name, s in self.table.items():
                limit = self.rs.timing_limit_s(s)
                if limit:
                    self.assertGreaterEqual(self.rs.kill_limit_s(s),
                                            e.wall_guard_s(limit, 1.0, slack), name)


if __name__ == "__main__":
    unittest.main()
