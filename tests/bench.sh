#!/usr/bin/env bash
# tests/bench.sh — what netpin costs (`make bench`), measured in one run
# against the same work without netpin (bare) and against its floor: the
# least that the kernel's mechanism itself costs that work.
#
# The floors (tests/bench/floor, built by make):
#   CONTINUE      a notifier that answers every call netpin is sent with
#                 SECCOMP_USER_NOTIF_FLAG_CONTINUE at once: one round trip
#   SYNC_WAKE_UP  the same with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP on the
#                 listener (Linux >= 6.6; "unavailable" before)
#   filter        a filter of netpin's shape that allows everything: what any
#                 filter costs the calls netpin does not mediate
#   perform       (TCP connect only, for information) the SYNC_WAKE_UP notifier
#                 performing each connect as netpin must: pidfd_getfd,
#                 process_vm_readv, ID_VALID, the socket's domain, type and
#                 protocol, connect on the duplicate, close, answer: what is
#                 left over it is netpin's own (decision, threads, timers)
# and for the addfd mode (netpin under tests/refuse docker: pidfd_getfd
# refused, as by Docker's default profile) netpin's pidfd_getfd mode, since
# the addfd mode's connect is two round trips (socket, connect) against one.
#
# TCP connect is measured twice: unpinned, as users run it, against the
# SYNC_WAKE_UP floor; and with every process of it (the server too) on one
# CPU (taskset -c $BENCH_CPU, default 0), against the CONTINUE floor:
# wake-ups across CPUs are the expensive part on these VMs.  Every other
# figure runs on that CPU too.  Without taskset (or where it is refused) the
# pinned connect figures are left out, and said so, and the rest runs
# unpinned.  When allowed, the measured processes run at nice -20 so that
# unrelated load disturbs them less (the loopback servers at nice 0).
#
# Each measurement runs every variant (bare, a floor, netpin, ...) once
# untimed, then $BENCH_REPEAT times (default 7) in turn, the order rotated
# every round, and compares the medians.  The timed loops are in
# tests/bench/bench.c (built here with cc -O2 into a temporary directory):
# they time only their loop, with CLOCK_MONOTONIC, so process start is not
# counted (except in "startup").
#
# Output: one line per figure: its name; the time per operation bare, under
# its floor and under netpin; netpin's ratio to bare and to the floor; the
# target and whether it holds (ok or MISSED; info: no target; n/a: the floor
# is unavailable; skipped); a note that ends with "noise +-B%/+-F%/+-N%",
# half the interquartile range of the bare, floor and netpin repetitions in
# % of their median (a ratio closer to its target than that is not resolved
# by this run).  A floor's own line has its time in the floor column and
# its ratio to bare.  Then one summary line.  Lines starting with '#' are
# notes.  The exit status is 0 even when targets are missed (this is a
# report); it is 1 only when the harness itself fails.
#
# As root the benchmark re-runs itself inside a network namespace of its own
# (unshare -n, lo up: tests/netns.sh), as test.sh does; every server and
# destination is on loopback (127.0.0.1).
#
# In Docker (where its daemon answers): a TCP connect and startup in a
# container of Docker's default profile, where netpin runs in the addfd
# mode, against the same program in the same container without netpin: an
# image FROM scratch with netpin and bench.c built static (make
# tests/static/bench), a container whose one process is the server, and
# `docker exec` for each run (its own cost is outside the timed loops).
#
# Environment: BENCH_REPEAT (7), BENCH_CPU (0), BENCH_NICE (-20; empty = do
# not change the priority), BENCH_RAW (non-empty: print every repetition),
# BENCH_PROFILE (non-empty: netpin's system calls per mediated connect, in
# each mode, with strace, as root), NETPIN (a netpin binary to measure
# instead of building ./netpin), CC (cc).
set -u
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
# shellcheck source=tests/netns.sh
. "$(dirname "$SELF")/netns.sh" "$@"
cd "$(dirname "$SELF")/.." || exit 1
ROOT=$PWD

# once: at nice -20 when allowed (NETPIN_BENCH_NICE says how it went)
if [ -z "${NETPIN_BENCH_NICE+set}" ]; then
	NETPIN_BENCH_NICE="nice $(nice)"
	export NETPIN_BENCH_NICE
	NICE=${BENCH_NICE--20}
	if [ -n "$NICE" ] && nice -n "$NICE" true 2>/dev/null &&
		[ "$(nice -n "$NICE" nice 2>/dev/null)" -lt "$(nice)" ]; then
		NETPIN_BENCH_NICE="nice $(nice -n "$NICE" nice 2>/dev/null)"
		exec nice -n "$NICE" "$SELF" "$@"
	fi
fi

REPEAT=${BENCH_REPEAT:-7}
case $REPEAT in
'' | *[!0-9]* | 0) echo "bench: BENCH_REPEAT must be a positive number" >&2; exit 1 ;;
esac
CPU=${BENCH_CPU:-0}
case $CPU in
'' | *[!0-9]*) echo "bench: BENCH_CPU must be a CPU number" >&2; exit 1 ;;
esac

T=$(mktemp -d /tmp/netpin-bench.XXXXXX) || exit 1
SERVER_PIDS=
# Docker's container and image (section 7), named after this run
DOCKER_C=netpin-bench-$$ DOCKER_IMAGE=netpin-bench:$$ DOCKER_MADE=
# shellcheck disable=SC2317
cleanup() {
	# shellcheck disable=SC2086
	[ -n "$SERVER_PIDS" ] && kill $SERVER_PIDS 2>/dev/null
	wait 2>/dev/null
	if [ -n "$DOCKER_MADE" ]; then
		docker rm -f "$DOCKER_C" >/dev/null 2>&1
		docker rmi -f "$DOCKER_IMAGE" >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

harness_fail() {
	echo "bench: harness failure: $*" >&2
	exit 1
}

# ---- one CPU ----------------------------------------------------------------------
# PIN: the prefix that puts a process on CPU $CPU (empty: cannot; NOPIN why)
PIN=() NOPIN=
if ! command -v taskset >/dev/null; then
	NOPIN="taskset is missing (util-linux)"
elif ! taskset -c "$CPU" true 2>/dev/null; then
	NOPIN="taskset -c $CPU failed (BENCH_CPU?)"
else
	PIN=(taskset -c "$CPU")
fi
WHERE="cpu $CPU"
[ -n "$NOPIN" ] && WHERE=unpinned

# ---- build --------------------------------------------------------------------
if [ -n "${NETPIN:-}" ]; then
	NP=$NETPIN
else
	make -s netpin >"$T/build.log" 2>&1 ||
		harness_fail "make netpin: $(tail -5 "$T/build.log" | tr '\n' ' ')"
	NP=$ROOT/netpin
fi
[ -x "$NP" ] || harness_fail "$NP is not an executable"
make -s tests/bench/floor tests/refuse >"$T/build.log" 2>&1 ||
	harness_fail "make tests/bench/floor tests/refuse: $(tail -5 "$T/build.log" | tr '\n' ' ')"
FLOOR=$ROOT/tests/bench/floor
REFUSE=$ROOT/tests/refuse
B=$T/bench
${CC:-cc} -O2 -Wall -Wextra -o "$B" tests/bench/bench.c >"$T/build.log" 2>&1 ||
	harness_fail "cc tests/bench/bench.c: $(tail -5 "$T/build.log" | tr '\n' ' ')"
TRUE=$(command -v true)
[ -x /bin/true ] && TRUE=/bin/true

# no single run may hang the harness
TIMEOUT=
command -v timeout >/dev/null && TIMEOUT="timeout 300"

# the SYNC_WAKE_UP floor, where the kernel has the flag (floor exits 3)
"$FLOOR" sync -- "$TRUE" 2>"$T/err"
case $? in
0) SYNC=sync ;;
3) SYNC= ;;
*) harness_fail "$FLOOR sync -- true: $(cat "$T/err")" ;;
esac

# ---- servers (C) ------------------------------------------------------------------
# The servers run at nice 0, below the measured processes (nice -20 when
# allowed): they then rarely preempt a timed loop, and catch up at the sync
# with which every timed loop ends (so their work is counted, bare and under
# netpin alike), rather than preempting it on every connection.  Each is on
# CPU $CPU (PIN) but the one for the unpinned connects.
SERVER_NICE=()
[ "$(nice)" -lt 0 ] && SERVER_NICE=(nice -n $((-$(nice))))
# start_server VAR pinned|unpinned MODE ADDR [ARG]: bench MODE ADDR PORTFILE [ARG]
start_server() {
	local var=$1 pf=$T/$1.port cpu=()
	[ "$2" = pinned ] && cpu=("${PIN[@]}")
	shift 2
	"${cpu[@]}" "${SERVER_NICE[@]}" "$B" "$1" "$2" "$pf" "${@:3}" \
		</dev/null >/dev/null 2>>"$T/servers.log" &
	SERVER_PIDS="$SERVER_PIDS $!"
	printf -v "${var}_PID" %s $!
	for _ in $(seq 100); do
		[ -s "$pf" ] && { printf -v "$var" %s "$(cat "$pf")"; return 0; }
		sleep 0.05
	done
	harness_fail "server $* did not start: $(cat "$T/servers.log")"
}
start_server ACCEPT_PORT unpinned tcp-server 127.0.0.1 accept
[ ${#PIN[@]} -gt 0 ] && start_server PINNED_ACCEPT_PORT pinned tcp-server 127.0.0.1 accept
start_server SINK_PORT pinned tcp-server 127.0.0.1 sink
start_server UDP_PORT pinned udp-sink 127.0.0.1
start_server HTTP_PORT unpinned http-server 127.0.0.1
start_server MANY_PORT unpinned http-many-server 127.0.0.1
# two hops and nothing else: a plain relay in front of the HTTP server
start_server RELAY_PORT unpinned relay-server 127.0.0.1 "$HTTP_PORT"
echo "127.0.0.1 bench.test" >"$T/bench.hosts"

# ---- a small C project --------------------------------------------------------
mkdir -p "$T/proj"
for i in 1 2 3 4 5 6 7 8; do
	{
		echo '#include <stdio.h>'
		echo '#include <string.h>'
		for j in $(seq 30); do
			echo "int f${i}_$j(int x) { char b[32]; snprintf(b, sizeof(b), \"%d\", x * $j); return (int)strlen(b) + x % $((j + 1)); }"
		done
		echo "int mod$i(int x) { int s = 0;"
		for j in $(seq 30); do echo "	s += f${i}_$j(x + s);"; done
		echo '	return s; }'
	} >"$T/proj/mod$i.c"
done
{
	echo '#include <stdio.h>'
	for i in 1 2 3 4 5 6 7 8; do echo "int mod$i(int);"; done
	echo 'int main(void) { int s = 0;'
	for i in 1 2 3 4 5 6 7 8; do echo "	s += mod$i(s);"; done
	# shellcheck disable=SC2028
	echo '	printf("%d\n", s); return 0; }'
} >"$T/proj/main.c"
cat >"$T/proj/build.sh" <<EOF
cd "$T/proj" || exit 1
rm -f ./*.o prog
for f in ./*.c; do ${CC:-cc} -O0 -c "\$f" || exit 1; done
${CC:-cc} -o prog ./*.o && ./prog >/dev/null
EOF

# ---- measuring ------------------------------------------------------------------
# one run of the helper; its output must be one number (nanoseconds)
once() { # label cmd...
	local label=$1 out
	shift
	out=$($TIMEOUT "$@" 2>"$T/err") ||
		harness_fail "$label: $* failed: $(head -5 "$T/err" | tr '\n' ' ')"
	case $out in
	'' | *[!0-9]*) harness_fail "$label: $*: unexpected output '$out' $(head -3 "$T/err")" ;;
	esac
	echo "$out"
}

median() { # numbers...
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# half the interquartile range, in % of the median: how far apart the
# repetitions of one measurement were
noise() { # numbers...
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
		END { q = int((NR + 3) / 4); m = v[int((NR + 1) / 2)]
		      printf "%.0f\n", (m > 0 ? (v[NR + 1 - q] - v[q]) / 2 / m * 100 : 0) }'
}

# variant_cmd VARIANT HELPER-ARGS...: sets CMD to the helper run as VARIANT:
#   bare; netpin (pidfd_getfd mode); addfd (netpin with pidfd_getfd refused);
#   continue, sync, filter (the floors).
# The variant wraps the helper, except for "spawn", whose every spawned
# command it wraps (startup: the whole process under each variant).
variant_cmd() {
	local pre=() outer=() b=$B
	case $1 in
	bare) ;;
	# in the container of section 7 (its helper is /bin/bench)
	docker-bare) outer=(docker exec "$DOCKER_C") b=/bin/bench ;;
	docker-netpin) outer=(docker exec "$DOCKER_C") b=/bin/bench
		pre=(/usr/local/bin/netpin -a 127.0.0.1 --) ;;
	netpin) pre=("$NP" -a 127.0.0.1 --) ;;
	addfd) pre=("$REFUSE" docker -- "$NP" -a 127.0.0.1 --) ;;
	# names in the connection: a name rule that checks HTTP's Host there
	checked) pre=("$NP" --resolv /dev/null --hosts "$T/bench.hosts" -a http:bench.test --) ;;
	# the same through the plain relay (two hops, no check): bare, netpin
	hops) ;;
	netpin-hops) pre=("$NP" -a 127.0.0.1 --) ;;
	continue | sync | perform | filter) pre=("$FLOOR" "$1" --) ;;
	*) harness_fail "no variant '$1'" ;;
	esac
	case $1 in
	hops | netpin-hops) # to the relay's port in place of the server's
		local args=()
		for a in "${@:2}"; do
			[ "$a" = "$HTTP_PORT" ] && a=$RELAY_PORT
			args+=("$a")
		done
		set -- "$1" "${args[@]}" ;;
	esac
	shift
	if [ "$1" = spawn ]; then
		CMD=("${outer[@]}" "$b" spawn "$2" "${pre[@]}" "${@:3}")
	else
		CMD=("${outer[@]}" "${pre[@]}" "$b" "$@")
	fi
}

# measure LABEL pinned|unpinned "VARIANT..." HELPER-ARGS...: the helper under
# each variant, once untimed, then REPEAT rounds, the order rotated every
# round; sets MED[VARIANT] to the median (ns) and SPREAD[VARIANT] to the
# noise (%).  pinned: every process on CPU $CPU (unpinned without taskset).
declare -A MED SPREAD
measure() {
	local label=$1 where=$2 v r i n cpu=() vs
	local -A runs=()
	read -ra vs <<<"$3"
	shift 3
	[ "$where" = pinned ] && cpu=("${PIN[@]}")
	n=${#vs[@]}
	for v in "${vs[@]}"; do
		variant_cmd "$v" "$@"
		once "$label ($v)" "${cpu[@]}" "${CMD[@]}" >/dev/null || exit 1
	done
	for r in $(seq "$REPEAT"); do
		for i in $(seq 0 $((n - 1))); do
			v=${vs[$(((i + r) % n))]}
			variant_cmd "$v" "$@"
			runs[$v]="${runs[$v]:-} $(once "$label ($v)" "${cpu[@]}" "${CMD[@]}")" || exit 1
		done
	done
	MED=() SPREAD=()
	for v in "${vs[@]}"; do
		# shellcheck disable=SC2086 # (a list of numbers)
		MED[$v]=$(median ${runs[$v]}) SPREAD[$v]=$(noise ${runs[$v]})
		echo "$label, $where, $v:${runs[$v]}" >>"$T/raw"
	done
}

fmt_ns() { # ns -> a readable time
	awk -v n="$1" 'BEGIN {
		if (n >= 1e9) printf "%.3f s", n / 1e9
		else if (n >= 1e6) printf "%.2f ms", n / 1e6
		else if (n >= 1e3) printf "%.2f us", n / 1e3
		else printf "%d ns", n }'
}
fmt_diff() { # ns -> a signed readable time
	if [ "$1" -lt 0 ]; then echo "-$(fmt_ns $((-$1)))"; else echo "+$(fmt_ns "$1")"; fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3fx", a / b }'; }
holds() { awk -v r="${1%x}" -v t="$2" 'BEGIN { print (r <= t ? "ok" : "MISSED") }'; }

figures=0 ok=0 missed=0
# row FIGURE BARE FLOOR NETPIN XBARE XFLOOR TARGET VERDICT [NOTE]
row() {
	local l
	printf -v l '%-36s %10s %10s %10s %9s %9s  %-14s %-7s %s' "$1" "$2" "$3" "$4" "$5" "$6" \
		"$7" "$8" "${9:-}"
	echo "${l%"${l##*[! ]}"}"
	case $8 in
	ok) figures=$((figures + 1)) ok=$((ok + 1)) ;;
	MISSED) figures=$((figures + 1)) missed=$((missed + 1)) ;;
	esac
}

# figure NAME COUNT FLOOR NETPIN TARGET [NOTE]: variant NETPIN of the last
# measure against bare and against variant FLOOR ("" when the floor is
# unavailable), per operation (COUNT per run).  TARGET: "R floor" or
# "R bare" (the ratio that must hold), or - (no target).
figure() {
	local name=$1 count=$2 fl=$3 np=$4 target=$5 note=${6:+$6; } xb xf=- ft=- verdict=info tt=-
	local fs=-
	xb=$(ratio "${MED[$np]}" "${MED[bare]}")
	if [ -n "$fl" ]; then
		ft=$(fmt_ns $((MED[$fl] / count)))
		xf=$(ratio "${MED[$np]}" "${MED[$fl]}")
		fs=${SPREAD[$fl]}
	fi
	case $target in
	*" floor")
		tt="<= ${target% floor}x floor"
		verdict=n/a
		[ -n "$fl" ] && verdict=$(holds "$xf" "${target% floor}") ;;
	*" bare")
		tt="<= ${target% bare}x bare"
		verdict=$(holds "$xb" "${target% bare}") ;;
	esac
	row "$name" "$(fmt_ns $((MED[bare] / count)))" "$ft" "$(fmt_ns $((MED[$np] / count)))" \
		"$xb" "$xf" "$tt" "$verdict" \
		"${note}noise +-${SPREAD[bare]}%/+-$fs%/+-${SPREAD[$np]}%"
}

# floor_line NAME COUNT FLOOR [NOTE]: a floor's own line (against bare)
floor_line() {
	local note=${4:+$4; }
	if [ -z "$3" ]; then
		row "$1" - unavailable - - - - n/a "SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: Linux >= 6.6"
		return
	fi
	row "$1" "$(fmt_ns $((MED[bare] / $2)))" "$(fmt_ns $((MED[$3] / $2)))" - \
		"$(ratio "${MED[$3]}" "${MED[bare]}")" - - info \
		"${note}noise +-${SPREAD[bare]}%/+-${SPREAD[$3]}%"
}

echo "# netpin $("$NP" --version 2>/dev/null | head -1); $(uname -sr); $NETPIN_BENCH_NICE;" \
	"netns: $NETPIN_NETNS; repeat $REPEAT (median)"
if [ -n "$NOPIN" ]; then
	echo "# every figure unpinned: $NOPIN"
else
	echo "# connect: unpinned and on cpu $CPU; every other figure: on cpu $CPU"
fi
echo "# floors (tests/bench/floor): a CONTINUE notifier, the same with SYNC_WAKE_UP$([ -z "$SYNC" ] &&
	echo " (unavailable: Linux < 6.6)"), a filter alone; the addfd mode's floor is the pidfd_getfd mode"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other load on the CPUs makes every figure noisier)"
printf '%-36s %10s %10s %10s %9s %9s  %-14s %s\n' figure bare floor netpin "x bare" "x floor" target verdict

# 0. one notification round trip that does the least work: connect() on
# /dev/null, which netpin answers ENOTSOCK after taking the fd and reading
# the address, and the floor lets the kernel fail (on one CPU the CONTINUE
# floor; unpinned, SYNC_WAKE_UP's where the kernel has it, as for connect)
N=20000
RTF="continue"
[ ${#PIN[@]} -eq 0 ] && RTF=${SYNC:-continue}
measure "round trip" pinned "bare $RTF netpin" floor $N
row "notification round trip" "$(fmt_ns $((MED[bare] / N)))" "$(fmt_ns $((MED[$RTF] / N)))" \
	"$(fmt_ns $((MED[netpin] / N)))" "$(fmt_diff $(((MED[netpin] - MED[bare]) / N)))" \
	"$(fmt_diff $(((MED[netpin] - MED[$RTF]) / N)))" - info \
	"per call: connect() on /dev/null -> ENOTSOCK; x columns: netpin's time added; floor: $RTF"
RT_NS=$(((MED[netpin] - MED[bare]) / N)) RT_FLOOR_NS=$(((MED[$RTF] - MED[bare]) / N))
# a reference for that round trip: two processes passing a byte back and
# forth over pipes (two context switches and four system calls)
pp=()
for _ in $(seq "$REPEAT"); do
	pp+=("$(once pingpong "${PIN[@]}" "$B" pingpong $N)") || exit 1
done
PP_NS=$(($(median "${pp[@]}") / N))
row "  reference: pipe ping-pong" "$(fmt_ns "$PP_NS")" - - - - - info \
	"per round trip between two processes, no netpin"

# 1. blocking TCP connect + close, unpinned (as users run it), then on one
# CPU; every variant on the same server
N=2000
CONNECTS="bare continue ${SYNC:+sync} perform netpin addfd"
measure "tcp connect" unpinned "$CONNECTS" connect 127.0.0.1 "$ACCEPT_PORT" $N
floor_line "floor: CONTINUE notifier, unpinned" $N continue "per connect"
floor_line "floor: SYNC_WAKE_UP, unpinned" $N "$SYNC" "per connect"
figure "tcp connect+close, unpinned" $N "$SYNC" netpin "1.3 floor" "floor: SYNC_WAKE_UP"
figure "  against a performing notifier" $N perform netpin - \
	"floor: a notifier that performs the connect as netpin must"
figure "addfd: tcp connect+close, unpinned" $N netpin addfd "1.5 floor" \
	"floor: the pidfd_getfd mode (one round trip; addfd: two)"
# the same with non-blocking sockets: netpin answers from the thread that
# received the call, with no hand-off to a worker (the difference is what
# the hand-off of a blocking connect costs)
measure "tcp connect-nb" unpinned "bare ${SYNC:-continue} netpin" connect-nb 127.0.0.1 "$ACCEPT_PORT" $N
figure "tcp connect non-blocking, unpinned" $N "${SYNC:-continue}" netpin - \
	"floor: ${SYNC:-continue}; no worker hand-off"
if [ ${#PIN[@]} -gt 0 ]; then
	measure "tcp connect" pinned "$CONNECTS" connect 127.0.0.1 "$PINNED_ACCEPT_PORT" $N
	floor_line "floor: CONTINUE notifier, cpu $CPU" $N continue "per connect"
	floor_line "floor: SYNC_WAKE_UP, cpu $CPU" $N "$SYNC" "per connect"
	figure "tcp connect+close, cpu $CPU" $N continue netpin "1.2 floor" "floor: CONTINUE"
	figure "  against a performing notifier" $N perform netpin - \
		"floor: a notifier that performs the connect as netpin must"
	figure "addfd: tcp connect+close, cpu $CPU" $N netpin addfd "1.5 floor" \
		"floor: the pidfd_getfd mode"
	measure "tcp connect-nb" pinned "bare continue netpin" connect-nb 127.0.0.1 "$PINNED_ACCEPT_PORT" $N
	figure "tcp connect non-blocking, cpu $CPU" $N continue netpin - "floor: CONTINUE; no worker hand-off"
else
	row "tcp connect+close, one CPU" - - - - - "<= 1.2x floor" skipped "$NOPIN"
	row "addfd: tcp connect+close, one CPU" - - - - - "<= 1.5x floor" skipped "$NOPIN"
fi

# 2. work that is not network: it pays the filter only
N=1000000
measure getppid pinned "bare filter netpin" getppid $N
figure "getppid x$N" $N filter netpin "1.03 floor"
measure "read /dev/zero" pinned "bare filter netpin" readzero $N
figure "read /dev/zero x$N" $N filter netpin "1.03 floor"
measure build pinned "bare filter netpin" run sh "$T/proj/build.sh"
figure "build 9 .c files (cc -O0)" 1 filter netpin "1.03 floor"

# 3. UDP and TCP traffic
N=20000
measure "udp sendto" pinned "bare continue netpin addfd" udp-sendto 127.0.0.1 "$UDP_PORT" $N
figure "udp sendto+addr x$N" $N continue netpin "15 bare" "floor: CONTINUE"
figure "addfd: udp sendto+addr x$N" $N netpin addfd - "floor: the pidfd_getfd mode"
# a send() on a connected socket is not mediated: it pays the filter only
measure "udp send" pinned "bare filter netpin" udp-send 127.0.0.1 "$UDP_PORT" $N
figure "udp connected send x$N" $N filter netpin "1.03 floor"
measure "udp recvfrom" pinned "bare continue netpin" udp-recvfrom $N
figure "udp send+recvfrom(addr) x$N" $N continue netpin - \
	"pinned DNS mediates a recvfrom that asks for the sender"
MIB=256
measure "tcp bulk" pinned "bare filter netpin" bulk 127.0.0.1 "$SINK_PORT" $MIB
figure "tcp bulk ${MIB} MiB" 1 filter netpin "1.02 floor" "$(awk -v b="${MED[bare]}" \
	-v u="${MED[netpin]}" -v m=$MIB 'BEGIN { printf "%.0f -> %.0f MiB/s", m / (b / 1e9), m / (u / 1e9) }')"

# names in the connection (a TCP connection that only a name rule allows,
# carried through netpin), unpinned, as the issue's targets are: connect +
# one request + its response, against the same under netpin with an
# address rule (no check; the "floor" column); and a large response,
# against bare, with the CPU time
N=500
measure "http request" unpinned "bare netpin checked hops netpin-hops" http-req 127.0.0.1 "$HTTP_PORT" $N bench.test
figure "checked: connect+GET+close" $N netpin checked "1.3 floor" "floor: netpin unchecked"
# what the two hops alone cost: a plain relay (tests/bench/bench.c
# relay-server: poll, read, write; no check, no netpin) in front of the
# server, bare and under netpin unchecked; checked against the latter
floor_line "  two hops (a plain relay)" $N hops "bare through a plain relay"
figure "  x two hops, under netpin" $N netpin-hops checked - "floor: netpin unchecked through a plain relay"
MIB=512
measure "http get" unpinned "bare checked" http-get 127.0.0.1 "$HTTP_PORT" $MIB bench.test
# CPU time (user+sys) of one more run of each, the server's included (it
# runs apart): the helper alone, and the helper with netpin; their
# difference is what the relay costs the machine
SRV=$HTTP_PORT_PID
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV/stat" 2>/dev/null || echo 0; }
cpu_of() { # VARIANT: "user+sys" seconds of the whole run, the server's too
	local TIMEFORMAT='%3U %3S' out s0 s1
	variant_cmd "$1" http-get 127.0.0.1 "$HTTP_PORT" $MIB bench.test
	s0=$(srv_ticks)
	out=$({ time "${CMD[@]}" >/dev/null 2>&1; } 2>&1)
	s1=$(srv_ticks)
	awk -v t=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", $1 + $2 + t / hz }' <<<"$out"
}
cpu_bare=$(cpu_of bare) cpu_checked=$(cpu_of checked)
figure "checked: a ${MIB} MiB response" 1 "" checked "1.43 bare" "$(awk -v b="${MED[bare]}" \
	-v u="${MED[checked]}" -v m=$MIB 'BEGIN { printf "%.0f -> %.0f MiB/s (target: >= 70%%)", m / (b / 1e9), m / (u / 1e9) }'); CPU (client, server, netpin) ${cpu_bare} s bare, ${cpu_checked} s checked; $(nproc) CPUs"

# once a rule checks names, every getpeername() is mediated (the filter
# cannot tell a tunnelled socket from another): against netpin with no
# such rule (the filter only)
N=20000
measure "getpeername" pinned "bare netpin checked" getpeername $N
figure "checked: getpeername x$N" $N netpin checked - "floor: netpin with no name checked (filter only)"

# many checked connections open at once: each made and used once, then,
# while all are open, netpin's descriptors, memory and threads are read,
# then each is used once more (a stalled one would hang the run)
N=500
many_once() { # VARIANT: the run's ns; for checked, netpin's state in $T/many.seen
	local pid i
	variant_cmd "$1" many 127.0.0.1 "$MANY_PORT" $N bench.test "$T/many.ready"
	rm -f "$T/many.ready"
	$TIMEOUT "${CMD[@]}" >"$T/many.out" 2>"$T/many.err" &
	pid=$!
	for i in $(seq 600); do
		[ -e "$T/many.ready" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$T/many.ready" ] || harness_fail "many ($1): not ready: $(head -3 "$T/many.err")"
	if [ "$1" = checked ]; then
		pid=$(pgrep -P "$pid" -x netpin || echo "$pid") # under timeout
		echo "$(find "/proc/$pid/fd" -mindepth 1 2>/dev/null | wc -l) fds, $(awk '
			$1 == "VmRSS:" { r = $2 } $1 == "Threads:" { t = $2 }
			END { printf "%d KiB RSS, %d threads", r, t }' "/proc/$pid/status")" >"$T/many.seen"
	fi
	rm -f "$T/many.ready"
	wait
	cat "$T/many.out"
}
m_bare=() m_checked=()
for _ in $(seq 3); do
	m_bare+=("$(many_once bare)") m_checked+=("$(many_once checked)")
done
MED[bare]=$(median "${m_bare[@]}") SPREAD[bare]=$(noise "${m_bare[@]}")
MED[checked]=$(median "${m_checked[@]}") SPREAD[checked]=$(noise "${m_checked[@]}")
figure "checked: $N open at once, 2 GETs each" $((2 * N)) "" checked - \
	"netpin with all $N open: $(cat "$T/many.seen")"

# 4. startup: netpin -a 127.0.0.1 -- true against true (whole processes);
# the floor: true under the CONTINUE notifier (a filter, a thread, a fork)
N=20
measure "startup x$N" pinned "bare continue netpin" spawn $N "$TRUE"
diff_ms=$(awk -v b="${MED[bare]}" -v u="${MED[netpin]}" -v n=$N 'BEGIN { printf "%.2f", (u - b) / n / 1e6 }')
row "startup: netpin -- true" "$(fmt_ns $((MED[bare] / N)))" "$(fmt_ns $((MED[continue] / N)))" \
	"$(fmt_ns $((MED[netpin] / N)))" "+$diff_ms ms" \
	"+$(awk -v f="${MED[continue]}" -v u="${MED[netpin]}" -v n=$N 'BEGIN { printf "%.2f", (u - f) / n / 1e6 }') ms" \
	"<= +1 ms bare" "$(awk -v d="$diff_ms" 'BEGIN { print (d <= 1 ? "ok" : "MISSED") }')" \
	"per run, process start included; noise +-${SPREAD[bare]}%/+-${SPREAD[continue]}%/+-${SPREAD[netpin]}%"

# 5. netpin's own peak memory (VmHWM of the netpin process, not of the
# command) after it has mediated connects, datagrams and failing calls
# shellcheck disable=SC2016
"${PIN[@]}" "$NP" -a 127.0.0.1 -- sh -c '"$1" connect 127.0.0.1 "$2" 2000 &&
	"$1" udp-sendto 127.0.0.1 "$3" 20000 && "$1" floor 20000 && exec sleep 1' \
	sh "$B" "$ACCEPT_PORT" "$UDP_PORT" >/dev/null 2>"$T/err" &
NPPID=$!
hwm=
while kill -0 "$NPPID" 2>/dev/null; do
	v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$NPPID/status" 2>/dev/null)
	[ -n "$v" ] && hwm=$v
	sleep 0.05
done
wait "$NPPID" || harness_fail "memory run: netpin exited $?: $(head -3 "$T/err")"
[ -n "$hwm" ] || harness_fail "memory run: could not read VmHWM of netpin"
row "peak memory (netpin VmHWM)" - - "$hwm KiB" - - "<= 2048 KiB" \
	"$([ "$hwm" -le 2048 ] && echo ok || echo MISSED)"
size=$(stat -L -c %s "$NP") || harness_fail "stat $NP"
row "binary size ($(basename "$NP"))" - - "$size B" - - "<= 128 KiB" \
	"$([ "$size" -le 131072 ] && echo ok || echo MISSED)" \
	"$(awk -v s="$size" 'BEGIN { printf "%.1f KiB", s / 1024 }')"

# 6. in Docker: its default profile refuses pidfd_getfd, so netpin runs
# in the addfd mode there; a connect and startup against the same program
# in the same container without netpin (unpinned, as containers run)
# docker_setup: the image and its container (the server), DOCKER_PORT its
# port; why not on stdout
docker_setup() {
	local d=$T/docker port
	command -v docker >/dev/null || { echo "no docker client"; return 1; }
	timeout 20 docker version >/dev/null 2>&1 || { echo "nothing answers on Docker's socket"; return 1; }
	make -s tests/static/bench >"$T/build.log" 2>&1 || { echo "make tests/static/bench: $(tail -1 "$T/build.log")"; return 1; }
	mkdir -p "$d" && cp "$NP" "$d/netpin" && cp tests/static/bench "$d/bench" || return 1
	printf 'FROM scratch\nCOPY netpin /usr/local/bin/netpin\nCOPY bench /bin/bench\n' >"$d/Dockerfile"
	DOCKER_MADE=1
	if ! DOCKER_BUILDKIT=0 docker build -q -t "$DOCKER_IMAGE" "$d" >"$T/docker.log" 2>&1 ||
		! docker run -d --name "$DOCKER_C" --network none --user 0:0 "$DOCKER_IMAGE" \
			/bin/bench tcp-server 127.0.0.1 /port accept >>"$T/docker.log" 2>&1; then
		echo "docker: $(tail -1 "$T/docker.log")"
		return 1
	fi
	for _ in $(seq 100); do
		port=$(docker cp "$DOCKER_C:/port" - 2>/dev/null | tar -xO 2>/dev/null) && [ -n "$port" ] &&
			{ DOCKER_PORT=$port; return 0; }
		sleep 0.1
	done
	echo "the server in the container did not start: $(docker logs "$DOCKER_C" 2>&1 | tail -1)"
	return 1
}
# docker_figure NAME COUNT NOTE: docker-netpin against docker-bare
docker_figure() {
	row "$1" "$(fmt_ns $((MED[docker-bare] / $2)))" - "$(fmt_ns $((MED[docker-netpin] / $2)))" \
		"$(ratio "${MED[docker-netpin]}" "${MED[docker-bare]}")" - - info \
		"$3; noise +-${SPREAD[docker-bare]}%/+-${SPREAD[docker-netpin]}%"
}
if docker_setup >"$T/docker.why"; then
	echo "# in Docker $(docker version --format '{{.Server.Version}}' 2>/dev/null), its default profile:" \
		"$(docker exec "$DOCKER_C" /usr/local/bin/netpin -v -a 127.0.0.1 -- /bin/bench true 2>&1 |
			sed -n 's/^netpin: mediation: //p')"
	N=2000
	measure "docker tcp connect" unpinned "docker-bare docker-netpin" connect 127.0.0.1 "$DOCKER_PORT" $N
	docker_figure "docker: tcp connect+close" $N \
		"bare: the same program in the same container; netpin in the addfd mode"
	N=20
	measure "docker startup" unpinned "docker-bare docker-netpin" spawn $N /bin/bench true
	row "docker: startup: netpin -- true" "$(fmt_ns $((MED[docker-bare] / N)))" - \
		"$(fmt_ns $((MED[docker-netpin] / N)))" \
		"+$(awk -v b="${MED[docker-bare]}" -v u="${MED[docker-netpin]}" -v n=$N 'BEGIN { printf "%.2f", (u - b) / n / 1e6 }') ms" \
		- - info "per run, process start included (true: bench true, static); noise +-${SPREAD[docker-bare]}%/+-${SPREAD[docker-netpin]}%"
else
	row "docker: tcp connect+close" - - - - - - skipped "$(cat "$T/docker.why")"
	row "docker: startup: netpin -- true" - - - - - - skipped "$(cat "$T/docker.why")"
fi

# 7. optional (BENCH_PROFILE=1; strace, and the right to trace netpin:
# root): netpin's own system calls per mediated connect, in each mode.
# strace -c -f attaches to netpin while the command waits on a FIFO, so
# only netpin's calls are counted; strace slows every call, so only the
# counts are shown, not the times.
profile_connect() { # pidfd_getfd|addfd
	local pre=("$NP" -a 127.0.0.1 --) np st n=2000 t
	[ "$1" = addfd ] && pre=("$REFUSE" docker -- "${pre[@]}")
	rm -f "$T/go"
	mkfifo "$T/go" || harness_fail "mkfifo $T/go"
	# shellcheck disable=SC2016 # (expanded by that sh)
	"${PIN[@]}" "${pre[@]}" sh -c 'read -r _ <"$1" && shift && exec "$@"' sh "$T/go" \
		"$B" connect 127.0.0.1 "$PINNED_ACCEPT_PORT" $n >/dev/null 2>"$T/err" &
	np=$!
	# the command forked first: strace -f attached to netpin before that
	# would follow the command too, and count its calls as netpin's
	for _ in $(seq 100); do
		[ -n "$(cat /proc/"$np"/task/*/children 2>/dev/null)" ] && break
		sleep 0.05
	done
	strace -c -f -q -o "$T/strace" -p "$np" 2>"$T/strace.err" &
	st=$!
	# every thread of netpin traced before the connects start
	for _ in $(seq 100); do
		t=$(cat /proc/"$np"/task/*/status 2>/dev/null | awk '$1 == "TracerPid:" && $2 == 0')
		[ -z "$t" ] && break
		sleep 0.05
	done
	[ -z "$t" ] || { kill "$st" "$np" 2>/dev/null; wait; harness_fail "strace did not attach: $(cat "$T/strace.err")"; }
	echo go >"$T/go"
	wait "$np" || harness_fail "profile ($1): netpin exited $?: $(head -3 "$T/err")"
	wait "$st"
	# strace -c: % time, seconds, usecs/call, calls, [errors,] syscall
	awk -v n=$((n + 1)) '
		$1 ~ /^-/ || $1 == "%" || $NF == "total" || NF < 5 { next }
		{ all += $4; if ($4 / n >= 0.05) printf "%.2f %s\n", $4 / n, $NF }
		END { printf "%.1f all\n", all / n }' "$T/strace" | sort -rn |
		awk -v mode="$1" -v n=$((n + 1)) -v where="$WHERE" '
			$2 == "all" { all = $1; next }
			{ l = l (l ? ", " : "") $1 " " $2 }
			END { printf "# profile, %s mode, %s: netpin per mediated connect " \
			      "(strace -c -f, %d connects): %s system calls: %s\n", mode, where, n, all, l }'
}
if [ -n "${BENCH_PROFILE:-}" ]; then
	if ! command -v strace >/dev/null; then
		echo "# profile: strace is missing"
	elif [ "$(id -u)" != 0 ]; then
		echo "# profile: root only (netpin is not dumpable: strace cannot attach to it)"
	else
		[ ${#PIN[@]} -gt 0 ] || PINNED_ACCEPT_PORT=$ACCEPT_PORT
		profile_connect pidfd_getfd
		profile_connect addfd
	fi
fi

echo "# every mediated call pays about $(fmt_ns "$RT_NS") on top of the work itself;" \
	"the $RTF floor's round trip: $(fmt_ns "$RT_FLOOR_NS"); a pipe ping-pong: $(fmt_ns "$PP_NS")"
if [ -n "${BENCH_RAW:-}" ]; then
	sed 's/^/# raw: /' "$T/raw"
fi
echo "bench: $figures figures, $ok ok, $missed MISSED (repeat $REPEAT, median; $NETPIN_BENCH_NICE;" \
	"load $(cut -d' ' -f1-3 /proc/loadavg))"
exit 0
