"""TCP peers standing in for endpoint ENIs, one listening socket each.

Behaviours per connection:
  tls     TLS 1.2+ handshake with a chosen certificate chain (OpenSSL via
          Python's ssl), then HTTP/1.1 as an AWS endpoint answers it: every
          reply carries Date (the service's clock, which a world may shift),
          x-amzn-RequestId and Content-Length, and the connection stays open
          for the next request (keep-alive, as AWS endpoints do) unless the
          client asked for Connection: close. With an
          `api` (ssm_api.SsmApi, on the ssm endpoint) a signed
          ListInstanceAssociations POST is verified and answered; anything
          else gets 404 UnknownOperationException
  http    a plain HTTP server: reads anything, answers 400 Bad Request
  close   accepts and closes at once
  reset   reads the ClientHello, then resets the connection (RST), like a
          firewall that blocks by SNI
  silent  accepts and never sends a byte
With legacy=True a TLS peer speaks only TLS 1.0 and 1.1 (an old middlebox);
with mute=True it completes the handshake and then never answers.
Every connection is recorded (`events`), including the SNI a TLS client sent,
and for TLS the HTTP request (method, path, Host, X-Amz-Target, status) and
any API call's verdict (never a header value that could be a secret); a
further request on a kept-alive connection is an event of its own (outcome
"keep-alive request").
"""

import email.utils
import http.client
import socket
import ssl
import struct
import threading
import time
import uuid
import warnings

from . import ssm_api
from .tcp_listener import TcpListener

_NOT_FOUND_BODY = b'{"__type":"UnknownOperationException"}'
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)
BEHAVIOURS = ("tls", "http", "close", "reset", "silent")
# Limits on what a client may send: one request line, the headers, a body.
MAX_LINE = 8192
MAX_BODY = 1 << 20
# How long a client may take for each read of its request.
READ_TIMEOUT_S = 10
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required",
            413: "Payload Too Large", 431: "Request Header Fields Too Large"}


class BadRequest(Exception):
    """A request this peer cannot read; `status` says how AWS would refuse it."""

    def __init__(self, status, why):
        super().__init__(why)
        self.status = status


def read_request(rfile, on_continue=None):
    """(method, target, headers [(name, value)], body bytes) from a
    buffered socket file; BadRequest for anything malformed or too big,
    None when the client left without sending a request line (a TLS probe
    that only handshakes). Socket errors after that propagate."""
    try:
        line = rfile.readline(MAX_LINE + 1)
    except OSError:  # ssl.SSLError included: closed without close_notify, reset
        return None
    if not line:
        return None
    if len(line) > MAX_LINE:
        raise BadRequest(431, "request line too long")
    parts = line.decode("latin-1").rstrip("\r\n").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "malformed request line %r" % line[:80])
    method, target, _ = parts
    try:
        message = http.client.parse_headers(rfile)
    except (http.client.HTTPException, ValueError) as e:
        raise BadRequest(431, "headers: %s" % type(e).__name__)
    headers = list(message.items())
    if message.get("Transfer-Encoding"):
        raise BadRequest(411, "chunked bodies are not read")
    length = message.get("Content-Length", "0").strip()
    if not length.isdigit():
        raise BadRequest(400, "bad Content-Length %r" % length[:20])
    if int(length) > MAX_BODY:
        raise BadRequest(413, "body of %s bytes" % length)
    if int(length) and (message.get("Expect") or "").lower() == "100-continue" and on_continue:
        on_continue()
    body = rfile.read(int(length)) if int(length) else b""
    if len(body) != int(length):
        raise BadRequest(400, "body ended after %d of %s bytes" % (len(body), length))
    return method, target, headers, body


def http_reply(status, body, clock_offset_s=0, content_type=ssm_api.JSON_CONTENT_TYPE,
               request_id=None, close=True):
    """An AWS-like HTTP/1.1 response: Date on the service's clock, a request
    id; `close`: the connection ends after it (else it is kept alive, and
    HTTP/1.1 needs no header to say so)."""
    head = ["HTTP/1.1 %d %s" % (status, _REASONS.get(status, "Error")),
            "x-amzn-RequestId: %s" % (request_id or uuid.uuid4()),
            "Date: %s" % email.utils.formatdate(time.time() + clock_offset_s, usegmt=True),
            "Content-Type: %s" % content_type,
            "Content-Length: %d" % len(body)]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class StreamPeer(TcpListener):
    """Listens on address:port and treats every connection per `behaviour`."""

    def __init__(self, address, port, behaviour, certfile=None, keyfile=None, label="",
                 legacy=False, clock_offset_s=0, api=None, mute=False):
        if behaviour not in BEHAVIOURS:
            raise ValueError("unknown peer behaviour %r" % behaviour)
        TcpListener.__init__(self, address, port)
        self.behaviour = behaviour
        self.label = label
        self.mute = mute
        self.clock_offset_s = clock_offset_s  # the service's clock minus this machine's
        self.api = api  # ssm_api.SsmApi answering signed calls, or None
        self.events = []  # dicts: {"peer", "sni", "outcome", ...}
        self._lock = threading.Lock()
        self._context = None
        if behaviour == "tls":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            if legacy:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    context.set_ciphers("DEFAULT:@SECLEVEL=0")
                    context.minimum_version = ssl.TLSVersion.TLSv1
                    context.maximum_version = ssl.TLSVersion.TLSv1_1
            else:
                context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(certfile, keyfile)
            context.sni_callback = self._record_sni
            self._context = context
        self._sni = threading.local()

    def describe(self):
        return "%s:%d %s %s" % (self.address, self.port, self.behaviour, self.label)

    def _record_sni(self, ssl_socket, server_name, context):
        self._sni.name = server_name
        return None

    def _record(self, **event):
        """Append one event; return it, so the connection can add to it later."""
        with self._lock:
            self.events.append(event)
        return event

    def _handle(self, conn, peer):
        client = "%s:%d" % peer[:2]
        try:
            if self.behaviour == "close":
                self._record(client=client, outcome="closed")
                conn.close()
            elif self.behaviour == "reset":
                # After the first bytes, so the client surely saw TCP connect.
                conn.settimeout(10)
                first = conn.recv(4096)
                self._record(client=client, outcome="reset", first_bytes=first[:8].hex())
                # SO_LINGER with a zero timeout: close() sends RST, not FIN.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            elif self.behaviour == "silent":
                self._record(client=client, outcome="held silent")
                self._stop.wait()
                conn.close()
            elif self.behaviour == "http":
                conn.settimeout(10)
                first = conn.recv(4096)
                self._record(client=client, outcome="answered 400",
                             first_bytes=first[:8].hex())
                conn.sendall(_BAD_REQUEST)
                conn.close()
            else:
                self._serve_tls(conn, client)
        except OSError as e:
            self._record(client=client, outcome="error: %s" % e)
            conn.close()

    def _serve_tls(self, conn, client):
        conn.settimeout(READ_TIMEOUT_S)
        self._sni.name = None
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            # A client that rejects the certificate aborts the handshake.
            self._record(client=client, sni=self._sni.name, outcome="handshake failed: %s" % e)
            conn.close()
            return
        event = self._record(client=client, sni=self._sni.name, outcome="handshake ok",
                             version=tls.version())
        if self.mute:
            self._stop.wait()
            tls.close()
            return
        try:
            rfile = tls.makefile("rb")
            served = 0
            while True:
                try:
                    request = read_request(
                        rfile, lambda: tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"))
                except BadRequest as e:
                    self._note_http(event, {"error": str(e), "status": e.status})
                    tls.sendall(http_reply(e.status, b"", self.clock_offset_s))
                    return
                if request is None:
                    return
                if served:  # a further request on this connection: an event of its own
                    event = self._record(client=client, sni=event.get("sni"),
                                         outcome="keep-alive request", version=tls.version())
                served += 1
                close = (ssm_api.header(request[2], "Connection") or "").lower() == "close"
                tls.sendall(self._answer(event, *request, close=close))
                if close or self._stop.is_set():
                    return
        except (ssl.SSLError, OSError) as e:
            self._note_http(event, {"error": "%s: %s" % (type(e).__name__, e)})
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def _note_http(self, event, http):
        with self._lock:
            event["http"] = http

    def _answer(self, event, method, target, headers, body, close=True):
        """The reply bytes for one request; the event learns what was asked."""
        path, _, query = target.partition("?")
        http = {"method": method, "path": path, "host": ssm_api.header(headers, "Host"),
                "target": ssm_api.header(headers, "X-Amz-Target"), "body_bytes": len(body)}
        request_id = str(uuid.uuid4())
        if self.api is not None and self.api.handles(method, headers):
            status, reply, http["api"] = self.api.answer(method, path, query, headers, body)
        else:
            status, reply = 404, _NOT_FOUND_BODY
        http.update(status=status, request_id=request_id)
        self._note_http(event, http)
        return http_reply(status, reply, self.clock_offset_s, request_id=request_id, close=close)

    def api_calls(self):
        """The verdict of every signed API call this peer answered."""
        with self._lock:
            return [e["http"]["api"] for e in self.events if "api" in e.get("http", {})]
