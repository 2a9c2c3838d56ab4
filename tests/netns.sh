# shellcheck shell=bash
# tests/netns.sh — sourced, first thing, by test.sh, tests/valgrind.sh,
# tests/bench.sh and tests/demo.sh (bash), with the script's arguments:
#
#	. "$(dirname "$0")/tests/netns.sh" "$@"
#
# It runs the script again inside a network namespace of its own with lo up
# (unshare -n as root, else unshare -rn where user namespaces are allowed),
# so that nothing the script does can leave the machine: every server and
# every destination is a loopback address.  Source it before any cd: the
# script is run again by the path it was started with.
#
# NETPIN_NETNS (exported) says where the script runs: root, user, or none
# (no namespace could be made: the script runs on the host's loopback).  A
# script started by another one that is already in a namespace finds it set
# and stays in the same namespace.

if [ -z "${NETPIN_NETNS:-}" ]; then
	if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
		exec unshare -n env NETPIN_NETNS=root bash "$(readlink -f "$0")" "$@"
	elif unshare -rn true 2>/dev/null; then
		exec unshare -rn env NETPIN_NETNS=user bash "$(readlink -f "$0")" "$@"
	fi
	export NETPIN_NETNS=none
fi
if [ "$NETPIN_NETNS" != none ]; then
	ip link set lo up 2>/dev/null || busybox ip link set lo up 2>/dev/null || {
		echo "${0##*/}: cannot bring lo up in the network namespace" >&2
		exit 1
	}
fi
