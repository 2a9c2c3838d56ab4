# orphan.py TOKEN_OK TOKEN_DENIED: the child makes a UDP socket, its parent exits; the orphan sends 0.6 s later
import errno, os, socket, sys, time
r, w = os.pipe()
if os.fork():
    os.close(w)
    os.read(r, 1)
    os._exit(0)
os.close(r)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ppid = os.getppid()
os.write(w, b"x")
os.close(w)
t0 = time.monotonic()
while os.getppid() == ppid and time.monotonic() - t0 < 5:
    time.sleep(0.01)
orphaned = int(os.getppid() != ppid)
time.sleep(0.6)
res = []
for host, tok in (("127.0.0.2", sys.argv[1]), ("127.0.0.3", sys.argv[2])):
    try:
        u.sendto(tok.encode(), (host, 9001))
        res.append("ok")
    except OSError as e:
        res.append(errno.errorcode.get(e.errno, str(e.errno)))
print("orphaned=%d" % orphaned, *res, flush=True)
