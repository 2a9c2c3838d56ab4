#!/usr/bin/env python3
"""What multicast group reports leave a link (issue 17, item 2): a
capture on the far end of a veth pair, in a network namespace of its own.

usage: mcast_cap.py capture --if IF --out FILE --ns-ready FILE --ready FILE GROUP...
       mcast_cap.py check --if IF --out FILE --marker GROUP... -- GROUP...

capture (run it under "unshare -n"): writes --ns-ready at once (its
namespace exists: the caller may now move IF into it), waits (10 s at
most) for IF, sets it up, captures on it (AF_PACKET) and writes --ready.
For every IGMP packet (IPv4 protocol 2) or MLD packet (ICMPv6 130, 131,
132, 143) that carries the 4 or 16 bytes of one of the GROUPs, it appends
"seen GROUP" to --out (once per group).  Runs until killed.

check (run it in the caller's namespace, outside netpin): joins each
--marker group on IF (their reports follow any report still due for a
group joined earlier on IF: the kernel sends pending changes in order),
waits (10 s at most) until the capture saw every marker, then prints
"markers_seen=N chosen_groups_seen=N [GROUP ...]" for the other GROUPs.
"""

import argparse
import ipaddress
import os
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003


def group_bytes(g):
    return ipaddress.ip_address(g).packed


def report_payload(frame):
    """the L3 packet of an IGMP or MLD frame, else None"""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    pkt = frame[14:]
    if etype == 0x0800 and len(pkt) >= 20 and pkt[9] == 2:
        return pkt
    if etype == 0x86DD and len(pkt) >= 40:
        nh, off = pkt[6], 40
        while nh in (0, 43, 60) and off + 8 <= len(pkt):  # extension headers
            nh, off = pkt[off], off + 8 + pkt[off + 1] * 8
        if nh == 58 and off < len(pkt) and pkt[off] in (130, 131, 132, 143):
            return pkt
    return None


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def capture(a):
    write_atomic(a.ns_ready, "ns\n")
    end = time.monotonic() + 10
    while True:
        try:
            socket.if_nametoindex(a.ifname)
            break
        except OSError:
            if time.monotonic() > end:
                sys.exit("mcast_cap.py: %s never appeared" % a.ifname)
            time.sleep(0.02)
    subprocess.run(["ip", "link", "set", a.ifname, "up"], check=True)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.ifname, 0))
    groups = [(g, group_bytes(g)) for g in a.groups]
    seen = set()
    out = open(a.out, "a")
    write_atomic(a.ready, "ready\n")
    while True:
        frame = s.recv(65535)
        pkt = report_payload(frame)
        if pkt is None:
            continue
        for g, b in groups:
            if g not in seen and b in pkt:
                seen.add(g)
                out.write("seen %s\n" % g)
                out.flush()


def seen_in(path):
    try:
        with open(path) as f:
            return {line.split()[1] for line in f if line.startswith("seen ")}
    except OSError:
        return set()


def check(a):
    idx = socket.if_nametoindex(a.ifname)
    keep = []
    for g in a.marker:
        if ":" in g:
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                         group_bytes(g) + struct.pack("@I", idx))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                         group_bytes(g) + b"\0\0\0\0" + struct.pack("@i", idx))
        keep.append(s)
    end = time.monotonic() + 10
    while not set(a.marker) <= seen_in(a.out) and time.monotonic() < end:
        time.sleep(0.05)
    seen = seen_in(a.out)
    chosen = [g for g in a.groups if g in seen]
    print("markers_seen=%d chosen_groups_seen=%d %s" % (
        len(set(a.marker) & seen), len(chosen), " ".join(chosen)))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--if", dest="ifname", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--ns-ready", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("groups", nargs="+")
    k = sub.add_parser("check")
    k.add_argument("--if", dest="ifname", required=True)
    k.add_argument("--out", required=True)
    k.add_argument("--marker", action="append", required=True)
    k.add_argument("groups", nargs="+")
    a = ap.parse_args()
    capture(a) if a.cmd == "capture" else check(a)


if __name__ == "__main__":
    main()
