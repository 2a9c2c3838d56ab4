#!/usr/bin/env python3
"""Issue 17 item 7: a terminal the command stops must not stop netpin.

tcoff.py NETPIN NETOP PORT [tostop] -- runs NETPIN in a session of its own
whose controlling terminal is a new pseudo-terminal (its stdin and stderr).
The command suspends the terminal's output (tcflow TCOOFF) -- or, with
"tostop", sets TOSTOP and makes a process group of its own the foreground
one, so that the kernel stops a background writer (netpin) with SIGTTOU --
then makes 300 denied connects (each one a denial line for netpin to
print: more than a pty and a pipe hold), then one allowed connect.  Prints "finished=1 allowed=ok rc=N" when netpin and the command
end within 60 s, "finished=0" when netpin hung on its own output.
"""
import fcntl
import os
import pty
import subprocess
import sys
import termios

netpin, netop, port = sys.argv[1], sys.argv[2], sys.argv[3]
tostop = len(sys.argv) > 4 and sys.argv[4] == "tostop"
master, slave = pty.openpty()
stop_terminal = """
import os, signal
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
t = termios.tcgetattr(2)
t[3] |= termios.TOSTOP
termios.tcsetattr(2, termios.TCSANOW, t)
os.setpgid(0, 0)
os.tcsetpgrp(2, os.getpgrp())
""" if tostop else "termios.tcflow(2, termios.TCOOFF)\n"
script = f"""
import subprocess, termios
{stop_terminal}
for i in range(300):
    subprocess.run(["{netop}", "tcp", "127.0.0.3", str({port} + 1 + i % 50)],
                   stdout=subprocess.DEVNULL)
r = subprocess.run(["{netop}", "tcp", "127.0.0.2", "{port}", "tcoff-token"],
                   capture_output=True)
print("allowed=" + r.stdout.decode().split()[0], flush=True)
"""
out_r, out_w = os.pipe()
# a session leader (as a login shell is) runs netpin in a process group of
# its own, the foreground one: netpin's group is then not orphaned, and the
# kernel would stop it with SIGTTOU
LEADER = """
import os, signal, sys
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.tcsetpgrp(0, os.getpgrp())
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)  # netpin as a shell starts it
    os.execvp(sys.argv[1], sys.argv[1:])
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""
p = subprocess.Popen(["python3", "-c", LEADER, netpin, "-a", f"127.0.0.2:{port}", "--",
                      "python3", "-c", script],
                     stdin=slave, stdout=out_w, stderr=slave, start_new_session=True,
                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
os.close(out_w)
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    termios.tcflow(master, termios.TCOON)
    p.kill()
    print("finished=0")
    sys.exit(0)
print(f"finished=1 {os.read(out_r, 4096).decode().strip()} rc={rc}")
