#!/usr/bin/env bash
# unit: the parsers and the decision, table-driven (tests/unit.c).
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd
feed < <(tests/unit)
