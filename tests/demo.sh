#!/usr/bin/env bash
# make demo: a loopback web server on two addresses, one fetch netpin allows,
# one it denies, and the JSON log of both.  It runs in a network namespace
# of its own (tests/netns.sh) so that nothing can leave the machine.
set -u
# shellcheck source=tests/netns.sh
. "$(dirname "$0")/netns.sh" "$@"
cd "$(dirname "$0")/.." || exit 1
T=$(mktemp -d /tmp/netpin-demo.XXXXXX)
python3 tests/server.py --out "$T/rec" --ready "$T/ready" \
	http:127.0.0.2:8080 http:127.0.0.3:8080 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.05; done
if command -v curl >/dev/null; then
	fetch=(curl -sS --max-time 5)
else
	fetch=(python3 -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1]).read().decode(),end="")')
fi
# bold commands on a terminal only: no raw escape codes in a log or a pipe
if [ -t 1 ]; then
	show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	show() { printf '\n$ %s\n' "$*"; }
fi
run() { show "$@"; "$@"; echo "(exit status $?)"; }

run ./netpin --allow 127.0.0.2:8080 --log "$T/log" -- "${fetch[@]}" http://127.0.0.2:8080/allowed
run ./netpin --allow 127.0.0.2:8080 --log "$T/log" -- "${fetch[@]}" http://127.0.0.3:8080/denied
show cat "$T/log"
cat "$T/log"
show cat "$T/rec" "   # what the two servers received"
cat "$T/rec"
