#!/usr/bin/env bash
# resolver: netpin's own DNS client (A and AAAA, CNAME chains, truncation,
# hostile replies, timeouts, the rebinding guard), before the command runs.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

dns_hostile_start &&
	dns_start 127.0.0.1 5363 second &&
	dns_start ::1 5353 six || fail "test DNS servers start" "$(cat "$T/dns.err")"
DNS=(--dns 127.0.0.1:5353)
dry -a pub.test:443
case $out in
*"93.184.216.34/32"*"(dns)"*"2606:2800:220:1::1/128"*"(dns)"*) pass "A and AAAA of a name are pinned from DNS" ;;
*) fail "A and AAAA of a name are pinned from DNS" "$out $err" ;;
esac
dry -a alias.test
case $out in *"93.184.216.34/32"*) pass "a CNAME chain is followed inside the answer" ;; *) fail "a CNAME chain is followed inside the answer" "$out $err" ;; esac
dry -a big.test
case $out in *"93.184.216.35/32"*) grep -q '^tcp big.test A' "$T/dns-main.log" &&
	pass "a truncated answer is asked again over TCP" || fail "a truncated answer is asked again over TCP" "no TCP query logged" ;;
*) fail "a truncated answer is asked again over TCP" "$out $err" ;; esac
for spec in wid:37:"a reply with the wrong ID" wname:38:"a reply to another question" wsrc:39:"a reply from another source"; do
	name=${spec%%:*} rest=${spec#*:}
	last=${rest%%:*} what=${rest#*:}
	dry -a "$name.test"
	case $out in
	*6.6.6.6*) fail "$what is ignored; the right one is pinned" "poison pinned: $out" ;;
	*"93.184.216.$last/32"*) pass "$what is ignored; the right one is pinned" ;;
	*) fail "$what is ignored; the right one is pinned" "$out $err" ;;
	esac
done
for name in garbage loop badcount longname; do
	# the name pins nothing: netpin stops (125), as it should, not crash
	dry -a "$name.test"
	[ "$rc" = 125 ] && [[ $err == *"$name.test does not resolve"* ]] &&
		pass "a hostile reply ($name) does not crash netpin: the name pins nothing (125)" ||
		fail "a hostile reply ($name) does not crash netpin: the name pins nothing (125)" "rc $rc $err"
done
dry -a longname.test
case $out in *6.6.6.6*) fail "a name longer than 255 bytes is refused" "$out" ;;
*) pass "a name longer than 255 bytes is refused" ;; esac
dry -a nxdomain.test
case "$rc:$err" in 125:*"nxdomain.test does not resolve"*) pass "NXDOMAIN: netpin stops (125)" ;;
*) fail "NXDOMAIN: netpin stops (125)" "rc $rc $err" ;; esac
dry --skip-unresolved -a nxdomain.test
case "$rc:$err" in 0:*"nxdomain.test does not resolve"*) pass "NXDOMAIN, --skip-unresolved: a warning, and netpin goes on" ;;
*) fail "NXDOMAIN, --skip-unresolved: a warning, and netpin goes on" "rc $rc $err" ;; esac
dry --strict -a nxdomain.test
[ "$rc" = 125 ] && pass "--strict: NXDOMAIN is an error (125)" || fail "--strict: NXDOMAIN is an error (125)" "rc $rc"
run -n --resolv "$T/resolv.empty" --dns 127.0.0.1:5353 --dns 127.0.0.1:5363 -a fail.test
case $out in *"93.184.216.45/32"*) pass "SERVFAIL: the next server is asked" ;; *) fail "SERVFAIL: the next server is asked" "$out $err" ;; esac
start=$(date +%s%N)
dry --skip-unresolved --timeout 1 -a silent.test -a pub.test
el=$((($(date +%s%N) - start) / 1000000))
case "$rc:$out:$err" in
0:*"93.184.216.34"*:*"silent.test does not resolve"*)
	if [ $el -lt 4000 ]; then pass "--timeout 1 bounds the wait for a silent server"; else fail "--timeout 1 bounds the wait for a silent server" "${el} ms"; fi ;;
*) fail "--timeout 1 bounds the wait for a silent server" "rc $rc $out $err" ;;
esac
run -n --resolv "$T/resolv.empty" --dns '[::1]:5353' -a pub.test
case $out in *"93.184.216.34/32"*) pass "an IPv6 DNS server" ;; *) fail "an IPv6 DNS server" "$out $err" ;; esac
dry -a both.test
case "$out" in
*10.1.2.3*) fail "the rebinding guard drops private answers, with a warning" "$out" ;;
*"93.184.216.36/32"*) case $err in *"10.1.2.3"*"rebinding guard"*) pass "the rebinding guard drops private answers, with a warning" ;;
	*) fail "the rebinding guard drops private answers, with a warning" "$err" ;; esac ;;
*) fail "the rebinding guard drops private answers, with a warning" "$out $err" ;;
esac
dry --allow-private-dns -a both.test
case $out in *"10.1.2.3/32"*) pass "--allow-private-dns keeps them" ;; *) fail "--allow-private-dns keeps them" "$out" ;; esac
expect_allowed "a name from DNS allows exactly its pinned addresses" t-dns-ok \
	--resolv "$T/resolv.empty" "${DNS[@]}" --allow-private-dns -a lo.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-dns-ok
expect_denied "a name from DNS allows no other address" 127.0.0.3:9000 \
	--resolv "$T/resolv.empty" "${DNS[@]}" --allow-private-dns -a lo.test:9000 -- "$OP" tcp 127.0.0.3 9000 t-dns-deny
expect_denied "a loopback answer is dropped by the guard" 127.0.0.2:9000 \
	--skip-unresolved --resolv "$T/resolv.empty" "${DNS[@]}" -a lo.test:9000 -- "$OP" tcp 127.0.0.2 9000 t-dns-guard
before=$(wc -l <"$T/dns-main.log")
dry -a 127.0.0.2 -a '[::1]:53' -a 10.0.0.0/8
dry --hosts "$DATA/hosts" -a allowed.test
if [ "$(wc -l <"$T/dns-main.log")" = "$before" ] && case $out in *"127.0.0.2/32"*"(hosts)"*) true ;; *) false ;; esac; then
	pass "no query for literal addresses or names in the hosts file"
else
	fail "no query for literal addresses or names in the hosts file" "$out $(tail -n +$((before + 1)) "$T/dns-main.log")"
fi
if [ "$NETPIN_NETNS" != none ] && dns_start 127.0.0.1 53 port53; then
	printf '# test\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
	run -n --resolv "$T/resolv.conf" -a pub.test
	case $out in *"93.184.216.34/32"*) pass "--resolv: nameservers from a resolv.conf" ;; *) fail "--resolv: nameservers from a resolv.conf" "$out $err" ;; esac
else
	skip "--resolv: nameservers from a resolv.conf" "needs port 53 in a private network namespace"
fi
for bad in "--dns 127.0.0.1:0" "--dns nothost" "--dns [::1" "--timeout 0" "--timeout x" "--resolv $T/nonexistent"; do
	# shellcheck disable=SC2086
	run -n $bad -a pub.test
	[ "$rc" = 125 ] && pass "bad resolver option '$bad': 125" || fail "bad resolver option '$bad': 125" "rc $rc"
done

# "does not resolve" says why
reason() { # WHAT TEXT ARGS...: the warning for the unresolved name says TEXT
	local what=$1 text=$2
	shift 2
	run -n --skip-unresolved --resolv "$T/resolv.empty" "$@"
	case "$rc:$err" in
	0:*"does not resolve ("*"$text"*) pass "does not resolve, because: $what" ;;
	*) fail "does not resolve, because: $what" "rc $rc err $err" ;;
	esac
}
reason "NXDOMAIN" "no such name (NXDOMAIN)" --dns 127.0.0.1:5353 -a no-such-name.test
reason "no answer in time" "no answer within 1.0 s (127.0.0.1:5353)" --dns 127.0.0.1:5353 --timeout 1 -a silent.test
reason "a server that is not there" "the DNS server is unreachable (127.0.0.1:9)" --dns 127.0.0.1:9 --timeout 2 -a pub.test
reason "only private answers" "dropped by the rebinding guard" --dns 127.0.0.1:5353 -a lo.test

# ---- intranets: names that resolve to private addresses ------------------------
# the guard stops netpin, saying what to write; private: on the rule (for
# that name alone), names under .internal and the search domains of the
# resolv.conf read keep their private answers, said in the pin table
dry -a priv.test:80
case "$rc:$err" in
125:*"priv.test does not resolve"*"hint: if priv.test is a name of your own network, write the rule private:priv.test:80"*)
	pass "a name DNS answers only privately stops netpin (125), and says: write private:" ;;
*) fail "a name DNS answers only privately stops netpin (125), and says: write private:" "rc $rc $err" ;;
esac
dry -a private:priv.test:80 -a pub.test
case "$rc:$out" in
0:*"private:priv.test:80"*"10.1.2.4/32"*"(dns; private, kept: its rule says private:)"*)
	[[ $out == *"93.184.216.34/32  name pub.test  (dns)"* ]] &&
		pass "private: keeps a name's private answers, for that name alone, and the pin table says so" ||
		fail "private: keeps a name's private answers, for that name alone, and the pin table says so" "$out" ;;
*) fail "private: keeps a name's private answers, for that name alone, and the pin table says so" "rc $rc $out $err" ;;
esac
dry -a both.test -a private:priv.test
case "$out" in
*"both.test"*10.1.2.3*) fail "another name's private answer is still dropped" "$out" ;;
*"93.184.216.36/32"*) pass "another name's private answer is still dropped" ;;
*) fail "another name's private answer is still dropped" "rc $rc $out $err" ;;
esac
dry -a mirror.internal:443
case "$rc:$out" in
0:*"10.1.2.5/32"*"private, kept: internal"*) pass "a name under .internal may resolve privately" ;;
*) fail "a name under .internal may resolve privately" "rc $rc $out $err" ;;
esac
printf 'search corp.test\n' >"$T/resolv.search"
run -n --resolv "$T/resolv.search" --dns 127.0.0.1:5353 -a db.corp.test -a dbcorp.test
case "$rc:$out:$err" in
125:*"rule 'dbcorp.test'"*) ;;
*) fail "a name under a search domain of resolv.conf may resolve privately; one that only ends so may not" "rc $rc $out $err" ;;
esac
run -n --skip-unresolved --resolv "$T/resolv.search" --dns 127.0.0.1:5353 -a db.corp.test -a dbcorp.test
case "$rc:$out" in
0:*"10.1.2.6/32"*"private, kept: corp.test"*)
	[[ $out != *10.1.2.7* ]] &&
		pass "a name under a search domain of resolv.conf may resolve privately; one that only ends so may not" ||
		fail "a name under a search domain of resolv.conf may resolve privately; one that only ends so may not" "$out" ;;
*) fail "a name under a search domain of resolv.conf may resolve privately; one that only ends so may not" "rc $rc $out $err" ;;
esac
# and it works: pinned DNS answers the private name, the connect goes through
expect_allowed "private: a name that resolves to a private address is answered and reached" t-priv-lo \
	--resolv "$T/resolv.empty" "${DNS[@]}" -a private:lo.test:9000 -- sh -c \
	"getent hosts lo.test >/dev/null && '$OP' tcp 127.0.0.2 9000 t-priv-lo"
run -n -a private:127.0.0.1
case "$rc:$err" in 125:*"private: says a name may resolve to private addresses: it goes with host names"*)
	pass "private: on an address rule is refused" ;;
*) fail "private: on an address rule is refused" "rc $rc $err" ;; esac
run -n -v --resolv "$T/resolv.empty" --dns 127.0.0.1:5353 --dns '[::1]:5353' -a pub.test
case $err in *"asking DNS: 127.0.0.1:5353, [::1]:5353"*) pass "-v names the DNS servers asked" ;;
*) fail "-v names the DNS servers asked" "$err" ;; esac
