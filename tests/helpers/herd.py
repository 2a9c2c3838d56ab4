# herd.py OUT: the clients of accepters.py, whose output is the file OUT: at
# each "ready R" a burst of 4 connections; at once after "killed 6", 4
# connections that send a token; prints each answer (or what went wrong)
import socket, sys, time
def wait_for(text):
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        with open(sys.argv[1]) as f:
            if any(l.startswith(text) for l in f):
                return
        time.sleep(0.02)
    print("no line", repr(text)); sys.exit()
for r in range(1, 7):
    wait_for("ready %d" % r)
    for i in range(4):
        socket.create_connection(("127.0.0.2", 9137), timeout=3).close()
wait_for("killed 6:")
res = []
for i in range(1, 5):
    try:
        s = socket.create_connection(("127.0.0.2", 9137), timeout=5)
        s.sendall(b"t-herd-%d" % i); s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = s.recv(100)
            if not d:
                break
            data += d
        res.append(data.decode() or "EOF")
    except OSError as e:
        res.append(type(e).__name__)
print(*res)
