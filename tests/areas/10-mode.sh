#!/usr/bin/env bash
# mode: netpin mediates in the mode the run asks for, and -v says which.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

run -v -a 127.0.0.2 -- true
case "$rc:$err" in
*"mediation: pidfd_getfd"*"mediation: addfd"* | *"mediation: addfd"*"mediation: pidfd_getfd"*)
	fail "-v names the mediation mode ($MODE)" "both modes named: $err" ;;
0:*"netpin: mediation: $MODE ("*) pass "-v names the mediation mode ($MODE)" ;;
*) fail "-v names the mediation mode ($MODE)" "rc $rc $err" ;;
esac
