# cli.py HOST PORT TOKEN: connect from 127.0.0.6, send TOKEN and a newline,
# print the answer (up to EOF) and the local port
import socket, sys
s = socket.socket()
s.settimeout(5)
s.bind(("127.0.0.6", 0))
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    s.sendall(sys.argv[3].encode() + b"\n")
    data = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        data += d
    print(data.decode().strip(), s.getsockname()[1])
except OSError as e:
    print(type(e).__name__)
