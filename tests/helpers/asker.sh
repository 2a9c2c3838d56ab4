#!/bin/sh
# asker.sh — a --ask PROGRAM for the ask area.  It appends the question it
# reads to $ASKER_DIR/questions and its pid to $ASKER_DIR/pids, waits
# $ASKER_SLEEP seconds (0), or till the file $ASKER_WAIT_FOR is there (20 s
# at most: the test's command makes it when it has done what it does while
# the question waits), answers $ASKER_ANSWER (deny) and exits
# $ASKER_EXIT (0).  With ASKER_ANSWERS=FILE, the answer is the first line
# of FILE whose word before a space is in the question (the rule), else
# deny.
IFS= read -r q
printf '%s\n' "$q" >>"$ASKER_DIR/questions"
echo $$ >>"$ASKER_DIR/pids"
sleep "${ASKER_SLEEP:-0}"
if [ -n "${ASKER_WAIT_FOR:-}" ]; then
	i=0
	while [ ! -e "$ASKER_WAIT_FOR" ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
fi
answer=${ASKER_ANSWER:-deny}
if [ -n "${ASKER_ANSWERS:-}" ]; then
	answer=deny
	while read -r key a; do
		case $q in *"\"rule\":\"$key\""*) answer=$a && break ;; esac
	done <"$ASKER_ANSWERS"
fi
printf '%s\n' "$answer"
exit "${ASKER_EXIT:-0}"
