#!/usr/bin/env bash
# kernel: what netpin cannot mediate (x32 system calls), and restricted
# environments (a seccomp profile that refuses pidfd_getfd or
# process_vm_readv, as container runtimes install: tests/refuse).
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

