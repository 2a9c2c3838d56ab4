# shellcheck shell=sh
# shellcheck disable=SC2034 # (what it sets, the files that source it read)
# tests/escape/judge.sh — how an attack of tests/escape is run and judged,
# sourced by tests/escape/run.sh (the host's escape area) and by
# tests/vm/escape.sh (the guests of tests/vm.sh, whose initramfs holds it
# as /escape/judge.sh; their shell is busybox sh: POSIX only here).  Each
# reports a verdict in its own way (a TAP line of its own, or the guest's
# pass and fail).
#
# The sourcing file sets REC, the recorder's record (a line per connection
# or datagram, "tcp 127.0.0.3:9600 ..."), and ESCAPE_ERR, the file an
# attack's stderr goes to; ESCAPE_SETSID is how an attack gets a session of
# its own ("setsid -w" unless set: busybox's setsid has no -w).

# words of the checks: a count above 0; how a denied connect or send fails
# (netpin's --deny-errno default); common.h's probe_all() as it should read
NZ='[1-9][0-9]*'
D=EHOSTUNREACH
PROBES="allowed_tcp=ok denied_tcp=$D allowed_udp=ok denied_udp=$D"

# rec_quiet: wait until the recorder has written what it had to write: no
# new record for 0.3 s (polled every 0.1 s; at most 30 s).  A record of a TCP
# connection is written at its EOF, by a thread of the recorder's: after an
# attack of thousands of connections a loaded machine's recorder can write
# for seconds, and what it writes then must not count for the next attack.
rec_quiet() {
	rq_n=$(wc -l <"$REC") rq_same=0 rq_i=0
	while [ $rq_same -lt 3 ] && [ $rq_i -lt 300 ]; do
		sleep 0.1
		rq_m=$(wc -l <"$REC")
		if [ "$rq_m" = "$rq_n" ]; then
			rq_same=$((rq_same + 1))
		else
			rq_same=0 rq_n=$rq_m
		fi
		rq_i=$((rq_i + 1))
	done
}

# escape_run SECONDS COMMAND...: COMMAND in a session of its own, stopped
# after SECONDS; what it printed in OUT, its exit status in RC, the last
# lines of its stderr in ERR, the records it caused in NEW, how many of them
# reached the denied 127.0.0.3 in DENIED, and when it started (seconds
# since boot) in started
escape_run() {
	secs=$1
	shift
	before=$(wc -l <"$REC")
	started=$(cut -d. -f1 /proc/uptime)
	# shellcheck disable=SC2086 # (a command and its options)
	OUT=$(timeout -k 2 "$secs" ${ESCAPE_SETSID:-setsid -w} "$@" 2>"$ESCAPE_ERR" </dev/null)
	RC=$?
	rec_quiet
	NEW=$(tail -n +$((before + 1)) "$REC")
	# -a: a record may hold binary (a DNS reply)
	DENIED=$(printf '%s\n' "$NEW" | grep -ac ' 127\.0\.0\.3:')
	ERR=$(grep -v 'control message level' "$ESCAPE_ERR" | tail -n 2 | tr '\n' ' ' | head -c 300)
}

# escape_judge CHECK...: why the last escape_run fails its checks, in why
# (empty: it passes).  Each CHECK is "key=regex", which must be a whole
# token of OUT; "!ERE", which must not match OUT; or "@ERE", which must
# match no new record.  And nothing may have reached 127.0.0.3.
escape_judge() {
	why=
	[ -z "$OUT" ] && why="no output, exit $RC; $ERR"
	for c in "$@"; do
		case $c in
		!*) printf '%s\n' "$OUT" | grep -qE -- "${c#!}" && why="$why; matched '${c#!}'" ;;
		@*) printf '%s\n' "$NEW" | grep -aqE -- "${c#@}" && why="$why; server recorded '${c#@}'" ;;
		*) printf '%s\n' "$OUT" | grep -qE -- "(^| )${c}( |$)" || why="$why; expected ${c}" ;;
		esac
	done
	if [ "$DENIED" -gt 0 ]; then
		why="$why; 127.0.0.3 RECEIVED $DENIED: $(printf '%s\n' "$NEW" | grep -a ' 127\.0\.0\.3:' | tr -c '[:print:]\n' '.' | sort | uniq -c | head -3 | tr '\n' ' ')"
	fi
	why=${why#; }
}
