#!/usr/bin/env bash
# shared-sockets: sockets the command shares, passes, inherits and closes; a
# server inside the command; accept, signals, orphans, threads and namespaces
# of the command's own.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

# (in addfd mode netpin creates every socket and keeps a reference of its own,
# dropped when no process of the command holds the socket any more)
# sent2 OUT TOK_OK TOK_DENIED: the command printed OUT, TOK_OK arrived, TOK_DENIED did not
sent2() { [ "$out" = "$1" ] && got "$2" && silent "$3"; }

python3 "$HELPERS/eofsrv.py" 127.0.0.2 9004 "$T/eof.rec" </dev/null >/dev/null 2>"$T/eofsrv.err" &
background $!
wait_until [ -e "$T/eof.rec.ready" ]
# (the commands below close a connection to it, then wait, still running,
# until it has recorded the EOF: "eof while running", or, 30 s later, not)
eof_seen() { grep "^$1 " "$T/eof.rec" 2>/dev/null || echo "no record for $1"; }
run -a 127.0.0.2:9004 -- python3 -c 'import os, socket, sys
s = socket.create_connection(("127.0.0.2", 9004)); s.sendall(sys.argv[1].encode()); s.close()
os.execlp("python3", "python3", sys.argv[2], "wait", sys.argv[3], sys.argv[1])' \
	t-peerclose "$HELPERS/eofsrv.py" "$T/eof.rec"
[ "$rc:$out" = "0:eof while running" ] &&
	pass "a TCP peer sees the command's close at once (EOF while the command still runs)" ||
	fail "a TCP peer sees the command's close at once (EOF while the command still runs)" "rc $rc out '$out', server: $(eof_seen t-peerclose) $err"
run -a 127.0.0.2:9004 -- sh -c 'python3 -c "import os, socket, sys
s = socket.create_connection((\"127.0.0.2\", 9004)); s.sendall(sys.argv[1].encode()); os._exit(0)" t-peerexit
exec python3 "$1" wait "$2" t-peerexit' sh "$HELPERS/eofsrv.py" "$T/eof.rec"
[ "$rc:$out" = "0:eof while running" ] &&
	pass "a TCP peer sees EOF at once when the socket's only process exits (the command still running)" ||
	fail "a TCP peer sees EOF at once when the socket's only process exits (the command still running)" "rc $rc out '$out', server: $(eof_seen t-peerexit) $err"

# (the child lives on until the parent has read EOF, 30 s at most)
what="socketpair and fork: data both ways; the child closes its end, the parent reads EOF at once (the child still running)"
run -a 127.0.0.2 -- python3 "$HELPERS/spair.py"
case "$rc:$out" in
"0:from-child;child-got:from-parent eof="*" child_alive_at_eof=1") pass "$what" ;;
*) fail "$what" "rc $rc out '$out' $err" ;;
esac

# a server inside the command, clients outside
timeout -k 2 15 "$NP" --bind 9130 -- "$OP" accept-echo 127.0.0.2 9130 >"$T/srv.out" 2>"$T/srv.err" &
np=$!
c1='' c2=''
if wait_line "$T/srv.out" "listening 9130"; then
	c1=$(python3 "$HELPERS/cli.py" 127.0.0.2 9130 t-acc-1)
	c2=$(python3 "$HELPERS/cli.py" 127.0.0.2 9130 t-acc-2)
fi
wait $np
rc=$?
p1=${c1##* } p2=${c2##* }
if [ "$rc" = 0 ] && [ "${c1% *}" = echo:t-acc-1 ] && [ "${c2% *}" = echo:t-acc-2 ] &&
	grep -qx "accept peer=127.0.0.6:$p1 got=t-acc-1 nonblock=0 cloexec=0" "$T/srv.out" &&
	grep -qx "accept4 peer=127.0.0.6:$p2 got=t-acc-2 nonblock=1 cloexec=1" "$T/srv.out"; then
	pass "a server in the command (--bind): accept and accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) take outside clients, peer address and flags right, both ways"
else
	fail "a server in the command (--bind): accept and accept4(SOCK_NONBLOCK|SOCK_CLOEXEC) take outside clients, peer address and flags right, both ways" "rc $rc; clients '$c1' '$c2'; server: $(cat "$T/srv.out" "$T/srv.err" | tr '\n' ' ')"
fi
mkdir -p "$T/www" && echo t-www-body >"$T/www/page"
"$NP" --bind 9131 -- python3 -m http.server --bind 127.0.0.2 --directory "$T/www" 9131 >"$T/www.out" 2>"$T/www.err" &
np=$!
body=
for _ in $(seq 60); do
	body=$(python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.2:9131/page", timeout=3).read().decode().strip())' 2>/dev/null) && break
	sleep 0.05
done
body2=$(python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.2:9131/page", timeout=3).read().decode().strip())' 2>&1)
kill -TERM $np 2>/dev/null
wait $np
[ "$body" = t-www-body ] && [ "$body2" = t-www-body ] &&
	pass "python3 -m http.server in the command (--bind) serves outside clients" ||
	fail "python3 -m http.server in the command (--bind) serves outside clients" "'$body' '$body2' $(tail -3 "$T/www.err" | tr '\n' ' ')"

run --bind 9132 -- python3 -c 'import socket
for i in range(2):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.2", 9132)); s.listen(4); s.close()
print("ok")'
[ "$rc:$out" = 0:ok ] && pass "listen, close, and listen again on the same port at once (SO_REUSEADDR)" ||
	fail "listen, close, and listen again on the same port at once (SO_REUSEADDR)" "rc $rc $out $err"
run --bind 9133 -- sh -c "'$OP' bind-listen 127.0.0.2 9133; '$OP' bind-listen 127.0.0.2 9133"
[ "$out" = "ok 9133
ok 9133" ] && pass "a server restarted at once (a new process) listens on its port again" ||
	fail "a server restarted at once (a new process) listens on its port again" "rc $rc $out $err"
timeout -k 2 10 "$NP" --bind 9135 -- python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.2", 9135)); s.listen(4)
print("listening", flush=True); time.sleep(0.3); s.close(); print("closed", flush=True); time.sleep(2.5)' >"$T/lc.out" 2>"$T/lc.err" &
np=$!
c1=
if wait_line "$T/lc.out" closed; then
	sleep 1
	c1=$(python3 "$HELPERS/cli.py" 127.0.0.2 9135 t-closed-listener)
fi
wait $np
[ "$c1" = ConnectionRefusedError ] &&
	pass "a listener the command closed refuses outside connections 1 s later" ||
	fail "a listener the command closed refuses outside connections 1 s later" "client: '$c1'; $(cat "$T/lc.out" "$T/lc.err" | tr '\n' ' ')"

# SCM_RIGHTS between two processes of the command: a UDP socket and a unix socket
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/scm.py" t-scm-ok t-scm-deny
sent2 "child sockets ok $DENY
parent via-passed-unix" t-scm-ok t-scm-deny &&
	pass "SCM_RIGHTS between two processes of the command: the receiver uses the UDP and unix sockets (allowed ok, denied $DENY)" ||
	fail "SCM_RIGHTS between two processes of the command: the receiver uses the UDP and unix sockets (allowed ok, denied $DENY)" "rc $rc out '$out' $err; $(new_lines | grep t-scm-)"

mark
python3 "$HELPERS/inherit.py" "$NP" -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" fd:3 t-inh-ok t-inh-deny >"$T/out" 2>"$T/err"
rc=$? out=$(cat "$T/out") err=$(cat "$T/err")
sent2 "ok $DENY" t-inh-ok t-inh-deny &&
	pass "a socket netpin inherits (fd 3) is mediated in the command: allowed ok, denied $DENY" ||
	fail "a socket netpin inherits (fd 3) is mediated in the command: allowed ok, denied $DENY" "rc $rc out '$out' $err; $(new_lines | grep t-inh-)"

rm -f "$T/give.sock"
python3 "$HELPERS/giver.py" "$T/give.sock" 2>"$T/giver.err" &
gpid=$!
wait_until [ -S "$T/give.sock" ]
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" "unix:$T/give.sock" t-give-ok t-give-deny
wait $gpid
if [ "$MODE" = pidfd_getfd ]; then
	sent2 "ok $DENY" t-give-ok t-give-deny &&
		pass "a socket received from outside is mediated: allowed ok, denied $DENY" ||
		fail "a socket received from outside is mediated: allowed ok, denied $DENY" "rc $rc out '$out' $err; $(new_lines | grep t-give-)"
else
	case $err in
	*"is a socket netpin did not create"*"cannot act on it: call denied"*)
		[ "$out" = "EACCES EACCES" ] && silent t-give-ok && silent t-give-deny &&
			pass "a socket received from outside: every call on it fails (EACCES) and netpin says it did not create it" ||
			fail "a socket received from outside: every call on it fails (EACCES) and netpin says it did not create it" "rc $rc out '$out' $err; $(new_lines | grep t-give-)" ;;
	*) fail "a socket received from outside: every call on it fails (EACCES) and netpin says it did not create it" "rc $rc out '$out' $err" ;;
	esac
fi
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" dup t-dup-ok t-dup-deny
sent2 "ok $DENY" t-dup-ok t-dup-deny &&
	pass "a dup of a socket whose first fd was closed is still mediated (0.5 s later)" ||
	fail "a dup of a socket whose first fd was closed is still mediated (0.5 s later)" "rc $rc out '$out' $err"
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" exec t-exec-ok t-exec-deny
sent2 "ok $DENY" t-exec-ok t-exec-deny &&
	pass "a socket kept across exec is still mediated" ||
	fail "a socket kept across exec is still mediated" "rc $rc out '$out' $err"
mark
run -a 127.0.0.2:9000 -- python3 -c 'import socket, sys
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); n = a.fileno(); a.close()
b = socket.socket()
if b.fileno() != n: print("fd not reused", n, b.fileno()); sys.exit(1)
b.connect(("127.0.0.2", 9000)); b.sendall(b"t-fdreuse"); b.close(); print("ok")'
[ "$out" = ok ] && got t-fdreuse &&
	pass "an fd number reused at once by another socket: the call acts on the new socket" ||
	fail "an fd number reused at once by another socket: the call acts on the new socket" "rc $rc out '$out' $err"

# (an accept() the signal does not interrupt blocks until timeout ends it:
# how long the interrupted one took is not judged, a loaded machine took 5 s)
what="a blocked accept() is interrupted by a handled signal (SIGALRM after 1 s; exit 7)"
timeout -k 2 30 "$NP" --bind 9136 -- python3 "$HELPERS/alarm.py" >"$T/out" 2>"$T/err"
rc=$? out=$(cat "$T/out") err=$(cat "$T/err")
case "$rc:$out" in
"7:alarm after "*) pass "$what ($out)" ;;
*) fail "$what" "rc $rc (124: still blocked after 30 s), out '$out' $err" ;;
esac

mark
run -a 127.0.0.2:9001 -- sh -c "python3 '$HELPERS/orphan.py' t-orphan-ok t-orphan-deny; sleep 2"
sent2 "orphaned=1 ok $DENY" t-orphan-ok t-orphan-deny &&
	pass "an orphaned process keeps its socket, still mediated (allowed ok, denied $DENY)" ||
	fail "an orphaned process keeps its socket, still mediated (allowed ok, denied $DENY)" "rc $rc out '$out' $err; $(new_lines | grep t-orphan-)"

# accepters killed while blocked: no connection may go to a caller that is
# gone (in addfd mode netpin's workers wait in accept for them; 6 rounds, as
# a worker could be left in accept only when it lost a race for a connection)
timeout -k 2 30 "$NP" --bind 9137 -- python3 "$HELPERS/accepters.py" >"$T/acc.out" 2>"$T/acc.err" &
np=$!
# the clients: at each "ready R" a burst of 4 connections; at once after
# "killed 6", 4 connections that send a token; prints each answer (or what
# went wrong)
later=$(python3 "$HELPERS/herd.py" "$T/acc.out")
wait $np
rc=$?
what="6 times 8 processes block in accept(), 4 take a burst from outside, all 8 are killed: every later connection is served by a new accept"
expect=$(for r in 1 2 3 4 5 6; do echo "ready $r"; echo "killed $r: 4 taken"; done; echo "served 4")
[ "$rc" = 0 ] && [ "$later" = "echo:t-herd-1 echo:t-herd-2 echo:t-herd-3 echo:t-herd-4" ] &&
	[ "$(cat "$T/acc.out")" = "$expect" ] && pass "$what" ||
	fail "$what" "rc $rc; clients '$later'; command: $(cat "$T/acc.out" "$T/acc.err" | tr '\n' ' ')"

# (in addfd mode netpin finds the sockets of a process whose main thread has
# ended in the fd tables of its other threads)
what="the main thread exits (pthread_exit), another thread connects a socket made before 0.5 s later: allowed ok, denied $DENY"
mark
run -a 127.0.0.2:9000 -- "$OP" leader-exit 127.0.0.2 127.0.0.3 9000 t-leader
case "$rc:$out:$err" in
"0:ok $DENY:"*"denied connect to 127.0.0.3:9000/tcp"*)
	got t-leader && pass "$what" || fail "$what" "the server never received t-leader" ;;
*) fail "$what" "rc $rc out '$out' $err" ;;
esac

# socket() in a network namespace of its own: pidfd_getfd mode, the socket is
# the command's, in its namespace (lo is down there: the allowed connect fails
# and nothing arrives); addfd mode, netpin would make it in its own namespace,
# so socket() is refused.  As root, again with netpin and the command as nobody
# (then no thread of netpin acts as the command: netpin would make the socket).
if [ "$MODE" = addfd ]; then
	what="a command in a network namespace of its own (unshare -rn): socket() fails with EACCES, and netpin says why"
else
	what="a command in a network namespace of its own (unshare -rn) makes its socket there: the allowed connect finds no route"
fi
# netns_socket [AS_USER...]: run tests/helpers/netns_sock.py under unshare -rn,
# judge, pass/fail
netns_socket() {
	local how=${1:+" (netpin and the command as nobody)"} np=("$NP")
	# as nobody: netpin from a directory nobody may enter (the checkout's
	# may be closed to it); tests/np-addfd execs netpin itself, as nobody
	if [ $# -gt 0 ]; then
		mkdir -p "$T/pub" && chmod 755 "$T" "$T/pub" && cp "$ROOT/netpin" "$T/pub/netpin"
		np=("$T/pub/netpin")
		[ "$MODE" = addfd ] && cp "$NP" "$T/pub/np-addfd" &&
			np=(env NETPIN_BIN="$T/pub/netpin" "$T/pub/np-addfd")
	fi
	mark
	"$@" "${np[@]}" -a 127.0.0.2:9000 -- unshare -rn "$PY3" "$T/netns_sock.py" t-netns >"$T/out" 2>"$T/err"
	rc=$? out=$(cat "$T/out") err=$(cat "$T/err")
	if [ "$MODE" = addfd ]; then
		case "$out:$err" in
		"EACCES:"*"is in a network namespace of its own"*) silent t-netns && pass "$what$how" ||
			fail "$what$how" "the server received $(new_lines | grep t-netns)" ;;
		*) fail "$what$how" "rc $rc out '$out' $err" ;;
		esac
	else
		[ "$out" = "ok ENETUNREACH" ] && silent t-netns && pass "$what$how" ||
			fail "$what$how" "rc $rc out '$out' $err; $(new_lines | grep t-netns)"
	fi
}
# (a copy in $T: nobody runs it too)
cp "$HELPERS/netns_sock.py" "$T/netns_sock.py" && chmod 644 "$T/netns_sock.py"
PY3=python3
if unshare -rn true 2>/dev/null; then
	netns_socket
else
	skip "$what" "unshare -rn does not work for $(id -un)"
fi
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
	PY3=/usr/bin/python3
	# shellcheck disable=SC2086
	if $NOBODY unshare -rn true 2>/dev/null; then
		netns_socket $NOBODY
	else
		skip "$what (netpin and the command as nobody)" "unshare -rn does not work for nobody"
	fi
else
	skip "$what (netpin and the command as nobody)" "needs root and setpriv"
fi

# capabilities the command has only in a user namespace of its own are not
# given to the netpin thread that acts as the command (netlink calls); in the
# test's own network namespace, so nothing reaches the host.  Then again with
# netpin as root of a user namespace that owns a network namespace of its own
# (netpin's privileges there are a root's on a host).
NOADMIN="setpriv --bounding-set=-net_admin --inh-caps=-net_admin --"
what="a command without CAP_NET_ADMIN, in a user namespace of its own, cannot add an address through netpin"
what2="the same address is added through netpin by a command with CAP_NET_ADMIN (the capability is what matters)"
what3="netpin as root of a user namespace that owns its network namespace: a command without CAP_NET_ADMIN, in a user namespace of its own, cannot add an address"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v ip >/dev/null && unshare -U true 2>/dev/null; then
	ip addr del 10.9.9.2/32 dev lo 2>/dev/null
	# shellcheck disable=SC2086
	$NOADMIN unshare -U -r ip addr add 10.9.9.2/32 dev lo 2>/dev/null
	bare=$?
	ip addr del 10.9.9.2/32 dev lo 2>/dev/null
	# shellcheck disable=SC2086
	run -a 127.0.0.2:9000 -- $NOADMIN unshare -U -r ip addr add 10.9.9.2/32 dev lo
	lo=$(ip -br addr show lo)
	ip addr del 10.9.9.2/32 dev lo 2>/dev/null
	case "$bare:$rc:$lo" in
	0:*) skip "$what" "the kernel itself lets such a command add the address here" ;;
	*:0:* | *10.9.9.2/*) fail "$what" "rc $rc, lo: $lo; $err" ;;
	*) pass "$what" ;;
	esac
	if ip addr add 10.9.9.3/32 dev lo 2>/dev/null && ip addr del 10.9.9.3/32 dev lo; then
		run -a 127.0.0.2:9000 -- ip addr add 10.9.9.3/32 dev lo
		lo=$(ip -br addr show lo)
		ip addr del 10.9.9.3/32 dev lo 2>/dev/null
		case "$rc:$lo" in
		0:*10.9.9.3/*) pass "$what2" ;;
		*) fail "$what2" "rc $rc, lo: $lo; $err" ;;
		esac
	else
		skip "$what2" "ip addr add fails here even without netpin"
	fi
	# shellcheck disable=SC2016
	ns=$(unshare -U -r -n sh -c 'ip link set lo up || exit
"$1" -a 127.0.0.2:9000 -- $2 ip addr add 10.9.9.3/32 dev lo 2>/dev/null; echo "keep=$?"
"$1" -a 127.0.0.2:9000 -- $2 $3 unshare -U -r ip addr add 10.9.9.2/32 dev lo 2>/dev/null; echo "drop=$?"
ip -br addr show lo' sh "$NP" "" "$NOADMIN" 2>&1)
	case $ns in
	*keep=0*10.9.9.3/*) case $ns in
		*drop=0* | *10.9.9.2/*) fail "$what3" "$(echo "$ns" | tr '\n' ' ')" ;;
		*) pass "$what3" ;;
		esac ;;
	*) skip "$what3" "no address added there for a command with CAP_NET_ADMIN either: $(echo "$ns" | tr '\n' ' ')" ;;
	esac
else
	skip "$what" "needs root, setpriv, ip and unshare -U"
	skip "$what2" "needs root, setpriv, ip and unshare -U"
	skip "$what3" "needs root, setpriv, ip and unshare -U"
fi

run -- "$OP" socketpair-badptr
[ "$out" = EFAULT ] &&
	pass "socketpair() with an sv that is not mapped fails with EFAULT, and no fd appears" ||
	fail "socketpair() with an sv that is not mapped fails with EFAULT, and no fd appears" "rc $rc out '$out' $err"
run -- "$OP" socketpair
[ "$rc:$out" = 0:ok ] &&
	pass "socketpair() fills sv with two fds that carry data both ways" ||
	fail "socketpair() fills sv with two fds that carry data both ways" "rc $rc out '$out' $err"

# (the socketpair is made by a worker of netpin that acts as the command: the
# first sockets netpin holds; 5 times, netpin holding none in between)
what="root netpin, a command run as nobody: a socketpair end it closes gives EOF at the other end while it runs (5 times)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run -- setpriv --reuid=65534 --regid=65534 --clear-groups "$OP" socketpair-eof 5
	[ "$rc" = 0 ] && [ "${out%%,*}" = "eof 5 of 5" ] && pass "$what" || fail "$what" "rc $rc out '$out' $err"
else
	skip "$what" "needs root and setpriv"
fi
