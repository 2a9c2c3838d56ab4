#!/usr/bin/env bash
# udp: sendto, connect, sendmsg and sendmmsg, allowed and denied.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

expect_allowed "UDP sendto allowed" t-sendto-ok \
	-a 127.0.0.2:9001 -- "$OP" udp-sendto 127.0.0.2 9001 t-sendto-ok
expect_denied "UDP sendto denied" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-sendto 127.0.0.3 9001 t-sendto-deny
expect_allowed "UDP connect+send allowed" t-uconn-ok \
	-a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.2 9001 t-uconn-ok
expect_denied "UDP connect denied" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.3 9001 t-uconn-deny
run -a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.3 9001 t-uconn-quiet
case "$out:$err" in
*"denied connect"*) fail "a denied UDP connect is not printed without -v" "$err" ;;
"$DENY":*) pass "a denied UDP connect is not printed without -v" ;;
*) fail "a denied UDP connect is not printed without -v" "out '$out' $err" ;;
esac
run -v -a 127.0.0.2:9001 -- "$OP" udp-connect 127.0.0.3 9001 t-uconn-v
case $err in
*"denied connect to 127.0.0.3:9001/udp"*) pass "a denied UDP connect is printed with -v" ;;
*) fail "a denied UDP connect is printed with -v" "$err" ;;
esac
expect_allowed "UDP sendmsg allowed" t-smsg-ok \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmsg 127.0.0.2 9001 t-smsg-ok
expect_denied "UDP sendmsg denied" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmsg 127.0.0.3 9001 t-smsg-deny
expect_allowed "UDP sendmmsg, all allowed" t-mm-b \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmmsg 127.0.0.2 9001 t-mm-a 127.0.0.2 9001 t-mm-b
mark
run -a 127.0.0.2:9001 -- "$OP" udp-sendmmsg 127.0.0.2 9001 t-mmx-a 127.0.0.3 9001 t-mmx-b 127.0.0.2 9001 t-mmx-c
if [ "$out" = "ok 1" ] && got t-mmx-a && silent t-mmx-b && silent t-mmx-c; then
	pass "sendmmsg with a denied second message sends only the first and returns 1"
else
	fail "sendmmsg with a denied second message sends only the first and returns 1" "out '$out'; $(new_lines)"
fi
expect_denied "sendmmsg whose first message is denied fails with the deny errno" 127.0.0.3:9001 \
	-a 127.0.0.2:9001 -- "$OP" udp-sendmmsg 127.0.0.3 9001 t-mmd-a 127.0.0.2 9001 t-mmd-b
