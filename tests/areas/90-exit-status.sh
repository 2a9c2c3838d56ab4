#!/usr/bin/env bash
# exit-status: netpin exits with the command's status, 126/127 when it cannot
# run it, 125 for a bad rule or option; --help, --version.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

run -a 127.0.0.2 -- sh -c 'exit 3'
[ "$rc" = 3 ] && pass "exit status: the command's (3)" || fail "exit status: the command's (3)" "rc $rc"
run -a 127.0.0.2 -- sh -c 'kill -TERM $$'
[ "$rc" = 143 ] && pass "exit status: 128+15 when the command dies of SIGTERM" || fail "exit status: 128+15 when the command dies of SIGTERM" "rc $rc"
run -a 127.0.0.2 -- "$T/does-not-exist"
[ "$rc" = 127 ] && [ -n "$err" ] && pass "exit status: 127 for a command not found" || fail "exit status: 127 for a command not found" "rc $rc"
run -a 127.0.0.2 -- "$DATA/hosts"
[ "$rc" = 126 ] && pass "exit status: 126 for a command not executable" || fail "exit status: 126 for a command not executable" "rc $rc"
bad_rule() {
	local rule=$1 what=$2
	run -a "$rule" -- true
	[ "$rc" = 125 ] && [ -n "$err" ] && pass "bad rule '$rule' ($what): 125" ||
		fail "bad rule '$rule' ($what): 125" "rc $rc err $err"
}
bad_rule "" "empty"
bad_rule "127.0.0.2:" "empty port"
bad_rule "127.0.0.2:70000" "port out of range"
bad_rule "127.0.0.2:9002-9000" "backwards range"
bad_rule "127.0.0.2:80,,81" "empty list item"
bad_rule "127.0.0.2:http" "port not a number"
bad_rule "127.0.0.1/33" "prefix too long"
bad_rule "[::1]/129" "IPv6 prefix too long"
bad_rule "[::1" "unclosed bracket"
bad_rule "[nothost]:80" "bracketed non-address"
bad_rule "sctp:127.0.0.1" "unknown protocol"
bad_rule "bad host!:80" "bad name"
bad_rule "*.:80" "bad wildcard"
bad_rule "$(printf 'a%.0s' $(seq 70)).example" "label over 63"
bad_option() {
	local what=$1
	shift
	run "$@"
	[ "$rc" = 125 ] && [ -n "$err" ] && pass "bad usage ($what): 125" || fail "bad usage ($what): 125" "rc $rc err $err"
}
bad_option "unknown option" --no-such-option -- true
bad_option "missing argument" -a
bad_option "no command" -a 127.0.0.1
bad_option "--learn without an argument" --learn
bad_option "-q with -v" -q -v -a 127.0.0.1 -- true
bad_option "bad --bind" --bind 99999 -- true
bad_option "unreadable allow-file" -A "$T/nonexistent" -- true
bad_option "unwritable log" -l /nonexistent/dir/log -a 127.0.0.1 -- true
run --help
[ "$rc" = 0 ] && [ -n "$out" ] && pass "--help: usage on stdout, 0" || fail "--help: usage on stdout, 0" "rc $rc"
run --version
case "$rc:$out" in 0:"netpin "*) pass "--version: 0" ;; *) fail "--version: 0" "rc $rc $out" ;; esac
