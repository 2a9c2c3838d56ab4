/*
 * Attack: IP options that choose the first hop.  setsockopt(IP_OPTIONS)
 * with a loose source route via DENIED, then connect (TCP) and send (UDP) to
 * ALLOWED; the same with IP_RETOPTS; on an IPv6 socket IPV6_RTHDR (type 2
 * and type 4 / segment routing via ::ffff:127.0.0.3), IPV6_2292RTHDR and
 * IPV6_2292PKTOPTIONS.  The options must be refused (EPERM) and the
 * connect to ALLOWED must still work (to ALLOWED, not DENIED).
 * usage: ipopts PORT [UDPPORT]
 */
#include "common.h"

#ifndef IPV6_RTHDR
#define IPV6_RTHDR 57
#endif

/* NOP, LSRR len 7 ptr 4, 127.0.0.3 */
static const unsigned char lsrr[8] = { 1, 131, 7, 4, 127, 0, 0, 3 };

static const char *
after_opt(int type, int level, int name, const void *val, socklen_t len,
    const char **conn, const char *tag)
{
	struct sockaddr_in g = sin4(ALLOWED, type == SOCK_STREAM ? tcp_port : udp_port);
	int fd = socket(AF_INET, type, 0), e = 0;
	const char *r;

	r = RES(setsockopt(fd, level, name, val, len));
	if (connect(fd, (struct sockaddr *)&g, sizeof(g)) < 0)
		e = errno;
	else if (send(fd, tag, strlen(tag), MSG_NOSIGNAL) < 0)
		e = errno;
	if (!e && peer_host(fd) != 2)
		e = EXDEV;
	*conn = ename(e);
	close(fd);
	return r;
}

static const char *
opt6(int name, const void *val, socklen_t len)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	const char *r = RES(setsockopt(fd, IPPROTO_IPV6, name, val, len));

	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	const char *o1, *o2, *o3, *o4, *c1, *c2, *c3, *c4, *r2, *r4, *r2292, *rpkt;
	unsigned char rh2[24], rh4[24];

	ports(argc, argv);
	o1 = after_opt(SOCK_STREAM, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr), &c1, "ipopt-tcp");
	o2 = after_opt(SOCK_DGRAM, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr), &c2, "ipopt-udp");
	o3 = after_opt(SOCK_STREAM, IPPROTO_IP, IP_RETOPTS, lsrr, sizeof(lsrr), &c3, "retopt-tcp");
	o4 = after_opt(SOCK_DGRAM, IPPROTO_IP, IP_RETOPTS, lsrr, sizeof(lsrr), &c4, "retopt-udp");

	/* routing header: next, hdrlen (8-octet units after the first 8), type, segleft */
	memset(rh2, 0, sizeof(rh2));
	rh2[1] = 2; rh2[2] = 2; rh2[3] = 1;
	inet_pton(AF_INET6, "::ffff:" DENIED, rh2 + 8);
	memset(rh4, 0, sizeof(rh4));
	rh4[1] = 2; rh4[2] = 4; rh4[3] = 0; rh4[4] = 0;
	inet_pton(AF_INET6, "::ffff:" DENIED, rh4 + 8);
	r2 = opt6(IPV6_RTHDR, rh2, sizeof(rh2));
	r4 = opt6(IPV6_RTHDR, rh4, sizeof(rh4));
	r2292 = opt6(5 /* IPV6_2292RTHDR */, rh2, sizeof(rh2));
	rpkt = opt6(6 /* IPV6_2292PKTOPTIONS */, "", 0);
	printf("ipopts: ip_options_tcp=%s connect_allowed=%s ip_options_udp=%s connect_allowed_udp=%s "
	    "ip_retopts_tcp=%s connect_allowed=%s ip_retopts_udp=%s connect_allowed_udp=%s "
	    "ipv6_rthdr_type2=%s ipv6_rthdr_type4=%s ipv6_2292rthdr=%s ipv6_2292pktoptions=%s\n",
	    o1, c1, o2, c2, o3, c3, o4, c4, r2, r4, r2292, rpkt);
	return 0;
}
