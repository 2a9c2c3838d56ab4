# shellcheck shell=bash
# tests/debfetch.sh — Debian packages for the tests, sourced by tests/vm.sh
# (kernels, busybox-static) and by the containers area (busybox-static):
# `apt-get download` through an apt configuration of its own, whose
# sources list, lists and archive cache are under $CACHE/apt/SUITE and the
# packages in $CACHE/debs; the machine's own apt sources and state are left
# alone.  The lists are renewed once a day; the packages stay there between
# runs.
#
# The script that sources it sets CACHE (tests/vm-cache by default:
# NETPIN_VM_CACHE), MIRROR (Debian's mirror) and WORK (a directory of its
# own: apt's messages of the last fetch go to $WORK/download.log), and
# defines note.  apt runs in the network namespace NETPIN_APT_NETNS names
# (/proc/PID/ns/net) when it is set; as root inside the tests' own network
# namespace (tests/netns.sh), which has no way out, it is set here to the
# namespace of the nearest ancestor outside it, the one that reaches the
# mirror.

# outer_netns: the network namespace of the nearest ancestor whose
# namespace is not this process's (on stdout; 1 when there is none)
outer_netns() {
	local p=$$ mine ns
	mine=$(readlink /proc/self/ns/net) || return 1
	while p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) && [ "${p:-0}" -gt 1 ]; do
		ns=$(readlink "/proc/$p/ns/net" 2>/dev/null) || continue
		[ "$ns" != "$mine" ] || continue
		nsenter --net="/proc/$p/ns/net" true 2>/dev/null && echo "/proc/$p/ns/net"
		return
	done
	return 1
}
if [ -z "${NETPIN_APT_NETNS:-}" ] && [ "${NETPIN_NETNS:-}" = root ]; then
	NETPIN_APT_NETNS=$(outer_netns) || NETPIN_APT_NETNS=
fi

# apt_run SUITE apt-get|apt-cache ARGS...: apt with the configuration of SUITE
apt_run() {
	local suite=$1 tool=$2 d=$CACHE/apt/$1 ns=()
	shift 2
	[ -n "${NETPIN_APT_NETNS:-}" ] && ns=(nsenter --net="$NETPIN_APT_NETNS")
	"${ns[@]}" "$tool" -q -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::status=/dev/null -o Debug::NoLocking=1 \
		-o APT::Architecture=amd64 -o APT::Architectures=amd64,arm64 \
		-o Acquire::Languages=none -o Acquire::PDiffs=false \
		-o APT::Sandbox::User=root "$@"
}
# The lists' update and the downloads hold $CACHE/fetch.lock (flock): the
# vm area, started early, and the containers area may fetch at once.
# apt_lists SUITE: its package lists, renewed when older than a day; why not on stdout
declare -A LISTS_OK=()
apt_lists() {
	local suite=$1 d=$CACHE/apt/$1
	[ -n "${LISTS_OK[$suite]:-}" ] && return 0
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" || return 1
	(
		flock 9 || exit 1
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $suite main" >"$d/sources.list"
		[ -z "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ] || exit 0
		if ! apt_run "$suite" apt-get update >"$d/update.log" 2>&1 ||
			grep -q '^[WE]: ' "$d/update.log"; then
			if ! ls "$d/lists/"*_Packages* >/dev/null 2>&1; then
				echo "apt-get update of $suite failed: $(grep -m1 '^[WE]: ' "$d/update.log" | head -c 200)"
				exit 1
			fi
			note "apt-get update of $suite failed; using its lists of $(find "$d/lists" -maxdepth 1 -name '*_Packages*' -printf '%TF\n' | head -1)" >&2
		fi
	) 9>"$CACHE/fetch.lock" || return 1
	LISTS_OK[$suite]=1
}
# fetch SUITE PACKAGE[:ARCH]: the .deb's path on stdout (downloaded once);
# why not in $WORK/download.log, its line starting with "E: "
fetch() {
	local suite=$1 pkg=$2 file ver arch=amd64 why
	case $pkg in *:*) arch=${pkg#*:} ;; esac
	why=$(apt_lists "$suite") || { echo "E: $why" >"$WORK/download.log"; return 1; }
	ver=$(apt_run "$suite" apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	[ -n "$ver" ] || { echo "E: no $pkg in Debian's $suite" >"$WORK/download.log"; return 1; }
	file=$CACHE/debs/${pkg%%:*}_${ver//:/%3a}_$arch.deb
	mkdir -p "$CACHE/debs" || return 1
	(
		flock 9 || exit 1
		[ -s "$file" ] || (cd "$CACHE/debs" && apt_run "$suite" apt-get download "$pkg=$ver")
	) 9>"$CACHE/fetch.lock" >"$WORK/download.log" 2>&1 || return 1
	[ -s "$file" ] && echo "$file"
}
