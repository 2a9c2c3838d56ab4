#!/usr/bin/env bash
# source: netpin.c's table of contents names every banner ("/* ---- NAME
# ---- */"), in the order they stand, and nothing else, so that a new part
# cannot be left out of it, nor a part moved without it.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd
SRC=$ROOT/netpin.c

# the table: the lines between its heading and its closing remark
sed -n '/^ \* ---- contents/,/^ \* (tests\/areas\/04-source.sh/p' "$SRC" |
	sed '1d;$d' | sed 's/^ \*  *//' >"$T/toc"
# the banners, in order (the table's own heading is no banner)
sed -n 's|^/\* ---- \(.*[^ -]\) -* \*/$|\1|p' "$SRC" >"$T/banners"
if [ ! -s "$T/toc" ] || [ ! -s "$T/banners" ]; then
	fail "source: the table of contents and the banners are found" \
		"$(wc -l <"$T/toc") table lines, $(wc -l <"$T/banners") banners"
elif diff -u "$T/toc" "$T/banners" >"$T/diff"; then
	pass "source: the table of contents lists every banner of netpin.c, in order ($(wc -l <"$T/banners") parts)"
else
	fail "source: the table of contents lists every banner of netpin.c, in order" "$(cat "$T/diff")"
fi
# every banner stands once (a name said twice would make the table ambiguous)
dups=$(sort "$T/banners" | uniq -d)
[ -z "$dups" ] && pass "source: no two banners share a name" ||
	fail "source: no two banners share a name" "$dups"

# ---- README: the user's guide, and what it points to -----------------------------
# the headings of a text file (a line underlined with - or =)
headings() { awk 'prev != "" && /^(-+|=+)$/ { print prev } { prev = $0 }' "$1"; }
headings "$ROOT/README" >"$T/readme.heads"
# every file of doc/ that README names is there
missing=""
for f in $(grep -o 'doc/[A-Z]*' "$ROOT/README" | sort -u); do
	[ -f "$ROOT/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && [ -n "$(grep -o 'doc/[A-Z]*' "$ROOT/README")" ] &&
	pass "README: every doc/ file it names is there" ||
	fail "README: every doc/ file it names is there" "missing:$missing"
# every part it sends the reader to ('see "X"', or 'README, "X"' from
# doc/) is a heading of README (X may be a heading's start)
bad=""
while IFS= read -r ref; do
	grep -qF -- "$ref" "$T/readme.heads" || bad="$bad [$ref]"
done < <({ grep -ho 'see "[^"]*"' "$ROOT/README" | sed 's/^see "//; s/"$//'
	cat "$ROOT"/doc/* | tr '\n' ' ' | grep -o 'README, "[^"]*"' | sed 's/^README, "//; s/"$//'; } | sort -u)
[ -z "$bad" ] && pass "README: every part it (and doc/) refers to by name is one of its headings" ||
	fail "README: every part it (and doc/) refers to by name is one of its headings" "not found:$bad"
# the size it gives is the size of the binary (musl, -Os), within 15 %
said=$(sed -n 's/.*static binary (about \([0-9]*\) KiB on x86_64.*/\1/p' "$ROOT/README" | head -1)
if [ "$(uname -m)" != x86_64 ] || ! command -v musl-gcc >/dev/null 2>&1; then
	skip "README: the binary's size it gives is the built one's" "needs musl-gcc on x86_64"
elif [ -z "$said" ]; then
	fail "README: the binary's size it gives is the built one's" "no 'static binary (about N KiB on x86_64' in README"
else
	kib=$(( $(stat -c %s "$NP") / 1024 ))
	[ $((kib * 100)) -ge $((said * 85)) ] && [ $((kib * 100)) -le $((said * 115)) ] &&
		pass "README: the binary's size it gives is the built one's (about $said KiB; built: $kib KiB)" ||
		fail "README: the binary's size it gives is the built one's" "README says about $said KiB, the binary is $kib KiB"
fi

# ---- README and netpin.1 say the same of the names checked in a connection -----
# (by default TLS's server name on port 443 and HTTP's Host on port 80:
# port_needs() in netpin.c; tests/unit.c holds the code to it)
section() { awk -v h="$2" '$0 ~ "^" h { on = 1; next } on && /^[A-Z][A-Za-z ,:-]*$/ && prev == "" { exit } on { print } { prev = $0 }' "$1"; }
readme_names=$(section "$ROOT/README" "Names in the connection")
if command -v mandoc >/dev/null 2>&1; then
	mandoc -T ascii "$ROOT/netpin.1" 2>/dev/null | sed 's/.\x08//g' >"$T/man.txt"
	man_names=$(awk '/^NAMES IN THE CONNECTION/ { on = 1; next } on && /^[A-Z][A-Z ]+$/ { exit } on' "$T/man.txt")
	man_security=$(awk '/^SECURITY CONSIDERATIONS/ { on = 1; next } on && /^[A-Z][A-Z ]+$/ { exit } on' "$T/man.txt" | tr -s ' \n' '  ')
	says() { tr -s ' \n' '  ' <<<"$1" | grep -q -- "$2"; }
	if says "$readme_names" "port 443: the server name" && says "$readme_names" "port 80: the .Host:" &&
		says "$man_names" "On port 443 (or with tls:) that is the server name" &&
		says "$man_names" "on port 80 (or with http:) the Host"; then
		pass "README and netpin.1: a name rule checks TLS's server name on 443 and HTTP's Host on 80"
	else
		fail "README and netpin.1: a name rule checks TLS's server name on 443 and HTTP's Host on 80" \
			"README: $(head -c 300 <<<"$readme_names") | netpin.1: $(head -c 300 <<<"$man_names")"
	fi
	# where netpin.1 says a name rule lets every site on its addresses
	# through, it says on which ports (not 443 and 80, which it checks)
	if grep -o '[^.]*allows every site[^.]*' <<<"$man_security" | grep -qv 'other than 443 and 80'; then
		fail "netpin.1: 'a name rule allows every site' only for the ports it does not check" \
			"$(grep -o '[^.]*allows every site[^.]*' <<<"$man_security")"
	else
		pass "netpin.1: 'a name rule allows every site' only for the ports it does not check"
	fi
else
	skip "README and netpin.1: a name rule checks TLS's server name on 443 and HTTP's Host on 80" "mandoc is not installed"
	skip "netpin.1: 'a name rule allows every site' only for the ports it does not check" "mandoc is not installed"
fi
