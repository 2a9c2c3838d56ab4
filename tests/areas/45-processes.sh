#!/usr/bin/env bash
# processes: threads, forks, many processes at once, a hanging connect beside
# others; unix sockets, made as the command.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

run -a 127.0.0.2:9000 -- "$OP" threads 20 127.0.0.2 9000
[ "$out" = "ok 20" ] && pass "20 threads connect at once" || fail "20 threads connect at once" "$out $err"
expect_allowed "a grandchild (fork, fork, exec) is mediated: allowed" t-gc \
	-a 127.0.0.2:9000 -- "$OP" forkexec 127.0.0.2 9000 t-gc
expect_denied "a grandchild (fork, fork, exec) is mediated: denied" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" forkexec 127.0.0.3 9000 t-gc-deny
run -a 127.0.0.2:9000 -- sh -c "for i in 1 2 3 4; do '$OP' loop 200 127.0.0.2 9000 & done; wait"
[ "$(grep -c '^ok 200$' "$T/out")" = 4 ] && pass "4 processes x 200 connects each" ||
	fail "4 processes x 200 connects each" "$out $err"
run -a 127.0.0.0/8 -- sh -c "'$OP' hang 127.0.0.4 9000 3 & sleep 0.3; '$OP' tcp 127.0.0.2 9000 t-beside; wait"
first=$(head -1 "$T/out")
[ "$first" = ok ] && [ "$(wc -l <"$T/out")" = 2 ] &&
	pass "a hanging blocking connect does not stall a connect beside it" ||
	fail "a hanging blocking connect does not stall a connect beside it" "$out"
# (netop scm-rights passes a pipe: only pidfd_getfd lets netpin carry a file
# that is not a socket it created)
run -a 127.0.0.2 -- "$OP" scm-rights
if [ "$MODE" = pidfd_getfd ]; then
	[ "$out" = ok ] && pass "sendmsg with SCM_RIGHTS over a unix socket delivers a working fd (a pipe)" ||
		fail "sendmsg with SCM_RIGHTS over a unix socket delivers a working fd (a pipe)" "$out $err"
elif [ "$(id -u)" != 0 ]; then
	[ "$out" = ok ] && pass "addfd mode: a pipe passed with SCM_RIGHTS is opened again and works" ||
		fail "addfd mode: a pipe passed with SCM_RIGHTS is opened again and works" "$out $err"
else
	# a privileged netpin does not open files for the command
	case "$out:$err" in
	"EACCES:"*"passes a file descriptor"*"cannot open again"*)
		pass "sendmsg passing a pipe with SCM_RIGHTS under a root netpin fails with EACCES, and netpin says why" ;;
	*) fail "sendmsg passing a pipe with SCM_RIGHTS under a root netpin fails with EACCES, and netpin says why" "rc $rc out '$out' $err" ;;
	esac
	# ... an unprivileged one does (from a directory nobody can reach)
	if command -v setpriv >/dev/null; then
		mkdir -m 755 "$T/nb"
		cp "$NP" "$ROOT/netpin" "$OP" "$T/nb/" 2>/dev/null
		out=$(cd "$T/nb" && setpriv --reuid=65534 --regid=65534 --clear-groups \
			env NETPIN_BIN="$T/nb/netpin" "$T/nb/$(basename "$NP")" -a 127.0.0.2 -- "$T/nb/netop" scm-rights 2>"$T/err")
		[ "$out" = ok ] && pass "addfd mode: a pipe passed with SCM_RIGHTS is opened again and works (unprivileged netpin)" ||
			fail "addfd mode: a pipe passed with SCM_RIGHTS is opened again and works (unprivileged netpin)" "out '$out' $(cat "$T/err")"
		echo passed-file >"$T/nb/file" && chmod 666 "$T/nb/file"
		cp "$HELPERS/pass_fd.py" "$T/nb/"
		out=$(cd "$T/nb" && setpriv --reuid=65534 --regid=65534 --clear-groups \
			env NETPIN_BIN="$T/nb/netpin" "$T/nb/$(basename "$NP")" -a 127.0.0.2 -- \
			/usr/bin/python3 "$T/nb/pass_fd.py" file "$T/nb/file" 2>"$T/err")
		[ "$out" = "read=passed-file write=EBADF" ] &&
			pass "addfd mode: a read-only file passed with SCM_RIGHTS arrives readable, not writable" ||
			fail "addfd mode: a read-only file passed with SCM_RIGHTS arrives readable, not writable" "out '$out' $(cat "$T/err")"
		chmod 777 "$T/nb"
		out=$(cd "$T/nb" && setpriv --reuid=65534 --regid=65534 --clear-groups \
			env NETPIN_BIN="$T/nb/netpin" "$T/nb/$(basename "$NP")" -a 127.0.0.2 -- sh -c \
			"/usr/bin/python3 '$T/nb/pass_fd.py' memfd; /usr/bin/python3 '$T/nb/pass_fd.py' fifo '$T/nb/fifo'" 2>"$T/err")
		[ "$out" = "read=memfd-data
fifo=ok" ] && pass "addfd mode: a memfd and a FIFO passed with SCM_RIGHTS arrive and work" ||
			fail "addfd mode: a memfd and a FIFO passed with SCM_RIGHTS arrive and work" "out '$out' $(cat "$T/err")"
	else
		skip "addfd mode: a pipe passed with SCM_RIGHTS is opened again (unprivileged netpin)" "needs setpriv"
	fi
fi
mkdir -p "$T/udir"
python3 "$HELPERS/unix_recv.py" "$T/udir/sock" "$T/udir/got" &
upid=$!
wait_until [ -S "$T/udir/sock" ]
(cd "$T/udir" && "$NP" -- "$OP" unix-dgram sock t-unixrel >"$T/out" 2>"$T/err")
wait $upid
[ "$(cat "$T/out")" = ok ] && [ "$(cat "$T/udir/got" 2>/dev/null)" = t-unixrel ] &&
	pass "a relative unix socket path is resolved from the command's directory" ||
	fail "a relative unix socket path is resolved from the command's directory" "$(cat "$T/out" "$T/err")"

# unix calls are made as the command: its credentials, root, cwd and umask
(cd "$T/udir" && "$NP" -- sh -c 'umask 077; python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"m.sock\")"' >"$T/out" 2>"$T/err")
mode=$(stat -c %a "$T/udir/m.sock" 2>/dev/null)
[ "$mode" = 700 ] && pass "a unix socket is bound with the command's umask and directory" ||
	fail "a unix socket is bound with the command's umask and directory" "mode '$mode' $(cat "$T/err")"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	mkdir -p "$T/priv" && chmod 700 "$T/priv"
	# (nobody runs it: a copy in $T, which nobody may enter)
	cp "$HELPERS/ucli.py" "$T/ucli.py" && chmod 644 "$T/ucli.py"
	python3 "$HELPERS/peercred.py" "$T/priv/sock" >"$T/priv.out" 2>&1 &
	upid=$!
	wait_until [ -S "$T/priv/sock" ]
	AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 $T/ucli.py $T/priv/sock"
	bare=$($AS_NOBODY)
	# shellcheck disable=SC2086
	run -- $AS_NOBODY
	[ "$bare" = PermissionError ] && [ "$out" = PermissionError ] &&
		pass "root netpin: a command run as nobody cannot reach a root-only unix socket" ||
		fail "root netpin: a command run as nobody cannot reach a root-only unix socket" "bare $bare, netpin $out $err"
	chmod 755 "$T/priv" && chmod 666 "$T/priv/sock"
	# shellcheck disable=SC2086
	run -- $AS_NOBODY
	wait $upid
	[ "$out" = connected ] && [ "$(cat "$T/priv.out")" = 65534 ] &&
		pass "root netpin: the unix peer sees the command's uid, not netpin's" ||
		fail "root netpin: the unix peer sees the command's uid, not netpin's" "$out, peer uid $(cat "$T/priv.out")"
else
	skip "root netpin: a command run as nobody cannot reach a root-only unix socket" "needs root and setpriv"
	skip "root netpin: the unix peer sees the command's uid, not netpin's" "needs root and setpriv"
fi

# CAP_SYS_PTRACE would open netpin's memory and fds to a root command
# where no Landlock domain stops it: the command never has it, in any set
run -- sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status'
if [ "$(id -u)" = 0 ]; then
	bad=
	while read -r set hex; do
		[ $(( (0x$hex >> 19) & 1 )) = 0 ] || bad="$bad $set"
	done <<<"$out"
	# what the command keeps: the rest of what it had
	bare=$(sed -n 's/^CapEff:\t//p' /proc/self/status)
	want=$(printf 'CapEff:\t%016x' $(( 0x$bare & ~(1 << 19) )))
	if [ -z "$bad" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 5 ] &&
		printf '%s\n' "$out" | grep -qx "$want"; then
		pass "a root command has no CAP_SYS_PTRACE (bounding set included), other capabilities kept"
	else
		fail "a root command has no CAP_SYS_PTRACE (bounding set included), other capabilities kept" "in:$bad; want $want; $out $err"
	fi
else
	skip "a root command has no CAP_SYS_PTRACE (bounding set included), other capabilities kept" "needs root"
fi

# ---- processes of the command that outlive it ----------------------------------
# netpin says how many still run as it exits (their calls fail from then on);
# --wait-all supervises until every one has ended
# (the late process connects once netpin has exited: np.gone says so)
run -a 127.0.0.2:9000 -- sh -c "(until [ -e '$T/np.gone' ]; do sleep 0.05; done
'$OP' tcp 127.0.0.3 9000 t-late) >'$T/late.out' 2>&1 & exit 0"
: >"$T/np.gone"
case "$rc:$err" in
0:*"process"*"of the command still run"*"--wait-all keeps netpin until they end"*)
	pass "processes of the command still running as netpin exits are counted and said" ;;
*) fail "processes of the command still running as netpin exits are counted and said" "rc $rc err $err" ;;
esac
wait_until [ -s "$T/late.out" ]
[ "$(cat "$T/late.out" 2>/dev/null)" = ENOSYS ] &&
	pass "their network calls fail after netpin has gone (ENOSYS), never through" ||
	fail "their network calls fail after netpin has gone (ENOSYS), never through" "out '$(cat "$T/late.out" 2>/dev/null)'"
mark
run --wait-all -a 127.0.0.2:9000 -- sh -c "(sleep 1; '$OP' tcp 127.0.0.3 9000 t-late2; '$OP' tcp 127.0.0.2 9000 t-late3) & exit 3"
case "$rc:$err" in
3:*"denied connect to 127.0.0.3:9000/tcp"*)
	got t-late3 && [[ $err != *"still run"* ]] &&
		pass "--wait-all: netpin supervises until the last process ends (a late call is still decided), and exits with the command's status" ||
		fail "--wait-all: netpin supervises until the last process ends (a late call is still decided), and exits with the command's status" "err $err" ;;
*) fail "--wait-all: netpin supervises until the last process ends (a late call is still decided), and exits with the command's status" "rc $rc err $err" ;;
esac
