/*
 * recorder — the recording loopback server of the guests of tests/vm.sh,
 * which have no python: tests/server.py's command line and record, for the
 * kinds the guests use.
 *
 *   recorder --out FILE --ready FILE SPEC...
 *   SPEC = tcp|udp|http:HOST:PORT     (HOST an IPv4 or IPv6 literal, [::1])
 *
 * Each event appends one line to FILE, as server.py writes it:
 *   tcp HOST:PORT <data>     what a connection sent until EOF (or 10 s)
 *   udp HOST:PORT <data>     one line per datagram
 *   http HOST:PORT <request line>   (answered "HTTP/1.0 200 OK", body "ok\n")
 * a newline in the data written as "\n".  HOST:PORT is the spec's own (IPv6
 * as [::1]:PORT).  "ready\n" goes to the ready file (a rename) once every
 * socket listens.  One thread, one poll loop; runs until SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS 64
#define MAX_CONNS 512
#define MAX_DATA 65536
#define CONN_SECONDS 10

enum kind { TCP, UDP, HTTP };

struct sock {
	enum kind kind;
	int fd;
	char label[64];
};

struct conn {
	int fd;			/* -1: free */
	const struct sock *by;
	time_t start;
	size_t len;
	char data[MAX_DATA];
};

static struct sock socks[MAX_SOCKS];
static int nsocks;
static struct conn *conns;
static FILE *out;

static void
die(const char *what)
{
	fprintf(stderr, "recorder: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
record(const struct sock *s, const char *data, size_t len)
{
	static const char *names[] = { "tcp", "udp", "http" };

	fprintf(out, "%s %s ", names[s->kind], s->label);
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			fputs("\\n", out);
		else
			fputc(data[i], out);
	}
	fputc('\n', out);
	fflush(out);
}

/* open the socket of one SPEC */
static void
listen_spec(char *spec)
{
	struct sock *s = &socks[nsocks];
	struct sockaddr_storage ss;
	char *host, *port = strrchr(spec, ':'), *colon = strchr(spec, ':');
	int one = 1, v6;
	socklen_t len;

	if (nsocks == MAX_SOCKS || !colon || port == colon) {
		fprintf(stderr, "recorder: bad spec %s\n", spec);
		exit(2);
	}
	*colon = *port = '\0';
	host = colon + 1;
	if (*host == '[' && host[strlen(host) - 1] == ']') {
		host++;
		host[strlen(host) - 1] = '\0';
	}
	if (!strcmp(spec, "tcp"))
		s->kind = TCP;
	else if (!strcmp(spec, "udp"))
		s->kind = UDP;
	else if (!strcmp(spec, "http"))
		s->kind = HTTP;
	else {
		fprintf(stderr, "recorder: bad kind %s\n", spec);
		exit(2);
	}
	memset(&ss, 0, sizeof(ss));
	v6 = strchr(host, ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)atoi(port + 1));
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			die(host);
		len = sizeof(*a);
		snprintf(s->label, sizeof(s->label), "[%s]:%s", host, port + 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)atoi(port + 1));
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			die(host);
		len = sizeof(*a);
		snprintf(s->label, sizeof(s->label), "%s:%s", host, port + 1);
	}
	s->fd = socket(v6 ? AF_INET6 : AF_INET,
	    (s->kind == UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die("socket");
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->fd, (struct sockaddr *)&ss, len) < 0)
		die(s->label);
	if (s->kind != UDP && listen(s->fd, 512) < 0)
		die(s->label);
	nsocks++;
}

static void
conn_close(struct conn *c)
{
	if (c->by->kind == TCP) {
		record(c->by, c->data, c->len);
	} else {
		static const char reply[] =
		    "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
		size_t eol = strcspn(c->data, "\r\n");

		record(c->by, c->data, eol);
		if (write(c->fd, reply, sizeof(reply) - 1) < 0) {
			/* the client went away: nothing to answer */
		}
	}
	close(c->fd);
	c->fd = -1;
}

/* read what a connection sent; the record is written at EOF (http: at the
 * end of the request's head) */
static void
conn_read(struct conn *c)
{
	ssize_t n = read(c->fd, c->data + c->len, MAX_DATA - 1 - c->len);

	if (n > 0)
		c->len += (size_t)n;
	c->data[c->len] = '\0';
	if (n <= 0 || c->len == MAX_DATA - 1 ||
	    (c->by->kind == HTTP && strstr(c->data, "\r\n\r\n")))
		conn_close(c);
}

static void
accept_one(const struct sock *s)
{
	int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (conns[i].fd < 0) {
			conns[i].fd = fd;
			conns[i].by = s;
			conns[i].start = time(NULL);
			conns[i].len = 0;
			return;
		}
	}
	close(fd);
}

static void
recv_one(const struct sock *s)
{
	static char buf[MAX_DATA];
	ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

	if (n >= 0)
		record(s, buf, (size_t)n);
}

int
main(int argc, char **argv)
{
	static struct pollfd pfd[MAX_SOCKS + MAX_CONNS];
	const char *outpath = NULL, *ready = NULL;
	char tmp[4096];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--out") && i + 1 < argc)
			outpath = argv[++i];
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			ready = argv[++i];
		else
			listen_spec(argv[i]);
	}
	if (!outpath || !ready || !nsocks) {
		fprintf(stderr, "usage: recorder --out FILE --ready FILE SPEC...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!(out = fopen(outpath, "a")))
		die(outpath);
	if (!(conns = calloc(MAX_CONNS, sizeof(*conns))))
		die("calloc");
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
	FILE *r = fopen(tmp, "w");
	if (!r || fputs("ready\n", r) < 0 || fclose(r) || rename(tmp, ready))
		die(ready);
	for (;;) {
		int n = 0;

		for (i = 0; i < nsocks; i++)
			pfd[n++] = (struct pollfd){ .fd = socks[i].fd, .events = POLLIN };
		for (i = 0; i < MAX_CONNS; i++)
			pfd[n++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, 1000) < 0 && errno != EINTR)
			die("poll");
		for (i = 0; i < nsocks; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if (socks[i].kind == UDP)
				recv_one(&socks[i]);
			else
				accept_one(&socks[i]);
		}
		for (i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			if (pfd[nsocks + i].revents)
				conn_read(&conns[i]);
			else if (time(NULL) - conns[i].start > CONN_SECONDS)
				conn_close(&conns[i]);
		}
	}
}
