#!/usr/bin/env bash
# tcp: connect, blocking and not, allowed and denied.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

expect_allowed "TCP connect to an allowed host:port" t-tcp-ok \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-tcp-ok
expect_denied "TCP connect to a denied host" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-tcp-deny
run -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-tcp-deny-line
case $err in
*"netpin: denied connect to 127.0.0.3:9000/tcp by netop["*) pass "denial line on stderr names verb, address, proto and command" ;;
*) fail "denial line on stderr names verb, address, proto and command" "$err" ;;
esac
run -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-tcp-deny-rc
[ "$rc" = 1 ] && pass "netpin exits with the command's status (1)" ||
	fail "netpin exits with the command's status (1)" "rc $rc"
expect_allowed "non-blocking TCP connect allowed" t-nb-ok \
	-a 127.0.0.2:9000 -- "$OP" tcp-nb 127.0.0.2 9000 t-nb-ok
expect_denied "non-blocking TCP connect denied" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp-nb 127.0.0.3 9000 t-nb-deny
expect_denied "loopback is denied without a rule" 127.0.0.1:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.1 9000 t-lo-deny
