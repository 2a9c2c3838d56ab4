# shellcheck shell=sh
# shellcheck disable=SC2086 # (NP, NOBODY, PDNS, NAMES, RULES, PROBES: word lists)
# tests/containers/run.sh — the tests of netpin in one container of the
# containers area (tests/areas/97-containers.sh), run by busybox sh in the
# image built from tests/containers/Dockerfile, as the runtime runs it:
#
#	/bin/sh /tests/run.sh LABEL EXPECT
#
# LABEL names the case in every line ("docker, default profile, root");
# EXPECT is the mediation mode the runtime must give netpin: addfd,
# pidfd_getfd, or "probe" (the one tests/containers/probe finds, where the
# runtime is not known to give one).  The image is FROM scratch: busybox,
# netpin, the static test programs in /bin (netop, refuse, np-addfd,
# recorder, asuser, probe), the attacks of tests/escape in /escape with
# tests/vm/escape.sh as /escape.sh, this file and escape-more.sh in
# /tests; /tmp is a tmpfs of the runtime's.  Each test prints one line,
# "ok - LABEL: WHAT", "not ok - LABEL: WHAT — WHY" or "ok - LABEL: WHAT #
# SKIP WHY", notes start with '#'.  Every allowed call is judged by what
# its server received, every denied one by its errno and by what the
# server did not receive (tests/vm/recorder, on loopback: the container
# has no other network).

K=$1
EXPECT=$2
NP=/usr/local/bin/netpin
OP=/bin/netop
REC=/tmp/rec
NOBODY="/bin/asuser 65534"
# servers get 6 s to see a call (containers run side by side)
WAIT_STEPS=120

pass() { echo "ok - $K: $1"; }
fail() { echo "not ok - $K: $1 — $(printf '%s' "$2" | tr '\n' ' ' | head -c 600)"; }
skip() { echo "ok - $K: $1 # SKIP $2"; }
note() { echo "# $K: $1"; }
uptime_s() { cut -d. -f1 /proc/uptime; }

# run COMMAND...: out (stdout), err (stderr), rc; 60 s at most
run() {
	timeout -k 5 60 "$@" >/tmp/out 2>/tmp/err </dev/null
	rc=$?
	out=$(cat /tmp/out)
	err=$(cat /tmp/err)
}
MARK=0
mark() { MARK=$(wc -l <"$REC"); }
# (without the NULs a ClientHello brings: busybox's grep stops a line at one)
new_lines() { tail -n +"$((MARK + 1))" "$REC" | tr -d '\000'; }
got() {
	i=0
	while [ $i -lt $WAIT_STEPS ]; do
		new_lines | grep -aqF -- "$1" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
silent() { sleep 0.3; ! new_lines | grep -aqF -- "$1"; }

# expect_allowed WHAT TOKEN COMMAND...: netop prints ok, TOKEN reaches its server
expect_allowed() {
	what=$1 token=$2
	shift 2
	mark
	run "$@"
	case $out in
	ok | "ok "*)
		if got "$token"; then pass "$what"; else fail "$what" "the server never received '$token'; stderr: $err"; fi ;;
	*) fail "$what" "netop said '$out', rc $rc, stderr: $err" ;;
	esac
}
# expect_denied WHAT SERVER COMMAND...: netop prints EHOSTUNREACH (netpin's
# default deny errno), SERVER gets nothing
expect_denied() {
	what=$1 server=$2
	shift 2
	mark
	run "$@"
	if [ "$out" != EHOSTUNREACH ]; then
		fail "$what" "netop said '$out', rc $rc, stderr: $err"
	elif ! silent "$server"; then
		fail "$what" "the denied server received: $(new_lines | grep -aF -- "$server")"
	else
		pass "$what"
	fi
}
# expect_out WHAT WANT COMMAND...: netop prints WANT
expect_out() {
	what=$1 want=$2
	shift 2
	run "$@"
	if [ "$out" = "$want" ]; then pass "$what"; else fail "$what" "netop said '$out' (not '$want'), rc $rc, stderr: $err"; fi
}

# ---- what the container is --------------------------------------------------------
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1
PROBE=$(/bin/probe)
# the value of KEY in the probe's line
probed() { printf '%s\n' "$PROBE" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
IPV6=0
[ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null)" = 0 ] && IPV6=1
LOWPORTS=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
# pinned DNS's check that no query leaves needs a server on 127.0.0.1:53
DNS53=1
[ $ROOT = 0 ] && [ "$LOWPORTS" -gt 53 ] && DNS53=0
note "$(id); kernel $(uname -r); IPv6 on lo: $([ $IPV6 = 1 ] && echo yes || echo "no (the runtime turns it off)"); ip_unprivileged_port_start: $LOWPORTS"
note "probe: $PROBE"

# ---- the servers: recorder (tests/vm/recorder.c), on loopback ---------------------
: >"$REC"
set -- tcp:127.0.0.2:9000 tcp:127.0.0.3:9000 udp:127.0.0.2:9001 udp:127.0.0.3:9001 \
	tcp:127.0.0.2:9600 tcp:127.0.0.3:9600 udp:127.0.0.2:9601 udp:127.0.0.3:9601 \
	tcp:127.0.0.2:9602 udp:127.0.0.2:9602 tcp:127.0.0.2:8443 http:127.0.0.2:8080
[ $IPV6 = 1 ] && set -- "$@" 'tcp:[::1]:9000'
[ $DNS53 = 1 ] && set -- "$@" udp:127.0.0.1:53 tcp:127.0.0.1:53
recorder --out "$REC" --ready /tmp/ready "$@" 2>/tmp/recorder.err &
i=0
while [ ! -e /tmp/ready ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e /tmp/ready ] || fail "the recording server starts" "$(cat /tmp/recorder.err)"

# ---- the mode and the layers netpin reports, against what is so -------------------
# (netpin --check, once netpin has it, says the same without running a
# command; until then -v's lines)
run $NP -v -a 127.0.0.2 -- true
MODE=$(printf '%s\n' "$err" | sed -n 's/^netpin: mediation: \([a-z_]*\).*/\1/p')
LAYER1=$(printf '%s\n' "$err" | grep -c '^netpin: layer 1: seccomp supervisor$')
LAYER2=$(printf '%s\n' "$err" | sed -n 's/^netpin: layer 2: //p' | head -n 1)
LAYER2UDP=$(printf '%s\n' "$err" | sed -n 's/^netpin: layer 2: //p' | sed -n 2p)
note "netpin -v: $(printf '%s\n' "$err" | grep -E '^netpin: (layer|mediation|notifications)' | tr '\n' ' ')"
case $(probed pidfd_getfd) in
ok) CAN=pidfd_getfd ;;
*) CAN=addfd ;;
esac
WANT=$EXPECT
[ "$EXPECT" = probe ] && WANT=$CAN
what="mediation: netpin chooses the $WANT mode (pidfd_getfd here: $(probed pidfd_getfd))"
if [ $rc != 0 ] || [ "$LAYER1" != 1 ]; then
	fail "$what" "netpin -v -- true: rc $rc, no 'layer 1: seccomp supervisor' line: $err"
elif [ "$MODE" != "$WANT" ]; then
	fail "$what" "netpin says '$MODE'"
elif [ "$CAN" != "$WANT" ]; then
	fail "$what" "the runtime changed: the probe finds pidfd_getfd $(probed pidfd_getfd), so $CAN"
else
	pass "$what"
fi
ABI=$(probed landlock)
case $ABI in
[4-9] | [1-9][0-9]) want="Landlock ABI $ABI: direct TCP connect and bind$([ "$ABI" -ge 10 ] &&
	echo ", and the command's own UDP bind, connect and sends to an address,") refused by the kernel; $([ "$ABI" -ge 6 ] &&
	echo "scopes: signals, abstract unix sockets" || echo "no scopes (ABI < 6)")" ;;
[1-3]) want="Landlock ABI < 4 (Linux < 6.7): no TCP rules; only the seccomp supervisor protects" ;;
*) want="Landlock unavailable: no TCP rules; only the seccomp supervisor protects" ;;
esac
# (and, below ABI 10, a line of its own: no UDP rights)
wantudp=
case $ABI in [4-9]) wantudp="no UDP rights (Landlock ABI < 10, Linux < 7.2): UDP rests on the seccomp supervisor alone" ;; esac
what="Landlock: netpin reports the layers the runtime lets it have (landlock_create_ruleset here: $ABI)"
if [ "$LAYER2" = "$want" ] && [ "$LAYER2UDP" = "$wantudp" ]; then pass "$what"
else fail "$what" "netpin says 'layer 2: $LAYER2' and '$LAYER2UDP', not '$want' and '$wantudp'"; fi

# netpin --check (issue 24, item 4), where netpin has it: one line per
# finding, "NAME: VALUE (why)", the same as -v and the probe say
check_word() { sed -n "s/^$1: \([^ ]*\).*/\1/p" /tmp/out | head -1; }
run $NP --check
CHECK=1
case $err in *"unknown option '--check'"*) CHECK=0 ;; esac
what="netpin --check says the mode, the Landlock ABI and a free listener, as -v and the probe do"
if [ $CHECK = 0 ]; then
	skip "$what" "this netpin has no --check"
else
	note "netpin --check: $(tr '\n' ';' </tmp/out)"
	why=
	[ $rc = 0 ] || why="$why exit $rc;"
	[ "$(check_word mediation)" = "$MODE" ] || why="$why mediation: $(check_word mediation), -v: $MODE;"
	case $ABI in
	[0-9]*) [ "$(sed -n 's/^landlock: ABI \([0-9]*\).*/\1/p' /tmp/out)" = "$ABI" ] || why="$why landlock: not ABI $ABI;" ;;
	*) [ "$(check_word landlock)" = unavailable ] || why="$why landlock: not unavailable;" ;;
	esac
	[ "$(check_word listener)" = free ] || why="$why listener: $(check_word listener);"
	# (where unshare is refused, through the command's directory: yes too)
	[ "$(check_word 'unix sockets by path')" = yes ] || why="$why unix sockets by path: not yes;"
	if [ -z "$why" ]; then pass "$what"; else fail "$what" "${why# }; out: $(tr '\n' ';' </tmp/out) err: $err"; fi
	run /bin/refuse listener -- $NP --check
	what="netpin --check under a seccomp listener: listener: taken, and it says it cannot enforce (125)"
	if [ $rc = 125 ] && [ "$(check_word listener)" = taken ]; then pass "$what"; else fail "$what" "exit $rc; out: $(tr '\n' ';' </tmp/out) err: $err"; fi
fi

# ---- the basic calls ----------------------------------------------------------------
basics() {
	how=$1
	shift
	expect_allowed "${how}TCP connect allowed" "t-tcp-$K" \
		"$@" -a 127.0.0.2:9000 -- $OP tcp 127.0.0.2 9000 "t-tcp-$K"
	expect_denied "${how}TCP connect denied" 127.0.0.3:9000 \
		"$@" -a 127.0.0.2:9000 -- $OP tcp 127.0.0.3 9000 "t-tcpd"
	expect_denied "${how}loopback is denied without a rule" 127.0.0.1:9000 \
		"$@" -a 127.0.0.2:9000 -- $OP tcp 127.0.0.1 9000 "t-lo"
	expect_allowed "${how}UDP sendto allowed" "t-udp-$K" \
		"$@" -a 127.0.0.2:9001 -- $OP udp-sendto 127.0.0.2 9001 "t-udp-$K"
	expect_denied "${how}UDP sendto denied" 127.0.0.3:9001 \
		"$@" -a 127.0.0.2:9001 -- $OP udp-sendto 127.0.0.3 9001 "t-udpd"
	expect_allowed "${how}UDP connect+send allowed" "t-uconn-$K" \
		"$@" -a 127.0.0.2:9001 -- $OP udp-connect 127.0.0.2 9001 "t-uconn-$K"
	expect_denied "${how}UDP connect denied" 127.0.0.3:9001 \
		"$@" -a 127.0.0.2:9001 -- $OP udp-connect 127.0.0.3 9001 "t-uconnd"
	expect_allowed "${how}UDP sendmsg allowed" "t-smsg-$K" \
		"$@" -a 127.0.0.2:9001 -- $OP udp-sendmsg 127.0.0.2 9001 "t-smsg-$K"
	expect_out "${how}--bind allows its port (TCP bind+listen)" "ok 9100" \
		"$@" --bind 9100 -- $OP bind-listen 127.0.0.2 9100
	expect_out "${how}--bind allows its port (UDP)" "ok 9105" \
		"$@" --bind 9100,9105 -- $OP bind udp 127.0.0.2 9105
	expect_out "${how}bind to a port without --bind is denied" EACCES \
		"$@" --bind 9100 -- $OP bind tcp 127.0.0.2 9101
	run "$@" -a 127.0.0.2 -- $OP bind tcp 127.0.0.2 0
	case $out in "ok "[1-9]*) pass "${how}bind to port 0 is always allowed" ;; *) fail "${how}bind to port 0 is always allowed" "'$out' $err" ;; esac
	expect_out "${how}a unix socket by path: bind, listen, connect, accept (local IPC, no rule)" ok \
		"$@" -- $OP unix-echo /tmp/unix-echo.sock
}
note "at $(uptime_s) s: the basic calls"
basics "" $NP
if [ $ROOT = 1 ]; then
	basics "as nobody: " $NOBODY $NP
fi
expect_allowed "non-blocking TCP connect allowed" "t-nb-$K" \
	$NP -a 127.0.0.2:9000 -- $OP tcp-nb 127.0.0.2 9000 "t-nb-$K"
if [ $IPV6 = 1 ]; then
	expect_allowed "IPv6 TCP connect to [::1] allowed" "t-v6-$K" \
		$NP -a '[::1]:9000' -- $OP tcp ::1 9000 "t-v6-$K"
else
	skip "IPv6 TCP connect to [::1] allowed" "the runtime turns IPv6 off in the container"
fi
mark
run $NP -a 127.0.0.2:9001 -- $OP udp-sendmmsg 127.0.0.2 9001 t-mmx-a 127.0.0.3 9001 t-mmx-b 127.0.0.2 9001 t-mmx-c
if [ "$out" = "ok 1" ] && got t-mmx-a && silent t-mmx-b && silent t-mmx-c; then
	pass "sendmmsg with a denied second message sends only the first and returns 1"
else
	fail "sendmmsg with a denied second message sends only the first and returns 1" "out '$out'; $(new_lines)"
fi
expect_allowed "a grandchild (fork, fork, exec) is mediated" "t-gc-$K" \
	$NP -a 127.0.0.2:9000 -- $OP forkexec 127.0.0.2 9000 "t-gc-$K"
run $NP -a 127.0.0.2:9000 -- $OP threads 8 127.0.0.2 9000
if [ "$out" = "ok 8" ]; then pass "8 threads connect at once"; else fail "8 threads connect at once" "'$out' $err"; fi

# ---- pinned DNS: the command's queries are answered by netpin; none leaves --------
note "at $(uptime_s) s: pinned DNS"
echo "127.0.0.2 pinned.test" >/tmp/hosts.pin
PDNS="--hosts /tmp/hosts.pin --resolv /dev/null -a pinned.test:9000"
# left: WHAT's judgement of the queries that left, where a server listens on 53
left() {
	if [ $DNS53 = 0 ]; then
		pass "$1 (not seen whether a query left: no server may listen on port 53 here)"
	elif silent "127.0.0.1:53"; then
		pass "$1"
	else
		fail "$1" "a query reached 127.0.0.1:53: $(new_lines)"
	fi
}
mark
run $NP $PDNS -- nslookup pinned.test 127.0.0.1
case "$rc:$out" in
0:*127.0.0.2*) left "pinned DNS (busybox nslookup): an allowed name gets its pinned address" ;;
*) fail "pinned DNS (busybox nslookup): an allowed name gets its pinned address" "rc $rc, out: $out, stderr: $err" ;;
esac
mark
run $NP $PDNS -- nslookup other.test 127.0.0.1
case "$out" in
*"Name:"*) fail "pinned DNS (busybox nslookup): another name gets no address, and no query leaves" "rc $rc, out: $out" ;;
*"can't find other.test"*) left "pinned DNS (busybox nslookup): another name gets no address, and no query leaves" ;;
*) fail "pinned DNS (busybox nslookup): another name gets no address, and no query leaves" "rc $rc, out: $out, stderr: $err" ;;
esac
# musl's resolver (netop is linked with musl where netpin is) reads
# /etc/resolv.conf: the runtime's, whatever server it names
if grep -aq 'GNU C Library' $OP; then
	skip "pinned DNS (musl's resolver, static): an allowed name resolves to its pinned address" "netop is not built with musl"
else
	run $NP $PDNS -- $OP resolve pinned.test
	case "$rc:$out" in 0:*127.0.0.2*) pass "pinned DNS (musl's resolver, static): an allowed name resolves to its pinned address" ;;
	*) fail "pinned DNS (musl's resolver, static): an allowed name resolves to its pinned address" "rc $rc, out: $out, stderr: $err" ;; esac
fi

# ---- names in the connection: a checked TLS and a checked HTTP connection ----------
# to servers in the container; netpin reads the ClientHello's server name
# and the request's Host, and carries the connection
note "at $(uptime_s) s: names in the connection"
printf '127.0.0.2 good.example\n' >/tmp/hosts.names
NAMES="--hosts /tmp/hosts.names --resolv /dev/null -a tls:good.example:8443 -a http:good.example:8080"
mark
run $NP $NAMES -- $OP tls-hello 127.0.0.2 8443 good.example
case $out in
"ok "*)
	if got good.example; then pass "checked TLS: a ClientHello naming the allowed name reaches the server"
	else fail "checked TLS: a ClientHello naming the allowed name reaches the server" "the server never received it; stderr: $err"; fi ;;
*) fail "checked TLS: a ClientHello naming the allowed name reaches the server" "netop said '$out', rc $rc, stderr: $err" ;;
esac
mark
run $NP $NAMES -- $OP tls-hello 127.0.0.2 8443 evil.example
case $err in
*"denied tls to 127.0.0.2:8443/tcp naming evil.example"*)
	if silent evil.example; then pass "checked TLS: another name is refused, and its ClientHello reaches nobody"
	else fail "checked TLS: another name is refused, and its ClientHello reaches nobody" "the server received: $(new_lines | grep -a evil)"; fi ;;
*) fail "checked TLS: another name is refused, and its ClientHello reaches nobody" "netop said '$out', rc $rc, stderr: $err" ;;
esac
mark
run $NP $NAMES -- wget -q -O /tmp/good.out --header "Host: good.example" http://127.0.0.2:8080/good-$$
if [ $rc = 0 ] && [ "$(cat /tmp/good.out)" = ok ] && got "GET /good-$$"; then
	pass "checked HTTP (busybox wget): a request for the allowed Host reaches the server, and its answer comes back"
else
	fail "checked HTTP (busybox wget): a request for the allowed Host reaches the server, and its answer comes back" "rc $rc, body '$(cat /tmp/good.out 2>/dev/null)', stderr: $err"
fi
mark
run $NP $NAMES -- wget -q -O /tmp/evil.out --header "Host: evil.example" http://127.0.0.2:8080/evil-$$
case "$rc:$err" in
1:*"denied http to 127.0.0.2:8080/tcp naming evil.example"*)
	if silent "GET /evil-$$"; then pass "checked HTTP (busybox wget): another Host is refused, and its request reaches nobody"
	else fail "checked HTTP (busybox wget): another Host is refused, and its request reaches nobody" "the server received: $(new_lines)"; fi ;;
*) fail "checked HTTP (busybox wget): another Host is refused, and its request reaches nobody" "rc $rc, stderr: $err" ;;
esac
rm -f /tmp/good.out /tmp/evil.out

# ---- where netpin cannot have its own listener: a clear error, 125, no hang -------
note "at $(uptime_s) s: netpin where a listener is taken"
mark
run timeout 20 $NP -a 127.0.0.2:9000 -- $NP -a 127.0.0.3:9000 -- $OP tcp 127.0.0.3 9000 t-nested
case "$rc:$err" in
125:*"netpin: seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): "*"under netpin"*)
	if silent t-nested; then pass "netpin under netpin: the inner one says it cannot install its filter, 125"
	else fail "netpin under netpin: the inner one says it cannot install its filter, 125" "127.0.0.3 received: $(new_lines)"; fi ;;
*) fail "netpin under netpin: the inner one says it cannot install its filter, 125" "rc $rc (124: it hung), stderr: $err" ;;
esac
mark
run timeout 20 /bin/refuse listener -- $NP -a 127.0.0.3:9000 -- $OP tcp 127.0.0.3 9000 t-listener
case "$rc:$err" in
125:*"netpin: seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): "*"a seccomp listener is taken already"*)
	if silent t-listener; then pass "a seccomp listener already above netpin (refuse listener): a clear error, 125"
	else fail "a seccomp listener already above netpin (refuse listener): a clear error, 125" "127.0.0.3 received: $(new_lines)"; fi ;;
*) fail "a seccomp listener already above netpin (refuse listener): a clear error, 125" "rc $rc (124: it hung), stderr: $err" ;;
esac

# ---- the attacks of tests/escape ----------------------------------------------------
note "at $(uptime_s) s: the attacks"
# (the restricted user cannot become nobody: its "as nobody" tests run as itself)
[ $ROOT = 1 ] || NOBODY=
# shellcheck source=tests/vm/escape.sh
. /escape.sh
# shellcheck source=tests/containers/escape-more.sh
. /tests/escape-more.sh
note "at $(uptime_s) s: end"
