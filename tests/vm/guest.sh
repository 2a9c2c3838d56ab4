# shellcheck shell=sh
# shellcheck disable=SC2086 # (NP, NOBODY, PDNS, RULES, PROBES: word lists)
# tests/vm/guest.sh — the tests of netpin in a guest of tests/vm.sh, sourced
# by its init (busybox sh, as root; K is the guest's name).  The guest has
# busybox and the static programs of /bin: netpin, netop (tests/netop.c),
# np-addfd and refuse (tests/refuse.c), recorder and asuser (tests/vm/),
# netop-musl, bpftest (tests/bpftest.c) and aarch32 (tests/vm/aarch32.S)
# where they were built; the attacks of tests/escape in /escape.
# Each test prints one line, "ok - K: WHAT", "not ok - K: WHAT — WHY" or
# "ok - K: WHAT # SKIP WHY"; every allowed call is judged by what the
# server received, every denied one by its errno and by what the server
# did not receive.  The first tests run before /proc is mounted.

NP=/bin/netpin
OP=/bin/netop
REC=/tmp/rec
NOBODY="/bin/asuser 65534"
# a guest under TCG is slow: a server gets 6 s to see a call
WAIT_STEPS=120

pass() { echo "ok - $K: $1"; }
fail() { echo "not ok - $K: $1 — $(printf '%s' "$2" | tr '\n' ' ' | head -c 600)"; }
skip() { echo "ok - $K: $1 # SKIP $2"; }
note() { echo "# $K: $1"; }
# uptime: seconds since the guest booted (notes say where the time goes)
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
new_lines() { tail -n +"$((MARK + 1))" "$REC"; }
got() {
	i=0
	while [ $i -lt $WAIT_STEPS ]; do
		new_lines | grep -qF -- "$1" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
silent() { sleep 0.3; ! new_lines | grep -qF -- "$1"; }

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
		fail "$what" "the denied server received: $(new_lines | grep -F -- "$server")"
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

# ---- the servers (before /proc: the recorder needs none) ----
: >"$REC"
recorder --out "$REC" --ready /tmp/ready tcp:127.0.0.2:9000 tcp:127.0.0.3:9000 \
	udp:127.0.0.2:9001 udp:127.0.0.3:9001 'tcp:[::1]:9000' \
	udp:127.0.0.1:53 tcp:127.0.0.1:53 \
	tcp:127.0.0.2:9600 tcp:127.0.0.3:9600 udp:127.0.0.2:9601 udp:127.0.0.3:9601 \
	tcp:127.0.0.2:9602 udp:127.0.0.2:9602 \
	2>/tmp/recorder.err &
i=0
while [ ! -e /tmp/ready ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -e /tmp/ready ] || fail "the recording server starts" "$(cat /tmp/recorder.err)"

# ---- the filter's verdicts on this architecture (tests/bpftest.c: the
# arm64 guests have it; AArch32 calls kill as i386 and x32 do on amd64) ----
if [ -x /bin/bpftest ]; then
	/bin/bpftest >/tmp/bpf.out 2>/tmp/bpf.err
	rc=$?
	sed -n -e "s/^ok - /ok - $K: /p" -e "s/^not ok - /not ok - $K: /p" -e "s/^# /# $K: /p" /tmp/bpf.out
	n=$(grep -c '^ok - ' /tmp/bpf.out)
	if [ "$n" -lt 100 ] || { [ $rc != 0 ] && ! grep -q '^not ok - ' /tmp/bpf.out; }; then
		fail "filter: tests/bpftest runs to its end" "exit $rc after $n lines; $(cat /tmp/bpf.err)"
	fi
fi

# ---- before /proc is mounted ----
# netpin's pidfd_getfd mode works without /proc (the addfd mode says it
# needs /proc, tested on the host)
mark
run $NP -a 127.0.0.2:9000 -- $OP tcp 127.0.0.2 9000 t-noproc
case "$rc:$out" in
0:ok)
	if got t-noproc; then pass "no /proc: TCP connect allowed"; else fail "no /proc: TCP connect allowed" "the server never received t-noproc"; fi ;;
*)
	fail "no /proc: TCP connect allowed" "rc $rc, out '$out', stderr: $err" ;;
esac
expect_denied "no /proc: TCP connect denied" 127.0.0.3:9000 $NP -a 127.0.0.2:9000 -- $OP tcp 127.0.0.3 9000 t-noproc-deny

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
note "kernel $(uname -r) $(uname -m); LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null || echo '?')"
run $NP -v -a 127.0.0.2 -- true
note "$(echo "$err" | grep -E 'layer|mediation' | tr '\n' ' ')"

# ---- the basic calls, three ways: netpin as root (pidfd_getfd), netpin in
# its addfd mode (tests/np-addfd: Docker's default profile), netpin and the
# command as an unprivileged user ----
basics() {
	how=$1
	shift
	expect_allowed "${how}TCP connect allowed" "t-tcp-$how" \
		"$@" -a 127.0.0.2:9000 -- $OP tcp 127.0.0.2 9000 "t-tcp-$how"
	expect_denied "${how}TCP connect denied" 127.0.0.3:9000 \
		"$@" -a 127.0.0.2:9000 -- $OP tcp 127.0.0.3 9000 "t-tcpd-$how"
	expect_denied "${how}loopback is denied without a rule" 127.0.0.1:9000 \
		"$@" -a 127.0.0.2:9000 -- $OP tcp 127.0.0.1 9000 "t-lo-$how"
	expect_allowed "${how}UDP sendto allowed" "t-udp-$how" \
		"$@" -a 127.0.0.2:9001 -- $OP udp-sendto 127.0.0.2 9001 "t-udp-$how"
	expect_denied "${how}UDP sendto denied" 127.0.0.3:9001 \
		"$@" -a 127.0.0.2:9001 -- $OP udp-sendto 127.0.0.3 9001 "t-udpd-$how"
	expect_allowed "${how}UDP connect+send allowed" "t-uconn-$how" \
		"$@" -a 127.0.0.2:9001 -- $OP udp-connect 127.0.0.2 9001 "t-uconn-$how"
	expect_denied "${how}UDP connect denied" 127.0.0.3:9001 \
		"$@" -a 127.0.0.2:9001 -- $OP udp-connect 127.0.0.3 9001 "t-uconnd-$how"
	expect_allowed "${how}UDP sendmsg allowed" "t-smsg-$how" \
		"$@" -a 127.0.0.2:9001 -- $OP udp-sendmsg 127.0.0.2 9001 "t-smsg-$how"
	expect_out "${how}--bind allows its port (TCP bind+listen)" "ok 9100" \
		"$@" --bind 9100 -- $OP bind-listen 127.0.0.2 9100
	expect_out "${how}--bind allows its port (UDP)" "ok 9105" \
		"$@" --bind 9100,9105 -- $OP bind udp 127.0.0.2 9105
	expect_out "${how}bind to a port without --bind is denied" EACCES \
		"$@" --bind 9100 -- $OP bind tcp 127.0.0.2 9101
	run "$@" -a 127.0.0.2 -- $OP bind tcp 127.0.0.2 0
	case $out in "ok "[1-9]*) pass "${how}bind to port 0 is always allowed" ;; *) fail "${how}bind to port 0 is always allowed" "'$out' $err" ;; esac
}
note "at $(uptime_s) s: the basic calls"
basics "" $NP
basics "addfd mode: " env NETPIN_BIN=$NP /bin/np-addfd
basics "as nobody: " $NOBODY $NP

expect_allowed "non-blocking TCP connect allowed" t-nb-ok \
	$NP -a 127.0.0.2:9000 -- $OP tcp-nb 127.0.0.2 9000 t-nb-ok
expect_allowed "IPv6 TCP connect to [::1] allowed" t-v6-ok \
	$NP -a '[::1]:9000' -- $OP tcp ::1 9000 t-v6-ok
mark
run $NP -a 127.0.0.2:9001 -- $OP udp-sendmmsg 127.0.0.2 9001 t-mmx-a 127.0.0.3 9001 t-mmx-b 127.0.0.2 9001 t-mmx-c
if [ "$out" = "ok 1" ] && got t-mmx-a && silent t-mmx-b && silent t-mmx-c; then
	pass "sendmmsg with a denied second message sends only the first and returns 1"
else
	fail "sendmmsg with a denied second message sends only the first and returns 1" "out '$out'; $(new_lines)"
fi
expect_allowed "a grandchild (fork, fork, exec) is mediated" t-gc \
	$NP -a 127.0.0.2:9000 -- $OP forkexec 127.0.0.2 9000 t-gc
run $NP -a 127.0.0.2:9000 -- $OP threads 8 127.0.0.2 9000
if [ "$out" = "ok 8" ]; then pass "8 threads connect at once"; else fail "8 threads connect at once" "'$out' $err"; fi

# pidfd_getfd refused (Docker's default profile): netpin says it switches
mark
run /bin/refuse docker -- $NP -v -a 127.0.0.2:9000 -- $OP tcp 127.0.0.2 9000 t-docker
case "$rc:$out:$err" in
*"mediation: pidfd_getfd"*) fail "pidfd_getfd refused (tests/refuse docker): netpin switches to addfd mode and works" "rc $rc $err" ;;
0:ok:*"netpin: mediation: addfd ("*)
	if got t-docker; then pass "pidfd_getfd refused (tests/refuse docker): netpin switches to addfd mode and works"
	else fail "pidfd_getfd refused (tests/refuse docker): netpin switches to addfd mode and works" "the server never received t-docker"; fi ;;
*) fail "pidfd_getfd refused (tests/refuse docker): netpin switches to addfd mode and works" "rc $rc out '$out' $err" ;;
esac

note "at $(uptime_s) s: pinned DNS"
# ---- pinned DNS: the command's queries are answered by netpin; none leaves ----
echo "127.0.0.2 pinned.test" >/tmp/hosts.pin
PDNS="--hosts /tmp/hosts.pin --resolv /dev/null -a pinned.test:9000"
mark
run $NP $PDNS -- nslookup pinned.test 127.0.0.1
case "$rc:$out" in
0:*127.0.0.2*)
	if silent "127.0.0.1:53"; then pass "pinned DNS (busybox nslookup): an allowed name gets its pinned address"
	else fail "pinned DNS (busybox nslookup): an allowed name gets its pinned address" "a query reached 127.0.0.1:53: $(new_lines)"; fi ;;
*) fail "pinned DNS (busybox nslookup): an allowed name gets its pinned address" "rc $rc, out: $out, stderr: $err" ;;
esac
mark
run $NP $PDNS -- nslookup other.test 127.0.0.1
case "$out" in
*"Name:"*) fail "pinned DNS (busybox nslookup): another name gets no address, and no query leaves" "rc $rc, out: $out" ;;
*"can't find other.test"*)
	if silent "127.0.0.1:53"; then pass "pinned DNS (busybox nslookup): another name gets no address, and no query leaves"
	else fail "pinned DNS (busybox nslookup): another name gets no address, and no query leaves" "a query reached 127.0.0.1:53: $(new_lines)"; fi ;;
*) fail "pinned DNS (busybox nslookup): another name gets no address, and no query leaves" "rc $rc, out: $out, stderr: $err" ;;
esac
echo "nameserver 127.0.0.1" >/tmp/resolv.conf
if [ -x /bin/netop-musl ]; then
	# (musl's resolver reads /etc/resolv.conf: the guest's points at the recorder)
	mkdir -p /etc && cp /tmp/resolv.conf /etc/resolv.conf
	run $NP $PDNS -- /bin/netop-musl resolve pinned.test
	case "$rc:$out" in 0:*127.0.0.2*) pass "pinned DNS (musl, static): an allowed name resolves to its pinned address" ;;
	*) fail "pinned DNS (musl, static): an allowed name resolves to its pinned address" "rc $rc, out: $out, stderr: $err" ;; esac
fi

note "at $(uptime_s) s: names in the connection"
# ---- names in the connection: busybox httpd on 127.0.0.2:8080 stands for
# a front end; http:good.example:8080 checks every request's Host, and
# netpin carries the connection (its listener, its relay: bulk through its
# buffer, woken for 512 KiB at a time), in both mediation modes ----
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/big bs=1048576 count=16 2>/dev/null
httpd -p 127.0.0.2:8080 -h /tmp/www
echo "127.0.0.2 good.example" >/tmp/hosts.names
NAMES="--hosts /tmp/hosts.names --resolv /dev/null -a http:good.example:8080"
for how in "" "/bin/refuse docker --"; do
	what="names in the connection${how:+ (addfd mode)}"
	run $how $NP $NAMES -- wget -q -O /tmp/big.out --header "Host: good.example" http://127.0.0.2:8080/big
	if [ $rc = 0 ] && cmp -s /tmp/big.out /tmp/www/big; then
		pass "$what: 16 MiB through a checked HTTP connection, byte for byte"
	else
		fail "$what: 16 MiB through a checked HTTP connection, byte for byte" "rc $rc, $(wc -c </tmp/big.out 2>/dev/null) bytes, stderr: $err"
	fi
	rm -f /tmp/big.out
	run $how $NP $NAMES -- wget -q -O /tmp/evil.out --header "Host: evil.example" http://127.0.0.2:8080/big
	case "$rc:$err" in
	1:*"denied http to 127.0.0.2:8080/tcp naming evil.example"*)
		if [ "${err#*403 Forbidden}" = "$err" ]; then fail "$what: another Host is refused (403)" "no 403: $err"
		elif [ -s /tmp/evil.out ]; then fail "$what: another Host is refused (403)" "wget wrote $(wc -c </tmp/evil.out) bytes"
		else pass "$what: another Host is refused (403)"; fi ;;
	*) fail "$what: another Host is refused (403)" "rc $rc, stderr: $err" ;;
	esac
	rm -f /tmp/evil.out
done
rm -rf /tmp/www

# ---- arm64's compat ABI: an AArch32 program connects to the denied
# server; under netpin its first call kills it.  Without netpin first,
# which tells whether this kernel and CPU run AArch32 at all ----
A32="an AArch32 program's connect to a denied address is killed (SIGSYS, 159) and netpin says so"
if [ -x /bin/aarch32 ]; then
	mark
	run /bin/aarch32
	if [ $rc = 0 ] && got aarch32; then
		mark
		run $NP -a 127.0.0.2:9600 -- /bin/aarch32
		case "$rc:$err" in
		159:*"killed by the filter (SIGSYS)"*)
			if silent aarch32; then pass "$A32"; else fail "$A32" "127.0.0.3 received: $(new_lines)"; fi ;;
		*) fail "$A32" "rc $rc, stderr: $err" ;;
		esac
	elif [ $rc = 0 ] || [ $rc = 1 ]; then
		fail "$A32" "without netpin its connect to 127.0.0.3:9600 did not arrive (exit $rc)"
	else
		skip "$A32" "this kernel or CPU does not run AArch32 programs (exit $rc: $err)"
	fi
elif [ "$(uname -m)" = aarch64 ]; then
	skip "$A32" "not built (tests/vm.sh assembles tests/vm/aarch32.S with clang)"
fi

# ---- the attacks of tests/escape that need nothing but the guest ----
note "at $(uptime_s) s: the attacks"
. /escape.sh
note "at $(uptime_s) s: end"
