# inherit.py COMMAND...: run COMMAND with a new UDP socket on fd 3
import os, socket, subprocess, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if u.fileno() != 3:
    os.dup2(u.fileno(), 3)
sys.exit(subprocess.call(sys.argv[1:], pass_fds=[3]))
