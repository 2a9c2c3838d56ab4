#!/usr/bin/env bash
# valgrind: the supervisor under valgrind memcheck (tests/valgrind.sh); it
# checks the addfd mode itself.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd

feed < <(TMPDIR=$T timeout -k 5 300 tests/valgrind.sh)
