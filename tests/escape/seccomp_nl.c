/*
 * Attack: a second seccomp notifier.  seccomp(SET_MODE_FILTER,
 * FILTER_FLAG_NEW_LISTENER) with a filter that notifies connect: with it
 * the command could answer its own connects once netpin is gone.  Expect
 * EPERM (also with TSYNC added).  Then a filter of our own that ALLOWs
 * everything is stacked (no listener; must not weaken netpin's) and the
 * probes run: denied must still be EACCES.
 * usage: seccomp_nl PORT [UDPPORT]
 */
#include "common.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>

int
main(int argc, char **argv)
{
	struct sock_filter notify[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter allow[] = {
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p1 = { 4, notify }, p2 = { 1, allow };
	char probes[256];
	const char *nl, *nl_tsync, *stack;
	long r;

	ports(argc, argv);
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &p1);
	nl = r < 0 ? ename(errno) : "ok";
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC, &p1);
	nl_tsync = r < 0 ? ename(errno) : "ok";
	stack = RES(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p2));
	probe_all(probes, sizeof(probes), "seccomp");
	printf("seccomp_nl: new_listener=%s new_listener_tsync=%s stacked_allow_filter=%s %s\n",
	    nl, nl_tsync, stack, probes);
	return 0;
}
