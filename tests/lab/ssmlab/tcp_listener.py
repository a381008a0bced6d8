"""The listening half every lab TCP server shares: bind address:port, accept
on a thread, hand each connection to the subclass's `_handle(conn, peer)` on
a thread of its own; `stop()` closes the listener. Subclasses call
`TcpListener.__init__(self, address, port)` first."""

import socket
import threading


class TcpListener:
    def __init__(self, address, port):
        self.address, self.port = address, port
        self._stop = threading.Event()
        self._listener = None

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
            # As servers that answer at once do (AWS's endpoints): with Nagle,
            # a TLS 1.3 server's second session ticket, and the HTTP answer
            # behind it, wait for the client's (delayed) ACK of the first: a
            # round trip and up to 40 ms more on every first answer.
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            threading.Thread(target=self._handle, args=(conn, peer), daemon=True).start()

    def _handle(self, conn, peer):
        raise NotImplementedError
