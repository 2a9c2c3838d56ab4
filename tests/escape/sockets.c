/*
 * Attack: socket families and protocols that bypass connect/sendto
 * mediation or pick their own routes.  Each socket is only created (and
 * closed at once), never connected or used.  Prints each errno; "ok"
 * means the socket was created.
 * usage: sockets PORT
 */
#include "common.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

struct probe {
	const char *name;
	int family, type, protocol;
};

static const struct probe probes[] = {
	{ "raw_icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP },
	{ "raw_raw", AF_INET, SOCK_RAW, IPPROTO_RAW },
	{ "raw_udp", AF_INET, SOCK_RAW, IPPROTO_UDP },
	{ "raw6", AF_INET6, SOCK_RAW, IPPROTO_RAW },
	{ "packet", AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */ },
	{ "packet_dgram", AF_PACKET, SOCK_DGRAM, 0x0008 /* htons(ETH_P_IP) */ },
	{ "inet_packet", AF_INET, 10 /* SOCK_PACKET */, 0x0300 },
	{ "vsock", AF_VSOCK, SOCK_STREAM, 0 },
	{ "ping", AF_INET, SOCK_DGRAM, IPPROTO_ICMP },
	{ "ping6", AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6 },
	{ "mptcp", AF_INET, SOCK_STREAM, IPPROTO_MPTCP },
	{ "mptcp6", AF_INET6, SOCK_STREAM, IPPROTO_MPTCP },
	{ "sctp_stream", AF_INET, SOCK_STREAM, IPPROTO_SCTP },
	{ "sctp_seqpacket", AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP },
	{ "udplite", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE },
	{ "dccp", AF_INET, 6 /* SOCK_DCCP */, 33 /* IPPROTO_DCCP */ },
	{ "inet_seqpacket", AF_INET, SOCK_SEQPACKET, 0 },
	{ "tipc", 30 /* AF_TIPC */, SOCK_RDM, 0 },
	{ "bluetooth", 31 /* AF_BLUETOOTH */, SOCK_RAW, 0 },
	{ "xdp", AF_XDP, SOCK_RAW, 0 },
	{ "rds", 21 /* AF_RDS */, SOCK_SEQPACKET, 0 },
	{ "key", 15 /* AF_KEY */, SOCK_RAW, 2 },
	{ "can", 29 /* AF_CAN */, SOCK_RAW, 1 },
	/* the filter must look at the type without its flags, and no more */
	{ "raw_nonblock", AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP },
	{ "ping_nonblock", AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMP },
};

int
main(int argc, char **argv)
{
	char line[4096];
	size_t off;
	int created = 0;

	ports(argc, argv);
	off = (size_t)snprintf(line, sizeof(line), "sockets:");
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *p = &probes[i];
		int fd = socket(p->family, p->type, p->protocol);
		const char *r = fd < 0 ? ename(errno) : "ok";

		if (fd >= 0) {
			created++;
			close(fd); /* create only: never used */
		}
		off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%s", p->name, r);
	}
	/* the family argument is an int: high bits must not hide a raw socket */
	{
		long fd = syscall(SYS_socket, (long)AF_INET | (1L << 32), (long)SOCK_RAW,
		    (long)IPPROTO_ICMP);
		const char *r = fd < 0 ? ename(errno) : "ok";

		if (fd >= 0) {
			created++;
			close((int)fd);
		}
		off += (size_t)snprintf(line + off, sizeof(line) - off, " raw_highbits=%s", r);
	}
	printf("%s created=%d\n", line, created);
	return 0;
}
