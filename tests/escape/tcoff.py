#!/usr/bin/env python3
"""Issue 17 item 7: a terminal the command stops must not stop netpin.

tcoff.py NETPIN NETOP PORT -- runs NETPIN with its stdin, stdout and stderr
on a new pseudo-terminal.  The command suspends the terminal's output
(tcflow TCOOFF), makes 300 denied connects (each one a denial line for
netpin to print: more than a pty and a pipe hold), then one allowed
connect.  Prints "finished=1 allowed=ok rc=N" when netpin and the command
end within 60 s, "finished=0" when netpin hung on its own output.
"""
import os
import pty
import subprocess
import sys
import termios

netpin, netop, port = sys.argv[1], sys.argv[2], sys.argv[3]
master, slave = pty.openpty()
script = f"""
import subprocess, termios
termios.tcflow(2, termios.TCOOFF)
for i in range(300):
    subprocess.run(["{netop}", "tcp", "127.0.0.3", str({port} + 1 + i % 50)],
                   stdout=subprocess.DEVNULL)
r = subprocess.run(["{netop}", "tcp", "127.0.0.2", "{port}", "tcoff-token"],
                   capture_output=True)
print("allowed=" + r.stdout.decode().split()[0], flush=True)
"""
out_r, out_w = os.pipe()
p = subprocess.Popen([netpin, "-a", f"127.0.0.2:{port}", "--", "python3", "-c", script],
                     stdin=slave, stdout=out_w, stderr=slave)
os.close(out_w)
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    termios.tcflow(master, termios.TCOON)
    p.kill()
    print("finished=0")
    sys.exit(0)
print(f"finished=1 {os.read(out_r, 4096).decode().strip()} rc={rc}")
