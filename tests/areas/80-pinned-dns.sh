#!/usr/bin/env bash
# pinned-dns: netpin answers the command's DNS from the pin table (glibc,
# musl, Go, python, curl; wildcards; queries sent straight to a server).
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start
dns_start 127.0.0.1 5373 pinned || fail "test DNS server for pinned DNS starts" "$(cat "$T/dns.err")"
dns_start 127.0.0.1 5393 slow delay=4000=slow.wild2.test || fail "slow test DNS server starts" "$(cat "$T/dns.err")"
[ "$NETPIN_NETNS" != none ] && dns_start 127.0.0.1 53 port53
PDNS=(--resolv "$T/resolv.empty" --dns 127.0.0.1:5373 --allow-private-dns)
# dns_mark: remember where the pinned server's query log is; dns_q NAME: how
# many queries for NAME it received since
DMARK=0
dns_mark() { DMARK=$(wc -l <"$T/dns-pinned.log"); }
dns_q() { tail -n +"$((DMARK + 1))" "$T/dns-pinned.log" | grep -c "^udp $1 \|^tcp $1 "; }

dns_mark
run "${PDNS[@]}" -a pinned.test:9000 -- getent hosts pinned.test
case "$rc:$out" in 0:*"::1"*pinned.test*|0:*127.0.0.2*pinned.test*) [ "$(dns_q pinned.test)" = 2 ] &&
	pass "glibc (getent, UDP): an allowed name gets its pinned addresses, from netpin" ||
	fail "glibc (getent, UDP): an allowed name gets its pinned addresses, from netpin" "$(cat "$T/dns-pinned.log")" ;;
*) fail "glibc (getent, UDP): an allowed name gets its pinned addresses, from netpin" "rc $rc $out $err" ;; esac
dns_mark
run "${PDNS[@]}" -a pinned.test:9000 -- getent hosts notallowed.test
case "$rc:$err" in 2:*"refused DNS name notallowed.test"*) [ "$(dns_q notallowed.test)" = 0 ] &&
	pass "glibc: another name fails, and the DNS server never sees it" ||
	fail "glibc: another name fails, and the DNS server never sees it" "$(cat "$T/dns-pinned.log")" ;;
*) fail "glibc: another name fails, and the DNS server never sees it" "rc $rc $out $err" ;; esac
run -v "${PDNS[@]}" -a pinned.test:9000 -- env RES_OPTIONS=use-vc getent hosts pinned.test
case "$rc:$out:$err" in 0:*pinned.test*:*":53/tcp goes to netpin's pinned DNS"*) pass "glibc over TCP (options use-vc)" ;; *) fail "glibc over TCP (options use-vc)" "rc $rc $out $err" ;; esac
if [ -x tests/netop-musl ]; then
	run "${PDNS[@]}" -a pinned.test:9000 -- tests/netop-musl resolve pinned.test
	case "$rc:$out" in 0:*127.0.0.2*) pass "musl (static): an allowed name resolves to its pinned addresses" ;;
	*) fail "musl (static): an allowed name resolves to its pinned addresses" "rc $rc $out $err" ;; esac
	dns_mark
	run "${PDNS[@]}" -a pinned.test:9000 -- tests/netop-musl resolve notallowed.test
	[ "$rc" = 1 ] && [ "$(dns_q notallowed.test)" = 0 ] && pass "musl (static): another name fails" ||
		fail "musl (static): another name fails" "rc $rc $out"
else
	skip "musl (static): an allowed name resolves to its pinned addresses" "musl-gcc is not installed"
	skip "musl (static): another name fails" "musl-gcc is not installed"
fi
if command -v go >/dev/null && (cd tests && GOCACHE="$T/gocache" GOPATH="$T/gopath" CGO_ENABLED=0 \
	go build -o "$T/goresolve" goresolve.go) >"$T/go.log" 2>&1; then
	run "${PDNS[@]}" -a pinned.test:9000 -- "$T/goresolve" pinned.test
	case "$rc:$out" in 0:*127.0.0.2*) pass "Go's own resolver (static, no cgo): an allowed name resolves" ;;
	*) fail "Go's own resolver (static, no cgo): an allowed name resolves" "rc $rc $out $err" ;; esac
	dns_mark
	run "${PDNS[@]}" -a pinned.test:9000 -- "$T/goresolve" notallowed.test
	[ "$rc" = 1 ] && [ "$(dns_q notallowed.test)" = 0 ] && pass "Go's own resolver: another name fails" ||
		fail "Go's own resolver: another name fails" "rc $rc $out $err"
else
	why="no Go toolchain (Debian: golang-go): $(tail -1 "$T/go.log" 2>/dev/null)"
	skip "Go's own resolver (static, no cgo): an allowed name resolves" "$why"
	skip "Go's own resolver: another name fails" "$why"
fi
mark
run "${PDNS[@]}" -a pinned.test:9000 -- python3 -c 'import socket,sys; s=socket.create_connection(("pinned.test", 9000)); s.sendall(b"t-pdns-py"); s.close(); print("ok")'
[ "$out" = ok ] && got t-pdns-py && pass "python3: connect by name to the pinned address" ||
	fail "python3: connect by name to the pinned address" "rc $rc $out $err"
if command -v curl >/dev/null; then
	mark
	run "${PDNS[@]}" -a web.test:8080 -- curl -s -4 http://web.test:8080/t-pdns-curl
	[ "$out" = ok ] && got /t-pdns-curl && pass "curl by name" || fail "curl by name" "rc $rc $out $err"
else
	skip "curl by name" "curl not installed"
fi
WILD='import socket; s=socket.create_connection(("a.wild.test", 9000)); s.sendall(b"t-wild"); s.close(); print("ok")'
mark
dns_mark
run "${PDNS[@]}" -a '*.wild.test:9000' -- python3 -c "$WILD"
[ "$out" = ok ] && got t-wild && [ "$(dns_q a.wild.test)" = 2 ] &&
	pass "a wildcard name is resolved once by netpin, pinned, and its connect works" ||
	fail "a wildcard name is resolved once by netpin, pinned, and its connect works" "rc $rc $out $err $(dns_q a.wild.test)"
run "${PDNS[@]}" -a '*.wild.test:9000' -l "$T/dnslog" -- python3 -c "$WILD"
grep -q '"event":"dns","time":"[^"]*","verdict":"allow","pid":[0-9]*,"comm":"python3","name":"a.wild.test","type":"A","rule":"\*.wild.test:9000","answers":"127.0.0.2"' "$T/dnslog" &&
	grep -q '"event":"pin".*"name":"a.wild.test".*"source":"dns"' "$T/dnslog" &&
	pass "JSON log: dns events with name, type, verdict, answers; the wildcard pin" ||
	fail "JSON log: dns events with name, type, verdict, answers; the wildcard pin" "$(cat "$T/dnslog")"
# while_slow CALL...: (a command of netpin's) ask slow.wild2.test, which the
# upstream answers 4 s after the query reaches it (its log says when), and
# meanwhile make CALL; then "pending" if the slow answer had not come when
# CALL was done, and what the slow lookup printed.  (--timeout 20: one try
# of the slow query is 5 s, and no second is sent.)
# shellcheck disable=SC2016 # (the command's own shell expands)
while_slow=('sh' '-c' 'log=$1; shift
asked() { cat "$log" 2>/dev/null | grep -c slow.wild2.test; }
n=$(asked); getent hosts slow.wild2.test >"$log.out" & slow=$!
i=0; while [ "$(asked)" = "$n" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
"$@"; kill -0 $slow 2>/dev/null && echo pending; wait $slow; cat "$log.out"' sh "$T/dns-slow.log")
run --resolv "$T/resolv.empty" --dns 127.0.0.1:5393 --timeout 20 --allow-private-dns -a '*.wild2.test' \
	-a 127.0.0.2:9000 -- "${while_slow[@]}" "$OP" tcp 127.0.0.2 9000 t-noslow
case "$out" in
"ok"$'\n'"pending"$'\n'"127.0.0.2"*slow.wild2.test) pass "a slow upstream lookup for a wildcard name does not stall other calls" ;;
*) fail "a slow upstream lookup for a wildcard name does not stall other calls" "$out $err" ;;
esac
run "${PDNS[@]}" -a '*.wild.test:9000' -- python3 -c 'import socket; socket.create_connection(("127.0.0.3", 9000))'
case $err in *"No route to host"*) pass "a wildcard rule allows only the addresses it pinned" ;; *) fail "a wildcard rule allows only the addresses it pinned" "$out $err" ;; esac
run "${PDNS[@]}" -a pinned.test -- python3 "$HELPERS/rawdns.py" 127.0.0.3 53 pinned.test
case "$rc:$out" in "0:127.0.0.3 53 0 127.0.0.2") pass "a query sent straight to another server:53 is answered by netpin, as that server" ;;
*) fail "a query sent straight to another server:53 is answered by netpin, as that server" "rc $rc $out $err" ;; esac
run "${PDNS[@]}" -a pinned.test -- python3 "$HELPERS/rawdns.py" ::1 53 pinned.test
case "$rc:$out" in "0:::1 53 0 127.0.0.2") pass "an IPv6 nameserver is answered too" ;;
*) fail "an IPv6 nameserver is answered too" "rc $rc $out $err" ;; esac
run "${PDNS[@]}" -a pinned.test -- python3 "$HELPERS/rawdns.py" 127.0.0.3 53 notallowed.test
case "$rc:$out" in "0:127.0.0.3 53 3 ") pass "NXDOMAIN for a name no rule allows" ;; *) fail "NXDOMAIN for a name no rule allows" "rc $rc $out $err" ;; esac
if [ -e "$T/dns-port53.ready" ]; then
	before=$(grep -c 'pub.test' "$T/dns-port53.log")
	run "${PDNS[@]}" -a udp:127.0.0.1:53 -- python3 "$HELPERS/rawdns.py" 127.0.0.1 53 pub.test
	[ "$(grep -c 'pub.test' "$T/dns-port53.log")" = $((before + 1)) ] &&
		pass "a rule that names server:53 lets DNS go to that server" ||
		fail "a rule that names server:53 lets DNS go to that server" "rc $rc $out $err"
else
	skip "a rule that names server:53 lets DNS go to that server" "needs port 53 in a private network namespace"
fi

# ---- a name asked upstream holds up no other answer ---------------------------
# slow.wild2.test takes 4 s upstream; fast.wild2.test, pinned before, is
# answered meanwhile (no lock is held while upstream answers)
run --resolv "$T/resolv.empty" --dns 127.0.0.1:5393 --timeout 20 --allow-private-dns -a '*.wild2.test' -- \
	sh -c 'getent hosts fast.wild2.test >/dev/null && exec "$@"' sh "${while_slow[@]}" \
	sh -c 'getent hosts fast.wild2.test >/dev/null && echo fast'
case "$out" in
"fast"$'\n'"pending"$'\n'*slow.wild2.test) pass "a name pinned before is answered while another is asked upstream" ;;
*) fail "a name pinned before is answered while another is asked upstream" "rc $rc out '$out' err $err" ;;
esac

# ---- the TCP responder: the command's redirected sockets only ----------------
# an outsider on this machine finds netpin's TCP responder and asks it: the
# connection is closed, unanswered (the command's own TCP DNS: "glibc over
# TCP" above)
"$NP" "${PDNS[@]}" -a pinned.test -- sleep 5 >/dev/null 2>&1 &
np=$!
for _ in $(seq 50); do
	ports=$(ss -Hltnp 2>/dev/null | grep "pid=$np," | awk '{print $4}' | sed 's/.*://' | sort -u)
	[ -n "$ports" ] && break
	sleep 0.1
done
answered=""
for p in $ports; do
	r=$(python3 "$HELPERS/tcpdns.py" query 127.0.0.1 "$p" pinned.test 2>&1)
	[[ $r == answer* ]] && answered="$answered $p:$r"
done
kill "$np" 2>/dev/null
wait "$np" 2>/dev/null
if [ -z "$ports" ]; then
	skip "an outsider's TCP DNS to netpin's responder is closed unanswered" "ss cannot list netpin's sockets"
elif [ -z "$answered" ]; then
	pass "an outsider's TCP DNS to netpin's responder is closed unanswered"
else
	fail "an outsider's TCP DNS to netpin's responder is closed unanswered" "answered on$answered"
fi
# the command's own connection that sends a byte and stops is ended soon
run "${PDNS[@]}" -a pinned.test -- python3 "$HELPERS/tcpdns.py" idle 127.0.0.3 53
# (netpin ends it after 3 s; the client gives up after 15: any close before
# is netpin's, however late a loaded machine runs it)
case $out in
"closed after "*" s") pass "a TCP DNS connection that stops mid-query is ended within seconds ($out)" ;;
*) fail "a TCP DNS connection that stops mid-query is ended within seconds" "rc $rc out '$out' err $err" ;;
esac

# ---- what is refused is visible ------------------------------------------------
# a refused name (A and AAAA) is in the summary and the learn file, and the
# log's dns events name the process that asked
rm -f "$T/dnslearn" "$T/dnsvis.json"
run "${PDNS[@]}" -l "$T/dnsvis.json" --learn "$T/dnslearn" -a pinned.test -- \
	sh -c 'python3 "$1" 127.0.0.3 53 notallowed.test >/dev/null; getent ahosts notallowed.test >/dev/null; getent hosts pinned.test >/dev/null; true' - "$HELPERS/rawdns.py"
case $err in
*"refused DNS name notallowed.test (A) asked by python3["*"summary: "*" DNS queries refused, 1 name:"*"notallowed.test (A, AAAA) "*" queries"*"to allow them: --allow notallowed.test"*)
	pass "a refused DNS name is in the summary (A and AAAA), with the process that asked and a tip" ;;
*) fail "a refused DNS name is in the summary (A and AAAA), with the process that asked and a tip" "rc $rc err $err" ;;
esac
grep -q '^notallowed.test  *# refused in DNS (A, AAAA), [0-9]* queries: its ports are not known' "$T/dnslearn" &&
	pass "--learn writes a refused DNS name, saying its ports are not known" ||
	fail "--learn writes a refused DNS name, saying its ports are not known" "$(cat "$T/dnslearn" 2>/dev/null)"
grep -q '"event":"dns","time":"[^"]*","verdict":"deny","pid":[0-9]*,"comm":"python3","name":"notallowed.test"' "$T/dnsvis.json" &&
	grep -q '"event":"dns","time":"[^"]*","verdict":"allow","pid":[0-9]*,"comm":"getent","name":"pinned.test"' "$T/dnsvis.json" &&
	pass "dns events in the log carry the pid and comm of the process that asked" ||
	fail "dns events in the log carry the pid and comm of the process that asked" "$(grep '"dns"' "$T/dnsvis.json")"
