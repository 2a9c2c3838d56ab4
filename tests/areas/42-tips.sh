#!/usr/bin/env bash
# tips: the rule netpin suggests for a refusal is one rule, the same on the
# denial line, in the log's tip, in the summary and in --learn; where a name
# is involved it is a name rule (an address rule would let every site on a
# shared address through unchecked), and pasted into a rerun it allows what
# was refused while the other names on the address stay refused.
# Servers (tests/helpers/namesrv.py) on 127.0.0.2 log what reached them.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

if ! names_cert; then
	skip "tips: every test" "openssl cannot make a certificate"
	exit 0
fi
cat >"$T/hosts" <<EOF
127.0.0.2 good.example other.example
127.0.0.3 evil.example
EOF
if ! namesrv 127.0.0.2:443:tls 127.0.0.2:80:http 127.0.0.2:8443:tls; then
	skip "tips: every test" "the test servers cannot listen: $NAMESRV_ERR"
	exit 0
fi
N=(--resolv "$T/resolv.empty" --hosts "$T/hosts")
CURL=(curl -sS --max-time 10 --cacert "$T/cert.pem")
EVIL=(--resolve evil.example:443:127.0.0.2 --resolve evil.example:8443:127.0.0.2)
SNEW_WAIT=0.3

# tips_of WHAT RULE: the rule (with ports) said on the denial line, in the
# log's tip, in the summary and in the --learn file of the last run (log
# $T/tips.json, learned $T/tips.learned) are each RULE
tips_of() {
	local what=$1 want=$2 line json summary learned
	line=$(sed -n 's/.*(allow with --allow \([^)]*\)).*/\1/p' <<<"$err" | head -1)
	json=$(sed -n 's/.*"tip":"--allow \([^"]*\)".*/\1/p' "$T/tips.json" | head -1)
	summary=$(sed -n 's/^netpin: to allow them: --allow \([^ ]*\).*/\1/p' <<<"$err")
	learned=$(grep -v '^#' "$T/tips.learned" 2>/dev/null | awk '{print $1; exit}')
	if [ "$line|$json|$summary|$learned" = "$want|$want|$want|$want" ]; then
		pass "$what"
	else
		fail "$what" "line '$line' log '$json' summary '$summary' learned '$learned', want '$want' everywhere"
	fi
}
tips_run() {
	rm -f "$T/tips.json" "$T/tips.learned"
	run "${N[@]}" --log "$T/tips.json" --learn "$T/tips.learned" "$@"
}

# ---- a name rule's address, on a port it does not allow --------------------------
# (TLS on 443 to good.example, whose rule allows port 80 only)
tips_run -a good.example:80 -- "${CURL[@]}" https://good.example/tip1
tips_of "a connect to a name rule's address on another port: a name rule everywhere (tcp:NAME:PORT)" \
	"tcp:good.example:443"
smark
run "${N[@]}" -a good.example:80 -a tcp:good.example:443 -- "${CURL[@]}" https://good.example/tip2
[ "$out" = "tls good.example /tip2 0" ] &&
	pass "that rule, pasted: it allows what was refused" ||
	fail "that rule, pasted: it allows what was refused" "rc $rc out '$out' err $err"
smark
run "${N[@]}" -a good.example:80 -a tcp:good.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/tip3
[ "$rc" = 35 ] && nothing_reached 443 &&
	pass "that rule, pasted: another name on the same address is still refused" ||
	fail "that rule, pasted: another name on the same address is still refused" "rc $rc out '$out' err $err server $(snew)"

# ---- a name refused inside a checked connection ------------------------------------
# (other.example shares good.example's address)
tips_run -a good.example:443 -- "${CURL[@]}" --resolve other.example:443:127.0.0.2 https://other.example/tip4
tips_of "a TLS name refused on 443: the same rule everywhere (tcp:NAME:443)" "tcp:other.example:443"
smark
run "${N[@]}" -a good.example:443 -a tcp:other.example:443 -- "${CURL[@]}" https://other.example/tip5
[ "$out" = "tls other.example /tip5 0" ] &&
	pass "that rule, pasted: it allows the name" ||
	fail "that rule, pasted: it allows the name" "rc $rc out '$out' err $err"
smark
run "${N[@]}" -a good.example:443 -a tcp:other.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/tip6
[ "$rc" = 35 ] && nothing_reached 443 &&
	pass "that rule, pasted: a third name on the same address is still refused" ||
	fail "that rule, pasted: a third name on the same address is still refused" "rc $rc out '$out' err $err server $(snew)"
tips_run -a tls:good.example:8443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example:8443/tip7
tips_of "a TLS name refused off 443: the check kept everywhere (tls:NAME:PORT)" "tls:evil.example:8443"

# ---- names from the hosts file, which glibc reads itself ---------------------------
# curl finds good.example in /etc/hosts (a copy of $T/hosts, bound over it in
# a mount namespace of its own): pinned DNS never sees the name, yet --audit
# --learn must learn the name, not the address
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	rm -f "$T/tips.learned"
	unshare -m --propagation private sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' - \
		"$T/hosts" "$NP" "${N[@]}" --audit --learn "$T/tips.learned" -- "${CURL[@]}" https://good.example/tip8 \
		>"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	if [ "$out" = "tls good.example /tip8 0" ] && grep -q '^tcp:good.example:443 ' "$T/tips.learned" &&
		! grep -q '^tcp:127' "$T/tips.learned"; then
		pass "--audit --learn: a name glibc read from the hosts file is learned as a name rule"
	else
		fail "--audit --learn: a name glibc read from the hosts file is learned as a name rule" \
			"rc $rc out '$out' err $err learned: $(cat "$T/tips.learned" 2>/dev/null)"
	fi
else
	skip "--audit --learn: a name glibc read from the hosts file is learned as a name rule" \
		"needs root and a mount namespace"
fi

# ---- a deny rule for one name on a shared address ----------------------------------
# --deny tls:other.example:443 refuses other.example by the name in the
# connection; good.example, on the same address, stays allowed
smark
run "${N[@]}" -a good.example:443 --deny tls:other.example:443 -- "${CURL[@]}" https://good.example/dn1
[ "$out" = "tls good.example /dn1 0" ] &&
	pass "a name deny rule on a shared address takes nothing from another allowed name" ||
	fail "a name deny rule on a shared address takes nothing from another allowed name" "rc $rc out '$out' err $err"
smark
rm -f "$T/tips.learned"
run "${N[@]}" --learn "$T/tips.learned" -a good.example:443 -a other.example:443 --deny tls:other.example:443 -- \
	"${CURL[@]}" --resolve other.example:443:127.0.0.2 https://other.example/dn2
if [ "$rc" = 35 ] && nothing_reached 443 &&
	[[ $err == *"denied tls to 127.0.0.2:443/tcp naming other.example"*"(the deny rule !tls:other.example:443 refuses it)"* ]] &&
	! grep -q '^tcp:' "$T/tips.learned"; then
	pass "the name it denies is refused inside the connection, said as the deny rule's, never learned"
else
	fail "the name it denies is refused inside the connection, said as the deny rule's, never learned" \
		"rc $rc err $err server $(snew) learned $(cat "$T/tips.learned" 2>/dev/null)"
fi
# an address rule allows the address: every name but the denied one passes
run "${N[@]}" -a 127.0.0.2:443 --deny tls:other.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/dn3
[ "$out" = "tls evil.example /dn3 0" ] &&
	pass "with an address rule, every name but the denied one passes" ||
	fail "with an address rule, every name but the denied one passes" "rc $rc out '$out' err $err"
smark
run "${N[@]}" -a 127.0.0.2:443 --deny tls:other.example:443 -- "${CURL[@]}" \
	--resolve other.example:443:127.0.0.2 https://other.example/dn4
[ "$rc" = 35 ] && nothing_reached 443 &&
	pass "with an address rule, the denied name is refused" ||
	fail "with an address rule, the denied name is refused" "rc $rc out '$out' err $err server $(snew)"
# where no name can be read (UDP, other ports) the deny rule would take
# good.example's grant away: netpin refuses to start, and says so
run "${N[@]}" -a good.example --deny other.example -- true
case "$rc:$err" in
125:*"the deny rule '!other.example' would refuse good.example too"*"both are at 127.0.0.2"*)
	pass "a deny rule that would take away another name where none can be read stops netpin (125)" ;;
*) fail "a deny rule that would take away another name where none can be read stops netpin (125)" "rc $rc err $err" ;;
esac
# the summary names a refused connection by an allowed rule's name, not
# the deny rule's
run "${N[@]}" -a good.example:443 --deny tls:other.example:443 -- "${CURL[@]}" https://good.example:8443/dn5
[[ $err == *"127.0.0.2:8443/tcp (connect) 1 time, name good.example"* ]] && [[ $err != *"name other.example"* ]] &&
	pass "the summary names a refused connection by the allowed name, not the denied one" ||
	fail "the summary names a refused connection by the allowed name, not the denied one" "rc $rc err $err"

# ---- one connection, one verdict ---------------------------------------------------
rm -f "$T/one.json"
run "${N[@]}" --log "$T/one.json" -a good.example:443 -- "${CURL[@]}" "${EVIL[@]}" https://evil.example/ov1
c=$(grep -c '"event":"connect"' "$T/one.json")
if [ "$c" = 1 ] && grep -q '"event":"connect".*"verdict":"deny".*"sni":"evil.example"' "$T/one.json"; then
	pass "a refused checked connection is one event, one verdict (deny)"
else
	fail "a refused checked connection is one event, one verdict (deny)" "$(cat "$T/one.json")"
fi
rm -f "$T/one.json"
run "${N[@]}" --log "$T/one.json" -a good.example:443 -- "${CURL[@]}" https://good.example/ov2
c=$(grep -c '"event":"connect"' "$T/one.json")
if [ "$c" = 1 ] && grep -q '"event":"connect".*"verdict":"allow".*"sni":"good.example".*"rule":"good.example:443"' "$T/one.json"; then
	pass "an allowed checked connection is one event, with the name and the rule"
else
	fail "an allowed checked connection is one event, with the name and the rule" "$(cat "$T/one.json")"
fi

# ---- --audit reads a connection's name to learn it ---------------------------------
# curl connects by address (--resolve), the name is only in the ClientHello
rm -f "$T/tips.learned" "$T/one.json"
run "${N[@]}" --audit --learn "$T/tips.learned" --log "$T/one.json" -- "${CURL[@]}" \
	--resolve unlisted.example:443:127.0.0.2 -k https://unlisted.example/au1
if [ "$out" = "tls unlisted.example /au1 0" ] && grep -q '^tcp:unlisted.example:443 ' "$T/tips.learned" &&
	! grep -q '^tcp:127' "$T/tips.learned" && [ "$(grep -c '"event":"connect"' "$T/one.json")" = 1 ]; then
	pass "--audit --learn: the name a connection asks (TLS) is learned, not its address; one event"
else
	fail "--audit --learn: the name a connection asks (TLS) is learned, not its address; one event" \
		"rc $rc out '$out' err $err learned $(cat "$T/tips.learned" 2>/dev/null) log $(cat "$T/one.json")"
fi
rm -f "$T/tips.learned"
run "${N[@]}" --audit --learn "$T/tips.learned" -- python3 "$HELPERS/rawreq.py" 127.0.0.2 80 \
	'GET /au2 HTTP/1.1\r\nHost: plain.unlisted.example\r\n\r\n'
if [[ $out == *"200 OK"* ]] && grep -q '^tcp:plain.unlisted.example:80 ' "$T/tips.learned"; then
	pass "--audit --learn: the Host an HTTP connection asks is learned"
else
	fail "--audit --learn: the Host an HTTP connection asks is learned" "rc $rc out '$out' err $err learned $(cat "$T/tips.learned" 2>/dev/null)"
fi
