#!/usr/bin/env bash
# sanitizers: netpin built with AddressSanitizer and UBSan (netpin-asan) in
# both modes: hostile DNS replies, mediated calls, garbage, the attacks,
# stress; and the fuzzers (tests/fuzz.c), 4 s each.  It does not depend on
# the run's mode.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"
only_mode pidfd_getfd
recorder_start
dns_hostile_start || fail "test DNS servers start" "$(cat "$T/dns.err")"

if make -s -j2 netpin-asan fuzzers >"$T/asan-build.log" 2>&1; then
	NP=$ROOT/netpin-asan
	export ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	dry --skip-unresolved -a garbage.test -a loop.test -a badcount.test -a longname.test -a wid.test -a big.test -a alias.test
	case "$rc:$err" in
	0:*AddressSanitizer*|0:*"runtime error"*) fail "ASan/UBSan: hostile DNS replies" "$err" ;;
	0:*) pass "ASan/UBSan: hostile DNS replies" ;;
	*) fail "ASan/UBSan: hostile DNS replies" "rc $rc $err" ;;
	esac
	asan_op() {
		local what=$1 want=$2
		shift 2
		run -a 127.0.0.2 -- "$OP" "$@" </dev/null
		case "$out:$err" in
		*AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: $what" "$err" ;;
		"$want":*) pass "ASan/UBSan: $what" ;;
		*) fail "ASan/UBSan: $what" "out '$out' err $err" ;;
		esac
	}
	asan_op "allowed TCP" ok tcp 127.0.0.2 9000 t-asan
	asan_op "denied TCP" "$DENY" tcp 127.0.0.3 9000
	asan_op "sendmmsg mixed" "ok 1" udp-sendmmsg 127.0.0.2 9001 a 127.0.0.3 9001 b
	asan_op "SCM_RIGHTS" ok scm-rights
	asan_op "bad pointer" EFAULT connect-badptr
	asan_op "bad iovec" EFAULT sendmsg-badiov 127.0.0.2 9001
	asan_op "bad length" EINVAL connect-badlen 127.0.0.2 9000 4096
	asan_op "20 threads" "ok 20" threads 20 127.0.0.2 9000
	# the attacks of tests/escape run against netpin-asan in the addfd
	# mode below, which goes through the most of netpin's code (the pidfd
	# mode's own paths: the calls above, the stress run and the valgrind
	# area); both modes' attacks ran here once, which cost the suite 40 s
	run -a 127.0.0.2 -- tests/stress 2 16 3 127.0.0.2 127.0.0.3 9000 9001
	case "$rc:$out:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: stress, 2 processes x 16 threads for 3 s" "$err" ;;
	0:"ok "*) pass "ASan/UBSan: stress, 2 processes x 16 threads for 3 s" ;;
	*) fail "ASan/UBSan: stress, 2 processes x 16 threads for 3 s" "rc $rc $out $err" ;; esac
	# checked connections (names in the connection): a TLS name allowed and
	# one refused, and on a kept-alive plain HTTP connection a chunked body,
	# then a request for another host (tunnels, the wire parsers, the relay)
	if names_cert && namesrv 127.0.0.2:443:tls 127.0.0.2:80:http; then
		printf '127.0.0.2 good.example evil.example\n' >"$T/asan.hosts"
		NH=(--resolv "$T/resolv.empty" --hosts "$T/asan.hosts" -a good.example:443 -a good.example:80)
		asan_checked() { # WHAT WANT-GLOB COMMAND...
			local what=$1 want=$2
			shift 2
			"$NP" "${NH[@]}" -- "$@" </dev/null >"$T/out" 2>"$T/err"
			rc=$? out=$(cat "$T/out") err=$(cat "$T/err")
			# shellcheck disable=SC2254 # (want is a pattern on purpose)
			case "$out:$err" in
			*AddressSanitizer*|*"runtime error"*|*LeakSanitizer*) fail "ASan/UBSan: $what" "$err" ;;
			$want) pass "ASan/UBSan: $what" ;;
			*) fail "ASan/UBSan: $what" "rc $rc out '$out' err $err" ;;
			esac
		}
		asan_checked "checked: an allowed TLS name" "tls good.example /a1 0:" \
			curl -sS --max-time 10 --cacert "$T/cert.pem" https://good.example/a1
		asan_checked "checked: a refused TLS name" "*denied tls to 127.0.0.2:443/tcp naming evil.example*" \
			curl -sS --max-time 10 --cacert "$T/cert.pem" --resolve evil.example:443:127.0.0.2 \
			https://evil.example/a2
		asan_checked "checked: a chunked body, then a refused Host" "*HTTP/1.1 200 OK*HTTP/1.1 403 Forbidden*" \
			"$HELPERS/rawreq.py" 127.0.0.2 80 \
			'POST /a3 HTTP/1.1\r\nHost: good.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' \
			'GET /a4 HTTP/1.1\r\nHost: evil.example\r\n\r\n'
	else
		skip "ASan/UBSan: checked connections" "no certificate or no test server: $NAMESRV_ERR"
	fi
	# netpin-asan in addfd mode (pidfd_getfd refused as by Docker's profile);
	# LeakSanitizer needs ptrace, which that profile refuses
	NP=$ROOT/tests/np-addfd
	export NETPIN_BIN=$ROOT/netpin-asan ASAN_OPTIONS=abort_on_error=1:detect_leaks=0
	run -v -a 127.0.0.2 -- true
	case "$rc:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: addfd mode: -v says mediation: addfd" "$err" ;;
	0:*"mediation: addfd"*) pass "ASan/UBSan: addfd mode: -v says mediation: addfd" ;;
	*) fail "ASan/UBSan: addfd mode: -v says mediation: addfd" "rc $rc $err" ;; esac
	asan_op "addfd mode: allowed TCP" ok tcp 127.0.0.2 9000 t-asan-addfd
	asan_op "addfd mode: denied TCP" "$DENY" tcp 127.0.0.3 9000
	asan_op "addfd mode: sendmmsg mixed" "ok 1" udp-sendmmsg 127.0.0.2 9001 a 127.0.0.3 9001 b
	asan_op "addfd mode: SCM_RIGHTS of a pipe (refused)" EACCES scm-rights
	asan_op "addfd mode: bad pointer" EFAULT connect-badptr
	asan_op "addfd mode: 20 threads" "ok 20" threads 20 127.0.0.2 9000
	run -a 127.0.0.2 -- python3 "$HELPERS/scm.py" t-asan-scm t-asan-scm-deny
	case "$out:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: addfd mode: SCM_RIGHTS of sockets between processes" "$err" ;;
	*"child sockets ok $DENY"*"parent via-passed-unix"*) pass "ASan/UBSan: addfd mode: SCM_RIGHTS of sockets between processes" ;;
	*) fail "ASan/UBSan: addfd mode: SCM_RIGHTS of sockets between processes" "out '$out' err $err" ;; esac
	run -a 127.0.0.2 -- tests/stress 2 16 3 127.0.0.2 127.0.0.3 9000 9001
	case "$rc:$out:$err" in *AddressSanitizer*|*"runtime error"*) fail "ASan/UBSan: addfd mode: stress, 2 processes x 16 threads for 3 s" "$err" ;;
	0:"ok "*) pass "ASan/UBSan: addfd mode: stress, 2 processes x 16 threads for 3 s" ;;
	*) fail "ASan/UBSan: addfd mode: stress, 2 processes x 16 threads for 3 s" "rc $rc $out $err" ;; esac
	TMPDIR=$T timeout -k 5 240 tests/escape/run.sh "$NP" >"$T/escape-asan" 2>&1
	bad=$(grep -c '^not ok' "$T/escape-asan")
	okn=$(grep -c '^ok' "$T/escape-asan")
	if [ "$bad" = 0 ] && grep -q "^# escape: every attack ran$" "$T/escape-asan" && ! grep -q "AddressSanitizer\|runtime error" "$T/escape-asan"; then
		pass "ASan/UBSan: addfd mode: the $okn attacks of tests/escape fail against netpin-asan too"
	else
		fail "ASan/UBSan: addfd mode: the $okn attacks of tests/escape fail against netpin-asan too" "$(grep -m3 '^not ok\|Sanitizer\|runtime error' "$T/escape-asan" | tr '\n' ' ')"
	fi
	unset NETPIN_BIN
	unset ASAN_OPTIONS UBSAN_OPTIONS
	for f in dns rule sockaddr cmsg wire; do
		mkdir -p "$T/corpus-$f"
		if FUZZ_TARGET=$f tests/fuzz -max_total_time=4 -print_final_stats=0 "$T/corpus-$f" >"$T/fuzz-$f.log" 2>&1; then
			pass "fuzz: $f parser, 4 s under ASan/UBSan, no crash"
		else
			fail "fuzz: $f parser, 4 s under ASan/UBSan, no crash" "$(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$T/fuzz-$f.log")"
		fi
	done
else
	for w in "ASan/UBSan build" "fuzzers"; do skip "$w" "clang with libFuzzer is not installed: $(tail -1 "$T/asan-build.log")"; done
fi
