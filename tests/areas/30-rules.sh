#!/usr/bin/env bash
# rules: protocols, ports, prefixes and families of a rule.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

expect_denied "tcp: rule does not allow UDP" 127.0.0.2:9001 \
	-a tcp:127.0.0.2 -- "$OP" udp-sendto 127.0.0.2 9001 t-tcponly
expect_allowed "tcp: rule allows TCP" t-tcpok \
	-a tcp:127.0.0.2 -- "$OP" tcp 127.0.0.2 9000 t-tcpok
expect_denied "udp: rule does not allow TCP" 127.0.0.2:9000 \
	-a udp:127.0.0.2 -- "$OP" tcp 127.0.0.2 9000 t-udponly
expect_allowed "udp: rule allows UDP" t-udpok \
	-a udp:127.0.0.2 -- "$OP" udp-sendto 127.0.0.2 9001 t-udpok
expect_denied "a single port does not allow another" 127.0.0.2:9002 \
	-a 127.0.0.2:9000 -- "$OP" tcp 127.0.0.2 9002 t-port
expect_allowed "a port range allows its end" t-range \
	-a 127.0.0.2:9000-9002 -- "$OP" tcp 127.0.0.2 9002 t-range
expect_denied "a port range stops at its end" 127.0.0.2:9003 \
	-a 127.0.0.2:9000-9002 -- "$OP" tcp 127.0.0.2 9003 t-range-out
expect_allowed "a port list allows each member" t-list \
	-a 127.0.0.2:9000,9003 -- "$OP" tcp 127.0.0.2 9003 t-list
expect_denied "a port list allows nothing else" 127.0.0.2:9002 \
	-a 127.0.0.2:9000,9003 -- "$OP" tcp 127.0.0.2 9002 t-list-out
expect_allowed "an IPv4 CIDR allows an address inside it" t-cidr \
	-a 127.0.0.0/30:9000 -- "$OP" tcp 127.0.0.3 9000 t-cidr
expect_denied "an IPv4 CIDR allows nothing outside it" 127.0.0.2:9000 \
	-a 127.0.0.4/30 -- "$OP" tcp 127.0.0.2 9000 t-cidr-out
expect_allowed "IPv6 ::1 allowed by [::1]:9000" t-v6 \
	-a '[::1]:9000' -- "$OP" tcp ::1 9000 t-v6
expect_allowed "IPv6 ::1 allowed by a bare ::1 rule" t-v6b \
	-a ::1 -- "$OP" tcp ::1 9000 t-v6b
expect_allowed "IPv6 CIDR [::]/0 allows ::1 over UDP" t-v6u \
	-a 'udp:[::]/0:9001' -- "$OP" udp-sendto ::1 9001 t-v6u
expect_denied "IPv6 ::1 denied by an IPv4 rule" '[::1]:9000' \
	-a 127.0.0.1 -- "$OP" tcp ::1 9000 t-v6-deny
expect_allowed "IPv4-mapped IPv6 is matched as IPv4 (allowed)" t-mapped \
	-a 127.0.0.2:9000 -- "$OP" tcp ::ffff:127.0.0.2 9000 t-mapped
expect_denied "IPv4-mapped IPv6 is matched as IPv4 (denied)" 127.0.0.3:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp ::ffff:127.0.0.3 9000 t-mapped-deny
expect_allowed "0.0.0.0 is matched as loopback (allowed by 127.0.0.1)" t-any \
	-a 127.0.0.1:9000 -- "$OP" tcp 0.0.0.0 9000 t-any
expect_denied "0.0.0.0 is denied without a loopback rule" 127.0.0.1:9000 \
	-a 127.0.0.2:9000 -- "$OP" tcp 0.0.0.0 9000 t-any-deny
expect_denied "0.0.0.0 from a socket bound to 127.0.0.3 is 127.0.0.3" 127.0.0.3:9000 \
	-a 127.0.0.1:9000 -- "$OP" tcp-bind-connect 127.0.0.3 0.0.0.0 9000
expect_allowed "an IPv4-mapped rule is an IPv4 rule" t-maprule \
	-a '[::ffff:127.0.0.2]:9000' -- "$OP" tcp 127.0.0.2 9000 t-maprule

# link-local IPv6 (fe80::/10): the same address is another host on every
# link, so only a rule that names the zone allows it
ll() { # WHAT WANT RULE ZONE: the connect's result must (not) be $DENY
	run -a "$3" -- python3 "$ROOT/tests/helpers/ll_connect.py" "$4"
	case $2:$out in
	denied:"$DENY" | kernel:E[A-Z]* | kernel:ok | kernel:timeout)
		[ "$2:$out" = "kernel:$DENY" ] && fail "$1" "out $out err $err" || pass "$1" ;;
	*) fail "$1" "out '$out' rc $rc err $err" ;;
	esac
}
ll "link-local: ::/0 does not allow fe80::1 on a link" denied '::/0' lo
ll "link-local: [fe80::1%lo] allows fe80::1 on lo (the kernel answers)" kernel '[fe80::1%lo]' lo
ll "link-local: [fe80::1%lo] does not allow fe80::1 on another link" denied '[fe80::1%lo]' 4242
ll "link-local: fe80::/10 without a zone allows no link" denied 'fe80::/10' lo
run -a 'fe80::1%nosuchif0' -- true
[ "$rc" = 125 ] && pass "link-local: a zone that names no interface is a bad rule (125)" ||
	fail "link-local: a zone that names no interface is a bad rule (125)" "rc $rc err $err"

# deny rules: checked before allow rules, in every form of the address
expect_denied "--deny: a denied address inside an allowed prefix" 127.0.0.3:9000 \
	-a 127.0.0.0/8 --deny 127.0.0.3 -- "$OP" tcp 127.0.0.3 9000 t-deny-1
expect_allowed "--deny: the rest of the prefix stays allowed" t-deny-2 \
	-a 127.0.0.0/8 --deny 127.0.0.3 -- "$OP" tcp 127.0.0.2 9000 t-deny-2
expect_denied "--deny: the IPv4-mapped form is refused too" 127.0.0.3:9000 \
	-a 127.0.0.0/8 -a ::/0 --deny 127.0.0.3 -- "$OP" tcp ::ffff:127.0.0.3 9000 t-deny-3
run -a 0.0.0.0/0 -a ::/0 --deny 127.0.0.3 -- "$OP" tcp 64:ff9b::7f00:3 9000 t-deny-4
case "$out:$err" in
"$DENY:"*"the deny rule !127.0.0.3 refuses it"*) pass "--deny: the NAT64 form is refused too, and the line names the deny rule" ;;
*) fail "--deny: the NAT64 form is refused too, and the line names the deny rule" "out '$out' err $err" ;;
esac
printf '127.0.0.0/8\n! tcp:127.0.0.2:9000\n' >"$T/deny-allow"
expect_denied "an allow-file line '!RULE' is a deny rule (its protocol and port)" 127.0.0.2:9000 \
	-A "$T/deny-allow" -- "$OP" tcp 127.0.0.2 9000 t-deny-5
expect_allowed "a deny rule with a port leaves the other ports" t-deny-6 \
	-A "$T/deny-allow" -- "$OP" tcp 127.0.0.2 9002 t-deny-6
printf '127.0.0.3 denied.test\n127.0.0.2 ok.test\n' >"$T/deny-hosts"
run --hosts "$T/deny-hosts" --resolv "$T/resolv.empty" -a denied.test -a ok.test --deny denied.test -- \
	python3 -c 'import socket
for n in ("denied.test", "ok.test"):
    try: print(n, socket.gethostbyname(n))
    except OSError as e: print(n, "unresolved")'
case "$out" in
*"denied.test unresolved"*"ok.test 127.0.0.2"*) pass "--deny NAME: pinned DNS refuses the name (NXDOMAIN), others resolve" ;;
*) fail "--deny NAME: pinned DNS refuses the name (NXDOMAIN), others resolve" "out '$out' err $err" ;;
esac
run --hosts "$T/deny-hosts" --resolv "$T/resolv.empty" -a denied.test --deny 127.0.0.3 -- \
	python3 -c 'import socket
try: print(socket.gethostbyname("denied.test"))
except OSError: print("unresolved")'
[ "$out" = unresolved ] && pass "a deny rule wins over pinned DNS answers (no address it refuses is given)" ||
	fail "a deny rule wins over pinned DNS answers (no address it refuses is given)" "out '$out' err $err"
rm -f "$T/deny-learned"
run --audit --learn "$T/deny-learned" -a 127.0.0.2 --deny 127.0.0.3 -l "$T/deny-log" -- "$OP" tcp 127.0.0.3 9000 t-deny-audit
if grep -q '"verdict":"audit".*"rule":"!127.0.0.3"' "$T/deny-log" && ! grep -q '127.0.0.3' <(grep -v '^#' "$T/deny-learned"); then
	pass "--audit: what a deny rule refuses is logged as audit, and never learned"
else
	fail "--audit: what a deny rule refuses is logged as audit, and never learned" "log $(cat "$T/deny-log"); learned $(cat "$T/deny-learned")"
fi
