# unix_recv.py PATH OUT: bind a unix datagram socket at PATH, write the first
# datagram (within 5 s) to the file OUT
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(5)
open(sys.argv[2], "w").write(s.recv(100).decode())
