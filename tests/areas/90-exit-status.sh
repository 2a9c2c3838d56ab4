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
# said as a shell says it
run -a 127.0.0.2 -- no-such-command-here
[ "$rc:$err" = "127:netpin: no-such-command-here: command not found" ] &&
	pass "a command not in PATH: 'command not found' (127)" ||
	fail "a command not in PATH: 'command not found' (127)" "rc $rc err $err"
run -a 127.0.0.2 -- "$T"
[ "$rc:$err" = "126:netpin: $T: is a directory" ] &&
	pass "a directory for a command: 'is a directory' (126)" ||
	fail "a directory for a command: 'is a directory' (126)" "rc $rc err $err"
bad_rule() {
	local rule=$1 what=$2
	run -a "$rule" -- true
	[ "$rc" = 125 ] && [ -n "$err" ] && pass "bad rule '$rule' ($what): 125" ||
		fail "bad rule '$rule' ($what): 125" "rc $rc err $err"
}
# bad_rule_says RULE TEXT: 125, and the message says TEXT
bad_rule_says() {
	run -a "$1" -- true
	case "$rc:$err" in
	125:*"$2"*) pass "bad rule '$1' says: $2" ;;
	*) fail "bad rule '$1' says: $2" "rc $rc err $err" ;;
	esac
}
bad_rule_says "icmp:1.2.3.4" "unknown protocol prefix: tcp:, udp:, tls:, http: or raw:"
bad_rule_says "http://example.com" "not a URL (for http://example.com/ write example.com:80)"
bad_rule_says "example.com:443/tcp" "the protocol goes first: tcp:HOST:PORT"
bad_rule_says "tcp:udp:1.2.3.4" "one protocol prefix at most"
bad_rule_says "*" "everything is 0.0.0.0/0 and ::/0, or --audit"
bad_rule_says "300.1.1.1" "not an IPv4 address"
# warn_rule RULE TEXT: the command runs (0), and a warning says TEXT
warn_rule() {
	run -a "$1" -a 127.0.0.2 -a 127.0.0.2 -- true
	case "$rc:$err" in
	0:*"$2"*) pass "rule '$1' runs with a warning: $2" ;;
	*) fail "rule '$1' runs with a warning: $2" "rc $rc err $err" ;;
	esac
}
warn_rule "::1:80" "for port 80 of ::1 write [::1]:80"
warn_rule "127.0.0.1:0" "port 0 is nobody's port"
warn_rule "127.0.0.3" "rule '127.0.0.2' is given twice"
printf '\357\273\277127.0.0.2:9000\n' >"$T/bom-allow"
run -A "$T/bom-allow" -- true
[ "$rc" = 0 ] && pass "an allow-file that starts with a UTF-8 byte order mark is read" ||
	fail "an allow-file that starts with a UTF-8 byte order mark is read" "rc $rc err $err"
printf '127.0.0.2\n--dns 127.0.0.1\n' >"$T/opt-allow"
run -A "$T/opt-allow" -- true
case "$rc:$err" in
125:*"opt-allow:2"*"holds RULEs"*"--bind PORTS"*) pass "an option line in an allow-file names the lines it may hold (125)" ;;
*) fail "an option line in an allow-file names the lines it may hold (125)" "rc $rc err $err" ;;
esac
for o in -l -A; do
	run "$o"
	case "$rc:$err" in
	125:*"option '$o' needs an argument"*) pass "'netpin $o' says that $o needs an argument" ;;
	*) fail "'netpin $o' says that $o needs an argument" "rc $rc err $err" ;;
	esac
done
run --bind 99999 -- true
[ "$rc" = 125 ] && [ "$(printf '%s' "$err" | grep -o -- '--bind' | wc -l)" = 1 ] &&
	pass "a bad --bind says --bind once" || fail "a bad --bind says --bind once" "rc $rc err $err"
for e in ECONNREFUSED EACCES ENETUNREACH EPERM; do
	run --deny-errno "$e" -a 127.0.0.2 -- "$OP" tcp 127.0.0.3 9000 t-deny-errno
	[ "$out" = "$e" ] && pass "--deny-errno $e: a denied connect fails with $e" ||
		fail "--deny-errno $e: a denied connect fails with $e" "out '$out' err $err"
done
run --deny-errno ECONNREFUSED -a 127.0.0.2 -- "$OP" udp-sendto 127.0.0.3 9001 t-deny-errno
[ "$out" = ECONNREFUSED ] && pass "--deny-errno ECONNREFUSED: a denied send too" ||
	fail "--deny-errno ECONNREFUSED: a denied send too" "out '$out' err $err"
run --deny-errno ECONNREFUSED -a 127.0.0.2 -- "$OP" bind tcp 127.0.0.2 9555
[ "$out" = EACCES ] && pass "--deny-errno: a denied bind is still EACCES" ||
	fail "--deny-errno: a denied bind is still EACCES" "out '$out' err $err"
run --deny-errno ENOENT -a 127.0.0.2 -- true
[ "$rc" = 125 ] && pass "--deny-errno ENOENT is refused (125)" || fail "--deny-errno ENOENT is refused (125)" "rc $rc err $err"
bad_rule "" "empty"
bad_rule "300.1.1.1" "an IPv4 number over 255 is no name"
bad_rule "1.2.3" "three numbers are no name"
bad_rule "010.0.0.1" "octal-looking IPv4 is no name"
bad_rule "-example.com" "a label begins with a hyphen"
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
