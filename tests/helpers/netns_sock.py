# netns_sock.py TOKEN: make a TCP socket (prints the errno's name and exits 1
# when socket() fails), connect it to 127.0.0.2:9000 and send TOKEN; prints
# "ok ok", or "ok" and the connect's errno
import errno, socket, sys
try:
    s = socket.socket()
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno)); sys.exit(1)
try:
    s.connect(("127.0.0.2", 9000)); s.sendall(sys.argv[1].encode()); print("ok ok")
except OSError as e:
    print("ok", errno.errorcode.get(e.errno, e.errno))
