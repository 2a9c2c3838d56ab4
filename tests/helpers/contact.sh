#!/bin/sh
# contact.sh NETOP: the calls the audit and learn tests make under --audit:
# 7 that reach a server (t-aud-1..7), and a bind to 9120
OP=$1
"$OP" tcp 127.0.0.3 9000 t-aud-1
"$OP" tcp 127.0.0.3 9000 t-aud-2
"$OP" tcp 127.0.0.2 9002 t-aud-3
"$OP" tcp 127.0.0.2 9003 t-aud-4
"$OP" udp-sendto 127.0.0.3 9001 t-aud-5
"$OP" udp-connect 127.0.0.2 9001 t-aud-6
"$OP" tcp ::1 9000 t-aud-7
"$OP" bind tcp 127.0.0.2 9120 >/dev/null
