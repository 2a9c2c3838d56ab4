/*
 * Attack: control messages on a UDP sendmsg() to ALLOWED that would choose
 * the route: IP_RETOPTS (loose source route via DENIED), IP_OPTIONS, on
 * IPv6 IPV6_RTHDR / IPV6_2292RTHDR / IPV6_HOPOPTS via ::ffff:127.0.0.3,
 * SO_MARK.  Control: IP_PKTINFO with source 127.0.0.3 (a source address,
 * not a destination) and IP_TTL pass.  Nothing may reach DENIED.
 * usage: cmsg_opts PORT [UDPPORT]
 */
#include "common.h"

#ifndef IPV6_RTHDR
#define IPV6_RTHDR 57
#endif

static const unsigned char lsrr[8] = { 1, 131, 7, 4, 127, 0, 0, 3 };

static const char *
send_cmsg(int family, int level, int type, const void *data, size_t len, const char *tag)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(64)];
	} u;
	struct sockaddr_in g4 = sin4(ALLOWED, udp_port);
	struct sockaddr_in6 g6 = sin6("::ffff:" ALLOWED, udp_port);
	struct iovec iov = { (void *)tag, strlen(tag) };
	struct msghdr m;
	int fd = socket(family, SOCK_DGRAM, 0);
	const char *r;

	memset(&u, 0, sizeof(u));
	memset(&m, 0, sizeof(m));
	u.h.cmsg_level = level;
	u.h.cmsg_type = type;
	u.h.cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(&u.h), data, len);
	if (family == AF_INET) {
		m.msg_name = &g4;
		m.msg_namelen = sizeof(g4);
	} else {
		m.msg_name = &g6;
		m.msg_namelen = sizeof(g6);
	}
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = CMSG_SPACE(len);
	r = RES(sendmsg(fd, &m, 0));
	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	unsigned char rh[24], hop[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	struct in_pktinfo pi;
	int mark = 1, ttl = 7;
	const char *r[10];

	ports(argc, argv);
	memset(rh, 0, sizeof(rh));
	rh[1] = 2; rh[2] = 2; rh[3] = 1;
	inet_pton(AF_INET6, "::ffff:" DENIED, rh + 8);
	memset(&pi, 0, sizeof(pi));
	inet_pton(AF_INET, DENIED, &pi.ipi_spec_dst);

	r[0] = send_cmsg(AF_INET, IPPROTO_IP, IP_RETOPTS, lsrr, sizeof(lsrr), "cmsg-retopts");
	r[1] = send_cmsg(AF_INET, IPPROTO_IP, IP_OPTIONS, lsrr, sizeof(lsrr), "cmsg-options");
	r[2] = send_cmsg(AF_INET6, IPPROTO_IP, IP_RETOPTS, lsrr, sizeof(lsrr), "cmsg-retopts6");
	r[3] = send_cmsg(AF_INET6, IPPROTO_IPV6, IPV6_RTHDR, rh, sizeof(rh), "cmsg-rthdr");
	r[4] = send_cmsg(AF_INET6, IPPROTO_IPV6, 5 /* IPV6_2292RTHDR */, rh, sizeof(rh), "cmsg-2292rthdr");
	r[5] = send_cmsg(AF_INET6, IPPROTO_IPV6, IPV6_HOPOPTS, hop, sizeof(hop), "cmsg-hopopts");
	r[6] = send_cmsg(AF_INET, SOL_SOCKET, SO_MARK, &mark, sizeof(mark), "cmsg-mark");
	r[7] = send_cmsg(AF_INET, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi), "cmsg-pktinfo-src3");
	r[8] = send_cmsg(AF_INET, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl), "cmsg-ttl");
	printf("cmsg_opts: ip_retopts=%s ip_options=%s ip_retopts_on_inet6=%s ipv6_rthdr=%s "
	    "ipv6_2292rthdr=%s ipv6_hopopts=%s so_mark=%s control_pktinfo_src3=%s control_ttl=%s\n",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
	return 0;
}
