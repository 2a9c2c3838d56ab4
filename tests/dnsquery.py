#!/usr/bin/env python3
"""One-shot DNS query client, used to self-test tests/dnsserver.py.

usage: dnsquery.py SERVER PORT NAME TYPE [--tcp] [--timeout SEC] [-v]

Sends one query (RD set, random ID) for NAME/TYPE (A, AAAA, CNAME, ANY or a
number) to SERVER:PORT over UDP (default) or TCP and prints:
  - the address of every A/AAAA record in the answer section, one per line,
    or "NOERROR" when the answer holds no address;
  - the rcode name (NXDOMAIN, SERVFAIL, REFUSED, ...) when it is not 0;
  - "TC" when a UDP reply has the truncation bit set (no retry over TCP);
  - "MALFORMED <reason>" (exit 3) for a reply with the right ID/source that
    cannot be parsed (bad pointers, names > 255 bytes, counts beyond the
    data, ...);
  - "TIMEOUT" (exit 2) when no acceptable reply arrives.
Over UDP, replies from another address/port, with another ID or with a
different question are ignored (reported on stderr with -v) and the client
keeps waiting.  -v also prints CNAME records and each packet's summary on
stderr.
"""

import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15,
         "TXT": 16, "AAAA": 28, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}


class Malformed(Exception):
    pass


def encode_name(name):
    name = name.rstrip(".")
    if not name:
        return b"\x00"
    out = b""
    for lab in name.split("."):
        b = lab.encode("ascii")
        if not 0 < len(b) <= 63:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(b)]) + b
    return out + b"\x00"


def read_name(msg, off):
    """-> (labels, offset after the name in place). Strict and bounded."""
    labels = []
    total = 1
    end = None
    seen = set()
    while True:
        if off >= len(msg):
            raise Malformed("name runs off the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise Malformed("truncated pointer")
            ptr = ((n & 0x3F) << 8) | msg[off + 1]
            if end is None:
                end = off + 2
            if ptr in seen:
                raise Malformed("compression pointer loop")
            if ptr >= off:
                # only backward pointers are legal; this also catches loops
                raise Malformed("forward/self compression pointer")
            seen.add(ptr)
            off = ptr
            continue
        if n & 0xC0:
            raise Malformed("extended label type")
        if n == 0:
            off += 1
            break
        if off + 1 + n > len(msg):
            raise Malformed("label runs off the end")
        total += n + 1
        if total > 255:
            raise Malformed("name longer than 255 bytes")
        labels.append(msg[off + 1:off + 1 + n])
        off += 1 + n
    return labels, (end if end is not None else off)


def name_text(labels):
    return ".".join(l.decode("latin-1") for l in labels) or "."


def parse_reply(msg):
    if len(msg) < 12:
        raise Malformed("short header (%d bytes)" % len(msg))
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    off = 12
    questions = []
    for _ in range(qd):
        labels, off = read_name(msg, off)
        if off + 4 > len(msg):
            raise Malformed("short question")
        qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
        off += 4
        questions.append((labels, qtype, qclass))
    sections = []
    for count in (an, ns, ar):
        recs = []
        for _ in range(count):
            labels, off = read_name(msg, off)
            if off + 10 > len(msg):
                raise Malformed("short record header")
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH",
                                                      msg[off:off + 10])
            off += 10
            if off + rdlen > len(msg):
                raise Malformed("rdata runs off the end")
            recs.append((labels, rtype, rclass, ttl, off, rdlen))
            off += rdlen
        sections.append(recs)
    return qid, flags, questions, sections


def summarize(msg):
    try:
        qid, flags, qs, secs = parse_reply(msg)
    except Malformed as e:
        return "len=%d malformed: %s" % (len(msg), e)
    q = " ".join("%s/%d" % (name_text(l), t) for l, t, _ in qs)
    return "len=%d id=%d flags=0x%04x q=%s an=%d" % (len(msg), qid, flags, q,
                                                     len(secs[0]))


def recv_exact(s, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout()
        s.settimeout(left)
        b = s.recv(n - len(buf))
        if not b:
            raise EOFError()
        buf += b
    return buf


def main():
    ap = argparse.ArgumentParser(description="one-shot DNS query")
    ap.add_argument("server")
    ap.add_argument("port", type=int)
    ap.add_argument("name")
    ap.add_argument("type")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    server = a.server.strip("[]")
    ip = ipaddress.ip_address(server)
    if not ip.is_loopback:
        ap.error("SERVER must be a loopback address")
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    t = a.type.upper()
    qtype = TYPES[t] if t in TYPES else int(t)
    qid = struct.unpack("!H", os.urandom(2))[0]
    qname = encode_name(a.name)
    query = (struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + qname
             + struct.pack("!HH", qtype, 1))
    want_q = a.name.rstrip(".").lower() or "."

    def log(text):
        if a.verbose:
            print(text, file=sys.stderr)

    deadline = time.monotonic() + a.timeout
    s = socket.socket(family, socket.SOCK_STREAM if a.tcp else socket.SOCK_DGRAM)
    reply = None
    try:
        if a.tcp:
            s.settimeout(a.timeout)
            s.connect((server, a.port))
            s.sendall(struct.pack("!H", len(query)) + query)
            while reply is None:
                n = struct.unpack("!H", recv_exact(s, 2, deadline))[0]
                msg = recv_exact(s, n, deadline)
                log("tcp reply: " + summarize(msg))
                reply = check(msg, qid, want_q, log)
        else:
            s.sendto(query, (server, a.port))
            while reply is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                s.settimeout(left)
                msg, peer = s.recvfrom(65535)
                log("udp reply from %s port %d: %s"
                    % (peer[0], peer[1], summarize(msg)))
                if (ipaddress.ip_address(peer[0].split("%")[0]) != ip
                        or peer[1] != a.port):
                    log("  ignored: wrong source")
                    continue
                reply = check(msg, qid, want_q, log)
    except (socket.timeout, EOFError, ConnectionError) as e:
        print("TIMEOUT")
        log("  (%s)" % (type(e).__name__))
        sys.exit(2)
    except Malformed as e:
        print("MALFORMED %s" % e)
        sys.exit(3)
    finally:
        s.close()

    msg, (rid, flags, qs, secs) = reply
    rcode = flags & 0xF
    if flags & 0x0200 and not a.tcp:
        print("TC")
        return
    if rcode:
        print(RCODES.get(rcode, "RCODE%d" % rcode))
        for labels, rtype, _, _, off, rdlen in secs[0]:
            if rtype == 5:
                log("CNAME %s -> %s" % (name_text(labels),
                                        name_text(read_name(msg, off)[0])))
        return
    printed = 0
    for labels, rtype, rclass, ttl, off, rdlen in secs[0]:
        rdata = msg[off:off + rdlen]
        if rtype == 1 and rdlen == 4:
            print(socket.inet_ntop(socket.AF_INET, rdata))
            printed += 1
        elif rtype == 28 and rdlen == 16:
            print(socket.inet_ntop(socket.AF_INET6, rdata))
            printed += 1
        elif rtype == 5:
            log("CNAME %s -> %s (ttl %d)" % (name_text(labels),
                                             name_text(read_name(msg, off)[0]),
                                             ttl))
        elif rtype in (1, 28):
            print("MALFORMED address rdata length %d" % rdlen)
            sys.exit(3)
        else:
            log("record %s type %d len %d" % (name_text(labels), rtype, rdlen))
    if not printed:
        print("NOERROR")


def check(msg, qid, want_q, log):
    """Return (msg, parsed) if msg answers our query, None to keep waiting.
    Raises Malformed when the ID matches but the packet does not parse."""
    if len(msg) >= 2 and struct.unpack("!H", msg[:2])[0] != qid:
        log("  ignored: wrong ID")
        return None
    parsed = parse_reply(msg)  # may raise Malformed
    rid, flags, qs, secs = parsed
    if not flags & 0x8000:
        log("  ignored: not a response")
        return None
    if (len(qs) != 1 or (name_text(qs[0][0]).lower() != want_q)):
        log("  ignored: different question")
        return None
    return msg, parsed


if __name__ == "__main__":
    main()
