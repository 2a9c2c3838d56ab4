#!/usr/bin/env bash
# tests/valgrind.sh — netpin's supervisor under valgrind memcheck.
#
# Prints one line per check, for test.sh to take in:
#   ok - valgrind: WHAT
#   not ok - valgrind: WHAT (details)
#   ok - valgrind: WHAT # SKIP reason
# and always exits 0.  Run from anywhere: `tests/valgrind.sh`.
#
# netpin is normally a static musl binary; this builds a dynamic glibc one
# (cc -g -O1) into a temporary directory and runs it under
#   valgrind --trace-children=no --leak-check=full --errors-for-leak-kinds=definite
# so memcheck watches the supervisor, and the command's process up to its
# exec (run_child); the command itself then runs natively.
#
# Why a shim.  Valgrind (3.19, and later versions as far as we know) has no
# wrapper for seccomp(2), pidfd_open, pidfd_getfd, pidfd_send_signal or the
# Landlock calls: it answers ENOSYS ("unhandled amd64-linux syscall"), and
# netpin then stops with "seccomp(SECCOMP_GET_NOTIF_SIZES): Function not
# implemented".  So netpin-vg is linked with -Wl,--wrap=syscall and a small
# shim, tests/helpers/vgshim.c: when valgrind answers ENOSYS to one of those
# calls (only those), the shim makes it natively (VALGRIND_NON_SIMD_CALL, a
# raw syscall on the real CPU), after doing what a valgrind wrapper would:
# checking that the input memory is defined (the filter program, the
# Landlock attributes) and marking the output memory defined
# (SECCOMP_GET_NOTIF_SIZES).  netpin.c itself is compiled unchanged.  The
# seccomp ioctls need nothing: valgrind's generic ioctl handling follows
# their _IOWR/_IOW size and direction (it checks that NOTIF_SEND's and
# NOTIF_ID_VALID's arguments are defined, and marks what NOTIF_RECV fills in
# as defined).  A planted error (tests/helpers/vgcanary.c) shows first that
# memcheck runs here and that its errors are caught.
#
# As root this runs inside a network namespace of its own (tests/netns.sh, as
# test.sh does); its servers listen on loopback ports of its own (TCP 9410,
# UDP 9411, DNS 5410), so that it can also run inside test.sh's namespace.
# Its files are in a directory under $TMPDIR (/tmp).
set -u
# shellcheck source=tests/netns.sh
. "$(dirname "$0")/netns.sh" "$@"
cd "$(dirname "$0")/.." || exit 0

ok() { echo "ok - valgrind: $1"; }
notok() { echo "not ok - valgrind: $1 ($2)"; }
skip() { echo "ok - valgrind: $1 # SKIP $2"; }
oneline() { tr '\n' ' ' | sed 's/  */ /g; s/ $//' | cut -c1-400; }

for tool in valgrind cc python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		skip "memcheck on the supervisor" "$tool is not installed"
		exit 0
	fi
done
if [ ! -e /usr/include/valgrind/valgrind.h ] || [ ! -e /usr/include/valgrind/memcheck.h ]; then
	skip "memcheck on the supervisor" "valgrind's client-request headers (valgrind.h, memcheck.h) are missing"
	exit 0
fi
if [ "$(uname -m)" != x86_64 ]; then
	skip "memcheck on the supervisor" "the syscall shim is written for x86_64 only"
	exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/netpin-vg.XXXXXX")
PIDS=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill $PIDS 2>/dev/null
	# a server that missed its SIGTERM must not hang us: KILL after 2 s
	for _ in $(seq 20); do
		for p in $PIDS; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "$p" ] && break
		sleep 0.1
	done
	# shellcheck disable=SC2086
	[ -n "$PIDS" ] && kill -KILL $PIDS 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if ! cc -g -O1 -o "$T/netpin-vg" netpin.c tests/helpers/vgshim.c -pthread -Wl,--wrap=syscall >"$T/build.log" 2>&1; then
	notok "build netpin-vg (cc -g -O1, glibc, with the syscall shim)" "$(oneline <"$T/build.log")"
	exit 0
fi
for h in netop stress; do
	if ! cc -O2 -o "$T/$h" "tests/$h.c" -pthread >"$T/build-$h.log" 2>&1; then
		notok "build tests/$h" "$(oneline <"$T/build-$h.log")"
		exit 0
	fi
done
cc -g -O0 -o "$T/canary" tests/helpers/vgcanary.c 2>/dev/null
OP=$T/netop
VG_VERSION=$(valgrind --version 2>/dev/null)

# ---- servers ------------------------------------------------------------------
python3 tests/server.py --out "$T/rec" --ready "$T/ready" \
	tcp:127.0.0.2:9410 tcp:127.0.0.3:9410 udp:127.0.0.2:9411 udp:127.0.0.3:9411 \
	2>"$T/server.err" &
PIDS="$PIDS $!"
python3 tests/dnsserver.py --addr 127.0.0.1 --port 5410 --zone tests/data/zone \
	--log "$T/dns.log" --ready "$T/dns.ready" --mode tc=big.test \
	--mode wrongid=wid.test --mode wrongname=wname.test \
	--mode garbage=garbage.test --mode loop=loop.test \
	--mode badcount=badcount.test --mode longname=longname.test \
	2>"$T/dns.err" &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -e "$T/ready" ] && [ -e "$T/dns.ready" ] && break; sleep 0.05; done
if [ ! -e "$T/ready" ] || [ ! -e "$T/dns.ready" ]; then
	notok "loopback servers start" "$(cat "$T/server.err" "$T/dns.err" | oneline)"
	exit 0
fi
: >"$T/resolv.empty"

# ---- running netpin-vg --------------------------------------------------------
# vg NAME ARGS...: netpin-vg ARGS under memcheck; sets rc, out, err and
# verdict (empty: memcheck is clean; else what it found).  One log per
# process (%p): the supervisor's, and the command's up to its exec.
VGOPTS=(--error-exitcode=99 --suppressions="$PWD/tests/valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite
	--trace-children=no --child-silent-after-fork=no --num-callers=30)
# VGPREFIX: what runs valgrind (tests/refuse docker -- for the addfd mode)
VGPREFIX=()
vg() {
	local name=$1 f
	shift
	mkdir -p "$T/log-$name"
	timeout -k 5 180 "${VGPREFIX[@]}" valgrind "${VGOPTS[@]}" --log-file="$T/log-$name/vg.%p" \
		"$T/netpin-vg" "$@" >"$T/out-$name" 2>"$T/err-$name" </dev/null
	rc=$?
	out=$(cat "$T/out-$name")
	err=$(cat "$T/err-$name")
	verdict=
	[ "$rc" = 124 ] || [ "$rc" = 137 ] && verdict="timed out after 180 s"
	for f in "$T/log-$name"/vg.*; do
		[ -e "$f" ] || continue
		if grep -Eq '== (Invalid (read|write|free)|Mismatched free|Conditional jump|Use of uninitialised|Syscall param|Source and destination overlap|Argument .* of function|Process terminating)|definitely lost in|ERROR SUMMARY: [1-9]' "$f"; then
			verdict="${verdict:+$verdict; }$(report "$f")"
		fi
	done
	[ "$rc" = 99 ] && [ -z "$verdict" ] && verdict="valgrind exit status 99"
	return 0
}
# the first memcheck error of a log, its summary, and where to look
report() {
	local f=$1
	{
		grep -m1 -E 'ERROR SUMMARY' "$f"
		grep -E -m1 -A8 '== (Invalid|Mismatched|Conditional|Use of|Syscall param|Source and|Argument|Process terminating)|definitely lost in' "$f" |
			sed 's/^==[0-9]*== *//' | grep -v '^$'
	} | oneline
}
# check WHAT WANT_RC WANT_OUT(glob) NAME ARGS...
check() {
	local what=$1 want_rc=$2 want_out=$3 name=$4
	shift 4
	vg "$name" "$@"
	# shellcheck disable=SC2053
	if [ -n "$verdict" ]; then
		notok "$what" "$verdict"
	elif [ "$rc" != "$want_rc" ] || [[ $out != $want_out ]]; then
		notok "$what" "rc $rc (want $want_rc), out '$(printf %s "$out" | oneline)' (want '$(printf %s "$want_out" | oneline)'), err $(printf %s "$err" | oneline)"
	else
		ok "$what"
	fi
}

# ---- does valgrind run at all, and see errors? ----------------------------------
timeout 60 valgrind --error-exitcode=99 -q "$T/canary" >/dev/null 2>"$T/canary.err"
if [ $? != 99 ]; then
	skip "memcheck on the supervisor" "valgrind does not report a planted invalid read ($VG_VERSION): $(oneline <"$T/canary.err")"
	exit 0
fi
ok "memcheck reports a planted invalid read ($VG_VERSION)"

# the shim is the difference between netpin running under valgrind or not
timeout 60 valgrind -q --trace-children=no "$T/netpin-vg" -a 127.0.0.2:9410 -- "$OP" tcp 127.0.0.2 9410 t-vg-probe \
	>"$T/probe.out" 2>"$T/probe.err" </dev/null
case "$(cat "$T/probe.out")" in
ok) natively=$(grep -o 'unhandled amd64-linux syscall: [0-9]*' "$T/probe.err" | awk '{print $NF}' | sort -un |
	sed 's/^317$/seccomp/; s/^424$/pidfd_send_signal/; s/^434$/pidfd_open/; s/^438$/pidfd_getfd/; s/^44[456]$/landlock/' |
	sort -u | oneline | sed 's/ /, /g')
	ok "netpin runs under valgrind (made natively by the shim, unknown to valgrind: ${natively:-none})" ;;
*)	skip "memcheck on the supervisor" "netpin-vg does not work under valgrind even with the syscall shim: $(oneline <"$T/probe.err")"
	exit 0 ;;
esac

# ---- the checks ---------------------------------------------------------------
check "allowed TCP connect" 0 ok tcp-allow \
	-a 127.0.0.2:9410 -- "$OP" tcp 127.0.0.2 9410 t-vg-1
check "denied TCP connect (with -v and a JSON log)" 1 EHOSTUNREACH tcp-deny \
	-v -l "$T/json.log" -a 127.0.0.2:9410 -- "$OP" tcp 127.0.0.3 9410 t-vg-2
check "nonblocking TCP connect" 0 ok tcp-nb \
	-a 127.0.0.2:9410 -- "$OP" tcp-nb 127.0.0.2 9410 t-vg-3
check "UDP sendto and sendmsg" 0 "ok*ok*" udp \
	-a udp:127.0.0.2:9411 -- sh -c "'$OP' udp-sendto 127.0.0.2 9411 t-vg-4; '$OP' udp-sendmsg 127.0.0.2 9411 t-vg-5"
check "UDP sendmmsg, second message denied" 1 "ok 1" mmsg \
	-a 127.0.0.2:9411 -- "$OP" udp-sendmmsg 127.0.0.2 9411 t-vg-6 127.0.0.3 9411 t-vg-7
check "SCM_RIGHTS over a unix socket" 0 ok scm \
	-a 127.0.0.2 -- "$OP" scm-rights
check "bad pointer, bad iovec, bad length" 1 $'EFAULT\nEFAULT\nEINVAL' garbage \
	-a 127.0.0.2 -- sh -c "'$OP' connect-badptr; '$OP' sendmsg-badiov 127.0.0.2 9411; '$OP' connect-badlen 127.0.0.2 9410 4096"
check "bind with --bind, and a denied bind" 1 $'ok 9420\nEACCES' bind \
	--bind 9420 -a 127.0.0.2 -- sh -c "'$OP' bind tcp 127.0.0.2 9420; '$OP' bind udp 127.0.0.2 9421"
check "20 threads connect at once" 0 "ok 20" threads \
	-a 127.0.0.2:9410 -- "$OP" threads 20 127.0.0.2 9410
check "command not found (127)" 127 "" notfound \
	-a 127.0.0.2 -- "$T/no-such-command"
check "stress: 2 processes x 8 threads, 3 s" 0 "ok *" stress \
	-q -a 127.0.0.2 -- "$T/stress" 2 8 3 127.0.0.2 127.0.0.3 9410 9411
check "DNS dry run: A/AAAA, CNAME, TC then TCP, wrong ID, wrong name" 0 "*93.184.216.34/32*93.184.216.35/32*93.184.216.37/32*" dns \
	-n --skip-unresolved --resolv "$T/resolv.empty" --dns 127.0.0.1:5410 \
	-a pub.test:443 -a alias.test -a big.test -a wid.test -a wname.test -a nx.test
check "DNS dry run: hostile replies (garbage, loop, bad count, long name)" 0 "*" dns-hostile \
	-n --skip-unresolved --resolv "$T/resolv.empty" --dns 127.0.0.1:5410 \
	-a garbage.test -a loop.test -a badcount.test -a longname.test
check "a name rule resolved by DNS, then a connect" 0 ok dns-run \
	--resolv "$T/resolv.empty" --dns 127.0.0.1:5410 --allow-private-dns \
	-a lo.test:9410 -- "$OP" tcp 127.0.0.2 9410 t-vg-8

# ---- the addfd mode: pidfd_getfd refused as by Docker's default profile ---------
if [ -x tests/refuse ]; then
	VGPREFIX=(tests/refuse docker --)
	check "addfd mode: -v says so, allowed TCP connect" 0 ok addfd-tcp \
		-v -a 127.0.0.2:9410 -- "$OP" tcp 127.0.0.2 9410 t-vg-9
	if ! grep -q 'mediation: addfd' "$T/err-addfd-tcp"; then
		notok "addfd mode: netpin-vg runs in the addfd mode" "$(oneline <"$T/err-addfd-tcp")"
	fi
	check "addfd mode: denied TCP connect, UDP sendto" 0 $'EHOSTUNREACH\nok' addfd-deny \
		-a udp:127.0.0.2:9411 -- sh -c "'$OP' tcp 127.0.0.3 9410; '$OP' udp-sendto 127.0.0.2 9411 t-vg-10"
	check "addfd mode: a pipe over SCM_RIGHTS is refused" 1 EACCES addfd-scm \
		-a 127.0.0.2 -- "$OP" scm-rights
	check "addfd mode: bind with --bind, and a denied bind" 1 $'ok 9422\nEACCES' addfd-bind \
		--bind 9422 -a 127.0.0.2 -- sh -c "'$OP' bind tcp 127.0.0.2 9422; '$OP' bind udp 127.0.0.2 9423"
	check "addfd mode: stress, 2 processes x 8 threads, 3 s" 0 "ok *" addfd-stress \
		-q -a 127.0.0.2 -- "$T/stress" 2 8 3 127.0.0.2 127.0.0.3 9410 9411
	VGPREFIX=()
else
	skip "addfd mode under memcheck" "tests/refuse is not built (make helpers)"
fi
exit 0
