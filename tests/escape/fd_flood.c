/*
 * Issue 17 item 9: in the addfd mode netpin holds a descriptor for every
 * socket of the command; a command that opens more sockets than netpin can
 * hold must not leave netpin unable to let go of them.
 * usage: fd_flood PORT UDPPORT   (run netpin with a low RLIMIT_NOFILE)
 *
 * Three processes each raise their RLIMIT_NOFILE to the hard limit and open
 * UDP sockets until socket() fails (at most 4000 each), then exit.  Then,
 * for up to 10 s, a socket() and an allowed TCP connect must work again.
 * Prints "flooded=N after=ok|ERRNO".
 */
#include "common.h"

#include <sys/resource.h>
#include <sys/wait.h>

#define PROCS 3
#define MOST 4000

int
main(int argc, char **argv)
{
	int total = 0, p[2], r = -1;
	double until;

	ports(argc, argv);
	if (pipe(p))
		return 2;
	for (int i = 0; i < PROCS; i++) {
		if (fork() == 0) {
			struct rlimit rl;
			int n = 0;

			close(p[0]);
			if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_NOFILE, &rl);
			}
			while (n < MOST && socket(AF_INET, SOCK_DGRAM, 0) >= 0)
				n++;
			write(p[1], &n, sizeof(n));
			_exit(0);
		}
	}
	close(p[1]);
	for (int n; read(p[0], &n, sizeof(n)) == (ssize_t)sizeof(n);)
		total += n;
	while (wait(NULL) > 0)
		;
	for (until = now_s() + 10; now_s() < until; usleep(100 * 1000)) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd < 0) {
			r = errno;
			continue;
		}
		close(fd);
		if ((r = tcp_try4(ALLOWED, tcp_port, "after-flood")) == 0)
			break;
	}
	printf("flooded=%d after=%s\n", total, ename(r));
	return 0;
}
