#!/usr/bin/env bash
# escape: the attacks, one program each (tests/escape/*.c, run by
# tests/escape/run.sh), judged by what the denied server received.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

TMPDIR=$T timeout -k 5 240 tests/escape/run.sh "$NP" >"$T/escape.out"
feed <"$T/escape.out"
if grep -q '^# escape: every attack ran$' "$T/escape.out"; then
	pass "escape: every attack ran to its end within 240 s"
else
	fail "escape: every attack ran to its end within 240 s" "cut short after: $(grep -E '^(not )?ok' "$T/escape.out" | tail -1)"
fi
