#!/usr/bin/env python3
"""Judge what netpin wrote after the command chose its DNS names (issue 17,
item 4): the --learn file, netpin's stderr and its --log file.

usage: learncheck.py LEARNED STDERR LOG

Prints one line of key=value tokens:
  learned_file=yes|no     the learned file exists and starts with netpin's
                          header comment
  learned_rules=N         its non-comment lines
  learned_prefix_rules=N  non-comment lines that, read as an allow rule,
                          allow a whole network (0.0.0.0/0, ::/0, any
                          address with a prefix length); netpin --learn
                          only ever learns single addresses and names
  learned_control_chars=N bytes below 0x20 (but newline) or 0x7f in the file
  stderr_control_chars=N  the same in netpin's stderr (a raw ESC or CR
                          there is a terminal escape the command wrote)
  log_control_chars=N     the same in the JSON log
"""

import ipaddress
import sys


def controls(data):
    return sum(1 for c in data if (c < 0x20 and c != 0x0A) or c == 0x7F)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def host_part(rule):
    """the HOST of [tcp:|udp:]HOST[:PORTS] (see netpin's RULE grammar)"""
    for p in ("tcp:", "udp:"):
        if rule.startswith(p):
            rule = rule[len(p):]
            break
    if rule.startswith("["):
        end = rule.find("]")
        host = rule[1:end] if end > 0 else rule
        rest = rule[end + 1:] if end > 0 else ""
        if rest.startswith("/"):
            host += "/" + rest[1:].split(":", 1)[0]
        return [host]
    # IPv4[/len][:PORTS], or a bare IPv6[/len] (no ports)
    return [rule, rule.rsplit(":", 1)[0]]


def is_prefix_rule(rule):
    for h in host_part(rule):
        if "/" not in h:
            continue
        try:
            net = ipaddress.ip_network(h, strict=False)
        except ValueError:
            continue
        if net.prefixlen < net.max_prefixlen:
            return True
    return False


def main():
    learned, err, log = (read(p) for p in sys.argv[1:4])
    rules = prefixes = 0
    if learned is not None:
        for raw in learned.split(b"\n"):
            # what netpin -A reads: up to '#', blank lines ignored
            line = raw.decode("latin-1").split("#", 1)[0].strip()
            if not line:
                continue
            rules += 1
            if is_prefix_rule(line):
                prefixes += 1
    print("learned_file=%s learned_rules=%d learned_prefix_rules=%d "
          "learned_control_chars=%d stderr_control_chars=%d "
          "log_control_chars=%d" % (
              "yes" if learned and learned.startswith(b"# written by netpin")
              else "no", rules, prefixes,
              controls(learned or b""), controls(err or b""),
              controls(log or b"")))


if __name__ == "__main__":
    main()
