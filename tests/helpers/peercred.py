# peercred.py PATH: a unix socket at PATH that only its owner may connect to
# (0600); prints the uid of its first client (within 8 s)
import socket, struct, sys, os
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(4); s.settimeout(8)
c, _ = s.accept()
print(struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1], flush=True)
