#!/usr/bin/env bash
# test.sh — every test of netpin.  One line per test ("ok N - what" or
# "not ok N - what"); the last line is "N passed, N failed, N skipped".
#
# As root the suite re-runs itself inside a network namespace of its own
# (unshare -n, lo up), so that nothing it does can leave the machine; every
# server and every destination is a loopback address.
set -u
cd "$(dirname "$0")" || exit 1
ROOT=$PWD

if [ -z "${NETPIN_TEST_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
		exec unshare -n env NETPIN_TEST_NETNS=root "$0" "$@"
	elif unshare -rn true 2>/dev/null; then
		exec unshare -rn env NETPIN_TEST_NETNS=user "$0" "$@"
	fi
	export NETPIN_TEST_NETNS=none
fi
if [ "$NETPIN_TEST_NETNS" != none ]; then
	ip link set lo up 2>/dev/null || busybox ip link set lo up 2>/dev/null ||
		{ echo "cannot bring lo up in the test namespace"; exit 1; }
fi

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
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

if ! make -s netpin helpers >"$T/build.log" 2>&1; then
	fail "build (make netpin helpers)" "$(tail -5 "$T/build.log" | tr '\n' ' ')"
	finish
fi
pass "build: netpin and test helpers"
[ "$NETPIN_TEST_NETNS" = none ] &&
	echo "# note: no network namespace available; tests use loopback addresses only"

NP=$ROOT/netpin
OP=$ROOT/tests/netop
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

# ---- the filter, through a classic-BPF interpreter ----------------------------
while IFS= read -r line; do
	case $line in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	esac
done < <(tests/bpftest)

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
*denied*) fail "a denied UDP connect is not printed without -v" "$err" ;;
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

# ---- names, files ---------------------------------------------------------------
printf '# test hosts\n127.0.0.2 allowed.test alias.test\n::1 six.test\n127.0.0.3 other.test\n' >"$T/hosts"
expect_allowed "a name from the hosts file allows its address" t-name \
	--hosts "$T/hosts" -a allowed.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-name
expect_allowed "an alias from the hosts file" t-alias \
	--hosts "$T/hosts" -a ALIAS.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-alias
expect_denied "a name allows only its own addresses" 127.0.0.3:9000 \
	--hosts "$T/hosts" -a allowed.test -- "$OP" tcp 127.0.0.3 9000 t-name-deny
run --hosts "$T/hosts" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-missing
case "$rc:$out:$err" in
1:EACCES:*"missing.test does not resolve"*) pass "an unresolved name warns and the command runs" ;;
*) fail "an unresolved name warns and the command runs" "rc $rc out $out err $err" ;;
esac
run --strict --hosts "$T/hosts" -a missing.test -- "$OP" tcp 127.0.0.2 9000 t-strict
[ "$rc" = 125 ] && [ -z "$out" ] && pass "--strict: an unresolved name is an error (125)" ||
	fail "--strict: an unresolved name is an error (125)" "rc $rc"
run --hosts "$T/nonexistent" -a missing.test -- true
[ "$rc" = 125 ] && pass "an unreadable hosts file is an error (125)" || fail "an unreadable hosts file is an error (125)" "rc $rc"
printf '# allowed hosts\n\n127.0.0.2:9000   # the API\n  udp:127.0.0.2:9001\n' >"$T/allow"
expect_allowed "--allow-file rules (TCP)" t-file \
	-A "$T/allow" -- "$OP" tcp 127.0.0.2 9000 t-file
expect_allowed "--allow-file rules (UDP)" t-fileu \
	-A "$T/allow" -- "$OP" udp-sendto 127.0.0.2 9001 t-fileu
expect_denied "--allow-file allows nothing else" 127.0.0.2:9002 \
	-A "$T/allow" -- "$OP" tcp 127.0.0.2 9002 t-file-deny
printf '127.0.0.2\nnot a rule\n' >"$T/badallow"
run -A "$T/badallow" -- true
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
run -a 127.0.0.2 -- "$OP" scm-rights
[ "$out" = ok ] && pass "sendmsg with SCM_RIGHTS over a unix socket delivers a working fd" ||
	fail "sendmsg with SCM_RIGHTS over a unix socket delivers a working fd" "$out $err"
mkdir -p "$T/udir"
python3 -c '
import socket,sys
s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(5)
open(sys.argv[2],"w").write(s.recv(100).decode())' "$T/udir/sock" "$T/udir/got" &
upid=$!
for _ in $(seq 50); do [ -S "$T/udir/sock" ] && break; sleep 0.05; done
(cd "$T/udir" && "$NP" -- "$OP" unix-dgram sock t-unixrel >"$T/out" 2>"$T/err")
wait $upid
[ "$(cat "$T/out")" = ok ] && [ "$(cat "$T/udir/got" 2>/dev/null)" = t-unixrel ] &&
	pass "a relative unix socket path is resolved from the command's directory" ||
	fail "a relative unix socket path is resolved from the command's directory" "$(cat "$T/out" "$T/err")"

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

# ---- exit statuses -----------------------------------------------------------------------
run -a 127.0.0.2 -- sh -c 'exit 3'
[ "$rc" = 3 ] && pass "exit status: the command's (3)" || fail "exit status: the command's (3)" "rc $rc"
run -a 127.0.0.2 -- sh -c 'kill -TERM $$'
[ "$rc" = 143 ] && pass "exit status: 128+15 when the command dies of SIGTERM" || fail "exit status: 128+15" "rc $rc"
run -a 127.0.0.2 -- "$T/does-not-exist"
[ "$rc" = 127 ] && [ -n "$err" ] && pass "exit status: 127 for a command not found" || fail "exit status: 127" "rc $rc"
run -a 127.0.0.2 -- "$T/hosts"
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
run -n -a 127.0.0.2:9000 --hosts "$T/hosts" -a six.test -- "$OP" tcp 127.0.0.2 9000 t-dry
mark
case "$rc:$out" in
0:*"127.0.0.2/32"*"six.test"*"::1/128"*) silent t-dry && pass "--dry-run prints the pin table and runs nothing" ||
	fail "--dry-run runs nothing" "$out" ;;
*) fail "--dry-run prints the pin table" "rc $rc $out" ;;
esac
rm -f "$T/log"
run -l "$T/log" --hosts "$T/hosts" -a allowed.test:9000 -- sh -c "'$OP' tcp 127.0.0.2 9000 t-log; '$OP' tcp 127.0.0.3 9000; '$OP' udp-sendto 127.0.0.2 9001 x"
python3 - "$T/log" >"$T/logcheck" 2>&1 <<'EOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
def one(**kw):
    m = [e for e in ev if all(e.get(k) == v for k, v in kw.items())]
    assert len(m) == 1, (kw, ev)
    return m[0]
assert all("time" in e and e["time"].endswith("Z") for e in ev), ev
assert ev[0]["event"] == "start" and ev[-1]["event"] == "exit", ev
one(event="pin", rule="allowed.test:9000", addr="127.0.0.2", name="allowed.test", source="hosts")
a = one(event="connect", verdict="allow", addr="127.0.0.2", port=9000, proto="tcp")
assert a["comm"] == "netop" and isinstance(a["pid"], int) and a["rule"] == "allowed.test:9000" and a["name"] == "allowed.test", a
d = one(event="connect", verdict="deny", addr="127.0.0.3", port=9000)
assert d["tip"] == "--allow tcp:127.0.0.3:9000" and d["comm"] == "netop" and "rule" not in d, d
s = one(event="sendto", verdict="deny", addr="127.0.0.2", port=9001, proto="udp")
assert s["tip"] == "--allow udp:127.0.0.2:9001", s
assert one(event="exit")["status"] == 1, ev
print("log ok")
EOF
[ "$(cat "$T/logcheck")" = "log ok" ] && pass "JSON log: start, pin, allow, deny with tip, exit" ||
	fail "JSON log: start, pin, allow, deny with tip, exit" "$(cat "$T/logcheck")"

finish
