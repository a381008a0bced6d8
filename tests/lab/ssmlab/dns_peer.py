"""A scripted DNS responder on UDP and TCP, answering per name.

Each name maps to one behaviour:
  {"A": [...], "AAAA": [...]}   answer with these (an empty list is NODATA)
  {"CNAME": "target", ...}      answer with a CNAME, then the target's records
                                (as listed under the target's own name)
  {..., "truncate": True}       over UDP answer TC=1 with no records, so the
                                client must retry over TCP
  "nxdomain"                    the name does not exist
  "servfail" / "refused"        that rcode
  "nodata"                      the name exists, no address of any type
  "silent"                      read the query and never answer
  "malformed"                   a reply with the query's id and question that
                                claims three answers, followed by random bytes
  "truncated-hang"              TC=1 over UDP; over TCP the length prefix of a
                                64 KiB reply, a few bytes, then nothing
A record list longer than a UDP datagram should hold (hundreds of
addresses) is sent over UDP whole all the same: an oversized answer.
Names not listed get NXDOMAIN (as a resolver with a private zone would).
`silent=True` makes the whole server a black hole that still holds its port,
so no ICMP port-unreachable gives it away.
"""

import os
import socket
import struct
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

_RCODES = {"nxdomain": dns.rcode.NXDOMAIN, "servfail": dns.rcode.SERVFAIL,
           "refused": dns.rcode.REFUSED}


class ScriptedResolver:
    """Answers queries on address:port from `records` until stop()."""

    def __init__(self, address, port=53, records=None, silent=False, ttl=60):
        self.address, self.port = address, port
        self.records = {self._key(k): v for k, v in (records or {}).items()}
        self.silent = silent
        self.ttl = ttl
        self.queries = []  # (transport, name, type) in arrival order
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets = []

    @staticmethod
    def _key(name):
        return name.lower().rstrip(".") + "."

    def describe(self):
        mode = "silent" if self.silent else "%d names" % len(self.records)
        return "scripted DNS %s:%d (%s)" % (self.address, self.port, mode)

    def start(self):
        udp = socket.socket(socket.AF_INET6 if ":" in self.address else socket.AF_INET,
                            socket.SOCK_DGRAM)
        udp.bind((self.address, self.port))
        tcp = socket.socket(udp.family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((self.address, self.port))
        tcp.listen(16)
        self._sockets = [udp, tcp]
        for target, sock in ((self._serve_udp, udp), (self._serve_tcp, tcp)):
            threading.Thread(target=target, args=(sock,), daemon=True).start()
        return self

    def stop(self):
        self._stop.set()
        for sock in self._sockets:
            try:
                sock.close()
            except OSError:
                pass

    def _answer(self, wire, transport):
        """The response bytes for a query, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # garbage in: a real server drops it
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = question.name.to_text().lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((transport, name, rdtype))
        if self.silent:
            return None
        behaviour = self.records.get(name, "nxdomain")
        if behaviour == "silent":
            return None
        if behaviour == "malformed":
            # Header: same id, QR|RD|RA, one question, three answers; then
            # the question as asked, then garbage where the answers belong.
            question_end = 12 + len(question.name.to_wire()) + 4
            return wire[:2] + b"\x81\x80\x00\x01\x00\x03\x00\x00\x00\x00" + \
                wire[12:question_end] + os.urandom(48)
        if behaviour == "truncated-hang":
            if transport == "udp":
                response = dns.message.make_response(query)
                response.flags |= dns.flags.TC
                return response.to_wire()
            return _HANG
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA | dns.flags.RA
        if isinstance(behaviour, str) and behaviour in _RCODES:
            response.set_rcode(_RCODES[behaviour])
            if behaviour == "nxdomain":
                self._add_soa(response, question.name)
        elif behaviour != "nodata" and behaviour.get("truncate") and transport == "udp":
            response.flags |= dns.flags.TC
        else:
            owner, records = question.name, ({} if behaviour == "nodata" else behaviour)
            if records.get("CNAME"):
                target = dns.name.from_text(records["CNAME"])
                response.answer.append(dns.rrset.from_text(owner, self.ttl, "IN", "CNAME",
                                                           target.to_text()))
                owner = target
                records = self.records.get(target.to_text().lower(), {})
                records = records if isinstance(records, dict) else {}
            addresses = records.get(rdtype, [])
            if addresses:
                response.answer.append(
                    dns.rrset.from_text(owner, self.ttl, "IN", rdtype, *addresses))
            elif not response.answer:
                self._add_soa(response, question.name)  # NODATA carries the zone's SOA
        return response.to_wire()

    def _add_soa(self, response, qname):
        zone = qname.parent() if len(qname.labels) > 2 else qname
        response.authority.append(dns.rrset.from_text(
            zone, self.ttl, "IN", "SOA", "ns.lab.test. hostmaster.lab.test. 1 60 60 60 60"))

    def _serve_udp(self, sock):
        while not self._stop.is_set():
            try:
                wire, peer = sock.recvfrom(65535)
            except OSError:
                return
            reply = self._answer(wire, "udp")
            if reply is not None:
                try:
                    sock.sendto(reply, peer)
                except OSError:
                    pass

    def _serve_tcp(self, sock):
        while not self._stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True).start()

    def _tcp_conn(self, conn):
        with conn:
            conn.settimeout(10)
            try:
                while True:
                    header = _recv_exact(conn, 2)
                    if header is None:
                        return
                    wire = _recv_exact(conn, struct.unpack("!H", header)[0])
                    if wire is None:
                        return
                    reply = self._answer(wire, "tcp")
                    if reply is _HANG:
                        conn.sendall(struct.pack("!H", 65535) + wire[:2])
                        self._stop.wait()
                        return
                    if reply is None:
                        self._stop.wait()  # silent: hold the connection open
                        return
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return


_HANG = b"hang"  # a marker: start a reply over TCP, never finish it


def _recv_exact(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
