# accepters.py: 6 rounds: 8 processes block in accept() on one listener, "ready R"; once 4
# connections are taken (or after 3 s) all 8 are killed, "killed R: N taken".
# Then the parent takes 4 more connections itself, answering "echo:DATA".
import os, select, signal, socket, time
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
L = socket.socket()
L.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
L.bind(("127.0.0.2", 9137)); L.listen(16)
for rnd in range(1, 7):
    r, w = os.pipe()
    kids = []
    for i in range(8):
        pid = os.fork()
        if pid == 0:
            os.close(r)
            c, _ = L.accept()
            os.write(w, b"x")
            time.sleep(20)
            os._exit(0)
        kids.append(pid)
    os.close(w)
    time.sleep(0.1)
    print("ready", rnd, flush=True)
    taken = b""
    t0 = time.monotonic()
    while len(taken) < 4 and time.monotonic() - t0 < 3:
        if select.select([r], [], [], 0.1)[0]:
            taken += os.read(r, 8)
    os.close(r)
    for k in kids:
        os.kill(k, signal.SIGKILL)
        os.waitpid(k, 0)
    print("killed %d: %d taken" % (rnd, len(taken)), flush=True)
signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(3)
served = 0
try:
    for i in range(4):
        c, _ = L.accept()
        c.sendall(b"echo:" + c.recv(100))
        c.close()
        served += 1
except (Alarm, OSError) as e:
    print(type(e).__name__)
print("served", served, flush=True)
