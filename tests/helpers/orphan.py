# orphan.py TOKEN_OK TOKEN_DENIED: the child makes a UDP socket, its parent exits; the orphan sends 0.6 s later
import os, socket, sys, time
from libhelper import send_tokens
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
res = send_tokens(u, sys.argv[1], sys.argv[2])
print("orphaned=%d" % orphaned, *res, flush=True)
