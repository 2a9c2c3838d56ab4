/*
 * Attack: socketpair() of families other than unix (issue 17, item 11).
 * socket() refuses every family but unix, netlink, IPv4 and IPv6; the
 * socketpair() rule checked none, so a family netpin never mediates
 * (TIPC, when the kernel has it) could be made in pairs.  Non-unix
 * families must get EAFNOSUPPORT, as from socket(); AF_UNIX stays ok.
 * usage: socketpair PORT [UDPPORT]
 */
#include "common.h"

#ifndef AF_TIPC
#define AF_TIPC 30
#endif

static const char *
pair(int family, int type)
{
	int sv[2];

	if (socketpair(family, type, 0, sv) < 0)
		return ename(errno);
	close(sv[0]);
	close(sv[1]);
	return "ok";
}

int
main(int argc, char **argv)
{
	ports(argc, argv);
	printf("socketpair: inet_stream=%s tipc_dgram=%s unix_stream=%s unix_dgram=%s\n",
	    pair(AF_INET, SOCK_STREAM), pair(AF_TIPC, SOCK_DGRAM),
	    pair(AF_UNIX, SOCK_STREAM), pair(AF_UNIX, SOCK_DGRAM));
	return 0;
}
