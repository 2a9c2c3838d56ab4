# eofsrv.py HOST PORT OUT: for each connection, "DATA eof|ERROR SECONDS" in OUT,
# SECONDS from accept to EOF
# eofsrv.py wait OUT DATA: (a client, once it has closed its connection)
# wait up to 30 s for OUT to record the EOF of the connection that carried
# DATA; prints "eof while running" when it came, else "no eof in 30 s"
import socket, sys, threading, time
if sys.argv[1] == "wait":
    out, data = sys.argv[2], sys.argv[3]
    end = time.monotonic() + 30
    while time.monotonic() < end:
        with open(out) as f:
            if any(l.startswith(data + " eof ") for l in f):
                print("eof while running")
                sys.exit(0)
        time.sleep(0.05)
    print("no eof in 30 s")
    sys.exit(1)
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
s.listen(64)
lock = threading.Lock()
def serve(c):
    t0 = time.monotonic()
    data, how = b"", "eof"
    c.settimeout(60)
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
