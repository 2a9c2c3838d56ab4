/*
 * Attack: a file passed with SCM_RIGHTS while a racing thread swaps the fd
 * number.  The main thread sends fd SLOT over a unix socketpair and
 * receives it, again and again; another thread dup2()s onto SLOT, in turn,
 * a read-only descriptor of file A (a memfd) and a writable descriptor of
 * something else B: another memfd (file) or a pipe's write end (pipe).
 * In the addfd mode netpin cannot take the fd (no pidfd_getfd): it opens
 * /proc/PID/fd/SLOT again with the access mode of the command's descriptor
 * and checks that it opened the file it looked at.  If the mode it reads
 * is B's and the file it opens is A, the receiver gets A writable, which
 * the sender never held: that is what is counted.
 *
 * Each received fd must be A read-only, B, or nothing (the send refused);
 * a writable A is written to (a_changed shows it), any other file is
 * foreign.  a_ro and b > 0 show that the swaps met the sends.
 * usage: race_scm_reopen PORT [UDPPORT] file|pipe
 */
#include "race.h"
#include <sys/mman.h>
#include <sys/stat.h>

#define SLOT 100
#define ORIGINAL "original"
static int ro_a = -1, rw_b = -1;
static atomic_int stop;

static void *
racer(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		dup2(rw_b, SLOT);
		dup2(ro_a, SLOT);
		atomic_fetch_add_explicit(&racer_rounds, 1, memory_order_relaxed);
	}
	return NULL;
}

static int
send_fd(int sock, int fd)
{
	char c = 'x', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *h;

	memset(ctl, 0, sizeof(ctl));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : errno;
}

/* the fd that came with one byte, or -1 */
static int
recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *h;
	int fd = -1;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	h = CMSG_FIRSTHDR(&m);
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int
main(int argc, char **argv)
{
	const char *kind = argc > 3 ? argv[3] : "file";
	int sv[2], pfd[2] = { -1, -1 }, a, n, sent = 0, refused = 0, other = 0,
	    lasterr = 0, received = 0, a_ro = 0, b = 0, escalated = 0, foreign = 0,
	    wrote_a = 0;
	struct stat sa, sb, st;
	char path[64], back[sizeof(ORIGINAL)] = "";
	pthread_t t;
	double started;

	ports(argc, argv);
	/* A: a memfd the process then holds read-only only */
	a = memfd_create("netpin-a", MFD_CLOEXEC);
	if (a < 0 || write(a, ORIGINAL, strlen(ORIGINAL)) < 0) {
		printf("race_scm_reopen: setup=%s\n", ename(errno));
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", a);
	ro_a = open(path, O_RDONLY | O_CLOEXEC);
	close(a);
	if (!strcmp(kind, "pipe")) {
		if (pipe2(pfd, O_CLOEXEC) == 0)
			rw_b = pfd[1];
	} else {
		rw_b = memfd_create("netpin-b", MFD_CLOEXEC);
	}
	if (ro_a < 0 || rw_b < 0 || fstat(ro_a, &sa) || fstat(rw_b, &sb) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		printf("race_scm_reopen: setup=%s\n", ename(errno));
		return 0;
	}
	dup2(ro_a, SLOT);
	pthread_create(&t, NULL, racer, NULL);
	started = now_s();
	for (n = 0; race_goes_on(n, 20000, started, a_ro && b); n++) {
		int e = send_fd(sv[0], SLOT), r, mode;

		if (e) {
			if (e == EACCES)
				refused++;
			else {
				other++;
				lasterr = e;
			}
			continue;
		}
		sent++;
		if ((r = recv_fd(sv[1])) < 0)
			continue;
		received++;
		mode = fcntl(r, F_GETFL) & O_ACCMODE;
		if (fstat(r, &st))
			foreign++;
		else if (same_file(&st, &sa) && mode == O_RDONLY)
			a_ro++;
		else if (same_file(&st, &sa)) {
			escalated++;
			if (pwrite(r, "CHANGED!", 8, 0) == 8)
				wrote_a++;
		} else if (same_file(&st, &sb))
			b++;
		else
			foreign++;
		close(r);
		if (n % 64 == 0)
			racer_ran();
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (pread(ro_a, back, strlen(ORIGINAL), 0) < 0)
		lasterr = errno;
	printf("race_scm_reopen: kind=%s rounds=%d swaps=%d sent=%d refused=%d other=%d "
	    "last_other=%s received=%d a_ro=%d b=%d escalated=%d wrote_a=%d foreign=%d "
	    "a_changed=%d\n", kind, n, atomic_load(&racer_rounds), sent, refused, other,
	    ename(lasterr), received, a_ro, b, escalated, wrote_a, foreign,
	    strcmp(back, ORIGINAL) != 0);
	return 0;
}
