#!/usr/bin/env python3
"""handoff — one process connects, another uses the connection.

    handoff.py HOW ADDR PORT HOST OTHER

A TCP connection to ADDR:PORT is made, then handed on as HOW says:
  pass   to a process started before the connect, with SCM_RIGHTS
  fork   to a child forked after the connect (the parent closes its copy)
  exec   to a new program (this one, as "use", by exec: the descriptor is
         inherited, its close-on-exec cleared)
and the process that has it sends "GET /HOW-1" with Host HOST, then, on
the same connection once the answer came, "GET /HOW-2" with Host OTHER.
Prints the first line of each answer ("closed" or "reset" when none
came), each on a line of its own, prefixed by the pid that used it and
whether it is the one that connected ("same" or "other").
"""
import os, socket, sys


def ask(s, path, host):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
    answer = b""
    try:
        while b"\r\n\r\n" not in answer:
            got = s.recv(65536)
            if not got:
                return "closed"
            answer += got
    except ConnectionResetError:
        return "reset"
    return answer.split(b"\r\n", 1)[0].decode("latin-1")


def use(s, how, host, other, connector):
    who = "same" if os.getpid() == connector else "other"
    for path, h in (("/%s-1" % how, host), ("/%s-2" % how, other)):
        print("%s %s" % (who, ask(s, path, h)), flush=True)


how = sys.argv[1]
if how == "use":  # (after exec) use FD HOW HOST OTHER CONNECTOR_PID
    s = socket.socket(fileno=int(sys.argv[2]))
    s.settimeout(10)
    use(s, sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
    sys.exit(0)
addr, port, host, other = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
me = os.getpid()
if how == "pass":
    a, b = socket.socketpair()
    if os.fork() == 0:
        a.close()
        _, fds, _, _ = socket.recv_fds(b, 1, 1)
        s = socket.socket(fileno=fds[0])
        s.settimeout(10)
        use(s, how, host, other, me)
        os._exit(0)
    b.close()
s = socket.create_connection((addr, port), timeout=10)
if how == "pass":
    socket.send_fds(a, [b"x"], [s.fileno()])
    s.close()
    os.wait()
elif how == "fork":
    if os.fork() == 0:
        use(s, how, host, other, me)
        os._exit(0)
    s.close()
    os.wait()
elif how == "exec":
    s.setblocking(True)
    os.set_inheritable(s.fileno(), True)
    os.execv(sys.executable, [sys.executable, __file__, "use", str(s.fileno()),
                              how, host, other, str(me)])
