/*
 * Helper (and the nested-netpin attack's client): one TCP connect to
 * ADDR:PORT that sends "nested" and prints "connect_to ADDR:PORT: RESULT".
 * usage: connect_to PORT ADDR
 */
#include "common.h"

int
main(int argc, char **argv)
{
	ports(argc, argv);
	if (argc < 3)
		return 2;
	printf("connect_to %s:%d: %s\n", argv[2], tcp_port,
	    ename(tcp_try4(argv[2], tcp_port, "nested")));
	return 0;
}
