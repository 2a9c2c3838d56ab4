#!/usr/bin/env bash
# output: denial lines, -q, -v, --dry-run, the JSON log.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

run -a 127.0.0.2:9000 -- sh -c "'$OP' tcp 127.0.0.3 9000; '$OP' tcp 127.0.0.3 9000"
[ "$(grep -c 'denied connect' "$T/err")" = 1 ] && pass "a repeated denial is printed once" ||
	fail "a repeated denial is printed once" "$err"
run -q -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000
[ "$out" = "$DENY" ] && [ -z "$err" ] && pass "-q: no denial line" || fail "-q: no denial line" "$err"
run -v -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000
case $err in
*"pin table"*"layer 1: seccomp"*"allowed connect to 127.0.0.2:9000/tcp by netop"*) pass "-v: pin table, layers and decisions" ;;
*) fail "-v: pin table, layers and decisions" "$err" ;;
esac
mark
run -n -a 127.0.0.2:9000 --resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a six.test -- "$OP" tcp 127.0.0.2 9000 t-dry
case "$rc:$out" in
0:*"127.0.0.2/32"*"six.test"*"::1/128"*) silent t-dry && pass "--dry-run prints the pin table and runs nothing" ||
	fail "--dry-run prints the pin table and runs nothing" "$out" ;;
*) fail "--dry-run prints the pin table and runs nothing" "rc $rc $out" ;;
esac
rm -f "$T/log"
run -l "$T/log" --resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a allowed.test:9000 -- sh -c "'$OP' tcp 127.0.0.2 9000 t-log; '$OP' tcp 127.0.0.3 9000; '$OP' udp-sendto 127.0.0.2 9001 x"
python3 "$HELPERS/logcheck.py" "$T/log" >"$T/logcheck" 2>&1
[ "$(cat "$T/logcheck")" = "log ok" ] && pass "JSON log: start, pin, allow, deny with tip, exit" ||
	fail "JSON log: start, pin, allow, deny with tip, exit" "$(cat "$T/logcheck")"

# what netpin cannot mediate is refused and said: once on stderr, each in the
# log, and counted in the summary (busybox ping: an ICMP or raw socket)
if command -v busybox >/dev/null 2>&1; then
	rm -f "$T/refused.log"
	run -l "$T/refused.log" -a 127.0.0.2 -- sh -c 'busybox ping -c1 -W1 127.0.0.2; busybox ping -c1 -W1 127.0.0.2; true'
	n_lines=$(grep -c 'refused socket(' "$T/err")
	n_events=$(grep -c '"event":"refused".*"call":"socket"' "$T/refused.log")
	if [ "$n_lines" = 1 ] && [ "$n_events" -ge 2 ] &&
		grep -Eq 'refused socket\(AF_INET, SOCK_(RAW|DGRAM), ICMP\) by busybox' "$T/err" &&
		grep -q 'summary: [0-9]* calls netpin cannot mediate refused' "$T/err"; then
		pass "a refused socket (busybox ping): one line naming it (AF_INET, SOCK_RAW, ICMP), each in the log, the summary counts it"
	else
		fail "a refused socket (busybox ping): one line, each in the log, the summary counts it" \
			"lines $n_lines events $n_events err $err"
	fi
	run -q -a 127.0.0.2 -- sh -c 'busybox ping -c1 -W1 127.0.0.2; true'
	! grep -q '^netpin:' "$T/err" && grep -q 'ping' "$T/err" &&
		pass "-q: netpin says nothing of a refused socket (ping does)" ||
		fail "-q: netpin says nothing of a refused socket (ping does)" "$err"
else
	skip "a refused socket (busybox ping)" "busybox is not installed"
fi

# make demo's script: the allowed fetch, the denied one, the log; and no
# terminal escape codes when its output is not a terminal
"$ROOT/tests/demo.sh" >"$T/demo.out" 2>&1 </dev/null
if grep -q '"verdict":"allow"' "$T/demo.out" && grep -q 'denied connect to 127.0.0.3:8080/tcp' "$T/demo.out" &&
	! grep -q "$(printf '\033')" "$T/demo.out"; then
	pass "the demo shows an allowed and a denied fetch and the log, with no escape codes in a pipe"
else
	fail "the demo shows an allowed and a denied fetch and the log, with no escape codes in a pipe" "$(head -c 600 "$T/demo.out")"
fi
