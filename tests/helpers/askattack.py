#!/usr/bin/env python3
"""askattack.py DIR — the command tries to answer a --ask question itself.

Waits for the asker's pid (DIR/pids, written by tests/helpers/asker.sh while
it holds the question), then aims at it what a same-uid process could use
to stop it, or to answer in its place: signals (to the process and its
group), ptrace, /proc/PID/mem, its answer's socket (/proc/PID/fd/1), a
pidfd, prlimit.  Prints one line per try: "NAME ERRNO" (refused) or
"NAME ok" (it worked).  Then it makes DIR/go (the asker answers).
"""
import ctypes, errno, os, resource, signal, sys, time

d = sys.argv[1]
for _ in range(100):
    try:
        pid = int(open(os.path.join(d, "pids")).read().split()[0])
        break
    except (OSError, ValueError, IndexError):
        time.sleep(0.05)
else:
    print("no asker seen")
    sys.exit(1)

libc = ctypes.CDLL(None, use_errno=True)


def tried(name, fn):
    try:
        r = fn()
        if isinstance(r, int) and r < 0:
            print(name, errno.errorcode.get(ctypes.get_errno(), "E?"))
        else:
            print(name, "ok")
    except OSError as e:
        print(name, errno.errorcode.get(e.errno, "E?"))


tried("kill", lambda: os.kill(pid, signal.SIGSTOP))
tried("killpg", lambda: os.killpg(pid, signal.SIGSTOP))
if os.uname().machine == "x86_64":  # (tgkill's number there)
    tried("tgkill", lambda: libc.syscall(234, pid, pid, signal.SIGSTOP))
tried("ptrace", lambda: libc.ptrace(16, pid, None, None))  # PTRACE_ATTACH
tried("mem", lambda: os.close(os.open("/proc/%d/mem" % pid, os.O_RDWR)))
tried("answer", lambda: os.write(os.open("/proc/%d/fd/1" % pid, os.O_WRONLY),
                                 b"always\n"))
tried("pidfd", lambda: os.close(os.pidfd_open(pid)))
tried("prlimit", lambda: resource.prlimit(pid, resource.RLIMIT_CPU, (0, 0)))
open(os.path.join(d, "go"), "w").close()
