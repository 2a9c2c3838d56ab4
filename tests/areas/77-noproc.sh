#!/usr/bin/env bash
# noproc: netpin in the pidfd_getfd mode without /proc (an initramfs before
# /proc is mounted): reads with process_vm_readv, write-backs with
# process_vm_writev checked by the caller's pidfd; the addfd mode, which
# needs /proc, says so.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd
if [ "$(id -u)" != 0 ] || ! unshare -m --propagation private true 2>/dev/null; then
	for t in "an allowed connect" "a denied connect" "sendmmsg lengths written back" \
		"threads" "pinned DNS (recvfrom written back)" "the addfd mode says it needs /proc"; do
		skip "no /proc: $t" "needs root and a mount namespace"
	done
	exit 0
fi
recorder_start
NOPROC=(unshare -m --propagation private sh "$HELPERS/noproc.sh")
# noproc_run ARGS...: netpin ARGS... without /proc
noproc_run() {
	"${NOPROC[@]}" "$NP" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
mark
noproc_run -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-noproc-ok
[ "$out" = ok ] && got t-noproc-ok && pass "no /proc: an allowed connect reaches its server" ||
	fail "no /proc: an allowed connect reaches its server" "rc $rc out '$out' err $err"
mark
noproc_run -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-noproc-deny
[ "$out" = "$DENY" ] && silent t-noproc-deny && pass "no /proc: a denied connect fails and reaches nothing" ||
	fail "no /proc: a denied connect fails and reaches nothing" "rc $rc out '$out' err $err"
mark
noproc_run -a 127.0.0.2 -- "$OP" udp-sendmmsg 127.0.0.2 9001 t-np-a 127.0.0.3 9001 t-np-b
[ "$out" = "ok 1" ] && got t-np-a && silent t-np-b &&
	pass "no /proc: sendmmsg sends up to the denied message, and its lengths are written back" ||
	fail "no /proc: sendmmsg sends up to the denied message, and its lengths are written back" "rc $rc out '$out' err $err"
noproc_run -a 127.0.0.2:9000 -- "$OP" threads 8 127.0.0.2 9000
[ "$out" = "ok 8" ] && pass "no /proc: 8 threads connect" || fail "no /proc: 8 threads connect" "rc $rc out '$out' err $err"
if [ -x "$ROOT/tests/netop-musl" ]; then
	printf '127.0.0.2 noproc.test\n' >"$T/hosts"
	noproc_run --hosts "$T/hosts" --resolv "$T/resolv.empty" -a noproc.test -- "$ROOT/tests/netop-musl" resolve noproc.test
	[ "$out" = 127.0.0.2 ] && pass "no /proc: pinned DNS answers musl's resolver (its recvfrom written back)" ||
		fail "no /proc: pinned DNS answers musl's resolver (its recvfrom written back)" "rc $rc out '$out' err $err"
else
	skip "no /proc: pinned DNS answers musl's resolver" "tests/netop-musl not built (no musl-gcc)"
fi
"${NOPROC[@]}" "$ROOT/tests/np-addfd" -a 127.0.0.2 -- true >"$T/out" 2>"$T/err"
rc=$?
case "$rc:$(cat "$T/err")" in
125:*"the addfd mode"*"needs /proc"*) pass "no /proc: the addfd mode says it needs /proc (125)" ;;
*) fail "no /proc: the addfd mode says it needs /proc (125)" "rc $rc err $(cat "$T/err")" ;;
esac
