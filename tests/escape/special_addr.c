/*
 * Attack: destinations that name DENIED indirectly when only ALLOWED is
 * allowed: IPv4-mapped IPv6 (::ffff:127.0.0.3), 0.0.0.0 and :: (they reach
 * the local host), a socket bound to 127.0.0.3 then connected (TCP) or
 * sending (UDP) to 0.0.0.0, AF_UNSPEC on an IPv4 UDP sendto (the kernel reads
 * it as IPv4), an AF_INET address on an IPv6 socket.  Control: bound to
 * 127.0.0.2 then connect 0.0.0.0 (that is 127.0.0.2: allowed).
 * usage: special_addr PORT [UDPPORT]
 */
#include "common.h"

/* how a destination is tried: connect() then send() (TCP or UDP), or sendto() */
enum way { TCP_CONNECT, UDP_CONNECT, UDP_SENDTO };
/* a sockaddr and its length, as reach() takes them */
#define SA(s) &(s), sizeof(s)

/*
 * A socket of family, bound to bind_sa first when given, sends tag to sa
 * the way asked.  "ok", the errno's name, or EXDEV: a connect that reached
 * the denied address.  (MSG_NOSIGNAL: a TCP peer that closed must not
 * kill the attack; a datagram socket never raises SIGPIPE.)
 */
static const char *
reach(enum way way, int family, const void *bind_sa, socklen_t blen, const void *sa,
    socklen_t len, const char *tag)
{
	int fd = socket(family, way == TCP_CONNECT ? SOCK_STREAM : SOCK_DGRAM, 0), e = 0;

	if (fd < 0)
		return ename(errno);
	if (bind_sa && bind(fd, bind_sa, blen) < 0)
		e = errno;
	else if (way == UDP_SENDTO) {
		if (sendto(fd, tag, strlen(tag), 0, sa, len) < 0)
			e = errno;
	} else if (connect(fd, sa, len) < 0)
		e = errno;
	else if (send(fd, tag, strlen(tag), MSG_NOSIGNAL) < 0)
		e = errno;
	else if (peer_host(fd) == 3)
		e = EXDEV;
	close(fd);
	return ename(e);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in6 m_t, m_u, any6_t, any6_u, m0_t, bind_m3;
	struct sockaddr_in any_t, any_u, b3, b2, unspec_u, d_t, d_u;
	const char *r[16];

	ports(argc, argv);
	m_t = sin6("::ffff:" DENIED, tcp_port);
	m_u = sin6("::ffff:" DENIED, udp_port);
	any6_t = sin6("::", tcp_port);
	any6_u = sin6("::", udp_port);
	m0_t = sin6("::ffff:0.0.0.0", tcp_port);
	bind_m3 = sin6("::ffff:" DENIED, 0);
	any_t = sin4("0.0.0.0", tcp_port);
	any_u = sin4("0.0.0.0", udp_port);
	b3 = sin4(DENIED, 0);
	b2 = sin4(ALLOWED, 0);
	unspec_u = sin4(DENIED, udp_port);
	d_t = sin4(DENIED, tcp_port);
	d_u = sin4(DENIED, udp_port);
	unspec_u.sin_family = AF_UNSPEC;
	r[0] = reach(TCP_CONNECT, AF_INET6, NULL, 0, SA(m_t), "sa-mapped-tcp");
	r[1] = reach(UDP_SENDTO, AF_INET6, NULL, 0, SA(m_u), "sa-mapped-udp");
	r[2] = reach(UDP_CONNECT, AF_INET6, NULL, 0, SA(m_u), "sa-mapped-udpconn");
	r[3] = reach(TCP_CONNECT, AF_INET, NULL, 0, SA(any_t), "sa-any4-tcp");
	r[4] = reach(TCP_CONNECT, AF_INET6, NULL, 0, SA(any6_t), "sa-any6-tcp");
	r[5] = reach(UDP_SENDTO, AF_INET6, NULL, 0, SA(any6_u), "sa-any6-udp");
	r[6] = reach(TCP_CONNECT, AF_INET, SA(b3), SA(any_t), "sa-bound3-any4-tcp");
	r[7] = reach(UDP_SENDTO, AF_INET, SA(b3), SA(any_u), "sa-bound3-any4-udp");
	r[8] = reach(UDP_CONNECT, AF_INET, SA(b3), SA(any_u), "sa-bound3-any4-udpconn");
	r[9] = reach(TCP_CONNECT, AF_INET6, SA(bind_m3), SA(m0_t), "sa-bound3-mapped0-tcp");
	r[10] = reach(TCP_CONNECT, AF_INET6, SA(bind_m3), SA(any6_t), "sa-bound3-any6-tcp");
	r[11] = reach(UDP_SENDTO, AF_INET, NULL, 0, SA(unspec_u), "sa-unspec-udp");
	r[12] = reach(TCP_CONNECT, AF_INET6, NULL, 0, SA(d_t), "sa-inet-on-inet6-tcp");
	r[13] = reach(UDP_SENDTO, AF_INET6, NULL, 0, SA(d_u), "sa-inet-on-inet6-udp");
	r[14] = reach(TCP_CONNECT, AF_INET, SA(b2), SA(any_t), "sa-bound2-any4-tcp");
	printf("special_addr: mapped_tcp=%s mapped_udp=%s mapped_udp_connect=%s any4_tcp=%s "
	    "any6_tcp=%s any6_udp=%s bound3_any4_tcp=%s bound3_any4_udp=%s "
	    "bound3_any4_udp_connect=%s bound3_mapped0_tcp=%s bound3_any6_tcp=%s "
	    "unspec_udp=%s inet_on_inet6_tcp=%s inet_on_inet6_udp=%s control_bound2_any4_tcp=%s\n",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
	    r[12], r[13], r[14]);
	return 0;
}
