# logcheck.py LOG: the JSON log of the output tests' run (an allowed connect,
# a denied one, a denied sendto) has the events and fields it should: start,
# pin, allow, deny with its tip, exit; prints "log ok" or what is wrong
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
def one(**kw):
    m = [e for e in ev if all(e.get(k) == v for k, v in kw.items())]
    assert len(m) == 1, (kw, ev)
    return m[0]
assert all("time" in e and e["time"].endswith("Z") for e in ev), ev
assert ev[0]["event"] == "start" and ev[-1]["event"] == "exit", ev
one(event="pin", rule="allowed.test:9000", addr="127.0.0.2", name="allowed.test", source="hosts")
a = one(event="connect", verdict="allow", addr="127.0.0.2", port=9000, proto="tcp")
assert a["comm"] == "netop" and isinstance(a["pid"], int) and a["rule"] == "allowed.test:9000" and a["name"] == "allowed.test", a
d = one(event="connect", verdict="deny", addr="127.0.0.3", port=9000)
# a name where one is involved: the hosts file names 127.0.0.3 other.test,
# and a rule pins 127.0.0.2 for allowed.test
assert d["tip"] == "--allow tcp:other.test:9000" and d["comm"] == "netop" and "rule" not in d, d
s = one(event="sendto", verdict="deny", addr="127.0.0.2", port=9001, proto="udp")
assert s["tip"] == "--allow udp:allowed.test:9001", s
assert one(event="exit")["status"] == 1, ev
print("log ok")
