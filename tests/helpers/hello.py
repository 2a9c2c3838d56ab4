#!/usr/bin/env python3
"""hello — a TLS client whose first flight is sent the way a test asks.

    hello.py ADDR PORT HOW NAME CAFILE PATH

The ClientHello is a real one (Python's ssl, through memory BIOs, for the
server name NAME), sent on a plain TCP socket (TCP_NODELAY) as HOW says:
  whole      in one send
  bytes      one byte per send, 2 ms apart
  segments   in seven sends, 50 ms apart, cut inside the record header
             and in the middle of the server name
  records    re-framed into TLS records of 64 bytes each, in one send
  big:N      made about N bytes long (ALPN protocols that pad it), so
             that it spans TLS records (16 KiB each), in one send
  garbage    no ClientHello: a line of text
  silent     nothing at all (waits up to 20 s for what comes back)
Then, if the server answers, the handshake ends and "GET PATH" is sent
over it.  Prints one line: the answer's body ("tls NAME PATH 0"), or how it
ended: "refused REASON" (a TLS alert: REASON as Python names it), "alert
LEVEL DESCRIPTION" (an alert to garbage), "reset", "closed", "error
WHAT"; then " ms=N" (from the connect until then).
"""
import socket, ssl, sys, time

addr, port, how, name, cafile, path = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
if how.startswith("big:"):
    # each protocol name is 255 bytes (256 in the list)
    ctx.set_alpn_protocols(["%03d" % i + "p" * 252 for i in range(int(how[4:]) // 256)])
inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, outg, server_hostname=name)
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outg.read()

s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(20)
start = time.monotonic()


def done(what):
    print("%s ms=%d" % (what, (time.monotonic() - start) * 1000))
    sys.exit(0)


def pieces(data):
    if how == "bytes":
        return [data[i:i + 1] for i in range(len(data))], 0.002
    if how == "segments":
        at = data.index(name.encode()) + len(name) // 2
        cuts = [1, 3, 5, 9, 40, at, len(data)]
        return [data[a:b] for a, b in zip([0] + cuts, cuts)], 0.05
    if how == "records":
        body = data[5:]
        return [b"".join(data[:3] + len(body[i:i + 64]).to_bytes(2, "big") + body[i:i + 64]
                         for i in range(0, len(body), 64))], 0
    if how == "garbage":
        return [b"hello netpin, this is no TLS\r\n"], 0
    if how == "silent":
        return [], 0
    return [data], 0


def answered(answer):
    """Is an HTTP answer all there (its head, and its Content-Length)?"""
    if b"\r\n\r\n" not in answer:
        return False
    head, body = answer.split(b"\r\n\r\n", 1)
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v)
    return True


try:
    s.connect((addr, int(port)))
    parts, pause = pieces(hello)
    for p in parts:
        s.sendall(p)
        time.sleep(pause)
    if how in ("garbage", "silent"):
        got = s.recv(64)
        if not got:
            done("closed")
        if got[0] == 21 and len(got) >= 7:
            done("alert %d %d" % (got[5], got[6]))
        done("got %r" % got[:16])
    # the rest of the handshake, then one request over it
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            s.sendall(outg.read())
            got = s.recv(65536)
            if not got:
                done("closed")
            inc.write(got)
    tls.write(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path.encode(), name.encode()))
    s.sendall(outg.read())
    answer = b""
    while not answered(answer):
        try:
            answer += tls.read(65536)
        except ssl.SSLWantReadError:
            got = s.recv(65536)
            if not got:
                done("closed")
            inc.write(got)
    done(answer.split(b"\r\n\r\n", 1)[1].decode().strip())
except ssl.SSLError as e:
    done("refused %s" % e.reason)
except ConnectionResetError:
    done("reset")
except OSError as e:
    done("error %s" % (e.strerror or e))
