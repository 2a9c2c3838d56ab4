# send2.py HOW TOKEN_OK TOKEN_DENIED: get a UDP socket (HOW), send TOKEN_OK to
# 127.0.0.2:9001 and TOKEN_DENIED to 127.0.0.3:9001; print each result (ok or
# the errno name).  HOW: fd:N (the socket on fd N), unix:PATH (received over a
# unix socket at PATH), dup (a dup of a new socket whose first fd is closed,
# used 0.5 s later), exec (a new socket kept across exec of this script)
import os, socket, sys, time
from libhelper import send_tokens
how, tok_ok, tok_deny = sys.argv[1:4]
if how.startswith("fd:"):
    u = socket.socket(fileno=int(how[3:]))
elif how.startswith("unix:"):
    c = socket.socket(socket.AF_UNIX)
    c.connect(how[5:])
    msg, fds, _, _ = socket.recv_fds(c, 16, 1)
    u = socket.socket(fileno=fds[0])
elif how == "dup":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = os.dup(s.fileno())
    s.close()
    time.sleep(0.5)
    u = socket.socket(fileno=n)
elif how == "exec":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    os.set_inheritable(s.fileno(), True)
    os.execv(sys.executable, [sys.executable, sys.argv[0], "fd:%d" % s.fileno(), tok_ok, tok_deny])
print(*send_tokens(u, tok_ok, tok_deny), flush=True)
