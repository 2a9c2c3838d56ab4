#!/usr/bin/env python3
"""Small authoritative DNS server for netpin tests (stdlib only).

usage: dnsserver.py --addr ADDR --port PORT --zone FILE --log FILE
                    --ready FILE [--mode MODE ...]

Listens on UDP and TCP at ADDR:PORT (ADDR is a numeric loopback address,
IPv4 like 127.0.0.1 or IPv6 like ::1; anything else is refused).  When both
sockets are listening, "ready\\n" is written to --ready (atomic: temp file +
rename).  Runs until SIGTERM/SIGINT, then exits 0.

--log: one line per well-formed query received, appended and flushed
immediately:
    udp|tcp QNAME QTYPE
QNAME is lower-cased, without the trailing dot ("." for the root; bytes
outside printable ASCII, "." and "\\" inside a label are written as \\DDD).
QTYPE is A, AAAA or the decimal type number (e.g. 5 for CNAME, 28 is AAAA).
Malformed queries are ignored and not logged.

Zone file, one record per line, "#" starts a comment, names are
case-insensitive, a trailing dot is allowed but not needed:
    NAME A 1.2.3.4
    NAME AAAA ::1
    NAME CNAME target.name
A name may have several A/AAAA records.  Answers are authoritative (AA set),
TTL 60.  CNAMEs are followed inside the zone and the whole chain is put in
the answer section (the CNAME records, then the A/AAAA records of the final
target).  Unknown name -> NXDOMAIN; known name without a record of the
asked type -> NOERROR with an empty answer.  A chain ending at a name not in
the zone gives NXDOMAIN with the CNAMEs in the answer (RFC 6604).  A query
of type CNAME returns the CNAME record itself without following it.

Modes (--mode, repeatable).  "MODE" applies to every query, "MODE=NAME" only
to queries for NAME (case-insensitive); for delay the forms are delay=MS and
delay=MS=NAME.  POISON below is A 6.6.6.6 (AAAA 6666::6 for AAAA queries).
    silent        never answer (UDP or TCP)
    tc            UDP: reply with TC set and no answers; TCP: full answer
    wrongid       UDP: first a reply with the wrong ID carrying POISON, then
                  the correct reply 50 ms later (TCP: normal answer)
    wrongname     first a reply whose question is a different name
                  (poison.invalid) carrying POISON, then the correct reply
                  50 ms later (UDP and TCP)
    wrongsource   UDP: first a reply carrying POISON sent from another socket
                  bound to ADDR port PORT+1, then the correct reply 50 ms later
                  from the right socket (TCP: normal answer)
    garbage       reply with random bytes of random length 0..600 whose
                  first two bytes are the query ID (when length >= 2); nothing
                  else follows (TCP: the same, length-prefixed)
    servfail      rcode 2 (SERVFAIL), no answers
    refused       rcode 5 (REFUSED), no answers
    loop          one answer record (POISON) whose owner name is a
                  compression pointer pointing at itself
    badcount      ANCOUNT=50 but only one answer record (POISON) present
    longname      two answer records: a NULL record (type 10) owned by the
                  query name whose RDATA holds label chunks chained by
                  backward compression pointers, then a POISON record whose
                  owner name is a pointer into that chain; the name expands
                  to more than 255 bytes
    private       no special behaviour (the zone provides private addresses)
    delay=MS      wait MS milliseconds before answering (several delays add up)
When several modes apply: the query is logged, delays are waited, then
silent wins, then garbage; otherwise the poison replies (wrongid, wrongname,
wrongsource) go first, 50 ms pass, and the final reply is built with tc,
servfail/refused and loop/badcount/longname applied.
"""

import argparse
import ipaddress
import os
import random
import socket
import struct
import sys
import threading
import time

from libserver import (Log, accept_forever, make_socket, recv_forever,
                       serve_until_stopped, spawn)

TTL = 60
POISON_A = socket.inet_pton(socket.AF_INET, "6.6.6.6")
POISON_AAAA = socket.inet_pton(socket.AF_INET6, "6666::6")
POISON_NAME = "poison.invalid"
POISON_DELAY = 0.05
TCP_IDLE_TIMEOUT = 60.0

T_A, T_NS, T_CNAME, T_NULL, T_AAAA, T_ANY = 1, 2, 5, 10, 28, 255
C_IN = 1
TYPE_NAMES = {T_A: "A", T_AAAA: "AAAA"}

SIMPLE_MODES = ("silent", "tc", "wrongid", "wrongname", "wrongsource",
                "garbage", "servfail", "refused", "loop", "badcount",
                "longname", "private")


class Malformed(Exception):
    pass


# ---------------------------------------------------------------- names

def norm_name(text):
    """Zone/CLI name -> canonical text (lower case, no trailing dot)."""
    n = text.strip().lower()
    if n.endswith(".") and n != ".":
        n = n[:-1]
    if n == ".":
        return "."
    if not n:
        raise ValueError("empty name")
    labels = n.split(".")
    for lab in labels:
        if not lab or len(lab) > 63:
            raise ValueError("bad label in name %r" % text)
    if len(encode_name(n)) > 255:
        raise ValueError("name too long: %r" % text)
    return n


def encode_name(name):
    if name == ".":
        return b"\x00"
    out = b""
    for lab in name.split("."):
        b = lab.encode("ascii")
        out += bytes([len(b)]) + b
    return out + b"\x00"


def label_text(lab):
    out = []
    for c in lab:
        if 33 <= c <= 126 and c not in (0x2E, 0x5C):
            out.append(chr(c))
        else:
            out.append("\\%03d" % c)
    return "".join(out)


def labels_to_text(labels):
    if not labels:
        return "."
    return ".".join(label_text(lab) for lab in labels).lower()


def parse_query(data):
    """Return (qid, flags, qname_text, qtype, qclass, question_bytes)."""
    if len(data) < 12:
        raise Malformed("short header")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    if flags & 0x8000:
        raise Malformed("QR set")
    if qd != 1:
        raise Malformed("QDCOUNT %d" % qd)
    off = 12
    labels = []
    total = 1
    while True:
        if off >= len(data):
            raise Malformed("name runs off the end")
        n = data[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0:
            raise Malformed("pointer or extended label in question")
        if off + 1 + n > len(data):
            raise Malformed("label runs off the end")
        labels.append(data[off + 1:off + 1 + n])
        total += n + 1
        if total > 255:
            raise Malformed("name too long")
        off += 1 + n
    if off + 4 > len(data):
        raise Malformed("short question")
    qtype, qclass = struct.unpack("!HH", data[off:off + 4])
    question = data[12:off + 4]
    return qid, flags, labels_to_text(labels), qtype, qclass, question


# ---------------------------------------------------------------- zone

class Zone:
    def __init__(self):
        self.records = {}  # name -> list of (type, rdata bytes)
        self.cname_targets = {}  # name -> target name

    def add(self, name, rtype, rdata):
        self.records.setdefault(name, []).append((rtype, rdata))

    def get(self, name, rtype):
        return [r for t, r in self.records.get(name, ()) if t == rtype]

    def lookup(self, qname, qtype):
        """-> (rcode, [(owner, type, rdata)])"""
        answers = []
        name = qname
        seen = set()
        while True:
            if name not in self.records:
                # NXDOMAIN for the query name or for the end of a chain
                return 3, answers
            if qtype in (T_CNAME, T_ANY):
                types = ((T_A, T_AAAA, T_CNAME) if qtype == T_ANY
                         else (T_CNAME,))
                for t, r in self.records[name]:
                    if t in types:
                        answers.append((name, t, r))
                return 0, answers
            cn = self.get(name, T_CNAME)
            if cn:
                if name in seen or len(seen) > 16:
                    return 2, answers  # CNAME loop in the zone: SERVFAIL
                seen.add(name)
                answers.append((name, T_CNAME, cn[0]))
                name = self.cname_targets[name]
                continue
            for r in self.get(name, qtype):
                answers.append((name, qtype, r))
            return 0, answers


def load_zone(path):
    z = Zone()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            where = "%s:%d" % (path, lineno)
            if len(parts) != 3:
                raise ValueError("%s: expected 'NAME TYPE VALUE'" % where)
            try:
                name = norm_name(parts[0])
                rtype = parts[1].upper()
                if rtype == "A":
                    z.add(name, T_A, socket.inet_pton(socket.AF_INET,
                                                      parts[2]))
                elif rtype == "AAAA":
                    z.add(name, T_AAAA, socket.inet_pton(socket.AF_INET6,
                                                         parts[2]))
                elif rtype == "CNAME":
                    if name in z.cname_targets:
                        raise ValueError("second CNAME for %s" % name)
                    target = norm_name(parts[2])
                    z.cname_targets[name] = target
                    z.add(name, T_CNAME, encode_name(target))
                else:
                    raise ValueError("unknown type %r" % parts[1])
            except (ValueError, OSError, UnicodeError) as e:
                raise ValueError("%s: %s" % (where, e))
    return z


# ---------------------------------------------------------------- modes

def parse_mode(text):
    """-> (kind, arg, name or None)"""
    if text.startswith("delay="):
        rest = text[len("delay="):]
        ms, sep, name = rest.partition("=")
        try:
            msv = int(ms)
        except ValueError:
            raise ValueError("bad delay in mode %r" % text)
        if msv < 0:
            raise ValueError("negative delay in mode %r" % text)
        return "delay", msv, (norm_name(name) if sep else None)
    kind, sep, name = text.partition("=")
    if kind not in SIMPLE_MODES:
        raise ValueError("unknown mode %r" % text)
    return kind, None, (norm_name(name) if sep else None)


def modes_for(modes, qname):
    active = set()
    delay = 0
    for kind, arg, name in modes:
        if name is not None and name != qname:
            continue
        if kind == "delay":
            delay += arg
        else:
            active.add(kind)
    return active, delay


# ---------------------------------------------------------------- replies

def header(qid, qflags, rcode, qd, an, ns=0, ar=0, tc=False):
    flags = 0x8000 | (qflags & 0x7800) | 0x0400 | (qflags & 0x0100) | rcode
    if tc:
        flags |= 0x0200
    return struct.pack("!6H", qid, flags, qd, an, ns, ar)


def rr(owner_wire, rtype, rdata):
    return owner_wire + struct.pack("!HHIH", rtype, C_IN, TTL,
                                    len(rdata)) + rdata


def poison_rr(qtype, owner_wire=b"\xc0\x0c"):
    if qtype == T_AAAA:
        return rr(owner_wire, T_AAAA, POISON_AAAA)
    return rr(owner_wire, T_A, POISON_A)


def build_normal(zone, q, active, proto):
    qid, qflags, qname, qtype, qclass, question = q
    opcode = (qflags >> 11) & 0xF
    if opcode != 0:
        return header(qid, qflags, 4, 1, 0) + question  # NOTIMP
    if "tc" in active and proto == "udp":
        return header(qid, qflags, 0, 1, 0, tc=True) + question
    if "servfail" in active:
        return header(qid, qflags, 2, 1, 0) + question
    if "refused" in active:
        return header(qid, qflags, 5, 1, 0) + question
    if "loop" in active:
        off = 12 + len(question)
        ptr = struct.pack("!H", 0xC000 | off)
        return header(qid, qflags, 0, 1, 1) + question + poison_rr(qtype, ptr)
    if "badcount" in active:
        return header(qid, qflags, 0, 1, 50) + question + poison_rr(qtype)
    if "longname" in active:
        # NULL record owned by the qname; its RDATA is a chain of 63-byte
        # labels, each followed by a pointer to the previous chunk (the
        # first one points at the query name at offset 12).  The second
        # record's owner points at the last chunk.
        rdata_off = 12 + len(question) + 2 + 10
        rdata = b""
        prev = 12
        for i in range(5):
            here = rdata_off + len(rdata)
            rdata += (bytes([63]) + bytes([0x61 + i]) * 63
                      + struct.pack("!H", 0xC000 | prev))
            prev = here
        first = rr(b"\xc0\x0c", T_NULL, rdata)
        second = poison_rr(qtype, struct.pack("!H", 0xC000 | prev))
        return header(qid, qflags, 0, 1, 2) + question + first + second
    if qclass not in (C_IN, T_ANY):
        return header(qid, qflags, 5, 1, 0) + question
    rcode, answers = zone.lookup(qname, qtype)
    body = b""
    for owner, rtype, rdata in answers:
        owner_wire = b"\xc0\x0c" if owner == qname else encode_name(owner)
        body += rr(owner_wire, rtype, rdata)
    return header(qid, qflags, rcode, 1, len(answers)) + question + body


def build_wrongid(q):
    qid, qflags, qname, qtype, qclass, question = q
    return (header(qid ^ 0x5A5A, qflags, 0, 1, 1) + question
            + poison_rr(qtype))


def build_wrongname(q):
    qid, qflags, qname, qtype, qclass, question = q
    other = POISON_NAME if qname != POISON_NAME else "poison2.invalid"
    qsec = encode_name(other) + struct.pack("!HH", qtype, qclass)
    return header(qid, qflags, 0, 1, 1) + qsec + poison_rr(qtype)


def build_poisoned_right(q):
    qid, qflags, qname, qtype, qclass, question = q
    return header(qid, qflags, 0, 1, 1) + question + poison_rr(qtype)


def build_garbage(q):
    n = random.randint(0, 600)
    b = bytearray(os.urandom(n))
    if n >= 2:
        b[0:2] = struct.pack("!H", q[0])
    return bytes(b)


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, args, zone, modes):
        self.zone = zone
        self.modes = modes
        self.log = Log(args.log, "ascii")
        self.udp = None
        self.udp_alt = None
        self.tcp = None

    def record(self, proto, qname, qtype):
        t = TYPE_NAMES.get(qtype, str(qtype))
        self.log.line("%s %s %s" % (proto, qname, t))

    def handle(self, data, proto, send):
        """Process one query; send(bytes, alt=False) transmits a reply."""
        try:
            q = parse_query(data)
        except Malformed:
            return
        qname, qtype = q[2], q[3]
        self.record(proto, qname, qtype)
        active, delay = modes_for(self.modes, qname)
        if delay:
            time.sleep(delay / 1000.0)
        if "silent" in active:
            return
        if "garbage" in active:
            send(build_garbage(q))
            return
        poisoned = False
        if "wrongid" in active and proto == "udp":
            send(build_wrongid(q))
            poisoned = True
        if "wrongname" in active:
            send(build_wrongname(q))
            poisoned = True
        if "wrongsource" in active and proto == "udp":
            send(build_poisoned_right(q), alt=True)
            poisoned = True
        if poisoned:
            time.sleep(POISON_DELAY)
        send(build_normal(self.zone, q, active, proto))

    # UDP ----------------------------------------------------------------
    def udp_query(self, data, peer):
        def send(msg, alt=False):
            s = self.udp_alt if alt else self.udp
            try:
                s.sendto(msg, peer)
            except OSError:
                pass
        try:
            self.handle(data, "udp", send)
        except Exception as e:  # keep serving whatever happens
            print("dnsserver.py: udp: %r" % e, file=sys.stderr)

    def udp_datagram(self, data, peer):
        spawn(self.udp_query, data, peer)

    # TCP ----------------------------------------------------------------
    def tcp_conn(self, conn):
        sendlock = threading.Lock()

        def send(msg, alt=False):
            with sendlock:
                try:
                    conn.sendall(struct.pack("!H", len(msg) & 0xFFFF) + msg)
                except OSError:
                    pass
        try:
            conn.settimeout(TCP_IDLE_TIMEOUT)
            while True:
                hdr = recv_exact(conn, 2)
                if hdr is None:
                    break
                (n,) = struct.unpack("!H", hdr)
                data = recv_exact(conn, n)
                if data is None:
                    break
                try:
                    self.handle(data, "tcp", send)
                except Exception as e:
                    print("dnsserver.py: tcp: %r" % e, file=sys.stderr)
        finally:
            try:
                conn.close()
            except OSError:
                pass


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        try:
            b = conn.recv(n - len(buf))
        except (socket.timeout, OSError):
            return None
        if not b:
            return None
        buf += b
    return buf


def main():
    ap = argparse.ArgumentParser(description="loopback DNS test server")
    ap.add_argument("--addr", required=True)
    ap.add_argument("--port", required=True, type=int)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--mode", action="append", default=[])
    args = ap.parse_args()

    addr = args.addr
    if addr.startswith("[") and addr.endswith("]"):
        addr = addr[1:-1]
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        ap.error("--addr must be a numeric IP address")
    if not ip.is_loopback:
        ap.error("--addr must be a loopback address (127.0.0.0/8 or ::1)")
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    if not 1 <= args.port <= 65535:
        ap.error("bad --port")
    try:
        modes = [parse_mode(m) for m in args.mode]
    except ValueError as e:
        ap.error(str(e))
    try:
        zone = load_zone(args.zone)
    except (OSError, ValueError) as e:
        print("dnsserver.py: zone: %s" % e, file=sys.stderr)
        sys.exit(2)

    srv = Server(args, zone, modes)
    try:
        srv.udp = make_socket(family, socket.SOCK_DGRAM, addr, args.port)
        srv.tcp = make_socket(family, socket.SOCK_STREAM, addr, args.port)
        srv.tcp.listen(128)
        if any(k == "wrongsource" for k, _, _ in modes):
            if args.port >= 65535:
                raise OSError("no port PORT+1 for wrongsource")
            srv.udp_alt = make_socket(family, socket.SOCK_DGRAM, addr,
                                      args.port + 1)
    except OSError as e:
        print("dnsserver.py: bind %s port %d: %s" % (addr, args.port, e),
              file=sys.stderr)
        sys.exit(1)

    serve_until_stopped(args.ready, [(recv_forever, srv.udp, srv.udp_datagram),
                                     (accept_forever, srv.tcp, srv.tcp_conn)],
                        srv.log)


if __name__ == "__main__":
    main()
