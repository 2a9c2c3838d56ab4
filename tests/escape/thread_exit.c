/*
 * Attack: threads that die while their call is in netpin's hands.  Each
 * round forks a process whose threads loop on connect/sendto to ALLOWED and
 * DENIED; some threads exit from a signal handler in the middle of a call
 * (SYS_exit: the thread only), then the process exits (exit_group) with
 * calls still in flight.  Afterwards a fresh process must find netpin
 * working: allowed ok, denied EACCES.  Any call to DENIED that succeeded
 * in a round is counted (denied_ok).
 * usage: thread_exit PORT [UDPPORT]
 */
#include "common.h"
#include <sys/mman.h>

#define THREADS 8
static atomic_int *denied_ok, *calls;

static void
die_now(int s)
{
	(void)s;
	syscall(SYS_exit, 0); /* this thread only, in the middle of its call */
}

static void *
worker(void *arg)
{
	long i = (long)arg;
	struct sockaddr_in g = sin4(ALLOWED, tcp_port), b = sin4(DENIED, tcp_port);
	struct sockaddr_in gu = sin4(ALLOWED, udp_port), bu = sin4(DENIED, udp_port);

	for (;;) {
		int fd;

		switch (i++ % 4) {
		case 0: /* blocking: netpin finishes it in a worker thread */
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (connect(fd, (struct sockaddr *)&g, sizeof(g)) == 0)
				send(fd, "thread-exit", 11, MSG_NOSIGNAL);
			close(fd);
			break;
		case 1:
			fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (connect(fd, (struct sockaddr *)&b, sizeof(b)) == 0 ||
			    errno == EINPROGRESS)
				atomic_fetch_add(denied_ok, 1);
			close(fd);
			break;
		case 2:
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			sendto(fd, "thread-exit", 11, 0, (struct sockaddr *)&gu, sizeof(gu));
			close(fd);
			break;
		case 3:
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (sendto(fd, "thread-exit", 11, 0, (struct sockaddr *)&bu, sizeof(bu)) >= 0)
				atomic_fetch_add(denied_ok, 1);
			close(fd);
			break;
		}
		atomic_fetch_add(calls, 1);
	}
	return NULL;
}

static void
one_round(unsigned seed)
{
	pthread_t t[THREADS];
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = die_now;
	sigaction(SIGUSR1, &sa, NULL);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	usleep(1000 + seed % 20000);
	for (int i = 0; i < THREADS; i += 2)
		pthread_kill(t[i], SIGUSR1);
	usleep(seed % 3000);
	_exit(0); /* the rest die in flight */
}

int
main(int argc, char **argv)
{
	char probes[256];
	int rounds = 0, pfd[2];
	double end;
	pid_t p;

	ports(argc, argv);
	denied_ok = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	calls = denied_ok + 1;
	end = now_s() + 3.0;
	while (now_s() < end && rounds < 200) {
		p = fork();
		if (p == 0)
			one_round((unsigned)rounds * 7919u);
		waitpid(p, NULL, 0);
		rounds++;
	}
	/* netpin must still work for the next process */
	if (pipe(pfd))
		return 1;
	p = fork();
	if (p == 0) {
		/* in the addfd mode netpin lets go of the sockets of the exited
		 * rounds over its next scans: until then socket() may say EMFILE
		 * (netpin's budget of held sockets); it must recover within 10 s */
		alarm(15);
		probe_all(probes, sizeof(probes), "thread-exit-final");
		for (int i = 0; i < 50 && strstr(probes, "EMFILE"); i++) {
			usleep(200 * 1000);
			probe_all(probes, sizeof(probes), "thread-exit-final");
		}
		if (write(pfd[1], probes, strlen(probes) + 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	memset(probes, 0, sizeof(probes));
	if (read(pfd[0], probes, sizeof(probes) - 1) <= 0)
		strcpy(probes, "final=no-answer");
	waitpid(p, NULL, 0);
	printf("thread_exit: rounds=%d calls=%d denied_ok=%d final: %s\n", rounds,
	    atomic_load(calls), atomic_load(denied_ok), probes);
	return 0;
}
