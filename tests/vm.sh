#!/usr/bin/env bash
# tests/vm.sh — netpin on real kernels: boots Debian's kernels under qemu
# with an initramfs that runs netpin's tests, and reports what each guest
# printed.  `make vm-test` runs it; `./test.sh vm` runs it as an area.
#
#	tests/vm.sh [KERNEL...]      the default kernels, or those named
#	tests/vm.sh all              every kernel
#	tests/vm.sh -l               list the kernels (default ones marked *)
#
# KERNEL          Debian suite         package (its kernel)           qemu
# amd64-5.10      bullseye             linux-image-cloud-amd64        x86_64
# amd64-6.1       bookworm             linux-image-cloud-amd64        x86_64
# amd64-6.12      trixie               linux-image-cloud-amd64        x86_64
# amd64-7.x       trixie-backports     linux-image-cloud-amd64        x86_64
# arm64-6.1       bookworm             linux-image-cloud-arm64        aarch64, TCG
# arm64-6.12      trixie               linux-image-cloud-arm64        aarch64, TCG
# arm64-7.x       trixie-backports     linux-image-cloud-arm64        aarch64, TCG
#
# 7.x is the newest kernel Debian ships for its stable release (7.3 when
# these lines were written), so its guests follow trixie-backports.
#
# Kernel packages and busybox-static (for both architectures) are fetched
# with `apt-get download` through an apt configuration of the tests' own
# (tests/debfetch.sh): its sources list, lists and archive cache are under
# the cache folder (tests/vm-cache/, ignored by git; NETPIN_VM_CACHE=DIR
# moves it), and the machine's own apt sources and state are left alone.
# The lists are renewed once a day; the packages stay there between runs.  Debian's cloud kernels
# have the serial console, the initramfs's gzip and everything the guests
# use built in: no modules are needed.
#
# The initramfs (one per architecture) holds netpin, built with the
# Makefile's own rule (`make NETPIN_CC=aarch64-linux-gnu-gcc` for arm64), a
# static busybox, the static test helpers (tests/netop.c, tests/refuse.c as
# refuse and np-addfd, tests/vm/recorder.c, tests/vm/asuser.c, the attacks
# of tests/escape; netop-musl on amd64; on arm64 tests/bpftest.c, the
# filter's verdicts for that architecture, and tests/vm/aarch32.S, a
# program of its compat ABI) and tests/vm/init, which runs
# tests/vm/guest.sh and tests/vm/escape.sh (which judges the attacks with
# tests/escape/judge.sh, in /escape) and powers the guest off.  The
# guest prints its TAP lines on the serial console; this script prints them,
# then one line per kernel, and last "N passed, N failed, N skipped".
#
# qemu uses KVM for amd64 when /dev/kvm boots a guest (one short probe),
# else TCG; arm64 always runs under TCG.  A guest that does not reach its
# init within a time (of qemu's CPU time: a guest starved of CPU is slow,
# not stuck) is stopped and booted again, twice at most, and then reported
# as a boot failure (not as a test failure); one whose console says nothing
# for minutes is stopped.  A kernel whose package, qemu or compiler is
# missing, or whose mirror cannot be reached, is reported as skipped with
# the reason.  The console of each guest's last run is kept in the cache
# folder (console/NAME.txt).  The guests boot one after another, each once
# the previous one has reached its init, and then run side by side
# (NETPIN_VM_JOBS=N: N at a time): a guest mostly waits (its attacks race
# for seconds, its servers are given time to see what was denied), so seven
# take little more than three times as long as one alone.
# Needs: qemu-system-x86, qemu-system-arm, cpio, gzip, apt-get and
# dpkg-deb, gcc with a static libc, gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross; musl-tools for netpin as `make` builds it; clang
# for the AArch32 program (its test is skipped without it).
# Exit status: 0 when no test failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIRROR=${NETPIN_VM_MIRROR:-http://deb.debian.org/debian}
CACHE=${NETPIN_VM_CACHE:-$ROOT/tests/vm-cache}
# seconds: of qemu's CPU time to reach init (TCG; KVM gets a third of it;
# a guest takes 4 to 9), of a guest's console saying nothing (its longest
# test waits 65 s), and for the whole guest (one alone takes about 65 s
# under TCG; seven beside the suite on 2 cores that other work kept busy,
# up to 10 min: they are slow, not stuck)
BOOT_SECONDS=${NETPIN_VM_BOOT_SECONDS:-45}
SILENT_SECONDS=${NETPIN_VM_SILENT_SECONDS:-240}
GUEST_SECONDS=${NETPIN_VM_GUEST_SECONDS:-1200}
ATTEMPTS=3

# NAME ARCH SUITE PACKAGE DEFAULT(1/0): every kernel runs by default: the
# oldest long-term one (5.10: no Landlock, fdinfo without inodes), a long-
# term one without Landlock's TCP rules and scopes (6.1), the newest
# stable release's (6.12: Landlock ABI 6) and the newest Debian ships
# (7.x, trixie-backports: Landlock's UDP rights, ABI 10 and later); 6.1,
# 6.12 and 7.x on arm64 too.  A kernel marked 0 would run only when named,
# or with "all"
KERNELS="amd64-5.10 amd64 bullseye linux-image-cloud-amd64 1
amd64-6.1 amd64 bookworm linux-image-cloud-amd64 1
amd64-6.12 amd64 trixie linux-image-cloud-amd64 1
amd64-7.x amd64 trixie-backports linux-image-cloud-amd64 1
arm64-6.1 arm64 bookworm linux-image-cloud-arm64 1
arm64-6.12 arm64 trixie linux-image-cloud-arm64 1
arm64-7.x arm64 trixie-backports linux-image-cloud-arm64 1"

usage() { echo "usage: tests/vm.sh [-l] [KERNEL...|all]"; }
while getopts lh opt; do
	case $opt in
	l)
		while read -r n a s p d; do
			[ "$d" = 1 ] && d=" *" || d=
			printf '%s%s (%s, Debian %s, %s)\n' "$n" "$d" "$a" "$s" "$p"
		done <<<"$KERNELS"
		exit 0 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
chosen=()
if [ $# = 0 ]; then
	while read -r n _ _ _ d; do [ "$d" = 1 ] && chosen+=("$n"); done <<<"$KERNELS"
else
	for k in "$@"; do
		if [ "$k" = all ]; then
			while read -r n _; do chosen+=("$n"); done <<<"$KERNELS"
			continue
		fi
		grep -q "^$k " <<<"$KERNELS" || { echo "tests/vm.sh: no kernel '$k' (tests/vm.sh -l lists them)" >&2; exit 2; }
		chosen+=("$k")
	done
fi

JOBS=${NETPIN_VM_JOBS:-${#chosen[@]}}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/netpin-vm.XXXXXX") || exit 1
cleanup() {
	local j
	for j in $(jobs -p); do kill "$j" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$CACHE/debs" "$CACHE/kernels" "$CACHE/console" || exit 1
SECONDS=0
note() { echo "# vm: $*"; }

# ---- fetching: a private apt configuration per suite (apt_run, fetch) -----------
# shellcheck source=tests/debfetch.sh
. "$ROOT/tests/debfetch.sh"

# depends_on SUITE PACKAGE:ARCH PREFIX: the first package named PREFIX<digit>...
# that PACKAGE depends on
depends_on() {
	apt_run "$1" apt-cache depends "$2" 2>/dev/null |
		sed -n "s/^ *Depends: \\($3[0-9][^ :]*\\).*/\\1/p" | head -1
}
# kernel NAME ARCH SUITE META: $CACHE/kernels/NAME/{vmlinuz,release}; why not on stdout
kernel() {
	local name=$1 arch=$2 suite=$3 meta=$4 image pkg deb f d=$CACHE/kernels/$1 why
	why=$(apt_lists "$suite") || { echo "$why"; return 1; }
	# the metapackage names the kernel's own package, linux-image-VER; up to
	# 6.x it holds the kernel (boot/vmlinuz-VER), from 7.x on it is empty and
	# depends on linux-binary-VER, which holds it (usr/lib/modules/VER/vmlinuz)
	image=$(depends_on "$suite" "$meta:$arch" linux-image-)
	[ -n "$image" ] || { echo "$meta ($arch) is not in Debian's $suite"; return 1; }
	pkg=$(depends_on "$suite" "$image:$arch" linux-binary-)
	pkg=${pkg:-$image}
	if [ ! -s "$d/vmlinuz" ] || [ "$(cat "$d/package" 2>/dev/null)" != "$pkg" ]; then
		deb=$(fetch "$suite" "$pkg:$arch") ||
			{ echo "apt-get download $pkg:$arch failed: $(grep -m1 '^E: ' "$WORK/download.log")"; return 1; }
		rm -rf "$d" "$WORK/x"
		mkdir -p "$d" "$WORK/x"
		# (tar fails on the pattern that matches nothing: the file decides)
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$WORK/x" --wildcards './boot/vmlinuz-*' './usr/lib/modules/*/vmlinuz' 2>/dev/null
		f=$(find "$WORK/x" -type f -name 'vmlinuz*')
		if [ "$(wc -l <<<"$f")" != 1 ] || [ ! -s "$f" ]; then
			echo "no vmlinuz (or more than one) in $deb"
			return 1
		fi
		mv "$f" "$d/vmlinuz"
		echo "${image#linux-image-}" >"$d/release"
		echo "$pkg" >"$d/package"
		# (the kernel is kept as its vmlinuz: the package goes)
		rm -f "$deb"
	fi
}

# ---- building: netpin, the helpers and the initramfs of one architecture ---------
# cc_of ARCH: the C compiler for static binaries of ARCH
cc_of() {
	case $1 in
	amd64) echo "${CC:-cc}" ;;
	arm64) echo "${NETPIN_VM_ARM64_CC:-aarch64-linux-gnu-gcc}" ;;
	esac
}
# build ARCH: $WORK/initramfs-ARCH.cpio.gz; why not on stdout (its
# busybox-static package: BUSYBOX[ARCH], the path, or why there is none)
declare -A BUSYBOX=()
build() {
	local arch=$1 cc b=$WORK/build-$1 r=$WORK/root-$1 bb f n flags=(-static -O2 -Wall -Wextra -Werror)
	cc=$(cc_of "$arch")
	mkdir -p "$b/src" "$r/bin" "$r/escape" "$r/dev" "$r/proc" "$r/sys" "$r/tmp" "$r/etc"
	# netpin with the Makefile's rule, in a directory of its own (./netpin stays)
	cp "$ROOT/netpin.c" "$b/src/"
	if [ "$arch" = amd64 ]; then
		make -s -C "$b/src" -f "$ROOT/Makefile" netpin >"$b/make.log" 2>&1
	else
		make -s -C "$b/src" -f "$ROOT/Makefile" NETPIN_CC="$cc" netpin >"$b/make.log" 2>&1
	fi || { echo "make netpin ($arch) failed: $(tail -3 "$b/make.log" | tr '\n' ' ')"; return 1; }
	cp "$b/src/netpin" "$r/bin/netpin"
	for f in tests/netop.c tests/refuse.c tests/vm/recorder.c tests/vm/asuser.c; do
		n=$(basename "$f" .c)
		"$cc" "${flags[@]}" -o "$r/bin/$n" "$ROOT/$f" -pthread 2>"$b/$n.err" ||
			{ echo "$cc $f ($arch) failed: $(head -c 300 "$b/$n.err" | tr '\n' ' ')"; return 1; }
	done
	cp "$r/bin/refuse" "$r/bin/np-addfd"
	# the filter's verdicts for arm64, its AArch32 calls among them (the
	# host's bpf area runs tests/bpftest for amd64)
	if [ "$arch" = arm64 ]; then
		"$cc" "${flags[@]}" -o "$r/bin/bpftest" "$ROOT/tests/bpftest.c" -pthread 2>"$b/bpftest.err" ||
			{ echo "$cc tests/bpftest.c ($arch) failed: $(head -c 300 "$b/bpftest.err" | tr '\n' ' ')"; return 1; }
	fi
	# an AArch32 program (tests/vm/aarch32.S): clang assembles it, the cross
	# compiler's ld links it; without clang the guest skips its test
	if [ "$arch" = arm64 ] && command -v clang >/dev/null; then
		if ! clang --target=armv7a-linux-gnueabi -c -o "$b/aarch32.o" "$ROOT/tests/vm/aarch32.S" 2>"$b/aarch32.err" ||
			! "$("$cc" -print-prog-name=ld)" -m armelf_linux_eabi -static -o "$r/bin/aarch32" "$b/aarch32.o" 2>>"$b/aarch32.err"; then
			echo "tests/vm/aarch32.S failed: $(head -c 300 "$b/aarch32.err" | tr '\n' ' ')"
			return 1
		fi
	fi
	for f in "$ROOT"/tests/escape/*.c; do
		n=$(basename "$f" .c)
		"$cc" "${flags[@]}" -I"$ROOT/tests/escape" -o "$r/escape/$n" "$f" -pthread 2>"$b/$n.err" ||
			{ echo "$cc tests/escape/$n.c ($arch) failed: $(head -c 300 "$b/$n.err" | tr '\n' ' ')"; return 1; }
	done
	if [ "$arch" = amd64 ] && command -v musl-gcc >/dev/null; then
		musl-gcc "${flags[@]}" -o "$r/bin/netop-musl" "$ROOT/tests/netop.c" 2>"$b/netop-musl.err" ||
			{ echo "musl-gcc tests/netop.c failed: $(head -c 300 "$b/netop-musl.err")"; return 1; }
	fi
	bb=${BUSYBOX[$arch]}
	[ -s "$bb" ] || { echo "busybox-static:$arch: $bb"; return 1; }
	if ! dpkg-deb -x "$bb" "$b/bb" || ! cp "$b/bb/bin/busybox" "$r/bin/busybox"; then
		echo "no busybox in $bb"
		return 1
	fi
	# the applets' links: the list is the amd64 busybox's (the same package)
	[ -x "$WORK/busybox-list" ] || return 1
	for n in $("$WORK/busybox-list" --list); do
		[ -e "$r/bin/$n" ] || ln -s busybox "$r/bin/$n"
	done
	install -m 755 "$ROOT/tests/vm/init" "$r/init"
	install -m 644 "$ROOT/tests/vm/guest.sh" "$ROOT/tests/vm/escape.sh" "$r/"
	install -m 644 "$ROOT/tests/escape/judge.sh" "$r/escape/"
	(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$WORK/initramfs-$arch.cpio.gz" ||
		{ echo "cpio/gzip of the $arch initramfs failed"; return 1; }
}

# ---- booting ------------------------------------------------------------------------
KVM=no
# qemu_args ARCH ACCEL NAME KERNELDIR: the qemu command line of a guest, in QARGS
qemu_args() {
	local arch=$1 accel=$2 name=$3 kd=$4 append
	append="panic=-1 quiet loglevel=1 lsm=landlock,lockdown,yama,apparmor NETPIN_VM=$name"
	# (the probe's kernel says "Linux version" at once: boot_once's LINUX_SECONDS)
	[ "$name" = probe ] && append="earlyprintk=serial $append"
	case $arch in
	amd64)
		QARGS=(qemu-system-x86_64 -M pc -cpu "${NETPIN_VM_X86_CPU:-qemu64}")
		# (qemu 7.2 cannot set ARCH_CAPABILITIES under a nested KVM)
		[ "$accel" = kvm ] && QARGS=(qemu-system-x86_64 -M pc -enable-kvm -cpu "host,-arch-capabilities")
		append="console=ttyS0 edd=off $append" ;;
	arm64)
		QARGS=(qemu-system-aarch64 -M virt -cpu cortex-a72)
		append="console=ttyAMA0 $append" ;;
	esac
	QARGS+=(-smp "${NETPIN_VM_SMP:-2}" -m 512 -nodefaults -nographic -no-reboot -serial stdio
		-kernel "$kd/vmlinuz" -initrd "$WORK/initramfs-$arch.cpio.gz" -append "$append")
}
TICKS=$(getconf CLK_TCK)
# cpu_seconds PID [SECONDS]: the CPU time (user and system) a process has
# used, in seconds; SECONDS (or 0) when there is no such process (any more)
cpu_seconds() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || { echo "${2:-0}"; return; }
	# (the fields after the command's name: utime, stime are the 12th, 13th)
	read -ra st <<<"${st##*) }"
	echo $(((st[11] + st[12]) / TICKS))
}
# boot_once ARCH ACCEL NAME KERNELDIR CONSOLE INIT_SECONDS ALL_SECONDS
# [LINUX_SECONDS]: run a guest; 0 when it reached its init (whatever it did
# then), 1 when not; with LINUX_SECONDS, a kernel that has said nothing by
# then is stopped.  INIT_SECONDS is qemu's CPU time (a guest starved of
# CPU by the machine's other work is slow, not stuck), and 4 times as many
# seconds at most; a guest whose console says nothing for SILENT_SECONDS is
# stopped.  On reaching its init: $WORK/NAME.up says so, with the seconds
# and the CPU seconds it took; at its end $WORK/NAME.cpu has its CPU seconds
boot_once() {
	local arch=$1 accel=$2 name=$3 kd=$4 con=$5 init_s=$6 all_s=$7 linux_s=${8:-} pid q='' cpu start=$SECONDS reached=
	local size=0 said=$SECONDS
	qemu_args "$arch" "$accel" "$name" "$kd"
	# (timeout: no guest outlives this script, whatever stops it; the
	# console exists before the loop below reads it)
	: >"$con"
	timeout -k 5 $((all_s + 10)) "${QARGS[@]}" </dev/null >"$con" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		# (qemu: the child of timeout)
		[ -n "$q" ] || q=$(pgrep -P "$pid" | head -1)
		cpu=$(cpu_seconds "${q:-0}" "${cpu:-0}")
		if [ -z "$reached" ] && grep -aq "netpin-vm: init $name" "$con"; then
			reached=1
			echo "$((SECONDS - start)) $cpu" >"$WORK/$name.up"
		fi
		if [ -z "$reached" ] && { [ "$cpu" -ge "$init_s" ] || [ $((SECONDS - start)) -ge $((init_s * 4)) ]; }; then
			echo "(no init after $((SECONDS - start)) s, $cpu s of CPU)" >>"$con"
			break
		fi
		if [ -n "$linux_s" ] && [ $((SECONDS - start)) -ge "$linux_s" ] && ! grep -aq "Linux version" "$con"; then
			echo "(not a word from the kernel after $linux_s s)" >>"$con"
			break
		fi
		if [ "$(stat -c %s "$con")" != "$size" ]; then
			size=$(stat -c %s "$con") said=$SECONDS
		elif [ $((SECONDS - said)) -ge "$SILENT_SECONDS" ]; then
			echo "(guest stopped: its console said nothing for $SILENT_SECONDS s)" >>"$con"
			break
		fi
		if [ $((SECONDS - start)) -ge "$all_s" ]; then
			echo "(guest stopped after $all_s s)" >>"$con"
			break
		fi
		grep -aq "KVM internal error" "$con" && break
		sleep 0.2
	done
	echo "${cpu:-0}" >"$WORK/$name.cpu"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep -aq "netpin-vm: init $name" "$con"
}
# kvm_probe: KVM=yes when /dev/kvm boots the first amd64 kernel to its init
# (a KVM that fails silently, as a nested one can, shows it in 3 s: the
# kernel prints nothing, where its first line comes within a second)
kvm_probe() {
	local kd=$1 why
	[ -w /dev/kvm ] || { note "no usable /dev/kvm: amd64 guests under TCG"; return; }
	[ "${NETPIN_VM_ACCEL:-}" = tcg ] && { note "NETPIN_VM_ACCEL=tcg"; return; }
	# (a guest named probe powers off once it has printed the marker)
	if boot_once amd64 kvm probe "$kd" "$WORK/kvm-probe.console" 10 10 3; then
		KVM=yes
		note "KVM boots the amd64 guests"
	else
		why=$(grep -a -m1 -o 'KVM internal error.*' "$WORK/kvm-probe.console" | tr -d '\r')
		grep -aq "Linux version" "$WORK/kvm-probe.console" || why=${why:-"the kernel printed nothing in 3 s"}
		note "KVM does not boot a Debian kernel here (${why:-$(last_lines "$WORK/kvm-probe.console" 1)}): amd64 guests under TCG"
	fi
}

# last_lines FILE N: the last N lines of a console that say something, on one line
last_lines() {
	tr -d '\r' <"$1" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' |
		grep -a -v -E '^(ok - |not ok - |# )|^\s*$|terminating on signal|^netpin-vm: ' |
		tail -n "$2" | tr '\n' ' ' | head -c 500
}
# guest NAME ARCH: boot it, again when it did not reach its init or when its
# kernel crashed (at most ATTEMPTS boots); its lines in $WORK/NAME.tap
guest() {
	local name=$1 arch=$2 kd=$CACHE/kernels/$1 accel=tcg a con start=$SECONDS init_s=$BOOT_SECONDS
	local out=$WORK/$name.tap why=
	local pass fail skip up_s up_cpu
	[ "$arch" = amd64 ] && [ "$KVM" = yes ] && accel=kvm init_s=$((BOOT_SECONDS / 3))
	: >"$out"
	for a in $(seq "$ATTEMPTS"); do
		con=$WORK/$name.console.$a
		boot_once "$arch" "$accel" "$name" "$kd" "$con" "$init_s" "$GUEST_SECONDS"
		cp "$con" "$CACHE/console/$name.txt"
		if ! grep -aq "netpin-vm: init $name" "$con"; then
			why="never reached its init"
		elif grep -aq -E 'Kernel panic|BUG: |Oops: ' "$con" && ! grep -aq 'netpin-vm: done' "$con"; then
			why="kernel crashed after init ran: $(grep -a -m1 -E 'Kernel panic|BUG: |Oops: ' "$con" | tr -d '\r' | head -c 200)"
		else
			why=
			break
		fi
		echo "# vm: $name: attempt $a: $why ($(last_lines "$con" 2))" >>"$out"
	done
	# (the next guest boots now: see the run)
	[ -e "$WORK/$name.up" ] || echo "- -" >"$WORK/$name.up"
	if [ -n "$why" ]; then
		echo "not ok - $name: boot failure: in $ATTEMPTS attempts the guest $why ($arch, $accel; last console lines: $(last_lines "$con" 3))" >>"$out"
		return
	fi
	read -r up_s up_cpu <"$WORK/$name.up"
	echo "# vm: $name: init after $up_s s ($up_cpu s of qemu's CPU time)" >>"$out"
	tr -d '\r' <"$con" | grep -a -E '^(ok - |not ok - |# )' >>"$out"
	skip=$(grep -c '^ok - .* # SKIP ' "$out")
	pass=$(($(grep -c '^ok - ' "$out") - skip))
	fail=$(grep -c '^not ok - ' "$out")
	if grep -aq 'netpin-vm: done' "$con"; then
		echo "ok - $name: Debian $(cat "$kd/release") boots ($arch, $accel, attempt $a, $((SECONDS - start)) s, $(cat "$WORK/$name.cpu") s of CPU) and runs its tests: $pass passed, $fail failed, $skip skipped" >>"$out"
	else
		echo "not ok - $name: the guest stopped before its tests' end ($((SECONDS - start)) s; last console lines: $(last_lines "$con" 4))" >>"$out"
	fi
}

# ---- the run ------------------------------------------------------------------------
n_pass=0 n_fail=0 n_skip=0
report() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*" # SKIP "*) n_skip=$((n_skip + 1)) ;;
		"ok - "*) n_pass=$((n_pass + 1)) ;;
		"not ok - "*) n_fail=$((n_fail + 1)) ;;
		esac
		echo "$line"
	done
}
skip_kernel() { report <<<"ok - $1: Debian kernel # SKIP $2"; }

# what each architecture needs on the host
declare -A ARCH_WHY=()
command -v qemu-system-x86_64 >/dev/null ||
	ARCH_WHY[amd64]="qemu-system-x86_64 is not installed (Debian: qemu-system-x86)"
command -v qemu-system-aarch64 >/dev/null ||
	ARCH_WHY[arm64]="qemu-system-aarch64 is not installed (Debian: qemu-system-arm)"
for a in amd64 arm64; do
	cc=$(cc_of "$a")
	if ! command -v "$cc" >/dev/null; then
		ARCH_WHY[$a]="no C compiler for $a: $cc (Debian: ${cc/aarch64-linux-gnu-gcc/gcc-aarch64-linux-gnu})"
	elif [ ! -f "$("$cc" -print-file-name=libc.a)" ]; then
		ARCH_WHY[$a]="no static libc for $cc (Debian: libc6-dev$([ $a = arm64 ] && echo -arm64-cross))"
	fi
done
for t in cpio gzip apt-get dpkg-deb make; do
	command -v "$t" >/dev/null || { ARCH_WHY[amd64]="$t is not installed"; ARCH_WHY[arm64]="$t is not installed"; }
done

ready=()
declare -A ARCH_OF=()
for name in "${chosen[@]}"; do
	read -r _ arch suite meta _ < <(grep "^$name " <<<"$KERNELS")
	ARCH_OF[$name]=$arch
	if [ -n "${ARCH_WHY[$arch]:-}" ]; then
		skip_kernel "$name" "${ARCH_WHY[$arch]}"
		continue
	fi
	if ! why=$(kernel "$name" "$arch" "$suite" "$meta"); then
		skip_kernel "$name" "$why"
		continue
	fi
	ready+=("$name")
done

# the busybox applet list, from the amd64 busybox-static package
if [ ${#ready[@]} -gt 0 ]; then
	if bb=$(fetch bookworm busybox-static:amd64) && mkdir -p "$WORK/bbl" && dpkg-deb -x "$bb" "$WORK/bbl"; then
		cp "$WORK/bbl/bin/busybox" "$WORK/busybox-list"
	else
		why="busybox-static: $(grep -m1 '^E: ' "$WORK/download.log")"
		for name in "${ready[@]}"; do skip_kernel "$name" "$why"; done
		ready=()
	fi
fi
# each architecture's initramfs, built side by side (its busybox fetched first)
declare -A BUILT=()
for name in "${ready[@]}"; do
	arch=${ARCH_OF[$name]}
	[ -n "${BUILT[$arch]:-}" ] && continue
	BUILT[$arch]=building
	BUSYBOX[$arch]=$(fetch bookworm "busybox-static:$arch") ||
		BUSYBOX[$arch]=$(grep -m1 '^E: ' "$WORK/download.log")
	(build "$arch" >"$WORK/build-$arch.why" && echo ok >"$WORK/build-$arch.why") &
done
wait
for arch in "${!BUILT[@]}"; do
	BUILT[$arch]=$(cat "$WORK/build-$arch.why")
done
booting=()
for name in "${ready[@]}"; do
	arch=${ARCH_OF[$name]}
	if [ "${BUILT[$arch]}" = ok ]; then
		booting+=("$name")
	else
		report <<<"not ok - $name: the $arch initramfs builds — ${BUILT[$arch]}"
	fi
done
note "kernels ready in $SECONDS s: ${booting[*]:-none}"

for name in "${booting[@]}"; do
	if [ "${ARCH_OF[$name]}" = amd64 ]; then
		kvm_probe "$CACHE/kernels/$name"
		break
	fi
done
# (at most JOBS guests at a time, and one booting at a time: a boot under
# TCG takes whole CPUs, the tests that follow mostly wait; seven guests
# booting at once beside the suite took minutes to reach their init)
pids=()
for name in "${booting[@]}"; do
	while [ "$(for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && echo; done | wc -l)" -ge "$JOBS" ]; do
		sleep 0.5
	done
	guest "$name" "${ARCH_OF[$name]}" &
	pids+=($!)
	while [ ! -e "$WORK/$name.up" ] && kill -0 "$!" 2>/dev/null; do
		sleep 0.2
	done
done
wait
for name in "${booting[@]}"; do
	report <"$WORK/$name.tap"
done
note "$((SECONDS / 60)) min $((SECONDS % 60)) s"
echo "$n_pass passed, $n_fail failed, $n_skip skipped"
[ "$n_fail" = 0 ]
