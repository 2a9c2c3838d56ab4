/*
 * The command's own calls to DENIED, each made by the kernel as it is
 * (run under tests/escape/llonly: netpin's Landlock layer alone; or bare,
 * the control that shows the sink listens).  Prints one "NAME=RESULT" a
 * line.  usage: direct PORT UDPPORT tcp|all
 *   tcp: a TCP connect only (Landlock ABI 4 to 9 have no UDP rights)
 *   all: and UDP: bind to a port, bind to port 0, sendto from an unbound
 *        and from a bound socket, connect, sendmsg, sendmmsg, an IPv4-mapped
 *        sendto, and a send with no address on an unbound socket
 */
#include "common.h"

static const char tag[] = "direct-udp";

static int
udp(int family)
{
	return socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in d, port, zero;
	struct sockaddr_in6 d6;
	struct iovec iov = { (void *)tag, sizeof(tag) - 1 };
	struct mmsghdr mm = { 0 };
	struct msghdr m = { 0 };
	int fd;

	ports(argc, argv);
	printf("tcp_connect=%s\n", ename(tcp_try4(DENIED, tcp_port, "direct-tcp")));
	if (argc < 4 || strcmp(argv[3], "all"))
		return 0;
	d = sin4(DENIED, udp_port);
	port = sin4(ALLOWED, udp_port + 10);
	zero = sin4(ALLOWED, 0);
	d6 = sin6("::ffff:" DENIED, udp_port);
	fd = udp(AF_INET);
	printf("bind_port=%s\n", RES(bind(fd, (struct sockaddr *)&port, sizeof(port))));
	close(fd);
	fd = udp(AF_INET);
	printf("sendto_unbound=%s\n", RES(sendto(fd, tag, sizeof(tag) - 1, 0,
	    (struct sockaddr *)&d, sizeof(d))));
	close(fd);
	fd = udp(AF_INET);
	printf("bind_port0=%s\n", RES(bind(fd, (struct sockaddr *)&zero, sizeof(zero))));
	printf("sendto_bound=%s\n", RES(sendto(fd, tag, sizeof(tag) - 1, 0,
	    (struct sockaddr *)&d, sizeof(d))));
	close(fd);
	fd = udp(AF_INET);
	printf("connect=%s\n", RES(connect(fd, (struct sockaddr *)&d, sizeof(d))));
	printf("send_after_connect=%s\n", RES(send(fd, tag, sizeof(tag) - 1, 0)));
	close(fd);
	m.msg_name = &d;
	m.msg_namelen = sizeof(d);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	fd = udp(AF_INET);
	printf("sendmsg=%s\n", RES(sendmsg(fd, &m, 0)));
	close(fd);
	mm.msg_hdr = m;
	fd = udp(AF_INET);
	printf("sendmmsg=%s\n", RES(sendmmsg(fd, &mm, 1, 0)));
	close(fd);
	fd = udp(AF_INET6);
	printf("sendto_mapped=%s\n", RES(sendto(fd, tag, sizeof(tag) - 1, 0,
	    (struct sockaddr *)&d6, sizeof(d6))));
	close(fd);
	fd = udp(AF_INET);
	printf("send_noaddr=%s\n", RES(send(fd, tag, sizeof(tag) - 1, 0)));
	close(fd);
	return 0;
}
