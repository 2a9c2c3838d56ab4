#!/usr/bin/env python3
"""A DNS server that answers every name: the attacker's own upstream
(issue 17, items 4 and 5).  Stdlib only, UDP only.

usage: anydns.py --port PORT --log FILE --ready FILE

Listens on 127.0.0.1:PORT.  An A query for any name, whatever bytes its
labels hold, gets one A record 127.0.0.N, N = 100 + the order in which the
name was first asked (1, 2, ...; up to 150 names, then 127.0.0.250), so
that each name pins its own address; AAAA and other types get NOERROR with
no answer.  --log gets one line per query: the name's labels with every
byte outside printable ASCII (and '.', '\\') as \\DDD, then the type.
"ready\\n" is written to --ready (temp file + rename) once listening.
"""

import argparse
import os
import socket
import struct


def labels_of(data):
    """the question's labels and the offset after QTYPE/QCLASS, or None"""
    off, labels = 12, []
    while off < len(data):
        n = data[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 or off + 1 + n > len(data):
            return None
        labels.append(data[off + 1:off + 1 + n])
        off += 1 + n
    else:
        return None
    if off + 4 > len(data):
        return None
    return labels, off + 4


def text_of(labels):
    def esc(b):
        return "".join(chr(c) if 0x21 <= c < 0x7F and c not in (0x2E, 0x5C)
                       else "\\%03d" % c for c in b)
    return ".".join(esc(lab) for lab in labels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--ready", required=True)
    args = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", args.port))
    log = open(args.log, "a", encoding="ascii")
    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("ready\n")
    os.rename(tmp, args.ready)
    seen = {}
    while True:
        data, peer = s.recvfrom(65535)
        q = labels_of(data)
        if len(data) < 12 or data[2] & 0x80 or q is None:
            continue
        labels, end = q
        qtype = struct.unpack("!H", data[end - 4:end - 2])[0]
        key = b".".join(lab.lower() for lab in labels)
        log.write("%s %d\n" % (text_of(labels), qtype))
        log.flush()
        flags = 0x8400 | (data[2] & 0x01) << 8  # QR, AA, RD as asked
        answer = b""
        if qtype == 1:
            n = seen.setdefault(key, len(seen) + 1)
            addr = bytes([127, 0, 0, 100 + n if n <= 150 else 250])
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + addr
        reply = (data[:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0,
                                        0, 0) + data[12:end] + answer)
        s.sendto(reply, peer)


if __name__ == "__main__":
    main()
