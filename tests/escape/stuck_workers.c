/*
 * Issue 17 item 8: stuck calls must not wedge netpin's workers.
 * usage: stuck_workers PORT UDPPORT
 *
 * A child starts 300 threads, each blocked in recvfrom(..., &from, ...) on
 * a UDP socket whose DNS netpin redirected to its responder, with a query
 * the responder never answers (QR set: not a query).  netpin finishes such
 * a blocked call in a worker.
 *  - while they are blocked: a new DNS lookup by recvfrom either works or
 *    fails at once (EAGAIN: netpin's budget of workers), never hangs;
 *  - then the child is killed, and 20 threads make DNS lookups that need a
 *    worker, and a TCP connect to the allowed server: all within 10 s.
 * Prints "while_stuck=ok|EAGAIN after_dns=N/20 after_connect=ok".
 */
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#define STUCK 300
#define AFTER 20

static void
dns_packet(unsigned char *q, size_t *len, int is_answer)
{
	static const unsigned char name[] = "\001x\004test";
	size_t n = 12;

	memset(q, 0, 12);
	q[0] = 0x12;
	q[1] = 0x34;
	q[2] = is_answer ? 0x81 : 0x01; /* QR set: nothing to answer */
	q[5] = 1;
	memcpy(q + n, name, sizeof(name));
	n += sizeof(name);
	q[n++] = 0;
	q[n++] = 1; /* A */
	q[n++] = 0;
	q[n++] = 1; /* IN */
	*len = n;
}

/* One query to 127.0.0.1:53 and a blocking recvfrom that asks the sender. */
static int
ask(int unanswerable)
{
	unsigned char q[64], r[512];
	struct sockaddr_in to = sin4("127.0.0.1", 53), from;
	socklen_t fl = sizeof(from);
	size_t len;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -errno;
	dns_packet(q, &len, unanswerable);
	if (sendto(fd, q, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = (int)recvfrom(fd, r, sizeof(r), 0, (struct sockaddr *)&from, &fl);
	rc = rc < 0 ? -errno : rc;
	close(fd);
	return rc;
}

static void *
stuck(void *arg)
{
	(void)arg;
	ask(1);
	return NULL;
}

static int after_ok;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *
after(void *arg)
{
	(void)arg;
	if (ask(0) > 0) {
		pthread_mutex_lock(&lock);
		after_ok++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void
on_alarm(int sig)
{
	(void)sig;
	printf("hung=1\n");
	fflush(stdout);
	_exit(1);
}

int
main(int argc, char **argv)
{
	pthread_t t[AFTER];
	int ready[2], rc;
	pid_t pid;
	char c;

	ports(argc, argv);
	if (pipe(ready))
		return 2;
	pid = fork();
	if (pid == 0) {
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		for (int i = 0; i < STUCK; i++) {
			pthread_t s;

			pthread_create(&s, &attr, stuck, NULL);
		}
		sleep(2); /* every thread has sent and waits */
		write(ready[1], "r", 1);
		pause();
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		return 2;
	signal(SIGALRM, on_alarm);
	alarm(10);
	rc = ask(0);
	printf("while_stuck=%s", rc > 0 ? "ok" : ename(-rc));
	fflush(stdout);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	usleep(500 * 1000);
	alarm(10);
	for (int i = 0; i < AFTER; i++)
		pthread_create(&t[i], NULL, after, NULL);
	for (int i = 0; i < AFTER; i++)
		pthread_join(t[i], NULL);
	printf(" after_dns=%d/%d after_connect=%s\n", after_ok, AFTER,
	    ename(tcp_try4(ALLOWED, tcp_port, "after-stuck")));
	return 0;
}
