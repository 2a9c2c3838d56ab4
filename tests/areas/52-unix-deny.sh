#!/usr/bin/env bash
# unix-deny: --deny-unix and --no-system-resolver refuse connects to unix
# sockets (the system's name services resolve names around pinned DNS),
# matched by the socket file's device and inode, however the command names
# it: a symlink, a hard link, /proc/self/root, a relative path.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

mkdir -m 755 "$T/u" "$T/u/d"
python3 "$HELPERS/unix_listen.py" "$T/u/resolver.sock" "$T/u/other.sock" </dev/null >/dev/null 2>&1 &
background $!
wait_until [ -S "$T/u/other.sock" ]
ln -s "$T/u/resolver.sock" "$T/u/d/link.sock"
ln "$T/u/resolver.sock" "$T/u/d/hard.sock" 2>/dev/null || : >"$T/u/no-hardlink"
UC="$HELPERS/unix_connect.py"

run -l "$T/u/log" --deny-unix "$T/u/resolver.sock" -a 127.0.0.2 -- python3 "$UC" "$T/u/resolver.sock" "$T/u/other.sock"
case "$out:$err" in
"EACCES ok:"*"refused connect($T/u/resolver.sock)"*"summary: 1 call"*)
	grep -q '"event":"refused".*"call":"connect"' "$T/u/log" &&
		pass "--deny-unix: that socket is refused (a message, the log, the summary), another is not" ||
		fail "--deny-unix: that socket is refused (a message, the log, the summary), another is not" "log: $(cat "$T/u/log")" ;;
*) fail "--deny-unix: that socket is refused (a message, the log, the summary), another is not" "out '$out' err $err" ;;
esac
run --deny-unix "$T/u/resolver.sock" -a 127.0.0.2 -- sh -c "cd '$T/u/d' && python3 '$UC' link.sock '/proc/self/root$T/u/resolver.sock' ../resolver.sock ../other.sock"
[ "$out" = "EACCES EACCES EACCES ok" ] && pass "--deny-unix: a symlink, /proc/self/root and a relative path name the same socket" ||
	fail "--deny-unix: a symlink, /proc/self/root and a relative path name the same socket" "out '$out' err $err"
if [ -e "$T/u/no-hardlink" ]; then
	skip "--deny-unix: a hard link names the same socket" "this file system refuses a hard link to a socket"
else
	run --deny-unix "$T/u/resolver.sock" -a 127.0.0.2 -- python3 "$UC" "$T/u/d/hard.sock"
	[ "$out" = EACCES ] && pass "--deny-unix: a hard link names the same socket" ||
		fail "--deny-unix: a hard link names the same socket" "out '$out' err $err"
fi
run -a 127.0.0.2 -- python3 "$UC" "$T/u/resolver.sock" "$T/u/nonexistent.sock"
[ "$out" = "ok ENOENT" ] && pass "without --deny-unix the socket is reached; a missing one is ENOENT" ||
	fail "without --deny-unix the socket is reached; a missing one is ENOENT" "out '$out' err $err"
run --deny-unix "$T/u/resolver.sock" -a 127.0.0.2 -- python3 "$UC" "$T/u/nonexistent.sock"
[ "$out" = ENOENT ] && pass "--deny-unix: a missing socket is still ENOENT" ||
	fail "--deny-unix: a missing socket is still ENOENT" "out '$out' err $err"
run --deny-unix "$T/u/nonexistent.sock" -a 127.0.0.2 -- true
[ "$rc" = 125 ] && [ -n "$err" ] && pass "--deny-unix: a path that is not there is an error (125)" ||
	fail "--deny-unix: a path that is not there is an error (125)" "rc $rc err $err"
run --deny-unix "$T/u" -a 127.0.0.2 -- true
[ "$rc" = 125 ] && pass "--deny-unix: a path that is not a socket is an error (125)" ||
	fail "--deny-unix: a path that is not a socket is an error (125)" "rc $rc err $err"
run -v --no-system-resolver -a 127.0.0.2 -- true
[ "$rc" = 0 ] && pass "--no-system-resolver runs (whatever resolvers this machine has)" ||
	fail "--no-system-resolver runs" "rc $rc err $err"

# a datagram to a refused socket by path is refused too
python3 "$HELPERS/unix_dgram.py" listen "$T/u/dgram.sock" </dev/null >"$T/u/dgram.rec" 2>&1 &
background $!
wait_until [ -S "$T/u/dgram.sock" ]
run --deny-unix "$T/u/dgram.sock" -a 127.0.0.2 -- python3 "$HELPERS/unix_dgram.py" send "$T/u/dgram.sock" refused-dgram
sleep 0.3
case "$out" in
EACCES) ! grep -q refused-dgram "$T/u/dgram.rec" && pass "--deny-unix: a datagram sent to the socket's path is refused" ||
	fail "--deny-unix: a datagram sent to the socket's path is refused" "the socket received it" ;;
*) fail "--deny-unix: a datagram sent to the socket's path is refused" "out '$out' err $err" ;;
esac
run -a 127.0.0.2 -- python3 "$HELPERS/unix_dgram.py" send "$T/u/dgram.sock" allowed-dgram
sleep 0.3
[ "$out" = ok ] && grep -q allowed-dgram "$T/u/dgram.rec" && pass "without --deny-unix the datagram arrives" ||
	fail "without --deny-unix the datagram arrives" "out '$out' rec $(cat "$T/u/dgram.rec")"

# ---- where a profile refuses unshare (Docker's, containerd's defaults) --------
# netpin cannot give the thread that acts as the command a directory of its
# own: relative paths go through the command's directory by an fd, its umask
# is set around a bind; --deny-unix holds the same.  An outer filter refuses
# unshare to netpin and the command (tests/refuse NR -- ...).
case $(uname -m) in x86_64) NR_UNSHARE=272 ;; aarch64) NR_UNSHARE=97 ;; *) NR_UNSHARE= ;; esac
if [ -z "$NR_UNSHARE" ] || [ ! -x "$ROOT/tests/refuse" ]; then
	skip "unshare refused: unix sockets by path" "no unshare number for $(uname -m), or no tests/refuse"
else
	NOUNSHARE=("$ROOT/tests/refuse" "$NR_UNSHARE" --)
	nu_run() {
		"${NOUNSHARE[@]}" "$NP" "$@" >"$T/out" 2>"$T/err"
		rc=$?
		out=$(cat "$T/out")
		err=$(cat "$T/err")
	}
	nu_run -a 127.0.0.2 -- sh -c "cd '$T/u/d' && python3 '$UC' ../other.sock '$T/u/other.sock' ../nonexistent.sock"
	[ "$out" = "ok ok ENOENT" ] &&
		pass "unshare refused: a unix socket by relative and absolute path is reached, a missing one is ENOENT" ||
		fail "unshare refused: a unix socket by relative and absolute path is reached, a missing one is ENOENT" "rc $rc out '$out' err $err"
	nu_run --deny-unix "$T/u/resolver.sock" -a 127.0.0.2 -- sh -c "cd '$T/u/d' && python3 '$UC' link.sock ../resolver.sock ../other.sock"
	[ "$out" = "EACCES EACCES ok" ] &&
		pass "unshare refused: --deny-unix still refuses the socket by a symlink and a relative path" ||
		fail "unshare refused: --deny-unix still refuses the socket by a symlink and a relative path" "rc $rc out '$out' err $err"
	rm -f "$T/u/d/bound.sock"
	nu_run -a 127.0.0.2 -- sh -c "cd '$T/u/d' && umask 077 && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"bound.sock\"); print(\"bound\")'"
	mode=$(stat -c %a "$T/u/d/bound.sock" 2>/dev/null)
	[ "$out:$mode" = "bound:700" ] &&
		pass "unshare refused: a bind by relative path makes the socket in the command's directory, with its umask" ||
		fail "unshare refused: a bind by relative path makes the socket in the command's directory, with its umask" "rc $rc out '$out' mode '$mode' err $err"
fi
