# shellcheck shell=bash
# tests/libtest.sh — what the areas of the tests share (as bubblewrap's
# tests/libtest-core.sh).  Sourced by test.sh, and by every area,
# tests/areas/NN-NAME.sh, as its first line:
#
#	. "$(dirname "$0")/../libtest.sh"
#
# An area is run by test.sh, in one mode ($MODE: pidfd_getfd or addfd; $NP
# is the netpin to run), as a process of its own, and prints one unnumbered
# line per test, which test.sh numbers and counts:
#	ok - WHAT
#	not ok - WHAT — WHY		(further lines of WHY start with '#')
#	ok - WHAT # SKIP WHY
# Its other lines are notes and start with '#'.  An area started by hand
# (tests/areas/20-tcp.sh) is run through test.sh: ./test.sh tcp.
#
# An area depends on no other: it starts the servers it needs (recorder_start,
# dns_start), keeps its files in a directory of its own ($T), and a test reads
# only what it ran itself: run sets out, err and rc (and writes $T/out and
# $T/err), and pass, fail and skip unset and empty them (set -u then stops
# an area whose test reads the one before's output: test.sh says so).
# Whatever an area started is stopped when it ends, even when it is killed:
# every process it starts carries NETPIN_TEST_AREA_DIR=$T in its environment
# (timeout and setsid put processes in groups and sessions of their own;
# the environment goes with them); test.sh then removes its directory, or
# keeps it when a test of the area failed.

# ---- test lines ---------------------------------------------------------------
pass() {
	echo "ok - $1"
	forget
}
fail() {
	local why=${2:-}
	echo "not ok - $1${why:+ — ${why%%$'\n'*}}"
	[[ $why != *$'\n'* ]] || printf '%s\n' "${why#*$'\n'}" | sed 's/^/#   /'
	forget
}
skip() {
	echo "ok - $1 # SKIP $2"
	forget
}
# forget: what the test just judged is not the next one's to read
forget() {
	unset out err rc
	: >"$T/out"
	: >"$T/err"
}
# feed: the test lines a helper program prints ("ok - X", "not ok - X",
# "ok - X # SKIP why"), taken as they are; its other lines are dropped
feed() {
	local line
	while IFS= read -r line; do
		case $line in "ok - "* | "not ok - "*) echo "$line" ;; esac
	done
}

# ---- running netpin -----------------------------------------------------------
# run ARGS...: netpin ARGS; out (stdout), err (stderr), rc
run() {
	"$NP" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# The waits for an event (a line in a record, a file) give up after 20 s:
# they end as soon as it happens, and a loaded machine has taken seconds to
# run a server's logging; only a test that fails waits that long.
WAITS=400 # (0.05 s each)

# mark: remember where the record is; got TOKEN: a new line with TOKEN
# arrives (within 20 s); silent PATTERN: no new line matches PATTERN.
MARK=0
mark() { MARK=$(wc -l <"$REC"); }
new_lines() { tail -n +"$((MARK + 1))" "$REC"; }
got() {
	for _ in $(seq $WAITS); do
		new_lines | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
silent() { sleep 0.2; ! new_lines | grep -qF -- "$1"; }

# expect_allowed WHAT TOKEN ARGS... -- netop op ...: the op prints ok and
# TOKEN reaches its server
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

# the errno of a denied connect or send (netpin's --deny-errno default)
DENY=EHOSTUNREACH

# expect_denied WHAT SERVER ARGS...: the op prints $DENY, SERVER gets nothing
expect_denied() {
	local what=$1 server=$2
	shift 2
	mark
	run "$@"
	if [ "$out" != "$DENY" ]; then
		fail "$what" "netop said '$out', rc $rc, stderr: $err"
	elif ! silent "$server"; then
		fail "$what" "the denied server received: $(new_lines | grep -F -- "$server")"
	else
		pass "$what"
	fi
}

# wait_until TEST...: TEST succeeds within 20 s
wait_until() {
	for _ in $(seq $WAITS); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
# wait_line FILE TEXT: TEXT appears in FILE within 20 s
wait_line() {
	for _ in $(seq $WAITS); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# ---- servers ----------------------------------------------------------------------
# background PID...: processes the area started that live until it ends
PIDS=()
background() { PIDS+=("$@"); }

# ---- names in the connection: the checked areas' servers ---------------------------
# names_cert: $T/cert.pem and $T/key.pem, a certificate for good.example,
# other.example and evil.example (the front end's names); 1 without openssl
names_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" \
		-days 2 -subj /CN=good.example \
		-addext 'subjectAltName=DNS:good.example,DNS:other.example,DNS:evil.example' \
		>/dev/null 2>&1
}
# namesrv ADDR:PORT:KIND...: tests/helpers/namesrv.py in the background (tls
# with names_cert's certificate), logging what reached it to $SLOG; 1 when
# it does not listen (why: $NAMESRV_ERR).  smark; snew: the lines it logged
# since smark (after SNEW_WAIT seconds); swait REGEX: such a line matches
# REGEX, whole, within 20 s; nothing_reached PORT: the server on
# 127.0.0.2:PORT saw a connection end with no byte, and no request
namesrv() {
	SLOG=$T/srv.log
	: >"$SLOG"
	NAMESRV_CERT=$T/cert.pem NAMESRV_KEY=$T/key.pem python3 "$HELPERS/namesrv.py" \
		"$T/srv.ready" "$SLOG" "$@" </dev/null >/dev/null 2>"$T/srv.err" &
	background $!
	wait_until [ -e "$T/srv.ready" ] && return 0
	# shellcheck disable=SC2034 # (the area says it)
	NAMESRV_ERR=$(tail -1 "$T/srv.err")
	return 1
}
smark() { SMARK=$(wc -l <"$SLOG"); }
snew() {
	sleep "${SNEW_WAIT:-0}"
	tail -n +"$((SMARK + 1))" "$SLOG"
}
swait() {
	for _ in $(seq $WAITS); do
		SNEW_WAIT=0 snew | grep -Eqx -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
nothing_reached() { swait "bytes 127.0.0.2:$1 0" && ! snew | grep -Eq "^(tls|http) 127.0.0.2:$1 "; }

# recorder_start: the recording servers (tests/server.py); REC is their record
recorder_start() {
	REC=$T/rec
	: >"$REC"
	python3 tests/server.py --out "$REC" --ready "$T/ready" \
		tcp:127.0.0.1:9000 tcp:127.0.0.2:9000 tcp:127.0.0.3:9000 \
		tcp:127.0.0.2:9002 tcp:127.0.0.2:9003 \
		udp:127.0.0.2:9001 udp:127.0.0.3:9001 \
		'tcp6:[::1]:9000' 'udp6:[::1]:9001' \
		http:127.0.0.2:8080 http:127.0.0.3:8080 \
		hang:127.0.0.4:9000 </dev/null >/dev/null 2>"$T/server.err" &
	background $!
	if ! wait_until [ -e "$T/ready" ]; then
		fail "recording servers start" "$(cat "$T/server.err")"
		exit 1
	fi
}

# dns_start ADDR PORT NAME MODE...: a test DNS server (tests/dnsserver.py)
# for the zone tests/data/zone; it logs each query to $T/dns-NAME.log
dns_start() {
	local addr=$1 port=$2 name=$3 m modes=()
	shift 3
	for m in "$@"; do modes+=(--mode "$m"); done
	python3 tests/dnsserver.py --addr "$addr" --port "$port" --zone "$DATA/zone" \
		--log "$T/dns-$name.log" --ready "$T/dns-$name.ready" "${modes[@]}" \
		</dev/null >/dev/null 2>>"$T/dns.err" &
	background $!
	wait_until [ -e "$T/dns-$name.ready" ]
}
# dns_hostile_start: the test DNS server on 127.0.0.1:5353 (log dns-main.log)
# that answers the zone's hostile names in their modes (see dnsserver.py)
dns_hostile_start() {
	dns_start 127.0.0.1 5353 main tc=big.test wrongid=wid.test wrongname=wname.test \
		wrongsource=wsrc.test garbage=garbage.test loop=loop.test badcount=badcount.test \
		longname=longname.test silent=silent.test servfail=fail.test
}
# dry ARGS...: run netpin -n (resolve, print the pin table, run nothing),
# asking only that server
dry() { run -n --resolv "$T/resolv.empty" --dns 127.0.0.1:5353 "$@"; }

# ---- stopping what a run or an area started ---------------------------------------
# marked NAME=VALUE: the processes (this shell and its subshells left out)
# whose environment holds NAME=VALUE
marked() {
	local d kv
	for d in /proc/[1-9]*; do
		case ${d#/proc/} in "$$" | "$BASHPID") continue ;; esac
		while IFS= read -r -d '' kv; do
			[ "$kv" = "$1" ] && echo "${d#/proc/}" && break
		done 2>/dev/null <"$d/environ"
	done
}
# stop_marked NAME=VALUE: SIGTERM to those processes, SIGKILL to those left
# after 3 s.  (An array, not word splitting: a trap can run this while a
# "while IFS= read" has IFS empty.)
stop_marked() {
	local pids
	mapfile -t pids < <(marked "$1")
	[ ${#pids[@]} -gt 0 ] || return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	for _ in $(seq 30); do
		sleep 0.1
		mapfile -t pids < <(marked "$1")
		[ ${#pids[@]} -gt 0 ] || return 0
	done
	kill -KILL "${pids[@]}" 2>/dev/null
}
# stop_pids PID...: SIGTERM, SIGKILL after 2 s, and reap them (children)
stop_pids() {
	local p left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	for _ in $(seq 20); do
		left=
		for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
		[ -n "$left" ] || break
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null
	wait "$@" 2>/dev/null
}

area_end() {
	trap '' INT TERM HUP
	stop_pids "${PIDS[@]}"
	stop_marked "NETPIN_TEST_AREA_DIR=$T"
}

# only_mode MODE: the area runs in MODE only (its tests do not depend on the
# mode, or check both modes themselves)
only_mode() {
	[ "$MODE" = "$1" ] && return 0
	echo "# $AREA: runs in the $1 mode only"
	exit 0
}

# ---- an area's start ----------------------------------------------------------------
# (test.sh sources this file for stop_marked only: libtest_driver=1)
if [ -z "${libtest_driver:-}" ]; then
	set -u
	AREA=${0##*/} AREA=${AREA%.sh} AREA=${AREA#[0-9]*-}
	ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	# started by hand: test.sh runs it
	[ -n "${NETPIN_TEST_AREA_DIR:-}" ] || exec "$ROOT/test.sh" "$AREA"
	cd "$ROOT" || exit 1
	MODE=$NETPIN_TEST_MODE
	T=$NETPIN_TEST_AREA_DIR
	# (755: some tests run as nobody, from files of theirs in $T)
	mkdir -m 755 "$T" || exit 1
	trap area_end EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	NP=$ROOT/netpin
	[ "$MODE" = addfd ] && NP=$ROOT/tests/np-addfd
	# shellcheck disable=SC2034 # (the areas use it)
	OP=$ROOT/tests/netop
	DATA=$ROOT/tests/data
	# shellcheck disable=SC2034
	HELPERS=$ROOT/tests/helpers
	REC=/dev/null
	# a resolver configuration with no server: nothing is asked
	: >"$T/resolv.empty"
fi
