/* Linked into netpin-vg with -Wl,--wrap=syscall: see tests/valgrind.sh. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <valgrind/valgrind.h>
#include <valgrind/memcheck.h>

#define NR_pidfd_send_signal 424
#define NR_pidfd_open 434
#define NR_pidfd_getfd 438
#define NR_landlock_create_ruleset 444
#define NR_landlock_add_rule 445
#define NR_landlock_restrict_self 446
#define SECCOMP_SET_MODE_FILTER_ 1
#define SECCOMP_GET_NOTIF_SIZES_ 3

long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);

struct native_call {
	long nr, a[6], ret;
};

/* Runs on the real CPU: valgrind neither sees nor emulates this syscall.
 * No libc here (no errno: the guest's TLS is not the host's). */
static long
native(long tid, struct native_call *c)
{
	register long r10 __asm__("r10") = c->a[3];
	register long r8 __asm__("r8") = c->a[4];
	register long r9 __asm__("r9") = c->a[5];
	long ret;

	(void)tid;
	__asm__ volatile ("syscall" : "=a"(ret)
	    : "0"(c->nr), "D"(c->a[0]), "S"(c->a[1]), "d"(c->a[2]),
	      "r"(r10), "r"(r8), "r"(r9)
	    : "rcx", "r11", "memory");
	c->ret = ret;
	return ret;
}

/* What a valgrind wrapper would check before the call... */
static void
check_inputs(const struct native_call *c)
{
	switch (c->nr) {
	case SYS_seccomp:
		if (c->a[0] == SECCOMP_SET_MODE_FILTER_ && c->a[2]) {
			/* struct sock_fprog { unsigned short len; filter * } */
			const unsigned short *len = (const void *)c->a[2];
			const long *filter = (const long *)(c->a[2] + 8);

			VALGRIND_CHECK_MEM_IS_DEFINED(len, sizeof(*len));
			VALGRIND_CHECK_MEM_IS_DEFINED(filter, sizeof(*filter));
			VALGRIND_CHECK_MEM_IS_DEFINED((void *)*filter,
			    (size_t)*len * 8);
		}
		break;
	case NR_landlock_create_ruleset:
		if (c->a[0])
			VALGRIND_CHECK_MEM_IS_DEFINED((void *)c->a[0], c->a[1]);
		break;
	case NR_landlock_add_rule:	/* path_beneath 12 bytes, net_port 16 */
		if (c->a[2])
			VALGRIND_CHECK_MEM_IS_DEFINED((void *)c->a[2],
			    c->a[1] == 1 ? 12 : 16);
		break;
	}
}

/* ... and what it would mark defined after. */
static void
mark_outputs(const struct native_call *c)
{
	if (c->nr == SYS_seccomp && c->a[0] == SECCOMP_GET_NOTIF_SIZES_ &&
	    c->a[2])
		VALGRIND_MAKE_MEM_DEFINED((void *)c->a[2], 3 * 2);
}

long
__wrap_syscall(long nr, ...)
{
	struct native_call c = { .nr = nr };
	va_list ap;
	long r;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		c.a[i] = va_arg(ap, long);
	va_end(ap);
	r = __real_syscall(nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], c.a[5]);
	if (r != -1 || errno != ENOSYS || !RUNNING_ON_VALGRIND)
		return r;
	switch (nr) {
	case SYS_seccomp: case NR_pidfd_send_signal: case NR_pidfd_open:
	case NR_pidfd_getfd: case NR_landlock_create_ruleset:
	case NR_landlock_add_rule: case NR_landlock_restrict_self:
		break;
	default:
		return r;
	}
	check_inputs(&c);
	VALGRIND_NON_SIMD_CALL1(native, &c);
	if (c.ret < 0 && c.ret > -4096) {
		errno = (int)-c.ret;
		return -1;
	}
	mark_outputs(&c);
	return c.ret;
}
