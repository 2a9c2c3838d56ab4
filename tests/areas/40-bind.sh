#!/usr/bin/env bash
# bind: --bind, ephemeral ports, privileged ports, listen().
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

run -a 127.0.0.2 -- "$OP" bind tcp 127.0.0.2 0
case $out in "ok "[1-9]*) pass "bind to port 0 is always allowed" ;; *) fail "bind to port 0 is always allowed" "$out $err" ;; esac
run -a 127.0.0.2 -- "$OP" bind tcp 127.0.0.2 9100
[ "$out" = EACCES ] && pass "bind to a port without --bind is denied" || fail "bind to a port without --bind is denied" "$out"
run --bind 9100-9101 -- "$OP" bind tcp 127.0.0.2 9101
[ "$out" = "ok 9101" ] && pass "--bind allows its ports (TCP)" || fail "--bind allows its ports (TCP)" "$out $err"
run --bind 9100,9105 -- "$OP" bind udp 127.0.0.2 9105
[ "$out" = "ok 9105" ] && pass "--bind allows its ports (UDP)" || fail "--bind allows its ports (UDP)" "$out $err"
run --bind 9100 -- "$OP" bind-listen 127.0.0.2 9100
[ "$out" = "ok 9100" ] && pass "bind+listen on an allowed port" || fail "bind+listen on an allowed port" "$out $err"
run --bind 9100 -- "$OP" bind udp 127.0.0.2 9102
[ "$out" = EACCES ] && pass "--bind allows no other port" || fail "--bind allows no other port" "$out"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	run --bind 80 -- setpriv --inh-caps=-all --bounding-set=-net_bind_service "$OP" bind tcp 127.0.0.2 80
	[ "$out" = EACCES ] && pass "no privileged port is bound for a command without CAP_NET_BIND_SERVICE" ||
		fail "no privileged port is bound for a command without CAP_NET_BIND_SERVICE" "$out $err"
else
	skip "no privileged port is bound for a command without CAP_NET_BIND_SERVICE" "needs root and setpriv"
fi

LISTEN='import socket,sys; s=socket.socket(); s.bind(("127.0.0.2", int(sys.argv[1]))); s.listen(1); print("listening", s.getsockname()[1])'
run -a 127.0.0.2 -- python3 -c "$LISTEN" 0
# (netpin's line and the command's traceback may come in either order)
case "$rc:$err" in 1:*"denied listen on 127.0.0.2:"*) case $err in *PermissionError*) pass "listen() on an ephemeral port is denied" ;;
	*) fail "listen() on an ephemeral port is denied" "rc $rc $out $err" ;; esac ;;
*) fail "listen() on an ephemeral port is denied" "rc $rc $out $err" ;; esac
run -a 127.0.0.2 -- python3 -c 'import socket; s=socket.socket(); s.listen(1); print("listening", s.getsockname())'
case "$rc:$err" in 1:*PermissionError*) pass "listen() without bind is denied (no ephemeral listener)" ;;
*) fail "listen() without bind is denied (no ephemeral listener)" "rc $rc $out $err" ;; esac
run --bind 9110 -- python3 -c "$LISTEN" 9110
[ "$rc:$out" = "0:listening 9110" ] && pass "listen() on a --bind port" || fail "listen() on a --bind port" "rc $rc $out $err"
