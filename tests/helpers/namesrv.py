#!/usr/bin/env python3
"""namesrv — servers that say which host a connection asked for.

    namesrv.py READY_FILE LOG ADDR:PORT:KIND [ADDR:PORT:KIND ...]
    namesrv.py --sum N      the SHA-256 of what /big/N sends

KIND is tls (CERT and KEY from the environment: NAMESRV_CERT, NAMESRV_KEY)
or http.  Every request gets "200 OK" with the body "KIND HOST PATH BODYLENGTH\n"
(HOST: the TLS server name, or the Host header); HTTP keeps the connection
alive.  /big/N answers N bytes of a pattern that never repeats at a
power-of-two offset; /sum... answers the SHA-256 of the request's body in
place of its length.  LOG gets one line per request: "KIND ADDR:PORT HOST PATH", and one
"bytes ADDR:PORT N" per connection (what reached the server).  A path
/slow... waits 1 s before it reads the request's body.  A connection
that sends nothing is closed after NAMESRV_QUIET_S seconds (from the
environment; 10 by default).  READY_FILE is written once every socket
listens.  Used by the checked areas of test.sh.
"""
import hashlib, os, signal, socket, ssl, struct, sys, threading, time



def big(n):
    """/big/N's body, in chunks: chunk i of 64 KiB is its index, over and
    over, so that a byte out of place changes the sum."""
    i = 0
    while n > 0:
        chunk = struct.pack(">Q", i) * 8192
        yield chunk[:min(n, len(chunk))]
        n -= min(n, len(chunk))
        i += 1


if sys.argv[1] == "--sum":
    h = hashlib.sha256()
    for c in big(int(sys.argv[2])):
        h.update(c)
    print(h.hexdigest())
    sys.exit(0)
ready, logpath = sys.argv[1], sys.argv[2]
quiet_s = float(os.environ.get("NAMESRV_QUIET_S", "10"))
lock = threading.Lock()


def log(line):
    with lock, open(logpath, "a") as f:
        f.write(line + "\n")


def serve_conn(conn, where, kind, sni_box):
    got = 0
    buf = bytearray()  # grows in place: a large body is not copied per recv
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            got += len(data)
            buf += data
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if " " in lines[0] else "?"
                host = sni_box[0] if kind == "tls" else ""
                length = 0
                chunked = False
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    if k.strip().lower() == "host" and kind == "http":
                        host = v.strip()
                    if k.strip().lower() == "content-length":
                        length = int(v.strip())
                    if k.strip().lower() == "transfer-encoding":
                        chunked = v.strip().lower().endswith("chunked")
                if path.startswith("/slow"):
                    time.sleep(1)  # the body backs up into netpin meanwhile

                def more():
                    nonlocal buf, got
                    data = conn.recv(65536)
                    if not data:
                        raise OSError("closed in a body")
                    got += len(data)
                    buf += data

                if chunked:  # one request, its chunks and trailers
                    body_in = b""
                    while True:
                        while b"\r\n" not in buf:
                            more()
                        line, buf = buf.split(b"\r\n", 1)
                        size = int(line.split(b";")[0], 16)
                        if size == 0:
                            while True:
                                while b"\r\n" not in buf:
                                    more()
                                line, buf = buf.split(b"\r\n", 1)
                                if not line:
                                    break
                            break
                        while len(buf) < size + 2:
                            more()
                        body_in, buf = body_in + buf[:size], buf[size + 2:]
                else:
                    while len(buf) < length:
                        more()
                    body_in, buf = buf[:length], buf[length:]
                if path.startswith("/big/"):
                    n = int(path[5:])
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
                    for chunk in big(n):
                        conn.sendall(chunk)
                    log("%s %s %s %s" % (kind, where, host, path))
                    continue
                said = (hashlib.sha256(body_in).hexdigest() if path.startswith("/sum")
                        else len(body_in))
                body = ("%s %s %s %s\n" % (kind, host, path, said)).encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
                log("%s %s %s %s" % (kind, where, host, path))
    except (OSError, ssl.SSLError):
        pass
    finally:
        log("bytes %s %d" % (where, got))
        try:
            conn.close()
        except OSError:
            pass


def listener(spec):
    addr, port, kind = spec.rsplit(":", 2)
    addr = addr.strip("[]")
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    s.listen(64)
    ctx = None
    if kind == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.environ["NAMESRV_CERT"], os.environ["NAMESRV_KEY"])
    return s, ctx, "%s:%s" % (addr, port), kind


def accept_loop(s, ctx, where, kind):
    while True:
        conn, _ = s.accept()
        box = [""]
        conn.settimeout(quiet_s)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
        except OSError:
            first = b""
        if not first:  # nothing reached this server
            log("bytes %s 0" % where)
            conn.close()
            continue
        conn.settimeout(None)
        if ctx:
            def note(sock, name, _c, box=box):
                box[0] = name or ""
            ctx.sni_callback = note
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                log("bytes %s handshake-failed" % where)
                conn.close()
                continue
        threading.Thread(target=serve_conn, args=(conn, where, kind, box),
                         daemon=True).start()


signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
socks = [listener(spec) for spec in sys.argv[3:]]
for s in socks:
    threading.Thread(target=accept_loop, args=s, daemon=True).start()
with open(ready, "w") as f:
    f.write("ready\n")
threading.Event().wait()
