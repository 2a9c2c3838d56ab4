# alarm.py: block in accept() on 127.0.0.2:9136 with SIGALRM due in 1 s;
# a handled SIGALRM ends it: "alarm after N s", exit 7 ("accepted", exit 1, if a
# connection came instead)
import signal, socket, sys, time
class Alarm(Exception):
    pass
def on_alarm(sig, frame):
    raise Alarm()
signal.signal(signal.SIGALRM, on_alarm)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.2", 9136)); s.listen(1)
t0 = time.monotonic()
signal.alarm(1)
try:
    s.accept()
    print("accepted")
    sys.exit(1)
except Alarm:
    print("alarm after %.1f s" % (time.monotonic() - t0))
    sys.exit(7)
