#!/usr/bin/env bash
# http-diff: a checked HTTP connection is read by netpin exactly as real
# servers read it (README, "Names in the connection").  Four servers on
# 127.0.36.1 log every request they parse (Host, method, target): nginx
# (8601, tests/data/httpdiff-nginx.conf), busybox httpd (8602, one request
# per connection, tests/helpers/httpcgi.sh as its CGI), Python's http.server
# with a lenient body reader (8603, tests/helpers/httpsrv.py) and Go's
# net/http (8604, tests/httpsrv.go).  A corpus of request streams
# (tests/helpers/httpcorpus.py: valid pipelines, mutations of line endings,
# framing and header forms, the smuggling attacks, random mutants; the same
# every run) is sent by tests/httpsend to all four at once, once without
# netpin and once under it, allowed only good.test by an http: rule; then
# tests/helpers/httpjudge.py holds what each server served of each stream
# against what netpin's log (-l) says it checked and allowed: one test per
# server and family of streams.
# NETPIN_HTTPDIFF_TABLE=FILE: every stream, server by server, written there.
# shellcheck source=tests/libtest.sh
. "$(dirname "$0")/../libtest.sh"

ADDR=127.0.36.1
if ! python3 "$HELPERS/httpcorpus.py" "$T/corpus" 2>"$T/corpus.err"; then
	fail "http-diff: the corpus is made" "$(tail -1 "$T/corpus.err")"
	exit 0
fi
# (the Go server builds while the others start)
if command -v go >/dev/null; then
	(cd tests && GOCACHE="$T/gocache" GOPATH="$T/gopath" go build -o "$T/httpsrv-go" httpsrv.go) \
		>"$T/go.log" 2>&1 &
	gobuild=$!
fi

# listening PORT PID: the server started as PID listens on ADDR:PORT
# within 20 s (and has not ended)
listening() {
	for _ in $(seq $WAITS); do
		bash -c "exec 3<>/dev/tcp/$ADDR/$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# up NAME PORT LOG PID VERSION: the server started as PID is up (else it
# is said down, with the last line it wrote on stderr)
SPECS=() LOGS=() PORTS=() VERSIONS=()
up() {
	local why
	if listening "$2" "$4"; then
		background "$4"
		SPECS+=("$1:$2:$3") LOGS+=("$3") PORTS+=("$2") VERSIONS+=("$5")
	else
		kill "$4" 2>/dev/null
		why=$(tail -1 "$T/$1.err" 2>/dev/null)
		down "$1" "it does not listen on $ADDR:$2${why:+: $why}"
	fi
}
# down NAME WHY: the server could not start, its tests are skipped
down() { SPECS+=("$1:-:$2") LOGS+=(/dev/null); }

if command -v nginx >/dev/null; then
	mkdir "$T/nginx"
	: >"$T/nginx/access.log"
	nginx -p "$T/nginx/" -c "$DATA/httpdiff-nginx.conf" -e "$T/nginx/error.log" \
		</dev/null >/dev/null 2>"$T/nginx.err" &
	up nginx 8601 "$T/nginx/access.log" $! "$(nginx -v 2>&1 | sed 's/.*: //')"
else
	down nginx "no nginx (Debian: nginx-light)"
fi
if busybox httpd --help >/dev/null 2>&1; then
	mkdir -p "$T/www/cgi-bin"
	cp "$HELPERS/httpcgi.sh" "$T/www/cgi-bin/log"
	chmod 755 "$T/www/cgi-bin/log"
	: >"$T/busybox.log"
	HTTPDIFF_LOG=$T/busybox.log busybox httpd -f -p "$ADDR:8602" -h "$T/www" \
		</dev/null >/dev/null 2>"$T/busybox.err" &
	up busybox 8602 "$T/busybox.log" $! "$(busybox 2>&1 | sed -n '1s/^\(BusyBox v[^ ]*\).*/\1/p')"
else
	down busybox "no busybox httpd (Debian: busybox)"
fi
: >"$T/python.log"
python3 "$HELPERS/httpsrv.py" "$ADDR" 8603 "$T/python.log" </dev/null >/dev/null 2>"$T/python.err" &
up python 8603 "$T/python.log" $! "Python $(python3 -c 'import platform; print(platform.python_version())')"
if [ -z "${gobuild:-}" ]; then
	down go "no Go toolchain (Debian: golang-go)"
elif ! wait "$gobuild"; then
	down go "go build tests/httpsrv.go failed: $(tail -1 "$T/go.log")"
else
	: >"$T/go.log"
	"$T/httpsrv-go" "$ADDR:8604" "$T/go.log" </dev/null >/dev/null 2>"$T/go.err" &
	up go 8604 "$T/go.log" $! "$(go version | cut -d' ' -f3)"
fi
printf -v up '%s, ' "${VERSIONS[@]}" none
echo "# servers up: ${up%, none, }"
if [ ${#PORTS[@]} = 0 ]; then
	skip "http-diff: every test" "no server could start: ${SPECS[*]}"
	exit 0
fi

# ---- every stream, without netpin (b) and under it (n) ---------------------------
echo "$ADDR good.test" >"$T/hosts"
RUNS=$T/runs
mkdir -p "$RUNS/np" "$RUNS/out"
# mark_run NNN MARK: the size of each server's log before stream NNN's run
# MARK (httpjudge.py gives a line no tag names to the run it came in)
mark_run() {
	local sizes
	mapfile -t sizes < <(stat -c %s "${LOGS[@]}")
	echo "$1 $2 ${sizes[*]}" >>"$RUNS/offsets"
}
SEND=$ROOT/tests/httpsend
for f in "$T"/corpus/[0-9]*.req; do
	id=${f##*/} id=${id%.req}
	mark_run "$id" b
	"$SEND" "$f" b "$ADDR" "${PORTS[@]}" >"$RUNS/out/$id.b" 2>&1
	mark_run "$id" n
	"$NP" -q -a http:good.test:8601-8604 --hosts "$T/hosts" --resolv "$T/resolv.empty" \
		-l "$RUNS/np/$id.json" -- "$SEND" "$f" n "$ADDR" "${PORTS[@]}" \
		>"$RUNS/out/$id.n" 2>"$RUNS/np/$id.err"
done
# (the servers log a request before they answer it: a last line can only
# be late where a client gave up waiting)
sleep 0.2
mark_run end -

python3 "$HELPERS/httpjudge.py" "$T/corpus" "$RUNS" "${SPECS[@]}" \
	${NETPIN_HTTPDIFF_TABLE:+--table "$NETPIN_HTTPDIFF_TABLE"}
