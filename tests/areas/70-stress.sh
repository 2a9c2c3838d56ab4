#!/usr/bin/env bash
# stress: 4 processes x 32 threads, mediated connects and sends, 5 s.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

run -a 127.0.0.2 -- tests/stress 4 32 5 127.0.0.2 127.0.0.3 9000 9001
case "$rc:$out" in 0:"ok "*) pass "stress: 4 processes x 32 threads for 5 s, every call answered right (${out#ok } calls)" ;;
*) fail "stress: 4 processes x 32 threads for 5 s" "rc $rc $out $err" ;; esac
