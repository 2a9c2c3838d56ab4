#!/usr/bin/env python3
"""Does netpin's pinned-DNS responder answer a query that it did not
redirect?  (issue 17, item 1: it must answer only the sockets netpin
itself carried to it.)

usage: stray_dns.py NETPIN_COMMAND... -- DNS_ASK

Runs NETPIN_COMMAND -v -- DNS_ASK -w ok.example: the command asks netpin's
DNS once (the control: the responder answers the command) and then waits.
The responder's UDP port is read from netpin's -v line "pinned DNS: the
command's DNS goes to 127.0.0.1:PORT" (or, failing that, from the UDP
sockets on 127.0.0.1 among netpin's fds).  Then a plain socket of ours,
outside netpin, sends a query straight to that port and waits 5 s.
Prints: "stray_dns: own_reply=... responder_port=N stray_reply=none|RCODE".
"""

import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time

RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]


def udp_ports_of(pid):
    """UDP ports on 127.0.0.1 of the sockets among pid's fds"""
    inodes = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", link)
            if m:
                inodes.add(m.group(1))
    except OSError:
        return []
    ports = []
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            addr, port = fields[1].split(":")
            if addr == "0100007F" and fields[9] in inodes:
                ports.append(int(port, 16))
    return ports


def main():
    sep = sys.argv.index("--")
    netpin, ask = sys.argv[1:sep], sys.argv[sep + 1]
    p = subprocess.Popen(netpin + ["-v", "--", ask, "-w", "ok.example"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    port = []

    def read_err():
        for line in p.stderr:
            m = re.search(rb"pinned DNS: the command's DNS goes to "
                          rb"127\.0\.0\.1:(\d+)", line)
            if m and not port:
                port.append(int(m.group(1)))
    threading.Thread(target=read_err, daemon=True).start()
    own = "none"
    deadline = time.monotonic() + 20
    for line in p.stdout:
        m = re.search(rb"reply1=(\S+)", line)
        if m:
            own = m.group(1).decode()
        if line.startswith(b"waiting") or time.monotonic() > deadline:
            break
    # netpin printed its -v lines before it started the command
    if not port:
        port.extend(udp_ports_of(p.pid))
    stray = "none"
    if port:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        q = (struct.pack("!HHHHHH", 0x5151, 0x0100, 1, 0, 0, 0)
             + b"\x05stray\x07example\x00\x00\x01\x00\x01")
        s.sendto(q, ("127.0.0.1", port[0]))
        end = time.monotonic() + 5
        while stray == "none" and time.monotonic() < end:
            r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
            if not r:
                break
            data = s.recv(1500)
            if len(data) >= 12 and data[:2] == q[:2]:
                stray = RCODES[data[3] & 15] if (data[3] & 15) < 6 else "RCODE?"
    p.stdin.close()
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
    print("stray_dns: own_reply=%s responder_port=%s stray_reply=%s" % (
        own, port[0] if port else "unknown", stray))


if __name__ == "__main__":
    main()
