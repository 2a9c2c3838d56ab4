# shellcheck shell=sh
# shellcheck disable=SC2086 # (NP, NOBODY, PDNS, RULES, PROBES: word lists)
# tests/vm/escape.sh — the attacks of tests/escape in a guest of tests/vm.sh,
# sourced by tests/vm/guest.sh after /proc is mounted.  The guest has no
# compiler and no python: the attacks are built on the host (static, in
# /escape), the recorder is tests/vm/recorder, and the attacks that need
# python servers, prlimit, a veth pair or seconds of work are left to the
# host's escape area.  The checks are tests/escape/run.sh's, run and judged
# as it does, by tests/escape/judge.sh (in the initramfs as
# /escape/judge.sh): an attack fails when the denied server 127.0.0.3
# received anything, or when the attacker saw something other than what
# is expected.
P=9600
U=9601
F=9602 # race_fdswap's, TCP and UDP (no other attack's record counts for it)
B=/escape
RULES="-a 127.0.0.2:$P -a 127.0.0.2:$U"
# the kernel's Landlock ABI (tests/escape/llonly says it)
LL=$($B/llonly true 2>/dev/null | sed -n 's/^landlock_abi=//p')

# escape_run, escape_judge
ESCAPE_ERR=/tmp/escape.err
ESCAPE_SETSID=setsid
# shellcheck source=tests/escape/judge.sh
. $B/judge.sh

# verdict WHAT CHECK...: escape_judge's CHECKs on the last escape_run, as
# the guest's pass or fail (with a note when the attack took 5 s or more)
verdict() {
	what=$1
	shift
	escape_judge "$@"
	[ $(($(uptime_s) - started)) -lt 5 ] || note "escape: $what: $(($(uptime_s) - started)) s"
	if [ -z "$why" ]; then
		pass "escape: $what"
	else
		fail "escape: $what" "$why | saw: $(printf '%s' "$OUT" | tr '\n' ' ' | head -c 500)"
	fi
}

escape_run 30 $NP -q $RULES -- $B/race_connect $P $U tcp
verdict "connect (TCP) while a thread rewrites the sockaddr allowed<->denied" to_denied=0 to_allowed=$NZ eacces=$NZ
escape_run 30 $NP -q $RULES -- $B/race_connect $P $U udp
verdict "connect (UDP) while a thread rewrites the sockaddr allowed<->denied" to_denied=0 to_allowed=$NZ eacces=$NZ
escape_run 30 $NP -q $RULES -- $B/race_sendto $P $U
verdict "sendto (UDP) while a thread rewrites the sockaddr allowed<->denied" sent=$NZ eacces=$NZ
escape_run 30 $NP -q $RULES -- $B/race_sendmsg $P $U
verdict "sendmsg/sendmmsg (UDP) while a thread rewrites msg_name and its pointer" sent=$NZ eacces=$NZ
escape_run 30 $NP -q -a udp:127.0.0.2:$F -a 127.0.0.2:$U -- $B/race_fdswap $F $U
verdict "fd swapped (dup2) UDP<->TCP during an allowed UDP connect (rule udp only)" \
	tcp_connected=0 udp_to_denied=0 connect_ok=$NZ "@^tcp 127\.0\.0\.2:$F "
escape_run 20 $NP -q $RULES -- $B/sendmmsg_mixed $P $U
verdict "sendmmsg with mixed destinations (allowed, denied, allowed)" \
	'allowed,denied,allowed=1\(ok\)' 'denied,allowed,allowed=-1\('$D'\)' \
	'allowed,allowed,denied=2\(ok\)' "@mma-3"
escape_run 20 $NP -q $RULES -- $B/tfo $P $U
verdict "TCP fast open (sendto MSG_FASTOPEN, TCP_FASTOPEN_CONNECT) to the denied address" \
	sendto_denied=$D sendto_mapped_denied=$D sendto_allowed=ok \
	'send_noaddr=E[A-Z]+' fastopen_connect_denied=$D fastopen_connect_allowed=ok \
	'then_sendto_denied=E[A-Z]+' 'peer=(127\.0\.0\.2|-)'
escape_run 20 $NP -q $RULES -- $B/iouring $P
verdict "io_uring_setup/enter/register" io_uring_setup=ENOSYS io_uring_enter=ENOSYS io_uring_register=ENOSYS
escape_run 20 $NP -q $RULES -- $B/sockets $P
verdict "socket() of raw, packet, vsock, ping, MPTCP, SCTP, UDP-Lite and other families (create only)" \
	created=0 '!=ok( |$)'
escape_run 20 $NP -q $RULES -- $B/special_addr $P $U
verdict "IPv4-mapped, 0.0.0.0, ::, AF_UNSPEC, bound to 127.0.0.3 then 0.0.0.0" \
	control_bound2_any4_tcp=ok '!(^| )(mapped|any|bound3|unspec|inet)[a-z0-9_]*=(ok|EXDEV)( |$)'
escape_run 20 $NP -q $RULES -- $B/ipopts $P $U
verdict "setsockopt IP_OPTIONS/IP_RETOPTS source route via 127.0.0.3, IPV6_RTHDR" \
	ip_options_tcp=EPERM ip_options_udp=EPERM ip_retopts_tcp=EPERM ip_retopts_udp=EPERM \
	ipv6_rthdr_type2=EPERM ipv6_rthdr_type4=EPERM ipv6_2292rthdr=EPERM \
	ipv6_2292pktoptions=EPERM '!connect_allowed(_udp)?=[^o]'
escape_run 20 $NP -q $RULES -- $B/cmsg_opts $P $U
verdict "UDP sendmsg with cmsg IP_RETOPTS/IP_OPTIONS/IPV6_RTHDR/SO_MARK" \
	ip_retopts=EACCES 'ip_options=E[A-Z]+' ip_retopts_on_inet6=EACCES ipv6_rthdr=EACCES \
	ipv6_2292rthdr=EACCES ipv6_hopopts=EACCES so_mark=EACCES control_pktinfo_src3=ok control_ttl=ok
escape_run 20 $NP -q $RULES -- $B/selfprot $P $U
verdict "ptrace, process_vm_*, /proc/PPID/mem, pidfd_open/getfd, /proc/PPID/fd against netpin" \
	ptrace_attach=EPERM ptrace_seize=EPERM process_vm_writev=EPERM process_vm_readv=EPERM \
	'proc_mem_rw=E(ACCES|PERM)' 'proc_mem_ro=E(ACCES|PERM)' pidfd_open=EPERM pidfd_open_thread=EPERM \
	'pidfd_getfd_procdir=E[A-Z]+' 'pidfd_send_signal_procdir=E[A-Z]+' proc_fd_reopened=0 \
	parent_alive=1 $PROBES
# Kernels before 5.14 (told by fdinfo without an inode line): in the addfd
# mode netpin cannot bind a passed file's access mode to the file, and
# refuses every passed file (fails closed); and an unprivileged netpin
# (not dumpable) cannot read its own fdinfo, so cannot tell which process
# a pidfd names, and refuses pidfd_send_signal through one
if grep -q '^ino:' /proc/self/fdinfo/0 2>/dev/null; then
	PASSED="a_ro=$NZ b=$NZ"
	NOBODY_PIDFD="own_child_pidfd_SIGTERM=ok own_child_pidfd_died_of=SIGTERM"
else
	PASSED="sent=0 refused=$NZ"
	NOBODY_PIDFD="own_child_pidfd_SIGTERM=E[A-Z]+"
fi
escape_run 30 $NP -q $RULES -- $B/kill_parent $P $U
verdict "kill/tkill/tgkill/sigqueue/pidfd_send_signal SIGSTOP+SIGKILL to netpin, kill(0), then connect" \
	'!(kill|tkill|tgkill|rt_sigqueueinfo|pidfd_send_signal_procdir)_SIG[A-Z]+=ok' \
	'!_probe=ok' kill_SIGKILL=EPERM kill_SIGSTOP=EPERM \
	own_child_pidfd_SIGTERM=ok own_child_pidfd_died_of=SIGTERM \
	own_child_procdir_SIGTERM=ok own_child_procdir_died_of=SIGTERM \
	parent_alive=1 $PROBES '!after-netpin-died.*=ok'
# the owner calls, on every kernel: F_SETOWN aimed at netpin and the three
# that name the owner in memory are refused
escape_run 20 $NP -q $RULES -- $B/sigio $P $U
verdict "netpin (pid, group) made the owner of the command's I/O signals (F_SETOWN, F_SETOWN_EX, FIOSETOWN, SIOCSPGRP) with F_SETSIG SIGKILL, then I/O" \
	parent_alive=1 $PROBES f_setown_samegrp=EPERM f_setown_pid=EPERM \
	f_setown_ex_pid=EPERM fiosetown_pid=EPERM siocspgrp_pid=EPERM
escape_run 15 $NP -q $RULES -- $B/portrange $P $U
verdict "IP_LOCAL_PORT_RANGE of one port, then bind to port 0: a port the command chose without --bind" \
	portrange4=EPERM portrange6=EPERM chosen=0
escape_run 30 $NP -q -a 127.0.0.2 --bind $((P + 5)) -- $B/netpin_threads $P $U
verdict "ptrace/process_vm_writev/pidfd_getfd/tkill aimed at netpin's worker threads" \
	"netpin_threads_found=$NZ" any_succeeded=0 $PROBES
escape_run 20 $NP -q $RULES -- $B/dumpable $P $U
verdict "prctl(PR_SET_DUMPABLE, 0) (and setresuid) then connect allowed and denied" \
	set_dumpable_0=ok dumpable_after=1 $PROBES \
	'!after_setresuid_nobody:.*denied_(tcp|udp)=ok'
escape_run 20 $NOBODY $NP -q $RULES -- $B/dumpable $P $U
verdict "prctl(PR_SET_DUMPABLE, 0) as an unprivileged user under an unprivileged netpin" \
	set_dumpable_0=ok dumpable_after=1 $PROBES
# (as root the command may pass the ptrace checks that Landlock makes where
# netpin can apply a domain; as the user netpin runs as, never)
escape_run 20 $NOBODY $NP -q $RULES -- $B/selfprot $P $U
verdict "ptrace, process_vm_*, /proc/PPID/mem, pidfd_open/getfd, /proc/PPID/fd against netpin, as an unprivileged user" \
	ptrace_attach=EPERM ptrace_seize=EPERM process_vm_writev=EPERM process_vm_readv=EPERM \
	'proc_mem_rw=E(ACCES|PERM)' 'proc_mem_ro=E(ACCES|PERM)' pidfd_open=EPERM pidfd_open_thread=EPERM \
	'pidfd_getfd_procdir=E[A-Z]+' 'pidfd_send_signal_procdir=E[A-Z]+' proc_fd_reopened=0 \
	parent_alive=1 $PROBES
escape_run 30 $NOBODY $NP -q $RULES -- $B/kill_parent $P $U
verdict "kill/tkill/tgkill/sigqueue/pidfd_send_signal SIGSTOP+SIGKILL to netpin, kill(0), then connect, as an unprivileged user" \
	'!(kill|tkill|tgkill|rt_sigqueueinfo|pidfd_send_signal_procdir)_SIG[A-Z]+=ok' \
	'!_probe=ok' kill_SIGKILL=EPERM kill_SIGSTOP=EPERM \
	$NOBODY_PIDFD \
	own_child_procdir_SIGTERM=ok own_child_procdir_died_of=SIGTERM \
	parent_alive=1 $PROBES '!after-netpin-died.*=ok'
escape_run 30 $NOBODY $NP -q -a 127.0.0.2 --bind $((P + 5)) -- $B/netpin_threads $P $U
verdict "ptrace/process_vm_writev/pidfd_getfd/tkill aimed at netpin's worker threads, as an unprivileged user" \
	"netpin_threads_found=$NZ" any_succeeded=0 $PROBES
escape_run 20 $NP -q $RULES -- $B/seccomp_nl $P $U
verdict "seccomp NEW_LISTENER (a second notifier), and a stacked allow-all filter" \
	new_listener=EPERM new_listener_tsync=EPERM $PROBES
escape_run 20 $NP -q -a 127.0.0.2:$P -- $NP -q -a 127.0.0.3:$P -- $B/connect_to $P 127.0.0.3
[ -z "$OUT" ] && OUT="inner netpin exit $RC: $ERR"
verdict "nested netpin allowing 127.0.0.3 inside one allowing 127.0.0.2" \
	'!connect_to 127\.0\.0\.3:[0-9]+: ok'
escape_run 20 $NP -q $RULES -- $B/srcopts $P $U
verdict "setsockopt IP_FREEBIND/IP_TRANSPARENT/IPV6_FREEBIND/IPV6_TRANSPARENT, then a bind to an address not ours" \
	ip_freebind_udp=EPERM ip_freebind_tcp=EPERM ip_transparent_udp=EPERM \
	ip_transparent_tcp=EPERM ip_freebind_on_inet6=EPERM ipv6_freebind_udp=EPERM \
	ipv6_freebind_tcp=EPERM ipv6_transparent_udp=EPERM ipv6_transparent_tcp=EPERM \
	'!nonlocal_bind[46]=ok'
escape_run 30 $NP -q $RULES -a udp:127.0.0.5 --bind $U -- \
	$B/dns_ask -b 127.0.0.5:$U -i 127.0.0.3 pktinfo-leak.example
verdict "DNS query with an IP_PKTINFO source of a denied address: the reply must not reach it" \
	bind1=ok
escape_run 30 $NP -q $RULES -- $B/mcast_join $P $U lo 127.0.0.1
verdict "multicast group joins and source filters (IPv4, IPv6) with only unicast rules" \
	ip_add_membership=EPERM ip_add_source_membership=EPERM mcast_join_group=EPERM \
	mcast_join_source_group=EPERM mcast_msfilter=EPERM ip_msfilter=EPERM \
	ipv6_add_membership=EPERM ipv6_mcast_join_group=EPERM \
	ipv6_mcast_join_source_group=EPERM $PROBES
escape_run 20 $NP -q $RULES -- $B/socketpair $P $U
verdict "socketpair() of AF_INET and AF_TIPC refused as socket() would (AF_UNIX ok)" \
	inet_stream=EAFNOSUPPORT tipc_dgram=EAFNOSUPPORT unix_stream=ok unix_dgram=ok

# Landlock alone (tests/escape/llonly: no_new_privs and the very domain
# netpin's child applies, no seccomp filter): what the kernel layer stops
# by itself when the filter would let a call through.  ABI 4: TCP connect;
# ABI 10: the command's own UDP bind (port 0 aside), connect and sends to
# an address too.  The control: the same calls bare reach the sink.
if [ "${LL:-0}" -ge 10 ]; then
	escape_run 20 $B/llonly $B/direct $P $U all
	verdict "Landlock alone (no seccomp filter): the command's own TCP connect, UDP bind, connect and sends to an address are refused by the kernel" \
		tcp_connect=EACCES bind_port=EACCES sendto_unbound=EACCES bind_port0=ok \
		sendto_bound=EACCES connect=EACCES sendmsg=EACCES sendmmsg=EACCES \
		sendto_mapped=EACCES send_noaddr=EDESTADDRREQ
elif [ "${LL:-0}" -ge 4 ]; then
	escape_run 20 $B/llonly $B/direct $P $U tcp
	verdict "Landlock alone (no seccomp filter): the command's own TCP connect is refused by the kernel" \
		tcp_connect=EACCES
	LLSKIP="Landlock ABI $LL < 10: no UDP rights, UDP rests on the seccomp supervisor"
else
	LLSKIP="Landlock ABI ${LL:-?} < 4: no network rights, the seccomp supervisor alone"
fi
[ -n "${LLSKIP:-}" ] && skip "escape: Landlock alone (no seccomp filter): the command's own UDP calls are refused by the kernel" "$LLSKIP"
escape_run 20 $B/direct $P $U all
if printf '%s\n' "$NEW" | grep -aq "^udp 127\.0\.0\.3:$U direct-udp"; then
	pass "escape: Landlock alone, the control: the same calls made bare reach the denied sink"
else
	fail "escape: Landlock alone, the control: the same calls made bare reach the denied sink" "the sink recorded: $(printf '%s\n' "$NEW" | head -3 | tr '\n' ' ')"
fi

# races on what a call names (tests/escape/run.sh's last ones): a file
# passed with SCM_RIGHTS in the addfd mode, as nobody (a privileged netpin
# reopens nothing), while a thread dup2()s a writable one onto its number
for kind in file pipe; do
	escape_run 30 $NOBODY env NETPIN_BIN=$NP /bin/np-addfd -q $RULES -- $B/race_scm_reopen $P $U $kind
	verdict "addfd mode: SCM_RIGHTS of a read-only file while a thread dup2()s a writable $kind onto its number: never received writable" \
		escalated=0 a_changed=0 foreign=0 $PASSED
done
# --deny-unix while a thread swaps the name between the denied socket and
# an allowed one; the denied server's record must stay empty
for how in exchange symlink; do
	UD=/tmp/ud-$how
	mkdir -p "$UD"
	$B/race_unix_deny serve "$UD" 2>"$UD.err" &
	udpid=$!
	i=0
	while [ ! -e "$UD/ready" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	escape_run 30 $NP -q $RULES --deny-unix "$UD/denied.sock" -- $B/race_unix_deny $P $U "$UD" $how
	OUT="$OUT server_denied=$(grep -c "^denied" "$UD/record" 2>/dev/null)"
	verdict "--deny-unix while a thread swaps the name between the denied socket and an allowed one ($how)" \
		to_denied=0 server_denied=0 "to_allowed=$NZ" "eacces=$NZ"
	kill $udpid 2>/dev/null
done
