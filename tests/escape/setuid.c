/*
 * Attack: exec of a setuid-root binary to gain privileges (CAP_NET_RAW,
 * CAP_NET_ADMIN, CAP_SYS_PTRACE...).  netpin sets no_new_privs: check
 * /proc/self/status NoNewPrivs, then exec SETUID_BINARY (the runner gives a
 * setuid-root copy of this program, run as nobody) with "child": the child
 * reports its effective uid (must not be 0) and tries a raw socket.
 * usage: setuid PORT SETUID_BINARY     (as nobody under netpin)
 *        setuid PORT child
 */
#include "common.h"

static int
nnp(void)
{
	char line[256];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NoNewPrivs:", 11))
			v = atoi(line + 11);
	if (f)
		fclose(f);
	return v;
}

int
main(int argc, char **argv)
{
	ports(argc, argv);
	if (argc < 3)
		return 2;
	if (!strcmp(argv[2], "child")) {
		int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		const char *raw = fd < 0 ? ename(errno) : "ok";

		if (fd >= 0)
			close(fd); /* create only */
		printf("setuid: after_exec uid=%d euid=%d NoNewPrivs=%d raw_socket=%s\n",
		    (int)getuid(), (int)geteuid(), nnp(), raw);
		return 0;
	}
	printf("setuid: before_exec uid=%d euid=%d NoNewPrivs=%d; ", (int)getuid(),
	    (int)geteuid(), nnp());
	fflush(stdout);
	execl(argv[2], argv[2], argv[1], "child", (char *)NULL);
	printf("exec: %s\n", ename(errno));
	return 0;
}
