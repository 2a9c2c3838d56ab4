/*
 * Attack: netpin's other threads.  The filter protects netpin's pid; a
 * blocking connect makes netpin finish it in a worker thread, whose tid is
 * not that pid.  We make one hang (a listener of our own, backlog 0, queue
 * filled: run with -a 127.0.0.2 so that any port is allowed), find netpin's
 * threads in /proc/PPID/task, and aim at each: ptrace SEIZE,
 * process_vm_writev, pidfd_open(PIDFD_THREAD) + pidfd_getfd, tkill/kill
 * with SIGSTOP (reported per kind; never SIGKILL first), then the basic
 * probes.
 * usage: netpin_threads PORT [UDPPORT]
 */
#include "common.h"
#include <sys/ptrace.h>
#include <sys/uio.h>

static void
on_alarm(int s)
{
	(void)s;
}

int
main(int argc, char **argv)
{
	pid_t pp = getppid();
	char probes[256], local[8] = "x", res[1024] = "";
	struct iovec l = { local, sizeof(local) }, r = { (void *)0x400000, sizeof(local) };
	pid_t tids[256];
	int lfd, err, nthreads, worst = 0;
	size_t off = 0;
	struct sigaction sa;

	ports(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* a listener needs a --bind port (the runner gives tcp_port + 5) */
	nthreads = other_tids(pp, tids, 256);
	if ((err = start_hanging_connects(&lfd))) {
		printf("netpin_threads: setup: %s\n", ename(err));
		return 0;
	}
	/* a worker for each hanging connect (5 s at most: a pool may have them) */
	wait_for_threads(pp, nthreads + 1, 5000);
	nthreads = other_tids(pp, tids, 256);
	for (int i = 0; i < nthreads; i++) {
		pid_t tid = tids[i];
		long pfd;
		const char *a, *w, *po, *g = "-", *tk, *k;

		a = RES(ptrace(PTRACE_SEIZE, tid, 0, 0));
		w = RES(process_vm_writev(tid, &l, 1, &r, 1, 0));
		pfd = syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */);
		po = pfd < 0 ? ename(errno) : "ok";
		if (pfd >= 0) {
			long fd = syscall(SYS_pidfd_getfd, (int)pfd, 3, 0);

			g = fd < 0 ? ename(errno) : "ok";
			if (fd >= 0)
				close((int)fd);
			close((int)pfd);
		}
		tk = RES(syscall(SYS_tkill, tid, SIGSTOP));
		k = RES(kill(tid, SIGSTOP));
		if (!strcmp(a, "ok") || !strcmp(w, "ok") || !strcmp(g, "ok") ||
		    !strcmp(tk, "ok") || !strcmp(k, "ok"))
			worst = 1;
		if (off < sizeof(res) - 200)
			off += (size_t)snprintf(res + off, sizeof(res) - off,
			    " [tid ptrace_seize=%s process_vm_writev=%s pidfd_open_thread=%s "
			    "pidfd_getfd=%s tkill_SIGSTOP=%s kill_SIGSTOP=%s]", a, w, po, g, tk, k);
	}
	if (worst) /* in case a SIGSTOP got through: let it go on */
		kill(pp, SIGCONT);
	alarm(3);
	probe_all(probes, sizeof(probes), "threads");
	alarm(0);
	printf("netpin_threads: netpin_threads_found=%d any_succeeded=%d%s %s\n",
	    nthreads, worst, res, probes);
	fflush(stdout);
	_exit(0); /* the hanging threads go with us */
}
