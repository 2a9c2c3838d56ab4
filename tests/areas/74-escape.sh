#!/usr/bin/env bash
# escape: the attacks, one program each (tests/escape/*.c, run by
# tests/escape/run.sh), judged by what the denied server received.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

feed < <(TMPDIR=$T timeout -k 5 240 tests/escape/run.sh "$NP")
