/*
 * Attack: one sendmmsg() with mixed destinations ALLOWED, DENIED, ALLOWED
 * ("mm-1", "mm-2", "mm-3").  Like the kernel, netpin must send only the
 * messages before the first refused one (return 1); a vector that starts
 * with the denied one must fail with EACCES; a message with no address on
 * an unconnected socket between two allowed ones stops the vector there.
 * usage: sendmmsg_mixed PORT [UDPPORT]
 */
#include "common.h"

static int
send3(int fd, const struct sockaddr_in *d0, const struct sockaddr_in *d1,
    const struct sockaddr_in *d2, const char *tag, int *err)
{
	struct mmsghdr mm[3];
	const struct sockaddr_in *d[3] = { d0, d1, d2 };
	static char bufs[3][32];
	struct iovec iov[3];
	int r;

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "%s-%d", tag, i + 1);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = strlen(bufs[i]);
		mm[i].msg_hdr.msg_name = (void *)d[i];
		mm[i].msg_hdr.msg_namelen = d[i] ? sizeof(*d[i]) : 0;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	r = sendmmsg(fd, mm, 3, 0);
	*err = r < 0 ? errno : 0;
	return r;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in g, b;
	int fd, r1, r2, r3, e1, e2, e3;

	ports(argc, argv);
	g = sin4(ALLOWED, udp_port);
	b = sin4(DENIED, udp_port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	r1 = send3(fd, &g, &b, &g, "mma", &e1);
	r2 = send3(fd, &b, &g, &g, "mmb", &e2);
	r3 = send3(fd, &g, &g, &b, "mmc", &e3);
	printf("sendmmsg_mixed: allowed,denied,allowed=%d(%s) denied,allowed,allowed=%d(%s) "
	    "allowed,allowed,denied=%d(%s)\n", r1, ename(e1), r2, ename(e2), r3, ename(e3));
	return 0;
}
