#!/bin/sh
# Adversarial tests for netpin: tests/escape/run.sh NETPIN_PATH
#
# Builds every attack (tests/escape/*.c) into a temp dir, starts a recording
# server (tests/server.py) on 127.0.0.2 and 127.0.0.3 (TCP 9600, UDP 9601),
# runs each attack under NETPIN_PATH with 127.0.0.2 allowed, and prints one
# line per attack: "ok - escape: WHAT" or "not ok - escape: WHAT (details)".
# An attack fails when the denied server 127.0.0.3 received anything while it
# ran, or when the attacker saw something other than what is expected.
# Assumes a private network namespace with lo up.  Its files are in a
# directory under $TMPDIR (/tmp).  Always exits 0.
NETPIN=$(realpath "$1" 2>/dev/null)
HERE=$(cd "$(dirname "$0")" && pwd)
SERVER=$HERE/../server.py
P=9600
U=9601
CFLAGS="-O2 -Wall -Wextra -Werror -pthread"

T=$(mktemp -d "${TMPDIR:-/tmp}/netpin-escape.XXXXXX")
SPID=
cleanup() {
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		sleep 0.2
		kill -KILL "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 0' INT TERM
chmod 755 "$T"

if [ ! -x "$NETPIN" ]; then
	echo "not ok - escape: netpin binary ($1 is not executable)"
	exit 0
fi

mkdir -m 755 "$T/bin"
for f in "$HERE"/*.c; do
	n=$(basename "$f" .c)
	if ! cc $CFLAGS -I"$HERE" -o "$T/bin/$n" "$f" 2>"$T/cc.err"; then
		echo "not ok - escape: build $n ($(head -c 300 "$T/cc.err" | tr '\n' ' '))"
	fi
done

REC=$T/rec
: >"$REC"
python3 "$SERVER" --out "$REC" --ready "$T/ready" tcp:127.0.0.2:$P tcp:127.0.0.3:$P \
	udp:127.0.0.2:$U udp:127.0.0.3:$U >/dev/null 2>"$T/server.err" &
SPID=$!
i=0
while [ ! -f "$T/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if [ ! -f "$T/ready" ]; then
	echo "not ok - escape: recording server did not start ($(head -c 200 "$T/server.err"))"
	exit 0
fi

ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
# nobody runs netpin from a directory of ours: the one it is in may be
# closed to nobody (a clone in a 0700 directory).  tests/np-addfd execs
# netpin itself, as nobody: it gets NETPIN_BIN.
NOBODY_NETPIN=$NETPIN
if [ $ROOT = 1 ]; then
	mkdir -m 755 "$T/np"
	case $(basename "$NETPIN") in
	np-addfd)
		cp "$NETPIN" "$T/np/np-addfd" &&
			cp "${NETPIN_BIN:-$(dirname "$NETPIN")/../netpin}" "$T/np/netpin" &&
			NOBODY_NETPIN="env NETPIN_BIN=$T/np/netpin $T/np/np-addfd" ;;
	*)
		cp "$NETPIN" "$T/np/netpin" && NOBODY_NETPIN=$T/np/netpin ;;
	esac
fi
RULES="-a 127.0.0.2:$P -a 127.0.0.2:$U"

# run SECONDS PREFIX... -- : runs "$@" (the full command line) with a
# timeout in its own session; output in $OUT, new records in $NEW
run() {
	secs=$1
	shift
	before=$(wc -l <"$REC")
	OUT=$(timeout -k 2 "$secs" setsid -w "$@" 2>"$T/err")
	RC=$?
	sleep 0.3
	NEW=$(tail -n +$((before + 1)) "$REC")
	DENIED=$(printf '%s\n' "$NEW" | grep -c ' 127\.0\.0\.3:')
	ERR=$(grep -v 'control message level' "$T/err" | tail -n 2 | tr '\n' ' ' | head -c 300)
}

# verdict WHAT CHECK... : each CHECK is "key=regex" that must appear as a
# whole token of $OUT, or "!ERE" that must not match $OUT, or "@ERE" that
# must match no new record line; plus nothing may have reached 127.0.0.3.
verdict() {
	what=$1
	shift
	why=
	[ -z "$OUT" ] && why="no output, exit $RC; $ERR"
	for c in "$@"; do
		case $c in
		!*) printf '%s\n' "$OUT" | grep -qE -- "${c#!}" && why="$why; matched '${c#!}'" ;;
		@*) printf '%s\n' "$NEW" | grep -qE -- "${c#@}" && why="$why; server recorded '${c#@}'" ;;
		*) printf '%s\n' "$OUT" | grep -qE -- "(^| )${c}( |$)" || why="$why; expected ${c}" ;;
		esac
	done
	if [ "$DENIED" -gt 0 ]; then
		why="$why; 127.0.0.3 RECEIVED $DENIED: $(printf '%s\n' "$NEW" | grep ' 127\.0\.0\.3:' | sort | uniq -c | head -3 | tr '\n' ' ')"
	fi
	if [ -z "$why" ]; then
		echo "ok - escape: $what"
	else
		echo "not ok - escape: $what (${why#; } | saw: $(printf '%s' "$OUT" | tr '\n' ' ' | head -c 700))"
	fi
	# ESCAPE_VERBOSE=1: what the attacker printed
	[ -n "$ESCAPE_VERBOSE" ] && printf '%s\n' "$OUT" | sed 's/^/#   /'
	return 0
}

B=$T/bin
NZ='[1-9][0-9]*'
PROBES="allowed_tcp=ok denied_tcp=EACCES allowed_udp=ok denied_udp=EACCES"

run 20 "$NETPIN" -q $RULES -- "$B/race_connect" $P $U tcp
verdict "connect (TCP) while a thread rewrites the sockaddr allowed<->denied" to_denied=0 to_allowed=$NZ eacces=$NZ

run 20 "$NETPIN" -q $RULES -- "$B/race_connect" $P $U udp
verdict "connect (UDP) while a thread rewrites the sockaddr allowed<->denied" to_denied=0 to_allowed=$NZ eacces=$NZ

run 20 "$NETPIN" -q $RULES -- "$B/race_sendto" $P $U
verdict "sendto (UDP) while a thread rewrites the sockaddr allowed<->denied" sent=$NZ eacces=$NZ

run 20 "$NETPIN" -q $RULES -- "$B/race_sendmsg" $P $U
verdict "sendmsg/sendmmsg (UDP) while a thread rewrites msg_name and its pointer" sent=$NZ eacces=$NZ

run 20 "$NETPIN" -q -a udp:127.0.0.2:$P -a 127.0.0.2:$U -- "$B/race_fdswap" $P $U
verdict "fd swapped (dup2) UDP<->TCP during an allowed UDP connect (rule udp only)" \
	tcp_connected=0 udp_to_denied=0 connect_ok=$NZ "@^tcp 127\.0\.0\.2:$P "

run 15 "$NETPIN" -q $RULES -- "$B/sendmmsg_mixed" $P $U
verdict "sendmmsg with mixed destinations (allowed, denied, allowed)" \
	'allowed,denied,allowed=1\(ok\)' 'denied,allowed,allowed=-1\(EACCES\)' \
	'allowed,allowed,denied=2\(ok\)' "@mma-3"

run 15 "$NETPIN" -q $RULES -- "$B/tfo" $P $U
verdict "TCP fast open (sendto MSG_FASTOPEN, TCP_FASTOPEN_CONNECT) to the denied address" \
	sendto_denied=EACCES sendto_mapped_denied=EACCES sendto_allowed=ok \
	'send_noaddr=E[A-Z]+' fastopen_connect_denied=EACCES fastopen_connect_allowed=ok \
	'then_sendto_denied=E[A-Z]+' 'peer=(127\.0\.0\.2|-)'

run 15 "$NETPIN" -q $RULES -- "$B/iouring" $P
verdict "io_uring_setup/enter/register" io_uring_setup=ENOSYS io_uring_enter=ENOSYS io_uring_register=ENOSYS

run 15 "$NETPIN" -q $RULES -- "$B/sockets" $P
verdict "socket() of raw, packet, vsock, ping, MPTCP, SCTP, UDP-Lite and other families (create only)" \
	created=0 '!=ok( |$)'

run 15 "$NETPIN" -q $RULES -- "$B/special_addr" $P $U
verdict "IPv4-mapped, 0.0.0.0, ::, AF_UNSPEC, bound to 127.0.0.3 then 0.0.0.0" \
	control_bound2_any4_tcp=ok '!(^| )(mapped|any|bound3|unspec|inet)[a-z0-9_]*=(ok|EXDEV)( |$)'

run 15 "$NETPIN" -q $RULES -- "$B/ipopts" $P $U
verdict "setsockopt IP_OPTIONS/IP_RETOPTS source route via 127.0.0.3, IPV6_RTHDR" \
	ip_options_tcp=EPERM ip_options_udp=EPERM ip_retopts_tcp=EPERM ip_retopts_udp=EPERM \
	ipv6_rthdr_type2=EPERM ipv6_rthdr_type4=EPERM ipv6_2292rthdr=EPERM \
	ipv6_2292pktoptions=EPERM '!connect_allowed(_udp)?=[^o]'

run 15 "$NETPIN" -q $RULES -- "$B/cmsg_opts" $P $U
verdict "UDP sendmsg with cmsg IP_RETOPTS/IP_OPTIONS/IPV6_RTHDR/SO_MARK" \
	ip_retopts=EACCES 'ip_options=E[A-Z]+' ip_retopts_on_inet6=EACCES ipv6_rthdr=EACCES \
	ipv6_2292rthdr=EACCES ipv6_hopopts=EACCES so_mark=EACCES control_pktinfo_src3=ok control_ttl=ok

run 15 "$NETPIN" -q $RULES -- "$B/selfprot" $P $U
verdict "ptrace, process_vm_*, /proc/PPID/mem, pidfd_open/getfd, /proc/PPID/fd against netpin" \
	ptrace_attach=EPERM ptrace_seize=EPERM process_vm_writev=EPERM process_vm_readv=EPERM \
	'proc_mem_rw=E(ACCES|PERM)' 'proc_mem_ro=E(ACCES|PERM)' pidfd_open=EPERM pidfd_open_thread=EPERM \
	'pidfd_getfd_procdir=E[A-Z]+' 'pidfd_send_signal_procdir=E[A-Z]+' proc_fd_reopened=0 \
	parent_alive=1 $PROBES

run 20 "$NETPIN" -q $RULES -- "$B/kill_parent" $P $U
verdict "kill/tkill/tgkill/sigqueue/pidfd_send_signal SIGSTOP+SIGKILL to netpin, kill(0), then connect" \
	'!(kill|tkill|tgkill|rt_sigqueueinfo|pidfd_send_signal_procdir)_SIG[A-Z]+=ok' \
	'!_probe=ok' kill_SIGKILL=EPERM kill_SIGSTOP=EPERM \
	parent_alive=1 $PROBES '!after-netpin-died.*=ok'

run 20 "$NETPIN" -q -a 127.0.0.2 --bind $((P + 5)) -- "$B/netpin_threads" $P $U
verdict "ptrace/process_vm_writev/pidfd_getfd/tkill aimed at netpin's worker threads" \
	"netpin_threads_found=$NZ" any_succeeded=0 $PROBES

run 15 "$NETPIN" -q $RULES -- "$B/dumpable" $P $U
verdict "prctl(PR_SET_DUMPABLE, 0) (and setresuid) then connect allowed and denied" \
	set_dumpable_0=ok dumpable_after=1 $PROBES \
	'!after_setresuid_nobody:.*denied_(tcp|udp)=ok'

if [ $ROOT = 1 ]; then
	run 15 $NOBODY $NOBODY_NETPIN -q $RULES -- "$B/dumpable" $P $U
	verdict "prctl(PR_SET_DUMPABLE, 0) as an unprivileged user under an unprivileged netpin" \
		set_dumpable_0=ok dumpable_after=1 $PROBES
	mkdir -m 755 "$T/xo"
	cp "$B/dumpable" "$T/xo/dumpable" && chmod 0111 "$T/xo/dumpable"
	run 15 $NOBODY $NOBODY_NETPIN -q $RULES -- "$T/xo/dumpable" $P $U
	verdict "execute-only binary (non-dumpable after exec) as an unprivileged user: denied never passes" \
		'!denied_(tcp|udp)=ok'
else
	echo "ok - escape: prctl(PR_SET_DUMPABLE, 0) as an unprivileged user # SKIP not root"
	echo "ok - escape: execute-only binary as an unprivileged user # SKIP not root"
fi

run 15 "$NETPIN" -q $RULES -- "$B/seccomp_nl" $P $U
verdict "seccomp NEW_LISTENER (a second notifier), and a stacked allow-all filter" \
	new_listener=EPERM new_listener_tsync=EPERM $PROBES

run 15 "$NETPIN" -q -a 127.0.0.2:$P -- "$NETPIN" -q -a 127.0.0.3:$P -- "$B/connect_to" $P 127.0.0.3
[ -z "$OUT" ] && OUT="inner netpin exit $RC: $ERR"
verdict "nested netpin allowing 127.0.0.3 inside one allowing 127.0.0.2" \
	'!connect_to 127\.0\.0\.3:[0-9]+: ok'

run 25 "$NETPIN" -q $RULES -- "$B/thread_exit" $P $U
verdict "threads/processes exiting with calls in flight; netpin still works after" \
	denied_ok=0 "rounds=$NZ" $PROBES

if [ $ROOT = 1 ]; then
	mkdir -m 755 "$T/suid"
	cp "$B/setuid" "$T/suid/setuid_root" && chown 0:0 "$T/suid/setuid_root" &&
		chmod 4755 "$T/suid/setuid_root"
	# does setuid work here at all (no nosuid mount)?
	ctl=$($NOBODY "$T/suid/setuid_root" $P child 2>/dev/null)
	case $ctl in
	*" euid=0 "*)
		run 15 $NOBODY $NOBODY_NETPIN -q $RULES -- "$B/setuid" $P "$T/suid/setuid_root"
		verdict "exec of a setuid-root binary gains nothing (no_new_privs)" \
			NoNewPrivs=1 euid=65534 '!euid=0 ' '!raw_socket=ok' ;;
	*)
		echo "ok - escape: exec of a setuid-root binary gains nothing # SKIP setuid does not work in $T ($ctl)" ;;
	esac
else
	echo "ok - escape: exec of a setuid-root binary gains nothing # SKIP not root (cannot make a setuid binary)"
fi
exit 0
