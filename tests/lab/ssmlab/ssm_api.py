"""A fake SSM API on the ssm endpoint peers: ssm:ListInstanceAssociations,
the call ssm-reach signs to prove that credentials, IAM and the endpoint
policy let the agent in.

The signature is verified independently of ssm-reach's signer: Signature
Version 4 written out here with hmac and hashlib from AWS's description
(canonical request, string to sign, derived key), tested against the public
SigV4 test-suite vectors (ssm_api_test.py). The service answers as AWS does:
HTTP 400 with an application/x-amz-json-1.1 body {"__type", "message"} for
every authentication error, and AWS's own wording.

Modes (world knob `ssm_api`), once the signature is valid:
  ok                    200 {"Associations": []}
  access-denied         400 AccessDeniedException: no identity-based policy allows it
  endpoint-policy-deny  400 AccessDeniedException: no VPC endpoint policy allows it
  expired-token         400 ExpiredTokenException
Whatever the mode: no or a malformed Authorization -> MissingAuthenticationToken
or IncompleteSignature; an unknown key or a wrong session token ->
UnrecognizedClientException; X-Amz-Date more than 5 minutes from the peer's
clock (which may be shifted, world knob `service_clock_offset_s`) ->
InvalidSignatureException "Signature expired" / "not yet current"; a
signature that does not match -> InvalidSignatureException.

Every call is described by a dict (see SsmApi.answer) that never holds a
secret: the key id, whether the signature was valid, the outcome.
"""

import calendar
import hashlib
import hmac
import json
import re
import time
import urllib.parse

SERVICE = "ssm"
TARGET = "AmazonSSM.ListInstanceAssociations"
ALGORITHM = "AWS4-HMAC-SHA256"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
MODES = ("ok", "access-denied", "endpoint-policy-deny", "expired-token")
# How far X-Amz-Date may be from the service's clock, either way.
MAX_SKEW_S = 300

_AMZ_DATE = re.compile(r"^\d{8}T\d{6}Z$")
_UNRESERVED = "-_.~"  # with letters and digits: never percent-encoded


class AuthError(Exception):
    """An authentication failure as AWS reports it: __type and message."""

    def __init__(self, error_type, message):
        super().__init__(message)
        self.error_type, self.message = error_type, message


# -- Signature Version 4, the verifier's side ---------------------------------
def _encode(text):
    return urllib.parse.quote(text, safe=_UNRESERVED)


def canonical_uri(path):
    """The path normalised (RFC 3986: no empty, '.' or '..' segments) and
    each segment URI-encoded once more: every service but S3 signs the path
    encoded twice, and `path` arrives encoded once, as sent."""
    segments = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(_encode(segment))
    uri = "/" + "/".join(segments)
    if path.endswith("/") and segments:
        uri += "/"
    return uri


def canonical_query(query):
    """Parameters decoded, re-encoded (RFC 3986 unreserved kept) and sorted
    by name, then value."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((_encode(urllib.parse.unquote(name)), _encode(urllib.parse.unquote(value))))
    return "&".join("%s=%s" % pair for pair in sorted(pairs))


def canonical_headers(headers, signed):
    """`name:value` lines of the signed headers: values of a repeated header
    joined with commas, spaces trimmed and runs of them collapsed."""
    lines = []
    for name in signed:
        values = [" ".join(v.split()) for n, v in headers if n.lower() == name]
        lines.append("%s:%s\n" % (name, ",".join(values)))
    return "".join(lines)


def canonical_request(method, path, query, headers, signed, body):
    """AWS's canonical request. `headers` is the list of (name, value) as
    received, `signed` the lower-case names the Authorization lists."""
    return "\n".join([method, canonical_uri(path), canonical_query(query),
                      canonical_headers(headers, signed), ";".join(signed),
                      hashlib.sha256(body).hexdigest()])


def string_to_sign(amz_date, scope, canonical):
    return "\n".join([ALGORITHM, amz_date, scope,
                      hashlib.sha256(canonical.encode()).hexdigest()])


def signing_key(secret_key, date, region, service):
    key = ("AWS4" + secret_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(secret_key, date, region, service, text):
    key = signing_key(secret_key, date, region, service)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def parse_authorization(value):
    """{"key_id", "date", "region", "service", "terminal", "signed", "signature"}
    from an Authorization header, or AuthError as AWS words it."""
    if not value:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AuthError("IncompleteSignatureException",
                        "Unsupported AWS 'algorithm': '%s'" % algorithm)
    fields = {}
    for item in rest.split(","):
        name, _, field = item.strip().partition("=")
        fields[name] = field
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not fields.get(name):
            raise AuthError("IncompleteSignatureException",
                            "Authorization header requires '%s' parameter. Authorization=%s"
                            % (name, _without_signature(value)))
    credential = fields["Credential"].split("/")
    if len(credential) != 5:
        raise AuthError("IncompleteSignatureException",
                        "Credential should have exactly 5 slash-delimited elements, e.g. "
                        "keyid/date/region/service/term, got '%s'" % fields["Credential"])
    key_id, date, region, service, terminal = credential
    return {"key_id": key_id, "date": date, "region": region, "service": service,
            "terminal": terminal, "signed": fields["SignedHeaders"].split(";"),
            "signature": fields["Signature"]}


def _without_signature(authorization):
    return re.sub(r"Signature=[0-9a-fA-F]*", "Signature=<hidden>", authorization)


def header(headers, name):
    """The first value of a header (names compare case-insensitively), or None."""
    return next((v for n, v in headers if n.lower() == name.lower()), None)


def amz_date_of(unix_seconds):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(unix_seconds))


def _unix_of(amz_date):
    return calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))


def check_clock(amz_date, now):
    """AuthError unless `amz_date` is within MAX_SKEW_S of `now` (unix
    seconds of the service's clock), in AWS's words."""
    skew = _unix_of(amz_date) - now
    if skew < -MAX_SKEW_S:
        raise AuthError("InvalidSignatureException",
                        "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                        % (amz_date, amz_date_of(now - MAX_SKEW_S), amz_date_of(now)))
    if skew > MAX_SKEW_S:
        raise AuthError("InvalidSignatureException",
                        "Signature not yet current: %s is still later than %s (%s + 5 min.)"
                        % (amz_date, amz_date_of(now + MAX_SKEW_S), amz_date_of(now)))


class Verdict:
    """What the verifier found; `error` is None when the request is authentic."""

    def __init__(self):
        self.key_id = None
        self.signature_valid = None  # None: not checked (no known key, malformed)
        self.error = None            # AuthError


def verify(method, path, query, headers, body, credentials, region, service, now):
    """Authenticate one request the way an AWS service does.

    `credentials` maps access key id -> (secret key, session token or "");
    `now` is the service's clock (unix seconds). The signature is checked
    whenever the key is known, even when the request fails for another
    reason first, so a test can tell a correct signer from a lucky one.
    """
    verdict = Verdict()
    try:
        auth = parse_authorization(header(headers, "Authorization"))
        verdict.key_id = auth["key_id"]
        amz_date = header(headers, "X-Amz-Date")
        if amz_date is None or not _AMZ_DATE.match(amz_date):
            raise AuthError("IncompleteSignatureException",
                            "Authorization header requires existence of either a 'X-Amz-Date' "
                            "or a 'Date' header.")
        known = credentials.get(auth["key_id"])
        if known is not None:
            scope = "/".join([auth["date"], auth["region"], auth["service"], auth["terminal"]])
            canonical = canonical_request(method, path, query, headers, auth["signed"], body)
            wanted = signature(known[0], auth["date"], auth["region"], auth["service"],
                               string_to_sign(amz_date, scope, canonical))
            verdict.signature_valid = hmac.compare_digest(wanted, auth["signature"].lower())
        if auth["terminal"] != "aws4_request":
            raise AuthError("InvalidSignatureException",
                            "Credential should be scoped with a valid terminator: "
                            "'aws4_request', not '%s'." % auth["terminal"])
        if auth["service"] != service:
            raise AuthError("InvalidSignatureException",
                            "Credential should be scoped to correct service: '%s'. " % service)
        if auth["region"] != region:
            raise AuthError("InvalidSignatureException",
                            "Credential should be scoped to a valid region. ")
        if auth["date"] != amz_date[:8]:
            raise AuthError("InvalidSignatureException",
                            "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                            "version of date from HTTP: '%s' != '%s', from '%s'."
                            % (auth["date"], amz_date[:8], amz_date))
        if "host" not in auth["signed"]:
            raise AuthError("InvalidSignatureException",
                            "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                            "Authorization.")
        check_clock(amz_date, now)
        if known is None:
            raise AuthError("UnrecognizedClientException",
                            "The security token included in the request is invalid.")
        token = header(headers, "X-Amz-Security-Token") or ""
        if not hmac.compare_digest(token.encode(), (known[1] or "").encode()):
            raise AuthError("UnrecognizedClientException",
                            "The security token included in the request is invalid.")
        if not verdict.signature_valid:
            raise AuthError("InvalidSignatureException",
                            "The request signature we calculated does not match the signature "
                            "you provided. Check your AWS Secret Access Key and signing method. "
                            "Consult the service documentation for details.")
    except AuthError as e:
        verdict.error = e
    return verdict


# -- the service ----------------------------------------------------------------
class SsmApi:
    """ssm:ListInstanceAssociations for one world: who may call, and what
    IAM says once the caller is authenticated."""

    def __init__(self, credentials, region, mode="ok", clock_offset_s=0, account="111122223333",
                 role="LabSsmRole", instance_id="i-0123456789abcdef0"):
        if mode not in MODES:
            raise ValueError("unknown ssm_api mode %r (one of %s)" % (mode, ", ".join(MODES)))
        self.credentials = dict(credentials)  # key id -> (secret key, session token)
        self.region, self.mode = region, mode
        self.clock_offset_s = clock_offset_s
        self.account, self.role, self.instance_id = account, role, instance_id

    def now(self):
        """The service's clock: this machine's, shifted by the world's offset."""
        return time.time() + self.clock_offset_s

    @staticmethod
    def handles(method, headers):
        return method == "POST" and header(headers, "X-Amz-Target") == TARGET

    def answer(self, method, path, query, headers, body):
        """(status, body bytes, event): the reply and a secret-free record."""
        verdict = verify(method, path, query, headers, body, self.credentials, self.region,
                         SERVICE, int(self.now()))
        event = {"call": TARGET, "key_id": verdict.key_id,
                 "signature_valid": verdict.signature_valid,
                 "x_amz_date": header(headers, "X-Amz-Date"),
                 "token_sent": header(headers, "X-Amz-Security-Token") is not None}
        if verdict.error:
            status, reply = 400, {"__type": verdict.error.error_type,
                                  "message": verdict.error.message}
        else:
            status, reply = self._authorised(body)
        event["status"] = status
        event["outcome"] = reply.get("__type", "ok")
        return status, json.dumps(reply, separators=(",", ":")).encode(), event

    def _authorised(self, body):
        """The answer to an authentic request, per the world's mode."""
        if self.mode == "expired-token":
            return 400, {"__type": "ExpiredTokenException",
                         "message": "The security token included in the request is expired"}
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return 400, {"__type": "SerializationException"}
        instance_id = request.get("InstanceId") if isinstance(request, dict) else None
        if not isinstance(instance_id, str):
            return 400, {"__type": "ValidationException",
                         "message": "1 validation error detected: Value null at 'instanceId' "
                                    "failed to satisfy constraint: Member must not be null"}
        if self.mode in ("access-denied", "endpoint-policy-deny"):
            why = ("no identity-based policy" if self.mode == "access-denied"
                   else "no VPC endpoint policy")
            return 400, {"__type": "AccessDeniedException",
                         "Message": "User: arn:aws:sts::%s:assumed-role/%s/%s is not authorized "
                                    "to perform: ssm:ListInstanceAssociations on resource: "
                                    "arn:aws:ec2:%s:%s:instance/%s because %s allows the "
                                    "ssm:ListInstanceAssociations action"
                                    % (self.account, self.role, self.instance_id, self.region,
                                       self.account, instance_id, why)}
        return 200, {"Associations": []}
