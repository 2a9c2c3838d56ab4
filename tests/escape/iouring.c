/*
 * Attack: io_uring, whose operations (IORING_OP_CONNECT, _SENDMSG, ...)
 * never pass through seccomp.  io_uring_setup, _enter and _register by raw
 * system call: all must fail (netpin: ENOSYS).
 * usage: iouring PORT
 */
#include "common.h"

int
main(int argc, char **argv)
{
	unsigned char params[120]; /* struct io_uring_params */
	long r;
	const char *setup, *enter, *reg;

	ports(argc, argv);
	memset(params, 0, sizeof(params));
	r = syscall(425 /* io_uring_setup */, 8, params);
	setup = r < 0 ? ename(errno) : "ok";
	if (r >= 0)
		close((int)r);
	enter = RES(syscall(426 /* io_uring_enter */, 0, 0, 0, 0, NULL, 0));
	reg = RES(syscall(427 /* io_uring_register */, 0, 0, NULL, 0));
	printf("iouring: io_uring_setup=%s io_uring_enter=%s io_uring_register=%s\n",
	    setup, enter, reg);
	return 0;
}
