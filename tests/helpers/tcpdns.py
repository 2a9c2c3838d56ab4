#!/usr/bin/env python3
"""tcpdns.py query SERVER PORT NAME: one A query for NAME over TCP; prints
"answer RCODE ADDRS..." or how the connection ended ("closed", "reset",
"timeout").
tcpdns.py idle SERVER PORT: connects, sends one byte of a query's length
and nothing more; prints "closed after N s" when the server ends the
connection (within 15 s), else "open after 15 s"."""
import random, socket, struct, sys, time

mode, server, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in server else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(15)
s.connect((server, port))
if mode == "idle":
    t0 = time.monotonic()
    s.sendall(b"\0")
    try:
        got = s.recv(2)
    except socket.timeout:
        print("open after 15 s")
        sys.exit(0)
    except ConnectionResetError:
        got = b""
    print("closed after %d s" % round(time.monotonic() - t0) if not got else "answered")
    sys.exit(0)
qid = random.randrange(65536)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(l)]) + l.encode() for l in sys.argv[4].split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s.settimeout(5)
try:
    s.sendall(struct.pack(">H", len(q)) + q)
    hdr = s.recv(2)
    if len(hdr) < 2:
        print("closed")
        sys.exit(0)
    data = b""
    while len(data) < struct.unpack(">H", hdr)[0]:
        b = s.recv(65536)
        if not b:
            break
        data += b
except socket.timeout:
    print("timeout")
    sys.exit(0)
except (ConnectionResetError, BrokenPipeError):
    print("reset")
    sys.exit(0)
an = struct.unpack(">H", data[6:8])[0]
addrs = [socket.inet_ntoa(data[i + 12:i + 16]) for i in range(len(q), len(data) - 15, 16)][:an]
print("answer", data[3] & 15, " ".join(addrs))
