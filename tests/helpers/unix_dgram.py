#!/usr/bin/env python3
"""unix_dgram.py listen PATH: print every datagram received at PATH (until
killed).  unix_dgram.py send PATH TEXT: send TEXT to PATH from an unbound
datagram socket; print ok or the errno's name."""
import errno
import signal
import socket
import sys

if sys.argv[1] == "listen":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        print(s.recv(4096).decode(errors="replace"), flush=True)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(sys.argv[3].encode(), sys.argv[2])
        print("ok")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
