#!/usr/bin/env bash
# man: the manual page, netpin.1.  mandoc -T lint has nothing to say about
# it; its options are exactly those that netpin --help prints and netpin
# accepts (so the page cannot drift from the code); make install installs it.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd
PAGE=$ROOT/netpin.1

# ---- lint ------------------------------------------------------------------------
# Accepted, and only these: lines about the machine's manual database
# ("outdated mandoc.db lacks ...") and "referenced manual not found" (STYLE):
# mandoc looks up every .Xr among the manuals installed, so both depend on
# the machine (is manpages-dev installed, is mandoc.db current), not on the
# page.
if ! command -v mandoc >/dev/null 2>&1; then
	skip "man page: mandoc -T lint finds nothing" "mandoc is not installed (Debian: mandoc)"
else
	mandoc -T lint "$PAGE" >"$T/lint" 2>&1
	lrc=$?
	msgs=$(grep -v -e 'outdated mandoc\.db' -e 'STYLE: referenced manual not found' "$T/lint")
	[ -z "$msgs" ] && [ "$lrc" -le 1 ] && pass "man page: mandoc -T lint finds nothing" ||
		fail "man page: mandoc -T lint finds nothing" "exit status $lrc"$'\n'"$msgs"
	# (ASCII, overstrike for bold and underline removed)
	mandoc -T ascii "$PAGE" 2>/dev/null | sed 's/.\x08//g' >"$T/page.txt"
	grep -q '^NETPIN(1)' "$T/page.txt" && grep -q 'SECURITY CONSIDERATIONS' "$T/page.txt" &&
		pass "man page: mandoc renders it" || fail "man page: mandoc renders it" "$(head -3 "$T/page.txt")"
fi
# man-db (groff) as well, where it is installed: its warnings count too
if ! command -v man >/dev/null 2>&1 || ! command -v groff >/dev/null 2>&1; then
	skip "man page: man --warnings -l has no warning" "man-db or groff is not installed"
else
	warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$PAGE" 2>&1 >/dev/null)
	[ -z "$warnings" ] && pass "man page: man --warnings -l has no warning" ||
		fail "man page: man --warnings -l has no warning" "$warnings"
fi

# ---- the page's options ---------------------------------------------------------------
# Read from the source: the options list is its ".It Fl ..." lines (with
# "Ar" when the option takes an argument); every other "Fl" anywhere in the
# page must name one of them.  An argument of Fl ends at the next macro
# (two letters, a capital and a small one) and delimiters are skipped.
declare -A item_arg=()   # option -> the Ar word after it, or ""
declare -A mentioned=()  # every option written with Fl anywhere
while IFS= read -r line; do
	case $line in .*) ;; *) continue ;; esac
	read -r -a w <<<"${line#.}"
	in_item=0
	[ "${w[0]}" = It ] && [ "${w[1]:-}" = Fl ] && in_item=1
	opts=() arg=''
	for ((i = 0; i < ${#w[@]}; i++)); do
		[ "${w[i]}" = Fl ] || { [ "${w[i]}" = Ar ] && [ -z "$arg" ] && arg=${w[i + 1]:-x}; continue; }
		for ((j = i + 1; j < ${#w[@]}; j++)); do
			t=${w[j]}
			[[ $t =~ ^[A-Z][a-z]$ ]] && break
			case $t in # delimiters, and "-": "--", the end of the options
			, | '|' | '(' | ')' | . | ';' | : | '[' | ']' | '?' | '!' | -) continue ;;
			esac
			if [[ $t == -* ]]; then
				opts+=("-$t")
			else # "Fl nqv": -n -q -v
				for ((k = 0; k < ${#t}; k++)); do opts+=("-${t:k:1}"); done
			fi
		done
	done
	for o in "${opts[@]}"; do
		mentioned[$o]=1
		[ "$in_item" = 1 ] && item_arg[$o]=$arg
	done
done <"$PAGE"

if [ ${#item_arg[@]} -lt 20 ]; then
	fail "man page: its options list is read" "only ${#item_arg[@]} options found: ${!item_arg[*]}"
else
	pass "man page: its options list is read (${#item_arg[@]} spellings)"
fi

# every option of netpin --help is in the page's list, taking an argument
# there exactly when it does in --help
run --help
help=$out
missing='' argdiff=''
while IFS= read -r hl; do
	[[ $hl =~ ^\ +(-([A-Za-z]),\ )?--([a-z-]+)(\ [A-Z])? ]] || continue
	short=${BASH_REMATCH[2]} long=--${BASH_REMATCH[3]} harg=${BASH_REMATCH[4]}
	for o in ${short:+-$short} "$long"; do
		if [ -z "${item_arg[$o]+set}" ]; then
			missing+=" $o"
		elif [ -n "$harg" ] && [ -z "${item_arg[$o]}" ]; then
			argdiff+=" $o (an argument in --help, none in the page)"
		elif [ -z "$harg" ] && [ -n "${item_arg[$o]}" ]; then
			argdiff+=" $o (an argument in the page, none in --help)"
		fi
	done
done <<<"$help"
[ -z "$missing" ] && pass "man page: every option of --help is in its list" ||
	fail "man page: every option of --help is in its list" "missing:$missing"
[ -z "$argdiff" ] && pass "man page: options take an argument as in --help" ||
	fail "man page: options take an argument as in --help" "differ:$argdiff"

# every option the page mentions is one of its list
extra=''
for o in "${!mentioned[@]}"; do
	[ -n "${item_arg[$o]+set}" ] || extra+=" $o"
done
[ -z "$extra" ] && pass "man page: every option it mentions is in its list" ||
	fail "man page: every option it mentions is in its list" "not in the list:$extra"

# every option of the list is accepted by netpin, and takes an argument
# exactly when the page says so: "OPT VALUE -n" succeeds and "-n OPT" (the
# argument missing) fails; "OPT -n" succeeds (-n is not taken as OPT's
# argument)
: >"$T/empty"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
sample() {
	case $1 in
	rule) echo 127.0.0.1 ;;
	file) echo "$T/empty" ;;
	ports) echo 8080 ;;
	errno) echo ECONNREFUSED ;;
	addr) echo 127.0.0.1 ;;
	seconds) echo 1 ;;
	path) echo "$T/sock" ;;
	*) echo "?$1" ;;
	esac
}
refused=''
for o in "${!item_arg[@]}"; do
	a=${item_arg[$o]}
	if [ -n "$a" ]; then
		v=$(sample "$a")
		run "$o" "$v" --resolv "$T/resolv.empty" -n
		[ "$rc" = 0 ] || refused+=" '$o $v' (rc $rc: $err)"
		run --resolv "$T/resolv.empty" -n "$o"
		[ "$rc" = 125 ] || refused+=" '$o' with no argument (rc $rc, not 125)"
	else
		run "$o" --resolv "$T/resolv.empty" -n
		[ "$rc" = 0 ] || refused+=" '$o' (rc $rc: $err)"
	fi
	forget
done
[ -z "$refused" ] && pass "man page: netpin accepts every option of its list as written" ||
	fail "man page: netpin accepts every option of its list as written" "refused:$refused"

# ---- make install -------------------------------------------------------------------
make -s -C "$ROOT" install DESTDIR="$T/dest" PREFIX=/usr >"$T/make.out" 2>&1
inst=$T/dest/usr/share/man/man1/netpin.1
[ -f "$inst" ] && cmp -s "$inst" "$PAGE" && [ "$(stat -c %a "$inst")" = 644 ] &&
	pass "make install: the page in \$(PREFIX)/share/man/man1, mode 644" ||
	fail "make install: the page in \$(PREFIX)/share/man/man1, mode 644" "$(cat "$T/make.out")"
