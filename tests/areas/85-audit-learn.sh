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

# --audit answers names from the hosts file first, as startup does
printf '127.0.0.2 good.test\n' >"$T/hosts-good"
rm -f "$T/learned-hosts"
mark
run --hosts "$T/hosts-good" "${ADNS[@]}" --audit --learn "$T/learned-hosts" -- \
	curl -sS -m 5 -o /dev/null http://good.test:8080/t-aud-hosts
got t-aud-hosts && grep -q '^tcp:good.test:8080 ' "$T/learned-hosts" &&
	pass "--audit with --hosts: curl reaches good.test, and good.test is learned" ||
	fail "--audit with --hosts: curl reaches good.test, and good.test is learned" "rc $rc err $err; $(cat "$T/learned-hosts" 2>/dev/null)"

# --learn into the -A file keeps its rules and comments, and adds new ones
printf '# my own rules\n127.0.0.2:9000   # the API\n' >"$T/rules-merge"
run -A "$T/rules-merge" --audit --learn "$T/rules-merge" -- sh -c "'$OP' tcp 127.0.0.2 9000 t-m1; '$OP' tcp 127.0.0.3 9000 t-m2"
if grep -q '^# my own rules' "$T/rules-merge" && grep -q '^127.0.0.2:9000   # the API' "$T/rules-merge" &&
	grep -q '^tcp:127.0.0.3:9000 ' "$T/rules-merge"; then
	pass "--learn into the -A file: its rules and comments stay, the new rule is added"
else
	fail "--learn into the -A file: its rules and comments stay, the new rule is added" "$(cat "$T/rules-merge")"
fi
run -A "$T/rules-merge" --audit --learn "$T/rules-merge" -- "$OP" tcp 127.0.0.3 9000 t-m3
[ "$(grep -c '^tcp:127.0.0.3:9000 ' "$T/rules-merge")" = 1 ] &&
	pass "--learn adds no rule the file already holds" ||
	fail "--learn adds no rule the file already holds" "$(cat "$T/rules-merge")"

# the files netpin writes are checked before anything is resolved or run
run --learn "$T/no/such/dir/learned" -a 127.0.0.2 -- "$OP" tcp 127.0.0.2 9000 t-early1
mark
case "$rc:$out" in
125:) silent t-early1 && pass "--learn in a missing directory: 125 before the command runs" ||
	fail "--learn in a missing directory: 125 before the command runs" "the command ran" ;;
*) fail "--learn in a missing directory: 125 before the command runs" "rc $rc out $out err $err" ;;
esac
run --learn /proc/version -a 127.0.0.2 -- true
[ "$rc" = 125 ] && pass "--learn /proc/version: 125 at start" || fail "--learn /proc/version: 125 at start" "rc $rc err $err"
run -l "$T/no/such/dir/log" --dns 127.0.0.1:5383 --resolv "$T/resolv.empty" -a needs-dns.test -- true
case "$rc:$err" in
125:*"does not resolve"*) fail "--log in a missing directory: 125 before resolving" "resolved first: $err" ;;
125:*"--log"*) pass "--log in a missing directory: 125 before resolving" ;;
*) fail "--log in a missing directory: 125 before resolving" "rc $rc err $err" ;;
esac
# a learn file that cannot be written at exit turns status 0 into 125
mkdir -p "$T/goes-away"
run --audit --learn "$T/goes-away/learned" -a 127.0.0.2 -- sh -c "'$OP' tcp 127.0.0.3 9000 t-gone >/dev/null; rm -rf '$T/goes-away'"
case "$rc:$err" in
125:*"--learn"*) pass "--learn: a file that cannot be written at exit makes the status 125, with a message" ;;
*) fail "--learn: a file that cannot be written at exit makes the status 125, with a message" "rc $rc err $err" ;;
esac
# a learn file with a NUL byte is not merged into (its text would be cut
# there, and what followed lost): refused at start
printf 'tcp:127.0.0.2:9000\n\000tcp:127.0.0.2:9001\n' >"$T/learned-nul"
run --audit --learn "$T/learned-nul" -a 127.0.0.2 -- true
case "$rc:$err" in
125:*"NUL byte"*) cmp -s "$T/learned-nul" <(printf 'tcp:127.0.0.2:9000\n\000tcp:127.0.0.2:9001\n') &&
	pass "--learn into a file with a NUL byte: 125 at start, the file untouched" ||
	fail "--learn into a file with a NUL byte: 125 at start, the file untouched" "file changed" ;;
*) fail "--learn into a file with a NUL byte: 125 at start, the file untouched" "rc $rc err $err" ;;
esac
