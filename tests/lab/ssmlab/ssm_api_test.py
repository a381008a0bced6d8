"""The fake SSM API's verifier against AWS's public Signature Version 4 test
suite (aws-sig-v4-test-suite: get-vanilla, post-vanilla, ...), then its
answers for every mode and failure. Run: python3 -m unittest ssmlab.ssm_api_test
(from tests/lab; ctest e2e.ssm_api)."""

import calendar
import json
import time
import unittest

from ssmlab import ssm_api

# The suite's shared context.
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
AMZ_DATE = "20150830T123600Z"
SUITE_NOW = calendar.timegm((2015, 8, 30, 12, 36, 0))
REGION, SERVICE = "us-east-1", "service"
SCOPE = "20150830/us-east-1/service/aws4_request"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# post-sts-header-before's session token.
SUITE_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfI"
    "eoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0"
    "wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDry"
    "pNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==")

BASE_HEADERS = [("Host", "example.amazonaws.com"), ("X-Amz-Date", AMZ_DATE)]

# name: (method, path, query, extra headers, signed headers, signature)
SUITE = {
    "get-vanilla": ("GET", "/", "", [], "host;x-amz-date",
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    "post-vanilla": ("POST", "/", "", [], "host;x-amz-date",
                     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    "get-vanilla-query-order-key-case": (
        "GET", "/", "Param2=value2&Param1=value1", [], "host;x-amz-date",
        "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    "get-header-value-trim": (
        "GET", "/", "", [("My-Header1", " value1"), ("My-Header2", '"a   b   c"')],
        "host;my-header1;my-header2;x-amz-date",
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    "post-header-value-case": (
        "POST", "/", "", [("My-Header1", "VALUE1")], "host;my-header1;x-amz-date",
        "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    "post-sts-header-before": (
        "POST", "/", "", [("X-Amz-Security-Token", SUITE_TOKEN)],
        "host;x-amz-date;x-amz-security-token",
        "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
}


def authorization(signed, sig, key_id=KEY_ID, scope=SCOPE):
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ssm_api.ALGORITHM, key_id, scope, signed, sig)


def suite_request(name):
    method, path, query, extra, signed, sig = SUITE[name]
    headers = BASE_HEADERS + extra + [("Authorization", authorization(signed, sig))]
    return method, path, query, headers, b""


class TestSuiteVectors(unittest.TestCase):
    def test_post_vanilla_steps(self):
        canonical = ssm_api.canonical_request("POST", "/", "", BASE_HEADERS,
                                              ["host", "x-amz-date"], b"")
        self.assertEqual(canonical, "POST\n/\n\nhost:example.amazonaws.com\n"
                                    "x-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                         + EMPTY_SHA256)
        sts = ssm_api.string_to_sign(AMZ_DATE, SCOPE, canonical)
        self.assertEqual(sts, "AWS4-HMAC-SHA256\n20150830T123600Z\n" + SCOPE + "\n"
                         "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87")
        self.assertEqual(ssm_api.signature(SECRET, "20150830", REGION, SERVICE, sts),
                         SUITE["post-vanilla"][5])

    def test_every_vector_verifies(self):
        credentials = {KEY_ID: (SECRET, SUITE_TOKEN)}
        for name in SUITE:
            with self.subTest(name):
                method, path, query, headers, body = suite_request(name)
                if "x-amz-security-token" not in SUITE[name][4]:
                    headers = headers + [("X-Amz-Security-Token", SUITE_TOKEN)]  # unsigned
                verdict = ssm_api.verify(method, path, query, headers, body, credentials,
                                         REGION, SERVICE, SUITE_NOW)
                self.assertIsNone(verdict.error, verdict.error and verdict.error.message)
                self.assertTrue(verdict.signature_valid)
                self.assertEqual(verdict.key_id, KEY_ID)

    def test_canonical_pieces(self):
        self.assertEqual(ssm_api.canonical_uri("/"), "/")
        self.assertEqual(ssm_api.canonical_uri("//example//"), "/example/")
        self.assertEqual(ssm_api.canonical_uri("/example/.././a%20b"), "/a%2520b")
        self.assertEqual(ssm_api.canonical_query("b=2&a=x y&a=1"), "a=1&a=x%20y&b=2")
        self.assertEqual(ssm_api.canonical_headers([("A", " x  y "), ("a", "z")], ["a"]),
                         "a:x y,z\n")


class VerifierFailures(unittest.TestCase):
    def verify(self, name="post-vanilla", now=SUITE_NOW, credentials=None, edit=None):
        method, path, query, headers, body = suite_request(name)
        if edit:
            method, path, query, headers, body = edit(method, path, query, headers, body)
        creds = credentials if credentials is not None else {KEY_ID: (SECRET, "")}
        return ssm_api.verify(method, path, query, headers, body, creds, REGION, SERVICE, now)

    def assertError(self, verdict, error_type, message):
        self.assertIsNotNone(verdict.error)
        self.assertEqual(verdict.error.error_type, error_type)
        self.assertEqual(verdict.error.message, message)

    def test_wrong_secret(self):
        verdict = self.verify(credentials={KEY_ID: ("not-the-secret", "")})
        self.assertFalse(verdict.signature_valid)
        self.assertError(verdict, "InvalidSignatureException",
                         "The request signature we calculated does not match the signature you "
                         "provided. Check your AWS Secret Access Key and signing method. Consult "
                         "the service documentation for details.")

    def test_tampered_body_and_header(self):
        verdict = self.verify(edit=lambda m, p, q, h, b: (m, p, q, h, b"{}"))
        self.assertFalse(verdict.signature_valid)
        verdict = self.verify(edit=lambda m, p, q, h, b: (
            m, p, q, [(n, "other.example.com" if n == "Host" else v) for n, v in h], b))
        self.assertFalse(verdict.signature_valid)

    def test_unknown_key(self):
        verdict = self.verify(credentials={"AKIDOTHER": (SECRET, "")})
        self.assertIsNone(verdict.signature_valid)
        self.assertError(verdict, "UnrecognizedClientException",
                         "The security token included in the request is invalid.")

    def test_session_token_must_match(self):
        verdict = self.verify(credentials={KEY_ID: (SECRET, "expected-token")})
        self.assertTrue(verdict.signature_valid)
        self.assertError(verdict, "UnrecognizedClientException",
                         "The security token included in the request is invalid.")
        verdict = self.verify("post-sts-header-before",
                              credentials={KEY_ID: (SECRET, SUITE_TOKEN + "x")})
        self.assertEqual(verdict.error.error_type, "UnrecognizedClientException")

    def test_clock_both_ways_in_aws_words(self):
        self.assertIsNone(self.verify(now=SUITE_NOW + 300).error)
        self.assertIsNone(self.verify(now=SUITE_NOW - 300).error)
        verdict = self.verify(now=SUITE_NOW + 360)
        self.assertTrue(verdict.signature_valid)
        self.assertError(verdict, "InvalidSignatureException",
                         "Signature expired: 20150830T123600Z is now earlier than "
                         "20150830T123700Z (20150830T124200Z - 5 min.)")
        self.assertError(self.verify(now=SUITE_NOW - 360), "InvalidSignatureException",
                         "Signature not yet current: 20150830T123600Z is still later than "
                         "20150830T123500Z (20150830T123000Z + 5 min.)")

    def test_missing_and_malformed_authorization(self):
        def without_auth(m, p, q, h, b):
            return m, p, q, [(n, v) for n, v in h if n != "Authorization"], b

        self.assertError(self.verify(edit=without_auth), "MissingAuthenticationTokenException",
                         "Missing Authentication Token")

        def truncated(m, p, q, h, b):
            return m, p, q, [(n, v.split(", Signature")[0] if n == "Authorization" else v)
                             for n, v in h], b

        self.assertEqual(self.verify(edit=truncated).error.error_type,
                         "IncompleteSignatureException")

    def test_scope(self):
        def scoped(scope):
            def edit(m, p, q, h, b):
                sig = SUITE["post-vanilla"][5]
                return m, p, q, [(n, authorization("host;x-amz-date", sig, scope=scope)
                                  if n == "Authorization" else v) for n, v in h], b
            return edit

        self.assertIn("correct service", self.verify(
            edit=scoped("20150830/us-east-1/ssm/aws4_request")).error.message)
        self.assertIn("valid region", self.verify(
            edit=scoped("20150830/eu-central-1/service/aws4_request")).error.message)
        self.assertIn("Date in Credential scope", self.verify(
            edit=scoped("20150831/us-east-1/service/aws4_request")).error.message)


def signed_call(api, key_id, secret, token, amz_date=None, body=None,
                host="ssm.eu-central-1.amazonaws.com"):
    """A ListInstanceAssociations request signed with this module's signer."""
    body = body if body is not None else b'{"InstanceId":"i-0123456789abcdef0"}'
    amz_date = amz_date or ssm_api.amz_date_of(time.time())
    headers = [("Host", host), ("Content-Type", ssm_api.JSON_CONTENT_TYPE),
               ("X-Amz-Target", ssm_api.TARGET), ("X-Amz-Date", amz_date)]
    if token:
        headers.append(("X-Amz-Security-Token", token))
    signed = sorted(n.lower() for n, _ in headers)
    scope = "%s/%s/ssm/aws4_request" % (amz_date[:8], api.region)
    canonical = ssm_api.canonical_request("POST", "/", "", headers, signed, body)
    sig = ssm_api.signature(secret, amz_date[:8], api.region, "ssm",
                            ssm_api.string_to_sign(amz_date, scope, canonical))
    headers.append(("Authorization", authorization(";".join(signed), sig, key_id, scope)))
    return api.answer("POST", "/", "", headers, body)


class Service(unittest.TestCase):
    KEY, SECRET, TOKEN = "ASIALABEXAMPLE", "lab-secret", "lab-session-token"

    def api(self, mode="ok", offset=0):
        return ssm_api.SsmApi({self.KEY: (self.SECRET, self.TOKEN)}, "eu-central-1", mode,
                              clock_offset_s=offset)

    def call(self, api, **kw):
        status, body, event = signed_call(api, kw.pop("key_id", self.KEY),
                                          kw.pop("secret", self.SECRET),
                                          kw.pop("token", self.TOKEN), **kw)
        text = body.decode()
        for secret in (self.SECRET, self.TOKEN):
            self.assertNotIn(secret, text + json.dumps(event))
        return status, json.loads(body), event

    def test_modes(self):
        status, body, event = self.call(self.api())
        self.assertEqual((status, body), (200, {"Associations": []}))
        self.assertEqual(event["outcome"], "ok")
        self.assertTrue(event["signature_valid"])
        self.assertEqual(event["key_id"], self.KEY)

        status, body, _ = self.call(self.api("access-denied"))
        self.assertEqual((status, body["__type"]), (400, "AccessDeniedException"))
        self.assertEqual(body["Message"],
                         "User: arn:aws:sts::111122223333:assumed-role/LabSsmRole/"
                         "i-0123456789abcdef0 is not authorized to perform: "
                         "ssm:ListInstanceAssociations on resource: arn:aws:ec2:eu-central-1:"
                         "111122223333:instance/i-0123456789abcdef0 because no identity-based "
                         "policy allows the ssm:ListInstanceAssociations action")
        _, body, _ = self.call(self.api("endpoint-policy-deny"))
        self.assertIn("because no VPC endpoint policy allows", body["Message"])
        status, body, event = self.call(self.api("expired-token"))
        self.assertEqual((status, body), (400, {
            "__type": "ExpiredTokenException",
            "message": "The security token included in the request is expired"}))
        self.assertEqual(event["outcome"], "ExpiredTokenException")

    def test_authentication_beats_mode(self):
        status, body, event = self.call(self.api("access-denied"), secret="wrong")
        self.assertEqual((status, body["__type"]), (400, "InvalidSignatureException"))
        self.assertFalse(event["signature_valid"])
        _, body, event = self.call(self.api(), key_id="AKIAUNKNOWN")
        self.assertEqual(body["__type"], "UnrecognizedClientException")
        self.assertIsNone(event["signature_valid"])

    def test_service_clock_offset(self):
        status, body, event = self.call(self.api(offset=600))
        self.assertEqual(status, 400)
        self.assertTrue(body["message"].startswith("Signature expired: "), body)
        self.assertTrue(event["signature_valid"])
        self.assertEqual(self.call(self.api(offset=-200))[0], 200)

    def test_body_is_validated_after_authentication(self):
        status, body, _ = self.call(self.api(), body=b"{}")
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))

    def test_unknown_mode(self):
        with self.assertRaises(ValueError):
            self.api("nope")


if __name__ == "__main__":
    unittest.main()
