#!/usr/bin/env python3
"""httpsrv — the http-diff area's Python server: http.server, kept alive.

    httpsrv.py ADDR PORT LOG

Python's http.server (BaseHTTPRequestHandler, HTTP/1.1, connections kept
alive, requests read one after another as they are pipelined), with the
body read as a lenient hand-written server reads it: chunked when
Transfer-Encoding mentions chunked (every line ended at LF, the size what
int(..., 16) makes of what comes before a ';'), else Content-Length as
int() reads it.  Every request it parsed, any method, is logged to LOG
before its body is read, one line:

    200 TAB HOST TAB - TAB METHOD TAB TARGET

(the Host header as the handler sees it, "-" when there is none; bytes
outside printable ASCII, '"' and '\\' written \\xHH, as nginx logs), and
answered 200 "ok".
"""
import http.server
import socketserver
import sys
import threading

lock = threading.Lock()


def esc(v):
    """A field as nginx's access log writes it."""
    if v is None:
        return "-"
    b = v.encode("latin-1", "replace") if isinstance(v, str) else v
    return "".join(chr(c) if 0x20 <= c <= 0x7E and c not in (0x22, 0x5C)
                   else "\\x%02X" % c for c in b)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __getattr__(self, name):
        # do_GET, do_POST, do_ANYTHING: every method is served
        if name.startswith("do_"):
            return self.serve
        raise AttributeError(name)

    def log_message(self, *args):
        pass

    def read_chunked(self):
        rf = self.rfile
        while True:
            size = int(rf.readline(65537).split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            rf.read(size)
            rf.readline(65537)  # the end of the chunk's data, whatever it is
        while rf.readline(65537).strip():  # trailers, up to an empty line
            pass

    def serve(self):
        line = "\t".join(("200", esc(self.headers.get("Host")), "-",
                          esc(self.command), esc(self.path)))
        with lock:
            log.write(line + "\n")
            log.flush()
        try:
            te = self.headers.get("Transfer-Encoding") or ""
            if "chunked" in te.lower():
                self.read_chunked()
            elif self.headers.get("Content-Length"):
                self.rfile.read(int(self.headers["Content-Length"]))
        except (ValueError, OverflowError, MemoryError):
            # a size int() cannot read, or no buffer can hold: the
            # connection ends (after the answer), as such a server's would
            self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a connection netpin reset, mostly: nothing to say


addr, port, logpath = sys.argv[1], int(sys.argv[2]), sys.argv[3]
log = open(logpath, "a")
Server((addr, port), Handler).serve_forever()
