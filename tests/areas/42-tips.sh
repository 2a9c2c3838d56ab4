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
