#!/usr/bin/env python3
"""pass_fd.py FILE: open FILE read-only, pass the descriptor to itself over a
unix socketpair with SCM_RIGHTS, read it through the received one, and try
to write through it.  Prints "read=TEXT write=ERRNO" (the received one must
be no more writable than the one passed: write=EBADF)."""
import errno
import os
import socket
import sys

fd = os.open(sys.argv[1], os.O_RDONLY)
a, b = socket.socketpair()
socket.send_fds(a, [b"x"], [fd])
_, fds, _, _ = socket.recv_fds(b, 1, 1)
got = os.read(fds[0], 64).decode().strip()
try:
    os.write(fds[0], b"changed")
    w = "ok"
except OSError as e:
    w = errno.errorcode.get(e.errno, str(e.errno))
print("read=%s write=%s" % (got, w))
