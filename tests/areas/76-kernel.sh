#!/usr/bin/env bash
# kernel: what netpin cannot mediate (x32 system calls), and restricted
# environments (a seccomp profile that refuses pidfd_getfd or
# process_vm_readv, as container runtimes install: tests/refuse); and the
# floors make bench measures netpin against (tests/bench/floor: a minimal
# notifier and a minimal filter, the kernel's mechanism without netpin).
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

run -a 127.0.0.2 -- python3 "$HELPERS/x32.py"
case "$rc:$err" in
159:*"killed by the filter (SIGSYS)"*) pass "an x32 system call kills the command (SIGSYS, 159) and netpin says so" ;;
*) fail "an x32 system call kills the command (SIGSYS, 159) and netpin says so" "rc $rc out $out err $err" ;;
esac
if [ "$MODE" = pidfd_getfd ]; then
	# (in addfd mode every test runs this way)
	mark
	"$ROOT/tests/refuse" docker -- "$NP" -v -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-docker >"$T/out" 2>"$T/err"
	rc=$?
	case "$rc:$(cat "$T/out"):$(cat "$T/err")" in
	*"mediation: pidfd_getfd"*) fail "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode (-v says so) and works" "rc $rc $(cat "$T/err")" ;;
	0:ok:*"netpin: mediation: addfd ("*) got t-docker &&
		pass "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode (-v says so) and works" ||
		fail "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode (-v says so) and works" "the server never received t-docker" ;;
	*) fail "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode (-v says so) and works" "rc $rc $(cat "$T/out" "$T/err")" ;;
	esac
fi
mark
"$ROOT/tests/refuse" 310 -- "$NP" -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-procmem >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = ok ] && got t-procmem && pass "process_vm_readv refused: /proc/PID/mem is read instead" ||
	fail "process_vm_readv refused: /proc/PID/mem is read instead" "$(cat "$T/out" "$T/err")"
mark
"$ROOT/tests/refuse" 310 -- "$NP" -a 127.0.0.2:9000 -- "$OP" udp-sendto 127.0.0.3 9001 t-procmem-deny >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = "$DENY" ] && silent t-procmem-deny && pass "process_vm_readv refused: denials still hold" ||
	fail "process_vm_readv refused: denials still hold" "$(cat "$T/out" "$T/err")"

# make bench's floors (tests/bench/floor) do not depend on the mode.  Each
# runs one loopback connect that must arrive; the notifiers must have been
# sent it (a count of 0 means their filter missed the call; perform must
# have made it itself), and the filter
# alone must be in place (/proc says seccomp mode 2) and send nothing.
if [ "$MODE" = pidfd_getfd ]; then
	FLOOR=$ROOT/tests/bench/floor
	for m in continue sync; do
		what="bench floor '$m': a connect is sent to its notifier, answered CONTINUE, and arrives"
		mark
		"$FLOOR" "$m" -- "$OP" tcp 127.0.0.2 9000 "t-floor-$m" >"$T/out" 2>"$T/err"
		rc=$?
		n=$(sed -n "s/^floor $m: \([0-9]*\) notifications, each answered CONTINUE$/\1/p" "$T/err")
		if [ "$m:$rc" = sync:3 ] && grep -q "SYNC_WAKE_UP unavailable" "$T/err"; then
			skip "$what" "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP unavailable (Linux < 6.6)"
		elif [ "$rc:$(cat "$T/out")" != 0:ok ]; then
			fail "$what" "rc $rc: $(cat "$T/out" "$T/err")"
		elif [ -z "$n" ] || [ "$n" -lt 1 ]; then
			fail "$what" "no notification counted: $(cat "$T/err")"
		elif ! got "t-floor-$m"; then
			fail "$what" "the server never received t-floor-$m"
		else
			pass "$what"
		fi
	done
	what="bench floor 'perform': a connect is sent to its notifier, made on a duplicate of the socket, and arrives"
	mark
	"$FLOOR" perform -- "$OP" tcp 127.0.0.2 9000 t-floor-perform >"$T/out" 2>"$T/err"
	rc=$?
	n=$(sed -n 's/^floor perform: [0-9]* notifications, \([0-9]*\) connects performed$/\1/p' "$T/err")
	if [ "$rc:$(cat "$T/out")" != 0:ok ]; then
		fail "$what" "rc $rc: $(cat "$T/out" "$T/err")"
	elif [ -z "$n" ] || [ "$n" -lt 1 ]; then
		fail "$what" "no connect performed: $(cat "$T/err")"
	elif ! got t-floor-perform; then
		fail "$what" "the server never received t-floor-perform"
	else
		pass "$what"
	fi
	what="bench floor 'filter': the filter is in place, sends nothing, and the connect arrives"
	mark
	# shellcheck disable=SC2016 # (expanded by that sh)
	"$FLOOR" filter -- sh -c 'grep "^Seccomp:" /proc/self/status && "$1" tcp 127.0.0.2 9000 t-floor-filter' \
		sh "$OP" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc:$(tr -s '\t\n' '  ' <"$T/out")" != "0:Seccomp: 2 ok " ]; then
		fail "$what" "rc $rc: $(cat "$T/out" "$T/err")"
	elif [ "$(cat "$T/err")" != "floor filter: filter only, no notifications" ]; then
		fail "$what" "stderr: $(cat "$T/err")"
	elif ! got t-floor-filter; then
		fail "$what" "the server never received t-floor-filter"
	else
		pass "$what"
	fi
fi
