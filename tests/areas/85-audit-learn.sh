#!/usr/bin/env bash
# audit-learn: --audit allows everything and says what it would deny; --learn
# writes the rules that would have allowed it; the exit summary.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start
dns_start 127.0.0.1 5383 audit || fail "test DNS server for audit starts" "$(cat "$T/dns.err")"
ADNS=(--resolv "$T/resolv.empty" --dns 127.0.0.1:5383 --allow-private-dns)

# audit_contact LEARNED: tests/helpers/contact.sh under --audit --learn LEARNED
audit_contact() {
	rm -f "$1"
	mark
	run --audit --learn "$1" -a 127.0.0.2:9000 -- sh "$HELPERS/contact.sh" "$OP"
}
audit_contact "$T/learned-blocked"
if [ "$rc" = 0 ] && [ "$(grep -c '^ok' "$T/out")" = 7 ] && got t-aud-7 &&
	[ "$(new_lines | grep -c 't-aud-')" = 7 ]; then
	pass "--audit: nothing is blocked (7 calls reach their servers)"
else
	fail "--audit: nothing is blocked (7 calls reach their servers)" "rc $rc out $out; $(new_lines)"
fi
audit_contact "$T/learned-printed"
case $err in
*"audit: would deny connect to 127.0.0.3:9000/tcp"*) pass "--audit: what would be denied is printed" ;;
*) fail "--audit: what would be denied is printed" "$err" ;;
esac
audit_contact "$T/learned-summary"
summary=$(grep '^netpin:   ' "$T/err")
if [ "$(echo "$summary" | grep -c '127.0.0.3:9000/tcp')" = 1 ] && [ "$(echo "$summary" | wc -l)" = 7 ] &&
	echo "$summary" | grep -q '127.0.0.3:9000/tcp (connect) 2 times'; then
	pass "exit summary: each destination once, with its count"
else
	fail "exit summary: each destination once, with its count" "$err"
fi
audit_contact "$T/learned"
grep -q '^tcp:127.0.0.2:9002-9003 ' "$T/learned" && grep -q '^tcp:127.0.0.3:9000 ' "$T/learned" &&
	grep -q '^udp:127.0.0.3:9001 ' "$T/learned" && grep -q '^udp:127.0.0.2:9001 ' "$T/learned" &&
	grep -q '^tcp:\[::1\]:9000 ' "$T/learned" && grep -q '^--bind 9120 ' "$T/learned" &&
	pass "--learn writes rules per host with grouped ports, tcp:/udp: as seen, --bind" ||
	fail "--learn writes rules per host with grouped ports, tcp:/udp: as seen, --bind" "$(cat "$T/learned")"
audit_contact "$T/learned-again"
mark
run -A "$T/learned-again" -a 127.0.0.2:9000 -- sh "$HELPERS/contact.sh" "$OP"
if [ "$rc" = 0 ] && [ "$(grep -c '^ok' "$T/out")" = 7 ] && ! grep -q denied "$T/err" && got t-aud-7; then
	pass "the learned file allows the same run with no denial"
else
	fail "the learned file allows the same run with no denial" "rc $rc $out $err"
fi

# with pinned DNS, names the program asks for are known to --audit and --learn
BYNAME='import socket, sys; s=socket.create_connection(("audit.test", 9000)); s.sendall(sys.argv[1].encode()); s.close(); print("ok")'
rm -f "$T/learned-names"
mark
run "${ADNS[@]}" --audit --learn "$T/learned-names" -a 127.0.0.2 -- python3 -c "$BYNAME" t-aud-name
[ "$out" = ok ] && got t-aud-name && grep -q '^tcp:audit.test:9000 ' "$T/learned-names" &&
	pass "--audit with pinned DNS: the name the program asked for is learned" ||
	fail "--audit with pinned DNS: the name the program asked for is learned" "rc $rc $out $err $(cat "$T/learned-names" 2>/dev/null)"
rm -f "$T/learned-names-again"
run "${ADNS[@]}" --audit --learn "$T/learned-names-again" -a 127.0.0.2 -- python3 -c "$BYNAME" t-aud-name-1
run "${ADNS[@]}" -A "$T/learned-names-again" -a 127.0.0.2 -- python3 -c "$BYNAME" t-aud-name-2
[ "$out" = ok ] && ! grep -q denied "$T/err" && pass "the learned name rule allows the program by name" ||
	fail "the learned name rule allows the program by name" "rc $rc $out $err"
run -l "$T/audlog" --audit -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-aud-log
grep -q '"verdict":"audit".*"tip":"--allow tcp:127.0.0.3:9000"' "$T/audlog" &&
	pass "--audit: the log has verdict audit with a tip" || fail "--audit: the log has verdict audit with a tip" "$(cat "$T/audlog")"
run -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000
case $err in *"summary: 1 call denied"*"to allow them: --allow tcp:127.0.0.3:9000"*) pass "exit summary after a denial" ;;
*) fail "exit summary after a denial" "$err" ;; esac
run -q -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000
[ -z "$err" ] && pass "-q: no summary" || fail "-q: no summary" "$err"
