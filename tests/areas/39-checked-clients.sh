#!/usr/bin/env bash
# checked-clients: checked connections (README, "Names in the connection")
# as real clients and odd first flights make them: wget and busybox wget,
# curl's kept-alive plain HTTP, a ClientHello sent a byte at a time, in
# segments, over many TLS records, too long, or not at all, garbage; what
# --learn writes for a refused name; a connection handed to another
# process (SCM_RIGHTS, fork, exec); requests that try to name another host
# on a connection whose first request was allowed.
# Every name is on one front end, 127.0.0.2 (tests/helpers/namesrv.py, which
# logs what reached it); the TLS clients of the first flights are
# tests/helpers/hello.py, the hand-offs tests/helpers/handoff.py.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

if ! names_cert; then
	skip "checked-clients: every test" "openssl cannot make a certificate"
	exit 0
fi
# evil.example shares good.example's front end: what a rule allows for one
# address, another name asks for inside the connection
cat >"$T/hosts" <<EOF
127.0.0.2 good.example other.example evil.example
EOF
# (the server waits 30 s for a first byte, past netpin's 10 s: the clients
# that send nothing must see netpin's reset, not the server's close)
if ! NAMESRV_QUIET_S=30 namesrv 127.0.0.2:443:tls 127.0.0.2:80:http \
	127.0.0.2:8444:tls 127.0.0.2:8082:http 127.0.0.2:8083:http; then
	skip "checked-clients: every test" "the test servers cannot listen: $NAMESRV_ERR"
	exit 0
fi
N=(--resolv "$T/resolv.empty" --hosts "$T/hosts")
CURL=(curl -sS --max-time 10 --cacert "$T/cert.pem")
EVIL=(--resolve evil.example:443:127.0.0.2)
HELLO=("$HELPERS/hello.py" 127.0.0.2)
# ms TEXT: N of the "ms=N" that ends TEXT (hello.py's time), else 0
ms() { [[ $1 =~ ms=([0-9]+)$ ]] && echo "${BASH_REMATCH[1]}" || echo 0; }

# ---- a client that sends nothing (in the background: it takes 10 s) ----------------
# netpin holds the first bytes 10 s (CHECK_WAIT_MS), then resets the
# connection; meanwhile the same netpin serves another checked connection
# at once.  TLS on 8444, HTTP on 8082, the other connection on 8083: no
# other test uses those ports.
# shellcheck disable=SC2016 # (the command's shell expands them)
timeout -k 2 40 "$NP" "${N[@]}" -a tls:good.example:8444 -a http:good.example:8083 -- sh -c '
	ca=$1; shift
	"$@" 8444 silent good.example "$ca" /s1 &
	curl -sS --max-time 5 http://good.example:8083/during
	wait' sh "$T/cert.pem" "${HELLO[@]}" </dev/null >"$T/silent-tls.out" 2>"$T/silent-tls.err" &
silent_tls=$!
timeout -k 2 40 "$NP" "${N[@]}" -a http:good.example:8082 -- \
	"${HELLO[@]}" 8082 silent good.example "$T/cert.pem" /s2 \
	</dev/null >"$T/silent-http.out" 2>"$T/silent-http.err" &
silent_http=$!

# ---- wget: it resolves the names itself, through netpin's pinned DNS -------------------
smark
run "${N[@]}" -a good.example:443 -- wget -q -O- --no-hsts --ca-certificate="$T/cert.pem" https://good.example/w1
[ "$rc:$out" = "0:tls good.example /w1 0" ] && swait "tls 127.0.0.2:443 good.example /w1" &&
	pass "wget: an allowed name over TLS (its server name checked) is fetched" ||
	fail "wget: an allowed name over TLS (its server name checked) is fetched" "rc $rc out '$out' err $err"
run "${N[@]}" -a good.example:80 -- wget -q -O- http://good.example/w2
[ "$rc:$out" = "0:http good.example /w2 0" ] &&
	pass "wget: an allowed Host over plain HTTP is fetched" ||
	fail "wget: an allowed Host over plain HTTP is fetched" "rc $rc out '$out' err $err"
# evil.example is pinned by a rule for port 8443 only, so that wget can
# resolve it; on port 443 only good.example's rule allows 127.0.0.2, and
# evil.example must then be refused inside the connection, not at connect
# time.  wget would try 20 times: one denial in the summary says it gave up.
# (netpin's lines on stderr come through a relay of its own: they are not
# ordered with the command's)
smark
run "${N[@]}" -a good.example:443 -a evil.example:8443 -- \
	wget -nv -O- --no-hsts --ca-certificate="$T/cert.pem" https://evil.example/w3
case "$rc:$err" in
4:*"netpin: denied tls to 127.0.0.2:443/tcp naming evil.example by wget"*"summary: 1 call denied"*)
	[[ $err == *"Unable to establish SSL connection"* ]] && nothing_reached 443 &&
		pass "wget: another name on the allowed address over TLS: an alert, wget gives up, nothing reaches it" ||
		fail "wget: another name on the allowed address over TLS: an alert, wget gives up, nothing reaches it" "server: $(snew)" ;;
*) fail "wget: another name on the allowed address over TLS: an alert, wget gives up, nothing reaches it" "rc $rc out '$out' err $err" ;;
esac
smark
run "${N[@]}" -a good.example:80 -- wget -nv -O- --header 'Host: evil.example' http://good.example/w4
case "$rc:$err" in
8:*"netpin: denied http to 127.0.0.2:80/tcp naming evil.example by wget"*)
	[[ $err == *"ERROR 403"* ]] && nothing_reached 80 &&
		pass "wget --header 'Host: evil.example': a 403 from netpin (exit 8), nothing reaches the server" ||
		fail "wget --header 'Host: evil.example': a 403 from netpin (exit 8), nothing reaches the server" "server: $(snew)" ;;
*) fail "wget --header 'Host: evil.example': a 403 from netpin (exit 8), nothing reaches the server" "rc $rc out '$out' err $err" ;;
esac
# busybox wget speaks TLS through a helper it starts (openssl s_client)
what="busybox wget over TLS: the allowed name is fetched, another refused, nothing reaches it"
if ! busybox wget --help 2>&1 | grep -q -- --no-check-certificate; then
	skip "$what" "no busybox wget with TLS"
else
	run "${N[@]}" -a good.example:443 -- busybox wget -q -O- --no-check-certificate https://good.example/b1
	bb_good="$rc:$out"
	smark
	run "${N[@]}" -a good.example:443 -a evil.example:8443 -- \
		busybox wget -q -O- --no-check-certificate https://evil.example/b2
	case "$bb_good|$rc:$err" in
	"0:tls good.example /b1 0|"[1-9]*"netpin: denied tls to 127.0.0.2:443/tcp naming evil.example by "*)
		nothing_reached 443 && pass "$what" || fail "$what" "server: $(snew)" ;;
	*) fail "$what" "allowed: $bb_good; refused: rc $rc out '$out' err $err" ;;
	esac
fi

# ---- plain HTTP: curl keeps the connection alive; bulk; python -----------------------
# every request head on the connection is read; the bodies in between are
# carried (37-checked: another Host on a kept-alive connection is refused)
smark
run "${N[@]}" -a good.example:80 -- "${CURL[@]}" -w '%{num_connects}\n' \
	http://good.example/k1 http://good.example/k2
[ "$rc:$(tr '\n' ' ' <<<"$out")" = "0:http good.example /k1 0 1 http good.example /k2 0 0 " ] &&
	swait "bytes 127.0.0.2:80 [0-9]+" && [ "$(snew | grep -c '^bytes 127.0.0.2:80 ')" = 1 ] &&
	pass "http: curl asks two URLs on one kept-alive connection, both served" ||
	fail "http: curl asks two URLs on one kept-alive connection, both served" "rc $rc out '$out' err $err server: $(snew)"
run "${N[@]}" -a good.example:80 -- "${CURL[@]}" -o "$T/big.out" -w '%{size_download}' http://good.example/big/33554432
[ "$rc:$out" = 0:33554432 ] &&
	[ "$(sha256sum <"$T/big.out" | cut -c1-64)" = "$("$HELPERS/namesrv.py" --sum 33554432)" ] &&
	pass "http: 32 MiB come through whole, byte for byte" ||
	fail "http: 32 MiB come through whole, byte for byte" "rc $rc out '$out' err $err"
rm -f "$T/big.out"
# a way that carried bulk wakes for 512 KiB at a time, or after 1 ms for
# less: a small response after a large one on the same connection still
# comes (it would wait forever without the 1 ms), over HTTP and TLS
for proto in http:http:27 https:tls:26; do
	kind=${proto#*:} proto=${proto%%:*} len=${kind#*:} kind=${kind%:*}
	run "${N[@]}" -a good.example:80 -a good.example:443 -- "${CURL[@]}" -w '%{size_download} %{num_connects}\n' \
		-o /dev/null "$proto://good.example/big/33554432" "$proto://good.example/after"
	[ "$rc:$(tr '\n' ' ' <<<"$out")" = "0:33554432 1 $kind good.example /after 0 $len 0 " ] &&
		pass "$proto: a small response after 32 MiB on the same connection comes at once" ||
		fail "$proto: a small response after 32 MiB on the same connection comes at once" "rc $rc out '$out' err $err"
done
run "${N[@]}" -a good.example:80 -- python3 -c 'import urllib.request
print(urllib.request.urlopen("http://good.example/u1", timeout=10).read().decode().strip())'
[ "$rc:$out" = "0:http good.example /u1 0" ] &&
	pass "http: python urllib is served" ||
	fail "http: python urllib is served" "rc $rc out '$out' err $err"

# ---- odd first flights: each ends in a verdict at once ---------------------------------
# hello.py makes a real ClientHello (Python's ssl) and sends it as asked; an
# allowed one goes on to a handshake and a request over it
for how in bytes segments records; do
	case $how in
	bytes) shape="one byte per send" ;;
	segments) shape="in seven segments, cut in the record header and in the name" ;;
	records) shape="over TLS records of 64 bytes each" ;;
	esac
	run "${N[@]}" -a good.example:443 -- "${HELLO[@]}" 443 $how good.example "$T/cert.pem" "/h-$how"
	[ "$rc:${out% ms=*}" = "0:tls good.example /h-$how 0" ] &&
		pass "tls: a ClientHello $shape: the allowed name goes through" ||
		fail "tls: a ClientHello $shape: the allowed name goes through" "rc $rc out '$out' err $err"
	smark
	run "${N[@]}" -a good.example:443 -- "${HELLO[@]}" 443 $how evil.example "$T/cert.pem" "/h-$how"
	case "${out% ms=*}:$err" in
	"refused TLSV1_ALERT_ACCESS_DENIED:"*"denied tls to 127.0.0.2:443/tcp naming evil.example"*)
		nothing_reached 443 &&
			pass "tls: a ClientHello $shape: another name is refused, nothing reaches the server" ||
			fail "tls: a ClientHello $shape: another name is refused, nothing reaches the server" "server: $(snew)" ;;
	*) fail "tls: a ClientHello $shape: another name is refused, nothing reaches the server" "rc $rc out '$out' err $err" ;;
	esac
done
smark
run "${N[@]}" -a good.example:443 -- "${HELLO[@]}" 443 whole evil.example "$T/cert.pem" /h-whole
[[ $out == "refused TLSV1_ALERT_ACCESS_DENIED "* ]] && nothing_reached 443 &&
	pass "tls: a raw ClientHello naming another name on the allowed address: an alert, the server gets 0 bytes" ||
	fail "tls: a raw ClientHello naming another name on the allowed address: an alert, the server gets 0 bytes" "out '$out' err $err server: $(snew)"
# netpin holds 32 KiB of first flight (FIRST_FLIGHT_MAX): a ClientHello of
# 30,000 bytes (two TLS records) is read whole; one of 40,000 is refused
# whatever it names.  The client may be reset while it still sends.
run "${N[@]}" -a good.example:443 -- "${HELLO[@]}" 443 big:30000 good.example "$T/cert.pem" /h-30k
[ "$rc:${out% ms=*}" = "0:tls good.example /h-30k 0" ] &&
	pass "tls: a ClientHello of 30,000 bytes (two records) with the allowed name goes through" ||
	fail "tls: a ClientHello of 30,000 bytes (two records) with the allowed name goes through" "rc $rc out '$out' err $err"
smark
run "${N[@]}" -a good.example:443 -- "${HELLO[@]}" 443 big:40000 good.example "$T/cert.pem" /h-40k
case "${out% ms=*}:$err" in
"refused TLSV1_ALERT_ACCESS_DENIED:"*"denied tls to 127.0.0.2:443/tcp a ClientHello too long"* | \
	"reset:"*"denied tls to 127.0.0.2:443/tcp a ClientHello too long"* | \
	"error Broken pipe:"*"denied tls to 127.0.0.2:443/tcp a ClientHello too long"*)
	nothing_reached 443 &&
		pass "tls: a ClientHello over 32 KiB is refused and said so, nothing reaches the server" ||
		fail "tls: a ClientHello over 32 KiB is refused and said so, nothing reaches the server" "server: $(snew)" ;;
*) fail "tls: a ClientHello over 32 KiB is refused and said so, nothing reaches the server" "rc $rc out '$out' err $err" ;;
esac
# garbage: no TLS at all gets a reset (a TLS alert is for a ClientHello)
smark
run "${N[@]}" -a good.example:443 -- "${HELLO[@]}" 443 garbage good.example "$T/cert.pem" /
case "${out% ms=*}:$err" in
"reset:"*"denied tls to 127.0.0.2:443/tcp not TLS by"*)
	nothing_reached 443 &&
		pass "tls: garbage for a ClientHello is reset at once, said as 'not TLS', nothing reaches the server" ||
		fail "tls: garbage for a ClientHello is reset at once, said as 'not TLS', nothing reaches the server" "server: $(snew)" ;;
*) fail "tls: garbage for a ClientHello is reset at once, said as 'not TLS', nothing reaches the server" "rc $rc out '$out' err $err" ;;
esac
smark
run "${N[@]}" -a good.example:80 -- "${HELLO[@]}" 80 garbage good.example "$T/cert.pem" /
case "${out% ms=*}:$err" in
"reset:"*"denied http to 127.0.0.2:80/tcp not HTTP by"*)
	nothing_reached 80 &&
		pass "http: garbage for a request is reset at once, said as 'not HTTP', nothing reaches the server" ||
		fail "http: garbage for a request is reset at once, said as 'not HTTP', nothing reaches the server" "server: $(snew)" ;;
*) fail "http: garbage for a request is reset at once, said as 'not HTTP', nothing reaches the server" "rc $rc out '$out' err $err" ;;
esac

# ---- --learn: the name asked, not the address -----------------------------------------
# a TLS server name and an HTTP Host refused on the front end's address are
# learned as one rule for the name, its ports grouped; with that file the
# same requests go through; under --audit they go through and are learned
run "${N[@]}" --learn "$T/learned" -a good.example:443 -a good.example:80 -- sh -c '
	"$@" https://evil.example/l1; "$@" -H "Host: evil.example" http://good.example/l2' sh "${CURL[@]}" "${EVIL[@]}"
rules=$(grep -v '^#' "$T/learned" 2>/dev/null | sed 's/ *#.*//')
[ "$rc:$rules" = "0:tcp:evil.example:80,443" ] && [[ $err == *"denied tls to 127.0.0.2:443/tcp naming evil.example"* ]] &&
	pass "--learn: a refused server name and Host are learned as tcp:evil.example:80,443, not the address" ||
	fail "--learn: a refused server name and Host are learned as tcp:evil.example:80,443, not the address" "rc $rc rules '$rules' err $err"
smark
run "${N[@]}" -A "$T/learned" -a good.example:443 -a good.example:80 -- sh -c '
	"$@" https://evil.example/l3; "$@" -H "Host: evil.example" http://good.example/l4' sh "${CURL[@]}" "${EVIL[@]}"
[ "$rc:$(tr '\n' ' ' <<<"$out")" = "0:tls evil.example /l3 0 http evil.example /l4 0 " ] && [ -z "$err" ] &&
	pass "--learn: with the file it wrote, the same requests go through" ||
	fail "--learn: with the file it wrote, the same requests go through" "rc $rc out '$out' err $err"
# the other protocol on a port (tls: on 80, http: on 443): the tip and
# the rule learned keep its prefix (a plain name rule there checks the
# port's own protocol, which these connections do not speak)
for c in "tls:80:--resolve evil.example:80:127.0.0.2 https://evil.example:80/l7" \
	"http:443:-H Host:evil.example http://good.example:443/l8"; do
	kind=${c%%:*} port=${c#*:} port=${port%%:*}
	read -ra how <<<"${c#*:*:}"
	smark
	run "${N[@]}" --learn "$T/learned.$kind" -a "$kind:good.example:$port" -- "${CURL[@]}" "${how[@]}"
	rules=$(grep -v '^#' "$T/learned.$kind" 2>/dev/null | sed 's/ *#.*//')
	[ "$rules" = "$kind:evil.example:$port" ] && nothing_reached "$port" &&
		[[ $err == *"denied $kind to 127.0.0.2:$port/tcp naming evil.example"*"(allow with --allow $kind:evil.example:$port)"* ]] &&
		pass "$kind: on $port: the tip and --learn keep $kind: (the port's own check is the other one)" ||
		fail "$kind: on $port: the tip and --learn keep $kind: (the port's own check is the other one)" "rc $rc rules '$rules' err $err server $(snew)"
done
smark
run "${N[@]}" --audit --learn "$T/audited" -a good.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/l5
rules=$(grep -v '^#' "$T/audited" 2>/dev/null | sed 's/ *#.*//')
case "$rc:$out:$rules:$err" in
"0:tls evil.example /l5 0:tcp:evil.example:443:"*"audit: would deny tls to 127.0.0.2:443/tcp naming evil.example"*)
	swait "tls 127.0.0.2:443 evil.example /l5" &&
		pass "--audit --learn: another name is let through to the server and learned as tcp:evil.example:443" ||
		fail "--audit --learn: another name is let through to the server and learned as tcp:evil.example:443" "server: $(snew)" ;;
*) fail "--audit --learn: another name is let through to the server and learned as tcp:evil.example:443" "rc $rc out '$out' rules '$rules' err $err" ;;
esac

# two names refused on one address are two refusals, each learned; a
# connection that named no host is said but not learned (an address rule
# would let every name there through unchecked)
# shellcheck disable=SC2016 # (expanded by that sh)
run "${N[@]}" --learn "$T/learned2" -a good.example:443 -- sh -c '
	"$1" 127.0.0.2 443 garbage good.example "$2" / >/dev/null
	shift 2
	"$@" --resolve other.example:443:127.0.0.2 https://other.example/l6
	"$@" https://evil.example/l7' sh "$HELPERS/hello.py" "$T/cert.pem" "${CURL[@]}" "${EVIL[@]}"
rules=$(grep -v '^#' "$T/learned2" 2>/dev/null | sed 's/ *#.*//' | sort | tr '\n' ' ')
case "$rules:$err" in
"tcp:evil.example:443 tcp:other.example:443 :"*"127.0.0.2:443/tcp (tls) 1 time, no host named (not learned"*"name evil.example"*)
	pass "--learn: two names refused on one address are both learned; no host named is not learned as the address" ;;
*) fail "--learn: two names refused on one address are both learned; no host named is not learned as the address" "rules '$rules' err $err" ;;
esac

# ---- a checked connection handed on ------------------------------------------------------
# handoff.py connects, hands the socket on, and whoever has it then asks for
# /HOW-1 with Host good.example (44 bytes) and /HOW-2 with Host evil.example
for how in pass fork exec; do
	case $how in
	pass) what="a checked connection passed with SCM_RIGHTS to another process"; who=other ;;
	fork) what="a checked connection used by a child forked after the connect"; who=other ;;
	exec) what="a checked connection inherited across exec by a new program"; who=same ;;
	esac
	smark
	run "${N[@]}" -a good.example:80 -- "$HELPERS/handoff.py" $how 127.0.0.2 80 good.example evil.example
	[ "$rc:$(tr '\n' ' ' <<<"$out")" = "0:$who HTTP/1.1 200 OK $who HTTP/1.1 403 Forbidden " ] &&
		[[ $err == *"denied http to 127.0.0.2:80/tcp naming evil.example"* ]] &&
		swait "bytes 127.0.0.2:80 44" && swait "http 127.0.0.2:80 good.example /$how-1" &&
		! snew | grep -q "/$how-2" &&
		pass "$what: served, and another Host on it refused (403)" ||
		fail "$what: served, and another Host on it refused (403)" "rc $rc out '$out' err $err server: $(snew)"
done

# ---- naming another host after an allowed request -------------------------------------------
# (after an allowed TLS handshake nothing more is read: what goes inside
# TLS cannot be seen, README "Names in the connection")
smark
run "${N[@]}" -a good.example:80 -- "$HELPERS/rawreq.py" 127.0.0.2 80 \
	'GET /e1 HTTP/1.1\r\nHost: good.example\r\n\r\n' \
	'GET http://evil.example/e2 HTTP/1.1\r\nHost: good.example\r\n\r\n'
case "$(tr '\n' ' ' <<<"$out"):$err" in
"peer 127.0.0.2 80 HTTP/1.1 200 OK reset :"*"denied http to 127.0.0.2:80/tcp a request target naming another host than Host"* | \
	"peer 127.0.0.2 80 HTTP/1.1 200 OK closed :"*"denied http to 127.0.0.2:80/tcp a request target naming another host than Host"*)
	swait "bytes 127.0.0.2:80 40" && ! snew | grep -q /e2 &&
		pass "http: after an allowed request, an absolute target naming another host is refused, nothing of it reaches the server" ||
		fail "http: after an allowed request, an absolute target naming another host is refused, nothing of it reaches the server" "server: $(snew)" ;;
*) fail "http: after an allowed request, an absolute target naming another host is refused, nothing of it reaches the server" "out '$out' err $err" ;;
esac
# both requests in one segment: netpin reads the second before it has sent
# the first (which may then never be sent: the 403 answers the connection)
smark
run "${N[@]}" -a good.example:80 -- "$HELPERS/rawreq.py" 127.0.0.2 80 \
	'GET /p1 HTTP/1.1\r\nHost: good.example\r\n\r\nGET /p2 HTTP/1.1\r\nHost: evil.example\r\n\r\n'
case "$out:$err" in
*"netpin: this command may not ask for the host evil.example here"*"denied http to 127.0.0.2:80/tcp naming evil.example"*)
	swait "bytes 127.0.0.2:80 [0-9]+" && ! snew | grep -q /p2 &&
		pass "http: a pipelined request naming another host is refused (403), nothing of it reaches the server" ||
		fail "http: a pipelined request naming another host is refused (403), nothing of it reaches the server" "server: $(snew)" ;;
*) fail "http: a pipelined request naming another host is refused (403), nothing of it reaches the server" "out '$out' err $err" ;;
esac

# ---- the clients that sent nothing ------------------------------------------------------------
wait $silent_tls
out=$(cat "$T/silent-tls.out") err=$(cat "$T/silent-tls.err")
took=$(ms "$(tail -1 <<<"$out")")
case "$out:$err" in
"http good.example:8083 /during 0"$'\n'"reset ms="*:*"denied tls to 127.0.0.2:8444/tcp no host named in the first bytes within 10 s"*)
	[ "$took" -ge 9000 ] && [ "$took" -lt 15000 ] && grep -qx "bytes 127.0.0.2:8444 0" "$SLOG" &&
		! grep -q "^tls 127.0.0.2:8444 " "$SLOG" &&
		pass "tls: a client that sends nothing is reset after 10 s ($took ms), said; another connection is served meanwhile" ||
		fail "tls: a client that sends nothing is reset after 10 s ($took ms), said; another connection is served meanwhile" "server: $(grep 8444 "$SLOG")" ;;
*) fail "tls: a client that sends nothing is reset after 10 s ($took ms), said; another connection is served meanwhile" "out '$out' err $err" ;;
esac
wait $silent_http
out=$(cat "$T/silent-http.out") err=$(cat "$T/silent-http.err")
took=$(ms "$out")
case "$out:$err" in
"reset ms="*:*"denied http to 127.0.0.2:8082/tcp no host named in the first bytes within 10 s"*)
	[ "$took" -ge 9000 ] && [ "$took" -lt 15000 ] && grep -qx "bytes 127.0.0.2:8082 0" "$SLOG" &&
		! grep -q "^http 127.0.0.2:8082 " "$SLOG" &&
		pass "http: a client that sends nothing is reset after 10 s ($took ms) and said" ||
		fail "http: a client that sends nothing is reset after 10 s ($took ms) and said" "server: $(grep 8082 "$SLOG")" ;;
*) fail "http: a client that sends nothing is reset after 10 s ($took ms) and said" "out '$out' err $err" ;;
esac
