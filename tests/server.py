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
import socket
import sys
import time

from libserver import (Log, accept_forever, make_socket, recv_forever,
                       serve_until_stopped)

TCP_READ_TIMEOUT = 60.0  # record what we have if a client never sends EOF
LISTEN_BACKLOG = 4096  # capped by net.core.somaxconn; clients can be fast
HTTP_BODY = b"ok\n"
HTTP_RESPONSE = (b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n"
                 % len(HTTP_BODY)) + HTTP_BODY


class Recorder(Log):
    def __init__(self, path):
        super().__init__(path, "latin-1")

    def record(self, kind, label, data):
        text = data.decode("latin-1").replace("\n", "\\n")
        self.line("%s %s %s" % (kind, label, text))


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


def label_for(s, family, host):
    """Label with the actually bound port (matters only for port 0)."""
    port = s.getsockname()[1]
    if family == socket.AF_INET6:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


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


def record_datagram(data, _peer, rec, label):
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
    keep = []  # keep sockets alive
    loops = []
    for kind, family, host, port, label in specs:
        try:
            if kind == "udp":
                s = make_socket(family, socket.SOCK_DGRAM, host, port)
                loops.append((recv_forever, s, record_datagram, rec,
                              label_for(s, family, host)))
            elif kind in ("tcp", "http"):
                s = make_socket(family, socket.SOCK_STREAM, host, port)
                s.listen(LISTEN_BACKLOG)
                lab = label_for(s, family, host)
                if kind == "tcp":
                    loops.append((accept_forever, s, serve_tcp_conn, rec, lab,
                                  args.reply))
                else:
                    loops.append((accept_forever, s, serve_http_conn, rec, lab))
            else:  # hang
                setup_hang(family, host, port, keep)
                continue
            keep.append(s)
        except OSError as e:
            print("server.py: %s: %s" % (label, e), file=sys.stderr)
            sys.exit(1)

    serve_until_stopped(args.ready, loops, rec)


if __name__ == "__main__":
    main()
