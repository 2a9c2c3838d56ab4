#!/usr/bin/env python3
"""rawreq — send bytes on one TCP connection, print what came back.

    rawreq.py ADDR PORT REQUEST [REQUEST...]

Each REQUEST (Python escapes: \\r\\n) is sent in turn on one connection,
after the answer to the one before has begun to arrive.  Prints the first
line of each answer ("closed" when the connection ended, "reset" when it
was reset).  A blocking socket: the connect is as a plain client's.
"""
import socket, sys, codecs

addr, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect((addr, port))
except OSError as e:
    print("connect: %s" % (e.strerror or e))
    sys.exit(1)
print("peer %s %d" % s.getpeername()[:2])
for req in sys.argv[3:]:
    data = codecs.decode(req, "unicode_escape").encode("latin-1")
    try:
        s.sendall(data)
        got = s.recv(65536)
    except ConnectionResetError:
        print("reset")
        break
    except OSError as e:
        print("error: %s" % e)
        break
    if not got:
        print("closed")
        break
    print(got.split(b"\r\n", 1)[0].decode("latin-1"))
    if b"netpin" in got:
        print("netpin said: " + got.decode("latin-1").split("\r\n\r\n", 1)[-1].strip())
