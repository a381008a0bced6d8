"""TCP peers standing in for endpoint ENIs, one listening socket each.

Behaviours per connection:
  tls     TLS 1.2+ handshake with a chosen certificate chain (OpenSSL via
          Python's ssl), then a small HTTP reply like an AWS endpoint's
  http    a plain HTTP server: reads anything, answers 400 Bad Request
  close   accepts and closes at once
  reset   reads the ClientHello, then resets the connection (RST), like a
          firewall that blocks by SNI
  silent  accepts and never sends a byte
With legacy=True a TLS peer speaks only TLS 1.0 and 1.1 (an old middlebox).
Every connection is recorded (`events`), including the SNI a TLS client sent.
"""

import socket
import ssl
import struct
import threading
import warnings

_AWS_BODY = b'{"__type":"UnknownOperationException"}'
_AWS_LIKE_REPLY = (
    b"HTTP/1.1 404 Not Found\r\n"
    b"Content-Type: application/x-amz-json-1.1\r\n"
    b"Content-Length: %d\r\n"
    b"Connection: close\r\n\r\n" % len(_AWS_BODY)
) + _AWS_BODY
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)
BEHAVIOURS = ("tls", "http", "close", "reset", "silent")


class StreamPeer:
    """Listens on address:port and treats every connection per `behaviour`."""

    def __init__(self, address, port, behaviour, certfile=None, keyfile=None, label="",
                 legacy=False):
        if behaviour not in BEHAVIOURS:
            raise ValueError("unknown peer behaviour %r" % behaviour)
        self.address, self.port, self.behaviour = address, port, behaviour
        self.label = label
        self.events = []  # dicts: {"peer", "sni", "outcome", ...}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = None
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
        with self._lock:
            self.events.append(event)

    def start(self):
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.address, self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        if self._listener:
            try:
                self._listener.close()
            except OSError:
                pass

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, peer = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn, peer), daemon=True).start()

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
        conn.settimeout(10)
        self._sni.name = None
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            # A client that rejects the certificate aborts the handshake.
            self._record(client=client, sni=self._sni.name, outcome="handshake failed: %s" % e)
            conn.close()
            return
        self._record(client=client, sni=self._sni.name, outcome="handshake ok",
                     version=tls.version())
        try:
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                request += chunk
            if request:
                tls.sendall(_AWS_LIKE_REPLY)
        except (ssl.SSLError, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass
