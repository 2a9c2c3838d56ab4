#!/usr/bin/env bash
# checked: names in the connection.  A TCP connection that only name rules
# allow must name its host (TLS's server name on 443, HTTP's Host on 80, or
# on every port with tls: and http:) before a byte reaches the destination.
# Servers (tests/helpers/namesrv.py) on 127.0.0.2 log what reached them.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

if ! names_cert; then
	skip "checked: every test" "openssl cannot make a certificate"
	exit 0
fi
cat >"$T/hosts" <<EOF
127.0.0.2 good.example other.example
127.0.0.3 evil.example
EOF
if ! namesrv 127.0.0.2:443:tls 127.0.0.2:80:http 127.0.0.2:8443:tls 127.0.0.2:8081:http; then
	skip "checked: every test" "the test servers cannot listen: $NAMESRV_ERR"
	exit 0
fi
N=(--resolv "$T/resolv.empty" --hosts "$T/hosts")
CURL=(curl -sS --max-time 10 --cacert "$T/cert.pem")
EVIL=(--resolve evil.example:443:127.0.0.2 --resolve evil.example:8443:127.0.0.2)
# the servers log a connection's lines as it goes: snew waits a little
SNEW_WAIT=0.3

# ---- TLS: the server name --------------------------------------------------------
smark
run "${N[@]}" -a good.example:443 -- "${CURL[@]}" https://good.example/t1
[ "$rc:$out" = "0:tls good.example /t1 0" ] && snew | grep -qx "tls 127.0.0.2:443 good.example /t1" &&
	pass "tls: a server name its rule names goes through" ||
	fail "tls: a server name its rule names goes through" "rc $rc out '$out' err $err"
run "${N[@]}" -a good.example:443 -a other.example:443 -- "${CURL[@]}" https://other.example/t2
[ "$rc:$out" = "0:tls other.example /t2 0" ] &&
	pass "tls: another allowed name on the same front end goes through" ||
	fail "tls: another allowed name on the same front end goes through" "rc $rc out '$out' err $err"
smark
run "${N[@]}" --log "$T/t3.json" -a good.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/t3
t3=$err
case "$rc:$err" in
35:*"netpin: denied tls to 127.0.0.2:443/tcp naming evil.example by curl"*)
	if [[ $err == *"alert access denied"* ]] && nothing_reached 443; then
		pass "tls: another name on an allowed address is refused (a TLS alert), nothing reaches it"
	else
		fail "tls: another name on an allowed address is refused (a TLS alert), nothing reaches it" "err $err server: $(snew)"
	fi ;;
*) fail "tls: another name on an allowed address is refused (a TLS alert), nothing reaches it" "rc $rc err $err" ;;
esac
grep -q '"verdict":"deny".*"port":443,"sni":"evil.example"' "$T/t3.json" &&
	pass "tls: the log's deny event names the server name asked (sni)" ||
	fail "tls: the log's deny event names the server name asked (sni)" "$(cat "$T/t3.json")"
case $t3 in
*"summary: 1 call denied"*"127.0.0.2:443/tcp (tls) 1 time, name evil.example"*)
	pass "tls: the summary counts the refused name" ;;
*) fail "tls: the summary counts the refused name" "$t3" ;;
esac
smark
run "${N[@]}" -a good.example:443 -- python3 -c 'import socket, ssl, sys
c = ssl.create_default_context(cafile=sys.argv[1]); c.check_hostname = False
s = socket.create_connection(("127.0.0.2", 443), timeout=10)
try:
    c.wrap_socket(s); print("handshake")
except ssl.SSLError as e:
    print("refused", e.reason)' "$T/cert.pem"
[ "$out" = "refused TLSV1_ALERT_ACCESS_DENIED" ] && nothing_reached 443 &&
	pass "tls: a ClientHello with no server name is refused" ||
	fail "tls: a ClientHello with no server name is refused" "out '$out' err $err server $(snew)"
run "${N[@]}" -a good.example:443 -- python3 -c 'import urllib.request, ssl, sys
c = ssl.create_default_context(cafile=sys.argv[1])
print(urllib.request.urlopen("https://good.example/t5", context=c, timeout=10).read().decode().strip())' "$T/cert.pem"
[ "$out" = "tls good.example /t5 0" ] &&
	pass "tls: a blocking client (python urllib) goes through" ||
	fail "tls: a blocking client (python urllib) goes through" "out '$out' err $err"
run "${N[@]}" -a good.example:443 -- "${CURL[@]}" -o /dev/null -w '%{remote_ip}:%{remote_port}' https://good.example/t6
[ "$out" = "127.0.0.2:443" ] &&
	pass "tls: getpeername() says the destination, not netpin" ||
	fail "tls: getpeername() says the destination, not netpin" "out '$out' err $err"
# bulk goes through a pipe, then (once one fills) netpin's buffer, at most
# 16 at once, the rest on their pipes: byte for byte, in order, either way
big_sum() { "$HELPERS/namesrv.py" --sum "$1"; }
run "${N[@]}" -a good.example:443 -- "${CURL[@]}" -o "$T/big.out" -w '%{size_download}' https://good.example/big/33554432
[ "$out" = 33554432 ] && [ "$(sha256sum <"$T/big.out" | cut -c1-64)" = "$(big_sum 33554432)" ] &&
	pass "tls: 32 MiB come through whole, byte for byte" ||
	fail "tls: 32 MiB come through whole, byte for byte" "out '$out' err $err"
head -c 25165824 /dev/urandom >"$T/up.bin"
run "${N[@]}" -a good.example:443 -- "${CURL[@]}" --data-binary @"$T/up.bin" https://good.example/sum
[ "$out" = "tls good.example /sum $(sha256sum <"$T/up.bin" | cut -c1-64)" ] &&
	pass "tls: a 24 MiB upload reaches the server byte for byte" ||
	fail "tls: a 24 MiB upload reaches the server byte for byte" "out '$out' err $err"
# a slow reader: the pipe is still full when the way turns to bulk
run "${N[@]}" -a good.example:443 -- "${CURL[@]}" --limit-rate 8M -o "$T/big.out" -w '%{size_download}' https://good.example/big/12582912
[ "$out" = 12582912 ] && [ "$(sha256sum <"$T/big.out" | cut -c1-64)" = "$(big_sum 12582912)" ] &&
	pass "tls: 12 MiB to a slow reader come through byte for byte" ||
	fail "tls: 12 MiB to a slow reader come through byte for byte" "out '$out' err $err"
rm -f "$T/big.out" "$T/up.bin"
run "${N[@]}" -a good.example:443 -- bash -c 'for i in $(seq 20); do
	curl -sS --max-time 20 --cacert "$1" -o "$2/many.$i" https://good.example/big/8388608 &
done; wait' - "$T/cert.pem" "$T"
want=$(big_sum 8388608) whole=0
for i in $(seq 20); do
	[ "$(sha256sum <"$T/many.$i" 2>/dev/null | cut -c1-64)" = "$want" ] && whole=$((whole + 1))
	rm -f "$T/many.$i"
done
[ "$rc:$whole" = 0:20 ] &&
	pass "tls: 20 downloads of 8 MiB at once (more than the 16 bulk buffers) come through byte for byte" ||
	fail "tls: 20 downloads of 8 MiB at once (more than the 16 bulk buffers) come through byte for byte" "rc $rc whole $whole of 20 err $err"
run "${N[@]}" -a tls:good.example:444 -- "${CURL[@]}" https://good.example:444/t7
case "$rc:$err" in
7:*) pass "tls: a destination that refuses: the connect is refused, as without the check" ;;
*) fail "tls: a destination that refuses: the connect is refused, as without the check" "rc $rc err $err" ;;
esac
run "${N[@]}" -a tls:good.example:444 -- "$HELPERS/rawreq.py" 127.0.0.2 444
[ "$out" = "connect: Connection refused" ] &&
	pass "tls: a blocking connect to a destination that refuses gets ECONNREFUSED" ||
	fail "tls: a blocking connect to a destination that refuses gets ECONNREFUSED" "out '$out' err $err"

# ---- what is not checked -----------------------------------------------------------
run "${N[@]}" -a 127.0.0.2:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/t8
[ "$out" = "tls evil.example /t8 0" ] &&
	pass "not checked: an address rule allows any name" ||
	fail "not checked: an address rule allows any name" "rc $rc out '$out' err $err"
run "${N[@]}" -a good.example:443 -a 127.0.0.2:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/t9
[ "$out" = "tls evil.example /t9 0" ] &&
	pass "not checked: a name rule and an address rule that both allow it" ||
	fail "not checked: a name rule and an address rule that both allow it" "rc $rc out '$out' err $err"
run "${N[@]}" -a raw:good.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/t10
[ "$out" = "tls evil.example /t10 0" ] &&
	pass "not checked: raw: opts a rule out" ||
	fail "not checked: raw: opts a rule out" "rc $rc out '$out' err $err"
run "${N[@]}" -a good.example:8443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example:8443/t11
[ "$out" = "tls evil.example /t11 0" ] &&
	pass "not checked: a name rule on a port other than 80 and 443" ||
	fail "not checked: a name rule on a port other than 80 and 443" "rc $rc out '$out' err $err"
smark
run "${N[@]}" -a tls:good.example:8443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example:8443/t12
t12=$err
[ "$rc" = 35 ] && nothing_reached 8443 &&
	pass "tls: tls: checks another port" ||
	fail "tls: tls: checks another port" "rc $rc out '$out' err $err"
# the denial's tip is the rule --learn writes: with the check kept (a
# plain evil.example:8443 would let every name on the address through)
[[ $t12 == *"naming evil.example by curl"*"(allow with --allow tls:evil.example:8443)"* ]] &&
	[[ $t3 == *"(allow with --allow tcp:evil.example:443)"* ]] &&
	pass "tls: the denial's tip keeps the check off 443 (tls:NAME:PORT), as --learn does" ||
	fail "tls: the denial's tip keeps the check off 443 (tls:NAME:PORT), as --learn does" "err $t12"

# ---- HTTP: every request's Host ----------------------------------------------------
run "${N[@]}" -a good.example:80 -- "${CURL[@]}" http://good.example/t13
[ "$out" = "http good.example /t13 0" ] &&
	pass "http: a Host its rule names goes through" ||
	fail "http: a Host its rule names goes through" "rc $rc out '$out' err $err"
smark
run "${N[@]}" -a good.example:80 -- "${CURL[@]}" -H 'Host: evil.example' http://good.example/t14
case "$out:$err" in
*"netpin: this command may not ask for the host evil.example here"*"denied http to 127.0.0.2:80/tcp naming evil.example"*)
	# the body is a line: it ends in a newline
	[ "$(tail -c 1 "$T/out" | od -An -tx1 | tr -d ' ')" = 0a ] && nothing_reached 80 &&
		pass "http: another Host gets a 403 from netpin (a body that ends in a newline), nothing reaches the server" ||
		fail "http: another Host gets a 403 from netpin (a body that ends in a newline), nothing reaches the server" \
			"server $(snew) body end $(tail -c 1 "$T/out" | od -An -tx1)" ;;
*) fail "http: another Host gets a 403 from netpin (a body that ends in a newline), nothing reaches the server" "rc $rc out '$out' err $err" ;;
esac
smark
run "${N[@]}" -a good.example:80 -- "$HELPERS/rawreq.py" 127.0.0.2 80 \
	'GET /t15a HTTP/1.1\r\nHost: good.example\r\n\r\n' 'GET /t15b HTTP/1.1\r\nHost: evil.example\r\n\r\n'
case "$out" in
"peer 127.0.0.2 80"*"HTTP/1.1 200 OK"*"HTTP/1.1 403 Forbidden"*)
	snew | grep -q ' /t15a$' && ! snew | grep -q ' /t15b$' &&
		pass "http: each request on a kept-alive connection is checked" ||
		fail "http: each request on a kept-alive connection is checked" "server $(snew)" ;;
*) fail "http: each request on a kept-alive connection is checked" "out '$out' err $err" ;;
esac
run "${N[@]}" -a good.example:80 -- "$HELPERS/rawreq.py" 127.0.0.2 80 \
	'POST /t16 HTTP/1.1\r\nHost: good.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' \
	'GET /t16b HTTP/1.1\r\nHost: evil.example\r\n\r\n'
case "$out" in
*"HTTP/1.1 200 OK"*"HTTP/1.1 403 Forbidden"*) pass "http: a request after a chunked body is checked" ;;
*) fail "http: a request after a chunked body is checked" "out '$out' err $err" ;;
esac
for shape in 'two Hosts|GET / HTTP/1.1\r\nHost: good.example\r\nHost: evil.example\r\n\r\n' \
	'a folded header|GET / HTTP/1.1\r\nHost: good.example\r\nX: a\r\n b\r\n\r\n' \
	'length and chunked|POST / HTTP/1.1\r\nHost: good.example\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n' \
	'an absolute target naming another host|GET http://evil.example/ HTTP/1.1\r\nHost: good.example\r\n\r\n' \
	'CONNECT|CONNECT evil.example:443 HTTP/1.1\r\nHost: good.example\r\n\r\n' \
	'no HTTP|SSH-2.0-OpenSSH_9.2\r\n'; do
	smark
	run "${N[@]}" -a good.example:80 -- "$HELPERS/rawreq.py" 127.0.0.2 80 "${shape#*|}"
	case "$out" in
	*$'\n'reset | *$'\n'closed)
		nothing_reached 80 && pass "http: refused, nothing reaches the server: ${shape%%|*}" ||
			fail "http: refused, nothing reaches the server: ${shape%%|*}" "server $(snew)" ;;
	*) fail "http: refused, nothing reaches the server: ${shape%%|*}" "out '$out' err $err" ;;
	esac
done
run "${N[@]}" -a http:good.example:8081 -- "${CURL[@]}" -H 'Host: evil.example' http://good.example:8081/t17
t17=$err
case $out in
*"may not ask for the host evil.example"*) pass "http: http: checks another port" ;;
*) fail "http: http: checks another port" "rc $rc out '$out' err $err" ;;
esac
[[ $t17 == *"(allow with --allow http:evil.example:8081)"* ]] &&
	pass "http: the denial's tip keeps the check off 80 (http:NAME:PORT)" ||
	fail "http: the denial's tip keeps the check off 80 (http:NAME:PORT)" "err $t17"

run "${N[@]}" -a good.example:80 -- python3 -c 'import socket
s = socket.socket()
try:
    s.sendto(b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", socket.MSG_FASTOPEN, ("127.0.0.2", 80))
    print("sent")
except OSError as e:
    print(e.errno)'
[ "$out" = 95 ] &&
	pass "tcp fast open (MSG_FASTOPEN) to a checked destination is refused (EOPNOTSUPP)" ||
	fail "tcp fast open (MSG_FASTOPEN) to a checked destination is refused (EOPNOTSUPP)" "out '$out' err $err"

# ---- QUIC, --audit ------------------------------------------------------------------
run "${N[@]}" -a good.example:443 -- "$OP" udp-sendto 127.0.0.2 443 t-quic
[ "$out" = "$DENY" ] &&
	pass "quic: UDP to a checked name's 443 is refused (its name cannot be seen)" ||
	fail "quic: UDP to a checked name's 443 is refused (its name cannot be seen)" "out '$out' err $err"
run "${N[@]}" -a udp:good.example:443 -- "$OP" udp-sendto 127.0.0.2 443 t-quic
[ "$out" = ok ] &&
	pass "quic: a udp: rule allows it" ||
	fail "quic: a udp: rule allows it" "out '$out' err $err"
smark
run "${N[@]}" --audit -a good.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/t18
case "$rc:$out:$err" in
"0:tls evil.example /t18 0:"*"audit: would deny tls to 127.0.0.2:443/tcp naming evil.example"*)
	pass "--audit: another name is said and let through" ;;
*) fail "--audit: another name is said and let through" "rc $rc out '$out' err $err" ;;
esac

# ---- at the command's exit ------------------------------------------------------------
smark
run "${N[@]}" -a good.example:80 -- python3 -c 'import os, socket
s = socket.create_connection(("127.0.0.2", 80))
body = b"u" * 16777216
s.sendall(b"POST /slow19 HTTP/1.1\r\nHost: good.example\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
os._exit(0)'
sleep 1.5
case $(snew) in
*"bytes 127.0.0.2:80 16777287"*) pass "exit: an upload the command left behind reaches the server whole" ;;
*) fail "exit: an upload the command left behind reaches the server whole" "rc $rc err $err server $(snew)" ;;
esac

# ---- the budget: half of netpin's RLIMIT_NOFILE, 8 descriptors each ---------------------
# under a hard limit of 200: 12 at once; the 13th fails with ENOBUFS and is said
NPW=$NP
NP() { prlimit --nofile=200:200 "$NPW" "$@"; }
NP=NP
run "${N[@]}" -a good.example:80 -- python3 -c 'import errno, socket
held = []
for i in range(40):
    s = socket.socket()
    try:
        s.connect(("127.0.0.2", 80))
    except OSError as e:
        print(len(held), errno.errorcode.get(e.errno)); break
    held.append(s)
else:
    print(len(held), "none refused")'
first_out=$out first_err=$err
# while a checked connect waits for a place (up to 2 s), the command's other
# calls go on: a connect that an address rule allows is done before the
# waiting one ends (not timed: a loaded machine makes it slow, not late)
run "${N[@]}" -a good.example:80 -a 127.0.0.2:8081 -- python3 -c 'import errno, socket, threading, time
held = [socket.create_connection(("127.0.0.2", 80)) for i in range(12)]
res = {}
def late():
    t = time.monotonic()
    try:
        socket.create_connection(("127.0.0.2", 80))
        res["late"] = "connected"
    except OSError as e:
        res["late"] = errno.errorcode.get(e.errno)
    res["waited"] = time.monotonic() - t >= 1.5
th = threading.Thread(target=late)
th.start()
time.sleep(0.3)
t = time.monotonic()
socket.create_connection(("127.0.0.2", 8081))
other = time.monotonic() - t
first = "late" not in res
th.join()
print(res["late"], "waited" if res["waited"] else "no wait", "other at once" if first else "other after the waiting one, %.1f s" % other)'
NP=$NPW
case "$out" in
"ENOBUFS waited other at once") pass "budget: a checked connect waiting for a place holds up no other call" ;;
*) fail "budget: a checked connect waiting for a place holds up no other call" "out '$out' err $err" ;;
esac
out=$first_out err=$first_err
case "$out:$err" in
"12 ENOBUFS:"*"netpin: 12 connections whose names netpin checks are open, the most it carries at once"*)
	pass "budget: beyond half of RLIMIT_NOFILE (8 each), a checked connect fails with ENOBUFS and is said" ;;
*) fail "budget: beyond half of RLIMIT_NOFILE (8 each), a checked connect fails with ENOBUFS and is said" "rc $rc out '$out' err $err" ;;
esac

# ---- a command in a network namespace of its own ------------------------------------------
# netpin reaches the destination from its own namespace: it refuses rather
# than carry the command's connection out of the command's namespace (the
# addfd mode refuses the socket() already: netpin would make it in its own)
what="netns: a checked connect from a namespace of the command's own is refused and said"
# (python: the end of a command that connects socket s to 127.0.0.2:80)
CONNECT_80='
try:
    s.connect(("127.0.0.2", 80))
    print("connected")
except OSError as e:
    print("connect", errno.errorcode.get(e.errno))'
if unshare -rn true 2>/dev/null; then
	run "${N[@]}" -a good.example:80 -- unshare -rn python3 -c 'import errno, socket
try:
    s = socket.socket()
except OSError as e:
    print("socket", errno.errorcode.get(e.errno)); raise SystemExit'"$CONNECT_80"
	case "$MODE:$out:$err" in
	addfd:"socket EACCES:"*"is in a network namespace of its own; without pidfd_getfd netpin cannot make its sockets: call denied"* | \
	pidfd_getfd:"connect EACCES:"*"is in a network namespace of its own: netpin cannot check the names in its connections: connect denied"*)
		pass "$what" ;;
	*) fail "$what" "rc $rc out '$out' err $err" ;;
	esac
	# a socket made in such a namespace and passed to a process in netpin's
	# own: the socket's namespace counts, not the caller's (SO_NETNS_COOKIE)
	what="netns: a socket made in another namespace, connected from netpin's, is refused"
	if [ "$MODE" = addfd ]; then
		skip "$what" "the addfd mode refuses the socket() already (tested above)"
	elif ! python3 -c 'import socket; socket.socket().getsockopt(socket.SOL_SOCKET, 71, 8)' 2>/dev/null; then
		skip "$what" "no SO_NETNS_COOKIE (Linux < 5.14): the caller's namespace stands for its socket's"
	else
		run "${N[@]}" -a good.example:80 -- python3 -c 'import ctypes, errno, os, socket
a, b = socket.socketpair()
if os.fork() == 0:
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000 | 0x40000000):
        os._exit(3)  # CLONE_NEWUSER | CLONE_NEWNET
    s = socket.socket()
    socket.send_fds(b, [b"x"], [s.fileno()])
    os._exit(0)
_, fds, _, _ = socket.recv_fds(a, 1, 1)
os.wait()
s = socket.socket(fileno=fds[0])'"$CONNECT_80"
		case "$out:$err" in
		"connect EACCES:"*"socket is in a network namespace of its own"*) pass "$what" ;;
		*) fail "$what" "rc $rc out '$out' err $err" ;;
		esac
	fi
else
	skip "$what" "unshare -rn does not work for $(id -un)"
fi

# ---- half-close: the command's shutdown(SHUT_WR) reaches the server as EOF,
# and the answer still comes back, then EOF
smark
run "${N[@]}" -a good.example:80 -- python3 -c 'import socket
s = socket.create_connection(("127.0.0.2", 80), timeout=10)
s.sendall(b"GET /t30 HTTP/1.1\r\nHost: good.example\r\n\r\n")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
print(got.split(b"\r\n")[0].decode(), got.rsplit(b"\r\n\r\n", 1)[-1].decode().strip(), "eof")'
case "$out" in
"HTTP/1.1 200 OK http good.example /t30 0 eof")
	snew | grep -qx "bytes 127.0.0.2:80 41" &&
		pass "half-close: shutdown(SHUT_WR) reaches the server, the answer and then EOF come back" ||
		fail "half-close: shutdown(SHUT_WR) reaches the server, the answer and then EOF come back" "server $(snew)" ;;
*) fail "half-close: shutdown(SHUT_WR) reaches the server, the answer and then EOF come back" "rc $rc out '$out' err $err" ;;
esac
