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

# exec of a setuid-root binary (/escape/setuid_root: the image holds it
# setuid root) by a user that is not root: nothing gained, where setuid
# works at all here (no no_new_privs from the runtime, no nosuid mount)
SETUID_WHAT="exec of a setuid-root binary gains nothing (no_new_privs)"
if [ ! -u $B/setuid_root ]; then
	skip "escape: $SETUID_WHAT" "the image's $B/setuid_root is not setuid (Docker's COPY drops the bit; only root can make one)"
else
	me=$(id -u)
	[ $ROOT = 1 ] && me=65534
	ctl=$($NOBODY $B/setuid_root $P child 2>/dev/null)
	case $ctl in
	*" euid=0 "*)
		escape_run 20 $NOBODY $NP -q $RULES -- $B/setuid $P $B/setuid_root
		verdict "$SETUID_WHAT" NoNewPrivs=1 euid=$me '!euid=0 ' '!raw_socket=ok' ;;
	*)
		escape_run 20 $NOBODY $NP -q $RULES -- $B/setuid $P $B/setuid_root
		verdict "$SETUID_WHAT (setuid does not work here at all: $ctl)" NoNewPrivs=1 euid=$me '!euid=0 ' '!raw_socket=ok' ;;
	esac
fi

# the attacks whose servers or judges are python (not in the image): the
# escape area runs them on the host, in both modes
skip "escape: --learn and DNS labels the command chose, stray DNS queries, a stopped terminal, multicast capture" \
	"their servers and judges are python (anydns, learncheck, stray_dns, tcoff, mcast_cap): the escape area runs them on the host"
