/*
 * Attack: stall or kill netpin through limits and scheduling (issue 17,
 * item 6).  prlimit64 (RLIMIT_CPU 1 s kills it, RLIMIT_NOFILE 0 ends it),
 * setpriority, sched_setscheduler / sched_setattr (SCHED_IDLE),
 * sched_setaffinity and ioprio_set need only the same uid.  Each is aimed
 * at netpin (the parent), at its process group (ours: PRIO_PGRP 0), and at
 * each of its worker threads (two connects hang in netpin first: run with
 * -a 127.0.0.2 --bind PORT+5): all must be refused (EPERM), and netpin's
 * limits, nice value, policy and CPU affinity stay as they were.  The
 * values used harm nothing if they pass (CPU limit a day, open files 7
 * fewer): the state is what shows it.  Then the basic probes (10 s at
 * most: netpin must still serve), and the same calls aimed at a child of
 * ours (in a process group of its own) and at ourselves (pid 0): those
 * stay ok.
 * usage: sched_attack PORT [UDPPORT]
 */
#include "common.h"
#include <sched.h>
#include <sys/resource.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_IDLE (3 << 13) /* IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0) */

struct sched_attr_ {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};
_Static_assert(sizeof(struct sched_attr_) == 56, "sched_attr ABI (VER1)");

static pid_t pp;
static cpu_set_t one_cpu;
static unsigned long nofile_soft, nofile_hard;

static void
on_alarm(int s)
{
	(void)s;
}

/* "Max open files   SOFT   HARD   files" of /proc/PID/limits */
static void
read_nofile(pid_t pid, unsigned long *soft, unsigned long *hard)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Max open files", 14))
			sscanf(line + 14, "%lu %lu", soft, hard);
	fclose(f);
}

/* What the attack would change, as text: limits, nice, policy, affinity
 * of netpin (or of its thread tid) */
static void
state_of(pid_t tid, char *out, size_t len)
{
	char path[96], buf[4096] = "", *p;
	char nice[16] = "?", policy[16] = "?", cpus[64] = "?";
	char cpu[2][32] = { "?", "?" }, nofile[2][32] = { "?", "?" };
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pp, (int)tid);
	if ((f = fopen(path, "r"))) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		/* after "(comm) ": field 3 is state; nice is 19, policy 41 */
		if ((p = strrchr(buf, ')'))) {
			int field = 2;

			for (char *t = strtok(p + 1, " "); t; t = strtok(NULL, " ")) {
				field++;
				if (field == 19)
					snprintf(nice, sizeof(nice), "%s", t);
				if (field == 41)
					snprintf(policy, sizeof(policy), "%s", t);
			}
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pp, (int)tid);
	if ((f = fopen(path, "r"))) {
		while (fgets(buf, sizeof(buf), f))
			if (!strncmp(buf, "Cpus_allowed_list:", 18))
				sscanf(buf + 18, "%63s", cpus);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pp);
	if ((f = fopen(path, "r"))) {
		while (fgets(buf, sizeof(buf), f)) {
			if (!strncmp(buf, "Max cpu time", 12))
				sscanf(buf + 12, "%31s %31s", cpu[0], cpu[1]);
			if (!strncmp(buf, "Max open files", 14))
				sscanf(buf + 14, "%31s %31s", nofile[0], nofile[1]);
		}
		fclose(f);
	}
	snprintf(out, len, "nice=%s policy=%s cpus=%s cpu_limit=%s/%s nofile_limit=%s/%s",
	    nice, policy, cpus, cpu[0], cpu[1], nofile[0], nofile[1]);
}

/*
 * The calls, aimed at pid; each result appended to out as " PREFIXname=R".
 * Returns how many were not refused with EPERM (or ESRCH).
 */
static int
attack(pid_t pid, const char *prefix, char *out, size_t len)
{
	struct rlimit cpu = { 86400, RLIM_INFINITY };
	struct rlimit nofile = { nofile_soft - 7, nofile_hard };
	struct sched_param sp = { 0 };
	struct sched_attr_ attr = { sizeof(attr), SCHED_IDLE, 0, 19, 0, 0, 0, 0, 0, 0 };
	const char *r[7];
	static const char *names[7] = { "prlimit_cpu", "prlimit_nofile", "setpriority",
		"sched_setscheduler", "sched_setattr", "sched_setaffinity", "ioprio_set" };
	size_t o = strlen(out);
	int not_eperm = 0;

	r[0] = RES(syscall(SYS_prlimit64, pid, RLIMIT_CPU, &cpu, NULL));
	r[1] = RES(syscall(SYS_prlimit64, pid, RLIMIT_NOFILE, &nofile, NULL));
	r[2] = RES(setpriority(PRIO_PROCESS, (id_t)pid, 19));
	r[3] = RES(sched_setscheduler(pid, SCHED_IDLE, &sp));
	r[4] = RES(syscall(SYS_sched_setattr, pid, &attr, 0));
	r[5] = RES(sched_setaffinity(pid, sizeof(one_cpu), &one_cpu));
	r[6] = RES(syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, pid, IOPRIO_IDLE));
	for (int i = 0; i < 7; i++) {
		/* ESRCH: a thread that ended meanwhile */
		not_eperm += strcmp(r[i], "EPERM") && strcmp(r[i], "ESRCH");
		if (o < len)
			o += (size_t)snprintf(out + o, len - o, " %s%s=%s", prefix, names[i], r[i]);
	}
	return not_eperm;
}

int
main(int argc, char **argv)
{
	static char line[16384], before[64][512], after[512];
	pid_t tids[64], child, pgrp;
	int lfd, err, ntids, changed = 0, thread_changed = 0, not_eperm = 0, calls = 0;
	char probes[256], c;
	int sync_pipe[2];
	struct sigaction sa;
	cpu_set_t mine;
	size_t o;

	ports(argc, argv);
	pp = getppid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a hung call returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	CPU_ZERO(&one_cpu);
	if (sched_getaffinity(0, sizeof(mine), &mine) == 0)
		for (int i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &mine)) {
				CPU_SET(i, &one_cpu);
				break;
			}
	nofile_soft = 1024;
	nofile_hard = 1024;
	read_nofile(pp, &nofile_soft, &nofile_hard);
	ntids = other_tids(pp, tids, 64);
	if ((err = start_hanging_connects(&lfd))) {
		printf("sched_attack: setup: %s\n", ename(err));
		return 0;
	}
	/* a worker for each hanging connect (5 s at most: a pool may have them) */
	wait_for_threads(pp, ntids + 1, 5000);
	ntids = other_tids(pp, tids, 64);
	state_of(pp, before[0], sizeof(before[0]));
	for (int i = 0; i < ntids; i++)
		state_of(tids[i], before[i + 1], sizeof(before[i + 1]));

	/* a child of ours, in a process group of its own: ok */
	if (pipe(sync_pipe))
		return 1;
	if ((child = fork()) == 0) {
		close(sync_pipe[1]);
		setpgid(0, 0);
		read(sync_pipe[0], &c, 1); /* until we close our end */
		_exit(0);
	}
	close(sync_pipe[0]);
	setpgid(child, child); /* both sides: whoever runs first */
	line[0] = '\0';
	attack(child, "child_", line, sizeof(line));
	o = strlen(line);
	o += (size_t)snprintf(line + o, sizeof(line) - o, " child_setpriority_pgrp=%s",
	    RES(setpriority(PRIO_PGRP, (id_t)child, 19)));
	close(sync_pipe[1]);
	waitpid(child, NULL, 0);

	/* netpin, its process group (ours), its threads: EPERM */
	attack(pp, "netpin_", line, sizeof(line));
	o = strlen(line);
	/* our process group is netpin's (the runner's setsid): "0" names it */
	pgrp = getpgid(pp);
	o += (size_t)snprintf(line + o, sizeof(line) - o, " pgrp_target=%s netpin_setpriority_pgrp=%s",
	    pgrp == getpgrp() ? "own" : "netpins",
	    RES(setpriority(PRIO_PGRP, pgrp == getpgrp() ? 0 : (id_t)pgrp, 19)));
	for (int i = 0; i < ntids; i++) {
		char one[1024] = "";

		not_eperm += attack(tids[i], "", one, sizeof(one));
		calls += 7;
		o = strlen(line);
		if (o < sizeof(line) - 1100)
			snprintf(line + o, sizeof(line) - o, " [thread%s]", one);
	}

	/* what changed in netpin */
	state_of(pp, after, sizeof(after));
	if (strcmp(before[0], after)) {
		changed = 1;
		o = strlen(line);
		snprintf(line + o, sizeof(line) - o, " [netpin was: %s now: %s]", before[0], after);
	}
	for (int i = 0; i < ntids; i++) {
		state_of(tids[i], after, sizeof(after));
		thread_changed += strcmp(before[i + 1], after) != 0;
	}
	alarm(10);
	probe_all(probes, sizeof(probes), "sched");
	alarm(0);

	/* ourselves: ok */
	o = strlen(line);
	attack(0, "self_", line, sizeof(line));
	printf("sched_attack: netpin_threads_found=%d thread_calls=%d thread_not_eperm=%d "
	    "netpin_state_changed=%d thread_state_changed=%d %s%s\n", ntids, calls,
	    not_eperm, changed, thread_changed, probes, line);
	fflush(stdout);
	_exit(0); /* the hanging threads go with us */
}
