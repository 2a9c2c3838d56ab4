#!/usr/bin/env bash
# test.sh — the tests of netpin, by area.
#
#	./test.sh                        every area, in both modes
#	./test.sh -l                     list the areas, in the order they run
#	./test.sh [-m MODE] [AREA...]    some areas, in one mode or both:
#	                                 MODE is pidfd_getfd, addfd or both
#
# The output is TAP: "ok N - what", "not ok N - what", "ok N - what # SKIP
# why", notes starting with '#', the plan "1..N" once every test has run,
# and last the line "N passed, N failed, N skipped".  The exit status is 0
# when no test failed.
#
# An area is one file, tests/areas/NN-NAME.sh (NN orders the full run).  It
# sources tests/libtest.sh, starts the servers it needs, and prints its
# tests' lines unnumbered; this script builds netpin and the test helpers,
# runs each area in a process of its own, and numbers and counts the lines.
# A new area is a new file there.
#
# An area whose tests mostly wait (the vm area: guests under qemu, for
# minutes) has the line "# test.sh: start early" in its file: it starts in
# the background once netpin is built, beside the areas before it, at a
# lower priority (nice 10: the areas in the foreground keep their pace), and
# its lines, kept in a file until then, are counted at its place, so that
# the order and the numbers are those of a run one area after another.
#
# As root the tests run inside a network namespace of their own
# (tests/netns.sh), so that nothing they do can leave the machine; every
# server and every destination is a loopback address.
#
# netpin has two ways to mediate: it takes the command's sockets with
# pidfd_getfd, or, where a seccomp profile refuses pidfd_getfd (Docker's
# default), it creates them itself and installs them in the command
# (SECCOMP_IOCTL_NOTIF_ADDFD).  Every area runs in the pidfd_getfd mode,
# then again in the addfd mode, with netpin under tests/np-addfd, which
# refuses what Docker's profile refuses; those lines are prefixed "addfd
# mode: ".  The BPF interpreter, valgrind, the sanitizer build and the
# fuzzers do not depend on the mode: their areas run in the pidfd_getfd mode
# only, and check both modes where the mode matters.
#
# An area that had a failure keeps what says why: its lines (as it printed
# them) and its directory (its servers' logs and records, its helpers' output)
# are moved to a directory that outlives the run, $NETPIN_TEST_KEEP or else
# a new /tmp/netpin-failed.XXXXXX, named at the end with the failed tests.
# The other areas' files are removed as each ends.
#
# A run that is stopped (Ctrl-C, SIGTERM, SIGHUP) says "Bail out!", stops
# every process it started (each has NETPIN_TEST_RUN in its environment,
# whatever process group or session it is in) and removes its files.
set -u
here=$(cd "$(dirname "$0")" && pwd)
args=("$@")

usage() {
	echo "usage: ./test.sh [-m pidfd_getfd|addfd|both] [AREA...]"
	echo "       ./test.sh -l"
}
area_name() {
	local n=${1##*/}
	n=${n%.sh}
	echo "${n#[0-9]*-}"
}
files=("$here"/tests/areas/[0-9]*-*.sh)

mode=${NETPIN_TEST_MODE:-both}
while getopts lm:h opt; do
	case $opt in
	l)
		for f in "${files[@]}"; do area_name "$f"; done
		exit 0 ;;
	m) mode=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $mode in
both) modes=(pidfd_getfd addfd) ;;
pidfd_getfd | addfd) modes=("$mode") ;;
*) echo "test.sh: -m $mode: the mode is pidfd_getfd, addfd or both" >&2; exit 2 ;;
esac
chosen=()
if [ $# = 0 ]; then
	chosen=("${files[@]}")
fi
for a in "$@"; do
	found=
	for f in "${files[@]}"; do
		[ "$(area_name "$f")" = "$a" ] && found=$f
	done
	[ -n "$found" ] || { echo "test.sh: no area '$a' (./test.sh -l lists them)" >&2; exit 2; }
	chosen+=("$found")
done

# shellcheck source=tests/netns.sh
. "$here/tests/netns.sh" "${args[@]}"
cd "$here" || exit 1
libtest_driver=1
# shellcheck source=tests/libtest.sh
. tests/libtest.sh

n=0 passed=0 failed=0 skipped=0
FAILED=() # the failed tests' lines, said again at the end
# count LINE [PREFIX]: number an area's test line (PREFIX before its name);
# notes go on as they are, other lines become notes
count() {
	case $1 in
	"ok - "*" # SKIP "*)
		n=$((n + 1)) skipped=$((skipped + 1))
		echo "ok $n - ${2:-}${1#ok - }" ;;
	"ok - "*)
		n=$((n + 1)) passed=$((passed + 1))
		echo "ok $n - ${2:-}${1#ok - }" ;;
	"not ok - "*)
		n=$((n + 1)) failed=$((failed + 1))
		FAILED+=("not ok $n - ${2:-}${1#not ok - }")
		echo "${FAILED[-1]}" ;;
	"#"*) echo "$1" ;;
	*) echo "# $1" ;;
	esac
}
finish() {
	local f
	echo "# $((SECONDS / 60)) min $((SECONDS % 60)) s"
	for f in "${FAILED[@]}"; do echo "# failed: $f"; done
	[ -z "$KEPT" ] || echo "# the output and files of the areas with a failure: $KEPT"
	echo "1..$n"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
	exit
}

RUN=$(mktemp -d /tmp/netpin-test.XXXXXX) || exit 1
# (755: some tests run as nobody, from files of theirs in an area's directory)
chmod 755 "$RUN"
export NETPIN_TEST_RUN=$RUN
trap 'cd / && rm -rf "$RUN"' EXIT
# shellcheck disable=SC2317 # (called by the traps)
stopped() {
	trap '' HUP INT TERM
	echo "Bail out! stopped by SIG$1"
	stop_marked "NETPIN_TEST_RUN=$RUN"
	exit $((128 + $2))
}
trap 'stopped HUP 1' HUP
trap 'stopped INT 2' INT
trap 'stopped TERM 15' TERM

# area FILE MODE: run the area (its lines on stdout; its files in
# $RUN/MODE-NAME, which it leaves there for keep_area)
area() {
	exec env NETPIN_TEST_MODE="$2" NETPIN_TEST_AREA_DIR="$RUN/$2-$(area_name "$1")" \
		bash "$1" </dev/null 2>&1
}
# keep_area NAME MODE LOG FAILED: an area that had a failure (FAILED not
# 0) has its lines (LOG) and its directory moved to KEPT (made at the first
# such area); another's directory is removed
KEPT=
keep_area() {
	local dir=$RUN/$2-$1
	if [ "$4" = 0 ]; then
		rm -rf "$dir"
		return 0
	fi
	if [ -z "$KEPT" ]; then
		KEPT=${NETPIN_TEST_KEEP:-$(mktemp -d /tmp/netpin-failed.XXXXXX)} &&
			mkdir -p "$KEPT" || { KEPT= && return 0; }
	fi
	mv "$3" "$KEPT/$2-$1.log"
	[ -d "$dir" ] && mv "$dir" "$KEPT/$2-$1"
	echo "# $2 $1: its lines and files are kept: $KEPT/$2-$1.log, $KEPT/$2-$1/"
}
# start_early FILE MODE: an area marked "# test.sh: start early" starts in
# the background, at nice 10; its lines go to $RUN/early-MODE-NAME, then
# its exit status and end time (SECONDS) to that file's .end
declare -A EARLY=()
start_early() {
	local out
	grep -q '^# test.sh: start early$' "$1" || return 0
	out=$RUN/early-$2-$(area_name "$1")
	(
		renice -n 10 -p "$BASHPID" >/dev/null 2>&1
		(area "$1" "$2") >"$out"
		echo "$? $SECONDS" >"$out.end"
	) &
	EARLY[$1]="$! $SECONDS $out"
}

# run_area FILE MODE PREFIX: the area, in a process of its own (or, started
# early, its lines once it has ended)
run_area() {
	local name line status start=$SECONDS end waited=$SECONDS before=$n pid out
	local failed_before=$failed log
	name=$(area_name "$1")
	log=$RUN/$2-$name.log
	: >"$log"
	if [ -n "${EARLY[$1]:-}" ]; then
		read -r pid start out <<<"${EARLY[$1]}"
		unset "EARLY[$1]"
		wait "$pid"
		read -r status end <"$out.end" || status="unknown: no $out.end" end=$SECONDS
		while IFS= read -r line; do
			count "$line" "$3"
		done <"$out"
		mv "$out" "$log"
	else
		while IFS= read -r line; do
			printf '%s\n' "$line" >>"$log"
			count "$line" "$3"
		done < <(area "$1" "$2")
		wait $!
		status=$? end=$SECONDS
	fi
	[ "$status" = 0 ] || count "not ok - $name: the area runs to its end (exit status $status)" "$3"
	echo "# $3$name: $((n - before)) tests, $((end - start)) s$([ -n "${out:-}" ] &&
		echo " (started early, beside the areas before it; $((SECONDS - waited)) s waited for it here)")"
	keep_area "$name" "$2" "$log" $((failed - failed_before))
}

echo "# areas: $(for f in "${chosen[@]}"; do area_name "$f"; done | tr '\n' ' ')- modes: ${modes[*]} - files: $RUN"
[ "$NETPIN_NETNS" = none ] &&
	echo "# note: no network namespace available; tests use loopback addresses only"
for m in "${modes[@]}"; do
	prefix=
	[ "$m" = addfd ] && prefix="addfd mode: "
	if ! make -s netpin helpers >"$RUN/build.log" 2>&1; then
		count "not ok - build (make netpin helpers) — $(tail -5 "$RUN/build.log" | tr '\n' ' ')" "$prefix"
		finish
	fi
	count "ok - build: netpin and test helpers" "$prefix"
	for f in "${chosen[@]}"; do
		start_early "$f" "$m"
	done
	for f in "${chosen[@]}"; do
		run_area "$f" "$m" "$prefix"
	done
done
finish
