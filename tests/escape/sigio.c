/*
 * Attack: signals to netpin sent by the kernel on the command's behalf.
 * A pipe's read end owned (F_SETOWN) by netpin's pid, then by netpin's
 * process group, with O_ASYNC and F_SETSIG SIGKILL: a write makes the
 * kernel signal its owner.  The same owner through F_SETOWN_EX, and through
 * ioctl FIOSETOWN and SIOCSPGRP on a socket.  First, still in netpin's
 * process group, F_SETOWN of that group: the command is the group's newest
 * member, whose F_SETOWN some kernels' signal scope did not judge.  Netpin
 * must outlive it all.
 * usage: sigio PORT [UDPPORT]
 */
#include "common.h"
#include <sys/ioctl.h>

#ifndef F_SETSIG
#define F_SETSIG 10
#endif

/* fd owned by owner (F_SETOWN's value: a pid, or minus a group), with
 * SIGKILL for its I/O; then I/O.  The F_SETOWN's result. */
static const char *
owned_then_io(int how, pid_t owner)
{
	int p[2], s[2], r = -1;
	struct f_owner_ex ex = { owner > 0 ? F_OWNER_PID : F_OWNER_PGRP,
		owner > 0 ? owner : -owner };

	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		return "setup";
	fcntl(p[0], F_SETSIG, SIGKILL);
	fcntl(s[0], F_SETSIG, SIGKILL);
	switch (how) {
	case 0:
		r = fcntl(p[0], F_SETOWN, owner);
		break;
	case 1:
		r = fcntl(p[0], F_SETOWN_EX, &ex);
		break;
	case 2:
		r = ioctl(s[0], FIOSETOWN, &owner);
		break;
	case 3:
		r = ioctl(s[0], SIOCSPGRP, &owner);
		break;
	}
	const char *res = r < 0 ? ename(errno) : "ok";

	fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
	fcntl(s[0], F_SETFL, O_ASYNC | O_NONBLOCK);
	(void)!write(p[1], "x", 1);
	(void)!write(s[1], "x", 1);
	usleep(50000);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
	return res;
}

int
main(int argc, char **argv)
{
	static const char *const hows[] = { "f_setown", "f_setown_ex", "fiosetown", "siocspgrp" };
	pid_t pp = getppid(), pg;
	char probes[256];

	ports(argc, argv);
	printf("sigio:");
	if (getpgid(0) == getpgid(pp)) {
		printf(" f_setown_samegrp=%s", owned_then_io(0, -getpgid(0)));
		fflush(stdout);
	}
	setpgid(0, 0); /* netpin's process group is then not ours */
	pg = getpgid(pp);
	for (int h = 0; h < 4; h++) {
		printf(" %s_pid=%s", hows[h], owned_then_io(h, pp));
		fflush(stdout);
		if (pg > 0 && pg != getpgid(0)) {
			printf(" %s_pgrp=%s", hows[h], owned_then_io(h, -pg));
			fflush(stdout);
		}
	}
	usleep(200000);
	alarm(3);
	probe_all(probes, sizeof(probes), "after-sigio");
	alarm(0);
	printf(" parent_alive=%d %s\n", getppid() == pp, probes);
	return 0;
}
