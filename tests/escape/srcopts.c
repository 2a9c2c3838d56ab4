/*
 * Attack: choosing a source address that is not the machine's (issue 17,
 * item 1).  IP_FREEBIND / IP_TRANSPARENT and IPV6_FREEBIND /
 * IPV6_TRANSPARENT let a socket bind (and send from) any address; a DNS
 * query from such a socket made netpin's responder send its reply to that
 * address, off the machine, and a spoofed source makes an allowed peer
 * answer a third party.  Each option, on UDP and TCP sockets, must be
 * refused (EPERM).  Then, with whatever the options left, a bind to an
 * address that is not local (192.0.2.1, 2001:db8::1; port 0, which netpin
 * always lets through) must fail.
 * usage: srcopts PORT [UDPPORT]
 */
#include "common.h"

#ifndef IP_FREEBIND
#define IP_FREEBIND 15
#endif
#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT 19
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT 75
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

struct opt {
	const char *name;
	int family, type, level, opt;
};

static const struct opt opts[] = {
	{ "ip_freebind_udp", AF_INET, SOCK_DGRAM, IPPROTO_IP, IP_FREEBIND },
	{ "ip_freebind_tcp", AF_INET, SOCK_STREAM, IPPROTO_IP, IP_FREEBIND },
	{ "ip_transparent_udp", AF_INET, SOCK_DGRAM, IPPROTO_IP, IP_TRANSPARENT },
	{ "ip_transparent_tcp", AF_INET, SOCK_STREAM, IPPROTO_IP, IP_TRANSPARENT },
	{ "ip_freebind_on_inet6", AF_INET6, SOCK_DGRAM, IPPROTO_IP, IP_FREEBIND },
	{ "ipv6_freebind_udp", AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, IPV6_FREEBIND },
	{ "ipv6_freebind_tcp", AF_INET6, SOCK_STREAM, IPPROTO_IPV6, IPV6_FREEBIND },
	{ "ipv6_transparent_udp", AF_INET6, SOCK_DGRAM, IPPROTO_IPV6, IPV6_TRANSPARENT },
	{ "ipv6_transparent_tcp", AF_INET6, SOCK_STREAM, IPPROTO_IPV6, IPV6_TRANSPARENT },
};

int
main(int argc, char **argv)
{
	struct sockaddr_in b4 = sin4("192.0.2.1", 0);
	struct sockaddr_in6 b6 = sin6("2001:db8::1", 0);
	char line[2048];
	size_t o = 0;
	int one = 1;

	ports(argc, argv);
	line[0] = '\0';
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const struct opt *p = &opts[i];
		int fd = socket(p->family, p->type, 0);
		const char *r = RES(setsockopt(fd, p->level, p->opt, &one, sizeof(one)));

		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s=%s", p->name, r);
		/* what the option would be for: a source that is not ours */
		if (i == 0)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " nonlocal_bind4=%s",
			    RES(bind(fd, (struct sockaddr *)&b4, sizeof(b4))));
		if (i == 5)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " nonlocal_bind6=%s",
			    RES(bind(fd, (struct sockaddr *)&b6, sizeof(b6))));
		close(fd);
	}
	printf("srcopts:%s\n", line);
	return 0;
}
