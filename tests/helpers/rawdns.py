# rawdns.py SERVER PORT NAME: one A query for NAME straight to SERVER:PORT
# over UDP; prints the reply's source address and port, its rcode and the
# addresses of its answers
import socket, struct, sys, random
server, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
fam = socket.AF_INET6 if ":" in server else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(3)
qid = random.randrange(65536)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s.sendto(q, (server, port))
data, src = s.recvfrom(2048)
assert struct.unpack(">H", data[:2])[0] == qid
an = struct.unpack(">H", data[6:8])[0]
addrs = [socket.inet_ntoa(data[i + 12:i + 16]) for i in range(len(q), len(data) - 15, 16)][:an]
print(src[0], src[1], data[3] & 15, " ".join(addrs))
