/*
 * Shared helpers for the netpin escape tests (the .c files beside it).
 * Every attack takes PORT on the command line: TCP uses PORT, UDP PORT+1
 * (or the second argument).  ALLOWED is 127.0.0.2, DENIED 127.0.0.3.
 * Nothing here ever addresses anything but loopback.
 */
#ifndef ESCAPE_COMMON_H
#define ESCAPE_COMMON_H
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdatomic.h>
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

#define ALLOWED "127.0.0.2"
#define DENIED "127.0.0.3"

static __attribute__((unused)) int tcp_port, udp_port;

static __attribute__((unused)) void
ports(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [UDPPORT] ...\n", argv[0]);
		exit(2);
	}
	tcp_port = atoi(argv[1]);
	udp_port = argc > 2 && atoi(argv[2]) > 0 ? atoi(argv[2]) : tcp_port + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* "ok" or the errno's symbolic name (never NULL) */
static __attribute__((unused)) const char *
ename(int e)
{
	static __thread char buf[8][24];
	static __thread int slot;
	const char *s;

	if (e == 0)
		return "ok";
	s = strerrorname_np(e);
	if (s)
		return s;
	slot = (slot + 1) % 8;
	snprintf(buf[slot], sizeof(buf[slot]), "E%d", e);
	return buf[slot];
}

/* an errno netpin refuses a connect or send with: EHOSTUNREACH (its
 * --deny-errno default) or EACCES */
static __attribute__((unused)) int
denied_errno(int e)
{
	return e == EHOSTUNREACH || e == EACCES;
}

/* result of a call that returns -1 on error: "ok" or the errno name */
#define RES(expr) ((expr) < 0 ? ename(errno) : "ok")

static __attribute__((unused)) struct sockaddr_in
sin4(const char *ip, int port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static __attribute__((unused)) struct sockaddr_in6
sin6(const char *ip, int port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return s;
}

static __attribute__((unused)) double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* wait for a non-blocking connect; returns 0 or the errno */
static __attribute__((unused)) int
finish_connect(int fd, int ms)
{
	struct pollfd p = { fd, POLLOUT, 0 };
	int err = 0;
	socklen_t l = sizeof(err);

	if (poll(&p, 1, ms) != 1)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l))
		return errno;
	return err;
}

/* The peer of a connected socket as text ("-" when not connected). */
static __attribute__((unused)) const char *
peer_of(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &l))
		return "-";
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, buf, (socklen_t)len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, buf, (socklen_t)len);
	else
		return "?";
	return buf;
}

/* does the peer (IPv4 or v4-mapped) end in .3 / .2 ? 3, 2, 0 otherwise */
static __attribute__((unused)) int
peer_host(int fd)
{
	char b[64];
	const char *p = peer_of(fd, b, sizeof(b));
	size_t n = strlen(p);

	if (n >= 9 && !strcmp(p + n - 9, "127.0.0.3"))
		return 3;
	if (n >= 9 && !strcmp(p + n - 9, "127.0.0.2"))
		return 2;
	return 0;
}

/*
 * One TCP connect (blocking unless nb) to addr, then send tag and close.
 * Returns 0 or the errno; a connect that succeeds to a peer other than
 * the one asked is reported as EXDEV.
 */
static __attribute__((unused)) int
tcp_try(const struct sockaddr *sa, socklen_t len, const char *tag)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0), e = 0;

	if (fd < 0)
		return errno;
	if (connect(fd, sa, len) < 0)
		e = errno;
	else if (send(fd, tag, strlen(tag), MSG_NOSIGNAL) < 0)
		e = errno;
	close(fd);
	return e;
}

static __attribute__((unused)) int
tcp_try4(const char *ip, int port, const char *tag)
{
	struct sockaddr_in s = sin4(ip, port);

	return tcp_try((struct sockaddr *)&s, sizeof(s), tag);
}

/* One UDP datagram with sendto; 0 or the errno */
static __attribute__((unused)) int
udp_try4(const char *ip, int port, const char *tag)
{
	struct sockaddr_in s = sin4(ip, port);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), e = 0;

	if (fd < 0)
		return errno;
	if (sendto(fd, tag, strlen(tag), 0, (struct sockaddr *)&s, sizeof(s)) < 0)
		e = errno;
	close(fd);
	return e;
}

/* the four basic probes: "allowed_tcp=ok denied_tcp=EACCES ..." */
static __attribute__((unused)) void
probe_all(char *out, size_t len, const char *tag)
{
	snprintf(out, len, "allowed_tcp=%s denied_tcp=%s allowed_udp=%s denied_udp=%s",
	    ename(tcp_try4(ALLOWED, tcp_port, tag)), ename(tcp_try4(DENIED, tcp_port, tag)),
	    ename(udp_try4(ALLOWED, udp_port, tag)), ename(udp_try4(DENIED, udp_port, tag)));
}

/*
 * Give netpin worker threads: two blocking connects that hang in netpin
 * (a listener of our own on ALLOWED:tcp_port+5, backlog 0, its accept
 * queue filled, so further SYNs are dropped).  Run under -a 127.0.0.2
 * --bind PORT+5.  Returns 0, or the errno of the setup; *lfd keeps the
 * listener.  The hanging threads end with the process (_exit).
 */
static __attribute__((unused)) struct sockaddr_in hang_sa;

static __attribute__((unused)) void *
hang_connect(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	connect(fd, (struct sockaddr *)&hang_sa, sizeof(hang_sa)); /* blocks in netpin */
	return NULL;
}

static __attribute__((unused)) int
start_hanging_connects(int *lfd)
{
	socklen_t sl = sizeof(hang_sa);
	int c1, c2;
	pthread_t t;

	hang_sa = sin4(ALLOWED, tcp_port + 5);
	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(*lfd, (struct sockaddr *)&hang_sa, sizeof(hang_sa)) || listen(*lfd, 0) ||
	    getsockname(*lfd, (struct sockaddr *)&hang_sa, &sl))
		return errno;
	/* fill the accept queue: further SYNs are dropped */
	c1 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c1, (struct sockaddr *)&hang_sa, sizeof(hang_sa));
	c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c2, (struct sockaddr *)&hang_sa, sizeof(hang_sa));
	usleep(50000);
	pthread_create(&t, NULL, hang_connect, NULL);
	pthread_create(&t, NULL, hang_connect, NULL);
	return 0;
}

/* The thread ids of process pid other than pid itself (at most max). */
static __attribute__((unused)) int
other_tids(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)) && n < max) {
		pid_t tid = atoi(e->d_name);

		if (tid > 0 && tid != pid)
			tids[n++] = tid;
	}
	closedir(d);
	return n;
}

/* Wait (at most ms) until process pid has more than n threads besides
 * its main one; returns how many it has. */
static __attribute__((unused)) int
wait_for_threads(pid_t pid, int n, int ms)
{
	pid_t tids[256];
	int have;
	double end = now_s() + ms / 1000.0;

	while ((have = other_tids(pid, tids, 256)) <= n && now_s() < end)
		usleep(20000);
	return have;
}

#endif
