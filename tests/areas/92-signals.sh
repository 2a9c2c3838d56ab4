#!/usr/bin/env bash
# signals: a signal to netpin reaches the command.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

# (the signal is sent once the command runs, so that it is netpin that
# passes it on; the command has it at its default action even when this
# run inherited it ignored, as under nohup)
dfl=()
env --default-signal true 2>/dev/null && dfl=(env --default-signal)
for sig in TERM HUP; do
	rm -f "$T/up"
	"$NP" -a 127.0.0.2 -- "${dfl[@]}" sh -c ': >"$1"; exec sleep 30' sh "$T/up" >/dev/null 2>&1 &
	np=$!
	wait_until [ -e "$T/up" ]
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
# answer socket() with 0 (76 times in 20,000 here), so netpin does not use it.
# The command makes sockets until netpin has been stopped and continued 100
# times (and 10,000 sockets at least): a loaded machine that runs the
# command slowly gets the same number of stops, not fewer.
what="netpin stopped and continued 100 times during socket() calls: every one returns a new socket"
if [ "$MODE" != addfd ]; then
	skip "$what" "socket() is mediated in the addfd mode only"
else
	rm -f "$T/up" "$T/enough"
	"$NP" -a 127.0.0.2 -- python3 -c 'import os, socket, stat, sys
up, enough = sys.argv[1:]
bad = n = 0
open(up, "w").close()
while n < 10000 or not os.path.exists(enough):
    for _ in range(100):
        s = socket.socket()
        fd = s.fileno()
        if fd == 0 or not stat.S_ISSOCK(os.fstat(fd).st_mode):
            bad += 1
            s.detach()
        else:
            s.close()
    n += 100
print("bad", bad)' "$T/up" "$T/enough" </dev/null >"$T/out" 2>"$T/err" &
	np=$!
	stops=0
	wait_until [ -e "$T/up" ]
	while [ $stops -lt 100 ] && kill -STOP $np 2>/dev/null; do
		stops=$((stops + 1))
		sleep 0.001
		kill -CONT $np 2>/dev/null
		sleep 0.001
	done
	: >"$T/enough"
	wait $np
	rc=$?
	out=$(cat "$T/out")
	if [ "$rc:$out" = "0:bad 0" ] && [ $stops = 100 ]; then
		pass "$what"
	else
		fail "$what" "rc $rc out '$out' stops $stops (netpin gone after them?) err $(head -3 "$T/err")"
	fi
fi

# netpin made the owner of a file's I/O signals before it started (by
# whatever execs it: F_SETOWN of its own pid, then exec), and the command
# turns that file's I/O signals on (F_SETSIG SIGUSR1, O_ASYNC) and writes:
# netpin clears the owner at start, says so, and outlives it
python3 - "$NP" >"$T/out" 2>"$T/err" <<'PY'
import fcntl, os, sys
np = sys.argv[1]
r, w = os.pipe()
os.set_inheritable(r, True)
os.set_inheritable(w, True)
fcntl.fcntl(r, fcntl.F_SETOWN, os.getpid())
attack = ("import fcntl, os, sys, time\n"
          "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
          "fcntl.fcntl(r, 10, 10)\n"  # F_SETSIG SIGUSR1
          "fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_ASYNC)\n"
          "os.write(w, b'x')\n"
          "time.sleep(0.5)\n"
          "print('alive', flush=True)\n")
os.execv(np, [np, "-a", "127.0.0.2", "--", "python3", "-c", attack, str(r), str(w)])
PY
rc=$?
out=$(cat "$T/out")
err=$(cat "$T/err")
[ "$rc:$out" = "0:alive" ] && [[ $err == *"its I/O signals went to netpin (F_SETOWN before netpin started): no longer"* ]] &&
	pass "an I/O-signal owner naming netpin, set before it started, is cleared and said; the command's I/O does not signal netpin" ||
	fail "an I/O-signal owner naming netpin, set before it started, is cleared and said; the command's I/O does not signal netpin" "rc $rc (138: netpin died of SIGUSR1) out '$out' err $err"
