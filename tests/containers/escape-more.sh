# shellcheck shell=sh
# shellcheck disable=SC2086 # (NP, NOBODY, RULES, PROBES: word lists)
# tests/containers/escape-more.sh — the attacks of tests/escape that
# tests/vm/escape.sh leaves to the host and that need nothing but the
# image, sourced by tests/containers/run.sh after /escape.sh (its
# escape_run and verdict, its P, U, B, RULES, PROBES, NZ and D).  The checks
# are tests/escape/run.sh's (keep them in step with it).

# more sockets than netpin has descriptors for (the host uses prlimit;
# busybox's sh lowers its own limit, which netpin inherits: 2048, or the
# runtime's hard limit where it is lower, as containerd's 1024)
# shellcheck disable=SC3045 # (busybox's ulimit has -H)
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 2048 ] && nofile=2048
# shellcheck disable=SC2016 # (expanded by that sh)
escape_run 40 sh -c 'ulimit -n "$0" && exec "$@"' $nofile $NP -q $RULES -- $B/fd_flood $P $U
verdict "more sockets than netpin can hold, then closed: socket() and connect work again" \
	'flooded=[1-9][0-9]*' after=ok

escape_run 40 $NP -q $RULES -- $B/stuck_workers $P $U
verdict "300 calls stuck in netpin's workers, then killed: new calls are served" \
	'while_stuck=(ok|EAGAIN)' after_dns=20/20 after_connect=ok '!hung=1'

escape_run 40 $NP -q $RULES -- $B/thread_exit $P $U
verdict "threads/processes exiting with calls in flight; netpin still works after" \
	denied_ok=0 "rounds=$NZ" $PROBES

escape_run 30 $NP -q -a 127.0.0.2 --bind $((P + 5)) -- $B/sched_attack $P $U
verdict "prlimit64/setpriority/sched_setscheduler/sched_setattr/sched_setaffinity/ioprio_set on netpin and its threads" \
	"netpin_threads_found=$NZ" netpin_prlimit_cpu=EPERM netpin_prlimit_nofile=EPERM \
	netpin_setpriority=EPERM netpin_setpriority_pgrp=EPERM netpin_sched_setscheduler=EPERM \
	netpin_sched_setattr=EPERM netpin_sched_setaffinity=EPERM netpin_ioprio_set=EPERM \
	"thread_calls=$NZ" thread_not_eperm=0 netpin_state_changed=0 thread_state_changed=0 \
	$PROBES child_prlimit_cpu=ok child_setpriority_pgrp=ok self_sched_setscheduler=ok \
	'!(^| )(child|self)_[a-z_]+=E'

# a read of the command's memory that never returns (userfaultfd: the
# attack says skip=WHY where this user may not have one)
escape_run 30 $NP -q $RULES -- $B/uffd_stall $P $U
case $OUT in
skip=*) skip "escape: a stalled read of the command's memory holds up its own call only" "${OUT#skip=}" ;;
*) verdict "a stalled read of the command's memory holds up its own call only" \
	stalled=1 after_allowed=ok 'after_denied=E[A-Z]+' after_udp=ok '!hung=1' '!after_denied=ok' ;;
esac

# exec of a setuid-root binary by a user that is not root: nothing gained
# (no_new_privs).  The setuid-root copy is made here, as root (an image's
# COPY keeps no setuid bit); where setuid works at all (the runtime set
# no no_new_privs), the control says euid=0
SETUID_WHAT="exec of a setuid-root binary gains nothing (no_new_privs)"
if [ $ROOT = 0 ]; then
	skip "escape: $SETUID_WHAT" "not root here: no setuid-root file can be made"
elif ! mkdir -p /tmp/suid || ! cp $B/setuid /tmp/suid/setuid_root || ! chmod 4755 /tmp/suid/setuid_root; then
	skip "escape: $SETUID_WHAT" "cannot make /tmp/suid/setuid_root"
else
	ctl=$($NOBODY /tmp/suid/setuid_root $P child 2>/dev/null)
	case $ctl in
	*" euid=0 "*) ;;
	*) note "escape: setuid does nothing here even without netpin (the runtime's no_new_privs): $ctl" ;;
	esac
	escape_run 20 $NOBODY $NP -q $RULES -- $B/setuid $P /tmp/suid/setuid_root
	verdict "$SETUID_WHAT" NoNewPrivs=1 euid=65534 '!euid=0 ' '!raw_socket=ok'
fi

# the attacks whose servers or judges are python (not in the image): the
# escape area runs them on the host, in both modes
skip "escape: --learn and DNS labels the command chose, stray DNS queries, a stopped terminal, multicast capture" \
	"their servers and judges are python (anydns, learncheck, stray_dns, tcoff, mcast_cap): the escape area runs them on the host"
