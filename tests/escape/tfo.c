/*
 * Attack: TCP fast open.  sendto(MSG_FASTOPEN) to DENIED (IPv4 and
 * v4-mapped IPv6); TCP_FASTOPEN_CONNECT then connect() to DENIED;
 * send(MSG_FASTOPEN) with no address at all on an unconnected socket;
 * TCP_FASTOPEN_CONNECT + connect() to ALLOWED then sendto(MSG_FASTOPEN)
 * naming DENIED (the data must go to ALLOWED or nowhere); sendto
 * (MSG_FASTOPEN) to ALLOWED must work.
 * usage: tfo PORT [UDPPORT]
 */
#include "common.h"

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT 30
#endif

static const char *
fo_sendto(int family, const struct sockaddr *sa, socklen_t len, const char *tag)
{
	int fd = socket(family, SOCK_STREAM, 0), e = 0;

	if (fd < 0)
		return ename(errno);
	if (sendto(fd, tag, strlen(tag), MSG_FASTOPEN | MSG_NOSIGNAL, sa, len) < 0)
		e = errno;
	close(fd);
	return ename(e);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in g, b;
	struct sockaddr_in6 b6;
	const char *r_bad, *r_bad6, *r_noaddr, *r_good, *r_focbad, *r_focgood, *r_focgood_send;
	char peer[64] = "-";
	int one = 1, fd, e;

	ports(argc, argv);
	g = sin4(ALLOWED, tcp_port);
	b = sin4(DENIED, tcp_port);
	b6 = sin6("::ffff:" DENIED, tcp_port);

	r_bad = fo_sendto(AF_INET, (struct sockaddr *)&b, sizeof(b), "tfo-sendto-denied");
	r_bad6 = fo_sendto(AF_INET6, (struct sockaddr *)&b6, sizeof(b6), "tfo-sendto-mapped");
	r_good = fo_sendto(AF_INET, (struct sockaddr *)&g, sizeof(g), "tfo-sendto-allowed");

	/* send(MSG_FASTOPEN) has no address: stays in the kernel */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	e = send(fd, "tfo-noaddr", 10, MSG_FASTOPEN | MSG_NOSIGNAL) < 0 ? errno : 0;
	r_noaddr = ename(e);
	close(fd);

	/* TCP_FASTOPEN_CONNECT: connect() is deferred to the first write */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
	e = connect(fd, (struct sockaddr *)&b, sizeof(b)) < 0 ? errno : 0;
	r_focbad = ename(e);
	if (!e) /* the deferred SYN goes with the first write */
		if (write(fd, "tfo-connect-denied", 18) < 0)
			e = errno;
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
	e = connect(fd, (struct sockaddr *)&g, sizeof(g)) < 0 ? errno : 0;
	r_focgood = ename(e);
	e = sendto(fd, "tfo-deferred-named-denied", 25, MSG_FASTOPEN | MSG_NOSIGNAL,
	    (struct sockaddr *)&b, sizeof(b)) < 0 ? errno : 0;
	r_focgood_send = ename(e);
	usleep(100000);
	peer_of(fd, peer, sizeof(peer));
	close(fd);

	printf("tfo: sendto_denied=%s sendto_mapped_denied=%s sendto_allowed=%s "
	    "send_noaddr=%s fastopen_connect_denied=%s fastopen_connect_allowed=%s "
	    "then_sendto_denied=%s peer=%s\n", r_bad, r_bad6, r_good, r_noaddr,
	    r_focbad, r_focgood, r_focgood_send, peer);
	return 0;
}
