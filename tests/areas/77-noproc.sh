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
		"threads" "pinned DNS (recvfrom written back)" "a unix socket by path" \
		"the addfd mode says it needs /proc"; do
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
# a unix socket by path is made as the command (root, directory,
# credentials: /proc); without /proc, a path that is not there answers
# ENOENT as the kernel would (glibc's try of nscd), any other is refused
# and said, naming the call and the path
python3 "$HELPERS/unix_listen.py" "$T/noproc.sock" </dev/null >/dev/null 2>&1 &
background $!
wait_until test -S "$T/noproc.sock"
noproc_run -a 127.0.0.2 -- python3 "$HELPERS/unix_connect.py" "$T/no-such.sock" "$T/noproc.sock"
[ "$out" = "ENOENT EACCES" ] &&
	[[ $err == *"connect(unix socket $T/noproc.sock) by pid "*"needs a /proc of netpin's own: call denied"* ]] &&
	[[ $err != *"read /proc/PID/status"* ]] &&
	pass "no /proc: a unix socket by path that is not there answers ENOENT; another is refused, naming the call and the path" ||
	fail "no /proc: a unix socket by path that is not there answers ENOENT; another is refused, naming the call and the path" "rc $rc out '$out' err $err"
"${NOPROC[@]}" "$ROOT/tests/np-addfd" -a 127.0.0.2 -- true >"$T/out" 2>"$T/err"
rc=$?
case "$rc:$(cat "$T/err")" in
125:*"the addfd mode"*"needs /proc"*) pass "no /proc: the addfd mode says it needs /proc (125)" ;;
*) fail "no /proc: the addfd mode says it needs /proc (125)" "rc $rc err $(cat "$T/err")" ;;
esac

# ---- a /proc of another PID namespace ------------------------------------------
# Under unshare -p without --mount-proc, /proc shows the outer namespace's
# processes: PID N there is another process than N here.  netpin must say
# so once, read no process through it, and work as with no /proc.
FOREIGN=(unshare -pf)
# foreign_run ARGS...: netpin ARGS... in a PID namespace of its own, the
# outer /proc kept
foreign_run() {
	"${FOREIGN[@]}" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
foreign_said() {
	[[ $err == *"netpin: /proc is another PID namespace's"* ]] &&
		[ "$(grep -c "/proc is another PID namespace's" <<<"$err")" = 1 ]
}
# a denial names the caller by no process of the outer namespace: its
# name is unknown ("?"), its id the caller's own here
no_outer_name() { grep -q "by ?\[[0-9]*\]" <<<"$err" && ! grep -Eq "by (kthreadd|systemd|init|sh|bash)\[" <<<"$err"; }
mark
foreign_run "$NP" -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-foreign-ok
[ "$out" = ok ] && got t-foreign-ok && foreign_said &&
	pass "another namespace's /proc: said once, and an allowed connect reaches its server" ||
	fail "another namespace's /proc: said once, and an allowed connect reaches its server" "rc $rc out '$out' err $err"
mark
foreign_run "$NP" -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-foreign-deny
[ "$out" = "$DENY" ] && silent t-foreign-deny && no_outer_name &&
	pass "another namespace's /proc: a denied connect fails, and no outer process is named for it" ||
	fail "another namespace's /proc: a denied connect fails, and no outer process is named for it" "rc $rc out '$out' err $err"
# a unix connect by path is made with the caller's credentials: never with
# those of the outer process its number names there
python3 "$HELPERS/unix_listen.py" "$T/foreign.sock" </dev/null >/dev/null 2>&1 &
background $!
wait_until test -S "$T/foreign.sock"
foreign_run "$NP" -a 127.0.0.2:9000 -- python3 "$HELPERS/unix_connect.py" "$T/foreign.sock"
[[ $err != *kthreadd* && $err != *"pid 2 "* ]] && [[ $out != ok* ]] && foreign_said &&
	pass "another namespace's /proc: a unix connect that needs the caller's credentials is refused, not made as another process" ||
	fail "another namespace's /proc: a unix connect that needs the caller's credentials is refused, not made as another process" "rc $rc out '$out' err $err"
foreign_run "$ROOT/tests/np-addfd" -a 127.0.0.2 -- true
case "$rc:$err" in
125:*"the addfd mode"*"needs /proc, of netpin's own PID namespace (this one is another namespace's)"*)
	pass "another namespace's /proc: the addfd mode says it needs one of its own (125)" ;;
*) fail "another namespace's /proc: the addfd mode says it needs one of its own (125)" "rc $rc err $err" ;;
esac
# unprivileged: a user namespace of its own, as rootless tools make
mkdir -m 755 "$T/nb"
cp "$NP" "$OP" "$T/nb/"
if setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Upfr true 2>/dev/null; then
	mark
	FOREIGN=(setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Upfr)
	foreign_run "$T/nb/netpin" -a 127.0.0.2:9000 -- "$T/nb/netop" tcp 127.0.0.2 9000 t-foreign-u-ok
	[ "$out" = ok ] && got t-foreign-u-ok && foreign_said &&
		pass "another namespace's /proc, unprivileged: said once, and an allowed connect reaches its server" ||
		fail "another namespace's /proc, unprivileged: said once, and an allowed connect reaches its server" "rc $rc out '$out' err $err"
	mark
	foreign_run "$T/nb/netpin" -a 127.0.0.2:9000 -- "$T/nb/netop" tcp 127.0.0.3 9000 t-foreign-u-deny
	[ "$out" = "$DENY" ] && silent t-foreign-u-deny && no_outer_name &&
		pass "another namespace's /proc, unprivileged: a denied connect fails, and no outer process is named" ||
		fail "another namespace's /proc, unprivileged: a denied connect fails, and no outer process is named" "rc $rc out '$out' err $err"
else
	for t in "an allowed connect" "a denied connect"; do
		skip "another namespace's /proc, unprivileged: $t" "no unprivileged user namespaces here"
	done
fi
