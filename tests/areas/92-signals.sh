#!/usr/bin/env bash
# signals: a signal to netpin reaches the command.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

for sig in TERM HUP; do
	"$NP" -a 127.0.0.2 -- sleep 30 >/dev/null 2>&1 &
	np=$!
	sleep 0.3
	kill -"$sig" $np
	wait $np
	rc=$?
	want=$((128 + $(kill -l "$sig")))
	[ "$rc" = "$want" ] && pass "SIG$sig to netpin reaches the command ($want)" ||
		fail "SIG$sig to netpin reaches the command ($want)" "rc $rc, want $want"
done
