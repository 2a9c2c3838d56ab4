/*
 * tunnel - what a command, and a process beside it, can do to netpin's
 * checked connections (README, "Names in the connection": netpin connects
 * to the destination, then the command's socket to a loopback listener of
 * its own, made for that one connection).  Used by the checked-edges area.
 *
 *   tunnel blackhole ADDR PORT READY
 *	(outside netpin) a destination that does not answer: a listener on
 *	ADDR:PORT with a backlog of 0 whose accept queue a connection of its
 *	own fills, so that the kernel drops further SYNs.  READY is written
 *	once it is so.  On SIGTERM it exits: the port is closed, and the next
 *	SYN a client retransmits gets a reset.
 *   tunnel hold ADDR PORT HOST
 *	a non-blocking connect to ADDR:PORT, then, once writable, an HTTP
 *	request for HOST, then a read.  One line per step:
 *	"connect=EINPROGRESS ms=3001", "writable=ok ms=3002" (the error
 *	SO_ERROR says, or "timeout"), "write=ok", "read=ECONNRESET ms=7010"
 *	("read=eof", "read=bytes", "read=timeout"); ms since the connect.
 *   tunnel many N THREADS ADDR PORT HOST
 *	N HTTP requests "GET /many/NNNNN" for HOST, each on a connection of
 *	its own, THREADS at once; each must be answered 200 with the body
 *	namesrv.py gives.  "many=ok N", or "many=failed K first=WHY".
 *   tunnel outsider preempt|stop READY
 *	(outside netpin) finds netpin (the process of that name in this
 *	network namespace) and, over and over, keeps it from running while it
 *	looks for its listeners with sock_diag (preempt: netpin's threads
 *	bound to one CPU where the outsider runs SCHED_FIFO; stop: SIGSTOP,
 *	then SIGCONT).  Each listener on loopback with a backlog of 1 that
 *	netpin holds (/proc/PID/fd) is connected to, once, and sent an HTTP
 *	request for /outsider.  READY is written once the listeners already
 *	there are known.  On SIGTERM it waits (up to 3 s) for what its
 *	connections get, and prints "listeners=N hits=N first=N refused=N
 *	eof=N reset=N open=N bytes=N": netpin's listeners seen, connects that
 *	reached one (first: when no connection to it was there yet, so that
 *	netpin accepts the outsider's first), connects refused, and of the
 *	hits, those closed, reset, still open, and the bytes they received.
 *	"error=preempt_EPERM": it may not run SCHED_FIFO.
 *   tunnel peerstall ADDR PORT HOST
 *	a checked connection, a request on it, then a thread's getpeername()
 *	on it with its addrlen on a userfaultfd page nobody serves (netpin's
 *	read of it never returns); meanwhile another connect, a request on
 *	it and two getpeername()s (the new socket's, the stalled one's).
 *	Prints "stalled=1 stalled_in=WCHAN connect=ok connect_ms=N
 *	request=ok request_ms=N peer=ADDR:PORT peer_ms=N
 *	peer_stalled_fd=ADDR:PORT ms=N" (WCHAN: where the stalled thread
 *	waits, seccomp_do_user_notification when it is netpin's read; ms
 *	since the second connect began), or "skip=WHY" where userfaultfd is
 *	not there; exits at once (the stalled thread goes with the process),
 *	"hung=1" after 20 s.
 *
 * Exit status 0 when the run went as a run goes (the lines say how), 2 on
 * a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- small things ---------------------------------------------------- */

static const char *
ename(int e)
{
	static __thread char buf[24];
	const char *s;

	if (e == 0)
		return "ok";
	if ((s = strerrorname_np(e)))
		return s;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

#include "stuck_page.h"

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static struct sockaddr_in
sin4(const char *ip, const char *port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, ip, &s.sin_addr) != 1) {
		fprintf(stderr, "tunnel: bad IPv4 address '%s'\n", ip);
		exit(2);
	}
	return s;
}

static void
write_ready(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs("ready\n", f) == EOF || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* "ADDR:PORT" of a socket's peer, or the errno's name */
static const char *
peer_text(int fd, char *buf, size_t len)
{
	struct sockaddr_in s;
	socklen_t l = sizeof(s);
	char a[INET_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&s, &l))
		return ename(errno);
	if (s.sin_family != AF_INET || !inet_ntop(AF_INET, &s.sin_addr, a, sizeof(a)))
		return "not-inet";
	snprintf(buf, len, "%s:%u", a, ntohs(s.sin_port));
	return buf;
}

/*
 * One HTTP request for host on connected fd ("GET /many/NNNNN", a fixed
 * length), and its answer read whole.  Returns NULL, or what went wrong.
 */
static const char *
http_get(int fd, const char *host, int n, char *why, size_t wl)
{
	char req[256], resp[1024], want[256];
	size_t got = 0;
	const char *end;

	snprintf(req, sizeof(req), "GET /many/%05d HTTP/1.1\r\nHost: %s\r\n\r\n", n, host);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		snprintf(why, wl, "send:%s", ename(errno));
		return why;
	}
	for (;;) {
		ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
		const char *cl;

		if (r <= 0) {
			snprintf(why, wl, "recv:%s", r ? ename(errno) : "eof");
			return why;
		}
		got += (size_t)r;
		resp[got] = 0;
		if ((end = strstr(resp, "\r\n\r\n")) && (cl = strstr(resp, "Content-Length: ")) &&
		    strlen(end + 4) >= (size_t)atoi(cl + 16))
			break;
		if (got == sizeof(resp) - 1) {
			snprintf(why, wl, "answer-too-long");
			return why;
		}
	}
	snprintf(want, sizeof(want), "http %s /many/%05d 0\n", host, n);
	if (strncmp(resp, "HTTP/1.1 200 ", 13) || strcmp(end + 4, want)) {
		snprintf(why, wl, "answer:%.40s", resp);
		for (char *p = why; *p; p++)
			if (*p == ' ' || *p == '\r' || *p == '\n')
				*p = '_';
		return why;
	}
	return NULL;
}

/* ---- blackhole ---------------------------------------------------------- */

static int
blackhole(int argc, char **argv)
{
	struct sockaddr_in s;
	int l, fill[2];

	if (argc != 5)
		return -1;
	s = sin4(argv[2], argv[3]);
	signal(SIGTERM, on_term);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) ||
	    bind(l, (struct sockaddr *)&s, sizeof(s)) || listen(l, 0)) {
		perror("tunnel blackhole: listen");
		return 1;
	}
	/* one connection fills a backlog of 0; the second's SYN is dropped */
	for (int i = 0; i < 2; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&s, sizeof(s));
	}
	usleep(100 * 1000);
	write_ready(argv[4]);
	while (!stopping)
		pause();
	return 0; /* the kernel closes the listener and its queue */
}

/* ---- hold ----------------------------------------------------------------- */

static int
hold(int argc, char **argv)
{
	struct sockaddr_in s;
	struct pollfd p;
	char req[256], c;
	int fd, e = 0;
	socklen_t el = sizeof(e);
	long t0;
	ssize_t r;

	if (argc != 5)
		return -1;
	s = sin4(argv[2], argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	t0 = now_ms();
	e = connect(fd, (struct sockaddr *)&s, sizeof(s)) ? errno : 0;
	printf("connect=%s ms=%ld\n", ename(e), now_ms() - t0);
	if (e != EINPROGRESS)
		return 0;
	p = (struct pollfd){ fd, POLLOUT, 0 };
	if (poll(&p, 1, 12000) != 1) {
		printf("writable=timeout ms=%ld\n", now_ms() - t0);
		return 0;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el))
		e = errno;
	printf("writable=%s ms=%ld\n", ename(e), now_ms() - t0);
	if (e)
		return 0;
	snprintf(req, sizeof(req), "GET /hold HTTP/1.1\r\nHost: %s\r\n\r\n", argv[4]);
	r = send(fd, req, strlen(req), MSG_NOSIGNAL);
	printf("write=%s\n", r == (ssize_t)strlen(req) ? "ok" : r < 0 ? ename(errno) : "short");
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 12000) != 1) {
		printf("read=timeout ms=%ld\n", now_ms() - t0);
		return 0;
	}
	r = recv(fd, &c, 1, MSG_DONTWAIT);
	printf("read=%s ms=%ld\n", r > 0 ? "bytes" : r == 0 ? "eof" : ename(errno),
	    now_ms() - t0);
	return 0;
}

/* ---- many ----------------------------------------------------------------- */

static struct sockaddr_in many_to;
static const char *many_host;
static int many_n;
static atomic_int many_next, many_failed;
static char many_first[200];  /* by the first thread that fails, alone */

static void *
many_thread(void *arg)
{
	struct timeval tv = { 10, 0 };
	char why[160];
	const char *bad;
	int n;

	(void)arg;
	while ((n = atomic_fetch_add(&many_next, 1)) < many_n) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&many_to, sizeof(many_to))) {
			snprintf(why, sizeof(why), "connect:%s", ename(errno));
			bad = why;
		} else {
			bad = http_get(fd, many_host, n, why, sizeof(why));
		}
		close(fd);
		if (bad && atomic_fetch_add(&many_failed, 1) == 0)
			snprintf(many_first, sizeof(many_first), "%d:%s", n, bad);
	}
	return NULL;
}

static int
many(int argc, char **argv)
{
	pthread_t t[64];
	int threads;

	if (argc != 7)
		return -1;
	many_n = atoi(argv[2]);
	threads = atoi(argv[3]);
	if (many_n < 1 || threads < 1 || threads > 64)
		return -1;
	many_to = sin4(argv[4], argv[5]);
	many_host = argv[6];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, many_thread, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	if (many_failed)
		printf("many=failed %d first=%s\n", (int)many_failed, many_first);
	else
		printf("many=ok %d\n", many_n);
	return 0;
}

/* ---- outsider ------------------------------------------------------------- */

#define OUT_MAX 4096

/* a listener seen (by inode), and the outsider's connection to it */
struct seen {
	unsigned inode;
	int fd;           /* -1 once its outcome is known */
	int hit;          /* the connect reached the listener */
};
static struct seen seen[OUT_MAX];
static int nseen;
static pid_t owner;       /* the listeners' process (netpin), once found */
static int hits, first, refused, eofs, resets, bytes;

static const char outsider_req[] = "GET /outsider HTTP/1.1\r\nHost: good.example\r\n\r\n";

static int
is_loopback(const struct inet_diag_msg *m)
{
	const uint8_t *a = (const uint8_t *)m->id.idiag_src;
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (m->idiag_family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, v6lo, 16) || (!memcmp(a, mapped, 12) && a[12] == 127);
}

static struct seen *
seen_find(unsigned inode)
{
	for (int i = 0; i < nseen; i++)
		if (seen[i].inode == inode)
			return &seen[i];
	return NULL;
}

/*
 * The TCP sockets of family in states (a mask of 1 << TCP state; one
 * sock_diag dump) into out (at most max): how many.
 */
static int
sockets(int nl, int family, unsigned states, struct inet_diag_msg *out, int max)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { sizeof(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 0, 0 },
		.r = { .sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP,
		    .idiag_states = states },
	};
	static char buf[65536] __attribute__((aligned(8)));
	int n = 0;

	if (send(nl, &req, sizeof(req), 0) < 0)
		return 0;
	for (;;) {
		ssize_t got = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (got <= 0)
			return n;
		for (; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return n;
			if (n < max)
				out[n++] = *(struct inet_diag_msg *)NLMSG_DATA(h);
		}
	}
}

#define LISTENING (1u << 10)
/* SYN_SENT, SYN_RECV, ESTABLISHED */
#define CONNECTING_OR_CONNECTED ((1u << 1) | (1u << 2) | (1u << 3))

/* Is there a connection (other than queued ones) to listener m's port? */
static int
connected_to(int nl, const struct inet_diag_msg *m)
{
	static struct inet_diag_msg all[1024];
	int n = sockets(nl, m->idiag_family, CONNECTING_OR_CONNECTED, all, 1024);

	for (int i = 0; i < n; i++)
		if (all[i].id.idiag_dport == m->id.idiag_sport)
			return 1;
	return 0;
}

/* Does process pid hold socket inode among its descriptors? */
static int
holds(pid_t pid, unsigned inode)
{
	char want[32], path[64], link[64];
	struct dirent *f;
	DIR *fds;
	int found = 0;

	snprintf(want, sizeof(want), "socket:[%u]", inode);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(fds = opendir(path)))
		return 0;
	while (!found && (f = readdir(fds))) {
		ssize_t l = readlinkat(dirfd(fds), f->d_name, link, sizeof(link) - 1);

		found = l > 0 && (link[l] = 0, !strcmp(link, want));
	}
	closedir(fds);
	return found;
}

/* Process pid's file under /proc, read (its first line): 0 or -1. */
static int
proc_read(const char *pid, const char *what, char *buf, size_t len)
{
	char path[300];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, what);
	if (!(f = fopen(path, "r")))
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

/* The process named netpin in this network namespace (0: none yet). */
static pid_t
netpin_here(void)
{
	char comm[32], mine[64], its[64], ns[300];
	struct dirent *p;
	DIR *procs;
	pid_t found = 0;
	ssize_t l;

	if ((l = readlink("/proc/self/ns/net", mine, sizeof(mine) - 1)) <= 0 ||
	    !(procs = opendir("/proc")))
		return 0;
	mine[l] = 0;
	while (!found && (p = readdir(procs))) {
		if (atoi(p->d_name) <= 0 || proc_read(p->d_name, "comm", comm, sizeof(comm)) ||
		    strcmp(comm, "netpin\n"))
			continue;
		snprintf(ns, sizeof(ns), "/proc/%s/ns/net", p->d_name);
		if ((l = readlink(ns, its, sizeof(its) - 1)) > 0 &&
		    (its[l] = 0, !strcmp(its, mine)))
			found = atoi(p->d_name);
	}
	closedir(procs);
	return found;
}

static struct sockaddr_storage
listener_addr(const struct inet_diag_msg *m, socklen_t *sl)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (m->idiag_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = m->id.idiag_sport;
		memcpy(&a->sin_addr, m->id.idiag_src, 4);
		*sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = m->id.idiag_sport;
		memcpy(&a->sin6_addr, m->id.idiag_src, 16);
		*sl = sizeof(*a);
	}
	return ss;
}

/*
 * Connect to the listener m (netpin is stopped: the listener stays) and
 * send the request once the connect is through.  When no connection to
 * it is there yet (queued, or accepted), this one is the first that
 * netpin will accept: its check of the peer is what must close it.
 */
static void
outsider_connect(int nl, const struct inet_diag_msg *m)
{
	struct seen *s = &seen[nseen++];
	struct sockaddr_storage ss;
	socklen_t sl, el = sizeof(int);
	struct pollfd p;
	int e = 0, alone = m->idiag_rqueue == 0 && !connected_to(nl, m);

	*s = (struct seen){ m->idiag_inode, -1, 0 };
	ss = listener_addr(m, &sl);
	s->fd = socket(m->idiag_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	p = (struct pollfd){ s->fd, POLLOUT, 0 };
	if ((connect(s->fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) ||
	    poll(&p, 1, 200) != 1 || getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
		refused++;
		close(s->fd);
		s->fd = -1;
		return;
	}
	s->hit = 1;
	hits++;
	first += alone;
	(void)!send(s->fd, outsider_req, sizeof(outsider_req) - 1, MSG_NOSIGNAL);
}

/* What the connections that reached a listener got (waiting at most ms). */
static void
outsider_watch(int ms)
{
	struct pollfd p[OUT_MAX];
	int idx[OUT_MAX], n = 0;

	for (int i = 0; i < nseen; i++)
		if (seen[i].fd >= 0) {
			p[n] = (struct pollfd){ seen[i].fd, POLLIN, 0 };
			idx[n++] = i;
		}
	if (n == 0 || poll(p, (nfds_t)n, ms) <= 0)
		return;
	for (int k = 0; k < n; k++) {
		struct seen *s = &seen[idx[k]];
		char b[512];
		ssize_t r;

		if (!p[k].revents)
			continue;
		r = recv(s->fd, b, sizeof(b), MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r > 0) {
			bytes += (int)r;
			continue; /* read on, to its end */
		}
		if (r == 0)
			eofs++;
		else
			resets++;
		close(s->fd);
		s->fd = -1;
	}
}

/*
 * Keeping netpin from running while the outsider looks, so that a listener
 * of netpin's, which lives some microseconds, stays (what any process of
 * netpin's user, or a busy machine, can do):
 *   preempt: every thread of netpin's is bound to one CPU, where the
 *	outsider runs SCHED_FIFO: each time it wakes, netpin is preempted
 *	wherever it is, and stays so until the outsider sleeps again.
 *   stop: SIGSTOP to netpin before each look, SIGCONT after.  (The signal
 *	interrupts netpin's system calls: they restart.)
 */
static int use_stop;

/* Bind every thread of pid to cpu (threads it starts later inherit it);
 * 0 or an errno. */
static int
bind_threads(pid_t pid, int cpu)
{
	char path[64];
	struct dirent *e;
	cpu_set_t one;
	DIR *d;
	int err = 0;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(d = opendir(path)))
		return errno;
	while ((e = readdir(d)))
		if (atoi(e->d_name) > 0 &&
		    sched_setaffinity(atoi(e->d_name), sizeof(one), &one) && errno != ESRCH)
			err = errno;
	closedir(d);
	return err;
}

/* With netpin found: preempt's setup; 0 or an errno (said on stdout). */
static int
keep_netpin(void)
{
	struct sched_param sp = { .sched_priority = 1 };
	cpu_set_t mine;
	int cpu = 0, err = 0;

	if (use_stop)
		return 0;
	if (sched_getaffinity(0, sizeof(mine), &mine))
		return errno;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &mine))
			cpu = i;
	/* (twice: a thread netpin starts meanwhile) */
	for (int i = 0; i < 2 && !err; i++)
		err = bind_threads(owner, cpu);
	if (err == ENOENT || err == ESRCH) {
		owner = 0; /* it has ended: the next one */
		return 0;
	}
	CPU_ZERO(&mine);
	CPU_SET(cpu, &mine);
	if (!err && (sched_setaffinity(0, sizeof(mine), &mine) ||
	    sched_setscheduler(0, SCHED_FIFO, &sp)))
		err = errno;
	if (err)
		printf("error=preempt_%s\n", ename(err));
	return err;
}

/*
 * One look: every listener on loopback with a backlog of 1 that was not
 * there at start (netpin's DNS responder listens with 64) and that netpin
 * holds is connected to, once.  known: only remember those there.
 */
static void
outsider_round(int nl, int known)
{
	struct inet_diag_msg m[256];

	if (!known && use_stop) {
		if (kill(owner, SIGSTOP)) {
			owner = 0; /* gone */
			return;
		}
		usleep(300); /* every thread of netpin's stops */
	}
	for (int fam = 0; fam < 2; fam++) {
		int n = sockets(nl, fam ? AF_INET6 : AF_INET, LISTENING, m, 256);

		for (int i = 0; i < n && nseen < OUT_MAX; i++) {
			if (seen_find(m[i].idiag_inode))
				continue;
			if (known)
				seen[nseen++] = (struct seen){ m[i].idiag_inode, -1, 0 };
			else if (is_loopback(&m[i]) && m[i].idiag_wqueue == 1 &&
			    holds(owner, m[i].idiag_inode))
				outsider_connect(nl, &m[i]);
		}
	}
	if (!known && use_stop)
		kill(owner, SIGCONT);
}

static int
outsider(int argc, char **argv)
{
	int nl, known, open = 0;
	long end;

	if (argc != 4 || (strcmp(argv[2], "preempt") && strcmp(argv[2], "stop")))
		return -1;
	use_stop = !strcmp(argv[2], "stop");
	signal(SIGTERM, on_term);
	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0) {
		printf("error=sock_diag_%s\n", ename(errno));
		return 1;
	}
	outsider_round(nl, 1);
	known = nseen;
	write_ready(argv[3]);
	while (!stopping) {
		if (!owner && (owner = netpin_here()) && keep_netpin())
			return 1;
		if (owner)
			outsider_round(nl, 0);
		outsider_watch(0);
		usleep(100 + (unsigned)rand() % 300); /* netpin runs */
	}
	for (end = now_ms() + 3000; now_ms() < end;) {
		open = 0;
		for (int i = 0; i < nseen; i++)
			open += seen[i].fd >= 0;
		if (!open)
			break;
		outsider_watch(100);
	}
	printf("listeners=%d hits=%d first=%d refused=%d eof=%d reset=%d open=%d "
	    "bytes=%d\n", nseen - known, hits, first, refused, eofs, resets, open, bytes);
	return 0;
}

/* ---- peerstall ------------------------------------------------------------ */

static int stalled_fd;
static socklen_t *stalled_len;
static atomic_int stalled_done, stalled_tid;

static void *
stalled_getpeername(void *arg)
{
	struct sockaddr_storage ss;

	(void)arg;
	atomic_store(&stalled_tid, (int)gettid());
	getpeername(stalled_fd, (struct sockaddr *)&ss, stalled_len);
	atomic_store(&stalled_done, 1);
	return NULL;
}

static int
peerstall(int argc, char **argv)
{
	struct sockaddr_in s;
	long t0;
	char why[160], b1[64], b2[64];
	const char *bad = NULL;
	void *page;
	pthread_t t;
	int skip, fd;

	if (argc != 5)
		return -1;
	s = sin4(argv[2], argv[3]);
	if (!(page = stuck_page(&skip)))
		return skip ? 0 : 1;
	signal(SIGALRM, hung);
	alarm(20);
	stalled_fd = socket(AF_INET, SOCK_STREAM, 0);
	/* (a request on it first: namesrv.py takes a connection's first bytes
	 * before it accepts the next one) */
	if (connect(stalled_fd, (struct sockaddr *)&s, sizeof(s)) ||
	    (bad = http_get(stalled_fd, argv[4], 0, why, sizeof(why)))) {
		printf("first=%s\n", bad ? bad : ename(errno));
		return 0;
	}
	stalled_len = page;
	pthread_create(&t, NULL, stalled_getpeername, NULL);
	usleep(500 * 1000);
	snprintf(b1, sizeof(b1), "task/%d/wchan", (int)atomic_load(&stalled_tid));
	if (proc_read("self", b1, b2, sizeof(b2)))
		snprintf(b2, sizeof(b2), "?");
	/* (waiting for netpin: seccomp_do_user_notification) */
	printf("stalled=%d stalled_in=%s", !atomic_load(&stalled_done), b2);
	fflush(stdout);
	t0 = now_ms();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&s, sizeof(s))) {
		printf(" connect=%s\n", ename(errno));
		_exit(0);
	}
	printf(" connect=ok connect_ms=%ld", now_ms() - t0);
	fflush(stdout);
	bad = http_get(fd, argv[4], 1, why, sizeof(why));
	printf(" request=%s request_ms=%ld", bad ? bad : "ok", now_ms() - t0);
	fflush(stdout);
	printf(" peer=%s peer_ms=%ld", peer_text(fd, b1, sizeof(b1)), now_ms() - t0);
	fflush(stdout);
	printf(" peer_stalled_fd=%s ms=%ld\n", peer_text(stalled_fd, b2, sizeof(b2)),
	    now_ms() - t0);
	fflush(stdout);
	_exit(0); /* the stalled thread goes with the process */
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} ops[] = {
		{ "blackhole", blackhole },
		{ "hold", hold },
		{ "many", many },
		{ "outsider", outsider },
		{ "peerstall", peerstall },
	};

	for (size_t i = 0; argc > 1 && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(argv[1], ops[i].name)) {
			int rc = ops[i].fn(argc, argv);

			if (rc >= 0)
				return rc;
			break;
		}
	fprintf(stderr, "usage: tunnel blackhole ADDR PORT READY | hold ADDR PORT HOST |\n"
	    "       many N THREADS ADDR PORT HOST | outsider preempt|stop READY |\n"
	    "       peerstall ADDR PORT HOST\n");
	return 2;
}
