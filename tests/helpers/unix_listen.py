#!/usr/bin/env python3
"""unix_listen.py PATH...: listen on a unix stream socket at each PATH until
killed (connections wait in the backlog, unanswered)."""
import signal
import socket
import sys

socks = []
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    socks.append(s)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
