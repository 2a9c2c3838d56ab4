/*
 * probe — what a container lets a process do that netpin's choices depend
 * on, found without netpin, so that the containers area can hold what
 * netpin says (-v) against what is so (a silent fall-back is a failure).
 *
 *   probe
 *
 * Prints one line of KEY=VALUE words, VALUE "ok" (or a number) or the
 * errno's name:
 *   pidfd_getfd   pidfd_getfd() of one of its own descriptors (a runtime's
 *                 profile refuses it without CAP_SYS_PTRACE: netpin's addfd
 *                 mode)
 *   landlock      the Landlock ABI (landlock_create_ruleset's version)
 *   listener      a filter with a listener of its own, in a child with
 *                 no_new_privs (EBUSY: a listener is already above it)
 *   unshare_fs    unshare(CLONE_FS) in a child (what netpin does to act
 *                 in the command's root and directory)
 *   seccomp       its Seccomp mode and Seccomp_filters (/proc/self/status)
 *   nnp           no_new_privs
 *   uid gid       its ids
 *   capeff        its effective capabilities (hex)
 * Exit status 0; 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)

/* "ok" or the errno's name */
static const char *
ename(int e)
{
	static char buf[8][24];
	static int slot;
	const char *s;

	if (e == 0)
		return "ok";
	s = strerrorname_np(e);
	if (s)
		return s;
	slot = (slot + 1) % 8;
	snprintf(buf[slot], sizeof(buf[slot]), "E%d", e);
	return buf[slot];
}

static const char *
pidfd_getfd_result(void)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0), fd;

	if (pidfd < 0)
		return ename(errno);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, 1, 0);
	if (fd < 0)
		return ename(errno);
	close(fd);
	close(pidfd);
	return "ok";
}

static void
landlock_result(char *out, size_t len)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	if (abi < 0)
		snprintf(out, len, "%s", ename(errno));
	else
		snprintf(out, len, "%ld", abi);
}

/* in a child: 0, or the errno of what failed */
static int
child_listener(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog) < 0)
		return errno;
	return 0;
}

static int
child_unshare_fs(void)
{
	return unshare(CLONE_FS) ? errno : 0;
}

/* what fn() gives in a child of its own (the probe stays as it was) */
static const char *
in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return ename(errno);
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &st, 0) < 0)
		return ename(errno);
	return WIFEXITED(st) ? ename(WEXITSTATUS(st)) : "killed";
}

/* the value of a line "KEY:\tVALUE" of /proc/self/status ("?" without) */
static void
status_field(const char *key, char *out, size_t len)
{
	char line[256];
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/self/status", "r");

	snprintf(out, len, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, kl) || line[kl] != ':')
			continue;
		snprintf(out, len, "%s", line + kl + 1 + strspn(line + kl + 1, " \t"));
		out[strcspn(out, "\n")] = '\0';
		break;
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	char landlock[24], mode[16], filters[16], capeff[32];

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: probe\n");
		return 2;
	}
	landlock_result(landlock, sizeof(landlock));
	status_field("Seccomp", mode, sizeof(mode));
	status_field("Seccomp_filters", filters, sizeof(filters));
	status_field("CapEff", capeff, sizeof(capeff));
	printf("pidfd_getfd=%s landlock=%s listener=%s unshare_fs=%s "
	    "seccomp=%s/%s nnp=%d uid=%u gid=%u capeff=%s\n",
	    pidfd_getfd_result(), landlock, in_child(child_listener),
	    in_child(child_unshare_fs), mode, filters,
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), (unsigned)getuid(),
	    (unsigned)getgid(), capeff);
	return 0;
}
