#!/usr/bin/env python3
"""ll_connect.py ZONE: a TCP connect to [fe80::1%ZONE]:9000 (ZONE a name or an
index); prints the errno name, or ok.  netpin's denial is EHOSTUNREACH (or the
errno --deny-errno chose); anything else is the kernel's own answer."""
import errno
import socket
import sys

zone = sys.argv[1]
index = int(zone) if zone.isdigit() else socket.if_nametoindex(zone)
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(3)
try:
    s.connect(("fe80::1", 9000, 0, index))
    print("ok")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)) if e.errno else "timeout")
