#!/usr/bin/env python3
"""httpcorpus — the request streams of the http-diff area, the same every run.

    httpcorpus.py DIR [SEED]

Writes one file per stream, DIR/NNN.req (the raw bytes a client sends on
one connection: pipelined requests, their bodies), and DIR/index, one line
per stream:

    NNN TAB FAMILY TAB REQUESTS TAB FLAGS TAB WHAT

FAMILY: valid (requests as RFC 9112 frames them, plain and random),
line-endings, framing, header-forms (a request of an odd shape, most with
evil.test where a lenient reader would find it; each sent first, then a
plain GET, and again between two plain GETs), attacks (the ways a request
naming evil.test was smuggled past netpin inside what it took for chunk
lines and trailers), random (streams whose bodies hide requests naming
evil.test, changed once or twice where framing is read; drawn from SEED,
36 by default).  REQUESTS: how many requests a reader of RFC 9112's
strict grammar finds (valid streams; 0 for the others).
FLAGS: "client" when real clients (curl, wget, browsers, Python's and
Go's) send that shape, else "-".

Every request's target ends in "?@sNNN-N" (busybox httpd's needs the
/cgi-bin/log before it): tests/httpsend writes the '@' as a mark of the
run, so that the line a server logs names the stream, the request and the
run.  The first request of a stream names good.test (the host netpin
allows); the requests that are smuggled, or hidden in bodies, name
evil.test.  Random bytes never hold '@'.
"""
import os
import random
import sys

GOOD, EVIL = b"good.test", b"evil.test"
CRLF = b"\r\n"


class Stream:
    """The stream being made: its number and the count of its targets."""
    sid = 0
    n = 0


def T(short=False):
    """The next request target of the stream being made."""
    Stream.n += 1
    return (b"/?@s%d-%d" if short else b"/cgi-bin/log?@s%d-%d") % (Stream.sid, Stream.n)


def req(method=b"GET", host=GOOD, headers=(), body=b"", version=b"HTTP/1.1",
        target=None, eol=CRLF, end=None, short=False):
    """One request: its line, Host (none when host is None), headers, the
    empty line (end, else eol) and body; every line ended by eol."""
    lines = [method + b" " + (T(short) if target is None else target) + b" " + version]
    if host is not None:
        lines.append(b"Host: " + host)
    lines += headers
    return eol.join(lines) + eol + (eol if end is None else end) + body


def get(host=GOOD, headers=(), **kw):
    return req(b"GET", host, headers, **kw)


def evil(method=b"GET", **kw):
    """A request naming evil.test: what must never reach a server."""
    return req(method, EVIL, **kw)


def cl(body, host=GOOD, headers=(), method=b"POST", **kw):
    """A request whose body is framed by Content-Length."""
    return req(method, host, [b"Content-Length: %d" % len(body)] + list(headers), body, **kw)


def te(body, host=GOOD, headers=(), coding=b"chunked", **kw):
    """A request whose body (already chunked, or not) follows a
    Transfer-Encoding header."""
    return req(b"POST", host, [b"Transfer-Encoding: " + coding] + list(headers), body, **kw)


def chunks(*datas, trailers=(), size=b"%x", last=b"0"):
    """A chunked body: each data a chunk (or (data, extension)), the last
    chunk, trailers, the empty line."""
    out = b""
    for d in datas:
        d, ext = d if isinstance(d, tuple) else (d, b"")
        out += size % len(d) + ext + CRLF + d + CRLF
    return out + last + CRLF + b"".join(t + CRLF for t in trailers) + CRLF


class around:
    """A shape (mid) sent twice: first, then a plain GET (busybox httpd
    reads only the first request of a connection); and between two plain
    GETs (netpin has let the first through when it reads it)."""
    def __init__(self, mid):
        self.mid = mid

    def streams(self, what):
        return [(what + " (first)", lambda: self.mid() + get()),
                (what + " (after a GET)", lambda: get() + self.mid() + get())]


# ---- valid: RFC 9112 frames them, and netpin must let them through -------------
def random_text(rng, n):
    """Bytes of a body that look like HTTP, and like chunk lines, now and then."""
    parts = [b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n", b"\r\n", b"0\r\n\r\n",
             b"5;x\r\n", b"\n", b"\r", b"Host: evil.test", b"\x00"]
    out = b""
    while len(out) < n:
        if rng.random() < 0.2:
            out += rng.choice(parts)
        else:
            out += bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789 ;:=")
                         for _ in range(rng.randint(1, 40)))
    return out[:n]


def random_request(rng, hidden=False):
    """A request of any kind, its body random text (or a request naming
    evil.test when hidden)."""
    kind = rng.choice(("get", "cl", "chunked", "chunked"))
    text = evil() if hidden and rng.random() < 0.7 else random_text(rng, rng.randint(0, 300))
    if kind == "get":
        return get()
    if kind == "cl":
        return cl(text)
    pieces, i = [], 0
    while i < len(text):
        k = rng.randint(1, 64)
        ext = rng.choice((b"", b"", b";a", b";a=b"))
        pieces.append((text[i:i + k], ext))
        i += k
    trailers = [b"X-T: %d" % rng.randint(0, 99)] if rng.random() < 0.3 else []
    return te(chunks(*pieces, trailers=trailers))


def random_stream(rng, hidden=False):
    return lambda: get() + b"".join(random_request(rng, hidden)
                                    for _ in range(rng.randint(1, 3)))


def valid(rng):
    big = random_text(rng, 200 * 1024)
    return [
        ("a GET", 1, True, lambda: get()),
        ("three pipelined GETs", 3, True, lambda: get() + get() + get()),
        ("GET, POST (Content-Length), GET", 3, True, lambda: get() + cl(b"a=1&b=2") + get()),
        ("a Content-Length body holding a request naming evil.test", 3, True,
         lambda: get() + cl(evil()) + get()),
        ("a GET with a Content-Length body holding a request naming evil.test", 2, True,
         lambda: cl(evil(), method=b"GET") + get()),
        ("POST with Content-Length: 0", 2, True, lambda: cl(b"") + get()),
        ("chunked POST, then GET", 2, True, lambda: te(chunks(b"hello", b" world")) + get()),
        ("chunked POST with trailers", 2, True,
         lambda: te(chunks(b"hello", trailers=[b"X-Sum: 5", b"X-Other: a"]),
                    headers=[b"Trailer: X-Sum, X-Other"]) + get()),
        ("chunk data holding a request naming evil.test", 2, True,
         lambda: te(chunks(evil(), b"x")) + get()),
        ("chunk data holding chunk lines and a request naming evil.test", 2, True,
         lambda: te(chunks(b"0\r\n\r\n" + evil(), b"5;x\r\n")) + get()),
        ("chunk extensions ;name and ;name=value", 2, False,
         lambda: te(chunks((b"hello", b";a"), (b"world", b";a=b"))) + get()),
        ("chunk sizes in capitals, with leading zeros", 2, False,
         lambda: te(chunks(b"x" * 26, b"y" * 3, size=b"%04X")) + get()),
        ("a last chunk of several zeros", 2, False,
         lambda: te(chunks(b"hello", last=b"000")) + get()),
        ("Host with a port", 2, True, lambda: get(b"good.test:8080") + get()),
        ("Host in capitals", 2, False, lambda: get(b"GOOD.Test") + get()),
        ("header names in lower case", 2, True,
         lambda: req(host=None, headers=[b"host: good.test", b"user-agent: x"])
         + req(b"POST", None, [b"host: good.test", b"content-length: 5"], b"hello")),
        ("Host: with no space, a tab as OWS", 2, False,
         lambda: req(host=None, headers=[b"Host:good.test"])
         + req(host=None, headers=[b"Host:\tgood.test\t"])),
        ("HTTP/1.0 GET with Host", 2, True, lambda: get(version=b"HTTP/1.0") + get()),
        ("HTTP/1.0 with Connection: keep-alive", 2, True,
         lambda: get(headers=[b"Connection: keep-alive"], version=b"HTTP/1.0") + get()),
        ("Connection: close, then another GET", 2, True,
         lambda: get(headers=[b"Connection: close"]) + get()),
        ("Expect: 100-continue", 2, True,
         lambda: cl(b"x" * 100, headers=[b"Expect: 100-continue"]) + get()),
        ("an absolute-form target naming good.test", 2, False,
         lambda: get(target=b"http://good.test" + T()) + get()),
        ("HEAD, DELETE, PUT (Content-Length)", 3, True,
         lambda: req(b"HEAD") + req(b"DELETE") + cl(b"put", method=b"PUT")),
        ("a 200 KiB Content-Length body", 2, True, lambda: cl(big) + get()),
        ("a 200 KiB chunked body, 16 KiB chunks", 2, True,
         lambda: te(chunks(*[big[i:i + 16384] for i in range(0, len(big), 16384)])) + get()),
    ] + [("random requests %d (bodies of text that looks like HTTP)" % i, 0, False,
          random_stream(rng)) for i in range(1, 9)]


# ---- line endings: bare LF, bare CR, CRLF in odd places ----------------------
def line_endings():
    def head(lines):
        return lambda: b"GET " + T() + b" HTTP/1.1" + lines
    return [
        ("a request whose every line ends in a bare LF", around(lambda: get(eol=b"\n"))),
        ("a bare LF ends the request line", around(head(b"\nHost: good.test\r\n\r\n"))),
        ("a bare LF starts Host: evil.test after Host: good.test",
         around(head(b"\r\nHost: good.test\r\nX-A: a\nHost: evil.test\r\n\r\n"))),
        ("a bare LF starts Host: evil.test before Host: good.test",
         around(head(b"\r\nX-A: a\nHost: evil.test\r\nHost: good.test\r\n\r\n"))),
        ("a bare LF starts Host: evil.test, no other Host",
         around(head(b"\r\nX-A: a\nHost: evil.test\r\n\r\n"))),
        ("a bare LF ends the head, a request naming evil.test follows",
         around(lambda: get(end=b"\n") + evil())),
        ("LF LF ends the head, a request naming evil.test follows",
         around(lambda: get(eol=b"\n") + evil())),
        ("a bare CR ends a header line",
         around(head(b"\r\nHost: good.test\rX-A: a\r\n\r\n"))),
        ("a bare CR starts Host: evil.test",
         around(head(b"\r\nX-A: a\rHost: evil.test\r\nHost: good.test\r\n\r\n"))),
        ("a bare CR inside the Host value",
         around(head(b"\r\nHost: good.test\revil.test\r\n\r\n"))),
        ("CR CR LF ends a header line", around(head(b"\r\nHost: good.test\r\r\n\r\n"))),
        ("LF CR ends a header line", around(head(b"\r\nHost: good.test\n\r\n\r\n"))),
        ("an empty line (CRLF) before a request", around(lambda: b"\r\n" + get())),
        ("an empty line (bare LF) before a request", around(lambda: b"\n" + get())),
        ("a chunk-size line ended by a bare LF",
         around(lambda: te(b"5\nhello\r\n0\r\n\r\n"))),
        ("chunk data ended by a bare LF", around(lambda: te(b"5\r\nhello\n0\r\n\r\n"))),
        ("chunk data ended by a bare CR", around(lambda: te(b"5\r\nhello\r0\r\n\r\n"))),
        ("a chunk-size line ended by a bare CR", around(lambda: te(b"5\rhello\r\n0\r\n\r\n"))),
        ("the last chunk and the end ended by bare LFs", around(lambda: te(b"5\r\nhello\r\n0\n\n"))),
        ("a trailer line ended by a bare LF",
         around(lambda: te(b"5\r\nhello\r\n0\r\nX-T: a\n\r\n"))),
        ("the chunked body ended by LF, a request naming evil.test follows",
         around(lambda: te(b"5\r\nhello\r\n0\r\n\n") + evil())),
    ]


# ---- framing: Content-Length, Transfer-Encoding, chunk lines ------------------
def framing():
    def cl_te(order):
        def make():
            body = chunks(b"x") + evil()
            h = [b"Content-Length: %d" % len(body), b"Transfer-Encoding: chunked"]
            return req(b"POST", GOOD, h[::order], body)
        return make

    def te_cl():
        e = evil()
        body = chunks(e)
        return req(b"POST", GOOD, [b"Transfer-Encoding: chunked",
                                   b"Content-Length: %d" % (len(b"%x\r\n" % len(e)))], body)

    def two_lengths(first_short):
        def make():
            e = evil()
            body = b"hello" + e
            h = [b"Content-Length: 5", b"Content-Length: %d" % len(body)]
            return req(b"POST", GOOD, h if first_short else h[::-1], body)
        return make

    def length(value, body=b"hello"):
        """A Content-Length written value, over body, a request naming
        evil.test after it"""
        return around(lambda: req(b"POST", GOOD, [b"Content-Length: " + value], body) + evil())

    def coding(value, with_length=False):
        """Transfer-Encoding: value over a chunked body holding a request
        naming evil.test (and a Content-Length that ends before it)"""
        def make():
            e = evil()
            body = chunks(e)
            h = [b"Transfer-Encoding: " + value]
            if with_length:
                h.append(b"Content-Length: %d" % len(b"%x\r\n" % len(e)))
            return req(b"POST", GOOD, h, body)
        return around(make)

    def chunk_line(line, data=b"hello"):
        """One chunk under a written size line, then the last chunk"""
        return around(lambda: te(line + CRLF + data + CRLF + b"0\r\n\r\n"))

    return [
        ("Content-Length and chunked: the length covers a request naming evil.test",
         around(cl_te(1))),
        ("chunked and Content-Length: the length covers a request naming evil.test",
         around(cl_te(-1))),
        ("chunked and a short Content-Length: the chunk holds a request naming evil.test",
         around(te_cl)),
        ("two Content-Lengths, the first short of a request naming evil.test",
         around(two_lengths(True))),
        ("two Content-Lengths, the second short of a request naming evil.test",
         around(two_lengths(False))),
        ("two equal Content-Lengths",
         around(lambda: req(b"POST", GOOD, [b"Content-Length: 5"] * 2, b"hello"))),
        ("a Content-Length list '5, 5'", length(b"5, 5")),
        ("a Content-Length list '5, 40'", length(b"5, 40")),
        ("Content-Length '+5'", length(b"+5")),
        ("Content-Length '05'", length(b"05")),
        ("Content-Length '0x5'", length(b"0x5")),
        ("Content-Length '5_0'", length(b"5_0")),
        ("Content-Length '-1'", length(b"-1")),
        ("Content-Length '5 5'", length(b"5 5")),
        ("Content-Length of 20 digits", length(b"18446744073709551621")),
        ("Content-Length with a trailing NUL", length(b"5\x00")),
        ("Content-Length empty", length(b"")),
        ("Transfer-Encoding 'gzip, chunked'", coding(b"gzip, chunked")),
        ("Transfer-Encoding 'chunked, identity'", coding(b"chunked, identity")),
        ("Transfer-Encoding 'identity'", coding(b"identity")),
        ("Transfer-Encoding 'chunked, chunked'", coding(b"chunked, chunked")),
        ("Transfer-Encoding 'Chunked'", coding(b"Chunked")),
        ("Transfer-Encoding 'CHUNKED'", coding(b"CHUNKED")),
        ("Transfer-Encoding 'chunked ' (trailing space)", coding(b"chunked ")),
        ("Transfer-Encoding '\\tchunked' (a tab)", coding(b"\tchunked")),
        ("Transfer-Encoding 'chunked;q=1'", coding(b"chunked;q=1")),
        ("Transfer-Encoding 'xchunked'", coding(b"xchunked")),
        ("Transfer-Encoding 'chunkedx'", coding(b"chunkedx")),
        ("Transfer-Encoding '\\x0bchunked' (a vertical tab)", coding(b"\x0bchunked")),
        ("Transfer-Encoding 'chunked' and 'identity' headers",
         coding(b"chunked\r\nTransfer-Encoding: identity")),
        ("Transfer-Encoding 'gzip' and 'chunked' headers",
         coding(b"gzip\r\nTransfer-Encoding: chunked")),
        ("Transfer-Encoding 'gzip, chunked' and a Content-Length",
         coding(b"gzip, chunked", True)),
        ("Transfer-Encoding 'identity' and a Content-Length", coding(b"identity", True)),
        ("Transfer-Encoding 'xchunked' and a Content-Length", coding(b"xchunked", True)),
        ("Transfer-Encoding in an HTTP/1.0 request",
         around(lambda: te(chunks(evil()), version=b"HTTP/1.0"))),
        ("a chunk size of 17 digits that wraps to 5", chunk_line(b"10000000000000005")),
        ("a chunk size of 19 digits, leading zeros", chunk_line(b"0000000000000000005")),
        ("a chunk size '0x5'", chunk_line(b"0x5")),
        ("a chunk size '-5'", chunk_line(b"-5")),
        ("a chunk size ' 5' (leading space)", chunk_line(b" 5")),
        ("a chunk size '5 ' (trailing space)", chunk_line(b"5 ")),
        ("a chunk size '5\\t' (trailing tab)", chunk_line(b"5\t")),
        ("a chunk size '5 ;a=b' (space before the extension)", chunk_line(b"5 ;a=b")),
        ("a chunk size '5;' (an empty extension)", chunk_line(b"5;")),
        ("a chunk extension '; a = b'", chunk_line(b"5; a = b")),
        ("a chunk extension with a quoted value", chunk_line(b'5;a="b c"')),
        ("a chunk extension with a quoted ';' and '\"'", chunk_line(b'5;a="x;\\"y"')),
        ("a chunk extension with a NUL", chunk_line(b"5;a\x00b")),
        ("a chunk extension with no name", chunk_line(b"5;=b")),
        ("a NUL in place of the extension's ';'", chunk_line(b"5\x00a")),
        ("chunk data longer than its size", chunk_line(b"5", b"helloXX")),
        ("chunk data shorter than its size", chunk_line(b"7", b"hello")),
        ("a body cut short by the end of the stream",
         lambda: get() + req(b"POST", GOOD, [b"Content-Length: 100"], b"hello")),
        ("a chunked body with no last chunk",
         lambda: get() + te(b"5\r\nhello\r\n")),
    ]


# ---- header forms ----------------------------------------------------------
def header_forms():
    def hosted(*lines):
        """a GET with these header lines"""
        return around(lambda: b"GET " + T() + b" HTTP/1.1"
                      + b"".join(CRLF + line for line in lines) + CRLF + CRLF)

    def target(t):
        return around(lambda: get(target=t + T()))

    def spaced(name, body):
        """name, a space, the colon: a header over a body (of e, a request
        naming evil.test) that a server ignoring the header reads as a request"""
        def make():
            e = evil()
            b = body(e)
            value = b"%d" % len(b) if name == b"Content-Length" else b"chunked"
            return req(b"POST", GOOD, [name + b" : " + value], b)
        return around(make)

    return [
        ("a folded header line (obs-fold)", hosted(b"Host: good.test", b"X-A: a", b"\tb")),
        ("Host's value folded to evil.test", hosted(b"Host: good.test", b" evil.test")),
        ("a folded line ' Host: evil.test' after Host: good.test",
         hosted(b"Host: good.test", b"X-A: a", b" Host: evil.test")),
        ("a first header line folded: ' Host: evil.test'",
         hosted(b" Host: evil.test", b"Host: good.test")),
        ("Host's whole value on a folded line", hosted(b"Host:", b" good.test")),
        ("'Host : evil.test' (a space before the colon), then Host: good.test",
         hosted(b"Host : evil.test", b"Host: good.test")),
        ("'Host\\t: evil.test' (a tab before the colon), then Host: good.test",
         hosted(b"Host\t: evil.test", b"Host: good.test")),
        ("'Host :good.test' alone", hosted(b"Host :good.test")),
        ("'Content-Length : N' over a request naming evil.test",
         spaced(b"Content-Length", lambda e: e)),
        ("'Transfer-Encoding : chunked' over a request naming evil.test",
         spaced(b"Transfer-Encoding", lambda e: chunks(e))),
        ("two Hosts: good.test, evil.test", hosted(b"Host: good.test", b"Host: evil.test")),
        ("two Hosts: evil.test, good.test", hosted(b"Host: evil.test", b"Host: good.test")),
        ("two Hosts: good.test twice", hosted(b"Host: good.test", b"Host: good.test")),
        ("Host 'good.test:80'", hosted(b"Host: good.test:80")),
        ("Host 'good.test:' (an empty port)", hosted(b"Host: good.test:")),
        ("Host 'good.test:abc'", hosted(b"Host: good.test:abc")),
        ("Host 'good.test.' (a trailing dot)", hosted(b"Host: good.test.")),
        ("Host 'good.test@evil.test'", hosted(b"Host: good.test@evil.test")),
        ("Host 'evil.test@good.test'", hosted(b"Host: evil.test@good.test")),
        ("Host 'good.test evil.test'", hosted(b"Host: good.test evil.test")),
        ("Host 'good.test,evil.test'", hosted(b"Host: good.test,evil.test")),
        ("Host 'good.test/evil.test'", hosted(b"Host: good.test/evil.test")),
        ("Host empty", hosted(b"Host: ")),
        ("no Host (HTTP/1.1)", hosted(b"X-A: a")),
        ("no Host (HTTP/1.0)", around(lambda: get(None, version=b"HTTP/1.0"))),
        ("Host with a NUL before evil.test", hosted(b"Host: good.test\x00evil.test")),
        ("Host with a DEL", hosted(b"Host: good.test\x7f")),
        ("a NUL in another header's value", hosted(b"Host: good.test", b"X-A: a\x00b")),
        ("a vertical tab in another header's value", hosted(b"Host: good.test", b"X-A: a\x0bb")),
        ("a NUL in a header name", hosted(b"Host: good.test", b"X-\x00A: b")),
        ("'Ho st: evil.test' (a space in the name)", hosted(b"Host: good.test", b"Ho st: evil.test")),
        ("a header line without a colon: 'Host good.test'", hosted(b"Host good.test")),
        ("an absolute-form target naming evil.test", target(b"http://evil.test")),
        ("an absolute-form target 'HTTP://EVIL.TEST'", target(b"HTTP://EVIL.TEST")),
        ("an absolute-form target 'https://evil.test'", target(b"https://evil.test")),
        ("an absolute-form target 'http://evil.test:80'", target(b"http://evil.test:80")),
        ("an absolute-form target 'http://good.test@evil.test'",
         target(b"http://good.test@evil.test")),
        ("an absolute-form target 'http://evil.test@good.test'",
         target(b"http://evil.test@good.test")),
        ("a target '//evil.test/...'", target(b"//evil.test")),
        ("a target 'evil.test/...' (no scheme, no slash)", target(b"evil.test")),
        ("a target 'ftp://evil.test/...'", target(b"ftp://evil.test")),
        ("Upgrade: h2c", hosted(b"Host: good.test", b"Connection: Upgrade, HTTP2-Settings",
                                b"Upgrade: h2c", b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA")),
        ("Upgrade: websocket", hosted(b"Host: good.test", b"Connection: Upgrade",
                                      b"Upgrade: websocket", b"Sec-WebSocket-Version: 13",
                                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")),
        ("CONNECT evil.test:443", around(lambda: b"CONNECT evil.test:443 HTTP/1.1\r\n"
                                         b"Host: evil.test:443\r\n\r\n")),
        ("CONNECT good.test:443", around(lambda: b"CONNECT good.test:443 HTTP/1.1\r\n"
                                         b"Host: good.test:443\r\n\r\n")),
        ("the HTTP/2 preface (PRI * HTTP/2.0)",
         around(lambda: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")),
        ("a method in lower case", around(lambda: get(target=None).replace(b"GET", b"get", 1))),
        ("two spaces around the target",
         around(lambda: get().replace(b" ", b"  ", 2))),
        ("tabs around the target", around(lambda: get().replace(b" ", b"\t", 2))),
        ("HTTP/1.2", around(lambda: get(version=b"HTTP/1.2"))),
        ("HTTP/2.0 in a request line", around(lambda: get(version=b"HTTP/2.0"))),
        ("a request line with no version (HTTP/0.9)",
         around(lambda: b"GET " + T() + b"\r\nHost: good.test\r\n\r\n")),
        ("a space after the version", around(lambda: get(version=b"HTTP/1.1 "))),
        ("a NUL in the target", around(lambda: get(target=T() + b"\x00x"))),
        ("101 header lines", around(lambda: get(headers=[b"X-%d: a" % i for i in range(100)]))),
    ]


# ---- the review's attacks: a request naming evil.test smuggled in chunk lines --
def smuggle(line_end, ext=b";"):
    """A chunked POST whose first chunk-size line, "N" ext line_end, is read
    by a server that ends it at line_end: its N bytes of data, then the last
    chunk, then a POST naming evil.test.  A reader that ends chunk lines at
    CRLF only reads on to the first CRLF, takes the next N bytes as data, and
    finds inside them the last chunk and the POST's head; the POST's body is
    made to hold what that reader then expects: CRLF, the last chunk."""
    def make():
        head = req(b"POST", GOOD, [b"Transfer-Encoding: chunked"])
        victim = T(short=True)
        ehead_len = len(b"POST %s HTTP/1.1\r\nHost: evil.test\r\nContent-Length: 00\r\n\r\n"
                        % victim)
        n = 0x40
        while n - 7 < ehead_len:
            n += 0x10
        data = b"x" * (n - 2)  # no CRLF in it: the strict reader's line ends after it
        body_len = n - ehead_len  # pad, CRLF, "0\r\n\r\n" for the strict reader
        pad = b"p" * (body_len - 7)
        smuggled = (b"POST %s HTTP/1.1\r\nHost: evil.test\r\nContent-Length: %02d\r\n\r\n"
                    % (victim, body_len)) + pad + b"\r\n0\r\n\r\n"
        return (head + b"%x" % n + ext + line_end + data + CRLF + CRLF + b"0\r\n\r\n"
                + smuggled)
    return lambda: get() + make() + get()


def trailer_smuggle(last=b"0\r\n", trailer=b"X-T: a\n"):
    """A chunked POST whose last chunk is followed by a trailer line ended by
    a bare LF, then CRLF: a server that ends lines at LF sees the trailers end
    there and a POST naming evil.test next; a reader that ends lines at CRLF
    only reads that POST's head as trailers, and its body (a GET naming
    good.test) as the next request."""
    def make():
        inner = get()
        return (req(b"POST", GOOD, [b"Transfer-Encoding: chunked"])
                + b"5\r\nhello\r\n" + last + trailer + CRLF + cl(inner, EVIL, short=True))
    return lambda: get() + make() + get()


def attacks():
    return [
        ("a chunk-size line 'N;' ended by a bare LF hides a POST naming evil.test",
         smuggle(b"\n")),
        ("a trailer line ended by a bare LF hides a POST naming evil.test",
         trailer_smuggle()),
        ("a NUL in the chunk extension ('N;\\x00' + bare LF) hides a POST naming evil.test",
         smuggle(b"\n", b";\x00")),
        ("a chunk extension 'N;a' ended by a bare LF hides a POST naming evil.test",
         smuggle(b"\n", b";a")),
        ("the last chunk '0;' ended by a bare LF hides a POST naming evil.test",
         trailer_smuggle(b"0;\n", b"")),
        ("a chunk-size line 'N' (no extension) ended by a bare LF hides a POST naming evil.test",
         smuggle(b"\n", b"")),
    ]


# ---- random mutations of streams whose bodies hide requests naming evil.test --
def mutate(rng, b):
    """One random change at a place where framing is read."""
    def spots(sub):
        i, out = 0, []
        while (i := b.find(sub, i)) >= 0:
            out.append(i)
            i += 1
        return out
    ops = []
    if spots(CRLF):
        ops += ["eol"] * 4 + ["control"] * 2
    if spots(b": "):
        ops += ["colon", "fold"]
    if spots(b"Content-Length: "):
        ops.append("length")
    if spots(b"chunked"):
        ops.append("coding")
    if spots(b"Host: good.test"):
        ops.append("host")
    op = rng.choice(ops)
    if op == "eol":
        i = rng.choice(spots(CRLF))
        return b[:i] + rng.choice((b"\n", b"\r", b"\r\r\n", b"\n\r", b"\n\n", b" \r\n")) + b[i + 2:]
    if op == "control":
        i = rng.choice(spots(CRLF))
        return b[:i] + rng.choice((b"\x00", b"\x0b", b"\x0c", b"\x7f", b"\t", b" ", b";")) + b[i:]
    if op == "colon":
        i = rng.choice(spots(b": "))
        return b[:i] + rng.choice((b" ", b"\t")) + b[i:]
    if op == "fold":
        i = rng.choice(spots(b": "))
        return b[:i + 1] + rng.choice((b"\r\n ", b"\r\n\t")) + b[i + 2:]
    if op == "length":
        i = rng.choice(spots(b"Content-Length: ")) + 16
        j = b.find(CRLF, i)
        j = j if j >= 0 else i
        n = int(b[i:j]) if b[i:j].isdigit() else 0
        v = rng.choice((b"%d" % (n + 1), b"%d" % max(n - 1, 0), b"+%d" % n, b"%d, %d" % (n, n),
                        b"0%d" % n, b"%d\r\nContent-Length: %d" % (n, n + 3)))
        return b[:i] + v + b[j:]
    if op == "coding":
        i = rng.choice(spots(b"chunked"))
        return b[:i] + rng.choice((b"Chunked", b"gzip, chunked", b"chunked, identity",
                                   b"chunked\r\nContent-Length: 3", b"identity")) + b[i + 7:]
    i = rng.choice(spots(b"Host: good.test"))
    return b[:i] + rng.choice((b"Host: good.test\r\nHost: evil.test", b"Host: evil.test\r\nHost: good.test",
                               b"Host: good.test\r\n evil.test", b"Host: good.test:80")) + b[i + 15:]


def random_mutants(rng, count):
    out = []
    for i in range(1, count + 1):
        base = random_stream(rng, hidden=True)
        times = rng.choice((1, 1, 2))
        seed = rng.random()

        def make(base=base, times=times, seed=seed):
            b = base()
            r = random.Random(seed)
            for _ in range(times):
                b = mutate(r, b)
            return b
        out.append(("random mutant %d" % i, make))
    return out


def main():
    out = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 36
    rng = random.Random(seed)
    corpus = [("valid", what, n, client, make) for what, n, client, make in valid(rng)]
    for family, shapes in (("line-endings", line_endings()), ("framing", framing()),
                           ("header-forms", header_forms()), ("attacks", attacks()),
                           ("random", random_mutants(rng, 36))):
        for what, make in shapes:
            both = make.streams(what) if isinstance(make, around) else [(what, make)]
            corpus += [(family, w, 0, False, m) for w, m in both]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "index"), "w") as index:
        for sid, (family, what, n, client, make) in enumerate(corpus, 1):
            Stream.sid, Stream.n = sid, 0
            data = make()
            if n == 0 and family == "valid":
                n = data.count(b"?@s%d-" % sid)
            with open(os.path.join(out, "%03d.req" % sid), "wb") as f:
                f.write(data)
            index.write("%03d\t%s\t%d\t%s\t%s\n" % (sid, family, n, "client" if client else "-", what))


main()
