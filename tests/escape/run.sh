#!/bin/sh
# Adversarial tests for netpin: tests/escape/run.sh NETPIN_PATH
#
# Builds every attack (tests/escape/*.c) into a temp dir, starts a recording
# server (tests/server.py) on 127.0.0.2 and 127.0.0.3 (TCP 9600, UDP 9601;
# race_fdswap's TCP and UDP 9602),
# runs each attack under NETPIN_PATH with 127.0.0.2 allowed, and prints one
# line per attack: "ok - escape: WHAT" or "not ok - escape: WHAT (details)".
# An attack fails when the denied server 127.0.0.3 received anything while it
# ran, or when the attacker saw something other than what is expected.
# The attacks on pinned DNS also start DNS servers on 127.0.0.1 (the
# attacker's own, tests/escape/anydns.py, UDP 9653; tests/dnsserver.py, 9654);
# as root, the multicast attack makes a veth pair whose far end is in a
# namespace of its own, where tests/escape/mcast_cap.py captures.
# Assumes a private network namespace with lo up.  Its files are in a
# directory under $TMPDIR (/tmp).  Always exits 0.
NETPIN=$(realpath "$1" 2>/dev/null)
HERE=$(cd "$(dirname "$0")" && pwd)
SERVER=$HERE/../server.py
P=9600
U=9601
F=9602 # race_fdswap's, TCP and UDP
CFLAGS="-O2 -Wall -Wextra -Werror -pthread"

T=$(mktemp -d "${TMPDIR:-/tmp}/netpin-escape.XXXXXX")
SPID=
XPIDS= # helper servers started further down
MCA=   # a veth of ours, when the multicast capture made one
cleanup() {
	[ -n "$MCA" ] && ip link del "$MCA" 2>/dev/null
	for pid in $SPID $XPIDS; do
		kill "$pid" 2>/dev/null
	done
	if [ -n "$SPID$XPIDS" ]; then
		sleep 0.2
		for pid in $SPID $XPIDS; do
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
		done
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
	udp:127.0.0.2:$U udp:127.0.0.3:$U tcp:127.0.0.2:$F udp:127.0.0.2:$F >/dev/null 2>"$T/server.err" &
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

# escape_run and escape_judge: how an attack is run and judged (the guests
# of tests/vm.sh run theirs with it too)
ESCAPE_ERR=$T/err
# shellcheck source=tests/escape/judge.sh
. "$HERE/judge.sh"

# verdict WHAT CHECK... : escape_judge's CHECKs on the last escape_run, as
# one TAP line
verdict() {
	what=$1
	shift
	escape_judge "$@"
	if [ -z "$why" ]; then
		echo "ok - escape: $what"
	else
		echo "not ok - escape: $what ($why | saw: $(printf '%s' "$OUT" | tr '\n' ' ' | head -c 700)${ERR:+ | stderr: $ERR})"
	fi
	# ESCAPE_VERBOSE=1: what the attacker printed
	[ -n "$ESCAPE_VERBOSE" ] && printf '%s\n' "$OUT" | sed 's/^/#   /'
	return 0
}

B=$T/bin

escape_run 20 "$NETPIN" -q $RULES -- "$B/race_connect" $P $U tcp
verdict "connect (TCP) while a thread rewrites the sockaddr allowed<->denied" to_denied=0 to_allowed=$NZ eacces=$NZ

escape_run 20 "$NETPIN" -q $RULES -- "$B/race_connect" $P $U udp
verdict "connect (UDP) while a thread rewrites the sockaddr allowed<->denied" to_denied=0 to_allowed=$NZ eacces=$NZ

escape_run 20 "$NETPIN" -q $RULES -- "$B/race_sendto" $P $U
verdict "sendto (UDP) while a thread rewrites the sockaddr allowed<->denied" sent=$NZ eacces=$NZ

escape_run 20 "$NETPIN" -q $RULES -- "$B/race_sendmsg" $P $U
verdict "sendmsg/sendmmsg (UDP) while a thread rewrites msg_name and its pointer" sent=$NZ eacces=$NZ

# (on a port of its own, F: no other attack's record can count for it)
escape_run 20 "$NETPIN" -q -a udp:127.0.0.2:$F -a 127.0.0.2:$U -- "$B/race_fdswap" $F $U
verdict "fd swapped (dup2) UDP<->TCP during an allowed UDP connect (rule udp only)" \
	tcp_connected=0 udp_to_denied=0 connect_ok=$NZ "@^tcp 127\.0\.0\.2:$F "

escape_run 15 "$NETPIN" -q $RULES -- "$B/sendmmsg_mixed" $P $U
verdict "sendmmsg with mixed destinations (allowed, denied, allowed)" \
	'allowed,denied,allowed=1\(ok\)' 'denied,allowed,allowed=-1\('$D'\)' \
	'allowed,allowed,denied=2\(ok\)' "@mma-3"

escape_run 15 "$NETPIN" -q $RULES -- "$B/tfo" $P $U
verdict "TCP fast open (sendto MSG_FASTOPEN, TCP_FASTOPEN_CONNECT) to the denied address" \
	sendto_denied=$D sendto_mapped_denied=$D sendto_allowed=ok \
	'send_noaddr=E[A-Z]+' fastopen_connect_denied=$D fastopen_connect_allowed=ok \
	'then_sendto_denied=E[A-Z]+' 'peer=(127\.0\.0\.2|-)'

escape_run 15 "$NETPIN" -q $RULES -- "$B/iouring" $P
verdict "io_uring_setup/enter/register" io_uring_setup=ENOSYS io_uring_enter=ENOSYS io_uring_register=ENOSYS

escape_run 15 "$NETPIN" -q $RULES -- "$B/sockets" $P
verdict "socket() of raw, packet, vsock, ping, MPTCP, SCTP, UDP-Lite and other families (create only)" \
	created=0 '!=ok( |$)'

escape_run 15 "$NETPIN" -q $RULES -- "$B/special_addr" $P $U
verdict "IPv4-mapped, 0.0.0.0, ::, AF_UNSPEC, bound to 127.0.0.3 then 0.0.0.0" \
	control_bound2_any4_tcp=ok '!(^| )(mapped|any|bound3|unspec|inet)[a-z0-9_]*=(ok|EXDEV)( |$)'

escape_run 15 "$NETPIN" -q $RULES -- "$B/ipopts" $P $U
verdict "setsockopt IP_OPTIONS/IP_RETOPTS source route via 127.0.0.3, IPV6_RTHDR" \
	ip_options_tcp=EPERM ip_options_udp=EPERM ip_retopts_tcp=EPERM ip_retopts_udp=EPERM \
	ipv6_rthdr_type2=EPERM ipv6_rthdr_type4=EPERM ipv6_2292rthdr=EPERM \
	ipv6_2292pktoptions=EPERM '!connect_allowed(_udp)?=[^o]'

escape_run 15 "$NETPIN" -q $RULES -- "$B/cmsg_opts" $P $U
verdict "UDP sendmsg with cmsg IP_RETOPTS/IP_OPTIONS/IPV6_RTHDR/SO_MARK" \
	ip_retopts=EACCES 'ip_options=E[A-Z]+' ip_retopts_on_inet6=EACCES ipv6_rthdr=EACCES \
	ipv6_2292rthdr=EACCES ipv6_hopopts=EACCES so_mark=EACCES control_pktinfo_src3=ok control_ttl=ok

escape_run 15 "$NETPIN" -q $RULES -- "$B/selfprot" $P $U
verdict "ptrace, process_vm_*, /proc/PPID/mem, pidfd_open/getfd, /proc/PPID/fd against netpin" \
	ptrace_attach=EPERM ptrace_seize=EPERM process_vm_writev=EPERM process_vm_readv=EPERM \
	'proc_mem_rw=E(ACCES|PERM)' 'proc_mem_ro=E(ACCES|PERM)' pidfd_open=EPERM pidfd_open_thread=EPERM \
	'pidfd_getfd_procdir=E[A-Z]+' 'pidfd_send_signal_procdir=E[A-Z]+' proc_fd_reopened=0 \
	parent_alive=1 $PROBES

escape_run 20 "$NETPIN" -q $RULES -- "$B/kill_parent" $P $U
verdict "kill/tkill/tgkill/sigqueue/pidfd_send_signal SIGSTOP+SIGKILL to netpin, kill(0), then connect" \
	'!(kill|tkill|tgkill|rt_sigqueueinfo|pidfd_send_signal_procdir)_SIG[A-Z]+=ok' \
	'!_probe=ok' kill_SIGKILL=EPERM kill_SIGSTOP=EPERM \
	own_child_pidfd_SIGTERM=ok own_child_pidfd_died_of=SIGTERM \
	own_child_procdir_SIGTERM=ok own_child_procdir_died_of=SIGTERM \
	parent_alive=1 $PROBES '!after-netpin-died.*=ok'

escape_run 20 "$NETPIN" -q $RULES -- "$B/sigio" $P $U
verdict "netpin (pid, group) made the owner of the command's I/O signals (F_SETOWN, F_SETOWN_EX, FIOSETOWN, SIOCSPGRP) with F_SETSIG SIGKILL, then I/O" \
	parent_alive=1 $PROBES f_setown_samegrp=EPERM f_setown_pid=EPERM f_setown_pgrp=EPERM \
	f_setown_ex_pid=EPERM fiosetown_pid=EPERM siocspgrp_pid=EPERM

escape_run 15 "$NETPIN" -q $RULES -- "$B/portrange" $P $U
verdict "IP_LOCAL_PORT_RANGE of one port, then bind to port 0: a port the command chose without --bind" \
	portrange4=EPERM portrange6=EPERM chosen=0

escape_run 20 "$NETPIN" -q -a 127.0.0.2 --bind $((P + 5)) -- "$B/netpin_threads" $P $U
verdict "ptrace/process_vm_writev/pidfd_getfd/tkill aimed at netpin's worker threads" \
	"netpin_threads_found=$NZ" any_succeeded=0 $PROBES

escape_run 15 "$NETPIN" -q $RULES -- "$B/dumpable" $P $U
verdict "prctl(PR_SET_DUMPABLE, 0) (and setresuid) then connect allowed and denied" \
	set_dumpable_0=ok dumpable_after=1 $PROBES \
	'!after_setresuid_nobody:.*denied_(tcp|udp)=ok'

if [ $ROOT = 1 ]; then
	escape_run 15 $NOBODY $NOBODY_NETPIN -q $RULES -- "$B/dumpable" $P $U
	verdict "prctl(PR_SET_DUMPABLE, 0) as an unprivileged user under an unprivileged netpin" \
		set_dumpable_0=ok dumpable_after=1 $PROBES
	mkdir -m 755 "$T/xo"
	cp "$B/dumpable" "$T/xo/dumpable" && chmod 0111 "$T/xo/dumpable"
	escape_run 15 $NOBODY $NOBODY_NETPIN -q $RULES -- "$T/xo/dumpable" $P $U
	verdict "execute-only binary (non-dumpable after exec) as an unprivileged user: denied never passes" \
		'!denied_(tcp|udp)=ok'
else
	echo "ok - escape: prctl(PR_SET_DUMPABLE, 0) as an unprivileged user # SKIP not root"
	echo "ok - escape: execute-only binary as an unprivileged user # SKIP not root"
fi

escape_run 15 "$NETPIN" -q $RULES -- "$B/seccomp_nl" $P $U
verdict "seccomp NEW_LISTENER (a second notifier), and a stacked allow-all filter" \
	new_listener=EPERM new_listener_tsync=EPERM $PROBES

escape_run 15 "$NETPIN" -q -a 127.0.0.2:$P -- "$NETPIN" -q -a 127.0.0.3:$P -- "$B/connect_to" $P 127.0.0.3
[ -z "$OUT" ] && OUT="inner netpin exit $RC: $ERR"
verdict "nested netpin allowing 127.0.0.3 inside one allowing 127.0.0.2" \
	'!connect_to 127\.0\.0\.3:[0-9]+: ok'

escape_run 40 "$NETPIN" -q $RULES -- "$B/thread_exit" $P $U
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
		escape_run 15 $NOBODY $NOBODY_NETPIN -q $RULES -- "$B/setuid" $P "$T/suid/setuid_root"
		verdict "exec of a setuid-root binary gains nothing (no_new_privs)" \
			NoNewPrivs=1 euid=65534 '!euid=0 ' '!raw_socket=ok' ;;
	*)
		echo "ok - escape: exec of a setuid-root binary gains nothing # SKIP setuid does not work in $T ($ctl)" ;;
	esac
else
	echo "ok - escape: exec of a setuid-root binary gains nothing # SKIP not root (cannot make a setuid binary)"
fi

# ---- issue 17: what an adversarial review found ----

# wait_file FILE: wait (10 s at most) for FILE to exist
wait_file() {
	i=0
	while [ ! -f "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -f "$1" ]
}

# the attacker's own DNS server (any name answered, 127.0.0.100+N)
DP=9653
python3 "$HERE/anydns.py" --port $DP --log "$T/anydns.log" --ready "$T/anydns.ready" \
	2>"$T/anydns.err" &
XPIDS="$XPIDS $!"
if ! wait_file "$T/anydns.ready"; then
	echo "not ok - escape: DNS server anydns.py did not start ($(head -c 200 "$T/anydns.err"))"
	DP=
fi

# item 1: a source address the command chooses.  The options that allow
# one, then the responder replying to whatever source a query carried: a
# socket bound to 127.0.0.5:U sends to port 53 with an IP_PKTINFO source
# of the denied 127.0.0.3, so the reply lands on the denied UDP server
# 127.0.0.3:U (the recorder).
escape_run 15 "$NETPIN" -q $RULES -- "$B/srcopts" $P $U
verdict "setsockopt IP_FREEBIND/IP_TRANSPARENT/IPV6_FREEBIND/IPV6_TRANSPARENT, then a bind to an address not ours" \
	ip_freebind_udp=EPERM ip_freebind_tcp=EPERM ip_transparent_udp=EPERM \
	ip_transparent_tcp=EPERM ip_freebind_on_inet6=EPERM ipv6_freebind_udp=EPERM \
	ipv6_freebind_tcp=EPERM ipv6_transparent_udp=EPERM ipv6_transparent_tcp=EPERM \
	'!nonlocal_bind[46]=ok'

escape_run 20 "$NETPIN" -q $RULES -a udp:127.0.0.5 --bind $U -- \
	"$B/dns_ask" -b 127.0.0.5:$U -i 127.0.0.3 pktinfo-leak.example
verdict "DNS query with an IP_PKTINFO source of a denied address: the reply must not reach it" \
	bind1=ok

escape_run 30 python3 "$HERE/stray_dns.py" "$NETPIN" $RULES -- "$B/dns_ask"
verdict "netpin's DNS responder answers no query it did not redirect (one from outside netpin)" \
	'own_reply=NXDOMAIN' stray_reply=none

# item 8: 300 calls stuck in netpin's workers (recvfrom on redirected DNS
# sockets that get no reply), then their process killed: the workers let
# go, and new calls are served
escape_run 40 "$NETPIN" -q $RULES -- "$B/stuck_workers" $P $U
verdict "300 calls stuck in netpin's workers, then killed: new calls are served" \
	'while_stuck=(ok|EAGAIN)' after_dns=20/20 after_connect=ok '!hung=1'

# item 9: more sockets than netpin has descriptors for (its RLIMIT_NOFILE
# is 2048 here); once they are closed, sockets work again
escape_run 40 prlimit --nofile=2048:2048 "$NETPIN" -q $RULES -- "$B/fd_flood" $P $U
verdict "more sockets than netpin can hold, then closed: socket() and connect work again" \
	'flooded=[1-9][0-9]*' after=ok

# item 10: a read of the command's memory that never returns (a page of
# userfaultfd's that nobody serves) holds up its own call only
# netpin takes CAP_SYS_PTRACE from the command, and a userfaultfd that
# serves the kernel's faults needs it unless vm.unprivileged_userfaultfd
# is 1: as root, the attack gets that for its run (as on a machine that
# allows it), and the setting is put back
UFFD_SYSCTL=/proc/sys/vm/unprivileged_userfaultfd
uffd_was=
if [ $ROOT = 1 ] && [ -w $UFFD_SYSCTL ] && uffd_was=$(cat $UFFD_SYSCTL); then
	echo 1 >$UFFD_SYSCTL
fi
escape_run 30 "$NETPIN" -q $RULES -- "$B/uffd_stall" $P $U
[ -n "$uffd_was" ] && echo "$uffd_was" >$UFFD_SYSCTL
case $OUT in
skip=*) echo "ok - escape: a stalled read of the command's memory holds up its own call only # SKIP ${OUT#skip=}" ;;
*) verdict "a stalled read of the command's memory holds up its own call only" \
	stalled=1 after_allowed=ok 'after_denied=E[A-Z]+' after_udp=ok '!hung=1' '!after_denied=ok' ;;
esac

# item 7: a terminal the command stops (tcflow TCOOFF) while netpin has
# denial lines to print: netpin goes on serving, its output waits
escape_run 90 python3 "$HERE/tcoff.py" "$NETPIN" "$HERE/../netop" $P
verdict "a terminal the command stops (tcflow TCOOFF) does not stop netpin" \
	finished=1 allowed=ok rc=0
escape_run 90 python3 "$HERE/tcoff.py" "$NETPIN" "$HERE/../netop" $P tostop
verdict "TOSTOP and a foreground group of the command's (SIGTTOU) do not stop netpin" \
	finished=1 allowed=ok rc=0

# item 2: multicast joins send IGMP/MLD reports carrying groups (and
# sources) the command chose.  As root: on a veth whose peer is in a
# namespace of its own, where a capture looks for them.
CHOSEN="239.9.9.9 ff15::1234"
MARKERS="239.7.7.7 ff15::7777"
MCIF=lo
MCADDR=127.0.0.1
CAPPID=
mc_setup() {
	MCA=npe$$a
	ip link add $MCA type veth peer name npe$$b 2>"$T/mc.err" || return 1
	unshare -n python3 "$HERE/mcast_cap.py" capture --if npe$$b --out "$T/cap" \
		--ns-ready "$T/cap.ns" --ready "$T/cap.ready" $CHOSEN $MARKERS 2>>"$T/mc.err" &
	CAPPID=$!
	XPIDS="$XPIDS $CAPPID"
	wait_file "$T/cap.ns" && ip link set npe$$b netns $CAPPID 2>>"$T/mc.err" &&
		ip addr add 10.199.0.1/24 dev $MCA 2>>"$T/mc.err" &&
		ip link set $MCA up 2>>"$T/mc.err" && wait_file "$T/cap.ready"
}
if [ $ROOT = 1 ] && mc_setup; then
	MCIF=$MCA
	MCADDR=10.199.0.1
else
	CAPPID=
fi
escape_run 20 "$NETPIN" -q $RULES -- "$B/mcast_join" $P $U $MCIF $MCADDR
verdict "multicast group joins and source filters (IPv4, IPv6) with only unicast rules" \
	ip_add_membership=EPERM ip_add_source_membership=EPERM mcast_join_group=EPERM \
	mcast_join_source_group=EPERM mcast_msfilter=EPERM ip_msfilter=EPERM \
	ipv6_add_membership=EPERM ipv6_mcast_join_group=EPERM \
	ipv6_mcast_join_source_group=EPERM $PROBES
if [ -n "$CAPPID" ]; then
	escape_run 20 python3 "$HERE/mcast_cap.py" check --if $MCA --out "$T/cap" \
		--marker 239.7.7.7 --marker ff15::7777 $CHOSEN
	verdict "no IGMP/MLD report for a group the command chose reaches the link (capture on a veth peer)" \
		markers_seen=2 chosen_groups_seen=0
else
	echo "ok - escape: no IGMP/MLD report for a group the command chose reaches the link # SKIP no veth pair and capture namespace (root: $ROOT; $(head -c 200 "$T/mc.err" 2>/dev/null | tr '\n' ' '))"
fi
escape_run 20 "$NETPIN" -q $RULES -a udp:239.1.2.3 -- "$B/mcast_join" $P $U $MCIF $MCADDR 239.1.2.3
verdict "multicast joins with a rule for udp:239.1.2.3: that group only" \
	allowed_ip_add_membership=ok allowed_mcast_join_group=ok \
	ip_add_membership=EPERM ip_add_source_membership=EPERM mcast_join_group=EPERM \
	mcast_join_source_group=EPERM mcast_msfilter=EPERM ip_msfilter=EPERM \
	ipv6_add_membership=EPERM ipv6_mcast_join_group=EPERM \
	ipv6_mcast_join_source_group=EPERM $PROBES

# item 4: DNS names the command chose, with newlines, CR, spaces, '#',
# '/' and ESC in their labels, answered by its own server, must not put a
# rule allowing everything, or a control character, into the learned file,
# nor a raw escape on netpin's stderr or in its log
if [ -n "$DP" ]; then
	escape_run 30 "$NETPIN" --audit --learn "$T/learned" --log "$T/learn.json" \
		--dns 127.0.0.1:$DP --allow-private-dns --hosts /dev/null --resolv /dev/null -- \
		"$B/dns_ask" -s 9 '127\.0\.0\.2\0100\.0\.0\.0/0 #\013udp:x.example' \
		'0.0.0.0/0 #.x.example' 'esc\027[31mred.example' 'sp ace/sl\009ash.example'
	cp "$T/err" "$T/learn.err"
	"$NETPIN" -n -A "$T/learned" --hosts /dev/null --resolv /dev/null -- true \
		>/dev/null 2>"$T/reparse.err"
	rc=$?
	OUT="$OUT $(python3 "$HERE/learncheck.py" "$T/learned" "$T/learn.err" "$T/learn.json") reparse_exit=$rc"
	verdict "--learn with DNS names the command chose (newline, CR, ESC, '0.0.0.0/0 #')" \
		learned_file=yes learned_prefix_rules=0 learned_control_chars=0 reparse_exit=0 \
		stderr_control_chars=0 log_control_chars=0
else
	echo "not ok - escape: --learn with DNS names the command chose (no DNS server)"
fi

# item 5: a label with a dot in it ([a.][example][com]) killed netpin
# (exit 125) under a wildcard rule, and with --audit
if [ -n "$DP" ]; then
	for how in "-a *.example.com" "--audit"; do
		case $how in
		--audit) set -- --audit ;;
		*) set -- -a '*.example.com' ;;
		esac
		escape_run 20 "$NETPIN" -q $RULES "$@" --dns 127.0.0.1:$DP --hosts /dev/null \
			--resolv /dev/null -- "$B/dns_ask" -c 127.0.0.2:$P -x 7 'a\..example.com'
		OUT="$OUT netpin_exit=$RC"
		verdict "a DNS label with a dot in it ($how): netpin lives on, the command's status is kept" \
			'reply1=(NXDOMAIN|REFUSED|none)' connect=ok netpin_exit=7
	done
else
	echo "not ok - escape: a DNS label with a dot in it (no DNS server)"
fi

# item 6: limits and scheduling of netpin, its process group and threads
escape_run 30 "$NETPIN" -q -a 127.0.0.2 --bind $((P + 5)) -- "$B/sched_attack" $P $U
verdict "prlimit64/setpriority/sched_setscheduler/sched_setattr/sched_setaffinity/ioprio_set on netpin and its threads" \
	"netpin_threads_found=$NZ" netpin_prlimit_cpu=EPERM netpin_prlimit_nofile=EPERM \
	netpin_setpriority=EPERM netpin_setpriority_pgrp=EPERM netpin_sched_setscheduler=EPERM \
	netpin_sched_setattr=EPERM netpin_sched_setaffinity=EPERM netpin_ioprio_set=EPERM \
	"thread_calls=$NZ" thread_not_eperm=0 netpin_state_changed=0 thread_state_changed=0 \
	$PROBES child_prlimit_cpu=ok child_setpriority_pgrp=ok self_sched_setscheduler=ok \
	'!(^| )(child|self)_[a-z_]+=E'

# Landlock alone (tests/escape/llonly: no_new_privs and the very domain
# netpin's child applies, no seccomp filter): what the kernel layer stops
# by itself when the filter would let a call through.  ABI 4: TCP connect;
# ABI 10: the command's own UDP bind (port 0 aside), connect and sends to
# an address too.  The control: the same calls bare reach the sink.
LL=$("$B/llonly" true 2>/dev/null | sed -n 's/^landlock_abi=//p')
if [ "${LL:-0}" -ge 10 ]; then
	escape_run 20 "$B/llonly" "$B/direct" $P $U all
	verdict "Landlock alone (no seccomp filter): the command's own TCP connect, UDP bind, connect and sends to an address are refused by the kernel" \
		tcp_connect=EACCES bind_port=EACCES sendto_unbound=EACCES bind_port0=ok \
		sendto_bound=EACCES connect=EACCES sendmsg=EACCES sendmmsg=EACCES \
		sendto_mapped=EACCES send_noaddr=EDESTADDRREQ
elif [ "${LL:-0}" -ge 4 ]; then
	escape_run 20 "$B/llonly" "$B/direct" $P $U tcp
	verdict "Landlock alone (no seccomp filter): the command's own TCP connect is refused by the kernel" \
		tcp_connect=EACCES
	LLSKIP="Landlock ABI $LL < 10: no UDP rights, UDP rests on the seccomp supervisor"
else
	LLSKIP="Landlock ABI ${LL:-?} < 4: no network rights, the seccomp supervisor alone"
fi
[ -n "${LLSKIP:-}" ] && echo "ok - escape: Landlock alone (no seccomp filter): the command's own UDP calls are refused by the kernel # SKIP $LLSKIP"
escape_run 20 "$B/direct" $P $U all
if printf '%s\n' "$NEW" | grep -aq "^udp 127\.0\.0\.3:$U direct-udp"; then
	echo "ok - escape: Landlock alone, the control: the same calls made bare reach the denied sink"
else
	echo "not ok - escape: Landlock alone, the control: the same calls made bare reach the denied sink (the sink recorded: $(printf '%s\n' "$NEW" | head -3 | tr '\n' ' '))"
fi

# item 11
escape_run 15 "$NETPIN" -q $RULES -- "$B/socketpair" $P $U
verdict "socketpair() of AF_INET and AF_TIPC refused as socket() would (AF_UNIX ok)" \
	inet_stream=EAFNOSUPPORT tipc_dgram=EAFNOSUPPORT unix_stream=ok unix_dgram=ok

# item 13: the rebinding guard and IPv6 addresses that carry a private
# IPv4 address (NAT64, 6to4, Teredo, IPv4-compatible); --skip-unresolved,
# since a name whose every answer is dropped pins nothing, which stops netpin
GP=9654
python3 "$HERE/../dnsserver.py" --addr 127.0.0.1 --port $GP --zone "$HERE/rebind.zone" \
	--log "$T/rebind.log" --ready "$T/rebind.ready" 2>"$T/rebind.err" &
XPIDS="$XPIDS $!"
GUARDED="nat64 nat64local sixtofour teredo v4compat"
# guard_of NAME: kept (in the pin table), dropped (not, with the guard's
# warning) or missing (neither)
guard_of() {
	if printf '%s\n' "$OUT" | grep -q " name $1\.test "; then
		echo kept
	elif grep "$1\.test" "$T/err" | grep -qi 'rebinding\|private'; then
		echo dropped
	else
		echo missing
	fi
}
if wait_file "$T/rebind.ready"; then
	for private in "" --allow-private-dns; do
		escape_run 20 "$NETPIN" -n --dns 127.0.0.1:$GP --resolv /dev/null --hosts /dev/null --skip-unresolved \
			$private -a nat64.test -a nat64local.test -a sixtofour.test \
			-a teredo.test -a v4compat.test -a public.test -- true
		set --
		for n in $GUARDED public; do
			OUT="$OUT $n=$(guard_of $n)"
			[ -n "$private" ] && set -- "$@" "$n=kept"
		done
		if [ -z "$private" ]; then
			verdict "rebinding guard: DNS answers NAT64/6to4/Teredo/IPv4-compatible of 10.0.0.1 are dropped" \
				nat64=dropped nat64local=dropped sixtofour=dropped teredo=dropped \
				v4compat=dropped public=kept
		else
			verdict "rebinding guard: --allow-private-dns keeps them" "$@"
		fi
	done
else
	echo "not ok - escape: rebinding guard (dnsserver.py did not start: $(head -c 200 "$T/rebind.err"))"
fi

# ---- races on what a call names: a passed fd, a unix socket's name ----

# The addfd mode cannot take a file passed with SCM_RIGHTS: it opens
# /proc/PID/fd/N again with the mode of the command's descriptor.  A thread
# that dup2()s a writable file or pipe onto N, and back the read-only file,
# must never get the read-only file to the receiver writable.  A privileged
# netpin opens nothing for the command (the passed file is refused): run as
# nobody where this runs as root.
for kind in file pipe; do
	if [ $ROOT = 1 ]; then
		escape_run 20 $NOBODY $NOBODY_NETPIN -q $RULES -- "$B/race_scm_reopen" $P $U $kind
	else
		escape_run 20 "$NETPIN" -q $RULES -- "$B/race_scm_reopen" $P $U $kind
	fi
	verdict "SCM_RIGHTS of a read-only file while a thread dup2()s a writable $kind onto its number: never received writable" \
		escalated=0 a_changed=0 foreign=0 "a_ro=$NZ" "b=$NZ"
done

# --deny-unix checks the socket file by device and inode and connects to
# the very file it checked.  A thread that swaps what the name stands for,
# between the denied socket and an allowed one, must never get a
# connection to the denied one (its server's record).  Servers of its own
# for each way: an exchange may end with the names swapped.
for how in exchange symlink; do
	UD=$T/ud-$how
	mkdir -m 755 "$UD"
	"$B/race_unix_deny" serve "$UD" 2>"$UD.err" &
	XPIDS="$XPIDS $!"
	if ! wait_file "$UD/ready"; then
		echo "not ok - escape: --deny-unix while a thread swaps the name ($how) (race_unix_deny serve did not start: $(head -c 200 "$UD.err"))"
		continue
	fi
	escape_run 20 "$NETPIN" -q $RULES --deny-unix "$UD/denied.sock" -- "$B/race_unix_deny" $P $U "$UD" $how
	OUT="$OUT server_denied=$(grep -c '^denied' "$UD/record")"
	verdict "--deny-unix while a thread swaps the name between the denied socket and an allowed one ($how)" \
		to_denied=0 server_denied=0 "to_allowed=$NZ" "eacces=$NZ"
done

# the caller checks that the run was not cut short
echo "# escape: every attack ran"
exit 0
