# spair.py: a socketpair shared by a parent and the child it forks: data both
# ways, then the child closes its end and lives on 2.5 s; prints what the
# parent read, how long after its own send EOF came, and whether the child
# was alive then
import os, socket, sys, time
a, b = socket.socketpair()
pid = os.fork()
if pid == 0:
    a.close()
    b.sendall(b"from-child;")
    b.sendall(b"child-got:" + b.recv(100))
    b.close()
    time.sleep(2.5)
    os._exit(0)
b.close()
a.settimeout(6)
data = a.recv(100)
t0 = time.monotonic()
a.sendall(b"from-parent")
try:
    while True:
        d = a.recv(100)
        if not d:
            break
        data += d
except OSError as e:
    data += b" " + type(e).__name__.encode()
el = time.monotonic() - t0
alive = os.waitpid(pid, os.WNOHANG)[0] == 0
os.waitpid(pid, 0)
print(data.decode(), "eof=%.3f" % el, "child_alive_at_eof=%d" % alive)
