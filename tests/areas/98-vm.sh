#!/usr/bin/env bash
# vm: netpin on real kernels (Debian's 5.10, 6.1, 6.12 and 7.x on amd64,
# 6.1, 6.12 and 7.x on arm64: all seven by default; NETPIN_VM_KERNELS=
# "amd64-6.1 ..." chooses), each booted under qemu with an initramfs that
# runs the tests: tests/vm.sh, whose lines this area takes in.  A kernel
# that cannot be fetched or booted, or whose qemu is missing, is a SKIP line
# saying why; a guest that never reaches its init is a boot failure, not a
# test failure.
# tests/vm.sh fetches the kernels from Debian's mirror with apt-get: as root,
# through the network namespace test.sh was started in (tests/debfetch.sh
# enters it; the area's own has no way out); the guests themselves have no
# network device.
# The seven guests use about 6 min of CPU together (under TCG, on 2 cores)
# and mostly wait: test.sh starts this area early, beside the areas before
# it (the line below), so that the suite does not wait for it.
# test.sh: start early
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd

# shellcheck disable=SC2086 # (a list of kernel names)
TMPDIR=$T tests/vm.sh ${NETPIN_VM_KERNELS:-} >"$T/vm.out" 2>"$T/vm.err"
rc=$?
feed <"$T/vm.out"
grep '^# ' "$T/vm.out"
if ! grep -qE '^(ok|not ok) - ' "$T/vm.out"; then
	fail "vm: tests/vm.sh reports on the kernels" "exit $rc, no test line: $(tail -5 "$T/vm.err" "$T/vm.out")"
fi
