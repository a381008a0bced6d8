"""A fake EC2 instance metadata service (IMDSv2) on http://169.254.169.254.

Modes:
  v2             IMDSv2 required: PUT /latest/api/token (with the TTL header)
                 issues a token; a GET without a valid token gets 401
  v1             IMDSv1 allowed: GETs answer with or without a token
  token-blocked  the token PUT never gets an answer (hop limit 1 from a
                 container, or a firewall); GETs without a token still answer
  token-blocked-v2  the same, but IMDSv2 is required: GETs without a token get 401
  hang-after-token  IMDSv2 issues tokens, then never answers a GET (hostile)
  stream         every answer, the token's too, is 200 with a 100 MB body that
                 is streamed until the client leaves (hostile)
`metadata` maps paths below /latest/ to values; directories are listed the
way IMDS lists them. Every request is recorded; issued tokens are kept so a
test can check that none of them leaked into any output.
"""

import http.server
import secrets
import socket
import socketserver
import threading

TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MODES = ("v2", "v1", "token-blocked", "token-blocked-v2", "hang-after-token", "stream")
STREAM_BYTES = 100 * 1000 * 1000


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs when two probes open a
    # dozen connections at once; the client then waits 1 s to retransmit.
    request_queue_size = 128

    def server_bind(self):
        # HTTPServer.server_bind() asks DNS for its own name (getfqdn): that
        # would query the lab's resolver, which may be a silent one.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class _Server6(_Server):
    address_family = socket.AF_INET6


class FakeImds:
    """IMDS on address:port until stop()."""

    def __init__(self, address, port=80, mode="v2", metadata=None):
        if mode not in MODES:
            raise ValueError("unknown IMDS mode %r" % mode)
        self.address, self.port, self.mode = address, port, mode
        self.metadata = dict(metadata or {})
        self.requests = []  # dicts: method, path, token ("valid"/"invalid"/None), status
        self.tokens = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = None

    def describe(self):
        return "IMDS %s:%d mode %s (%d paths)" % (self.address, self.port, self.mode,
                                                  len(self.metadata))

    def start(self):
        imds = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "EC2ws"
            # The headers and the body leave in two writes; with Nagle the
            # body waits for the client's ACK of the headers, one round trip
            # per answer that the real IMDS does not cost (tests/bench).
            disable_nagle_algorithm = True
            sys_version = ""

            def log_message(self, format, *args):  # recorded in imds.requests instead
                pass

            def do_PUT(self):
                imds._put(self)

            def do_GET(self):
                imds._get(self)

        server_class = _Server6 if ":" in self.address else _Server
        self._server = server_class((self.address, self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _record(self, handler, status, token_state=None):
        with self._lock:
            self.requests.append({"method": handler.command, "path": handler.path,
                                  "token": token_state, "status": status,
                                  "ttl": handler.headers.get(TTL_HEADER)})

    def _reply(self, handler, status, body=b"", headers=()):
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        try:
            handler.wfile.write(body)
        except OSError:  # a client that stops reading a huge answer closes on us
            handler.close_connection = True

    def _put(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        if handler.path != "/latest/api/token":
            self._record(handler, 404)
            return self._reply(handler, 404)
        if self.mode == "stream":
            return self._stream(handler)
        if self.mode.startswith("token-blocked"):
            self._record(handler, None)
            self._stop.wait()  # never answer, like a dropped response
            return
        ttl = handler.headers.get(TTL_HEADER)
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            self._record(handler, 400)
            return self._reply(handler, 400)
        token = "AQAEA" + secrets.token_urlsafe(40)
        with self._lock:
            self.tokens.append(token)
        self._record(handler, 200)
        self._reply(handler, 200, token.encode(), [(TTL_HEADER, ttl)])

    def _stream(self, handler):
        """200 with a 100 MB body, sent until the client stops reading."""
        self._record(handler, 200)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(STREAM_BYTES))
        handler.end_headers()
        chunk, sent = b"s" * 65536, 0
        try:
            while sent < STREAM_BYTES and not self._stop.is_set():
                handler.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        handler.close_connection = True

    def _get(self, handler):
        if self.mode == "stream":
            return self._stream(handler)
        if self.mode == "hang-after-token":
            self._record(handler, None)
            self._stop.wait()  # the token was issued; nothing more ever comes
            return
        token = handler.headers.get(TOKEN_HEADER)
        with self._lock:
            state = None if token is None else ("valid" if token in self.tokens else "invalid")
        if state == "invalid" or (state is None and self.mode in ("v2", "token-blocked-v2")):
            self._record(handler, 401, state)
            return self._reply(handler, 401)
        if not handler.path.startswith("/latest/"):
            self._record(handler, 404, state)
            return self._reply(handler, 404)
        body = self.lookup(handler.path[len("/latest/"):])
        status = 200 if body is not None else 404
        self._record(handler, status, state)
        self._reply(handler, status, (body or "").encode())

    def lookup(self, path):
        """A value, a directory listing ("a\\nb/"), or None for 404."""
        if path in self.metadata:
            return self.metadata[path]
        prefix = path if path.endswith("/") or path == "" else path + "/"
        children = set()
        for key in self.metadata:
            if key.startswith(prefix):
                rest = key[len(prefix):]
                children.add(rest.split("/")[0] + ("/" if "/" in rest else ""))
        return "\n".join(sorted(children)) if children else None
