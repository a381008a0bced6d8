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

Besides the mode (v2, v1, token-blocked, token-blocked-v2):
  throttle   {"status": 429 | 503, "after": N}: every request after the
             first N gets that status (persistent throttling), or
             {"status": ..., "every": K}: every K-th request does (transient
             throttling, which retries get past: the next request for a path
             that was just throttled is answered whatever its number, so two
             connections taking turns cannot throttle one request again and
             again). Requests are numbered in
             the order they arrive, PUTs and GETs alike, from 1 (and again
             from 1 after reset_counters()); a throttled answer has an empty
             body, keeps the connection open and is recorded in `requests`
             with its status and "throttled": True.
  delays     {path below /latest/: seconds}: that path is answered only after
             so long (e.g. the role's credentials after 0.7 s); a throttled
             request is answered at once. stop() ends every wait.
Connections: `max_connections` is the most client connections open at once
(since start or reset_counters()), `connections` how many were accepted;
each request records the serial number of its connection ("conn"), so
keep-alive shows as several requests on one connection. A connection counts
as open from its accept until the client sends its FIN (the server socket's
TCP state leaves ESTABLISHED), not until this server gets round to closing
its side, so a client that closes one connection and opens the next is not
counted twice.
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
THROTTLE_STATUSES = (429, 503)
_TCP_ESTABLISHED = 1  # tcpi_state, the first byte of struct tcp_info


def check_throttle(throttle):
    """The throttle knob, validated (None: no throttling)."""
    if throttle is None:
        return None
    if not isinstance(throttle, dict) or set(throttle) - {"status", "after", "every"} \
            or throttle.get("status", 429) not in THROTTLE_STATUSES \
            or len(set(throttle) & {"after", "every"}) != 1:
        raise ValueError("IMDS throttle %r: {status: 429 | 503, and after: N or every: K}"
                         % (throttle,))
    out = {"status": throttle.get("status", 429)}
    for key, least in (("after", 0), ("every", 1)):
        if key in throttle:
            if not isinstance(throttle[key], int) or throttle[key] < least:
                raise ValueError("IMDS throttle %s must be an integer >= %d" % (key, least))
            out[key] = throttle[key]
    return out


def check_delays(delays):
    """The delays knob, validated: {path below /latest/: seconds}."""
    out = {}
    for path, seconds in (delays or {}).items():
        if path.startswith("/") or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ValueError("IMDS delay %r: %r: a path below /latest/ (no leading /) and "
                             "seconds >= 0" % (path, seconds))
        out[path] = float(seconds)
    return out


def _client_open(sock):
    """Whether the client has not closed this accepted connection yet."""
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] == _TCP_ESTABLISHED
    except OSError:
        return False


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops SYNs when two probes open a
    # dozen connections at once; the client then waits 1 s to retransmit.
    request_queue_size = 128

    imds = None  # the FakeImds, for connection tracking

    def server_bind(self):
        # HTTPServer.server_bind() asks DNS for its own name (getfqdn): that
        # would query the lab's resolver, which may be a silent one.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        self.imds._opened(request)  # on the accepting thread, before the handler runs
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.imds._closed(request)
        super().shutdown_request(request)


class _Server6(_Server):
    address_family = socket.AF_INET6


class FakeImds:
    """IMDS on address:port until stop()."""

    def __init__(self, address, port=80, mode="v2", metadata=None, throttle=None, delays=None):
        if mode not in MODES:
            raise ValueError("unknown IMDS mode %r" % mode)
        self.address, self.port, self.mode = address, port, mode
        self.metadata = dict(metadata or {})
        self.throttle = check_throttle(throttle)
        self.delays = check_delays(delays)
        # dicts: method, path, token ("valid"/"invalid"/None), status, ttl,
        # conn (the connection's serial), throttled (only when True)
        self.requests = []
        self.tokens = []
        self.max_connections = 0  # most client connections open at once
        self.connections = 0      # connections accepted
        self._numbered = 0        # requests since start or reset_counters()
        self._retried = set()     # (method, path) just throttled (throttle "every")
        self._open = {}           # accepted socket -> serial, until the server closes it
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = None

    def describe(self):
        extra = ""
        if self.throttle:
            extra += ", %d %s" % (self.throttle["status"],
                                  "after %d requests" % self.throttle["after"]
                                  if "after" in self.throttle
                                  else "to one request in every %d" % self.throttle["every"])
        extra += "".join(", %s after %g s" % d for d in sorted(self.delays.items()))
        return "IMDS %s:%d mode %s (%d paths%s)" % (self.address, self.port, self.mode,
                                                    len(self.metadata), extra)

    def reset_counters(self):
        """Start counting afresh (one ssm-reach run after another): request
        numbers for throttling from 1, max_connections from the connections
        the client still holds. `requests` keeps growing."""
        with self._lock:
            self._numbered = 0
            self._retried.clear()
            self.max_connections = sum(1 for sock in self._open if _client_open(sock))

    def _opened(self, sock):
        with self._lock:
            self.connections += 1
            self._open[sock] = self.connections
            now = max(1, sum(1 for s in self._open if _client_open(s)))
            self.max_connections = max(self.max_connections, now)

    def _closed(self, sock):
        with self._lock:
            self._open.pop(sock, None)

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
        self._server.imds = self
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _record(self, handler, status, token_state=None, throttled=False):
        with self._lock:
            entry = {"method": handler.command, "path": handler.path,
                     "token": token_state, "status": status,
                     "ttl": handler.headers.get(TTL_HEADER),
                     "conn": self._open.get(handler.connection)}
            if throttled:
                entry["throttled"] = True
            self.requests.append(entry)

    def _throttled(self, handler):
        """Number this request; answer it with the throttle status if its
        number says so (True: answered)."""
        t = self.throttle
        key = (handler.command, handler.path)
        with self._lock:
            self._numbered += 1
            n = self._numbered
            if t and "every" in t and key in self._retried:
                self._retried.discard(key)  # a retry of a throttled request
                return False
            if not t or not (n > t["after"] if "after" in t else n % t["every"] == 0):
                return False
            self._retried.add(key)
        self._record(handler, t["status"], self._token_state(handler), throttled=True)
        self._reply(handler, t["status"])
        return True

    def _token_state(self, handler):
        """"valid", "invalid", or None (no token header)."""
        token = handler.headers.get(TOKEN_HEADER)
        with self._lock:
            return None if token is None else ("valid" if token in self.tokens else "invalid")

    def _delay(self, handler):
        """Wait as long as `delays` says for this path (stop() ends it)."""
        path = handler.path[len("/latest/"):] if handler.path.startswith("/latest/") else None
        if path in self.delays:
            self._stop.wait(self.delays[path])

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
        if self._throttled(handler):
            return
        self._delay(handler)
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
        if self._throttled(handler):
            return
        self._delay(handler)
        if self.mode == "stream":
            return self._stream(handler)
        if self.mode == "hang-after-token":
            self._record(handler, None)
            self._stop.wait()  # the token was issued; nothing more ever comes
            return
        state = self._token_state(handler)
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
