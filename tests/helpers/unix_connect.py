#!/usr/bin/env python3
"""unix_connect.py PATH...: a stream connect to each unix socket PATH;
prints one word per path: ok, or the errno's name."""
import errno
import socket
import sys

words = []
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        words.append("ok")
    except OSError as e:
        words.append(errno.errorcode.get(e.errno, str(e.errno)))
    s.close()
print(" ".join(words))
