/*
 * llonly — netpin's Landlock layer alone, to show what it stops by itself:
 * no_new_privs and the very domain netpin's child applies (landlock_apply
 * of netpin.c, at the ABI this kernel has), no seccomp filter, then exec
 * COMMAND.  A call the command makes then reaches the kernel as it is, and
 * only Landlock can refuse it.  Prints "landlock_abi=N" first.
 * usage: llonly COMMAND [ARG]...
 */
#define main netpin_main
#include "../../netpin.c"
#undef main

int
main(int argc, char **argv)
{
	int abi = landlock_probe();

	if (argc < 2) {
		fprintf(stderr, "usage: llonly COMMAND [ARG]...\n");
		return 2;
	}
	printf("landlock_abi=%d\n", abi);
	fflush(stdout);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || landlock_apply(abi)) {
		perror("llonly: landlock");
		return 125;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
