#!/usr/bin/env bash
# mode: netpin mediates in the mode the run asks for, and -v says which.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

run -v -a 127.0.0.2 -- true
case "$rc:$err" in
*"mediation: pidfd_getfd"*"mediation: addfd"* | *"mediation: addfd"*"mediation: pidfd_getfd"*)
	fail "-v names the mediation mode ($MODE)" "both modes named: $err" ;;
0:*"netpin: mediation: $MODE ("*) pass "-v names the mediation mode ($MODE)" ;;
*) fail "-v names the mediation mode ($MODE)" "rc $rc $err" ;;
esac

# netpin --check: what this machine gives netpin, one line each, no command
# run; 0 when netpin can enforce here, 125 (and why) when it cannot
run --check
abi=$(sed -n 's/^landlock: ABI \([0-9]*\).*/\1/p' <<<"$out")
case "$rc:$out" in
0:*"mediation: $MODE ("*"landlock: "*"proc: own"*"listener: free"*"unix sockets by path: yes"*"enforce: yes"*)
	pass "--check says the mode of this run ($MODE), the layers, /proc, a free listener; exit 0" ;;
*) fail "--check says the mode of this run ($MODE), the layers, /proc, a free listener; exit 0" "rc $rc out $out err $err" ;;
esac
run -v -a 127.0.0.2 -- true
if [ -n "$abi" ]; then
	[[ $err == *"layer 2: Landlock ABI $abi"* ]] && pass "--check's Landlock ABI is the one -v reports" ||
		fail "--check's Landlock ABI is the one -v reports" "check ABI $abi; -v: $err"
else
	[[ $err == *"layer 2: Landlock unavailable"* || $err == *"layer 2: Landlock ABI < 4"* ]] &&
		pass "--check's Landlock ABI is the one -v reports" ||
		fail "--check's Landlock ABI is the one -v reports" "-v: $err"
fi
run -a 127.0.0.2 -- "$NP" --check
case "$rc:$out" in
125:*"listener: refused"*"enforce: no ("*) pass "--check under netpin: no listener can be had; it says netpin cannot enforce (125)" ;;
*) fail "--check under netpin: no listener can be had; it says netpin cannot enforce (125)" "rc $rc out $out err $err" ;;
esac
run -a 127.0.0.2 -- "$NP" -a 127.0.0.2 -- true
case "$rc:$err" in
*"lo up"*) fail "netpin under netpin: 125, saying why, with no hint about the loopback" "rc $rc err $err" ;;
125:*"under netpin"*"NEW_LISTENER): Operation not permitted: a filter above netpin refuses"*)
	pass "netpin under netpin: 125, saying why, with no hint about the loopback" ;;
*) fail "netpin under netpin: 125, saying why, with no hint about the loopback" "rc $rc err $err" ;;
esac
if [ -x "$ROOT/tests/refuse" ]; then
	"$ROOT/tests/refuse" listener -- "$NP" --check >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	case "$rc:$out" in
	125:*"listener: taken (seccomp(NEW_LISTENER): "*"enforce: no ("*)
		pass "--check where a seccomp listener is taken: 'taken', cannot enforce (125)" ;;
	*) fail "--check where a seccomp listener is taken: 'taken', cannot enforce (125)" "rc $rc out $out" ;;
	esac
fi
