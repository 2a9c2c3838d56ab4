/*
 * bench - the timed loops and the loopback servers of tests/bench.sh.
 *
 * Every client mode does its setup, then times only its loop with
 * clock_gettime(CLOCK_MONOTONIC) and prints the elapsed time in nanoseconds
 * (one integer on stdout).  Any unexpected result is a harness failure:
 * a message on stderr and exit status 1 (2 for usage errors).
 *
 * Client modes (ADDR is an IPv4 address, PORT a number):
 *   bench getppid N                N x getppid() (a raw system call)
 *   bench readzero N               N x read(/dev/zero, 64 bytes)
 *   bench floor N                  N x connect() on /dev/null: ENOTSOCK
 *                                  (under netpin: one bare notification
 *                                  round trip, the least work it does)
 *   bench connect ADDR PORT N      N x socket+connect+close (blocking TCP),
 *                                  then a sync connection that waits until
 *                                  the server has accepted every one
 *   bench connect-nb ADDR PORT N   the same with non-blocking sockets: connect
 *                                  (EINPROGRESS), poll until writable, check
 *                                  SO_ERROR (netpin answers such a connect
 *                                  at once, with no worker thread)
 *   bench udp-sendto ADDR PORT N   N x sendto(64 bytes, with the address),
 *                                  then a sync datagram answered by the sink
 *   bench udp-send ADDR PORT N     the same on a connected socket (send())
 *   bench udp-recvfrom N           N x (send() on a connected UDP socket, then
 *                                  recvfrom() with the sender's address on
 *                                  the other end): what pinned DNS costs a
 *                                  program that asks who sent each datagram
 *   bench bulk ADDR PORT MIB       connect (untimed), write MIB MiB in 64 KiB
 *                                  writes, shutdown, wait for the sink's EOF
 *   bench http-req ADDR PORT N HOST
 *                                  N x (connect, one HTTP/1.1 GET with Host:
 *                                  HOST, its whole response, close): what a
 *                                  connection whose names netpin checks costs
 *   bench http-get ADDR PORT MIB HOST
 *                                  connect and ask (untimed), then read a
 *                                  response of MIB MiB whole
 *   bench many ADDR PORT N HOST READY
 *                                  open N connections at once, one GET on
 *                                  each (kept open); then create the file
 *                                  READY and wait until it is removed (the
 *                                  caller looks at netpin meanwhile); then
 *                                  one more GET on each, and close them
 *                                  (the time excludes the wait)
 *   bench getpeername N            N x getpeername() on one end of a UNIX
 *                                  socketpair (mediated, a round trip each,
 *                                  once a rule checks names in connections)
 *   bench pingpong N               N x one byte there and back over two
 *                                  pipes between two processes (a
 *                                  reference: two context switches)
 *   bench run CMD [ARG]...         fork+exec+wait CMD once (must exit 0)
 *   bench spawn N CMD [ARG]...     fork+exec+wait CMD N times (total time)
 *   bench true                     nothing, exit 0 (true(1) for an image
 *                                  that has no other program: tests/bench.sh
 *                                  in Docker)
 *
 * Servers (run until killed; they write their port to PORTFILE when ready):
 *   bench tcp-server ADDR PORTFILE accept|sink
 *        accept: per connection, one read() (EOF, reset or the sync byte),
 *                then close; sink: read until EOF, then close
 *   bench udp-sink ADDR PORTFILE   read datagrams; answer "!" with "!"
 *   bench http-server ADDR PORTFILE
 *        one connection at a time: each request head (to its blank line)
 *        gets "ok" (GET /big/N: N bytes), until EOF
 *   bench http-many-server ADDR PORTFILE
 *        every connection at once (poll): each request head gets "ok"
 *   bench relay-server ADDR PORTFILE PORT
 *        one connection at a time: connect to ADDR:PORT, then carry both
 *        ways (poll, read, write), each end shut when the other ends: the
 *        two hops of a relay, and nothing else (a floor for names checked
 *        in the connection)
 *
 * Builds with glibc or musl: cc -O2 -Wall -Wextra -o bench bench.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *mode = "bench";

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "bench %s: %s: %s\n", mode, what, strerror(errno));
	exit(1);
}

static _Noreturn void
dief(const char *msg)
{
	fprintf(stderr, "bench %s: %s\n", mode, msg);
	exit(1);
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: see the comment at the top of tests/bench/bench.c\n");
	exit(2);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long
number(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || *end || n < 0)
		usage();
	return n;
}

static struct sockaddr_in
inet_addr_port(const char *addr, const char *port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)number(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage();
	return sin;
}

static void
print_elapsed(uint64_t t0, uint64_t t1)
{
	printf("%llu\n", (unsigned long long)(t1 - t0));
	if (fflush(stdout) == EOF)
		die("stdout");
}

/* ---- servers -------------------------------------------------------------- */

static void
write_port(int s, const char *portfile)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char tmp[4096];
	FILE *f;

	if (getsockname(s, (struct sockaddr *)&sin, &len))
		die("getsockname");
	snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
	if (!(f = fopen(tmp, "w")))
		die(tmp);
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	if (fclose(f) || rename(tmp, portfile))
		die(portfile);
}

static int
bound_socket(int type, const char *addr)
{
	struct sockaddr_in sin = inet_addr_port(addr, "0");
	int one = 1;
	int s = socket(AF_INET, type, 0);

	if (s < 0)
		die("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	return s;
}

static int
tcp_server(const char *addr, const char *portfile, const char *how)
{
	static char buf[256 * 1024];
	int sink = !strcmp(how, "sink");
	int s;

	if (!sink && strcmp(how, "accept"))
		usage();
	s = bound_socket(SOCK_STREAM, addr);
	if (listen(s, 4096))
		die("listen");
	write_port(s, portfile);
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		ssize_t n;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		do
			n = read(c, buf, sizeof(buf));
		while (sink ? n > 0 || (n < 0 && errno == EINTR) : n < 0 && errno == EINTR);
		close(c);
	}
}

/* Read one request head from c into buf (to its blank line); 0 at EOF. */
static size_t
read_head(int c, char *buf, size_t len)
{
	size_t have = 0;

	while (have + 1 < len) {
		ssize_t n = read(c, buf + have, 1);

		if (n <= 0)
			return 0;
		have++;
		if (have >= 4 && !memcmp(buf + have - 4, "\r\n\r\n", 4)) {
			buf[have] = '\0';
			return have;
		}
	}
	return 0;
}

static int
http_server(const char *addr, const char *portfile)
{
	static char buf[64 * 1024], head[4096];
	int s = bound_socket(SOCK_STREAM, addr);

	if (listen(s, 4096))
		die("listen");
	write_port(s, portfile);
	memset(buf, 'g', sizeof(buf));
	for (;;) {
		int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		while (read_head(c, head, sizeof(head))) {
			unsigned long long n = 0;
			char h[128];
			int hl;

			if (!strncmp(head, "GET /big/", 9))
				n = strtoull(head + 9, NULL, 10);
			hl = snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n%s",
			    n ? n : 2, n ? "" : "ok");
			if (write(c, h, (size_t)hl) != hl)
				break;
			while (n > 0) {
				ssize_t w = write(c, buf, n < sizeof(buf) ? n : sizeof(buf));

				if (w <= 0)
					break;
				n -= (unsigned long long)w;
			}
		}
		close(c);
	}
}

static int
http_many_server(const char *addr, const char *portfile)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	enum { MAXC = 8192 };
	static struct pollfd p[MAXC + 1];
	static char tail[MAXC + 1][4];
	int s = bound_socket(SOCK_STREAM, addr), n = 1;

	if (listen(s, 4096))
		die("listen");
	write_port(s, portfile);
	p[0].fd = s;
	p[0].events = POLLIN;
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (int i = n - 1; i >= 1; i--) {
			char buf[4096 + 4];
			ssize_t r;

			if (!p[i].revents)
				continue;
			/* a head ends where its bytes, with the last ones before, end in a blank line */
			memcpy(buf, tail[i], 4);
			r = read(p[i].fd, buf + 4, sizeof(buf) - 4);
			if (r <= 0) {
				close(p[i].fd);
				p[i] = p[--n];
				memcpy(tail[i], tail[n], 4);
				continue;
			}
			for (ssize_t k = 0; k < r; k++)
				if (!memcmp(buf + k + 1, "\r\n\r\n", 4) &&
				    write(p[i].fd, ok, sizeof(ok) - 1) != (ssize_t)sizeof(ok) - 1)
					die("write");
			memcpy(tail[i], buf + r, 4);
		}
		if ((p[0].revents & POLLIN) && n <= MAXC) {
			int c = accept4(s, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (c >= 0) {
				p[n].fd = c;
				p[n].events = POLLIN;
				memset(tail[n], 0, 4);
				n++;
			}
		}
	}
}

static int
udp_sink(const char *addr, const char *portfile)
{
	static char bufs[64][2048];
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	struct sockaddr_in from[64];
	int size = 32 << 20;
	int s = bound_socket(SOCK_DGRAM, addr);

	/* room for every datagram of a run, so that none is dropped */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	write_port(s, portfile);
	for (;;) {
		int n;

		for (int i = 0; i < 64; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(s, msgs, 64, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvmmsg");
		}
		for (int i = 0; i < n; i++)
			if (msgs[i].msg_len == 1 && bufs[i][0] == '!')
				sendto(s, "!", 1, 0, (struct sockaddr *)&from[i],
				    msgs[i].msg_hdr.msg_namelen);
	}
}

/* ---- client loops --------------------------------------------------------- */

static int
tcp_connect(const struct sockaddr_in *sin)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		die("socket");
	if (connect(s, (const struct sockaddr *)sin, sizeof(*sin)))
		die("connect");
	return s;
}

static int
relay_server(const char *addr, const char *portfile, const char *port)
{
	static char buf[64 * 1024];
	struct sockaddr_in to = inet_addr_port(addr, port);
	int s = bound_socket(SOCK_STREAM, addr), one = 1;

	if (listen(s, 4096))
		die("listen");
	write_port(s, portfile);
	for (;;) {
		int fd[2] = { accept4(s, NULL, NULL, SOCK_CLOEXEC), -1 }, done[2] = { 0, 0 };

		if (fd[0] < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		fd[1] = tcp_connect(&to);
		setsockopt(fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (!done[0] || !done[1]) {
			struct pollfd p[2] = { { fd[0], done[0] ? 0 : POLLIN, 0 },
				{ fd[1], done[1] ? 0 : POLLIN, 0 } };

			if (poll(p, 2, -1) < 0 && errno != EINTR)
				die("poll");
			for (int i = 0; i < 2; i++) {
				ssize_t n;

				if (!p[i].revents)
					continue;
				if ((n = read(fd[i], buf, sizeof(buf))) > 0 &&
				    write(fd[!i], buf, (size_t)n) == n)
					continue;
				shutdown(fd[!i], SHUT_WR);
				done[i] = 1;
			}
		}
		close(fd[0]);
		close(fd[1]);
	}
}

/*
 * Send one byte, then wait until the peer closes (TCP) or answers (UDP).
 * A UDP sync datagram can be dropped (a full receive buffer): it is sent
 * again every 100 ms (the socket has SO_RCVTIMEO), for up to 10 s.
 */
static void
sync_peer(int s, const struct sockaddr_in *to, int tries)
{
	char b[64];
	ssize_t n;

	for (;;) {
		if (sendto(s, "!", 1, 0, (const struct sockaddr *)to,
		    to ? sizeof(*to) : 0) != 1)
			die("sync send");
		while ((n = recv(s, b, sizeof(b), 0)) < 0 && errno == EINTR)
			;
		if (n >= 0)
			return;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || --tries <= 0)
			die("sync recv");
	}
}

/* a non-blocking connect, finished: poll until writable, then SO_ERROR */
static void
connect_nonblocking(int s, const struct sockaddr_in *sin)
{
	struct pollfd p = { s, POLLOUT, 0 };
	socklen_t l = sizeof(int);
	int err;

	if (connect(s, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
		return;
	if (errno != EINPROGRESS)
		die("connect");
	while (poll(&p, 1, -1) != 1)
		if (errno != EINTR)
			die("poll");
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &l))
		die("getsockopt(SO_ERROR)");
	if (err) {
		errno = err;
		die("connect (SO_ERROR)");
	}
}

static int
bench_connect(const char *addr, const char *port, long count, int nonblocking)
{
	struct sockaddr_in sin = inet_addr_port(addr, port);
	/* an abortive close: no TIME_WAIT, so that 2,000 x repetitions of
	 * connects never run short of ephemeral ports or slow their search */
	struct linger lg = { 1, 0 };
	uint64_t t0, t1;
	int s;

	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC |
		    (nonblocking ? SOCK_NONBLOCK : 0), 0);
		if (s < 0)
			die("socket");
		if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			die("SO_LINGER");
		if (nonblocking)
			connect_nonblocking(s, &sin);
		else if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
			die("connect");
		close(s);
	}
	/* the server accepts in order: once it closes this one, it has
	 * accepted and closed every connection above */
	s = tcp_connect(&sin);
	sync_peer(s, NULL, 1);
	t1 = now_ns();
	close(s);
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_udp(const char *addr, const char *port, long count, int connected)
{
	struct sockaddr_in sin = inet_addr_port(addr, port);
	struct timeval tv = { 0, 100000 };
	char buf[64];
	uint64_t t0, t1;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		die("socket");
	/* a lost sync datagram is sent again (sync_peer) */
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(buf, 'x', sizeof(buf));
	if (connected && connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		ssize_t n = connected ? send(s, buf, sizeof(buf), 0) :
		    sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&sin, sizeof(sin));

		if (n != (ssize_t)sizeof(buf))
			die(connected ? "send" : "sendto");
	}
	sync_peer(s, connected ? NULL : &sin, 100);
	t1 = now_ns();
	close(s);
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_bulk(const char *addr, const char *port, long mib)
{
	static char buf[64 * 1024];
	struct sockaddr_in sin = inet_addr_port(addr, port);
	uint64_t t0, t1, left = (uint64_t)mib << 20;
	int s = tcp_connect(&sin);
	ssize_t n;

	memset(buf, 'b', sizeof(buf));
	t0 = now_ns();
	while (left > 0) {
		n = write(s, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		left -= (uint64_t)n;
	}
	if (shutdown(s, SHUT_WR))
		die("shutdown");
	while ((n = read(s, buf, sizeof(buf))) != 0)
		if (n < 0 && errno != EINTR)
			die("read (waiting for the sink's EOF)");
	t1 = now_ns();
	close(s);
	print_elapsed(t0, t1);
	return 0;
}

/* Send an HTTP GET for path with Host: host on s; read the whole response
 * (its Content-Length after the head).  Returns the body's length. */
static unsigned long long
http_exchange(int s, const char *path, const char *host)
{
	static char buf[64 * 1024];
	char req[512], *end;
	unsigned long long body, got;
	size_t have = 0;
	int rl = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);

	if (write(s, req, (size_t)rl) != rl)
		die("write (request)");
	for (;;) {
		ssize_t n = read(s, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			dief("the response ended early");
		have += (size_t)n;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")))
			break;
	}
	if (!strstr(buf, "Content-Length: "))
		dief("a response without Content-Length");
	body = strtoull(strstr(buf, "Content-Length: ") + 16, NULL, 10);
	for (got = have - (size_t)(end + 4 - buf); got < body;) {
		ssize_t n = read(s, buf, sizeof(buf));

		if (n <= 0)
			dief("the response's body ended early");
		got += (unsigned long long)n;
	}
	return body;
}

static int
bench_http_req(const char *addr, const char *port, long count, const char *host)
{
	struct sockaddr_in sin = inet_addr_port(addr, port);
	uint64_t t0, t1;

	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		int s = tcp_connect(&sin);

		http_exchange(s, "/", host);
		close(s);
	}
	t1 = now_ns();
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_http_get(const char *addr, const char *port, long mib, const char *host)
{
	struct sockaddr_in sin = inet_addr_port(addr, port);
	int s = tcp_connect(&sin);
	char path[64];
	uint64_t t0, t1;

	snprintf(path, sizeof(path), "/big/%llu", (unsigned long long)mib << 20);
	http_exchange(s, "/", host); /* connected and checked: untimed */
	t0 = now_ns();
	if (http_exchange(s, path, host) != (unsigned long long)mib << 20)
		dief("a short body");
	t1 = now_ns();
	close(s);
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_many(const char *addr, const char *port, long count, const char *host,
    const char *ready)
{
	struct sockaddr_in sin = inet_addr_port(addr, port);
	int *s = calloc((size_t)count, sizeof(int));
	uint64_t t0, t1, t2, t3;
	int f;

	if (!s)
		die("calloc");
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		s[i] = tcp_connect(&sin);
		http_exchange(s[i], "/", host);
	}
	t1 = now_ns();
	if ((f = open(ready, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		die(ready);
	close(f);
	while (access(ready, F_OK) == 0)
		usleep(10000);
	t2 = now_ns();
	for (long i = 0; i < count; i++)
		http_exchange(s[i], "/", host);
	for (long i = 0; i < count; i++)
		close(s[i]);
	t3 = now_ns();
	free(s);
	print_elapsed(0, (t1 - t0) + (t3 - t2));
	return 0;
}

static int
bench_getpeername(long count)
{
	struct sockaddr_storage ss;
	uint64_t t0, t1;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		socklen_t len = sizeof(ss);

		if (getpeername(sv[0], (struct sockaddr *)&ss, &len))
			die("getpeername");
	}
	t1 = now_ns();
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_getppid(long count)
{
	uint64_t t0, t1;
	long sum = 0;

	t0 = now_ns();
	for (long i = 0; i < count; i++)
		sum += syscall(SYS_getppid);
	t1 = now_ns();
	if (sum <= 0)
		dief("getppid returned nothing sensible");
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_readzero(long count)
{
	char buf[64];
	uint64_t t0, t1;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("/dev/zero");
	t0 = now_ns();
	for (long i = 0; i < count; i++)
		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("read /dev/zero");
	t1 = now_ns();
	close(fd);
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_floor(long count)
{
	struct sockaddr_in sin = inet_addr_port("127.0.0.1", "9");
	uint64_t t0, t1;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("/dev/null");
	t0 = now_ns();
	for (long i = 0; i < count; i++)
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
		    errno != ENOTSOCK)
			die("connect(/dev/null) did not fail with ENOTSOCK");
	t1 = now_ns();
	close(fd);
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_udp_recvfrom(long count)
{
	struct sockaddr_in b = inet_addr_port("127.0.0.1", "0"), from;
	socklen_t bl = sizeof(b), fl;
	uint64_t t0, t1;
	char buf[64] = "x";
	int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&b, sizeof(b)) ||
	    getsockname(rx, (struct sockaddr *)&b, &bl) ||
	    connect(tx, (struct sockaddr *)&b, sizeof(b)))
		die("udp-recvfrom setup");
	t0 = now_ns();
	for (long i = 0; i < count; i++) {
		fl = sizeof(from);
		if (send(tx, buf, 64, 0) != 64 ||
		    recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) != 64)
			die("udp-recvfrom");
	}
	t1 = now_ns();
	close(rx);
	close(tx);
	print_elapsed(t0, t1);
	return 0;
}

static int
bench_pingpong(long count)
{
	int there[2], back[2], status;
	uint64_t t0, t1;
	char b = 'p';
	pid_t pid;

	if (pipe(there) || pipe(back))
		die("pipe");
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		close(there[1]);
		close(back[0]);
		while (read(there[0], &b, 1) == 1)
			if (write(back[1], &b, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(there[0]);
	close(back[1]);
	t0 = now_ns();
	for (long i = 0; i < count; i++)
		if (write(there[1], &b, 1) != 1 || read(back[0], &b, 1) != 1)
			die("ping-pong");
	t1 = now_ns();
	close(there[1]);
	waitpid(pid, &status, 0);
	print_elapsed(t0, t1);
	return 0;
}

static void
run_once(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "bench %s: %s: %s\n", mode, argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench %s: %s: exit status %d\n", mode, argv[0],
		    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		exit(1);
	}
}

static int
bench_spawn(long count, char **argv)
{
	uint64_t t0, t1;

	t0 = now_ns();
	for (long i = 0; i < count; i++)
		run_once(argv);
	t1 = now_ns();
	print_elapsed(t0, t1);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	mode = argv[1];
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "true") && argc == 2)
		return 0;
	if (!strcmp(mode, "getppid") && argc == 3)
		return bench_getppid(number(argv[2]));
	if (!strcmp(mode, "readzero") && argc == 3)
		return bench_readzero(number(argv[2]));
	if (!strcmp(mode, "floor") && argc == 3)
		return bench_floor(number(argv[2]));
	if (!strcmp(mode, "connect") && argc == 5)
		return bench_connect(argv[2], argv[3], number(argv[4]), 0);
	if (!strcmp(mode, "connect-nb") && argc == 5)
		return bench_connect(argv[2], argv[3], number(argv[4]), 1);
	if (!strcmp(mode, "udp-sendto") && argc == 5)
		return bench_udp(argv[2], argv[3], number(argv[4]), 0);
	if (!strcmp(mode, "udp-send") && argc == 5)
		return bench_udp(argv[2], argv[3], number(argv[4]), 1);
	if (!strcmp(mode, "udp-recvfrom") && argc == 3)
		return bench_udp_recvfrom(number(argv[2]));
	if (!strcmp(mode, "bulk") && argc == 5)
		return bench_bulk(argv[2], argv[3], number(argv[4]));
	if (!strcmp(mode, "http-req") && argc == 6)
		return bench_http_req(argv[2], argv[3], number(argv[4]), argv[5]);
	if (!strcmp(mode, "http-get") && argc == 6)
		return bench_http_get(argv[2], argv[3], number(argv[4]), argv[5]);
	if (!strcmp(mode, "getpeername") && argc == 3)
		return bench_getpeername(number(argv[2]));
	if (!strcmp(mode, "many") && argc == 7)
		return bench_many(argv[2], argv[3], number(argv[4]), argv[5], argv[6]);
	if (!strcmp(mode, "http-many-server") && argc == 4)
		return http_many_server(argv[2], argv[3]);
	if (!strcmp(mode, "http-server") && argc == 4)
		return http_server(argv[2], argv[3]);
	if (!strcmp(mode, "relay-server") && argc == 5)
		return relay_server(argv[2], argv[3], argv[4]);
	if (!strcmp(mode, "pingpong") && argc == 3)
		return bench_pingpong(number(argv[2]));
	if (!strcmp(mode, "run") && argc >= 3)
		return bench_spawn(1, argv + 2);
	if (!strcmp(mode, "spawn") && argc >= 4)
		return bench_spawn(number(argv[2]), argv + 3);
	if (!strcmp(mode, "tcp-server") && argc == 5)
		return tcp_server(argv[2], argv[3], argv[4]);
	if (!strcmp(mode, "udp-sink") && argc == 4)
		return udp_sink(argv[2], argv[3]);
	usage();
	return 2;
}
