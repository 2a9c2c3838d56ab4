#!/usr/bin/env bash
# test.sh — every test of netpin.  One line per test ("ok N - what" or
# "not ok N - what"); the last line is "N passed, N failed, N skipped".
#
# As root the suite re-runs itself inside a network namespace of its own
# (tests/netns.sh: unshare -n, lo up), so that nothing it does can leave the machine; every
# server and every destination is a loopback address.
#
# netpin has two ways to mediate: it takes the command's sockets with
# pidfd_getfd, or, where a seccomp profile refuses pidfd_getfd (Docker's
# default), it creates them itself and installs them in the command
# (SECCOMP_IOCTL_NOTIF_ADDFD).  The suite runs in the first mode, then runs
# itself again (NETPIN_TEST_MODE=addfd, same namespace) with netpin under
# tests/np-addfd, which refuses what Docker's profile refuses; those lines
# are counted here, prefixed "addfd mode: ".  The BPF interpreter, valgrind,
# the sanitizers and the fuzzers do not depend on the mode and run once.
set -u
# shellcheck source=tests/netns.sh
. "$(dirname "$0")/tests/netns.sh" "$@"
cd "$(dirname "$0")" || exit 1
ROOT=$PWD
MODE=${NETPIN_TEST_MODE:-pidfd_getfd}
case $MODE in
pidfd_getfd | addfd) ;;
*) echo "NETPIN_TEST_MODE must be pidfd_getfd or addfd, not '$MODE'" >&2; exit 2 ;;
esac

n=0 passed=0 failed=0 skipped=0
pass() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1${2:+ — $2}"; }
skip() { n=$((n + 1)); skipped=$((skipped + 1)); echo "ok $n - $1 # SKIP $2"; }
finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

T=$(mktemp -d /tmp/netpin-test.XXXXXX)
SERVER_PID=
# servers started for one section (killed at its end, or here)
AUX_PIDS=
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "${DNS_PIDS:-}" ] && kill $DNS_PIDS 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$AUX_PIDS" ] && kill $AUX_PIDS 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

if ! make -s netpin helpers >"$T/build.log" 2>&1; then
	fail "build (make netpin helpers)" "$(tail -5 "$T/build.log" | tr '\n' ' ')"
	finish
fi
pass "build: netpin and test helpers"
[ "$NETPIN_NETNS" = none ] &&
	echo "# note: no network namespace available; tests use loopback addresses only"

NP=$ROOT/netpin
[ "$MODE" = addfd ] && NP=$ROOT/tests/np-addfd
OP=$ROOT/tests/netop
# programs and files the tests use
HELPERS=$ROOT/tests/helpers
DATA=$ROOT/tests/data
REC=$T/rec
: >"$REC"

# ---- the recording servers --------------------------------------------------
python3 tests/server.py --out "$REC" --ready "$T/ready" \
	tcp:127.0.0.1:9000 tcp:127.0.0.2:9000 tcp:127.0.0.3:9000 \
	tcp:127.0.0.2:9002 tcp:127.0.0.2:9003 \
	udp:127.0.0.2:9001 udp:127.0.0.3:9001 \
	tcp6:[::1]:9000 udp6:[::1]:9001 \
	http:127.0.0.2:8080 http:127.0.0.3:8080 \
	hang:127.0.0.4:9000 2>"$T/server.err" &
SERVER_PID=$!
for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.05; done
if [ ! -e "$T/ready" ]; then
	fail "recording servers start" "$(cat "$T/server.err")"
	finish
fi

# mark: remember where the record is; got TOKEN: a new line with TOKEN
# arrives (waits up to 3 s); silent PATTERN: no new line matches PATTERN.
MARK=0
mark() { MARK=$(wc -l <"$REC"); }
new_lines() { tail -n +"$((MARK + 1))" "$REC"; }
got() {
	for _ in $(seq 60); do
		new_lines | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
silent() { sleep 0.2; ! new_lines | grep -qF -- "$1"; }

# run netpin: out (stdout), err (stderr), rc
run() {
	"$NP" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# allowed ARGS... -- netop op ...: the op prints ok and TOKEN reaches SERVER
expect_allowed() {
	local what=$1 token=$2
	shift 2
	mark
	run "$@"
	if [ "$out" != ok ] && [ "${out#ok }" = "$out" ]; then
		fail "$what" "netop said '$out', rc $rc, stderr: $err"
	elif ! got "$token"; then
		fail "$what" "the server never received '$token'"
	else
		pass "$what"
	fi
}

# denied SERVER ARGS...: the op prints EACCES, netpin says so, SERVER gets nothing
expect_denied() {
	local what=$1 server=$2
	shift 2
	mark
	run "$@"
	if [ "$out" != EACCES ]; then
		fail "$what" "netop said '$out', rc $rc, stderr: $err"
	elif ! silent "$server"; then
		fail "$what" "the denied server received: $(new_lines | grep -F -- "$server")"
	else
		pass "$what"
	fi
}

# ---- the mediation mode ----------------------------------------------------------
run -v -a 127.0.0.2 -- true
case "$rc:$err" in
*"mediation: pidfd_getfd"*"mediation: addfd"* | *"mediation: addfd"*"mediation: pidfd_getfd"*)
	fail "-v names the mediation mode ($MODE)" "both modes named: $err" ;;
0:*"netpin: mediation: $MODE ("*) pass "-v names the mediation mode ($MODE)" ;;
*) fail "-v names the mediation mode ($MODE)" "rc $rc $err" ;;
esac

# ---- the filter, through a classic-BPF interpreter ----------------------------
[ "$MODE" = pidfd_getfd ] && bpf_lines=$(tests/bpftest) || bpf_lines=

# feed: turn "ok - X", "ok - X # SKIP why" and "not ok - X" lines into tests
feed() {
	while IFS= read -r line; do
		case $line in
		"ok - "*" # SKIP "*) t=${line#ok - }; skip "${t%% # SKIP *}" "${t#* # SKIP }" ;;
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		esac
	done
}

feed <<<"$bpf_lines"

# ---- TCP -----------------------------------------------------------------------
expect_allowed "TCP connect to an allowed host:port" t-tcp-ok \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-tcp-ok
expect_denied "TCP connect to a denied host" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-tcp-deny
case $err in
*"netpin: denied connect to 127.0.0.3:9000/tcp by netop["*) pass "denial line on stderr names verb, address, proto and command" ;;
*) fail "denial line on stderr names verb, address, proto and command" "$err" ;;
esac
[ "$rc" = 1 ] && pass "netpin exits with the command's status (1)" ||
	fail "netpin exits with the command's status (1)" "rc $rc"
expect_allowed "non-blocking TCP connect allowed" t-nb-ok \
	-a 127.0.0.2:9000 -- "$OP" tcp-nb 127.0.0.2 9000 t-nb-ok
expect_denied "non-blocking TCP connect denied" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp-nb 127.0.0.3 9000 t-nb-deny
expect_denied "loopback is denied without a rule" 127.0.0.1:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.1 9000 t-lo-deny

# ---- UDP -----------------------------------------------------------------------
expect_allowed "UDP sendto allowed" t-sendto-ok \
	-a 127.0.0.2:9001 -- "$OP" udp-sendto 127.0.0.2 9001 t-sendto-ok
expect_denied "UDP sendto denied" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-sendto 127.0.0.3 9001 t-sendto-deny
expect_allowed "UDP connect+send allowed" t-uconn-ok \
	-a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.2 9001 t-uconn-ok
expect_denied "UDP connect denied" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.3 9001 t-uconn-deny
case $err in
*"denied connect"*) fail "a denied UDP connect is not printed without -v" "$err" ;;
*) pass "a denied UDP connect is not printed without -v" ;;
esac
run -v -a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.3 9001 t-uconn-v
case $err in
*"denied connect to 127.0.0.3:9001/udp"*) pass "a denied UDP connect is printed with -v" ;;
*) fail "a denied UDP connect is printed with -v" "$err" ;;
esac
expect_allowed "UDP sendmsg allowed" t-smsg-ok \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmsg 127.0.0.2 9001 t-smsg-ok
expect_denied "UDP sendmsg denied" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmsg 127.0.0.3 9001 t-smsg-deny
expect_allowed "UDP sendmmsg, all allowed" t-mm-b \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmmsg 127.0.0.2 9001 t-mm-a 127.0.0.2 9001 t-mm-b
mark
run -a 127.0.0.2:9001 -- "$OP" udp-sendmmsg 127.0.0.2 9001 t-mmx-a 127.0.0.3 9001 t-mmx-b 127.0.0.2 9001 t-mmx-c
if [ "$out" = "ok 1" ] && got t-mmx-a && silent t-mmx-b && silent t-mmx-c; then
	pass "sendmmsg with a denied second message sends only the first and returns 1"
else
	fail "sendmmsg with a denied second message sends only the first and returns 1" "out '$out'; $(new_lines)"
fi
expect_denied "sendmmsg whose first message is denied fails with EACCES" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmmsg 127.0.0.3 9001 t-mmd-a 127.0.0.2 9001 t-mmd-b

# ---- rules: protocols, ports, prefixes, families ---------------------------------
expect_denied "tcp: rule does not allow UDP" 127.0.0.2:9001 \
	-a tcp:127.0.0.2 -- "$OP" udp-sendto 127.0.0.2 9001 t-tcponly
expect_allowed "tcp: rule allows TCP" t-tcpok \
	-a tcp:127.0.0.2 -- "$OP" tcp 127.0.0.2 9000 t-tcpok
expect_denied "udp: rule does not allow TCP" 127.0.0.2:9000 \
	-a udp:127.0.0.2 -- "$OP" tcp 127.0.0.2 9000 t-udponly
expect_allowed "udp: rule allows UDP" t-udpok \
	-a udp:127.0.0.2 -- "$OP" udp-sendto 127.0.0.2 9001 t-udpok
expect_denied "a single port does not allow another" 127.0.0.2:9002 \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9002 t-port
expect_allowed "a port range allows its end" t-range \
	-a 127.0.0.2:9000-9002 -- "$OP" tcp 127.0.0.2 9002 t-range
expect_denied "a port range stops at its end" 127.0.0.2:9003 \
	-a 127.0.0.2:9000-9002 -- "$OP" tcp 127.0.0.2 9003 t-range-out
expect_allowed "a port list allows each member" t-list \
	-a 127.0.0.2:9000,9003 -- "$OP" tcp 127.0.0.2 9003 t-list
expect_denied "a port list allows nothing else" 127.0.0.2:9002 \
	-a 127.0.0.2:9000,9003 -- "$OP" tcp 127.0.0.2 9002 t-list-out
expect_allowed "an IPv4 CIDR allows an address inside it" t-cidr \
	-a 127.0.0.0/30:9000 -- "$OP" tcp 127.0.0.3 9000 t-cidr
expect_denied "an IPv4 CIDR allows nothing outside it" 127.0.0.2:9000 \
	-a 127.0.0.4/30 -- "$OP" tcp 127.0.0.2 9000 t-cidr-out
expect_allowed "IPv6 ::1 allowed by [::1]:9000" t-v6 \
	-a '[::1]:9000' -- "$OP" tcp ::1 9000 t-v6
expect_allowed "IPv6 ::1 allowed by a bare ::1 rule" t-v6b \
	-a ::1 -- "$OP" tcp ::1 9000 t-v6b
expect_allowed "IPv6 CIDR [::]/0 allows ::1 over UDP" t-v6u \
	-a 'udp:[::]/0:9001' -- "$OP" udp-sendto ::1 9001 t-v6u
expect_denied "IPv6 ::1 denied by an IPv4 rule" '[::1]:9000' \
	-a 127.0.0.1 -- "$OP" tcp ::1 9000 t-v6-deny
expect_allowed "IPv4-mapped IPv6 is matched as IPv4 (allowed)" t-mapped \
	-a 127.0.0.2:9000 -- "$OP" tcp ::ffff:127.0.0.2 9000 t-mapped
expect_denied "IPv4-mapped IPv6 is matched as IPv4 (denied)" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp ::ffff:127.0.0.3 9000 t-mapped-deny
expect_allowed "0.0.0.0 is matched as loopback (allowed by 127.0.0.1)" t-any \
	-a 127.0.0.1:9000 -- "$OP" tcp 0.0.0.0 9000 t-any
expect_denied "0.0.0.0 is denied without a loopback rule" 127.0.0.1:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp 0.0.0.0 9000 t-any-deny
expect_denied "0.0.0.0 from a socket bound to 127.0.0.3 is 127.0.0.3" 127.0.0.3:9000 \
	-a 127.0.0.1:9000 -- "$OP" tcp-bind-connect 127.0.0.3 0.0.0.0 9000
expect_allowed "an IPv4-mapped rule is an IPv4 rule" t-maprule \
	-a '[::ffff:127.0.0.2]:9000' -- "$OP" tcp 127.0.0.2 9000 t-maprule

# (names: a resolver configuration with no server, so nothing is asked)
: >"$T/resolv.empty"
# ---- names, files ---------------------------------------------------------------
expect_allowed "a name from the hosts file allows its address" t-name \
	--resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a allowed.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-name
expect_allowed "an alias from the hosts file" t-alias \
	--resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a ALIAS.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-alias
expect_denied "a name allows only its own addresses" 127.0.0.3:9000 \
	--resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a allowed.test -- "$OP" tcp 127.0.0.3 9000 t-name-deny
run --resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-missing
case "$rc:$out:$err" in
1:EACCES:*"missing.test does not resolve"*) pass "an unresolved name warns and the command runs" ;;
*) fail "an unresolved name warns and the command runs" "rc $rc out $out err $err" ;;
esac
run --strict --resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-strict
[ "$rc" = 125 ] && [ -z "$out" ] && pass "--strict: an unresolved name is an error (125)" ||
	fail "--strict: an unresolved name is an error (125)" "rc $rc"
run --resolv "$T/resolv.empty" --hosts "$T/nonexistent" -a missing.test -- true
[ "$rc" = 125 ] && pass "an unreadable hosts file is an error (125)" || fail "an unreadable hosts file is an error (125)" "rc $rc"
expect_allowed "--allow-file rules (TCP)" t-file \
	-A "$DATA/allow" -- "$OP" tcp 127.0.0.2 9000 t-file
expect_allowed "--allow-file rules (UDP)" t-fileu \
	-A "$DATA/allow" -- "$OP" udp-sendto 127.0.0.2 9001 t-fileu
expect_denied "--allow-file allows nothing else" 127.0.0.2:9002 \
	-A "$DATA/allow" -- "$OP" tcp 127.0.0.2 9002 t-file-deny
run -A "$DATA/badallow" -- true
case "$rc:$err" in
125:*"badallow:2"*) pass "a bad line in an allow-file names file and line (125)" ;;
*) fail "a bad line in an allow-file names file and line (125)" "rc $rc err $err" ;;
esac

# ---- bind -------------------------------------------------------------------------
run -a 127.0.0.2 -- "$OP" bind tcp 127.0.0.2 0
case $out in "ok "[1-9]*) pass "bind to port 0 is always allowed" ;; *) fail "bind to port 0 is always allowed" "$out $err" ;; esac
run -a 127.0.0.2 -- "$OP" bind tcp 127.0.0.2 9100
[ "$out" = EACCES ] && pass "bind to a port without --bind is denied" || fail "bind to a port without --bind is denied" "$out"
run --bind 9100-9101 -- "$OP" bind tcp 127.0.0.2 9101
[ "$out" = "ok 9101" ] && pass "--bind allows its ports (TCP)" || fail "--bind allows its ports (TCP)" "$out $err"
run --bind 9100,9105 -- "$OP" bind udp 127.0.0.2 9105
[ "$out" = "ok 9105" ] && pass "--bind allows its ports (UDP)" || fail "--bind allows its ports (UDP)" "$out $err"
run --bind 9100 -- "$OP" bind-listen 127.0.0.2 9100
[ "$out" = "ok 9100" ] && pass "bind+listen on an allowed port" || fail "bind+listen on an allowed port" "$out $err"
run --bind 9100 -- "$OP" bind udp 127.0.0.2 9102
[ "$out" = EACCES ] && pass "--bind allows no other port" || fail "--bind allows no other port" "$out"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run --bind 80 -- setpriv --inh-caps=-all --bounding-set=-net_bind_service "$OP" bind tcp 127.0.0.2 80
	[ "$out" = EACCES ] && pass "no privileged port is bound for a command without CAP_NET_BIND_SERVICE" ||
		fail "no privileged port is bound for a command without CAP_NET_BIND_SERVICE" "$out $err"
else
	skip "no privileged port is bound for a command without CAP_NET_BIND_SERVICE" "needs root and setpriv"
fi

LISTEN='import socket,sys; s=socket.socket(); s.bind(("127.0.0.2", int(sys.argv[1]))); s.listen(1); print("listening", s.getsockname()[1])'
run -a 127.0.0.2 -- python3 -c "$LISTEN" 0
case "$rc:$err" in 1:*"denied listen on 127.0.0.2:"*PermissionError*) pass "listen() on an ephemeral port is denied" ;;
*) fail "listen() on an ephemeral port is denied" "rc $rc $out $err" ;; esac
run -a 127.0.0.2 -- python3 -c 'import socket; s=socket.socket(); s.listen(1); print("listening", s.getsockname())'
case "$rc:$err" in 1:*PermissionError*) pass "listen() without bind is denied (no ephemeral listener)" ;;
*) fail "listen() without bind is denied (no ephemeral listener)" "rc $rc $out $err" ;; esac
run --bind 9110 -- python3 -c "$LISTEN" 9110
[ "$rc:$out" = "0:listening 9110" ] && pass "listen() on a --bind port" || fail "listen() on a --bind port" "rc $rc $out $err"

# ---- processes and threads ---------------------------------------------------------
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
else
	case "$out:$err" in
	"EACCES:"*"passes a file descriptor that is not a socket"*"cannot carry it"*)
		pass "sendmsg passing a pipe with SCM_RIGHTS fails with EACCES, and netpin says it cannot carry it" ;;
	*) fail "sendmsg passing a pipe with SCM_RIGHTS fails with EACCES, and netpin says it cannot carry it" "rc $rc out '$out' $err" ;;
	esac
fi
mkdir -p "$T/udir"
python3 "$HELPERS/unix_recv.py" "$T/udir/sock" "$T/udir/got" &
upid=$!
for _ in $(seq 50); do [ -S "$T/udir/sock" ] && break; sleep 0.05; done
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
	chmod 755 "$T"
	# (nobody runs it: a copy in $T, which nobody may enter)
	cp "$HELPERS/ucli.py" "$T/ucli.py" && chmod 644 "$T/ucli.py"
	python3 "$HELPERS/peercred.py" "$T/priv/sock" >"$T/priv.out" 2>&1 &
	upid=$!
	for _ in $(seq 50); do [ -S "$T/priv/sock" ] && break; sleep 0.05; done
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

# ---- sockets the command shares, passes, inherits and closes ------------------------
# (in addfd mode netpin creates every socket and keeps a reference of its own,
# dropped when no process of the command holds the socket any more)
# sent2 OUT TOK_OK TOK_DENIED: the command printed OUT, TOK_OK arrived, TOK_DENIED did not
sent2() { [ "$out" = "$1" ] && got "$2" && silent "$3"; }

python3 "$HELPERS/eofsrv.py" 127.0.0.2 9004 "$T/eof.rec" 2>"$T/eofsrv.err" &
AUX_PIDS="$AUX_PIDS $!"
for _ in $(seq 100); do [ -e "$T/eof.rec.ready" ] && break; sleep 0.05; done
# eof_within TOKEN: the connection that carried TOKEN saw EOF within 1.5 s of its accept
eof_within() {
	local el
	el=$(awk -v t="$1" '$1 == t && $2 == "eof" { print $3 }' "$T/eof.rec" 2>/dev/null | tail -1)
	[ -n "$el" ] && awk -v e="$el" 'BEGIN { exit !(e < 1.5) }'
}
eof_seen() { grep "^$1 " "$T/eof.rec" 2>/dev/null || echo "no record for $1"; }
run -a 127.0.0.2:9004 -- python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.2", 9004)); s.sendall(sys.argv[1].encode()); s.close()
time.sleep(3); print("done")' t-peerclose
[ "$rc:$out" = 0:done ] && eof_within t-peerclose &&
	pass "a TCP peer sees the command's close at once (EOF within 1.5 s, the command still running)" ||
	fail "a TCP peer sees the command's close at once (EOF within 1.5 s, the command still running)" "rc $rc out '$out', server: $(eof_seen t-peerclose) $err"
run -a 127.0.0.2:9004 -- sh -c 'python3 -c "import os, socket, sys
s = socket.create_connection((\"127.0.0.2\", 9004)); s.sendall(sys.argv[1].encode()); os._exit(0)" t-peerexit; sleep 3; echo done'
[ "$rc:$out" = 0:done ] && eof_within t-peerexit &&
	pass "a TCP peer sees EOF at once when the socket's only process exits (the command still running)" ||
	fail "a TCP peer sees EOF at once when the socket's only process exits (the command still running)" "rc $rc out '$out', server: $(eof_seen t-peerexit) $err"

run -a 127.0.0.2 -- python3 "$HELPERS/spair.py"
el=$(echo "$out" | sed -n 's/.* eof=\([0-9.]*\) .*/\1/p')
case "$rc:$out" in
"0:from-child;child-got:from-parent eof="*" child_alive_at_eof=1")
	awk -v e="$el" 'BEGIN { exit !(e < 1.5) }' &&
		pass "socketpair and fork: data both ways; the child closes its end, the parent reads EOF at once" ||
		fail "socketpair and fork: the parent reads EOF at once" "EOF after $el s: $out" ;;
*) fail "socketpair and fork: data both ways; the child closes its end, the parent reads EOF at once" "rc $rc out '$out' $err" ;;
esac

# a server inside the command, clients outside
# wait_line FILE TEXT: TEXT appears in FILE within 3 s
wait_line() { for _ in $(seq 60); do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
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
	fail "a server in the command (--bind): accept and accept4 take outside clients" "rc $rc; clients '$c1' '$c2'; server: $(cat "$T/srv.out" "$T/srv.err" | tr '\n' ' ')"
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
sent2 "child sockets ok EACCES
parent via-passed-unix" t-scm-ok t-scm-deny &&
	pass "SCM_RIGHTS between two processes of the command: the receiver uses the UDP and unix sockets (allowed ok, denied EACCES)" ||
	fail "SCM_RIGHTS between two processes of the command: the receiver uses the sockets" "rc $rc out '$out' $err; $(new_lines | grep t-scm-)"

mark
python3 "$HELPERS/inherit.py" "$NP" -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" fd:3 t-inh-ok t-inh-deny >"$T/out" 2>"$T/err"
rc=$? out=$(cat "$T/out") err=$(cat "$T/err")
sent2 "ok EACCES" t-inh-ok t-inh-deny &&
	pass "a socket netpin inherits (fd 3) is mediated in the command: allowed ok, denied EACCES" ||
	fail "a socket netpin inherits (fd 3) is mediated in the command" "rc $rc out '$out' $err; $(new_lines | grep t-inh-)"

rm -f "$T/give.sock"
python3 "$HELPERS/giver.py" "$T/give.sock" 2>"$T/giver.err" &
gpid=$!
for _ in $(seq 60); do [ -S "$T/give.sock" ] && break; sleep 0.05; done
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" "unix:$T/give.sock" t-give-ok t-give-deny
wait $gpid
if [ "$MODE" = pidfd_getfd ]; then
	sent2 "ok EACCES" t-give-ok t-give-deny &&
		pass "a socket received from outside is mediated: allowed ok, denied EACCES" ||
		fail "a socket received from outside is mediated" "rc $rc out '$out' $err; $(new_lines | grep t-give-)"
else
	case $err in
	*"is a socket netpin did not create"*"cannot act on it: call denied"*)
		[ "$out" = "EACCES EACCES" ] && silent t-give-ok && silent t-give-deny &&
			pass "a socket received from outside: every call on it fails (EACCES) and netpin says it did not create it" ||
			fail "a socket received from outside: every call on it fails (EACCES)" "rc $rc out '$out' $err; $(new_lines | grep t-give-)" ;;
	*) fail "a socket received from outside: netpin says it did not create it" "rc $rc out '$out' $err" ;;
	esac
fi
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" dup t-dup-ok t-dup-deny
sent2 "ok EACCES" t-dup-ok t-dup-deny &&
	pass "a dup of a socket whose first fd was closed is still mediated (0.5 s later)" ||
	fail "a dup of a socket whose first fd was closed is still mediated" "rc $rc out '$out' $err"
mark
run -a 127.0.0.2:9001 -- python3 "$HELPERS/send2.py" exec t-exec-ok t-exec-deny
sent2 "ok EACCES" t-exec-ok t-exec-deny &&
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

start=$(date +%s%N)
timeout -k 2 10 "$NP" --bind 9136 -- python3 "$HELPERS/alarm.py" >"$T/out" 2>"$T/err"
rc=$? out=$(cat "$T/out") err=$(cat "$T/err")
el=$((($(date +%s%N) - start) / 1000000))
case "$rc:$out" in
"7:alarm after "*) [ $el -lt 3000 ] &&
	pass "a blocked accept() is interrupted by a handled signal (SIGALRM after 1 s; exit 7)" ||
	fail "a blocked accept() is interrupted by a handled signal" "took $el ms: $out" ;;
*) fail "a blocked accept() is interrupted by a handled signal (SIGALRM after 1 s; exit 7)" "rc $rc after $el ms, out '$out' $err" ;;
esac

mark
run -a 127.0.0.2:9001 -- sh -c "python3 '$HELPERS/orphan.py' t-orphan-ok t-orphan-deny; sleep 2"
sent2 "orphaned=1 ok EACCES" t-orphan-ok t-orphan-deny &&
	pass "an orphaned process keeps its socket, still mediated (allowed ok, denied EACCES)" ||
	fail "an orphaned process keeps its socket, still mediated" "rc $rc out '$out' $err; $(new_lines | grep t-orphan-)"

# accepters killed while blocked: no connection may go to a caller that is
# gone (in addfd mode netpin's workers wait in accept for them; 6 rounds, as
# a worker could be left in accept only when it lost a race for a connection)
timeout -k 2 30 "$NP" --bind 9137 -- python3 "$HELPERS/accepters.py" >"$T/acc.out" 2>"$T/acc.err" &
np=$!
# the clients (tests/helpers/herd.py)
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
what="the main thread exits (pthread_exit), another thread connects a socket made before 0.5 s later: allowed ok, denied EACCES"
mark
run -a 127.0.0.2:9000 -- "$OP" leader-exit 127.0.0.2 127.0.0.3 9000 t-leader
case "$rc:$out:$err" in
"0:ok EACCES:"*"denied connect to 127.0.0.3:9000/tcp"*)
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
what="root netpin, a command run as nobody: a socketpair end it closes gives EOF at the other end within 1.5 s (5 times)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run -- setpriv --reuid=65534 --regid=65534 --clear-groups "$OP" socketpair-eof 5
	[ "$rc" = 0 ] && [ "${out%%,*}" = "eof 5 of 5" ] && pass "$what" || fail "$what" "rc $rc out '$out' $err"
else
	skip "$what" "needs root and setpriv"
fi
# shellcheck disable=SC2086
kill $AUX_PIDS 2>/dev/null
AUX_PIDS=

# ---- garbage from the command: the kernel's errno, and netpin goes on -------------
garbage() {
	local what=$1
	shift
	bare=$("$OP" "$@" </dev/null 2>/dev/null)
	run -a 127.0.0.2 -- "$OP" "$@" </dev/null
	[ -n "$bare" ] && [ "$out" = "$bare" ] && pass "$what gives the kernel's errno ($bare)" ||
		fail "$what gives the kernel's errno" "bare '$bare', under netpin '$out' $err"
}
garbage "connect with addrlen -1" connect-badlen 127.0.0.2 9000 -1
garbage "connect with addrlen 4096" connect-badlen 127.0.0.2 9000 4096
garbage "connect with addrlen 4" connect-badlen 127.0.0.2 9000 4
garbage "connect with addrlen 0" connect-badlen 127.0.0.2 9000 0
garbage "connect with a bad pointer" connect-badptr
garbage "connect on a closed fd" connect-badfd 77 127.0.0.2 9000
garbage "connect on a non-socket fd" connect-badfd 0 127.0.0.2 9000
garbage "sendto with addrlen 4096" sendto-badlen 127.0.0.2 9001 4096
garbage "sendto with addrlen -5" sendto-badlen 127.0.0.2 9001 -5
garbage "sendmsg with a bad iovec" sendmsg-badiov 127.0.0.2 9001
run -a 127.0.0.2:9000 -- sh -c "'$OP' connect-badptr; '$OP' connect-badlen 127.0.0.2 9000 -1; '$OP' tcp 127.0.0.2 9000 t-after"
[ "$(tail -1 "$T/out")" = ok ] && pass "netpin keeps working after garbage" || fail "netpin keeps working after garbage" "$out"

# ---- real clients --------------------------------------------------------------------
client() {
	local name=$1 allow=$2 url=$3
	shift 3
	mark
	run -a "$allow" -- "$@" "$url"
}
if command -v curl >/dev/null; then
	client curl 127.0.0.2:8080 http://127.0.0.2:8080/curl-ok curl -s
	[ "$rc" = 0 ] && [ "$out" = ok ] && got "/curl-ok" && pass "curl: allowed fetch" || fail "curl: allowed fetch" "rc $rc $err"
	client curl 127.0.0.2:8080 http://127.0.0.3:8080/curl-deny curl -s
	[ "$rc" = 7 ] && silent "/curl-deny" && pass "curl: denied fetch fails (exit 7) and reaches nothing" ||
		fail "curl: denied fetch fails (exit 7) and reaches nothing" "rc $rc $err"
else
	skip "curl: allowed fetch" "curl not installed"
	skip "curl: denied fetch" "curl not installed"
fi
if command -v wget >/dev/null; then
	client wget 127.0.0.2:8080 http://127.0.0.2:8080/wget-ok wget -q -O-
	[ "$rc" = 0 ] && got "/wget-ok" && pass "wget: allowed fetch" || fail "wget: allowed fetch" "rc $rc $err"
	client wget 127.0.0.2:8080 http://127.0.0.3:8080/wget-deny wget -q -t 1 -O-
	[ "$rc" != 0 ] && silent "/wget-deny" && pass "wget: denied fetch fails and reaches nothing" ||
		fail "wget: denied fetch fails and reaches nothing" "rc $rc $err"
else
	skip "wget: allowed fetch" "wget not installed"
	skip "wget: denied fetch" "wget not installed"
fi
PYGET='import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())'
client python3 127.0.0.2:8080 http://127.0.0.2:8080/py-ok python3 -c "$PYGET"
[ "$rc" = 0 ] && [ "$out" = ok ] && got "/py-ok" && pass "python3: allowed fetch" || fail "python3: allowed fetch" "rc $rc $err"
client python3 127.0.0.2:8080 http://127.0.0.3:8080/py-deny python3 -c "$PYGET"
case $err in *PermissionError*|*"Permission denied"*) denied_py=1 ;; *) denied_py=0 ;; esac
[ "$rc" = 1 ] && [ $denied_py = 1 ] && silent "/py-deny" && pass "python3: denied fetch raises PermissionError" ||
	fail "python3: denied fetch raises PermissionError" "rc $rc $err"
if command -v busybox >/dev/null; then
	client busybox 127.0.0.2:8080 http://127.0.0.2:8080/bb-ok busybox wget -q -O-
	[ "$rc" = 0 ] && got "/bb-ok" && pass "busybox wget (static): allowed fetch" || fail "busybox wget: allowed fetch" "rc $rc $err"
else
	skip "busybox wget: allowed fetch" "busybox not installed"
fi

# ---- the resolver: netpin's own DNS client ------------------------------------------
dns_start() { # ADDR PORT NAME MODE...
	local addr=$1 port=$2 name=$3 m
	shift 3
	local modes=()
	for m in "$@"; do modes+=(--mode "$m"); done
	python3 tests/dnsserver.py --addr "$addr" --port "$port" --zone "$DATA/zone" \
		--log "$T/dns-$name.log" --ready "$T/dns-$name.ready" "${modes[@]}" 2>>"$T/dns.err" &
	DNS_PIDS="${DNS_PIDS:-} $!"
	for _ in $(seq 100); do [ -e "$T/dns-$name.ready" ] && return 0; sleep 0.05; done
	return 1
}
dns_start 127.0.0.1 5353 main tc=big.test wrongid=wid.test wrongname=wname.test \
	wrongsource=wsrc.test garbage=garbage.test loop=loop.test badcount=badcount.test \
	longname=longname.test silent=silent.test servfail=fail.test &&
	dns_start 127.0.0.1 5363 second &&
	dns_start ::1 5353 six || fail "test DNS servers start" "$(cat "$T/dns.err")"
DNS="--dns 127.0.0.1:5353"
# shellcheck disable=SC2086
dry() { run -n --resolv "$T/resolv.empty" $DNS "$@"; }
dry -a pub.test:443
case $out in
*"93.184.216.34/32"*"(dns)"*"2606:2800:220:1::1/128"*"(dns)"*) pass "A and AAAA of a name are pinned from DNS" ;;
*) fail "A and AAAA of a name are pinned from DNS" "$out $err" ;;
esac
dry -a alias.test
case $out in *"93.184.216.34/32"*) pass "a CNAME chain is followed inside the answer" ;; *) fail "a CNAME chain is followed" "$out $err" ;; esac
dry -a big.test
case $out in *"93.184.216.35/32"*) grep -q '^tcp big.test A' "$T/dns-main.log" &&
	pass "a truncated answer is asked again over TCP" || fail "truncated answer over TCP" "no TCP query logged" ;;
*) fail "a truncated answer is asked again over TCP" "$out $err" ;; esac
for spec in wid:37:"a reply with the wrong ID" wname:38:"a reply to another question" wsrc:39:"a reply from another source"; do
	name=${spec%%:*} rest=${spec#*:}
	last=${rest%%:*} what=${rest#*:}
	dry -a "$name.test"
	case $out in
	*6.6.6.6*) fail "$what is ignored" "poison pinned: $out" ;;
	*"93.184.216.$last/32"*) pass "$what is ignored; the right one is pinned" ;;
	*) fail "$what is ignored; the right one is pinned" "$out $err" ;;
	esac
done
for name in garbage loop badcount longname; do
	dry -a "$name.test"
	[ "$rc" = 0 ] && pass "a hostile reply ($name) does not crash netpin" ||
		fail "a hostile reply ($name) does not crash netpin" "rc $rc $err"
done
case $out in *6.6.6.6*) fail "a name longer than 255 bytes is refused" "$out" ;;
*) pass "a name longer than 255 bytes is refused" ;; esac
dry -a nxdomain.test
case "$rc:$err" in 0:*"nxdomain.test does not resolve"*) pass "NXDOMAIN: a warning, and netpin goes on" ;;
*) fail "NXDOMAIN: a warning, and netpin goes on" "rc $rc $err" ;; esac
dry --strict -a nxdomain.test
[ "$rc" = 125 ] && pass "--strict: NXDOMAIN is an error (125)" || fail "--strict: NXDOMAIN is an error" "rc $rc"
run -n --resolv "$T/resolv.empty" --dns 127.0.0.1:5353 --dns 127.0.0.1:5363 -a fail.test
case $out in *"93.184.216.45/32"*) pass "SERVFAIL: the next server is asked" ;; *) fail "SERVFAIL: the next server is asked" "$out $err" ;; esac
start=$(date +%s%N)
dry --timeout 1 -a silent.test -a pub.test
el=$((($(date +%s%N) - start) / 1000000))
case "$rc:$out:$err" in
0:*"93.184.216.34"*:*"silent.test does not resolve"*)
	if [ $el -lt 4000 ]; then pass "--timeout 1 bounds the wait for a silent server"; else fail "--timeout 1 bounds the wait" "${el} ms"; fi ;;
*) fail "--timeout 1 bounds the wait for a silent server" "rc $rc $out $err" ;;
esac
run -n --resolv "$T/resolv.empty" --dns '[::1]:5353' -a pub.test
case $out in *"93.184.216.34/32"*) pass "an IPv6 DNS server" ;; *) fail "an IPv6 DNS server" "$out $err" ;; esac
dry -a both.test
case "$out" in
*10.1.2.3*) fail "the rebinding guard drops private answers, with a warning" "$out" ;;
*"93.184.216.36/32"*) case $err in *"10.1.2.3"*"rebinding guard"*) pass "the rebinding guard drops private answers, with a warning" ;;
	*) fail "the rebinding guard drops private answers, with a warning" "$err" ;; esac ;;
*) fail "the rebinding guard drops private answers, with a warning" "$out $err" ;;
esac
dry --allow-private-dns -a both.test
case $out in *"10.1.2.3/32"*) pass "--allow-private-dns keeps them" ;; *) fail "--allow-private-dns keeps them" "$out" ;; esac
expect_allowed "a name from DNS allows exactly its pinned addresses" t-dns-ok \
	--resolv "$T/resolv.empty" $DNS --allow-private-dns -a lo.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-dns-ok
expect_denied "a name from DNS allows no other address" 127.0.0.3:9000 \
	--resolv "$T/resolv.empty" $DNS --allow-private-dns -a lo.test:9000 -- "$OP" tcp 127.0.0.3 9000 t-dns-deny
expect_denied "a loopback answer is dropped by the guard" 127.0.0.2:9000 \
	--resolv "$T/resolv.empty" $DNS -a lo.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-dns-guard
before=$(wc -l <"$T/dns-main.log")
dry -a 127.0.0.2 -a '[::1]:53' -a 10.0.0.0/8
dry --hosts "$DATA/hosts" -a allowed.test
if [ "$(wc -l <"$T/dns-main.log")" = "$before" ] && case $out in *"127.0.0.2/32"*"(hosts)"*) true ;; *) false ;; esac; then
	pass "no query for literal addresses or names in the hosts file"
else
	fail "no query for literal addresses or names in the hosts file" "$out $(tail -n +$((before + 1)) "$T/dns-main.log")"
fi
if [ "$NETPIN_NETNS" != none ] && dns_start 127.0.0.1 53 port53; then
	printf '# test\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
	run -n --resolv "$T/resolv.conf" -a pub.test
	case $out in *"93.184.216.34/32"*) pass "--resolv: nameservers from a resolv.conf" ;; *) fail "--resolv: nameservers from a resolv.conf" "$out $err" ;; esac
else
	skip "--resolv: nameservers from a resolv.conf" "needs port 53 in a private network namespace"
fi
for bad in "--dns 127.0.0.1:0" "--dns nothost" "--dns [::1" "--timeout 0" "--timeout x" "--resolv $T/nonexistent"; do
	# shellcheck disable=SC2086
	run -n $bad -a pub.test
	[ "$rc" = 125 ] && pass "bad resolver option '$bad': 125" || fail "bad resolver option '$bad': 125" "rc $rc"
done

# ---- stress: 4 processes x 32 threads, mediated connects and sends, 5 s ---------------
run -a 127.0.0.2 -- tests/stress 4 32 5 127.0.0.2 127.0.0.3 9000 9001
case "$rc:$out" in 0:"ok "*) pass "stress: 4 processes x 32 threads for 5 s, every call answered right (${out#ok } calls)" ;;
*) fail "stress: 4 processes x 32 threads for 5 s" "rc $rc $out $err" ;; esac

# ---- valgrind on the supervisor ------------------------------------------------------------
[ "$MODE" = pidfd_getfd ] && feed < <(timeout -k 5 300 tests/valgrind.sh)

# ---- attacks: one program each, judged by what the denied server received ----------
feed < <(timeout -k 5 240 tests/escape/run.sh "$NP")

# ---- kernel features netpin cannot mediate, and restricted environments ----------------
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
	*"mediation: pidfd_getfd"*) fail "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode and works" "rc $rc $(cat "$T/err")" ;;
	0:ok:*"netpin: mediation: addfd ("*) got t-docker &&
		pass "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode (-v says so) and works" ||
		fail "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode and works" "the server never received t-docker" ;;
	*) fail "pidfd_getfd refused (Docker's default profile): netpin switches to addfd mode and works" "rc $rc $(cat "$T/out" "$T/err")" ;;
	esac
fi
mark
"$ROOT/tests/refuse" 310 -- "$NP" -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000 t-procmem >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = ok ] && got t-procmem && pass "process_vm_readv refused: /proc/PID/mem is read instead" ||
	fail "process_vm_readv refused: /proc/PID/mem is read instead" "$(cat "$T/out" "$T/err")"
mark
"$ROOT/tests/refuse" 310 -- "$NP" -a 127.0.0.2:9000 -- "$OP" udp-sendto 127.0.0.3 9001 t-procmem-deny >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = EACCES ] && silent t-procmem-deny && pass "process_vm_readv refused: denials still hold" ||
	fail "process_vm_readv refused: denials still hold" "$(cat "$T/out" "$T/err")"

# ---- sanitizers and fuzzers ---------------------------------------------------------------
if [ "$MODE" = addfd ]; then
	: # once, in the pidfd_getfd run (which also runs netpin-asan in addfd mode)
elif make -s netpin-asan fuzzers >"$T/asan-build.log" 2>&1; then
	SAVED_NP=$NP
	NP=$ROOT/netpin-asan
	export ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	dry -a garbage.test -a loop.test -a badcount.test -a longname.test -a wid.test -a big.test -a alias.test
	case "$rc:$err" in
	0:*AddressSanitizer*|0:*"runtime error"*) fail "ASan/UBSan: hostile DNS replies" "$err" ;;
	0:*) pass "ASan/UBSan: hostile DNS replies" ;;
	*) fail "ASan/UBSan: hostile DNS replies" "rc $rc $err" ;;
	esac
	asan_op() {
		local what=$1 want=$2
		shift 2
		run -a 127.0.0.2 -- "$OP" "$@" </dev/null
		case "$out:$err" in
		*AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: $what" "$err" ;;
		"$want":*) pass "ASan/UBSan: $what" ;;
		*) fail "ASan/UBSan: $what" "out '$out' err $err" ;;
		esac
	}
	asan_op "allowed TCP" ok tcp 127.0.0.2 9000 t-asan
	asan_op "denied TCP" EACCES tcp 127.0.0.3 9000
	asan_op "sendmmsg mixed" "ok 1" udp-sendmmsg 127.0.0.2 9001 a 127.0.0.3 9001 b
	asan_op "SCM_RIGHTS" ok scm-rights
	asan_op "bad pointer" EFAULT connect-badptr
	asan_op "bad iovec" EFAULT sendmsg-badiov 127.0.0.2 9001
	asan_op "bad length" EINVAL connect-badlen 127.0.0.2 9000 4096
	asan_op "20 threads" "ok 20" threads 20 127.0.0.2 9000
	# every attack again, against netpin built with ASan and UBSan
	timeout -k 5 240 tests/escape/run.sh "$NP" >"$T/escape-asan" 2>&1
	bad=$(grep -c '^not ok' "$T/escape-asan")
	okn=$(grep -c '^ok' "$T/escape-asan")
	if [ "$bad" = 0 ] && [ "$okn" -gt 15 ] && ! grep -q "AddressSanitizer\|runtime error" "$T/escape-asan"; then
		pass "ASan/UBSan: the $okn attacks of tests/escape fail against netpin-asan too"
	else
		fail "ASan/UBSan: the attacks of tests/escape" "$(grep -m3 '^not ok\|Sanitizer\|runtime error' "$T/escape-asan")"
	fi
	run -a 127.0.0.2 -- tests/stress 2 16 3 127.0.0.2 127.0.0.3 9000 9001
	case "$rc:$out:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: stress" "$err" ;;
	0:"ok "*) pass "ASan/UBSan: stress, 2 processes x 16 threads for 3 s" ;;
	*) fail "ASan/UBSan: stress" "rc $rc $out $err" ;; esac
	# netpin-asan in addfd mode (pidfd_getfd refused as by Docker's profile);
	# LeakSanitizer needs ptrace, which that profile refuses
	NP=$ROOT/tests/np-addfd
	export NETPIN_BIN=$ROOT/netpin-asan ASAN_OPTIONS=abort_on_error=1:detect_leaks=0
	run -v -a 127.0.0.2 -- true
	case "$rc:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: addfd mode: -v says mediation: addfd" "$err" ;;
	0:*"mediation: addfd"*) pass "ASan/UBSan: addfd mode: -v says mediation: addfd" ;;
	*) fail "ASan/UBSan: addfd mode: -v says mediation: addfd" "rc $rc $err" ;; esac
	asan_op "addfd mode: allowed TCP" ok tcp 127.0.0.2 9000 t-asan-addfd
	asan_op "addfd mode: denied TCP" EACCES tcp 127.0.0.3 9000
	asan_op "addfd mode: sendmmsg mixed" "ok 1" udp-sendmmsg 127.0.0.2 9001 a 127.0.0.3 9001 b
	asan_op "addfd mode: SCM_RIGHTS of a pipe (refused)" EACCES scm-rights
	asan_op "addfd mode: bad pointer" EFAULT connect-badptr
	asan_op "addfd mode: 20 threads" "ok 20" threads 20 127.0.0.2 9000
	run -a 127.0.0.2 -- python3 "$HELPERS/scm.py" t-asan-scm t-asan-scm-deny
	case "$out:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: addfd mode: SCM_RIGHTS of sockets between processes" "$err" ;;
	*"child sockets ok EACCES"*"parent via-passed-unix"*) pass "ASan/UBSan: addfd mode: SCM_RIGHTS of sockets between processes" ;;
	*) fail "ASan/UBSan: addfd mode: SCM_RIGHTS of sockets between processes" "out '$out' err $err" ;; esac
	run -a 127.0.0.2 -- tests/stress 2 16 3 127.0.0.2 127.0.0.3 9000 9001
	case "$rc:$out:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: addfd mode: stress" "$err" ;;
	0:"ok "*) pass "ASan/UBSan: addfd mode: stress, 2 processes x 16 threads for 3 s" ;;
	*) fail "ASan/UBSan: addfd mode: stress" "rc $rc $out $err" ;; esac
	timeout -k 5 240 tests/escape/run.sh "$NP" >"$T/escape-asan" 2>&1
	bad=$(grep -c '^not ok' "$T/escape-asan")
	okn=$(grep -c '^ok' "$T/escape-asan")
	if [ "$bad" = 0 ] && [ "$okn" -gt 15 ] && ! grep -q "AddressSanitizer\|runtime error" "$T/escape-asan"; then
		pass "ASan/UBSan: addfd mode: the $okn attacks of tests/escape fail against netpin-asan too"
	else
		fail "ASan/UBSan: addfd mode: the attacks of tests/escape" "$(grep -m3 '^not ok\|Sanitizer\|runtime error' "$T/escape-asan" | tr '\n' ' ')"
	fi
	unset NETPIN_BIN
	NP=$SAVED_NP
	unset ASAN_OPTIONS UBSAN_OPTIONS
	for f in dns rule sockaddr cmsg; do
		mkdir -p "$T/corpus-$f"
		if "tests/fuzz-$f" -max_total_time=6 -print_final_stats=0 "$T/corpus-$f" >"$T/fuzz-$f.log" 2>&1; then
			pass "fuzz: $f parser, 6 s under ASan/UBSan, no crash"
		else
			fail "fuzz: $f parser" "$(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$T/fuzz-$f.log")"
		fi
	done
else
	for w in "ASan/UBSan build" "fuzzers"; do skip "$w" "clang with libFuzzer is not installed: $(tail -1 "$T/asan-build.log")"; done
fi

# ---- pinned DNS: netpin answers the command's DNS from the pin table ------------------------
dns_start 127.0.0.1 5373 pinned || fail "test DNS server for pinned DNS starts" "$(cat "$T/dns.err")"
PDNS="--resolv $T/resolv.empty --dns 127.0.0.1:5373 --allow-private-dns"
dns_q() { grep -c "^udp $1 \|^tcp $1 " "$T/dns-pinned.log"; }
run $PDNS -a pinned.test:9000 -- getent hosts pinned.test
case "$rc:$out" in 0:*"::1"*pinned.test*|0:*127.0.0.2*pinned.test*) [ "$(dns_q pinned.test)" = 2 ] &&
	pass "glibc (getent, UDP): an allowed name gets its pinned addresses, from netpin" ||
	fail "glibc (getent, UDP): the command's query reached the DNS server" "$(cat "$T/dns-pinned.log")" ;;
*) fail "glibc (getent, UDP): an allowed name gets its pinned addresses" "rc $rc $out $err" ;; esac
run $PDNS -a pinned.test:9000 -- getent hosts notallowed.test
case "$rc:$err" in 2:*"refused DNS name notallowed.test"*) [ "$(dns_q notallowed.test)" = 0 ] &&
	pass "glibc: another name fails, and the DNS server never sees it" ||
	fail "glibc: another name was sent to the DNS server" "$(cat "$T/dns-pinned.log")" ;;
*) fail "glibc: another name fails" "rc $rc $out $err" ;; esac
run -v $PDNS -a pinned.test:9000 -- env RES_OPTIONS=use-vc getent hosts pinned.test
case "$rc:$out:$err" in 0:*pinned.test*:*":53/tcp goes to netpin's pinned DNS"*) pass "glibc over TCP (options use-vc)" ;; *) fail "glibc over TCP (options use-vc)" "rc $rc $out $err" ;; esac
if [ -x tests/netop-musl ]; then
	run $PDNS -a pinned.test:9000 -- tests/netop-musl resolve pinned.test
	case "$rc:$out" in 0:*127.0.0.2*) pass "musl (static): an allowed name resolves to its pinned addresses" ;;
	*) fail "musl (static): an allowed name resolves" "rc $rc $out $err" ;; esac
	run $PDNS -a pinned.test:9000 -- tests/netop-musl resolve notallowed.test
	[ "$rc" = 1 ] && [ "$(dns_q notallowed.test)" = 0 ] && pass "musl (static): another name fails" ||
		fail "musl (static): another name fails" "rc $rc $out"
else
	skip "musl (static): an allowed name resolves" "musl-gcc is not installed"
	skip "musl (static): another name fails" "musl-gcc is not installed"
fi
if command -v go >/dev/null && (cd tests && GOCACHE="$T/gocache" GOPATH="$T/gopath" CGO_ENABLED=0 \
	go build -o "$T/goresolve" goresolve.go) >"$T/go.log" 2>&1; then
	run $PDNS -a pinned.test:9000 -- "$T/goresolve" pinned.test
	case "$rc:$out" in 0:*127.0.0.2*) pass "Go's own resolver (static, no cgo): an allowed name resolves" ;;
	*) fail "Go's own resolver: an allowed name resolves" "rc $rc $out $err" ;; esac
	run $PDNS -a pinned.test:9000 -- "$T/goresolve" notallowed.test
	[ "$rc" = 1 ] && [ "$(dns_q notallowed.test)" = 0 ] && pass "Go's own resolver: another name fails" ||
		fail "Go's own resolver: another name fails" "rc $rc $out $err"
else
	skip "Go's own resolver" "no Go toolchain (Debian: golang-go): $(tail -1 "$T/go.log" 2>/dev/null)"
fi
mark
run $PDNS -a pinned.test:9000 -- python3 -c 'import socket,sys; s=socket.create_connection(("pinned.test", 9000)); s.sendall(b"t-pdns-py"); s.close(); print("ok")'
[ "$out" = ok ] && got t-pdns-py && pass "python3: connect by name to the pinned address" ||
	fail "python3: connect by name to the pinned address" "rc $rc $out $err"
if command -v curl >/dev/null; then
	mark
	run $PDNS -a web.test:8080 -- curl -s -4 http://web.test:8080/t-pdns-curl
	[ "$out" = ok ] && got /t-pdns-curl && pass "curl by name" || fail "curl by name" "rc $rc $out $err"
else
	skip "curl by name" "curl not installed"
fi
mark
run $PDNS -a '*.wild.test:9000' -l "$T/dnslog" -- python3 -c 'import socket; s=socket.create_connection(("a.wild.test", 9000)); s.sendall(b"t-wild"); s.close(); print("ok")'
[ "$out" = ok ] && got t-wild && [ "$(dns_q a.wild.test)" = 2 ] &&
	pass "a wildcard name is resolved once by netpin, pinned, and its connect works" ||
	fail "a wildcard name is resolved once by netpin, pinned, and its connect works" "rc $rc $out $err $(dns_q a.wild.test)"
grep -q '"event":"dns","time":"[^"]*","verdict":"allow","name":"a.wild.test","type":"A","rule":"\*.wild.test:9000","answers":"127.0.0.2"' "$T/dnslog" &&
	grep -q '"event":"pin".*"name":"a.wild.test".*"source":"dns"' "$T/dnslog" &&
	pass "JSON log: dns events with name, type, verdict, answers; the wildcard pin" ||
	fail "JSON log: dns events" "$(cat "$T/dnslog")"
dns_start 127.0.0.1 5393 slow delay=2000=slow.wild2.test || fail "slow test DNS server starts" "$(cat "$T/dns.err")"
run --resolv "$T/resolv.empty" --dns 127.0.0.1:5393 --allow-private-dns -a '*.wild2.test' -a 127.0.0.2:9000 -- \
	sh -c "getent hosts slow.wild2.test & sleep 0.4; '$OP' tcp 127.0.0.2 9000 t-noslow; wait"
case "$(head -1 "$T/out"):$(tail -1 "$T/out")" in
"ok:127.0.0.2"*slow.wild2.test) pass "a slow upstream lookup for a wildcard name does not stall other calls" ;;
*) fail "a slow upstream lookup for a wildcard name does not stall other calls" "$out $err" ;;
esac
run $PDNS -a '*.wild.test:9000' -- python3 -c 'import socket; socket.create_connection(("127.0.0.3", 9000))'
case $err in *PermissionError*) pass "a wildcard rule allows only the addresses it pinned" ;; *) fail "a wildcard rule allows only what it pinned" "$out $err" ;; esac
run $PDNS -a pinned.test -- python3 "$HELPERS/rawdns.py" 127.0.0.3 53 pinned.test
case "$rc:$out" in "0:127.0.0.3 53 0 127.0.0.2") pass "a query sent straight to another server:53 is answered by netpin, as that server" ;;
*) fail "a query sent straight to another server:53 is answered by netpin" "rc $rc $out $err" ;; esac
run $PDNS -a pinned.test -- python3 "$HELPERS/rawdns.py" ::1 53 pinned.test
case "$rc:$out" in "0:::1 53 0 127.0.0.2") pass "an IPv6 nameserver is answered too" ;;
*) fail "an IPv6 nameserver is answered too" "rc $rc $out $err" ;; esac
run $PDNS -a pinned.test -- python3 "$HELPERS/rawdns.py" 127.0.0.3 53 notallowed.test
case "$rc:$out" in "0:127.0.0.3 53 3 ") pass "NXDOMAIN for a name no rule allows" ;; *) fail "NXDOMAIN for a name no rule allows" "rc $rc $out $err" ;; esac
if [ -e "$T/dns-port53.ready" ]; then
	before=$(grep -c 'pub.test' "$T/dns-port53.log")
	run $PDNS -a udp:127.0.0.1:53 -- python3 "$HELPERS/rawdns.py" 127.0.0.1 53 pub.test
	[ "$(grep -c 'pub.test' "$T/dns-port53.log")" = $((before + 1)) ] &&
		pass "a rule that names server:53 lets DNS go to that server" ||
		fail "a rule that names server:53 lets DNS go to that server" "rc $rc $out $err"
else
	skip "a rule that names server:53 lets DNS go to that server" "needs port 53 in a private network namespace"
fi

# ---- audit and learn --------------------------------------------------------------------
rm -f "$T/learned"
mark
run --audit --learn "$T/learned" -a 127.0.0.2:9000 -- sh "$HELPERS/contact.sh" "$OP"
if [ "$rc" = 0 ] && [ "$(grep -c '^ok' "$T/out")" = 7 ] && got t-aud-7 &&
	[ "$(new_lines | grep -c 't-aud-')" = 7 ]; then
	pass "--audit: nothing is blocked (7 calls reach their servers)"
else
	fail "--audit: nothing is blocked" "rc $rc out $out; $(new_lines)"
fi
case $err in
*"audit: would deny connect to 127.0.0.3:9000/tcp"*) pass "--audit: what would be denied is printed" ;;
*) fail "--audit: what would be denied is printed" "$err" ;;
esac
summary=$(grep '^netpin:   ' "$T/err")
if [ "$(echo "$summary" | grep -c '127.0.0.3:9000/tcp')" = 1 ] && [ "$(echo "$summary" | wc -l)" = 7 ] &&
	echo "$summary" | grep -q '127.0.0.3:9000/tcp (connect) 2 times'; then
	pass "exit summary: each destination once, with its count"
else
	fail "exit summary: each destination once, with its count" "$err"
fi
grep -q '^tcp:127.0.0.2:9002-9003 ' "$T/learned" && grep -q '^tcp:127.0.0.3:9000 ' "$T/learned" &&
	grep -q '^udp:127.0.0.3:9001 ' "$T/learned" && grep -q '^udp:127.0.0.2:9001 ' "$T/learned" &&
	grep -q '^tcp:\[::1\]:9000 ' "$T/learned" && grep -q '^--bind 9120 ' "$T/learned" &&
	pass "--learn writes rules per host with grouped ports, tcp:/udp: as seen, --bind" ||
	fail "--learn writes rules per host with grouped ports" "$(cat "$T/learned")"
mark
run -A "$T/learned" -a 127.0.0.2:9000 -- sh "$HELPERS/contact.sh" "$OP"
if [ "$rc" = 0 ] && [ "$(grep -c '^ok' "$T/out")" = 7 ] && ! grep -q denied "$T/err" && got t-aud-7; then
	pass "the learned file allows the same run with no denial"
else
	fail "the learned file allows the same run with no denial" "rc $rc $out $err"
fi
# with pinned DNS, names the program asks for are known to --audit and --learn
dns_start 127.0.0.1 5383 audit || fail "test DNS server for audit starts" "$(cat "$T/dns.err")"
ADNS="--resolv $T/resolv.empty --dns 127.0.0.1:5383 --allow-private-dns"
rm -f "$T/learned-names"
mark
run $ADNS --audit --learn "$T/learned-names" -a 127.0.0.2 -- python3 -c 'import socket; s=socket.create_connection(("audit.test", 9000)); s.sendall(b"t-aud-name"); s.close(); print("ok")'
[ "$out" = ok ] && got t-aud-name && grep -q '^tcp:audit.test:9000 ' "$T/learned-names" &&
	pass "--audit with pinned DNS: the name the program asked for is learned" ||
	fail "--audit with pinned DNS: the name the program asked for is learned" "rc $rc $out $err $(cat "$T/learned-names" 2>/dev/null)"
run $ADNS -A "$T/learned-names" -a 127.0.0.2 -- python3 -c 'import socket; s=socket.create_connection(("audit.test", 9000)); s.close(); print("ok")'
[ "$out" = ok ] && ! grep -q denied "$T/err" && pass "the learned name rule allows the program by name" ||
	fail "the learned name rule allows the program by name" "rc $rc $out $err"
run -l "$T/audlog" --audit -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000 t-aud-log
grep -q '"verdict":"audit".*"tip":"--allow tcp:127.0.0.3:9000"' "$T/audlog" &&
	pass "--audit: the log has verdict audit with a tip" || fail "--audit: the log has verdict audit with a tip" "$(cat "$T/audlog")"
run -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000
case $err in *"summary: 1 call denied"*"to allow them: --allow tcp:127.0.0.3:9000"*) pass "exit summary after a denial" ;;
*) fail "exit summary after a denial" "$err" ;; esac
run -q -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000
[ -z "$err" ] && pass "-q: no summary" || fail "-q: no summary" "$err"

# ---- exit statuses -----------------------------------------------------------------------
run -a 127.0.0.2 -- sh -c 'exit 3'
[ "$rc" = 3 ] && pass "exit status: the command's (3)" || fail "exit status: the command's (3)" "rc $rc"
run -a 127.0.0.2 -- sh -c 'kill -TERM $$'
[ "$rc" = 143 ] && pass "exit status: 128+15 when the command dies of SIGTERM" || fail "exit status: 128+15" "rc $rc"
run -a 127.0.0.2 -- "$T/does-not-exist"
[ "$rc" = 127 ] && [ -n "$err" ] && pass "exit status: 127 for a command not found" || fail "exit status: 127" "rc $rc"
run -a 127.0.0.2 -- "$DATA/hosts"
[ "$rc" = 126 ] && pass "exit status: 126 for a command not executable" || fail "exit status: 126" "rc $rc"
bad_rule() {
	local rule=$1 what=$2
	run -a "$rule" -- true
	[ "$rc" = 125 ] && [ -n "$err" ] && pass "bad rule '$rule' ($what): 125" ||
		fail "bad rule '$rule' ($what): 125" "rc $rc err $err"
}
bad_rule "" "empty"
bad_rule "127.0.0.2:" "empty port"
bad_rule "127.0.0.2:70000" "port out of range"
bad_rule "127.0.0.2:9002-9000" "backwards range"
bad_rule "127.0.0.2:80,,81" "empty list item"
bad_rule "127.0.0.2:http" "port not a number"
bad_rule "127.0.0.1/33" "prefix too long"
bad_rule "[::1]/129" "IPv6 prefix too long"
bad_rule "[::1" "unclosed bracket"
bad_rule "[nothost]:80" "bracketed non-address"
bad_rule "sctp:127.0.0.1" "unknown protocol"
bad_rule "bad host!:80" "bad name"
bad_rule "*.:80" "bad wildcard"
bad_rule "$(printf 'a%.0s' $(seq 70)).example" "label over 63"
bad_option() {
	local what=$1
	shift
	run "$@"
	[ "$rc" = 125 ] && [ -n "$err" ] && pass "bad usage ($what): 125" || fail "bad usage ($what): 125" "rc $rc err $err"
}
bad_option "unknown option" --no-such-option -- true
bad_option "missing argument" -a
bad_option "no command" -a 127.0.0.1
bad_option "--learn without an argument" --learn
bad_option "-q with -v" -q -v -a 127.0.0.1 -- true
bad_option "bad --bind" --bind 99999 -- true
bad_option "unreadable allow-file" -A "$T/nonexistent" -- true
bad_option "unwritable log" -l /nonexistent/dir/log -a 127.0.0.1 -- true
run --help
[ "$rc" = 0 ] && [ -n "$out" ] && pass "--help: usage on stdout, 0" || fail "--help" "rc $rc"
run --version
case "$rc:$out" in 0:"netpin "*) pass "--version: 0" ;; *) fail "--version" "rc $rc $out" ;; esac

# ---- signals -----------------------------------------------------------------------------
for sig in TERM HUP; do
	"$NP" -a 127.0.0.2 -- sleep 30 >/dev/null 2>&1 &
	np=$!
	sleep 0.3
	kill -"$sig" $np
	wait $np
	rc=$?
	want=$((128 + $(kill -l "$sig")))
	[ "$rc" = "$want" ] && pass "SIG$sig to netpin reaches the command ($want)" ||
		fail "SIG$sig to netpin reaches the command" "rc $rc, want $want"
done

# ---- output: -q, -v, --dry-run, log --------------------------------------------------------
run -a 127.0.0.2:9000 -- sh -c "'$OP' tcp 127.0.0.3 9000; '$OP' tcp 127.0.0.3 9000"
[ "$(grep -c 'denied connect' "$T/err")" = 1 ] && pass "a repeated denial is printed once" ||
	fail "a repeated denial is printed once" "$err"
run -q -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.3 9000
[ "$out" = EACCES ] && [ -z "$err" ] && pass "-q: no denial line" || fail "-q: no denial line" "$err"
run -v -a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9000
case $err in
*"pin table"*"layer 1: seccomp"*"allowed connect to 127.0.0.2:9000/tcp by netop"*) pass "-v: pin table, layers and decisions" ;;
*) fail "-v: pin table, layers and decisions" "$err" ;;
esac
run -n -a 127.0.0.2:9000 --resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a six.test -- "$OP" tcp 127.0.0.2 9000 t-dry
mark
case "$rc:$out" in
0:*"127.0.0.2/32"*"six.test"*"::1/128"*) silent t-dry && pass "--dry-run prints the pin table and runs nothing" ||
	fail "--dry-run runs nothing" "$out" ;;
*) fail "--dry-run prints the pin table" "rc $rc $out" ;;
esac
rm -f "$T/log"
run -l "$T/log" --resolv "$T/resolv.empty" --hosts "$DATA/hosts" -a allowed.test:9000 -- sh -c "'$OP' tcp 127.0.0.2 9000 t-log; '$OP' tcp 127.0.0.3 9000; '$OP' udp-sendto 127.0.0.2 9001 x"
python3 "$HELPERS/logcheck.py" "$T/log" >"$T/logcheck" 2>&1
[ "$(cat "$T/logcheck")" = "log ok" ] && pass "JSON log: start, pin, allow, deny with tip, exit" ||
	fail "JSON log: start, pin, allow, deny with tip, exit" "$(cat "$T/logcheck")"

# ---- everything again in addfd mode ------------------------------------------------------
# the same suite, in the same namespace, with netpin under tests/np-addfd; its
# servers use the same ports, so this run's servers stop first
if [ "$MODE" = pidfd_getfd ]; then
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "${DNS_PIDS:-}" ] && kill $DNS_PIDS 2>/dev/null
	# shellcheck disable=SC2086
	[ -n "$AUX_PIDS" ] && kill $AUX_PIDS 2>/dev/null
	wait 2>/dev/null
	SERVER_PID='' DNS_PIDS='' AUX_PIDS=''
	inner_done=
	while IFS= read -r line; do
		case $line in
		"ok "[0-9]*" - "*" # SKIP "*) t=${line#ok * - }; skip "addfd mode: ${t%% # SKIP *}" "${t#* # SKIP }" ;;
		"ok "[0-9]*" - "*) pass "addfd mode: ${line#ok * - }" ;;
		"not ok "[0-9]*" - "*) fail "addfd mode: ${line#not ok * - }" ;;
		[0-9]*" passed, "*" failed, "*" skipped") inner_done=$line ;;
		*) echo "# addfd mode: $line" ;;
		esac
	done < <(NETPIN_TEST_MODE=addfd "$ROOT/test.sh" 2>&1)
	[ -n "$inner_done" ] || fail "addfd mode: the suite runs to its end" "no summary line"
fi

finish
