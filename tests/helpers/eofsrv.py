# eofsrv.py HOST PORT OUT: for each connection, "DATA eof|ERROR SECONDS" in OUT,
# SECONDS from accept to EOF
import socket, sys, threading, time
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.listen(64)
lock = threading.Lock()
def serve(c):
    t0 = time.monotonic()
    data, how = b"", "eof"
    c.settimeout(20)
    try:
        while True:
            d = c.recv(4096)
            if not d:
                break
            data += d
    except OSError as e:
        how = type(e).__name__
    el = time.monotonic() - t0
    with lock, open(out, "a") as f:
        f.write("%s %s %.3f\n" % (data.decode("latin-1").replace("\n", "\\n"), how, el))
open(out + ".ready", "w").close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
