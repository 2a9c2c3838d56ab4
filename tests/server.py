#!/usr/bin/env python3
"""Recording loopback server for netpin tests (stdlib only).

usage: server.py --out FILE --ready FILE [--reply] SPEC...

SPEC is KIND:HOST:PORT where KIND is one of
  tcp, udp      record every connection / datagram
  tcp6, udp6    same (HOST is an IPv6 literal, brackets optional: [::1])
  hang          TCP listener with a full accept queue that never accepts,
                so further connects hang (SYNs are dropped)
  http          minimal HTTP/1.0 server: records the request line and
                answers "HTTP/1.0 200 OK" with body "ok\\n"
Any kind accepts an IPv4 or IPv6 literal; the family follows the address.

Each event appends one line to --out (flushed immediately):
  tcp HOST:PORT <data>           data received until EOF (latin-1, "\\n" -> "\\\\n")
  udp HOST:PORT <data>           one line per datagram
  http HOST:PORT <request line>
HOST:PORT is the server's own listening address as given in SPEC (IPv6 as
[::1]:PORT); empty data still yields the line (ending in a space).

--reply: TCP connections get "hello\\n" written right after accept.

When every socket is listening, "ready\\n" is written to --ready (atomic:
temp file + rename). Runs until SIGTERM/SIGINT, then exits 0.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

TCP_READ_TIMEOUT = 60.0  # record what we have if a client never sends EOF
LISTEN_BACKLOG = 4096  # capped by net.core.somaxconn; clients can be fast
HTTP_BODY = b"ok\n"
HTTP_RESPONSE = (b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n"
                 % len(HTTP_BODY)) + HTTP_BODY


class Recorder:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.f = open(path, "a", encoding="latin-1", newline="\n")

    def record(self, kind, label, data):
        text = data.decode("latin-1").replace("\n", "\\n")
        with self.lock:
            self.f.write("%s %s %s\n" % (kind, label, text))
            self.f.flush()

    def flush(self):
        with self.lock:
            try:
                self.f.flush()
            except (OSError, ValueError):
                pass


def parse_spec(spec):
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in ("tcp", "udp", "tcp6", "udp6", "hang", "http"):
        raise ValueError("bad spec %r" % spec)
    host, sep, port = rest.rpartition(":")
    if not sep or not host:
        raise ValueError("bad spec %r" % spec)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    port = int(port)
    if not 0 <= port <= 65535:
        raise ValueError("bad port in %r" % spec)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        socket.inet_pton(family, host)  # numeric literals only
    except OSError:
        raise ValueError("bad address (numeric IPv4/IPv6 only) in %r" % spec)
    if family == socket.AF_INET6:
        label = "[%s]:%d" % (host, port)
    else:
        label = "%s:%d" % (host, port)
    if kind in ("tcp6", "udp6") and family != socket.AF_INET6:
        raise ValueError("%s needs an IPv6 address: %r" % (kind, spec))
    base = kind.rstrip("6")
    return base, family, host, port, label


def make_socket(family, stype, host, port):
    s = socket.socket(family, stype)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if stype == socket.SOCK_STREAM:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    return s


def label_for(s, family, host):
    """Label with the actually bound port (matters only for port 0)."""
    port = s.getsockname()[1]
    if family == socket.AF_INET6:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def spawn(target, *args):
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def read_until_eof(conn):
    chunks = []
    deadline = time.monotonic() + TCP_READ_TIMEOUT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        conn.settimeout(left)
        try:
            b = conn.recv(65536)
        except (socket.timeout, ConnectionError, OSError):
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def serve_tcp_conn(conn, rec, label, reply):
    try:
        if reply:
            try:
                conn.sendall(b"hello\n")
            except OSError:
                pass
        data = read_until_eof(conn)
        rec.record("tcp", label, data)
    finally:
        conn.close()


def serve_http_conn(conn, rec, label):
    try:
        buf = b""
        conn.settimeout(30)
        try:
            while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
                b = conn.recv(65536)
                if not b:
                    break
                buf += b
                if len(buf) > 1 << 20:
                    break
        except (socket.timeout, OSError):
            pass
        line = buf.split(b"\n", 1)[0].rstrip(b"\r")
        rec.record("http", label, line)
        try:
            conn.sendall(HTTP_RESPONSE)
            conn.shutdown(socket.SHUT_WR)
            # drain briefly so close() does not turn into a RST
            conn.settimeout(2)
            while conn.recv(65536):
                pass
        except (socket.timeout, OSError):
            pass
    finally:
        conn.close()


def accept_loop(lsock, handler, *args):
    while True:
        try:
            conn, _ = lsock.accept()
        except InterruptedError:
            continue
        except OSError as e:
            print("server.py: accept: %s" % e, file=sys.stderr)
            time.sleep(0.1)
            continue
        spawn(handler, conn, *args)


def udp_loop(s, rec, label):
    while True:
        try:
            data, _ = s.recvfrom(65536)
        except InterruptedError:
            continue
        except OSError as e:
            print("server.py: recvfrom: %s" % e, file=sys.stderr)
            time.sleep(0.1)
            continue
        rec.record("udp", label, data)


def setup_hang(family, host, port, keep):
    """Listener with backlog 0 whose accept queue we fill ourselves."""
    s = make_socket(family, socket.SOCK_STREAM, host, port)
    s.listen(0)
    bound = s.getsockname()
    # One established-but-never-accepted connection fills a backlog-0
    # queue; further SYNs are dropped so clients' connect() hangs.
    c = socket.socket(family, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(bound)
    keep.extend([s, c])
    return s


def write_ready(path):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write("ready\n")
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="recording loopback server")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--reply", action="store_true")
    ap.add_argument("specs", nargs="+", metavar="SPEC")
    args = ap.parse_args()

    try:
        specs = [parse_spec(s) for s in args.specs]
    except (ValueError, OSError) as e:
        ap.error(str(e))

    rec = Recorder(args.out)
    # SIGTERM and SIGINT end the server.  They are blocked here, so in every
    # thread started below too, and taken by this thread alone (sigwait): a
    # handler would run only if the kernel chose this thread for the signal,
    # and the main thread would otherwise sleep on through a SIGTERM that
    # another thread took.
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)

    keep = []  # keep sockets alive
    starters = []
    for kind, family, host, port, label in specs:
        try:
            if kind == "udp":
                s = make_socket(family, socket.SOCK_DGRAM, host, port)
                starters.append((udp_loop, s, rec, label_for(s, family, host)))
            elif kind in ("tcp", "http"):
                s = make_socket(family, socket.SOCK_STREAM, host, port)
                s.listen(LISTEN_BACKLOG)
                lab = label_for(s, family, host)
                if kind == "tcp":
                    starters.append((accept_loop, s, serve_tcp_conn, rec, lab,
                                     args.reply))
                else:
                    starters.append((accept_loop, s, serve_http_conn, rec, lab))
            else:  # hang
                setup_hang(family, host, port, keep)
                continue
            keep.append(s)
        except OSError as e:
            print("server.py: %s: %s" % (label, e), file=sys.stderr)
            sys.exit(1)

    for fn, *a in starters:
        spawn(fn, *a)

    write_ready(args.ready)

    signal.sigwait(stop)
    rec.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
