/*
 * Attack: netpin itself (the parent, getppid()).  ptrace ATTACH and SEIZE,
 * process_vm_writev / process_vm_readv, /proc/PPID/mem opened for writing
 * (and reading), pidfd_open(PPID) (also with PIDFD_THREAD), pidfd_getfd
 * through a /proc/PPID directory fd, reopening netpin's fds through
 * /proc/PPID/fd/N, pidfd_send_signal(signal 0) through /proc/PPID.
 * Then the basic probes: allowed must work, denied must be EACCES.
 * usage: selfprot PORT [UDPPORT]
 */
#include "common.h"
#include <sys/ptrace.h>
#include <sys/uio.h>

int
main(int argc, char **argv)
{
	pid_t pp = getppid();
	char path[64], probes[256], buf[16], local[16] = "pwned";
	struct iovec l = { local, sizeof(local) }, r = { (void *)0x400000, sizeof(local) };
	const char *attach, *seize, *wv, *rv, *mem_w, *mem_r, *po, *pot, *gfd, *pss;
	int fd, dfd, opened = 0;
	long rc;

	ports(argc, argv);
	attach = RES(ptrace(PTRACE_ATTACH, pp, 0, 0));
	seize = RES(ptrace(PTRACE_SEIZE, pp, 0, 0));
	wv = RES(process_vm_writev(pp, &l, 1, &r, 1, 0));
	rv = RES(process_vm_readv(pp, &l, 1, &r, 1, 0));
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pp);
	fd = open(path, O_RDWR);
	mem_w = fd < 0 ? ename(errno) : "ok";
	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDONLY);
	mem_r = fd < 0 ? ename(errno) : "ok";
	if (fd >= 0)
		close(fd);
	rc = syscall(SYS_pidfd_open, pp, 0);
	po = rc < 0 ? ename(errno) : "ok";
	if (rc >= 0) {
		long g = syscall(SYS_pidfd_getfd, (int)rc, 3, 0);

		if (g >= 0)
			close((int)g);
		close((int)rc);
	}
	rc = syscall(SYS_pidfd_open, pp, O_EXCL /* PIDFD_THREAD */);
	pot = rc < 0 ? ename(errno) : "ok";
	if (rc >= 0)
		close((int)rc);
	snprintf(path, sizeof(path), "/proc/%d", (int)pp);
	dfd = open(path, O_DIRECTORY | O_RDONLY);
	rc = syscall(SYS_pidfd_getfd, dfd, 3, 0);
	gfd = rc < 0 ? ename(errno) : "ok";
	if (rc >= 0)
		close((int)rc);
	pss = RES(syscall(SYS_pidfd_send_signal, dfd, 0, NULL, 0));
	close(dfd);
	for (int n = 0; n < 32; n++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pp, n);
		fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd >= 0) {
			opened++;
			close(fd);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pp);
	(void)buf;
	probe_all(probes, sizeof(probes), "selfprot");
	printf("selfprot: ptrace_attach=%s ptrace_seize=%s process_vm_writev=%s "
	    "process_vm_readv=%s proc_mem_rw=%s proc_mem_ro=%s pidfd_open=%s "
	    "pidfd_open_thread=%s pidfd_getfd_procdir=%s pidfd_send_signal_procdir=%s "
	    "proc_fd_reopened=%d parent_alive=%d %s\n", attach, seize, wv, rv, mem_w, mem_r,
	    po, pot, gfd, pss, opened, getppid() == pp, probes);
	return 0;
}
