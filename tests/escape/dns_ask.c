/*
 * DNS queries of the command's own making, for the pinned-DNS attacks of
 * issue 17: names with any bytes in their labels, a chosen source, and
 * what comes after.  Each NAME is one A query over UDP to 127.0.0.1:53
 * (netpin carries every port-53 query to its own responder), from a new
 * socket, waiting up to 5 s for the reply.
 *
 * usage: dns_ask [-b IP:PORT] [-i SRC] [-s PORT] [-c IP:PORT] [-x STATUS] [-w]
 *                NAME...
 *   NAME        master-file text: '.' ends a label, "\." is a dot inside
 *               one, "\DDD" any byte (decimal), "\X" the character X
 *   -b IP:PORT  bind each query's socket there first (bind=...)
 *   -i SRC      send with sendmsg and an IP_PKTINFO source of SRC
 *   -s PORT     send one UDP datagram to PORT of every address answered
 *   -c IP:PORT  then one TCP connect there (connect=...)
 *   -x STATUS   exit with STATUS (default 0)
 *   -w          then print "waiting" and wait for EOF on stdin (20 s at most)
 * prints: "dns_ask: start", then "dns_ask: send1=... reply1=RCODE[:ADDR,...]
 * ...", where RCODE is NOERROR, NXDOMAIN, REFUSED, ... or "none" (no
 * reply within 5 s).
 */
#include "common.h"

static const char *rcodes[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	"NOTIMP", "REFUSED" };

/* NAME (see above) as wire labels; returns the length, or 0 */
static size_t
wire_name(const char *s, uint8_t *out, size_t cap)
{
	size_t o = 0, len_at = 0;

	if (cap < 2)
		return 0;
	out[o++] = 0;
	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;

		if (c == '.') {
			len_at = o;
			out[o++] = 0;
			if (o >= cap)
				return 0;
			continue;
		}
		if (c == '\\' && s[1] >= '0' && s[1] <= '9' && s[2] && s[3]) {
			c = (uint8_t)((s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'));
			s += 3;
		} else if (c == '\\' && s[1]) {
			c = (uint8_t)*++s;
		}
		if (o + 1 >= cap || out[len_at] == 63)
			return 0;
		out[o++] = c;
		out[len_at]++;
	}
	if (out[len_at])
		out[o++] = 0; /* the root */
	return o;
}

static size_t
query(uint8_t *q, size_t cap, const char *name, uint16_t id)
{
	size_t n;

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;
	if (!(n = wire_name(name, q + 12, cap - 12 - 4)))
		return 0;
	n += 12;
	q[n++] = 0;
	q[n++] = 1; /* A */
	q[n++] = 0;
	q[n++] = 1; /* IN */
	return n;
}

/* the reply's rcode and A records as text, into out */
static void
describe(const uint8_t *r, size_t n, uint16_t id, char *out, size_t len)
{
	size_t off = 12, o;
	unsigned an, rc;

	if (n < 12 || r[0] != (id >> 8) || r[1] != (id & 0xff) || !(r[2] & 0x80)) {
		snprintf(out, len, "not-a-reply");
		return;
	}
	rc = r[3] & 0x0f;
	an = (unsigned)(r[6] << 8 | r[7]);
	o = (size_t)snprintf(out, len, "%s", rc < 6 ? rcodes[rc] : "RCODE?");
	/* skip the question */
	while (off < n && r[off] && !(r[off] & 0xc0))
		off += (size_t)r[off] + 1;
	off += off < n && (r[off] & 0xc0) ? 2 : 1;
	off += 4;
	for (unsigned i = 0; i < an && off + 12 <= n; i++) {
		size_t rdlen;

		while (off < n && r[off] && !(r[off] & 0xc0))
			off += (size_t)r[off] + 1;
		off += off < n && (r[off] & 0xc0) ? 2 : 1;
		if (off + 10 > n)
			break;
		rdlen = (size_t)(r[off + 8] << 8 | r[off + 9]);
		if (r[off + 1] == 1 && rdlen == 4 && off + 14 <= n && o < len)
			o += (size_t)snprintf(out + o, len - o, "%c%u.%u.%u.%u",
			    strchr(out, ':') ? ',' : ':', r[off + 10], r[off + 11],
			    r[off + 12], r[off + 13]);
		off += 10 + rdlen;
	}
}

/* send q from fd to 127.0.0.1:53, with an IP_PKTINFO source if src */
static int
send_query(int fd, const uint8_t *q, size_t n, const char *src)
{
	struct sockaddr_in to = sin4("127.0.0.1", 53);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} u;
	struct in_pktinfo pi;
	struct iovec iov = { (void *)q, n };
	struct msghdr m;

	if (!src)
		return sendto(fd, q, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? errno : 0;
	memset(&u, 0, sizeof(u));
	memset(&pi, 0, sizeof(pi));
	memset(&m, 0, sizeof(m));
	inet_pton(AF_INET, src, &pi.ipi_spec_dst);
	u.h.cmsg_level = IPPROTO_IP;
	u.h.cmsg_type = IP_PKTINFO;
	u.h.cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(&u.h), &pi, sizeof(pi));
	m.msg_name = &to;
	m.msg_namelen = sizeof(to);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	return sendmsg(fd, &m, 0) < 0 ? errno : 0;
}

/* "IP:PORT" */
static struct sockaddr_in
ip_port(const char *s)
{
	char ip[64];
	const char *colon = strrchr(s, ':');

	snprintf(ip, sizeof(ip), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	return sin4(ip, colon ? atoi(colon + 1) : 0);
}

/* one datagram "learn" to PORT of every address in an answer's text */
static void
send_to_answers(const char *desc, int port)
{
	const char *p = strchr(desc, ':');
	char ip[32];

	while (p && *p) {
		size_t l = strcspn(p + 1, ",");

		snprintf(ip, sizeof(ip), "%.*s", (int)l, p + 1);
		udp_try4(ip, port, "learn");
		p = p[1 + l] ? p + 1 + l : NULL;
	}
}

int
main(int argc, char **argv)
{
	const char *bind_to = NULL, *src = NULL, *conn = NULL;
	int opt, status = 0, wait_stdin = 0, to_port = 0;
	char line[4096];
	size_t o = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "b:i:s:c:x:w")) != -1) {
		switch (opt) {
		case 'b': bind_to = optarg; break;
		case 'i': src = optarg; break;
		case 's': to_port = atoi(optarg); break;
		case 'c': conn = optarg; break;
		case 'x': status = atoi(optarg); break;
		case 'w': wait_stdin = 1; break;
		default: return 2;
		}
	}
	printf("dns_ask: start\n");
	line[0] = '\0';
	for (int i = optind; i < argc; i++) {
		int k = i - optind + 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), e;
		uint16_t id = (uint16_t)(0x4242 + k);
		uint8_t q[512], r[1500];
		char desc[512] = "none";
		size_t n = query(q, sizeof(q), argv[i], id);
		struct pollfd p = { fd, POLLIN, 0 };

		if (bind_to) {
			struct sockaddr_in b = ip_port(bind_to);

			o += (size_t)snprintf(line + o, sizeof(line) - o, " bind%d=%s", k,
			    RES(bind(fd, (struct sockaddr *)&b, sizeof(b))));
		}
		if (!n) {
			o += (size_t)snprintf(line + o, sizeof(line) - o, " bad_name%d", k);
			close(fd);
			continue;
		}
		e = send_query(fd, q, n, src);
		/* a reply, or none within 5 s */
		while (!e && poll(&p, 1, 5000) == 1) {
			ssize_t got = recv(fd, r, sizeof(r), 0);

			if (got < 0)
				break;
			describe(r, (size_t)got, id, desc, sizeof(desc));
			if (strcmp(desc, "not-a-reply"))
				break;
		}
		if (!e && to_port)
			send_to_answers(desc, to_port);
		o += (size_t)snprintf(line + o, sizeof(line) - o, " send%d=%s reply%d=%s",
		    k, ename(e), k, e ? "-" : desc);
		close(fd);
		if (o >= sizeof(line) - 600)
			break;
	}
	if (conn) {
		struct sockaddr_in c = ip_port(conn);

		o += (size_t)snprintf(line + o, sizeof(line) - o, " connect=%s",
		    ename(tcp_try((struct sockaddr *)&c, sizeof(c), "after-dns")));
	}
	printf("dns_ask:%s\n", line);
	if (wait_stdin) {
		struct pollfd p = { 0, POLLIN, 0 };

		printf("waiting\n");
		/* the driver closes our stdin when it is done */
		while (poll(&p, 1, 20000) == 1 && read(0, line, sizeof(line)) > 0)
			;
	}
	return status;
}
