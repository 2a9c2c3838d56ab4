# scm.py TOKEN_OK TOKEN_DENIED: the parent passes a new UDP socket and a unix
# socket to its child with SCM_RIGHTS; the child sends TOKEN_OK to
# 127.0.0.2:9001 and TOKEN_DENIED to 127.0.0.3:9001 on the one, and a line on
# the other; prints what the child and the parent saw
import os, socket, sys, time
from libhelper import send_tokens
ca, cb = socket.socketpair()
pa, pb = socket.socketpair()
pid = os.fork()
if pid == 0:
    ca.close(); pa.close(); pb.close()
    msg, fds, _, _ = socket.recv_fds(cb, 16, 2)
    time.sleep(0.5)
    u = socket.socket(fileno=fds[0])
    p = socket.socket(fileno=fds[1])
    p.sendall(b"via-passed-unix")
    p.close()
    res = send_tokens(u, sys.argv[1], sys.argv[2])
    print("child", msg.decode(), *res, flush=True)
    os._exit(0)
cb.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
socket.send_fds(ca, [b"sockets"], [u.fileno(), pb.fileno()])
u.close(); pb.close()
pa.settimeout(5)
got = pa.recv(100)
os.waitpid(pid, 0)
print("parent", got.decode(), flush=True)
