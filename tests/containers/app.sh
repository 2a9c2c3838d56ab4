#!/bin/sh
# tests/containers/app.sh — the command of the README's recipe in the
# containers area (/bin/app in the image, run by its ENTRYPOINT under
# netpin -A /etc/netpin.rules): a recording server on 127.0.0.2:9000 and
# 127.0.0.3:9000 (its listen on port 9000 allowed by the rules), then a
# connect to each.  Prints "allowed=RESULT denied=RESULT", then the record.
/bin/recorder --out /tmp/app.rec --ready /tmp/app.ready \
	tcp:127.0.0.2:9000 tcp:127.0.0.3:9000 2>/tmp/app.err &
i=0
while [ ! -e /tmp/app.ready ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
echo "allowed=$(/bin/netop tcp 127.0.0.2 9000 app-allowed) denied=$(/bin/netop tcp 127.0.0.3 9000 app-denied)"
sleep 0.5
kill $!
cat /tmp/app.rec /tmp/app.err
