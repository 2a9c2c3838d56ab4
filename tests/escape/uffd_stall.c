/*
 * Issue 17 item 10: a read of the command's memory that never returns must
 * hold up only its own call.
 * usage: uffd_stall PORT UDPPORT
 *
 * A thread connects with its sockaddr on a page registered with
 * userfaultfd whose faults nobody serves: netpin's read of the address
 * waits for good.  Then the main thread makes an allowed and a denied
 * connect, and a DNS-free UDP send: all must be answered within 10 s.
 * Prints "stalled=1 after_allowed=ok after_denied=E... after_udp=ok", or
 * "skip=REASON" where userfaultfd is not available to this user.
 */
#include "common.h"
#include "../stuck_page.h"

#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static void *page;

static void *
stalled_connect(void *arg)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	connect(fd, (struct sockaddr *)page, sizeof(struct sockaddr_in));
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;
	int skip;

	ports(argc, argv);
	if (!(page = stuck_page(&skip)))
		return skip ? 0 : 2;
	pthread_create(&t, NULL, stalled_connect, NULL);
	usleep(500 * 1000);
	printf("stalled=1");
	fflush(stdout);
	signal(SIGALRM, hung);
	alarm(10);
	printf(" after_allowed=%s", ename(tcp_try4(ALLOWED, tcp_port, "after-uffd")));
	printf(" after_denied=%s", ename(tcp_try4(DENIED, tcp_port, "after-uffd")));
	printf(" after_udp=%s\n", ename(udp_try4(ALLOWED, udp_port, "after-uffd")));
	fflush(stdout);
	_exit(0); /* the stalled thread goes with the process */
}
