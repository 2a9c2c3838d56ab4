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
