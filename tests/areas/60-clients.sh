#!/usr/bin/env bash
# clients: real programs fetch from an allowed and a denied web server.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
recorder_start

client() {
	local name=$1 allow=$2 url=$3
	shift 3
	mark
	run -a "$allow" -- "$@" "$url"
}
if command -v curl >/dev/null; then
	client curl 127.0.0.2:8080 http://127.0.0.2:8080/curl-ok curl -s
	[ "$rc" = 0 ] && [ "$out" = ok ] && got "/curl-ok" && pass "curl: allowed fetch" || fail "curl: allowed fetch" "rc $rc $err"
	client curl 127.0.0.2:8080 http://127.0.0.3:8080/curl-deny curl -s
	[ "$rc" = 7 ] && silent "/curl-deny" && pass "curl: denied fetch fails (exit 7) and reaches nothing" ||
		fail "curl: denied fetch fails (exit 7) and reaches nothing" "rc $rc $err"
else
	skip "curl: allowed fetch" "curl not installed"
	skip "curl: denied fetch fails (exit 7) and reaches nothing" "curl not installed"
fi
if command -v wget >/dev/null; then
	client wget 127.0.0.2:8080 http://127.0.0.2:8080/wget-ok wget -q -O-
	[ "$rc" = 0 ] && got "/wget-ok" && pass "wget: allowed fetch" || fail "wget: allowed fetch" "rc $rc $err"
	client wget 127.0.0.2:8080 http://127.0.0.3:8080/wget-deny wget -q -t 1 -O-
	[ "$rc" != 0 ] && silent "/wget-deny" && pass "wget: denied fetch fails and reaches nothing" ||
		fail "wget: denied fetch fails and reaches nothing" "rc $rc $err"
	# with its default 20 tries, GNU wget retried EACCES for minutes; the
	# default deny errno (EHOSTUNREACH) ends it at once (60 s: a hang bound)
	mark
	run -a 127.0.0.2:8080 -- timeout 60 wget -q -O- http://127.0.0.3:8080/wget-retry
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && silent "/wget-retry" &&
		pass "wget (20 tries by default) gives up at once on a denied host" ||
		fail "wget (20 tries by default) gives up at once on a denied host" "rc $rc $err"
else
	skip "wget: allowed fetch" "wget not installed"
	skip "wget: denied fetch fails and reaches nothing" "wget not installed"
fi
PYGET='import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode().strip())'
client python3 127.0.0.2:8080 http://127.0.0.2:8080/py-ok python3 -c "$PYGET"
[ "$rc" = 0 ] && [ "$out" = ok ] && got "/py-ok" && pass "python3: allowed fetch" || fail "python3: allowed fetch" "rc $rc $err"
client python3 127.0.0.2:8080 http://127.0.0.3:8080/py-deny python3 -c "$PYGET"
case $err in *"No route to host"*) denied_py=1 ;; *) denied_py=0 ;; esac
[ "$rc" = 1 ] && [ $denied_py = 1 ] && silent "/py-deny" && pass "python3: denied fetch fails with 'No route to host'" ||
	fail "python3: denied fetch fails with 'No route to host'" "rc $rc $err"
if command -v busybox >/dev/null; then
	client busybox 127.0.0.2:8080 http://127.0.0.2:8080/bb-ok busybox wget -q -O-
	[ "$rc" = 0 ] && got "/bb-ok" && pass "busybox wget (static): allowed fetch" || fail "busybox wget (static): allowed fetch" "rc $rc $err"
else
	skip "busybox wget (static): allowed fetch" "busybox not installed"
fi

