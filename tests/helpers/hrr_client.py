#!/usr/bin/env python3
"""hrr_client — a TLS 1.3 client whose ClientHello, retried after a
HelloRetryRequest, names another host.

    hrr_client.py ADDR PORT NAME1 NAME2 [HOW]

Raw records, no TLS library.  ClientHello #1 names NAME1 (server_name),
offers x25519 and P-256 (supported_groups) with a key share for x25519
only, so that a server that takes only P-256 (openssl s_server -groups
P-256) answers with a HelloRetryRequest.  The client checks that answer
(a ServerHello whose random is the HelloRetryRequest's value), then sends
ClientHello #2, the same but for the server name, NAME2, and a P-256 key
share (the curve's generator: a valid public key whose secret the client
does not keep) and the retry's cookie if it had one, and reads what comes
back.  HOW says how the second ClientHello goes (both, like OpenSSL's own
client, with a 32-byte session id: the middlebox compatibility mode):
  together   after a ChangeCipherSpec record, in the same send (default)
  noccs      with no ChangeCipherSpec before it
  bytes      ChangeCipherSpec and ClientHello one byte per send, 2 ms apart
  pipelined  sent with ClientHello #1, before the retry request has come
             (no cookie then)
  ech-add    ClientHello #2 carries an encrypted_client_hello extension
             (an outer one, made up), #1 none
  ech-drop   ClientHello #1 carries it, #2 none
Prints one line: "hrr ANSWER" (ANSWER: what ClientHello #2 got), or "no
hrr: ANSWER" (what #1 got, when that was no retry request).  ANSWER is
"serverhello encrypted" (a real ServerHello, then encrypted records: the
handshake went on), "serverhello" (then nothing), "alert LEVEL
DESCRIPTION" (49: access_denied), "closed", "reset", "timeout" or
"garbage HEX".  Used by the checked-hrr area of test.sh.
"""
import os, socket, struct, sys, time

addr, port, name1, name2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
how = sys.argv[5] if len(sys.argv) > 5 else "together"

HANDSHAKE, CCS, ALERT, APPDATA = 22, 20, 21, 23
X25519, P256 = 0x001d, 0x0017
EXT_SNI, EXT_GROUPS, EXT_SIGALGS, EXT_VERSIONS, EXT_COOKIE = 0, 10, 13, 43, 44
EXT_PSK_MODES, EXT_KEY_SHARE, EXT_ECH = 45, 51, 0xfe0d
# SHA-256("HelloRetryRequest"), RFC 8446 4.1.3
HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
# P-256's generator, uncompressed (SEC 1 2.3.3)
P256_G = bytes.fromhex(
    "04"
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")


def u16(n):
    return struct.pack(">H", n)


def vec8(b):
    return bytes([len(b)]) + b


def vec16(b):
    return u16(len(b)) + b


def ext(kind, body):
    return u16(kind) + vec16(body)


def record(kind, body, version=b"\x03\x03"):
    return bytes([kind]) + version + vec16(body)


RANDOM, SESSION = os.urandom(32), os.urandom(32)


def client_hello(name, group, share, cookie=None, ech=False):
    """A ClientHello record: one key share, the same random and session id
    for both hellos (RFC 8446 4.1.2: the retry changes only the share, the
    cookie and, here, the name)."""
    exts = [
        ext(EXT_SNI, vec16(b"\x00" + vec16(name.encode()))),
        ext(EXT_GROUPS, vec16(u16(X25519) + u16(P256))),
        # ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256/384/512,
        # rsa_pkcs1_sha256/384/512, ed25519
        ext(EXT_SIGALGS, vec16(b"".join(u16(a) for a in (
            0x0403, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807)))),
        ext(EXT_VERSIONS, vec8(u16(0x0304))),
        ext(EXT_PSK_MODES, vec8(b"\x01")),
        ext(EXT_KEY_SHARE, vec16(u16(group) + vec16(share))),
    ]
    if cookie is not None:
        exts.append(ext(EXT_COOKIE, cookie))
    if ech:
        # outer, HKDF-SHA256 + AES-128-GCM, config 7, a made-up enc and payload
        exts.append(ext(EXT_ECH, b"\x00" + u16(1) + u16(1) + b"\x07" +
                        vec16(os.urandom(32)) + vec16(os.urandom(144))))
    body = (b"\x03\x03" + RANDOM + vec8(SESSION) +
            vec16(u16(0x1301) + u16(0x1302) + u16(0x1303)) + vec8(b"\x00") +
            vec16(b"".join(exts)))
    return record(HANDSHAKE, b"\x01" + struct.pack(">I", len(body))[1:] + body,
                  b"\x03\x01")


def ch1():
    return client_hello(name1, X25519, os.urandom(32), ech=how == "ech-drop")


def ch2(cookie=None):
    ccs = b"" if how == "noccs" else record(CCS, b"\x01")
    return ccs + client_hello(name2, P256, P256_G, cookie, ech=how == "ech-add")


class Done(Exception):
    pass


s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(5)
buf = b""


def record_in():
    """The next record from the server: (type, body)."""
    global buf
    while len(buf) < 5 or len(buf) < 5 + struct.unpack(">H", buf[3:5])[0]:
        try:
            got = s.recv(65536)
        except socket.timeout:
            raise Done("timeout")
        except ConnectionResetError:
            raise Done("reset")
        if not got:
            raise Done("closed")
        buf += got
    n = 5 + struct.unpack(">H", buf[3:5])[0]
    rec, buf = buf[:n], buf[n:]
    return rec[0], rec[5:]


def server_hello():
    """The server's ServerHello (ChangeCipherSpec records skipped): its
    random and its extensions, {type: body}; an alert or anything else
    ends the client."""
    while True:
        kind, body = record_in()
        if kind == CCS:
            continue
        if kind == ALERT and len(body) == 2:
            raise Done("alert %d %d" % (body[0], body[1]))
        if kind != HANDSHAKE or len(body) < 4 or body[0] != 2:
            raise Done("garbage %s" % bytes([kind]).hex() + body[:8].hex())
        sh = body[4:]
        off = 34 + 1 + sh[34] + 3          # session id, cipher suite, compression
        exts, end = {}, off + 2 + struct.unpack(">H", sh[off:off + 2])[0]
        off += 2
        while off + 4 <= end:
            kind, n = struct.unpack(">HH", sh[off:off + 4])
            exts[kind] = sh[off + 4:off + 4 + n]
            off += 4 + n
        return sh[2:34], exts


def after_hello():
    """What follows a real ServerHello: encrypted records, or not."""
    try:
        while True:
            kind, _ = record_in()
            if kind == APPDATA:
                return "serverhello encrypted"
    except Done:
        return "serverhello"


def send(data):
    if how != "bytes":
        s.sendall(data)
        return
    for i in range(len(data)):
        s.sendall(data[i:i + 1])
        time.sleep(0.002)


try:
    try:
        s.connect((addr, port))
        s.sendall(ch1() + (ch2() if how == "pipelined" else b""))
        rnd, exts = server_hello()
    except Done as e:
        print("no hrr: %s" % e)
        sys.exit(0)
    if rnd != HRR_RANDOM:
        print("no hrr: serverhello")
        sys.exit(0)
    if how != "pipelined":
        cookie = exts.get(EXT_COOKIE)
        send(ch2(cookie))
    try:
        rnd, exts = server_hello()
    except Done as e:
        print("hrr %s" % e)
        sys.exit(0)
    print("hrr " + ("second retry request" if rnd == HRR_RANDOM else after_hello()))
except OSError as e:
    print("error %s" % (e.strerror or e))
