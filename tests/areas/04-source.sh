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
