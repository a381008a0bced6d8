"""Hostile peers: servers that try to make ssm-reach hang or grow.

Each listens on address:port until stop() and treats every connection per
its behaviour; none of them ever ends a connection on its own, so only the
client's own limits (per step, --deadline) and its caps (header and body
sizes) end the run. What a peer sent is counted per connection in `events`.

Behaviours:
  slowloris        TCP, then one byte of a TLS record per second: the
                   handshake never completes, but the peer is never silent
  endless-headers  TLS (valid certificate), reads the request, answers
                   "200 OK" and then header lines, forever
  huge-header      TLS, one header line of 8 MiB
  infinite-body    TLS, "200 OK" without a length, then body bytes forever
  redirect-loop    TLS, 301 to the same URL, every time
  proxy-garbage    plain TCP: accepts any CONNECT with 200, then sends random
                   bytes instead of the server's TLS, forever
"""

import os
import ssl
import threading
import time

from .tcp_listener import TcpListener
from .tls_peer import READ_TIMEOUT_S, BadRequest, read_request

BEHAVIOURS = ("slowloris", "endless-headers", "huge-header", "infinite-body", "redirect-loop",
              "proxy-garbage")
TLS_BEHAVIOURS = ("endless-headers", "huge-header", "infinite-body", "redirect-loop")
HUGE_HEADER_BYTES = 8 * 1024 * 1024
# Writes stop after this much per connection anyway (100 MiB): a client that
# kept reading would still end, and the lab's memory with it.
MAX_SENT_BYTES = 100 * 1024 * 1024


class HostilePeer(TcpListener):
    """One hostile server on address:port."""

    def __init__(self, address, port, behaviour, certfile=None, keyfile=None, label=""):
        if behaviour not in BEHAVIOURS:
            raise ValueError("unknown hostile behaviour %r" % behaviour)
        TcpListener.__init__(self, address, port)
        self.behaviour, self.label = behaviour, label
        self.events = []  # per connection: client, sent bytes, how it ended
        self._lock = threading.Lock()
        self._context = None
        if behaviour in TLS_BEHAVIOURS:
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.minimum_version = ssl.TLSVersion.TLSv1_2
            self._context.load_cert_chain(certfile, keyfile)

    def describe(self):
        return "%s:%d hostile %s %s" % (self.address, self.port, self.behaviour, self.label)

    def api_calls(self):
        return []  # never an SSM API

    def _handle(self, conn, peer):
        event = {"client": "%s:%d" % peer[:2], "sent": 0, "outcome": "open"}
        with self._lock:
            self.events.append(event)
        conn.settimeout(READ_TIMEOUT_S)
        stream = conn
        try:
            if self.behaviour == "slowloris":
                conn.recv(4096)  # the ClientHello
                self._trickle(conn, event, b"\x16\x03\x03\x40\x00\x02\x00\x3f\xfc\x03\x03" * 400)
            elif self.behaviour == "proxy-garbage":
                self._read_head(conn)
                self._send(conn, event, b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._flood(conn, event, lambda: os.urandom(4096), pause=0.01)
            else:
                stream = self._context.wrap_socket(conn, server_side=True)
                rfile = stream.makefile("rb")
                try:
                    request = read_request(rfile)
                except BadRequest:
                    request = None
                self._serve_http(stream, rfile, event, request)
            event["outcome"] = "stopped"
        except (OSError, ssl.SSLError) as e:
            # The client gave up (reset, closed): what a hostile peer wants to see.
            event["outcome"] = "client left: %s" % type(e).__name__
        finally:
            try:
                stream.close()
            except OSError:
                pass

    @staticmethod
    def _host(request):
        for name, value in (request[2] if request else []):
            if name.lower() == "host":
                return value
        return "localhost"

    def _serve_http(self, stream, rfile, event, request):
        if self.behaviour == "endless-headers":
            self._send(stream, event, b"HTTP/1.1 200 OK\r\n")
            counter = iter(range(1 << 62))
            self._flood(stream, event, lambda: b"".join(
                b"X-Hostile-%d: %s\r\n" % (next(counter), b"h" * 80) for _ in range(40)),
                pause=0.002)
        elif self.behaviour == "huge-header":
            self._send(stream, event, b"HTTP/1.1 200 OK\r\nX-Huge: ")
            chunk = b"a" * 65536
            for _ in range(HUGE_HEADER_BYTES // len(chunk)):
                self._send(stream, event, chunk)
            self._send(stream, event, b"\r\nContent-Length: 0\r\n\r\n")
            self._stop.wait()
        elif self.behaviour == "infinite-body":
            self._send(stream, event, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                      b"Connection: close\r\n\r\n")
            self._flood(stream, event, lambda: b"b" * 65536, pause=0.001)
        elif self.behaviour == "redirect-loop":
            # Every request, also the next ones on a kept-alive connection
            # (as a server stuck in a redirect loop does), until the client
            # leaves or the peer stops.
            while request is not None and not self._stop.is_set():
                self._send(stream, event, b"HTTP/1.1 301 Moved Permanently\r\nLocation: "
                                          b"https://%s/\r\nContent-Length: 0\r\n\r\n"
                           % self._host(request).encode("latin-1"))
                try:
                    request = read_request(rfile)
                except BadRequest:
                    request = None

    @staticmethod
    def _read_head(conn):
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                raise ConnectionResetError("closed before the request ended")
            data += chunk

    def _send(self, stream, event, data):
        stream.sendall(data)
        event["sent"] += len(data)

    def _flood(self, stream, event, make, pause):
        while not self._stop.is_set() and event["sent"] < MAX_SENT_BYTES:
            self._send(stream, event, make())
            time.sleep(pause)

    def _trickle(self, stream, event, data):
        for i in range(len(data)):
            if self._stop.wait(1.0):
                return
            self._send(stream, event, data[i:i + 1])
