/*
 * floor - run a command under the least that netpin's mechanism costs, so
 * that tests/bench.sh can set each netpin figure against its floor.
 *
 *   floor continue [--] COMMAND [ARG]...  a seccomp filter that sends the
 *                                         calls netpin is sent (below) to a
 *                                         notifier that answers each one
 *                                         SECCOMP_USER_NOTIF_FLAG_CONTINUE
 *                                         at once: one round trip, no work
 *   floor sync [--] COMMAND [ARG]...      the same, with
 *                                         SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 *                                         set on the listener (Linux >= 6.6)
 *   floor perform [--] COMMAND [ARG]...   the same notifier (SYNC_WAKE_UP
 *                                         where the kernel has it), but a
 *                                         connect is performed as netpin
 *                                         must: take the socket
 *                                         (pidfd_getfd), read the address
 *                                         (process_vm_readv), check the
 *                                         call is still pending (ID_VALID),
 *                                         ask the socket's domain, type and
 *                                         protocol, connect the duplicate,
 *                                         close it and answer the result:
 *                                         the least a mediated connect costs
 *                                         when no race may change what was
 *                                         checked (no decision, no worker,
 *                                         no wake-up timer; a blocking
 *                                         connect holds up the one thread)
 *   floor filter [--] COMMAND [ARG]...    the same filter with no notifier:
 *                                         every branch returns ALLOW (what
 *                                         a filter costs the system calls
 *                                         that are not network calls)
 *
 * The calls sent to the notifier are those netpin's filter (netpin.c,
 * filter_build) notifies in its pidfd_getfd mode: connect, bind, listen,
 * sendmsg, sendmmsg, and sendto and recvfrom when they carry an address
 * (the pointer tested on both halves).  The program has netpin's shape: the
 * arch check first (another arch, or an x32 call, kills), then the calls;
 * calls whose verdict does not depend on their arguments stay free of
 * argument loads, so that the kernel's action cache (Linux >= 5.11) skips
 * the filter for them as it does for netpin's.
 *
 * The one receiver thread starts first; then the filter is installed on
 * the main thread only (no TSYNC: the receiver stays outside it, as
 * netpin's threads are, so that perform's own connects are not sent to
 * it), with WAIT_KILLABLE_RECV where the kernel has it (as netpin does),
 * and the main thread hands the listener to the receiver over a pipe and
 * forks the command: the listener is then this process's own, with
 * nothing to pass between processes.  The main thread's own system calls
 * (ioctl, write, wait4) are not among those notified.  The receiver blocks
 * in SECCOMP_IOCTL_NOTIF_RECV and answers at once: two system calls per
 * notification (perform: nine per connect).
 *
 * When the command ends, one line on stderr:
 *   floor MODE: N notifications, each answered CONTINUE
 *   floor perform: N notifications, M connects performed
 *   floor filter: filter only, no notifications
 * and the command's exit status (128+N when it was killed by signal N).
 * Exit status 3, before running anything, with the line
 *   floor sync: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP unavailable (Linux < 6.6)
 * when the kernel refuses the flag; 125 when the helper itself fails,
 * 126/127 when the command cannot be run, 2 on usage errors.
 *
 * Builds with glibc and the kernel headers (make builds it static, as netpin
 * is, where the libc allows): cc [-static] -O2 -Wall -Wextra -Werror -pthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH_NATIVE AUDIT_ARCH_X86_64
#define X32_SYSCALL_BIT 0x40000000
#elif defined(__aarch64__)
#define ARCH_NATIVE AUDIT_ARCH_AARCH64
#else
#error "tests/bench/floor.c: add this architecture's AUDIT_ARCH"
#endif

/* Linux >= 5.19 and 6.6; older headers lack them */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, uint64_t)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

#define EXIT_UNAVAILABLE 3
#define EXIT_FAILED 125

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
/* if the accumulator == v, return ret */
#define RET_IF_EQ(v, ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (v), 0, 1), RET(ret)
/* system call sys, an address in argument 4: ret unless both halves are 0
 * (otherwise the next test, nr reloaded) */
#define RET_IF_ADDR4(sys, ret) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sys), 0, 7), \
	LD(ARG_LO(4)), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET(ret), \
	LD(ARG_HI(4)), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET(ret), \
	LD(offsetof(struct seccomp_data, nr))

static unsigned long notifications;   /* written by the receiver, atomically */
static unsigned long performed;       /* connects performed (perform), the same */
static int perform_mode;              /* written before the receiver starts */
static int handover[2];               /* a pipe: the listener, to the receiver */

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	exit(EXIT_FAILED);
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: floor continue|sync|perform|filter [--] COMMAND [ARG]...\n");
	exit(2);
}

/* Install the filter on this process; returns the listener, or -1 for
 * "filter" (hit = ALLOW: no notifier). */
static int
install_filter(uint32_t hit)
{
	struct sock_filter prog[] = {
		LD(offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NATIVE, 1, 0),
		RET(SECCOMP_RET_KILL_PROCESS),
		LD(offsetof(struct seccomp_data, nr)),
#ifdef X32_SYSCALL_BIT
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1),
		RET(SECCOMP_RET_KILL_PROCESS),
#endif
		RET_IF_EQ(SYS_connect, hit),
		RET_IF_EQ(SYS_bind, hit),
		RET_IF_EQ(SYS_listen, hit),
		RET_IF_EQ(SYS_sendmsg, hit),
		RET_IF_EQ(SYS_sendmmsg, hit),
		RET_IF_ADDR4(SYS_sendto, hit),
		RET_IF_ADDR4(SYS_recvfrom, hit),
		RET(SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = { sizeof(prog) / sizeof(prog[0]), prog };
	unsigned long flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
	    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("prctl(PR_SET_NO_NEW_PRIVS)");
	if (hit == SECCOMP_RET_ALLOW) {
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
			die("seccomp(SECCOMP_SET_MODE_FILTER)");
		return -1;
	}
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	if (fd < 0 && errno == EINVAL) {
		/* no WAIT_KILLABLE_RECV before Linux 5.19 */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	}
	if (fd < 0)
		die("seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER)");
	return fd;
}

/*
 * perform: the connect of notification req, made on a duplicate of the
 * caller's socket; sets resp's val and error.  The caller's pidfd is kept
 * (the benchmark's command is one process).
 */
static void
perform_connect(int fd, const struct seccomp_notif *req,
    struct seccomp_notif_resp *resp)
{
	static int pidfd = -1;
	static pid_t pidfd_of;
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)req->data.args[2], l = sizeof(int);
	struct iovec local = { &ss, len }, remote = { (void *)req->data.args[1], len };
	int sock, dom, type, proto, rc;

	if (len > sizeof(ss)) {
		resp->error = -EINVAL;
		return;
	}
	if (pidfd_of != (pid_t)req->pid) {
		if (pidfd >= 0)
			close(pidfd);
		pidfd = (int)syscall(SYS_pidfd_open, (pid_t)req->pid, 0);
		pidfd_of = (pid_t)req->pid;
	}
	sock = (int)syscall(SYS_pidfd_getfd, pidfd, (int)req->data.args[0], 0);
	if (sock < 0) {
		resp->error = -errno;
		return;
	}
	if (syscall(SYS_process_vm_readv, (pid_t)req->pid, &local, 1, &remote, 1, 0) !=
	    (long)len || ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id)) {
		resp->error = -EACCES;
	} else if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &dom, &l) ||
	    getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &l) ||
	    getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &proto, &l)) {
		resp->error = -errno;
	} else {
		rc = connect(sock, (struct sockaddr *)&ss, len);
		resp->error = rc ? -errno : 0;
		__atomic_add_fetch(&performed, 1, __ATOMIC_RELAXED);
	}
	close(sock);
}

/* The receiver: every notification answered CONTINUE at once (perform:
 * connects performed). */
static void *
receive(void *arg)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	int fd;

	(void)arg;
	if (read(handover[0], &fd, sizeof(fd)) != (ssize_t)sizeof(fd))
		die("read(listener)");

	for (;;) {
		memset(&req, 0, sizeof(req));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req)) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			die("ioctl(SECCOMP_IOCTL_NOTIF_RECV)");
		}
		__atomic_add_fetch(&notifications, 1, __ATOMIC_RELAXED);
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		if (perform_mode && req.data.nr == SYS_connect)
			perform_connect(fd, &req, &resp);
		else
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the caller is gone or was interrupted */
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) && errno != ENOENT)
			die("ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
	}
	return NULL;
}

static int
run(char **cmd)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* the listener is close-on-exec */
		execvp(cmd[0], cmd);
		fprintf(stderr, "floor: %s: %s\n", cmd[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
main(int argc, char **argv)
{
	const char *mode;
	pthread_t t;
	int fd, status;

	if (argc < 3)
		usage();
	mode = argv[1];
	argv += 2;
	if (!strcmp(argv[0], "--") && !*++argv)
		usage();
	if (!strcmp(mode, "filter")) {
		install_filter(SECCOMP_RET_ALLOW);
		status = run(argv);
		fprintf(stderr, "floor filter: filter only, no notifications\n");
		return status;
	}
	perform_mode = !strcmp(mode, "perform");
	if (strcmp(mode, "continue") && strcmp(mode, "sync") && !perform_mode)
		usage();
	if (pipe2(handover, O_CLOEXEC))
		die("pipe2");
	errno = pthread_create(&t, NULL, receive, NULL);
	if (errno)
		die("pthread_create");
	fd = install_filter(SECCOMP_RET_USER_NOTIF);
	if (strcmp(mode, "continue") && ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
	    (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP)) {
		if (errno != EINVAL)
			die("ioctl(SECCOMP_IOCTL_NOTIF_SET_FLAGS, SYNC_WAKE_UP)");
		if (!perform_mode) {
			fprintf(stderr, "floor sync: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP "
			    "unavailable (Linux < 6.6)\n");
			return EXIT_UNAVAILABLE;
		}
	}
	if (write(handover[1], &fd, sizeof(fd)) != (ssize_t)sizeof(fd))
		die("write(listener)");
	status = run(argv);
	if (perform_mode)
		fprintf(stderr, "floor perform: %lu notifications, %lu connects "
		    "performed\n", __atomic_load_n(&notifications, __ATOMIC_RELAXED),
		    __atomic_load_n(&performed, __ATOMIC_RELAXED));
	else
		fprintf(stderr, "floor %s: %lu notifications, each answered CONTINUE\n",
		    mode, __atomic_load_n(&notifications, __ATOMIC_RELAXED));
	return status;
}
