#!/usr/bin/env bash
# checked-edges: the edges of a checked connection (README, "Names in the
# connection"): a destination that does not answer, a process outside netpin
# that connects to the listener netpin makes for the command's socket, a
# getpeername() whose memory netpin cannot read, and the QUIC denial's tip.
# The command's side and the outsider are tests/tunnel.c; the HTTP server is
# tests/helpers/namesrv.py on 127.0.0.2, which logs what reached it.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

TUN=$ROOT/tests/tunnel
cat >"$T/hosts" <<EOF
127.0.0.2 good.example
EOF
N=(--resolv "$T/resolv.empty" --hosts "$T/hosts")
if ! namesrv 127.0.0.2:8093:http; then
	skip "checked-edges: every test" "the test server cannot listen: $NAMESRV_ERR"
	exit 0
fi
# ms_since START: milliseconds since START (an $EPOCHREALTIME)
ms_since() { echo $(((${EPOCHREALTIME/./} - ${1/./}) / 1000)); }
# word KEY TEXT: the value of KEY=VALUE in TEXT (the last on the first line
# that has one)
word() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -1; }

# ---- a destination that does not answer -------------------------------------------
# tests/tunnel blackhole: a listener whose accept queue is full drops SYNs;
# once it is gone (0.5 s after the command's connect was answered), the
# next SYN netpin retransmits gets a reset: the destination refuses late.
# A non-blocking connect is held 3 s, then answered EINPROGRESS (the
# command's socket is then connected to netpin); the refusal reaches the
# command as a reset.  A blocking connect waits for the destination.
"$TUN" blackhole 127.0.0.2 8091 "$T/bh.ready" </dev/null >/dev/null 2>"$T/bh.err" &
bh=$!
background $bh
if ! wait_until [ -e "$T/bh.ready" ]; then
	skip "late refusal: every test" "the blackhole cannot listen: $(cat "$T/bh.err")"
else
	timeout -k 2 30 "$NP" "${N[@]}" -a http:good.example:8091 -- \
		"$TUN" hold 127.0.0.2 8091 good.example >"$T/hold.out" 2>"$T/hold.err" &
	hold=$!
	(
		start=$EPOCHREALTIME
		timeout -k 2 30 "$NP" "${N[@]}" -a http:good.example:8091 -- \
			"$OP" tcp 127.0.0.2 8091 >"$T/block.out" 2>"$T/block.err"
		echo "rc=$? ms=$(ms_since "$start")" >>"$T/block.out"
	) &
	block=$!
	for _ in $(seq 160); do
		grep -q '^connect=' "$T/hold.out" && break
		sleep 0.05
	done
	sleep 0.5
	stop_pids $bh
	wait $hold
	hold_rc=$? hold_out=$(cat "$T/hold.out") hold_err=$(cat "$T/hold.err")
	held=$(word connect "$hold_out"):$(word ms "$hold_out")
	case $held in
	EINPROGRESS:*) [ "${held#*:}" -ge 2500 ] ;;
	*) false ;;
	esac &&
		pass "non-blocking connect to a destination that does not answer: EINPROGRESS after the hold (${held#*:} ms)" ||
		fail "non-blocking connect to a destination that does not answer: EINPROGRESS after the hold (${held#*:} ms)" \
			"rc $hold_rc out '$hold_out' err $hold_err"
	# what the command sees then: writable at once (connected to netpin),
	# its request taken, and the late refusal as a reset on its read
	case $(grep -v '^connect=' <<<"$hold_out" | sed 's/ ms=[0-9]*//' | tr '\n' ' ') in
	"writable=ok write=ok read=ECONNRESET ")
		pass "...and the destination's late refusal reaches the command as a reset (read: ECONNRESET)" ;;
	*) fail "...and the destination's late refusal reaches the command as a reset (read: ECONNRESET)" \
		"rc $hold_rc out '$hold_out' err $hold_err" ;;
	esac
	wait $block
	block_out=$(cat "$T/block.out") block_err=$(cat "$T/block.err")
	ms=$(word ms "$block_out")
	[ "$(head -1 <<<"$block_out")" = ECONNREFUSED ] && [ "${ms:-0}" -ge 3000 ] &&
		pass "blocking connect to it: held past the 3 s until it refuses, then ECONNREFUSED ($ms ms)" ||
		fail "blocking connect to it: held past the 3 s until it refuses, then ECONNREFUSED ($ms ms)" \
			"out '$block_out' err $block_err"
fi
# (37-checked's blocking client, rawreq.py, has a timeout: Python then
# connects non-blocking; netop's connect blocks)
run "${N[@]}" -a http:good.example:8092 -- "$OP" tcp 127.0.0.2 8092
[ "$out" = ECONNREFUSED ] &&
	pass "blocking connect to a destination that refuses at once: ECONNREFUSED" ||
	fail "blocking connect to a destination that refuses at once: ECONNREFUSED" "rc $rc out '$out' err $err"

# ---- an outsider at netpin's listeners ---------------------------------------------
# While the command makes 400 checked connections (2 threads), tests/tunnel
# outsider, not under netpin, looks for netpin's listeners with sock_diag,
# connects to each and sends an HTTP request for good.example.  A listener
# lives some microseconds, so the outsider keeps netpin from running while
# it looks (all of netpin's threads bound to one CPU, where the outsider runs
# SCHED_FIFO: as on a busy machine, netpin is preempted anywhere, even
# between its listen() and the command's connect).  The outsider must never
# be answered, its connections must be closed, and the server must see the
# command's requests only.
REQLEN=48 # "GET /many/NNNNN HTTP/1.1\r\nHost: good.example\r\n\r\n"
outsider_round() {
	rm -f "$T/out.ready"
	: >"$SLOG"
	"$TUN" outsider preempt "$T/out.ready" </dev/null >"$T/outsider.out" 2>"$T/outsider.err" &
	outsider=$!
	if ! wait_until [ -e "$T/out.ready" ]; then
		stop_pids $outsider
		o="not ready: $(cat "$T/outsider.err")"
		return 1
	fi
	run "${N[@]}" -a http:good.example:8093 -- "$TUN" many 400 2 127.0.0.2 8093 good.example
	many_out=$out many_err=$err
	kill -TERM $outsider 2>/dev/null # (it ends by itself when it cannot go on)
	wait $outsider
	o=$(cat "$T/outsider.out")
	# the server logs a connection's bytes once it ends
	for _ in $(seq 40); do
		[ "$(grep -c '^bytes ' "$SLOG")" -ge 400 ] && break
		sleep 0.05
	done
}
o="" many_out="" many_err=""
for try in 1 2 3; do
	outsider_round || break
	[ "$(word hits "$o")" -gt 0 ] 2>/dev/null && break
	echo "# checked-edges: try $try: the outsider reached no listener of netpin's ($o)"
done
hits=$(word hits "$o")
[ "$many_out" = "many=ok 400" ] &&
	pass "outsider: the command's 400 checked requests all succeed meanwhile" ||
	fail "outsider: the command's 400 checked requests all succeed meanwhile" "out '$many_out' err $many_err"
what="outsider: a connection to netpin's listener is closed, gets nothing, sends nothing on"
case $o in
error=preempt_EPERM*) skip "$what" "the outsider cannot run SCHED_FIFO ahead of netpin (not root)" ;;
*) if [ -z "$hits" ]; then
	fail "$what" "outsider: $o $(cat "$T/outsider.err")"
elif [ "$hits" = 0 ]; then
	skip "$what" "the outsider reached none of netpin's listeners in $try runs ($o)"
else
	echo "# checked-edges: the outsider reached $hits of netpin's listeners, $(word first "$o") of them" \
		"before the command's own connection ($o)"
	[ "$(word bytes "$o"):$(word open "$o")" = 0:0 ] &&
		[ $(($(word eof "$o") + $(word reset "$o"))) = "$hits" ] &&
		pass "outsider: its connections to netpin's listeners are closed and get no byte" ||
		fail "outsider: its connections to netpin's listeners are closed and get no byte" "$o"
	reqs=$(grep -c '^http 127.0.0.2:8093 good.example /many/' "$SLOG")
	other=$(grep -v -e '^http 127.0.0.2:8093 good.example /many/' -e "^bytes 127.0.0.2:8093 $REQLEN\$" "$SLOG")
	[ "$reqs" = 400 ] && [ -z "$other" ] &&
		pass "outsider: nothing of its reaches the destination (400 requests, $REQLEN bytes each)" ||
		fail "outsider: nothing of its reaches the destination (400 requests, $REQLEN bytes each)" \
			"requests $reqs, other lines: $(head -5 <<<"$other")"
fi ;;
esac

# ---- getpeername() whose memory netpin cannot read ----------------------------------
# A thread's getpeername() on a checked connection has its addrlen on a
# userfaultfd page nobody serves: netpin's read of it never returns.  Another
# checked connect, a request on it and two getpeername()s must be served at
# once, and netpin must exit with the command.  A userfaultfd that catches
# netpin's reads needs vm.unprivileged_userfaultfd=1 (netpin takes
# CAP_SYS_PTRACE from the command): as root it is set for the run, then put
# back (as in tests/escape/run.sh).  The limits (15 s) are generous: calls
# held behind the stalled read, or a netpin waiting for it, never end (the
# helper's alarm ends it at 20 s); a loaded machine takes seconds.
UFFD_SYSCTL=/proc/sys/vm/unprivileged_userfaultfd
uffd_was=
if [ "$(id -u)" = 0 ] && [ -w $UFFD_SYSCTL ] && uffd_was=$(cat $UFFD_SYSCTL); then
	echo 1 >$UFFD_SYSCTL
fi
start=$EPOCHREALTIME
run "${N[@]}" -a http:good.example:8093 -- "$TUN" peerstall 127.0.0.2 8093 good.example
took=$(ms_since "$start") ps_rc=$rc ps_err=$err
[ -n "$uffd_was" ] && echo "$uffd_was" >$UFFD_SYSCTL
case $out in
skip=*)
	skip "getpeername() stalled in netpin: other calls go on" "${out#skip=}" ;;
"stalled=1 stalled_in=seccomp_do_user_notification"*)
	[ "$(word connect "$out"):$(word request "$out")" = ok:ok ] &&
		[ "$(word peer "$out"):$(word peer_stalled_fd "$out")" = 127.0.0.2:8093:127.0.0.2:8093 ] &&
		[ "$(word ms "$out")" -lt 15000 ] &&
		pass "getpeername() stalled in netpin: a checked connect, a request and getpeername()s go on ($(word ms "$out") ms)" ||
		fail "getpeername() stalled in netpin: a checked connect, a request and getpeername()s go on ($(word ms "$out") ms)" "out '$out' err $err"
	[ "$ps_rc" = 0 ] && [ -z "$ps_err" ] && [ "$took" -lt 15000 ] &&
		pass "getpeername() stalled in netpin: netpin exits with the command, status 0 ($took ms)" ||
		fail "getpeername() stalled in netpin: netpin exits with the command, status 0 ($took ms)" "rc $ps_rc err '$ps_err'" ;;
*)
	fail "getpeername() stalled in netpin: other calls go on" "not stalled in netpin: rc $rc out '$out' err $err" ;;
esac

# ---- QUIC: the denial's tip ----------------------------------------------------------
run "${N[@]}" -a good.example:443 -- "$OP" udp-sendto 127.0.0.2 443 t-quic
case $err in
*"--allow udp:127.0.0.2"*) fail "quic: the denial's tip names the udp: rule for the name, not its address" "err $err" ;;
*"(allow with --allow udp:good.example:443; "*)
	[ "$out" = "$DENY" ] &&
		pass "quic: the denial's tip names the udp: rule for the name, not its address" ||
		fail "quic: the denial's tip names the udp: rule for the name, not its address" "out '$out' err $err" ;;
*) fail "quic: the denial's tip names the udp: rule for the name, not its address" "out '$out' err $err" ;;
esac

# ---- the budget gives a closed connection's place back ------------------------------------
# under a hard RLIMIT_NOFILE of 200 netpin carries 12 checked connections at
# once; a client making 400 in turn, 8 at once, never has more open.  In the
# addfd mode netpin holds the command's socket until a scan sees it closed:
# a full budget makes that scan at once rather than refuse
NPW=$NP
NP() { prlimit --nofile=200:200 "$NPW" "$@"; }
NP=NP
run "${N[@]}" -a http:good.example:8093 -- "$TUN" many 400 8 127.0.0.2 8093 good.example
NP=$NPW
[ "$out" = "many=ok 400" ] &&
	pass "budget: 400 checked connections in turn, 8 at once, under a budget of 12: all made" ||
	fail "budget: 400 checked connections in turn, 8 at once, under a budget of 12: all made" "rc $rc out '$out' err $(head -3 <<<"$err")"
