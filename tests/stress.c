/*
 * stress - concurrency stress test for netpin's supervisor.
 *
 * usage: stress PROCS THREADS SECONDS ALLOWED_IP DENIED_IP TCPPORT UDPPORT
 *
 * Forks PROCS processes with THREADS threads each.  Every thread repeats,
 * until SECONDS have passed, this round of six operations:
 *   1. blocking TCP connect to ALLOWED_IP:TCPPORT   -> 0, send 1 byte, close
 *   2. blocking TCP connect to DENIED_IP:TCPPORT    -> -1 EHOSTUNREACH
 *   3. UDP sendto ALLOWED_IP:UDPPORT                -> full length
 *   4. UDP sendto DENIED_IP:UDPPORT                 -> -1 EHOSTUNREACH
 *   5. UDP sendmsg (msg_name) to ALLOWED_IP:UDPPORT -> full length
 *   6. nonblocking TCP connect to ALLOWED_IP:TCPPORT -> -1 EINPROGRESS, then
 *      poll(POLLOUT) and SO_ERROR 0; send 1 byte, close
 * (meant to run as `netpin -a ALLOWED_IP -- stress ...` with servers
 * listening on both addresses, so that a denial can only come from netpin).
 *
 * Every thread counts its operations and mismatches (any result other than
 * the expected one) in memory shared with the parent.  The parent is the
 * watchdog: an operation still running after 60 s is a hang; the children
 * are then killed.  The run is bounded: SECONDS (at most 3600) plus the
 * 60 s an operation may take, plus a margin for the children to exit.
 * (60 s: a hang is a call that never returns; a machine that runs other
 * work beside 4 x 32 threads and netpin makes a call take seconds.  How
 * fast calls are is measured by make bench, not here.)
 *
 * Prints one line on stdout: "ok OPS" (exit 0) or
 * "fail OPS MISMATCHES first=DESCRIPTION" (exit 1); DESCRIPTION is the
 * earliest mismatch and has no spaces.  Exit 2 on usage errors.
 * STRESS_VERBOSE=1 in the environment adds a line with the rate on stderr.
 *
 * Builds with glibc and musl (libc headers only):
 *   cc -O2 -Wall -Wextra -Werror -pthread -o tests/stress tests/stress.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 256
#define MAX_THREADS 1024
#define MAX_SECONDS 3600
#define MAX_OPS_PER_THREAD 100000000ULL	/* a bound even on a fast machine */
#define HANG_NS (60ULL * 1000000000ULL)	/* one operation longer: a hang */
#define EXIT_MARGIN_NS (20ULL * 1000000000ULL)
#define POLL_MS 50000			/* nonblocking connect; < hang */
#define WATCH_INTERVAL_NS 50000000L	/* parent checks every 50 ms */
#define DESC_LEN 200

enum op {
	OP_NONE,
	OP_TCP_ALLOWED,
	OP_TCP_DENIED,
	OP_UDP_SENDTO_ALLOWED,
	OP_UDP_SENDTO_DENIED,
	OP_UDP_SENDMSG_ALLOWED,
	OP_TCP_NB_ALLOWED,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
	[OP_NONE] = "none",
	[OP_TCP_ALLOWED] = "tcp-connect-allowed",
	[OP_TCP_DENIED] = "tcp-connect-denied",
	[OP_UDP_SENDTO_ALLOWED] = "udp-sendto-allowed",
	[OP_UDP_SENDTO_DENIED] = "udp-sendto-denied",
	[OP_UDP_SENDMSG_ALLOWED] = "udp-sendmsg-allowed",
	[OP_TCP_NB_ALLOWED] = "tcp-nb-connect-allowed",
};

/* One per thread, in memory shared by all processes (MAP_SHARED). */
struct slot {
	uint64_t ops;		/* operations finished */
	uint64_t mismatches;
	uint64_t op_start;	/* CLOCK_MONOTONIC ns of the running op, 0: none */
	uint32_t op;		/* enum op running */
	uint32_t finished;	/* the thread has left its loop */
	uint64_t first_ns;	/* when the first mismatch happened */
	char first[DESC_LEN];	/* its description, written before first_ns */
};

static struct slot *slots;
static struct sockaddr_in allowed_tcp, denied_tcp, allowed_udp, denied_udp;
static uint64_t deadline_ns;
static int nthreads;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *
errname(int e)
{
	static const struct { int num; const char *name; } names[] = {
#define E(x) { x, #x }
		E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(EBADF), E(EAGAIN),
		E(ENOMEM), E(EACCES), E(EFAULT), E(EINVAL), E(ENFILE),
		E(EMFILE), E(EPIPE), E(ENOSYS), E(ENOTSOCK), E(EDESTADDRREQ),
		E(EMSGSIZE), E(EOPNOTSUPP), E(EAFNOSUPPORT), E(EADDRINUSE),
		E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ECONNABORTED),
		E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN),
		E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTUNREACH), E(EALREADY),
		E(EINPROGRESS),
#undef E
	};
	static __thread char buf[16];
	size_t i;

	if (e == 0)
		return "0";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].num == e)
			return names[i].name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* ----- the worker threads ------------------------------------------- */

/* Record a mismatch of the running operation; DETAIL has no spaces. */
static void
mismatch(struct slot *s, const char *detail)
{
	s->mismatches++;
	if (__atomic_load_n(&s->first_ns, __ATOMIC_ACQUIRE) != 0)
		return;
	snprintf(s->first, sizeof(s->first), "%s:pid=%d:%s",
	    op_names[s->op], (int)getpid(), detail);
	__atomic_store_n(&s->first_ns, now_ns(), __ATOMIC_RELEASE);
}

/* "call" failed with errno E or returned R where WANT was expected. */
static void
mismatch_result(struct slot *s, const char *call, long r, int e,
    const char *want)
{
	char d[DESC_LEN];

	if (r < 0)
		snprintf(d, sizeof(d), "%s=-1:errno=%s:expected=%s", call,
		    errname(e), want);
	else
		snprintf(d, sizeof(d), "%s=%ld:expected=%s", call, r, want);
	mismatch(s, d);
}

static void
op_begin(struct slot *s, enum op op)
{
	s->op = op;
	__atomic_store_n(&s->op_start, now_ns(), __ATOMIC_RELEASE);
}

static void
op_end(struct slot *s)
{
	__atomic_store_n(&s->op_start, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->ops, s->ops + 1, __ATOMIC_RELAXED);
}

/* Send the 1-byte tag on a connected TCP socket and close it. */
static void
send_tag_close(struct slot *s, int fd, char tag)
{
	ssize_t n = send(fd, &tag, 1, MSG_NOSIGNAL);

	if (n != 1)
		mismatch_result(s, "send", (long)n, errno, "1");
	close(fd);
}

static void
tcp_connect(struct slot *s, const struct sockaddr_in *sa, int allowed)
{
	int fd, r, e;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mismatch_result(s, "socket", -1, errno, "fd");
		return;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	if (allowed) {
		if (r != 0) {
			mismatch_result(s, "connect", r, e, "0");
			close(fd);
			return;
		}
		send_tag_close(s, fd, 'T');
		return;
	}
	if (r != -1 || e != EHOSTUNREACH)
		mismatch_result(s, "connect", r, e, "EHOSTUNREACH");
	close(fd);
}

static void
udp_sendto(struct slot *s, int fd, const struct sockaddr_in *sa, int allowed)
{
	static const char msg[] = "stress-udp-sendto";
	ssize_t n;
	int e;

	n = sendto(fd, msg, sizeof(msg) - 1, 0, (const struct sockaddr *)sa,
	    sizeof(*sa));
	e = errno;
	if (allowed) {
		if (n != (ssize_t)(sizeof(msg) - 1))
			mismatch_result(s, "sendto", (long)n, e, "17");
		return;
	}
	if (n != -1 || e != EHOSTUNREACH)
		mismatch_result(s, "sendto", (long)n, e, "EHOSTUNREACH");
}

static void
udp_sendmsg(struct slot *s, int fd, const struct sockaddr_in *sa)
{
	static char part1[] = "stress-", part2[] = "udp-sendmsg";
	struct sockaddr_in to = *sa;
	struct iovec iov[2] = {
		{ part1, sizeof(part1) - 1 },
		{ part2, sizeof(part2) - 1 },
	};
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &to;
	mh.msg_namelen = sizeof(to);
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	n = sendmsg(fd, &mh, 0);
	if (n != (ssize_t)(iov[0].iov_len + iov[1].iov_len))
		mismatch_result(s, "sendmsg", (long)n, errno, "18");
}

static void
tcp_nb_connect(struct slot *s, const struct sockaddr_in *sa)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, r, e, soerr = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mismatch_result(s, "socket", -1, errno, "fd");
		return;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	if (r != -1 || e != EINPROGRESS) {
		mismatch_result(s, "connect", r, e, "EINPROGRESS");
		close(fd);
		return;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	do
		r = poll(&pfd, 1, POLL_MS);
	while (r < 0 && errno == EINTR);
	if (r != 1) {
		mismatch(s, r == 0 ? "poll:timeout" : "poll:error");
		close(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 ||
	    soerr != 0) {
		mismatch_result(s, "SO_ERROR", -1, soerr ? soerr : errno, "0");
		close(fd);
		return;
	}
	send_tag_close(s, fd, 'N');
}

static void
run_op(struct slot *s, enum op op, int udpfd)
{
	op_begin(s, op);
	switch (op) {
	case OP_TCP_ALLOWED:
		tcp_connect(s, &allowed_tcp, 1);
		break;
	case OP_TCP_DENIED:
		tcp_connect(s, &denied_tcp, 0);
		break;
	case OP_UDP_SENDTO_ALLOWED:
		udp_sendto(s, udpfd, &allowed_udp, 1);
		break;
	case OP_UDP_SENDTO_DENIED:
		udp_sendto(s, udpfd, &denied_udp, 0);
		break;
	case OP_UDP_SENDMSG_ALLOWED:
		udp_sendmsg(s, udpfd, &allowed_udp);
		break;
	case OP_TCP_NB_ALLOWED:
		tcp_nb_connect(s, &allowed_tcp);
		break;
	default:
		break;
	}
	op_end(s);
}

static void *
worker(void *arg)
{
	struct slot *s = arg;
	int udpfd, op = OP_TCP_ALLOWED;

	udpfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (udpfd < 0) {
		mismatch_result(s, "socket(udp)", -1, errno, "fd");
		goto out;
	}
	while (now_ns() < deadline_ns && s->ops < MAX_OPS_PER_THREAD) {
		run_op(s, (enum op)op, udpfd);
		op = op + 1 == OP_COUNT ? OP_TCP_ALLOWED : op + 1;
	}
	close(udpfd);
out:
	__atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
child(int proc)
{
	pthread_t *tids;
	char *started;
	pthread_attr_t attr;
	int i, r;

	tids = calloc((size_t)nthreads, sizeof(*tids));
	started = calloc((size_t)nthreads, 1);
	if (!tids || !started)
		_exit(3);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nthreads; i++) {
		struct slot *s = &slots[proc * nthreads + i];

		r = pthread_create(&tids[i], &attr, worker, s);
		if (r != 0) {
			mismatch_result(s, "pthread_create", -1, r, "0");
			s->finished = 1;
			continue;
		}
		started[i] = 1;
	}
	for (i = 0; i < nthreads; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	_exit(0);
}

/* ----- the parent: fork, watch, report ------------------------------ */

static void
usage(void)
{
	fprintf(stderr, "usage: stress PROCS THREADS SECONDS ALLOWED_IP "
	    "DENIED_IP TCPPORT UDPPORT\n");
	exit(2);
}

static long
parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage();
	return v;
}

static void
make_addr(struct sockaddr_in *sa, const char *ip, long port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
		usage();
}

struct result {
	uint64_t ops, mismatches, first_ns;
	char first[DESC_LEN];
};

/* The earliest description wins; parent-side events use now. */
static void
parent_mismatch(struct result *res, const char *desc)
{
	res->mismatches++;
	if (res->first_ns == 0) {
		res->first_ns = now_ns();
		snprintf(res->first, sizeof(res->first), "%s", desc);
	}
}

static void
collect(struct result *res, int nslots)
{
	int i;

	for (i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		uint64_t f = __atomic_load_n(&s->first_ns, __ATOMIC_ACQUIRE);

		res->ops += __atomic_load_n(&s->ops, __ATOMIC_RELAXED);
		res->mismatches += s->mismatches;
		if (f && (res->first_ns == 0 || f < res->first_ns)) {
			res->first_ns = f;
			snprintf(res->first, sizeof(res->first), "%s", s->first);
		}
	}
}

/* An operation running for longer than HANG_NS: describe it, else 0. */
static int
find_hang(int nslots, pid_t *pids, char *desc, size_t len)
{
	uint64_t now = now_ns();
	int i;

	for (i = 0; i < nslots; i++) {
		uint64_t t = __atomic_load_n(&slots[i].op_start,
		    __ATOMIC_ACQUIRE);

		if (t && now > t && now - t > HANG_NS) {
			snprintf(desc, len, "hang:%s:pid=%d:thread=%d:"
			    "running_for=%llus", op_names[slots[i].op],
			    (int)pids[i / nthreads], i % nthreads,
			    (unsigned long long)((now - t) / 1000000000ULL));
			return 1;
		}
	}
	return 0;
}

static void
kill_all(pid_t *pids, int nprocs)
{
	int i;

	for (i = 0; i < nprocs; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
}

int
main(int argc, char **argv)
{
	struct result res;
	struct timespec tick = { 0, WATCH_INTERVAL_NS };
	uint64_t start, give_up, hung = 0;	/* hung: when we killed them */
	pid_t *pids;
	char desc[DESC_LEN];
	int nprocs, seconds, nslots, alive, i;
	long tcpport, udpport;

	if (argc != 8)
		usage();
	nprocs = (int)parse_num(argv[1], 1, MAX_PROCS);
	nthreads = (int)parse_num(argv[2], 1, MAX_THREADS);
	seconds = (int)parse_num(argv[3], 0, MAX_SECONDS);
	tcpport = parse_num(argv[6], 1, 65535);
	udpport = parse_num(argv[7], 1, 65535);
	make_addr(&allowed_tcp, argv[4], tcpport);
	make_addr(&denied_tcp, argv[5], tcpport);
	make_addr(&allowed_udp, argv[4], udpport);
	make_addr(&denied_udp, argv[5], udpport);

	nslots = nprocs * nthreads;
	slots = mmap(NULL, (size_t)nslots * sizeof(*slots),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pids = calloc((size_t)nprocs, sizeof(*pids));
	if (slots == MAP_FAILED || !pids) {
		perror("stress: mmap");
		return 2;
	}
	memset(&res, 0, sizeof(res));
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	start = now_ns();
	deadline_ns = start + (uint64_t)seconds * 1000000000ULL;
	give_up = deadline_ns + HANG_NS + EXIT_MARGIN_NS;

	for (i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			child(i);
		if (pids[i] < 0) {
			snprintf(desc, sizeof(desc), "fork:errno=%s",
			    errname(errno));
			parent_mismatch(&res, desc);
			break;
		}
	}

	/* Watch: reap children, look for hung operations, bound the run. */
	alive = i;
	while (alive > 0) {
		int status, j;
		pid_t p = waitpid(-1, &status, WNOHANG);

		if (p > 0) {
			for (j = 0; j < nprocs; j++)
				if (pids[j] == p)
					break;
			if (j < nprocs)
				pids[j] = -pids[j];
			alive--;
			if (!hung && !(WIFEXITED(status) &&
			    WEXITSTATUS(status) == 0)) {
				snprintf(desc, sizeof(desc),
				    "child:pid=%d:%s=%d", (int)p,
				    WIFSIGNALED(status) ? "signal" : "exit",
				    WIFSIGNALED(status) ? WTERMSIG(status) :
				    WEXITSTATUS(status));
				parent_mismatch(&res, desc);
			}
			continue;
		}
		if (p < 0 && errno != EINTR)
			break;
		if (!hung && find_hang(nslots, pids, desc, sizeof(desc))) {
			hung = now_ns();
			parent_mismatch(&res, desc);
			kill_all(pids, nprocs);
		} else if (!hung && now_ns() > give_up) {
			hung = now_ns();
			parent_mismatch(&res, "hang:children_did_not_exit");
			kill_all(pids, nprocs);
		} else if (hung && now_ns() - hung > HANG_NS) {
			/* killed but not gone: report anyway, the run is bounded */
			parent_mismatch(&res, "hang:killed_children_did_not_die");
			break;
		}
		nanosleep(&tick, NULL);
	}

	collect(&res, nslots);
	if (getenv("STRESS_VERBOSE")) {
		double secs = (double)(now_ns() - start) / 1e9;

		fprintf(stderr, "stress: %d procs x %d threads, %.2f s, "
		    "%llu ops, %.0f ops/s\n", nprocs, nthreads, secs,
		    (unsigned long long)res.ops,
		    secs > 0 ? (double)res.ops / secs : 0.0);
	}
	if (res.mismatches == 0) {
		printf("ok %llu\n", (unsigned long long)res.ops);
		return 0;
	}
	printf("fail %llu %llu first=%s\n", (unsigned long long)res.ops,
	    (unsigned long long)res.mismatches, res.first);
	return 1;
}
