#!/usr/bin/env python3
"""pass_fd.py KIND [PATH]: pass a descriptor to itself over a unix
socketpair with SCM_RIGHTS and use the received one.
  file PATH  PATH opened read-only: prints "read=TEXT write=ERRNO" (the
             received one must be no more writable: write=EBADF)
  memfd      a memfd holding "memfd-data": prints "read=memfd-data"
  fifo PATH  a FIFO at PATH (made here) opened read-write: writes through the
             received one, reads through the first: prints "fifo=ok"
"""
import errno
import os
import socket
import sys


def passed(fd):
    a, b = socket.socketpair()
    socket.send_fds(a, [b"x"], [fd])
    return socket.recv_fds(b, 1, 1)[1][0]


kind = sys.argv[1]
if kind == "file":
    got = passed(os.open(sys.argv[2], os.O_RDONLY))
    text = os.read(got, 64).decode().strip()
    try:
        os.write(got, b"changed")
        w = "ok"
    except OSError as e:
        w = errno.errorcode.get(e.errno, str(e.errno))
    print("read=%s write=%s" % (text, w))
elif kind == "memfd":
    fd = os.memfd_create("netpin-test")
    os.write(fd, b"memfd-data")
    got = passed(fd)
    os.lseek(got, 0, os.SEEK_SET)
    print("read=%s" % os.read(got, 64).decode())
else:
    os.mkfifo(sys.argv[2])
    fd = os.open(sys.argv[2], os.O_RDWR)
    got = passed(fd)
    os.write(got, b"through")
    print("fifo=%s" % ("ok" if os.read(fd, 64) == b"through" else "lost"))
