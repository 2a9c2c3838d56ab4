# spair.py: a socketpair shared by a parent and the child it forks: data both
# ways, then the child closes its end and lives on until the parent has read
# EOF (30 s at most); prints what the parent read, how long after its own
# send EOF came, and whether the child was alive then
import os, select, socket, time
a, b = socket.socketpair()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    a.close()
    os.close(w)
    b.sendall(b"from-child;")
    b.sendall(b"child-got:" + b.recv(100))
    b.close()
    select.select([r], [], [], 30)  # the parent closes w once it has read EOF
    os._exit(0)
os.close(r)
b.close()
a.settimeout(40)
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
os.close(w)
os.waitpid(pid, 0)
print(data.decode(), "eof=%.3f" % el, "child_alive_at_eof=%d" % alive)
