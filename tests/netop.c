/*
 * netop - tiny test client that performs network syscalls and reports
 * the result as a single line on stdout: "ok", "ok N", or the symbolic
 * errno name ("ECONNREFUSED", ...; unknown values print as "E<num>").
 *
 * Exit status: 0 if the final result is ok, 1 if an errno (or another
 * failure such as "badlen"/"mismatch") was printed, 2 on usage errors.
 *
 * Builds with glibc and musl (libc headers only, no <linux/...>):
 *   cc -O2 -Wall -Wextra -Werror -pthread -o tests/netop tests/netop.c
 *   musl-gcc -static -O2 -Wall -Wextra -Werror -o tests/netop-musl tests/netop.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MMSG 64

struct errname {
	int num;
	const char *name;
};

#define E(x) { x, #x }
static const struct errname errnames[] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(EFBIG),
	E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM),
	E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EPROTO), E(EBADMSG),
	E(EOVERFLOW), E(EILSEQ), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE),
	E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT),
	E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
	E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN),
	E(ENOTCONN), E(ESHUTDOWN), E(ETIMEDOUT), E(ECONNREFUSED),
	E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS),
	E(ESTALE), E(EDQUOT), E(ECANCELED), E(EOWNERDEAD),
	E(ENOTRECOVERABLE),
};
#undef E

static const char *errname(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* Print the result line for err (0 = ok) and return the exit status. */
static int report(int err)
{
	if (err == 0)
		printf("ok\n");
	else
		printf("%s\n", errname(err));
	fflush(stdout);
	return err == 0 ? 0 : 1;
}

static int report_n(long n, int success)
{
	printf("ok %ld\n", n);
	fflush(stdout);
	return success ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: netop OP ARGS...\n"
		"  tcp HOST PORT [MSG]\n"
		"  tcp-nb HOST PORT [MSG]\n"
		"  tcp-bind-connect BINDHOST HOST PORT\n"
		"  udp-sendto HOST PORT MSG\n"
		"  udp-connect HOST PORT MSG\n"
		"  udp-sendmsg HOST PORT MSG\n"
		"  udp-sendmmsg HOST PORT MSG [HOST PORT MSG]...\n"
		"  bind tcp|udp HOST PORT\n"
		"  bind-listen HOST PORT\n"
		"  connect-badlen HOST PORT LEN\n"
		"  connect-badptr\n"
		"  connect-badfd FD HOST PORT\n"
		"  sendto-badlen HOST PORT LEN\n"
		"  sendmsg-badiov HOST PORT\n"
		"  threads N HOST PORT\n"
		"  loop N HOST PORT\n"
		"  forkexec HOST PORT MSG\n"
		"  scm-rights\n"
		"  unix-dgram PATH MSG\n"
		"  unix-echo PATH          (bind, listen, connect and accept by PATH)\n"
		"  tls-hello HOST PORT NAME   (a ClientHello naming NAME, then EOF)\n"
		"  hang HOST PORT SECONDS\n"
		"  sleep-then-tcp SECONDS HOST PORT\n"
		"  race-connect ALLOWHOST DENYHOST PORT ITER\n"
		"  accept-echo HOST PORT   (listen; accept(), then accept4(SOCK_NONBLOCK|\n"
		"                           SOCK_CLOEXEC); echo a line back on each)\n"
		"  leader-exit HOST DENYHOST PORT MSG   (two sockets made, then the main\n"
		"                           thread exits; another thread uses them 0.5 s later)\n"
		"  socketpair              (a good sv is filled; the pair carries data)\n"
		"  socketpair-badptr       (sv not mapped: EFAULT, and no fd appears)\n"
		"  socketpair-eof N        (N times: a socketpair, one end closed; the other\n"
		"                           must read EOF within 1.5 s; 0.1 s between)\n"
		"HOST is a numeric IPv4 or IPv6 literal ([brackets] optional).\n"
		"Prints one line: ok, ok N, or an errno name. Exit 0 ok, 1 error, 2 usage.\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Fill *ss from a numeric host literal and port; returns 0 or -1. */
static int parse_addr(const char *host, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t hl = strlen(host);
	long p;

	if (parse_long(port, 0, 65535, &p) < 0) {
		fprintf(stderr, "netop: bad port '%s'\n", port);
		return -1;
	}
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']' &&
	    hl - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, hl - 2);
		buf[hl - 2] = '\0';
		host = buf;
	}
	memset(ss, 0, sizeof(*ss));
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)p);
			*len = sizeof(*sin);
			return 0;
		}
	}
	{
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)p);
			*len = sizeof(*sin6);
			return 0;
		}
	}
	fprintf(stderr, "netop: bad host '%s' (numeric IPv4/IPv6 only)\n", host);
	return -1;
}

static void set_timeout(int fd, int opt, long sec)
{
	struct timeval tv;

	tv.tv_sec = sec;
	tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* Send all of buf on a connected socket; returns 0 or an errno. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				if (poll(&pfd, 1, 5000) == 0)
					return ETIMEDOUT;
				continue;
			}
			return errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Half-close and read until EOF (or timeout / error); data ignored. */
static void shut_and_drain(int fd)
{
	char buf[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;
		int r = poll(&pfd, 1, 10000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
	}
}

/* Blocking TCP connect (+ optional message); returns 0 or an errno. */
static int do_tcp(const struct sockaddr_storage *ss, socklen_t len,
		  const char *msg)
{
	int fd, err = 0;

	fd = socket(ss->ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	if (msg) {
		err = send_all(fd, msg, strlen(msg));
		if (err == 0)
			shut_and_drain(fd);
	}
	close(fd);
	return err;
}

static int op_tcp(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc < 4 || argc > 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	return report(do_tcp(&ss, len, argc == 5 ? argv[4] : NULL));
}

static int op_tcp_nb(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len, elen;
	int fd, err = 0;

	if (argc < 4 || argc > 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return report(errno);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			close(fd);
			return report(err);
		}
		for (;;) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int r = poll(&pfd, 1, 5000);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				err = errno;
				close(fd);
				return report(err);
			}
			if (r == 0) {
				close(fd);
				return report(ETIMEDOUT);
			}
			break;
		}
		elen = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err) {
			close(fd);
			return report(err);
		}
	}
	if (argc == 5) {
		err = send_all(fd, argv[4], strlen(argv[4]));
		if (err == 0)
			shut_and_drain(fd);
	}
	close(fd);
	return report(err);
}

static int op_tcp_bind_connect(int argc, char **argv)
{
	struct sockaddr_storage bss, ss;
	socklen_t blen, len;
	int fd, err = 0;

	if (argc != 5 || parse_addr(argv[2], "0", &bss, &blen) < 0 ||
	    parse_addr(argv[3], argv[4], &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return report(errno);
	if (bind(fd, (struct sockaddr *)&bss, blen) < 0)
		err = errno;
	else if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return report(err);
}

enum udp_mode { UDP_SENDTO, UDP_CONNECT, UDP_SENDMSG };

static int op_udp(int argc, char **argv, enum udp_mode mode)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *msg;
	size_t mlen;
	ssize_t n = 0;
	int fd, err = 0;

	if (argc != 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	msg = argv[4];
	mlen = strlen(msg);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return report(errno);
	switch (mode) {
	case UDP_SENDTO:
		n = sendto(fd, msg, mlen, 0, (struct sockaddr *)&ss, len);
		break;
	case UDP_CONNECT:
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			err = errno;
			close(fd);
			return report(err);
		}
		n = send(fd, msg, mlen, 0);
		break;
	case UDP_SENDMSG: {
		struct iovec iov = { .iov_base = (void *)msg, .iov_len = mlen };
		struct msghdr mh;
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &ss;
		mh.msg_namelen = len;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = sendmsg(fd, &mh, 0);
		break;
	}
	}
	if (n < 0)
		err = errno;
	close(fd);
	return report(err);
}

static int op_udp_sendmmsg(int argc, char **argv)
{
	struct sockaddr_storage ss[MAX_MMSG];
	struct mmsghdr mm[MAX_MMSG];
	struct iovec iov[MAX_MMSG];
	int i, n, fd, cnt;

	if (argc < 5 || (argc - 2) % 3 != 0)
		return -1;
	cnt = (argc - 2) / 3;
	if (cnt > MAX_MMSG) {
		fprintf(stderr, "netop: at most %d messages\n", MAX_MMSG);
		return -1;
	}
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < cnt; i++) {
		socklen_t len;
		char *a = argv[2 + 3 * i];

		if (parse_addr(a, argv[3 + 3 * i], &ss[i], &len) < 0)
			return -1;
		if (ss[i].ss_family != ss[0].ss_family) {
			fprintf(stderr, "netop: all hosts must be the same family\n");
			return -1;
		}
		iov[i].iov_base = argv[4 + 3 * i];
		iov[i].iov_len = strlen(argv[4 + 3 * i]);
		mm[i].msg_hdr.msg_name = &ss[i];
		mm[i].msg_hdr.msg_namelen = len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	fd = socket(ss[0].ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return report(errno);
	n = sendmmsg(fd, mm, (unsigned int)cnt, 0);
	if (n < 0) {
		int err = errno;
		close(fd);
		return report(err);
	}
	close(fd);
	for (i = 0; i < n && i < cnt; i++) {
		if (mm[i].msg_len != iov[i].iov_len) {
			printf("badlen\n");
			fflush(stdout);
			return 1;
		}
	}
	return report_n(n, n == cnt);
}

static int bound_port(int fd, long *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return errno;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*port = -1;
	return 0;
}

static int do_bind(int type, const char *host, const char *port, int do_listen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long p = 0;
	int fd, err = 0;

	if (parse_addr(host, port, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, type, 0);
	if (fd < 0)
		return report(errno);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	else if (do_listen && listen(fd, 16) < 0)
		err = errno;
	else
		err = bound_port(fd, &p);
	close(fd);
	if (err)
		return report(err);
	return report_n(p, 1);
}

static int op_bind(int argc, char **argv)
{
	int type;

	if (argc != 5)
		return -1;
	if (strcmp(argv[2], "tcp") == 0)
		type = SOCK_STREAM;
	else if (strcmp(argv[2], "udp") == 0)
		type = SOCK_DGRAM;
	else
		return -1;
	return do_bind(type, argv[3], argv[4], 0);
}

static int op_bind_listen(int argc, char **argv)
{
	if (argc != 4)
		return -1;
	return do_bind(SOCK_STREAM, argv[2], argv[3], 1);
}

/* connect (TCP) or sendto (UDP) HOST PORT, with the address length LEN */
static int do_badlen(int type, int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long l;
	int fd, err = 0, rc;

	if (argc != 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0 ||
	    parse_long(argv[4], LONG_MIN, LONG_MAX, &l) < 0)
		return -1;
	fd = socket(ss.ss_family, type, 0);
	if (fd < 0)
		return report(errno);
	if (type == SOCK_STREAM)
		rc = connect(fd, (struct sockaddr *)&ss, (socklen_t)l);
	else
		rc = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, (socklen_t)l);
	if (rc < 0)
		err = errno;
	close(fd);
	return report(err);
}

static int op_connect_badlen(int argc, char **argv)
{
	return do_badlen(SOCK_STREAM, argc, argv);
}

static int op_connect_badptr(int argc, char **argv)
{
	int fd, err = 0;

	(void)argv;
	if (argc != 2)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return report(errno);
	if (connect(fd, (const struct sockaddr *)(uintptr_t)16, 16) < 0)
		err = errno;
	close(fd);
	return report(err);
}

static int op_connect_badfd(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long fd;

	if (argc != 5 || parse_long(argv[2], INT_MIN, INT_MAX, &fd) < 0 ||
	    parse_addr(argv[3], argv[4], &ss, &len) < 0)
		return -1;
	if (connect((int)fd, (struct sockaddr *)&ss, len) < 0)
		return report(errno);
	return report(0);
}

static int op_sendto_badlen(int argc, char **argv)
{
	return do_badlen(SOCK_DGRAM, argc, argv);
}

static int op_sendmsg_badiov(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct iovec iov;
	struct msghdr mh;
	int fd, err = 0;

	if (argc != 4 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return report(errno);
	iov.iov_base = (void *)(uintptr_t)16;
	iov.iov_len = 10;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &ss;
	mh.msg_namelen = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(fd, &mh, 0) < 0)
		err = errno;
	close(fd);
	return report(err);
}

struct thread_ctx {
	struct sockaddr_storage ss;
	socklen_t len;
	pthread_mutex_t lock;
	long ok;
	int first_err;
};

static void note_result(struct thread_ctx *c, int err)
{
	pthread_mutex_lock(&c->lock);
	if (err == 0)
		c->ok++;
	else if (c->first_err == 0)
		c->first_err = err;
	pthread_mutex_unlock(&c->lock);
}

static void *connect_thread(void *arg)
{
	struct thread_ctx *c = arg;
	int fd, err = 0;

	fd = socket(c->ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		note_result(c, errno);
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&c->ss, c->len) < 0) {
		err = errno;
	} else {
		/* counts successful connects; a failed send is only logged */
		int serr = send_all(fd, "t", 1);
		if (serr)
			fprintf(stderr, "netop: send: %s\n", errname(serr));
		else
			shut_and_drain(fd);
	}
	close(fd);
	note_result(c, err);
	return NULL;
}

static int finish_count(struct thread_ctx *c, long n)
{
	if (c->first_err)
		fprintf(stderr, "%s\n", errname(c->first_err));
	return report_n(c->ok, c->ok == n);
}

static int op_threads(int argc, char **argv)
{
	struct thread_ctx c;
	pthread_t *tids;
	long n, i, started = 0;

	memset(&c, 0, sizeof(c));
	if (argc != 5 || parse_long(argv[2], 1, 10000, &n) < 0 ||
	    parse_addr(argv[3], argv[4], &c.ss, &c.len) < 0)
		return -1;
	pthread_mutex_init(&c.lock, NULL);
	tids = calloc((size_t)n, sizeof(*tids));
	if (!tids)
		return report(ENOMEM);
	for (i = 0; i < n; i++) {
		int e = pthread_create(&tids[i], NULL, connect_thread, &c);
		if (e) {
			fprintf(stderr, "netop: pthread_create: %s\n", errname(e));
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return finish_count(&c, n);
}

static int op_loop(int argc, char **argv)
{
	struct thread_ctx c;
	long n, i;

	memset(&c, 0, sizeof(c));
	if (argc != 5 || parse_long(argv[2], 0, LONG_MAX, &n) < 0 ||
	    parse_addr(argv[3], argv[4], &c.ss, &c.len) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int err = do_tcp(&c.ss, c.len, NULL);
		if (err == 0)
			c.ok++;
		else if (c.first_err == 0)
			c.first_err = err;
	}
	return finish_count(&c, n);
}

static int op_forkexec(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[256];
	size_t got = 0;
	int pfd[2], status;
	pid_t child;

	if (argc != 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	if (pipe(pfd) < 0)
		return report(errno);
	fflush(stdout);
	child = fork();
	if (child < 0)
		return report(errno);
	if (child == 0) {
		pid_t gc = fork();
		if (gc < 0) {
			dprintf(pfd[1], "%s\n", errname(errno));
			_exit(1);
		}
		if (gc > 0)
			_exit(0);
		/* grandchild */
		close(pfd[0]);
		if (pfd[1] != STDOUT_FILENO) {
			dup2(pfd[1], STDOUT_FILENO);
			close(pfd[1]);
		}
		{
			char *args[] = { argv[0], "tcp", argv[2], argv[3],
					 argv[4], NULL };
			char self[PATH_MAX];
			ssize_t sl = readlink("/proc/self/exe", self,
					      sizeof(self) - 1);
			/* exec the resolved path so comm stays "netop", not "exe" */
			if (sl > 0) {
				self[sl] = '\0';
				execv(self, args);
			}
			execv("/proc/self/exe", args);
		}
		printf("%s\n", errname(errno));
		fflush(stdout);
		_exit(1);
	}
	close(pfd[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		ssize_t n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got >= sizeof(buf) - 1)
			break;
	}
	close(pfd[0]);
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (buf[0] == '\0') {
		printf("noresult\n");
		fflush(stdout);
		return 1;
	}
	printf("%s\n", buf);
	fflush(stdout);
	return strcmp(buf, "ok") == 0 ? 0 : 1;
}

static int op_scm_rights(int argc, char **argv)
{
	int sv[2], pp[2], rfd = -1, err = 0;
	char data = 'x', rbuf[8];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	(void)argv;
	if (argc != 2)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return report(errno);
	if (pipe(pp) < 0)
		return report(errno);

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &data;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pp[1], sizeof(int));
	if (sendmsg(sv[0], &mh, 0) < 0)
		return report(errno);

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&mh, 0, sizeof(mh));
	data = 0;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	n = recvmsg(sv[1], &mh, 0);
	if (n < 0)
		return report(errno);
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&rfd, CMSG_DATA(cm), sizeof(int));
	if (n != 1 || data != 'x' || rfd < 0 || rfd == pp[1]) {
		printf("mismatch\n");
		fflush(stdout);
		return 1;
	}
	close(pp[1]);
	if (write(rfd, "hello", 5) != 5)
		return report(errno ? errno : EIO);
	close(rfd);
	n = read(pp[0], rbuf, sizeof(rbuf));
	if (n < 0)
		return report(errno);
	if (n != 5 || memcmp(rbuf, "hello", 5) != 0) {
		printf("mismatch\n");
		fflush(stdout);
		return 1;
	}
	close(pp[0]);
	close(sv[0]);
	close(sv[1]);
	return report(err);
}

static int op_unix_dgram(int argc, char **argv)
{
	struct sockaddr_un sun;
	size_t plen;
	int fd, err = 0;

	if (argc != 4)
		return -1;
	plen = strlen(argv[2]);
	if (plen == 0 || plen >= sizeof(sun.sun_path)) {
		fprintf(stderr, "netop: bad unix socket path\n");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[2], plen);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return report(errno);
	if (sendto(fd, argv[3], strlen(argv[3]), 0, (struct sockaddr *)&sun,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1)) < 0)
		err = errno;
	close(fd);
	return report(err);
}

/*
 * A unix stream socket by path, within the process: bind PATH, listen,
 * connect a second socket to it, accept, and one line through.  Local IPC,
 * which no rule needs to allow (PATH is removed before and after).
 */
static int op_unix_echo(int argc, char **argv)
{
	struct sockaddr_un sun;
	socklen_t slen;
	size_t plen;
	int l = -1, c = -1, a = -1, err = 0;
	char buf[8];

	if (argc != 3)
		return -1;
	plen = strlen(argv[2]);
	if (plen == 0 || plen >= sizeof(sun.sun_path)) {
		fprintf(stderr, "netop: bad unix socket path\n");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[2], plen);
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
	unlink(argv[2]);
	if ((l = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sun, slen) < 0 || listen(l, 1) < 0 ||
	    (c = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(c, (struct sockaddr *)&sun, slen) < 0 ||
	    (a = accept(l, NULL, NULL)) < 0)
		err = errno;
	else if (send_all(c, "ping\n", 5) == 0 && read(a, buf, sizeof(buf)) != 5)
		err = EPROTO;
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	unlink(argv[2]);
	return report(err);
}

/*
 * A TLS ClientHello (TLS 1.3's shape: one cipher suite, an X25519 key
 * share, supported_versions) that names NAME in its server_name, sent on
 * a TCP connection to HOST:PORT, then a half-close and a read until EOF.
 * No handshake follows: what reached the server is the test.  Prints "ok"
 * and what came back: "eof", "alert" (a TLS alert record), "bytes" or an
 * errno ("ok ECONNRESET"); or the connect's or the send's errno alone.
 */
static int op_tls_hello(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned char h[512], *p = h;
	size_t nl, n;
	ssize_t got;
	int fd, err;

	if (argc != 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	nl = strlen(argv[4]);
	if (nl == 0 || nl > 253)
		return -1;
#define PUT8(v) (*p++ = (unsigned char)(v))
#define PUT16(v) (PUT8((v) >> 8), PUT8(v))
	PUT8(22), PUT16(0x0301), PUT16(0);          /* record, its length below */
	PUT8(1), PUT8(0), PUT16(0);                 /* ClientHello, its length */
	PUT16(0x0303);                              /* legacy_version */
	for (int i = 0; i < 32; i++)                /* random */
		PUT8(i * 7 + 1);
	PUT8(32);                                   /* legacy_session_id */
	for (int i = 0; i < 32; i++)
		PUT8(i);
	PUT16(2), PUT16(0x1301);                    /* TLS_AES_128_GCM_SHA256 */
	PUT8(1), PUT8(0);                           /* null compression */
	n = 9 + nl + 7 + 8 + 8 + 42;                /* the extensions */
	PUT16(n);
	PUT16(0), PUT16(nl + 5), PUT16(nl + 3), PUT8(0), PUT16(nl);  /* SNI */
	memcpy(p, argv[4], nl);
	p += nl;
	PUT16(43), PUT16(3), PUT8(2), PUT16(0x0304);         /* versions */
	PUT16(10), PUT16(4), PUT16(2), PUT16(29);            /* groups: x25519 */
	PUT16(13), PUT16(4), PUT16(2), PUT16(0x0804);        /* rsa_pss_rsae */
	PUT16(51), PUT16(38), PUT16(36), PUT16(29), PUT16(32);  /* key share */
	for (int i = 0; i < 32; i++)
		PUT8(9);
#undef PUT16
#undef PUT8
	n = (size_t)(p - h);
	h[3] = (unsigned char)((n - 5) >> 8), h[4] = (unsigned char)(n - 5);
	h[7] = (unsigned char)((n - 9) >> 8), h[8] = (unsigned char)(n - 9);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0)
		return report(errno);
	set_timeout(fd, SO_RCVTIMEO, 5);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (err = send_all(fd, (const char *)h, n)) != 0) {
		err = errno;
		close(fd);
		return report(err);
	}
	shutdown(fd, SHUT_WR);
	got = recv(fd, h, sizeof(h), 0);
	err = errno;
	close(fd);
	printf("ok %s\n", got == 0 ? "eof" : got < 0 ? errname(err) :
	    h[0] == 21 ? "alert" : "bytes");
	return 0;
}

static int op_hang(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long secs;
	int fd, err = 0;

	if (argc != 5 || parse_addr(argv[2], argv[3], &ss, &len) < 0 ||
	    parse_long(argv[4], 0, 100000, &secs) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return report(errno);
	set_timeout(fd, SO_SNDTIMEO, secs);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return report(err);
}

static int op_sleep_then_tcp(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timespec ts;
	char *end;
	double secs;

	if (argc != 5)
		return -1;
	secs = strtod(argv[2], &end);
	if (end == argv[2] || *end != '\0' || !(secs >= 0) || secs > 1e6)
		return -1;
	if (parse_addr(argv[3], argv[4], &ss, &len) < 0)
		return -1;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return report(do_tcp(&ss, len, NULL));
}

struct race_ctx {
	struct sockaddr_storage ss; /* shared, flipped by the racer */
	struct sockaddr_storage allow, deny;
	int stop;
};

static void *race_thread(void *arg)
{
	struct race_ctx *c = arg;
	volatile unsigned char *dst = (volatile unsigned char *)&c->ss;
	const unsigned char *a = (const unsigned char *)&c->allow;
	const unsigned char *d = (const unsigned char *)&c->deny;
	size_t off, n, i;

	if (c->ss.ss_family == AF_INET) {
		off = offsetof(struct sockaddr_in, sin_addr);
		n = sizeof(struct in_addr);
	} else {
		off = offsetof(struct sockaddr_in6, sin6_addr);
		n = sizeof(struct in6_addr);
	}
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		for (i = off; i < off + n; i++)
			dst[i] = d[i];
		for (i = off; i < off + n; i++)
			dst[i] = a[i];
	}
	return NULL;
}

/* resolve NAME: getaddrinfo, one address per line, sorted as returned */
static int op_resolve(int argc, char **argv)
{
	struct addrinfo hints, *res, *ai;
	char a[INET6_ADDRSTRLEN];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: netop resolve NAME\n");
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(argv[2], NULL, &hints, &res);
	if (rc) {
		printf("%s\n", rc == EAI_NONAME ? "EAI_NONAME" : gai_strerror(rc));
		return 1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		const void *p = ai->ai_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		printf("%s\n", inet_ntop(ai->ai_family, p, a, sizeof(a)));
	}
	freeaddrinfo(res);
	return 0;
}

static int op_race_connect(int argc, char **argv)
{
	struct race_ctx c;
	socklen_t len, dlen;
	pthread_t tid;
	long iter, i, ok = 0;
	int e;

	memset(&c, 0, sizeof(c));
	if (argc != 6 || parse_addr(argv[2], argv[4], &c.allow, &len) < 0 ||
	    parse_addr(argv[3], argv[4], &c.deny, &dlen) < 0 ||
	    parse_long(argv[5], 0, LONG_MAX, &iter) < 0)
		return -1;
	if (c.allow.ss_family != c.deny.ss_family) {
		fprintf(stderr, "netop: hosts must be the same family\n");
		return -1;
	}
	memcpy(&c.ss, &c.allow, sizeof(c.ss));
	e = pthread_create(&tid, NULL, race_thread, &c);
	if (e)
		return report(e);
	for (i = 0; i < iter; i++) {
		int fd = socket(c.allow.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&c.ss, len) == 0)
			ok++;
		close(fd);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	return report_n(ok, 1);
}

/* a line from c (blocking or not): up to '\n' or EOF, at most cap-1 bytes */
static int read_line(int c, char *buf, size_t cap, size_t *got)
{
	*got = 0;
	while (*got < cap - 1) {
		ssize_t n = read(c, buf + *got, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = c, .events = POLLIN };
			if (poll(&p, 1, 10000) <= 0)
				return ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return errno;
		if (n == 0 || buf[*got] == '\n')
			break;
		(*got)++;
	}
	buf[*got] = '\0';
	return 0;
}

static void format_peer(const struct sockaddr_storage *ss, socklen_t len,
			char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET && len == sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(out, cap, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(out, cap, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, cap, "family=%d,len=%u", ss->ss_family, (unsigned)len);
	}
}

/*
 * accept-echo HOST PORT: bind+listen (SO_REUSEADDR), print "listening PORT";
 * take one connection with a blocking accept(), one with
 * accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) after poll(); on each read a line
 * and answer "echo:LINE\n".  One line per connection:
 *   accept|accept4 peer=ADDR:PORT got=LINE nonblock=0|1 cloexec=0|1
 * then "ok"; a failure prints "STEP: ERRNO".
 */
static int op_accept_echo(int argc, char **argv)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen;
	char line[256], reply[300], who[80];
	int fd, one = 1, i;
	long p = 0;

	if (argc != 4 || parse_addr(argv[2], argv[3], &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		goto fail_socket;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		printf("bind: %s\n", errname(errno));
		return 1;
	}
	if (listen(fd, 8) < 0) {
		printf("listen: %s\n", errname(errno));
		return 1;
	}
	if (bound_port(fd, &p)) {
		printf("getsockname: %s\n", errname(errno));
		return 1;
	}
	printf("listening %ld\n", p);
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		const char *what = i == 0 ? "accept" : "accept4";
		size_t got;
		int c, err, fl, fdfl;

		memset(&peer, 0, sizeof(peer));
		plen = sizeof(peer);
		if (i == 0) {
			c = accept(fd, (struct sockaddr *)&peer, &plen);
		} else {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			if (poll(&pf, 1, 10000) <= 0) {
				printf("poll: %s\n", errname(errno ? errno : ETIMEDOUT));
				return 1;
			}
			c = accept4(fd, (struct sockaddr *)&peer, &plen,
				    SOCK_NONBLOCK | SOCK_CLOEXEC);
		}
		if (c < 0) {
			printf("%s: %s\n", what, errname(errno));
			return 1;
		}
		fl = fcntl(c, F_GETFL);
		fdfl = fcntl(c, F_GETFD);
		err = read_line(c, line, sizeof(line), &got);
		if (err) {
			printf("%s read: %s\n", what, errname(err));
			return 1;
		}
		snprintf(reply, sizeof(reply), "echo:%s\n", line);
		for (size_t off = 0, n = strlen(reply); off < n;) {
			ssize_t w = write(c, reply + off, n - off);
			if (w < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (w < 0) {
				printf("%s write: %s\n", what, errname(errno));
				return 1;
			}
			off += (size_t)w;
		}
		format_peer(&peer, plen, who, sizeof(who));
		printf("%s peer=%s got=%s nonblock=%d cloexec=%d\n", what, who, line,
		       fl >= 0 && (fl & O_NONBLOCK) ? 1 : 0,
		       fdfl >= 0 && (fdfl & FD_CLOEXEC) ? 1 : 0);
		fflush(stdout);
		close(c);
	}
	close(fd);
	return report(0);
fail_socket:
	printf("socket: %s\n", errname(errno));
	return 1;
}

/*
 * leader-exit HOST DENYHOST PORT MSG: the main thread makes two TCP sockets,
 * starts a thread and ends (pthread_exit).  The thread waits until the main
 * thread is a zombie, 0.5 s more, then connects the first socket to
 * HOST:PORT (and sends MSG), the second to DENYHOST:PORT, and prints both
 * results on one line ("ok EACCES"), or "leader-alive".  Exit 0 when the
 * first connect succeeded.
 */
static struct {
	struct sockaddr_storage ok, deny;
	socklen_t okl, denyl;
	const char *msg;
	int s1, s2;
} lx;

static int leader_gone(void)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

static void *leader_exit_thread(void *arg)
{
	struct timespec half = { 0, 500000000L }, step = { 0, 5000000L };
	int i, e1 = 0, e2 = 0;

	(void)arg;
	for (i = 0; i < 600 && !leader_gone(); i++)
		nanosleep(&step, NULL);
	if (!leader_gone()) {
		printf("leader-alive\n");
		fflush(stdout);
		_exit(1);
	}
	nanosleep(&half, NULL); /* several of netpin's fd scans */
	if (connect(lx.s1, (struct sockaddr *)&lx.ok, lx.okl) < 0)
		e1 = errno;
	else {
		e1 = send_all(lx.s1, lx.msg, strlen(lx.msg));
		if (e1 == 0)
			shut_and_drain(lx.s1);
	}
	if (connect(lx.s2, (struct sockaddr *)&lx.deny, lx.denyl) < 0)
		e2 = errno;
	printf("%s", e1 ? errname(e1) : "ok");
	printf(" %s\n", e2 ? errname(e2) : "ok");
	fflush(stdout);
	_exit(e1 ? 1 : 0);
}

static int op_leader_exit(int argc, char **argv)
{
	pthread_t t;
	int e;

	if (argc != 6 || parse_addr(argv[2], argv[4], &lx.ok, &lx.okl) < 0 ||
	    parse_addr(argv[3], argv[4], &lx.deny, &lx.denyl) < 0)
		return -1;
	lx.msg = argv[5];
	lx.s1 = socket(lx.ok.ss_family, SOCK_STREAM, 0);
	if (lx.s1 < 0)
		return report(errno);
	lx.s2 = socket(lx.deny.ss_family, SOCK_STREAM, 0);
	if (lx.s2 < 0)
		return report(errno);
	e = pthread_create(&t, NULL, leader_exit_thread, NULL);
	if (e)
		return report(e);
	pthread_exit(NULL);
}

/* The lowest free fd number (what the next socket would get). */
static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* socketpair: sv is filled with two new fds that carry data both ways */
static int op_socketpair(int argc, char **argv)
{
	int sv[2] = { -1, -1 };
	char buf[8] = "";

	(void)argv;
	if (argc != 2)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return report(errno);
	if (sv[0] < 0 || sv[1] < 0 || sv[0] == sv[1]) {
		printf("sv not filled: %d %d\n", sv[0], sv[1]);
		return 1;
	}
	if (write(sv[0], "ab", 2) != 2 || read(sv[1], buf, sizeof(buf)) != 2 ||
	    memcmp(buf, "ab", 2) || write(sv[1], "cd", 2) != 2 ||
	    read(sv[0], buf, sizeof(buf)) != 2 || memcmp(buf, "cd", 2)) {
		printf("no data through the pair: %s\n", errname(errno));
		return 1;
	}
	return report(0);
}

/* socketpair with an sv that is not mapped: EFAULT, and no new fd */
static int op_socketpair_badptr(int argc, char **argv)
{
	int *volatile bad = (int *)(uintptr_t)16; /* (volatile: no warning) */
	int before, after, err = 0;

	(void)argv;
	if (argc != 2)
		return -1;
	before = lowest_free_fd();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, bad) < 0)
		err = errno;
	after = lowest_free_fd();
	if (err && after != before) {
		printf("%s, but fd %d appeared\n", errname(err), before);
		return 1;
	}
	return report(err);
}

/*
 * socketpair-eof N: N times, 0.1 s apart: make a socketpair, close one end,
 * wait up to 15 s for EOF on the other (a netpin that kept the end until
 * the command exits gives none; one that lets it go soon gives it in
 * milliseconds, in seconds on a loaded machine).  Prints "eof K of N,
 * slowest S" (S in seconds); exit 0 when K == N.
 */
static int op_socketpair_eof(int argc, char **argv)
{
	struct timespec gap = { 0, 100000000L }, t0, t1;
	double slowest = 0;
	long n, i, k = 0;

	if (argc != 3 || parse_long(argv[2], 1, 1000, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int sv[2];
		char c;
		struct pollfd p;
		double el;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return report(errno);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		close(sv[1]);
		p.fd = sv[0];
		p.events = POLLIN;
		if (poll(&p, 1, 15000) == 1 && read(sv[0], &c, 1) == 0)
			k++;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (double)(t1.tv_sec - t0.tv_sec) +
		     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (el > slowest)
			slowest = el;
		close(sv[0]);
		nanosleep(&gap, NULL);
	}
	printf("eof %ld of %ld, slowest %.3f\n", k, n, slowest);
	fflush(stdout);
	return k == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} ops[] = {
		{ "tcp", op_tcp },
		{ "tcp-nb", op_tcp_nb },
		{ "tcp-bind-connect", op_tcp_bind_connect },
		{ "udp-sendmmsg", op_udp_sendmmsg },
		{ "bind", op_bind },
		{ "bind-listen", op_bind_listen },
		{ "connect-badlen", op_connect_badlen },
		{ "connect-badptr", op_connect_badptr },
		{ "connect-badfd", op_connect_badfd },
		{ "sendto-badlen", op_sendto_badlen },
		{ "sendmsg-badiov", op_sendmsg_badiov },
		{ "threads", op_threads },
		{ "loop", op_loop },
		{ "forkexec", op_forkexec },
		{ "scm-rights", op_scm_rights },
		{ "unix-dgram", op_unix_dgram },
		{ "unix-echo", op_unix_echo },
		{ "tls-hello", op_tls_hello },
		{ "hang", op_hang },
		{ "sleep-then-tcp", op_sleep_then_tcp },
		{ "race-connect", op_race_connect },
		{ "resolve", op_resolve },
		{ "accept-echo", op_accept_echo },
		{ "leader-exit", op_leader_exit },
		{ "socketpair", op_socketpair },
		{ "socketpair-badptr", op_socketpair_badptr },
		{ "socketpair-eof", op_socketpair_eof },
	};
	size_t i;
	int rc = -1;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "udp-sendto") == 0)
		rc = op_udp(argc, argv, UDP_SENDTO);
	else if (strcmp(argv[1], "udp-connect") == 0)
		rc = op_udp(argc, argv, UDP_CONNECT);
	else if (strcmp(argv[1], "udp-sendmsg") == 0)
		rc = op_udp(argc, argv, UDP_SENDMSG);
	else
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (strcmp(argv[1], ops[i].name) == 0) {
				rc = ops[i].fn(argc, argv);
				break;
			}
	if (rc < 0) {
		usage();
		return 2;
	}
	return rc;
}
