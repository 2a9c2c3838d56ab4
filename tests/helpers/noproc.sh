#!/bin/sh
# noproc.sh COMMAND...: run COMMAND with an empty /proc (as in an initramfs
# before /proc is mounted).  Run it in a mount namespace of its own:
#   unshare -m --propagation private sh noproc.sh COMMAND...
mount -t tmpfs noproc /proc || exit 125
exec "$@"
