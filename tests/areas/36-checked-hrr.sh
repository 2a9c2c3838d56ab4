#!/usr/bin/env bash
# checked-hrr: a TLS 1.3 HelloRetryRequest on a checked connection.  When
# the server asks the client to retry (its key share was for a group the
# server does not take), the client sends a second ClientHello, still in
# plaintext, and that one can name another host: netpin must read it as
# the server will, and refuse (a TLS alert, access_denied) one that names
# another host or changes the encrypted_client_hello treatment.
# The server is openssl s_server with two contexts: good.test's, and
# evil.test's (-servername, -cert2), P-256 only (-groups), so that a client
# whose first key share is x25519 gets a retry request.  Its log is the
# judge: 'Hostname in TLS extension: "NAME"' for each ClientHello it read,
# and "Switching server context." when it took evil.test's context.  The
# attacks are tests/helpers/hrr_client.py (raw records); the real clients
# that must still get through are openssl s_client and curl.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

# cert NAME: $T/NAME.pem and $T/NAME.key, a certificate for NAME (P-256)
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -out "$T/$1.pem" -days 2 -subj "/CN=$1" \
		-addext "subjectAltName=DNS:$1" >/dev/null 2>&1
}
if ! cert good.test || ! cert evil.test; then
	skip "checked-hrr: every test" "openssl cannot make a certificate"
	exit 0
fi

# sserver PORT: a fresh s_server on 127.0.0.2:PORT (the one before is
# stopped), its output line by line in a log of its own, $SLOG; 1 when it
# does not listen (why: $SSERVER_ERR).  Fresh for each test: s_server
# serves one connection at a time, and a test that leaves one hanging must
# not stall the next.
SRV=() NSRV=0
sserver() {
	stop_pids "${SRV[@]}"
	NSRV=$((NSRV + 1))
	SLOG=$T/s_server.$NSRV.log
	stdbuf -oL -eL openssl s_server -accept "127.0.0.2:$1" -tls1_3 -groups P-256 -www \
		-cert "$T/good.test.pem" -key "$T/good.test.key" \
		-servername evil.test -cert2 "$T/evil.test.pem" -key2 "$T/evil.test.key" \
		</dev/null >"$SLOG" 2>&1 &
	SRV=("$!")
	background "$!"
	wait_line "$SLOG" ACCEPT && return 0
	SSERVER_ERR=$(grep -v '^Using\|^Setting' "$SLOG" | head -2 | tr '\n' ' ')
	return 1
}
# asked NAME: how many ClientHellos naming NAME the server read; switched:
# it took evil.test's context
asked() { grep -cxF "Hostname in TLS extension: \"$1\"" "$SLOG"; }
switched() { grep -qxF "Switching server context." "$SLOG"; }
# said: the server's lines about names, for a failure's message
said() { grep -E '^(Hostname|Switching)' "$SLOG" | tr '\n' ' '; }

PORT=8453
if ! sserver $PORT; then
	skip "checked-hrr: every test" "openssl s_server cannot serve: $SSERVER_ERR"
	exit 0
fi
cat >"$T/hosts" <<EOF
127.0.0.2 good.test
EOF
N=(--resolv "$T/resolv.empty" --hosts "$T/hosts")
HRR=("$HELPERS/hrr_client.py" 127.0.0.2)

# ---- without netpin: the attack works, so the tests can fail ---------------------------
what="without netpin: a retried ClientHello naming evil.test switches s_server to evil.test's context"
out=$("${HRR[@]}" $PORT good.test evil.test 2>&1)
[ "$out" = "hrr serverhello encrypted" ] && [ "$(asked good.test):$(asked evil.test)" = 1:1 ] && switched &&
	pass "$what" || fail "$what" "client '$out', server: $(said)"
sserver $PORT
what="without netpin: a retry naming good.test again does not switch it"
out=$("${HRR[@]}" $PORT good.test good.test 2>&1)
[ "$out" = "hrr serverhello encrypted" ] && [ "$(asked good.test)" = 2 ] && ! switched &&
	pass "$what" || fail "$what" "client '$out', server: $(said)"

# ---- through netpin: a retry that names another host is refused --------------------------
# refused WHAT NAME2 HOW PORT ARGS...: hrr_client.py's second ClientHello
# (naming NAME2, sent as HOW) through netpin ARGS: the client gets
# access_denied, netpin says the denial, and the server read the first
# ClientHello at most (nothing of the second reached it) and kept
# good.test's context.  (A second ClientHello sent with the first may be
# refused before the retry request reaches the client.)
refused() {
	local what=$1 name2=$2 how=$3 port=$4
	shift 4
	if ! sserver "$port"; then
		skip "$what" "openssl s_server cannot serve on $port: $SSERVER_ERR"
		return
	fi
	run "${N[@]}" "$@" -- "${HRR[@]}" "$port" good.test "$name2" "$how"
	# (a ClientHello let through late must have had its time to be read)
	sleep 0.3
	case "$how:$out" in
	*":hrr alert 2 49" | "pipelined:no hrr: alert 2 49") ;;
	*)
		fail "$what" "client '$out', rc $rc, netpin: $err
server: $(said)"
		return ;;
	esac
	if [ "$(asked good.test)" -gt 1 ] || [ "$(asked evil.test)" != 0 ] || switched; then
		fail "$what" "the second ClientHello reached the server: $(said)"
	elif [[ $err != *"denied tls to 127.0.0.2:$port/tcp"* ]]; then
		fail "$what" "netpin did not say the denial: $err"
	else
		pass "$what"
	fi
}
refused "refused: a retried ClientHello naming another host (tls:good.test:$PORT)" \
	evil.test together $PORT -a tls:good.test:$PORT
refused "refused: a retried ClientHello naming another host (good.test:443, checked by default)" \
	evil.test together 443 -a good.test:443
refused "refused: a retried ClientHello naming another host, no ChangeCipherSpec before it" \
	evil.test noccs $PORT -a tls:good.test:$PORT
refused "refused: a retried ClientHello naming another host, a byte at a time" \
	evil.test bytes $PORT -a tls:good.test:$PORT
refused "refused: a second ClientHello naming another host, sent with the first (before the retry request)" \
	evil.test pipelined $PORT -a tls:good.test:$PORT
refused "refused: a retried ClientHello that adds encrypted_client_hello" \
	good.test ech-add $PORT -a tls:good.test:$PORT
refused "refused: with --allow-ech, a retried ClientHello that adds encrypted_client_hello" \
	good.test ech-add $PORT --allow-ech -a tls:good.test:$PORT
refused "refused: with --allow-ech, a retried ClientHello that drops encrypted_client_hello" \
	good.test ech-drop $PORT --allow-ech -a tls:good.test:$PORT

# ---- through netpin: a retry that names the same host goes on ----------------------------
# retried WHAT HOW: hrr_client.py's retry naming good.test again, sent as
# HOW: the server read both ClientHellos and went on with the handshake
retried() {
	local what=$1 how=$2
	sserver $PORT
	run "${N[@]}" -a tls:good.test:$PORT -- "${HRR[@]}" $PORT good.test good.test "$how"
	[ "$out" = "hrr serverhello encrypted" ] && [ "$(asked good.test)" = 2 ] && ! switched &&
		pass "$what" || fail "$what" "client '$out', rc $rc, netpin: $err
server: $(said)"
}
retried "retry: a retried ClientHello naming the same host reaches the server, the handshake goes on" together
retried "retry: the same, with no ChangeCipherSpec before it" noccs
retried "retry: the same, a byte at a time" bytes

# ---- through netpin: real clients that go through a retry ------------------------------
# (x25519 first, the server takes P-256 only: each asks twice, the server's
# log says so; -www answers a GET with a page and closes)
printf 'GET / HTTP/1.0\r\n\r\n' >"$T/get"
what="retry: openssl s_client (x25519 first) completes the handshake with good.test and gets a page"
sserver $PORT
run "${N[@]}" -a tls:good.test:$PORT -- openssl s_client -connect 127.0.0.2:$PORT \
	-servername good.test -groups X25519:P-256 -CAfile "$T/good.test.pem" \
	-verify_hostname good.test -verify_return_error -ign_eof <"$T/get"
if [[ $out == *"Verify return code: 0 (ok)"*"HTTP/1.0 200 ok"* ]] &&
	[ "$(asked good.test)" = 2 ] && ! switched; then
	pass "$what"
else
	fail "$what" "rc $rc, out $(grep -E 'Verify|HTTP/|^Protocol' "$T/out" | tr '\n' ' '), netpin: $err
server: $(said)"
fi
what="retry: curl --curves X25519:P-256 fetches a page from good.test"
if ! curl --help all 2>/dev/null | grep -q -- --curves; then
	skip "$what" "this curl has no --curves"
else
	sserver $PORT
	run "${N[@]}" -a tls:good.test:$PORT -- curl -sS --max-time 10 --curves X25519:P-256 \
		--cacert "$T/good.test.pem" --resolve good.test:$PORT:127.0.0.2 \
		-o /dev/null -w '%{http_code}' https://good.test:$PORT/
	[ "$rc:$out" = 0:200 ] && [ "$(asked good.test)" = 2 ] && ! switched &&
		pass "$what" || fail "$what" "rc $rc, out '$out', netpin: $err
server: $(said)"
fi
