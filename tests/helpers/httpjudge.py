#!/usr/bin/env python3
"""httpjudge — the verdicts of the http-diff area: what each server parsed
of each stream, against what netpin checked and allowed.

    httpjudge.py CORPUS RUNS SERVER... [--table FILE]

CORPUS: tests/helpers/httpcorpus.py's directory (its index).  RUNS: the
area's record of its runs: RUNS/offsets (a line "NNN MARK SIZE..." before
each run of stream NNN, MARK b for the run without netpin, n for the run
under it, SIZE the size of each server's log then, in SERVER order; a last
line "end - SIZE..."), RUNS/np/NNN.json (netpin's -l log of stream NNN) and
RUNS/out/NNN.MARK (what tests/httpsend said).  SERVER: NAME:PORT:LOG for a
server that ran, NAME:-:WHY for one that could not start.

A server's log has a line per request it parsed: STATUS TAB HOST TAB
ROUTE TAB METHOD TAB TARGET (\\xHH escapes; "-": none); a request is served
when its STATUS is 200, and is the stream's and run's its target's tag
"?MARKsNNN-N" names, else the run's during which the line was written.

netpin's log has an event per request head it checked: {"event":
"connect", "port": PORT, "host": NAME, "verdict": "allow"} or a "deny"
(with the host it refused, or "why" it refused the shape); after a deny
the connection is cut.

For every stream and server, under netpin: every request the server
served is one netpin allowed, in the same order, for the same host (its
Host, and the host of an absolute-form target, lower-cased, without the
port or a last dot), and netpin allowed good.test only; so a server never
serves evil.test, nor anything past netpin's refusal.  For the valid
streams, also: netpin allowed every request of the stream and the server
served what it serves without netpin (and each server served some of
them: a server that logs nothing fails).  Prints one test line per family
and server ("ok - ..." / "not ok - ..."), with the failing streams named;
and notes the shapes netpin refuses while every server reads them alike,
as requests naming good.test (what a stricter netpin costs).  --table
FILE: every stream, server by server, what was served without and under
netpin, and netpin's verdicts.
"""
import json
import os
import re
import sys

FAMILIES = ("valid", "line-endings", "framing", "header-forms", "attacks", "random")
ALIVE = ("nginx", "python", "go")  # the servers that keep connections alive
TAG = re.compile(rb"\?([bn])s(\d+)-\d+")


def unescape(field):
    return re.sub(rb"\\x([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), field)


def norm(host):
    """A host as servers route by it: lower case, no port, no last dot."""
    h = unescape(host).decode("latin-1").lower().strip(" \t")
    if h in ("-", ""):
        return ""
    if not h.startswith("["):
        h = h.split(":", 1)[0]
    return h[:-1] if h.endswith(".") and len(h) > 1 else h


class Served:
    """A request a server parsed."""
    def __init__(self, fields):
        self.status = fields[0].decode("latin-1")
        self.hosts = [norm(fields[1])] + ([norm(fields[2])] if fields[2] != b"-" else [])
        self.method = unescape(fields[3]).decode("latin-1")
        self.target = unescape(fields[4]).decode("latin-1")

    def host(self):
        return self.hosts[0] or "(none)"

    def text(self):
        """STATUS HOST METHOD TARGET (HOST>ROUTE when it routes by another)"""
        route = ">" + self.hosts[1] if self.hosts[1:] not in ([], self.hosts[:1]) else ""
        shown = [self.host() + route, self.method, self.target[:40]]
        return " ".join([self.status] + [v.encode("unicode_escape").decode() for v in shown])


def read_offsets(path, nservers):
    runs = []  # (sid or "end", mark, [size per server])
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == nservers + 2:
                runs.append((w[0], w[1], [int(x) for x in w[2:]]))
    return runs


def read_server(path, index, runs):
    """{(sid, mark): [Served]} from one server's log"""
    got = {}
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    for raw in data.split(b"\n"):
        start, off = off, off + len(raw) + 1
        if not raw:
            continue
        fields = raw.split(b"\t")
        if len(fields) != 5:
            fields = (fields + [b"-"] * 5)[:5]
        m = TAG.search(fields[4])
        if m:
            key = ("%03d" % int(m.group(2)), m.group(1).decode())
        else:
            key = None
            for sid, mark, sizes in runs:
                if sizes[index] <= start and sid != "end":
                    key = (sid, mark)
        if key:
            got.setdefault(key, []).append(Served(fields))
    return got


def netpin_checks(path, port):
    """(hosts netpin allowed in order, what it refused or None)"""
    allowed, refused = [], None
    try:
        f = open(path)
    except OSError:
        return allowed, "no log from netpin"
    with f:
        for line in f:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") != "connect" or e.get("port") != port or \
                    not ("host" in e or "why" in e):
                continue
            if e.get("verdict") == "allow":
                allowed.append(e.get("host", ""))
            else:
                refused = e.get("why", "the host %s" % e.get("host"))
                break
    return allowed, refused


def read_out(path):
    try:
        with open(path) as f:
            return {w.split()[0]: " ".join(w.split()[1:]) for w in f.read().splitlines() if w}
    except OSError:
        return {}


def verdict(stream, allowed, refused, base, under):
    """Why this server's reading of the stream under netpin is wrong, or None."""
    if any(h != "good.test" for h in allowed):
        return "netpin allowed %s (its rule allows good.test only)" % ", ".join(allowed)
    for i, s in enumerate(under):
        if i >= len(allowed):
            return "served %s, which netpin never allowed (it allowed %d)" % (s.text(), len(allowed))
        if any(h != allowed[i] for h in s.hosts):
            return "served %s where netpin allowed request %d for %s" % (s.text(), i + 1, allowed[i])
    if stream["family"] == "valid":
        if len(allowed) != stream["n"]:
            return "netpin allowed %d of its %d requests (%s)%s" % (
                len(allowed), stream["n"], refused or "and refused none",
                ": real clients send this" if stream["client"] else "")
        if [s.hosts for s in base] != [s.hosts for s in under]:
            return "served %d requests (%s) under netpin, %d without (%s)" % (
                len(under), ", ".join(s.host() for s in under),
                len(base), ", ".join(s.host() for s in base))
    return None


def main():
    args = sys.argv[1:]
    table = None
    if "--table" in args:
        i = args.index("--table")
        table = open(args[i + 1], "w")
        del args[i:i + 2]
    corpus, rundir, specs = args[0], args[1], args[2:]
    streams = []
    with open(os.path.join(corpus, "index")) as f:
        for line in f:
            sid, family, n, flags, what = line.rstrip("\n").split("\t")
            streams.append({"sid": sid, "family": family, "n": int(n), "client": flags == "client",
                            "what": what})
    servers = []  # (name, port or None, log or why)
    for spec in specs:
        name, port, rest = spec.split(":", 2)
        servers.append((name, None if port == "-" else int(port), rest))
    runs = read_offsets(os.path.join(rundir, "offsets"), len(servers))
    logs = {}
    for i, (name, port, rest) in enumerate(servers):
        if port is not None:
            logs[name] = read_server(rest, i, runs)

    failures = {}  # (family, server) -> [text]
    strict = {}  # (shape, netpin's reason) -> [stream]: refused, every server read it alike
    served_valid = {}  # server -> how many valid streams it served without netpin
    for st in streams:
        sid = st["sid"]
        npjson = os.path.join(rundir, "np", sid + ".json")
        out_b = read_out(os.path.join(rundir, "out", sid + ".b"))
        out_n = read_out(os.path.join(rundir, "out", sid + ".n"))
        agree, reads = True, {}
        refusal = None
        if table:
            table.write("%s %s: %s\n" % (sid, st["family"], st["what"]))
        for name, port, _ in servers:
            if port is None:
                continue
            base = logs[name].get((sid, "b"), [])
            under = logs[name].get((sid, "n"), [])
            allowed, refused = netpin_checks(npjson, port)
            served = [s for s in under if s.status == "200"]
            why = verdict(st, allowed, refused, [s for s in base if s.status == "200"], served)
            if why:
                failures.setdefault((st["family"], name), []).append(
                    "stream %s (%s): %s" % (sid, st["what"], why))
            hosts = [s.hosts[0] for s in base if s.status == "200"]
            reads[name] = hosts
            if hosts and st["family"] == "valid":
                served_valid[name] = served_valid.get(name, 0) + 1
            if any(h != "good.test" for h in hosts) or not hosts:
                agree = False
            if refused:
                refusal = (len(allowed), refused)
            if table:
                table.write("  %-6s without: %-22s %s\n" % (name, out_b.get(str(port), "?"),
                                                           "; ".join(s.text() for s in base)))
                table.write("  %-6s netpin:  %-22s %s | netpin allowed %s%s\n" % (
                    name, out_n.get(str(port), "?"), "; ".join(s.text() for s in under),
                    ",".join(allowed) or "nothing", ", refused " + refused if refused else ""))
        alive = [reads[n] for n in ALIVE if n in reads]
        # netpin refused request k+1, which every server served alike
        if st["family"] != "valid" and agree and alive and refusal and \
                all(r == alive[0] for r in alive) and len(alive[0]) > refusal[0] and \
                ("busybox" not in reads or reads["busybox"] == alive[0][:1]):
            shape = re.sub(r" \((first|after a GET)\)$", "", st["what"])
            strict.setdefault((shape, refusal[1]), []).append(sid)

    if strict:
        print("# netpin refuses these, which every server reads alike, as requests naming "
              "good.test:")
    for (shape, why), sids in strict.items():
        print("#   %s: %s (stream %s)" % (shape, why, ", ".join(sids)))
    for family in FAMILIES:
        count = sum(1 for st in streams if st["family"] == family)
        for name, port, why in servers:
            if family == "valid":
                what = "%s: valid streams (%d): served as without netpin, netpin allowed every " \
                       "request" % (name, count)
            else:
                what = "%s: %s (%d streams): every request served was one netpin checked and " \
                       "allowed, same Host, same order" % (name, family, count)
            if port is None:
                print("ok - %s # SKIP %s" % (what, why))
                continue
            bad = failures.get((family, name), [])
            if not served_valid.get(name):
                bad = ["it served no valid stream, even without netpin (does it log?)"] + bad
            if not bad:
                print("ok - " + what)
                continue
            print("not ok - %s — %d stream(s): %s" % (what, len(bad), bad[0]))
            for b in bad[1:8]:
                print("#   " + b)
            if len(bad) > 8:
                print("#   and %d more" % (len(bad) - 8))


main()
