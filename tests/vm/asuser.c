/*
 * asuser — run a command as another user, for the guests of tests/vm.sh
 * (busybox's setpriv there cannot change ids, and su wants a passwd file).
 *
 *   asuser UID COMMAND [ARG]...     uid and gid UID, no supplementary groups
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char *end;
	long id;

	if (argc < 3 || (id = strtol(argv[1], &end, 10)) < 0 || *end) {
		fprintf(stderr, "usage: asuser UID COMMAND [ARG]...\n");
		return 2;
	}
	if (setgroups(0, NULL) || setresgid((gid_t)id, (gid_t)id, (gid_t)id) ||
	    setresuid((uid_t)id, (uid_t)id, (uid_t)id)) {
		perror("asuser: set ids");
		return 125;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
