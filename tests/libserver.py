"""What the test servers share: tests/server.py (the recording servers) and
tests/dnsserver.py (the DNS server), as tests/libtest.sh is what the areas
share.  Stdlib only.

A server makes its sockets, hands serve_until_stopped() its loops (each in
a thread of its own: accept_forever, recv_forever) and its Log; that says
it is ready and runs until SIGTERM or SIGINT.
"""

import os
import signal
import socket
import sys
import threading
import time

PROG = os.path.basename(sys.argv[0])  # "server.py": its messages say who


def spawn(target, *args):
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def make_socket(family, stype, host, port):
    s = socket.socket(family, stype)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if stype == socket.SOCK_STREAM:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    return s


def write_ready(path):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write("ready\n")
    os.rename(tmp, path)


class Log:
    """A file of lines that threads append to, each flushed at once."""

    def __init__(self, path, encoding):
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding=encoding, newline="\n")

    def line(self, text):
        with self.lock:
            self.f.write(text + "\n")
            self.f.flush()

    def flush(self):
        with self.lock:
            try:
                self.f.flush()
            except (OSError, ValueError):
                pass


def accept_forever(lsock, handler, *args):
    """handler(conn, *args) in a thread of its own for each connection."""
    while True:
        try:
            conn, _ = lsock.accept()
        except InterruptedError:
            continue
        except OSError as e:
            print("%s: accept: %s" % (PROG, e), file=sys.stderr)
            time.sleep(0.1)
            continue
        spawn(handler, conn, *args)


def recv_forever(sock, handler, *args):
    """handler(data, peer, *args) for each datagram.  (A ConnectionError is
    an ICMP error for a datagram sent earlier: nothing to receive.)"""
    while True:
        try:
            data, peer = sock.recvfrom(65536)
        except (InterruptedError, ConnectionError):
            continue
        except OSError as e:
            print("%s: recvfrom: %s" % (PROG, e), file=sys.stderr)
            time.sleep(0.1)
            continue
        handler(data, peer, *args)


def serve_until_stopped(ready, loops, log):
    """Start each (function, args...) of loops in a thread of its own, write
    "ready" to the file ready, and run until SIGTERM or SIGINT; then flush
    log and exit 0."""
    # SIGTERM and SIGINT end the server.  They are blocked here, before any
    # thread starts, so in every thread, and taken by this thread alone
    # (sigwait): a handler would run only if the kernel chose this thread
    # for the signal, and the main thread would otherwise sleep on through a
    # SIGTERM that another thread took.
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    for fn, *args in loops:
        spawn(fn, *args)
    write_ready(ready)
    signal.sigwait(stop)
    log.flush()
    os._exit(0)
