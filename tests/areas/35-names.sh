#!/usr/bin/env bash
# names: rules by name from a hosts file (no DNS server is asked), and
# allow-files.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

HOSTS=$DATA/hosts
expect_allowed "a name from the hosts file allows its address" t-name \
	--resolv "$T/resolv.empty" --hosts "$HOSTS" -a allowed.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-name
expect_allowed "an alias from the hosts file" t-alias \
	--resolv "$T/resolv.empty" --hosts "$HOSTS" -a ALIAS.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-alias
expect_denied "a name allows only its own addresses" 127.0.0.3:9000 \
	--resolv "$T/resolv.empty" --hosts "$HOSTS" -a allowed.test -- "$OP" tcp 127.0.0.3 9000 t-name-deny
run --resolv "$T/resolv.empty" --hosts "$HOSTS" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-missing
case "$rc:$out:$err" in
125::*"rule 'missing.test': missing.test does not resolve"*"hint: "*"--skip-unresolved"*)
	pass "a name rule that pins nothing stops netpin (125), saying what to do" ;;
*) fail "a name rule that pins nothing stops netpin (125), saying what to do" "rc $rc out $out err $err" ;;
esac
run --skip-unresolved --resolv "$T/resolv.empty" --hosts "$HOSTS" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-missing
case "$rc:$out:$err" in
1:"$DENY":*"missing.test does not resolve"*) pass "--skip-unresolved: an unresolved name warns and the command runs" ;;
*) fail "--skip-unresolved: an unresolved name warns and the command runs" "rc $rc out $out err $err" ;;
esac
run --strict --resolv "$T/resolv.empty" --hosts "$HOSTS" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-strict
[ "$rc" = 125 ] && [ -z "$out" ] && pass "--strict: an unresolved name is an error (125)" ||
	fail "--strict: an unresolved name is an error (125)" "rc $rc"
run --resolv "$T/resolv.empty" --hosts "$T/nonexistent" -a missing.test -- true
[ "$rc" = 125 ] && pass "an unreadable hosts file is an error (125)" || fail "an unreadable hosts file is an error (125)" "rc $rc"
expect_allowed "--allow-file rules (TCP)" t-file \
	-A "$DATA/allow" -- "$OP" tcp 127.0.0.2 9000 t-file
expect_allowed "--allow-file rules (UDP)" t-fileu \
	-A "$DATA/allow" -- "$OP" udp-sendto 127.0.0.2 9001 t-fileu
expect_denied "--allow-file allows nothing else" 127.0.0.2:9002 \
	-A "$DATA/allow" -- "$OP" tcp 127.0.0.2 9002 t-file-deny
run -A "$DATA/badallow" -- true
case "$rc:$err" in
125:*"badallow:2"*) pass "a bad line in an allow-file names file and line (125)" ;;
*) fail "a bad line in an allow-file names file and line (125)" "rc $rc err $err" ;;
esac
