/*
 * Attack: signals to netpin (the parent).  SIGSTOP then SIGKILL by kill,
 * tkill, tgkill, rt_sigqueueinfo and pidfd_send_signal through a /proc/PPID
 * directory fd; kill(-1, 0) (a probe only: never a real signal to -1);
 * kill(0, SIGUSR1) to our process group (netpin's too: the runner uses
 * setsid), with SIGUSR1 ignored here.  Then the basic probes.  A grandchild
 * (which outlives us if netpin dies and takes us with it) checks, if netpin
 * is gone, that allowed and denied calls both fail, and says so.
 * usage: kill_parent PORT [UDPPORT]
 */
#include "common.h"

static void
on_alarm(int s)
{
	(void)s;
}

int
main(int argc, char **argv)
{
	pid_t pp = getppid(), gc;
	char path[64], probes[256];
	int dfd, sync_pipe[2];
	struct sigaction sa;
	siginfo_t si;

	ports(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a hung call returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGUSR1, SIG_IGN);

	/* the watcher: reports only if netpin dies */
	if (pipe(sync_pipe))
		return 1;
	gc = fork();
	if (gc == 0) {
		char c;

		close(sync_pipe[1]);
		/* EOF when our parent exits (normally or killed) */
		while (read(sync_pipe[0], &c, 1) > 0)
			;
		usleep(200000);
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pp);
		if (access(path, F_OK) == 0) {
			char st[256] = "";
			FILE *f = fopen(path, "r");

			while (f && fgets(st, sizeof(st), f))
				if (!strncmp(st, "State:", 6))
					break;
			if (f)
				fclose(f);
			if (!strstr(st, "zombie") && !strstr(st, "dead"))
				_exit(0); /* netpin alive: nothing to say */
		}
		alarm(3);
		probe_all(probes, sizeof(probes), "after-death");
		printf("kill_parent-after-netpin-died: %s\n", probes);
		_exit(0);
	}
	close(sync_pipe[0]);

	printf("kill_parent:");
	snprintf(path, sizeof(path), "/proc/%d", (int)pp);
	dfd = open(path, O_DIRECTORY | O_RDONLY);
	for (int i = 0; i < 2; i++) {
		int sig = i ? SIGKILL : SIGSTOP;
		const char *sn = i ? "SIGKILL" : "SIGSTOP";

		printf(" kill_%s=%s", sn, RES(kill(pp, sig)));
		fflush(stdout);
		printf(" tkill_%s=%s", sn, RES(syscall(SYS_tkill, pp, sig)));
		fflush(stdout);
		printf(" tgkill_%s=%s", sn, RES(syscall(SYS_tgkill, pp, pp, sig)));
		fflush(stdout);
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = SI_QUEUE;
		printf(" rt_sigqueueinfo_%s=%s", sn, RES(syscall(SYS_rt_sigqueueinfo, pp, sig, &si)));
		fflush(stdout);
		printf(" pidfd_send_signal_procdir_%s=%s", sn,
		    RES(syscall(SYS_pidfd_send_signal, dfd, sig, NULL, 0)));
		fflush(stdout);
	}
	/* the command's own children still take its pidfd signals, by a
	 * pidfd and by a /proc/PID directory */
	for (int how = 0; how < 2; how++) {
		pid_t kid = fork();
		int kfd, st = 0;

		if (kid == 0) {
			pause();
			_exit(0);
		}
		snprintf(path, sizeof(path), "/proc/%d", (int)kid);
		kfd = how ? open(path, O_DIRECTORY | O_RDONLY) :
		    (int)syscall(SYS_pidfd_open, kid, 0);
		printf(" own_child_%s_SIGTERM=%s", how ? "procdir" : "pidfd",
		    RES(syscall(SYS_pidfd_send_signal, kfd, SIGTERM, NULL, 0)));
		kill(kid, SIGKILL); /* in case it was not delivered */
		waitpid(kid, &st, 0);
		printf(" own_child_%s_died_of=%s", how ? "procdir" : "pidfd",
		    WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? "SIGTERM" : "other");
		close(kfd);
		fflush(stdout);
	}
	printf(" kill_minus1_probe=%s", RES(kill(-1, 0)));
	printf(" kill_pgrp_of_netpin_probe=%s", RES(kill(-getpgid(pp), 0)));
	fflush(stdout);
	printf(" kill_own_pgrp_SIGUSR1=%s", RES(kill(0, SIGUSR1)));
	fflush(stdout);
	usleep(100000);
	alarm(3);
	probe_all(probes, sizeof(probes), "after-kill");
	alarm(0);
	printf(" parent_alive=%d %s\n", getppid() == pp, probes);
	fflush(stdout);
	close(sync_pipe[1]);
	waitpid(gc, NULL, 0);
	return 0;
}
