# giver.py PATH: on the first connection to PATH, send it a new UDP socket
import os, socket, sys
l = socket.socket(socket.AF_UNIX)
l.bind(sys.argv[1]); l.listen(1); l.settimeout(15)
c, _ = l.accept()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
socket.send_fds(c, [b"x"], [u.fileno()])
c.close()
