# ucli.py PATH: connect a unix socket to PATH; prints connected or the
# error's name
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(type(e).__name__)
