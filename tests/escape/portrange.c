/*
 * Attack: a port of the command's choosing without --bind.  Port 0 is
 * always let through (the kernel picks an ephemeral port); but
 * IP_LOCAL_PORT_RANGE (Linux 6.3) narrows one socket's ephemeral ports, and
 * a range of one port makes a bind to port 0 (or an autobind) land on it.
 * The option must be refused (EPERM), on an IPv4 and an IPv6 socket, and
 * the port a bind to port 0 gets must not be the chosen one.  Bare, on a
 * kernel with the option, the bind lands on it (chosen=1).
 * usage: portrange PORT [UDPPORT]
 */
#include "common.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

/* the chosen port: inside Linux's default ephemeral range (32768-60999) */
#define CHOSEN 45678

/* a UDP socket of FAMILY with the one-port range, bound to port 0: the
 * setsockopt's result; *chosen is set when the bind landed on CHOSEN */
static const char *
try_range(int family, int *chosen)
{
	uint32_t range = (uint32_t)CHOSEN << 16 | CHOSEN; /* hi << 16 | lo */
	struct sockaddr_storage ss = { 0 };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	int fd = socket(family, SOCK_DGRAM, 0);
	const char *r;

	if (fd < 0)
		return "setup";
	r = RES(setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range, sizeof(range)));
	ss.ss_family = (sa_family_t)family;
	if (bind(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port) == CHOSEN)
		*chosen = 1;
	close(fd);
	return r;
}

int
main(int argc, char **argv)
{
	int chosen = 0;
	const char *r4, *r6;

	ports(argc, argv);
	r4 = try_range(AF_INET, &chosen);
	r6 = try_range(AF_INET6, &chosen);
	printf("portrange: portrange4=%s portrange6=%s chosen=%d\n", r4, r6, chosen);
	return 0;
}
