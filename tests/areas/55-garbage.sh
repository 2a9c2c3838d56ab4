#!/usr/bin/env bash
# garbage: bad lengths, pointers and fds from the command get the kernel's
# errno, and netpin goes on.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

garbage() {
	local what=$1
	shift
	bare=$("$OP" "$@" </dev/null 2>/dev/null)
	run -a 127.0.0.2 -- "$OP" "$@" </dev/null
	[ -n "$bare" ] && [ "$out" = "$bare" ] && pass "$what gives the kernel's errno ($bare)" ||
		fail "$what gives the kernel's errno" "bare '$bare', under netpin '$out' $err"
}
garbage "connect with addrlen -1" connect-badlen 127.0.0.2 9000 -1
garbage "connect with addrlen 4096" connect-badlen 127.0.0.2 9000 4096
garbage "connect with addrlen 4" connect-badlen 127.0.0.2 9000 4
garbage "connect with addrlen 0" connect-badlen 127.0.0.2 9000 0
garbage "connect with a bad pointer" connect-badptr
garbage "connect on a closed fd" connect-badfd 77 127.0.0.2 9000
garbage "connect on a non-socket fd" connect-badfd 0 127.0.0.2 9000
garbage "sendto with addrlen 4096" sendto-badlen 127.0.0.2 9001 4096
garbage "sendto with addrlen -5" sendto-badlen 127.0.0.2 9001 -5
garbage "sendmsg with a bad iovec" sendmsg-badiov 127.0.0.2 9001
run -a 127.0.0.2:9000 -- sh -c "'$OP' connect-badptr; '$OP' connect-badlen 127.0.0.2 9000 -1; '$OP' tcp 127.0.0.2 9000 t-after"
[ "$(tail -1 "$T/out")" = ok ] && pass "netpin keeps working after garbage" || fail "netpin keeps working after garbage" "$out"

