#!/usr/bin/env bash
# ask: --ask PROGRAM holds a call no rule allows and asks PROGRAM
# (tests/helpers/asker.sh): once, always (and --learn), deny; anything else,
# a non-zero exit or no answer in time is deny; one question for calls that
# ask the same; a held call holds up no other; a DNS name approved while
# the command runs; a name inside a checked connection; bind; and the
# command cannot answer in PROGRAM's place.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

recorder_start
dns_start 127.0.0.1 5383 ask || fail "test DNS server for the ask area starts" "$(cat "$T/dns.err")"
export ASKER_DIR=$T
unset ASKER_ANSWER ASKER_ANSWERS ASKER_SLEEP ASKER_EXIT
ASK=(--ask "$HELPERS/asker.sh" --resolv "$T/resolv.empty" --dns 127.0.0.1:5383 --allow-private-dns)
# asked: the questions of the last run, one line each
asked() { cat "$T/questions" 2>/dev/null; }
nasked() { asked | wc -l; }
fresh() { rm -f "$T/questions" "$T/pids" "$T/ask.json" "$T/learned" "$T/go"; }
GO=$T/go

# ---- once, deny, always ---------------------------------------------------------------
fresh
mark
ASKER_ANSWER=once run "${ASK[@]}" -l "$T/ask.json" -- "$OP" tcp 127.0.0.3 9000 ask-once
if [ "$out" = ok ] && got ask-once && [ "$(nasked)" = 1 ]; then
	pass "once: a connect no rule allows is asked about, and made"
else
	fail "once: a connect no rule allows is asked about, and made" "rc $rc out $out questions $(asked) err $err"
fi
q=$(asked)
if python3 - "$q" <<'PY'
import json, sys
q = json.loads(sys.argv[1])
want = {"ask": "connect", "proto": "tcp", "addr": "127.0.0.3", "port": 9000,
        "rule": "tcp:127.0.0.3:9000", "comm": "netop"}
assert all(q.get(k) == v for k, v in want.items()), q
assert q["exe"].endswith("/tests/netop") and q["pid"] > 1, q
PY
then
	pass "the question: one JSON line with what, where, who (pid, comm, exe) and the rule"
else
	fail "the question: one JSON line with what, where, who (pid, comm, exe) and the rule" "$q"
fi
grep -q '"event":"ask","time":"[^"]*","verdict":"once","question":"connect tcp:127.0.0.3:9000"' "$T/ask.json" &&
	grep -q '"event":"connect",.*"verdict":"allow",.*"rule":"--ask once"' "$T/ask.json" &&
	pass "the log has the answer and the call it allowed" ||
	fail "the log has the answer and the call it allowed" "$(cat "$T/ask.json")"

fresh
ASKER_ANSWER=deny expect_denied "deny: the call is denied as any other" ask-deny \
	"${ASK[@]}" -- "$OP" tcp 127.0.0.3 9000 ask-deny
fresh
mark
ASKER_ANSWER=always run "${ASK[@]}" --learn "$T/learned" -- sh -c \
	"$OP tcp 127.0.0.3 9000 ask-always1 && $OP tcp 127.0.0.3 9000 ask-always2"
if [ "$rc" = 0 ] && got ask-always1 && got ask-always2 && [ "$(nasked)" = 1 ]; then
	pass "always: the rule holds for the rest of the run (asked once, two connects)"
else
	fail "always: the rule holds for the rest of the run (asked once, two connects)" "rc $rc out $out questions $(asked) err $err"
fi
grep -Eq '^tcp:127\.0\.0\.3:9000 +# approved while it ran' "$T/learned" &&
	pass "always: the rule is written to the --learn file" ||
	fail "always: the rule is written to the --learn file" "$(cat "$T/learned" 2>&1)"

# ---- anything but once/always/deny is deny -------------------------------------------
for c in "yes:0:an answer that is not once, always or deny" "once:3:PROGRAM did not exit 0"; do
	fresh
	a=${c%%:*} rest=${c#*:} x=${rest%%:*} why=${rest#*:}
	mark
	ASKER_ANSWER=$a ASKER_EXIT=$x run "${ASK[@]}" -- "$OP" tcp 127.0.0.3 9000 ask-bad
	if [ "$out" = "$DENY" ] && silent ask-bad && [[ $err == *"denied ($why)"* ]]; then
		pass "'$a' with exit $x is deny, and said so ($why)"
	else
		fail "'$a' with exit $x is deny, and said so ($why)" "out $out err $err"
	fi
done
fresh
mark
start=$(date +%s)
ASKER_ANSWER=once ASKER_SLEEP=30 run "${ASK[@]}" --ask-timeout 1 -- "$OP" tcp 127.0.0.3 9000 ask-late
if [ "$out" = "$DENY" ] && silent ask-late && [[ $err == *"no answer in time"* ]] &&
	[ $(($(date +%s) - start)) -lt 20 ]; then
	pass "no answer by --ask-timeout is deny (PROGRAM is stopped)"
else
	fail "no answer by --ask-timeout is deny (PROGRAM is stopped)" "out $out err $err"
fi
fresh
run --ask /nonexistent/asker -- true
[ "$rc" = 125 ] && [[ $err == *"--ask /nonexistent/asker"* ]] &&
	pass "--ask with no such program stops netpin (125)" ||
	fail "--ask with no such program stops netpin (125)" "rc $rc err $err"
run --ask "$HELPERS/asker.sh" --audit -- true
[ "$rc" = 125 ] && [[ $err == *"--ask and --audit"* ]] &&
	pass "--ask and --audit together stop netpin (125)" ||
	fail "--ask and --audit together stop netpin (125)" "rc $rc err $err"

# ---- one question at a time; no call waits behind another ----------------------------
fresh
mark
ASKER_ANSWER=once ASKER_WAIT_FOR=$GO run "${ASK[@]}" -- sh -c \
	"$OP tcp 127.0.0.3 9000 ask-same1 & $OP tcp 127.0.0.3 9000 ask-same2 & sleep 2; touch $GO; wait"
if [ "$out" = "ok"$'\n'"ok" ] && got ask-same1 && got ask-same2 && [ "$(nasked)" = 1 ]; then
	pass "two calls that ask the same wait for one question, and both get its answer"
else
	fail "two calls that ask the same wait for one question, and both get its answer" "out $out questions $(asked) err $err"
fi
fresh
mark
ASKER_ANSWER=once ASKER_WAIT_FOR=$GO run "${ASK[@]}" -a 127.0.0.2:9000 -- sh -c \
	"$OP tcp 127.0.0.3 9000 ask-held & sleep 0.3; $OP tcp 127.0.0.2 9000 ask-free; touch $GO; wait"
first=$(new_lines | grep -Eo 'ask-(held|free)' | head -1)
if [ "$first" = ask-free ] && got ask-held; then
	pass "a held call holds up no other: an allowed connect is made while a question waits"
else
	fail "a held call holds up no other: an allowed connect is made while a question waits" "first $first, record $(new_lines)"
fi

# ---- DNS --------------------------------------------------------------------------------
fresh
mark
printf '%s\n' 'web.test once' 'tcp:web.test:9000 deny' >"$T/answers"
ASKER_ANSWERS=$T/answers run "${ASK[@]}" -- "$OP" tcp-name web.test 9000 ask-dns1 2>/dev/null
# CONNECT NAME PORT TOKEN: a connect by name (glibc's resolver, redirected to
# pinned DNS), sending TOKEN; prints ok or the error
CONNECT='import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    s.sendall(sys.argv[3].encode() + b"\n"); s.close(); print("ok")
except OSError as e:
    print(type(e).__name__)'
fresh
mark
printf '%s\n' 'web.test once' 'tcp:web.test:9000 deny' >"$T/answers"
ASKER_ANSWERS=$T/answers run "${ASK[@]}" -- python3 -c "$CONNECT" web.test 9000 ask-dns1
if [ "$out" != ok ] && silent ask-dns1 && [ "$(nasked)" = 2 ] &&
	asked | head -1 | grep -q '"ask":"dns",.*"name":"web.test","type":"A\{1,4\}","rule":"web.test"' &&
	asked | tail -1 | grep -q '"ask":"connect",.*"name":"web.test","rule":"tcp:web.test:9000"'; then
	pass "DNS, once: the name resolves (pinned), and its connect is asked about in its turn"
else
	fail "DNS, once: the name resolves (pinned), and its connect is asked about in its turn" "out $out questions $(asked) err $err"
fi
fresh
mark
ASKER_ANSWER=always run "${ASK[@]}" --learn "$T/learned" -- python3 -c "$CONNECT" web.test 9000 ask-dns2
if [ "$out" = ok ] && got ask-dns2 && [ "$(nasked)" = 1 ] &&
	grep -Eq '^web\.test +# approved while it ran' "$T/learned"; then
	pass "DNS, always: netpin resolves and pins the name; its connects need no question; --learn has it"
else
	fail "DNS, always: netpin resolves and pins the name; its connects need no question; --learn has it" "out $out questions $(asked) learned $(cat "$T/learned" 2>&1) err $err"
fi
fresh
ASKER_ANSWER=deny run "${ASK[@]}" -- sh -c "$OP resolve web.test; $OP resolve web.test"
if [ "$rc" != 0 ] && [[ $out != *127.0.0.2* ]] && [ "$(nasked)" = 1 ]; then
	pass "DNS, deny: the name does not resolve, and is not asked again in the run"
else
	fail "DNS, deny: the name does not resolve, and is not asked again in the run" "rc $rc out $out questions $(asked)"
fi
# a resolver that resends its query while the question waits: every copy is
# answered once the answer comes, and the question is asked once
RESEND='import socket, struct, sys, time
q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x03web\x04test\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
got, end = 0, time.time() + 10
for i in range(3):
    s.sendto(q, ("127.0.0.1", 53)); time.sleep(0.4)
open(sys.argv[1], "w").close()
while time.time() < end and got < 3:
    try:
        r = s.recv(512)
        got += r[:2] == b"\x42\x42" and r.endswith(bytes([127, 0, 0, 2]))
    except socket.timeout:
        pass
print(got)'
fresh
ASKER_ANSWER=once ASKER_WAIT_FOR=$GO run "${ASK[@]}" -- python3 -c "$RESEND" "$GO"
[ "$out" = 3 ] && [ "$(nasked)" = 1 ] &&
	pass "DNS resends while the question waits: each copy answered, one question" ||
	fail "DNS resends while the question waits: each copy answered, one question" "answers $out questions $(asked) err $err"

# ---- bind ---------------------------------------------------------------------------------
LISTEN='import socket,sys; s=socket.socket(); s.bind(("127.0.0.2", int(sys.argv[1]))); s.listen(1); print("listening", s.getsockname()[1])'
fresh
ASKER_ANSWER=always run "${ASK[@]}" --learn "$T/learned" -- python3 -c "$LISTEN" 9120
if [ "$out" = "listening 9120" ] && [ "$(nasked)" = 1 ] &&
	asked | grep -q '"ask":"bind",.*"port":9120,"rule":"--bind 9120"' &&
	grep -Eq '^--bind 9120 +# approved' "$T/learned"; then
	pass "bind, always: bind and listen on the port (one question); --learn has --bind"
else
	fail "bind, always: bind and listen on the port (one question); --learn has --bind" "out $out questions $(asked) err $err"
fi

# ---- names inside a checked connection ------------------------------------------------------
if names_cert && cat >"$T/hosts" <<HOSTS && namesrv 127.0.0.2:443:tls; then
127.0.0.2 good.example other.example
HOSTS
	CURL=(curl -sS --max-time 10 --cacert "$T/cert.pem" --resolve other.example:443:127.0.0.2)
	fresh
	printf '%s\n' 'tcp:other.example:443 once' >"$T/answers"
	ASKER_ANSWERS=$T/answers run "${ASK[@]}" --hosts "$T/hosts" -a good.example:443 -- \
		"${CURL[@]}" https://other.example/ask1
	if [ "$out" = "tls other.example /ask1 0" ] && [ "$(nasked)" = 1 ] &&
		asked | grep -q '"ask":"tls",.*"addr":"127.0.0.2","port":443,"name":"other.example","rule":"tcp:other.example:443"'; then
		pass "a TLS name no rule allows here is asked about (once: the connection goes on)"
	else
		fail "a TLS name no rule allows here is asked about (once: the connection goes on)" "rc $rc out $out questions $(asked) err $err"
	fi
	fresh
	smark
	ASKER_ANSWER=deny run "${ASK[@]}" --hosts "$T/hosts" -a good.example:443 -- \
		"${CURL[@]}" https://other.example/ask2
	[ "$rc" = 35 ] && nothing_reached 443 && [ "$(nasked)" = 1 ] &&
		pass "a TLS name denied by the answer is refused in the connection" ||
		fail "a TLS name denied by the answer is refused in the connection" "rc $rc out $out err $err"
else
	skip "a TLS name no rule allows here is asked about (once: the connection goes on)" "no certificate or TLS server: ${NAMESRV_ERR:-openssl}"
	skip "a TLS name denied by the answer is refused in the connection" "no certificate or TLS server"
fi

# ---- the command cannot answer in PROGRAM's place ------------------------------------------------
fresh
mark
ASKER_ANSWER=once ASKER_WAIT_FOR=$GO run "${ASK[@]}" -- sh -c \
	"$OP tcp 127.0.0.3 9000 ask-attack & python3 $HELPERS/askattack.py $T; wait"
tries=$(grep -v '^ok$' <<<"$out")
if [ "$(grep -c . <<<"$tries")" -ge 7 ] && ! grep -q ' ok$' <<<"$tries" &&
	grep -qx ok <<<"$out" && got ask-attack; then
	pass "the command cannot stop, trace or answer for PROGRAM (signals, ptrace, mem, its socket, pidfd, prlimit)"
else
	fail "the command cannot stop, trace or answer for PROGRAM (signals, ptrace, mem, its socket, pidfd, prlimit)" "out $out err $err"
fi
# a comm of the command's choosing reaches PROGRAM escaped: JSON, ASCII only
fresh
ASKER_ANSWER=deny run "${ASK[@]}" -- python3 -c 'import ctypes, socket
ctypes.CDLL(None).prctl(15, b"a\"b\\\x1b\x9b\xff", 0, 0, 0)
try: socket.create_connection(("127.0.0.3", 9000), timeout=5)
except OSError: pass'
if python3 - "$T/questions" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert all(32 <= b < 127 for b in raw.rstrip(b"\n")), raw
q = json.loads(raw)
assert q["comm"].startswith("a") and "b" in q["comm"], q
PY
then
	pass "what the command names itself reaches PROGRAM escaped (valid JSON, ASCII only)"
else
	fail "what the command names itself reaches PROGRAM escaped (valid JSON, ASCII only)" "$(cat -v "$T/questions" 2>&1)"
fi

# ---- budgets ------------------------------------------------------------------------------------------
fresh
ASKER_ANSWER=deny ASKER_WAIT_FOR=$GO run "${ASK[@]}" -- sh -c \
	'for p in 9200 9201 9202 9203 9204 9205 9206 9207 9208; do '"$OP"' tcp 127.0.0.3 $p x & done; sleep 3; touch '"$GO"'; wait'
[ "$(nasked)" = 8 ] && [[ $err == *"questions at once, the most"* ]] &&
	[ "$(grep -c "$DENY" <<<"$out")" = 9 ] &&
	pass "questions at once are bounded: past 8, a call is denied without asking, and said" ||
	fail "questions at once are bounded: past 8, a call is denied without asking, and said" "questions $(nasked) out $out err $err"

# calls that wait for one question are bounded too: past 24, denied
# without waiting (each waiting call holds one of netpin's threads)
fresh
ASKER_ANSWER=deny ASKER_WAIT_FOR=$GO run "${ASK[@]}" -- sh -c \
	'for i in $(seq 30); do '"$OP"' tcp 127.0.0.3 9000 x & done; sleep 3; touch '"$GO"'; wait'
[ "$(nasked)" = 1 ] && [[ $err == *"24 calls wait for one question, the most"* ]] &&
	[ "$(grep -c "$DENY" <<<"$out")" = 30 ] &&
	pass "calls waiting for one question are bounded: past 24, denied without waiting, and said" ||
	fail "calls waiting for one question are bounded: past 24, denied without waiting, and said" "questions $(nasked) out $out err $err"

# ---- PROGRAM out of the command's reach ----------------------------------------------------------------
# PROGRAM is found in PATH at start: a file of its name that the command
# puts earlier in PATH afterwards is not what answers
fresh
mkdir -p "$T/early" "$T/late"
printf '#!/bin/sh\nexec "%s"\n' "$HELPERS/asker.sh" >"$T/late/np-asker"
chmod 755 "$T/late/np-asker"
mark
PATH="$T/early:$T/late:$PATH" ASKER_ANSWER=deny run --ask np-asker "${ASK[@]:2}" -- sh -c \
	"printf '#!/bin/sh\necho always\n' >'$T/early/np-asker' && chmod 755 '$T/early/np-asker' && $OP tcp 127.0.0.3 9000 ask-path"
sleep 0.3
if [ "$out" = "$DENY" ] && [ "$(nasked)" = 1 ] && ! new_lines | grep -qF ask-path; then
	pass "PROGRAM is found in PATH once, at start: what the command puts earlier in PATH later does not answer"
else
	fail "PROGRAM is found in PATH once, at start: what the command puts earlier in PATH later does not answer" "out $out questions $(nasked) err $err"
fi
# a PROGRAM its user can write (as root, any): said at start
fresh
ASKER_ANSWER=deny run "${ASK[@]}" -- true
if [ -w "$HELPERS/asker.sh" ]; then
	[[ $err == *"--ask: the command may change PROGRAM ($HELPERS/asker.sh)"*"can be written by uid $(id -u)"* ]] &&
		pass "a PROGRAM the command's user can write is said at start" ||
		fail "a PROGRAM the command's user can write is said at start" "rc $rc err $err"
else
	[[ $err != *"may change PROGRAM"* ]] && pass "a PROGRAM the command's user cannot write is not said" ||
		fail "a PROGRAM the command's user cannot write is not said" "rc $rc err $err"
fi
# PROGRAM's stderr is netpin's own, not closed
fresh
cat >"$T/err-asker" <<'SH'
#!/bin/sh
read -r q
echo "asker stderr here" >&2
echo deny
SH
chmod 755 "$T/err-asker"
run --ask "$T/err-asker" "${ASK[@]:2}" -- "$OP" tcp 127.0.0.3 9000 x
[[ $err == *"asker stderr here"* ]] && pass "PROGRAM writes to netpin's standard error" ||
	fail "PROGRAM writes to netpin's standard error" "err $err"

# ---- a once answer is for the address it was asked about ---------------------------------------------
# web.test is pinned to 127.0.0.2 and 127.0.0.3 (its rule is for port 80);
# two connects to port 9000 at once, one to each address: PROGRAM answers
# once for 127.0.0.2 only, after a second, and 127.0.0.3 must get nothing
fresh
printf '127.0.0.2 web.test\n127.0.0.3 web.test\n' >"$T/hosts2"
cat >"$T/addr-asker" <<SH
#!/bin/sh
IFS= read -r q
printf '%s\n' "\$q" >>"$T/questions"
sleep 1
case \$q in *'"addr":"127.0.0.2"'*) echo once ;; *) echo deny ;; esac
SH
chmod 755 "$T/addr-asker"
mark
run --ask "$T/addr-asker" "${ASK[@]:2}" --hosts "$T/hosts2" -a web.test:80 -- sh -c \
	"$OP tcp 127.0.0.2 9000 ask-addr2 & $OP tcp 127.0.0.3 9000 ask-addr3 & wait"
sleep 0.3
if got ask-addr2 && ! new_lines | grep -qF ask-addr3 && [ "$(nasked)" = 2 ]; then
	pass "once for one address of a name is not shared with a call to its other address (asked apart)"
else
	fail "once for one address of a name is not shared with a call to its other address (asked apart)" "questions $(asked) out $out err $err; got: $(new_lines | tr '\n' ' ')"
fi
