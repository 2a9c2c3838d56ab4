#!/usr/bin/env bash
# stress: 4 processes x 32 threads, mediated connects and sends, 5 s.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

run -a 127.0.0.2 -- tests/stress 4 32 5 127.0.0.2 127.0.0.3 9000 9001
case "$rc:$out" in 0:"ok "*) pass "stress: 4 processes x 32 threads for 5 s, every call answered right (${out#ok } calls)" ;;
*) fail "stress: 4 processes x 32 threads for 5 s" "rc $rc $out $err" ;; esac

# the same under a small descriptor limit: netpin's own descriptors (kept
# pidfds, and in the addfd mode the sockets it holds for the command) must
# stay within it, and the sockets the command closes be let go of in time
if ulimit -n 2048 2>/dev/null; then
	run -a 127.0.0.2 -- tests/stress 4 32 4 127.0.0.2 127.0.0.3 9000 9001
	case "$rc:$out" in 0:"ok "*) pass "stress under RLIMIT_NOFILE 2048: every call answered right (${out#ok } calls)" ;;
	*) fail "stress under RLIMIT_NOFILE 2048" "rc $rc $out $err" ;; esac
else
	skip "stress under RLIMIT_NOFILE 2048" "cannot set the limit"
fi
