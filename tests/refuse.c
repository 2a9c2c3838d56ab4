/*
 * refuse — run a command under an outer seccomp filter that refuses some
 * system calls with EPERM, as container runtimes' default profiles do
 * (Docker's refuses pidfd_getfd, kcmp and process_madvise to containers
 * without CAP_SYS_PTRACE; "docker" here refuses ptrace and process_vm_writev
 * too, which Docker allows on Linux >= 4.8: the stricter case).
 *
 *   refuse docker -- COMMAND [ARG]...      pidfd_getfd, kcmp, process_madvise,
 *                                          ptrace, process_vm_writev
 *                                          (process_vm_readv stays allowed)
 *   refuse NR[,NR]... -- COMMAND [ARG]...  the given syscall numbers
 *   refuse listener -- COMMAND [ARG]...    nothing refused: a filter that
 *                                          sends a call nobody makes
 *                                          (vhangup) to a listener that a
 *                                          process of its own holds, as a
 *                                          runtime's seccomp agent would;
 *                                          netpin then cannot have one
 *
 * Built a second time as tests/np-addfd: netpin as it runs under Docker's
 * default profile, so in its addfd mode.  A binary, not a script, so that
 * an unprivileged user can run it wherever it may run netpin itself.
 *   np-addfd [NETPIN OPTION]... [--] COMMAND [ARG]...
 *   (NETPIN_BIN=PATH runs another netpin, e.g. ./netpin-asan)
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

/*
 * The listener's holder, in a child: it answers what comes (EPERM) and
 * goes with its parent (the command), or after 10 minutes.
 */
static void __attribute__((noreturn))
hold_listener(int fd, pid_t parent)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (int i = 0; i < 600 && getppid() == parent; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0 || !(p.revents & POLLIN))
			continue;
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req))
			continue;
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.error = -EPERM;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	_exit(0);
}

/* the filter of "refuse listener", its listener held by a child */
static int
install_listener(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_vhangup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	pid_t parent = getpid(), pid;
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    (fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog)) < 0) {
		perror("refuse: seccomp(NEW_LISTENER)");
		return -1;
	}
	if ((pid = fork()) < 0) {
		perror("refuse: fork");
		return -1;
	}
	if (pid == 0)
		hold_listener(fd, parent);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct sock_filter f[64];
	struct sock_fprog prog;
	int nrs[16], n = 0, len = 0;
	const char *base = strrchr(argv[0], '/');
	char **cmd = argv + 3;

	if (!strcmp(base ? base + 1 : argv[0], "np-addfd")) {
		/* np-addfd ARGS: refuse docker -- NETPIN ARGS (netpin is ../netpin) */
		static char path[4096];
		const char *bin = getenv("NETPIN_BIN");

		if (!bin) {
			snprintf(path, sizeof(path), "%.*s../netpin",
			    base ? (int)(base - argv[0] + 1) : 0, argv[0]);
			bin = path;
		}
		argv[0] = (char *)bin;
		cmd = argv;
		nrs[n++] = SYS_pidfd_getfd;
		nrs[n++] = SYS_kcmp;
		nrs[n++] = SYS_process_madvise;
		nrs[n++] = SYS_ptrace;
		nrs[n++] = SYS_process_vm_writev;
	} else if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: refuse docker|listener|NR[,NR]... -- COMMAND [ARG]...\n");
		return 2;
	}
	else if (!strcmp(argv[1], "listener")) {
		if (install_listener())
			return 125;
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		return 127;
	} else if (!strcmp(argv[1], "docker")) {
		nrs[n++] = SYS_pidfd_getfd;
		nrs[n++] = SYS_kcmp;
		nrs[n++] = SYS_process_madvise;
		nrs[n++] = SYS_ptrace;
		nrs[n++] = SYS_process_vm_writev;
	} else {
		for (char *s = strtok(argv[1], ","); s && n < 16; s = strtok(NULL, ","))
			nrs[n++] = atoi(s);
	}
	f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++) {
		f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    (unsigned)nrs[i], 0, 1);
		f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		    SECCOMP_RET_ERRNO | EPERM);
	}
	f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)len;
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("refuse: seccomp");
		return 125;
	}
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	return 127;
}
