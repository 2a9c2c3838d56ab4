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

# netpin stopped and continued (Ctrl-Z and fg, a tracer attaching) while
# the command makes sockets: each socket() still returns a new socket.  In
# the addfd mode a stop during SECCOMP_ADDFD_FLAG_SEND made the kernel
# answer socket() with 0 (76 times in 20,000 here), so netpin does not use it
what="netpin stopped and continued during socket() calls: every one returns a new socket"
if [ "$MODE" != addfd ]; then
	skip "$what" "socket() is mediated in the addfd mode only"
else
	"$NP" -a 127.0.0.2 -- python3 -c 'import os, socket, stat
bad = 0
for i in range(10000):
    s = socket.socket()
    fd = s.fileno()
    if fd == 0 or not stat.S_ISSOCK(os.fstat(fd).st_mode):
        bad += 1
        s.detach()
    else:
        s.close()
print("bad", bad)' </dev/null >"$T/out" 2>"$T/err" &
	np=$!
	stops=0
	sleep 0.1
	while kill -STOP $np 2>/dev/null; do
		stops=$((stops + 1))
		sleep 0.001
		kill -CONT $np 2>/dev/null
		sleep 0.001
	done
	wait $np
	rc=$?
	out=$(cat "$T/out")
	if [ "$rc:$out" = "0:bad 0" ] && [ $stops -ge 50 ]; then
		pass "$what ($stops stops)"
	else
		fail "$what" "rc $rc out '$out' stops $stops err $(head -3 "$T/err")"
	fi
fi
