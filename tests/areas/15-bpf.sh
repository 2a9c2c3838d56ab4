#!/usr/bin/env bash
# bpf: the filter's verdicts, through a classic-BPF interpreter over crafted
# seccomp data (tests/bpftest.c): i386, x32 and foreign system calls, which
# these machines cannot run.  It does not depend on the mode.  Built for
# arm64, it runs in the arm64 guests of the vm area (AArch32 calls).
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd

feed < <(tests/bpftest)
