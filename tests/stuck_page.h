/*
 * stuck_page - a page whose faults nobody serves: a userfaultfd registered
 * on it and never read, so that anyone's read of it (netpin's, of the
 * command's memory) waits until the process ends.  For the tests that
 * stall netpin (tests/escape/uffd_stall.c, tests/tunnel.c peerstall).
 * Include it after defining ename(int) (an errno's name).
 */
#ifndef STUCK_PAGE_H
#define STUCK_PAGE_H
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* SIGALRM's handler for a test that something hung: " hung=1", exit 1 */
static __attribute__((unused)) void
hung(int sig)
{
	(void)sig;
	printf(" hung=1\n");
	fflush(stdout);
	_exit(1);
}

/* The page, or NULL: after "skip=REASON\n" on stdout when this user may
 * not use userfaultfd (*skip set), else with errno (mmap failed). */
static void *
stuck_page(int *skip)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	long psz = sysconf(_SC_PAGESIZE);
	const char *step = "userfaultfd";
	void *page;
	int uffd;

	*skip = 1;
	if ((uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK)) < 0)
		goto skip;
	step = "uffdio_api";
	if (ioctl(uffd, UFFDIO_API, &api))
		goto skip;
	*skip = 0;
	page = mmap(NULL, (size_t)psz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	reg.range.start = (unsigned long)page;
	reg.range.len = (unsigned long)psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	*skip = 1;
	step = "uffdio_register";
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		goto skip;
	*skip = 0;
	return page; /* uffd stays open: nobody serves its faults */
skip:
	printf("skip=%s_%s\n", step, ename(errno));
	return NULL;
}
#endif
