/*
 * Attack: a racing thread rewrites the sockaddr between ALLOWED and DENIED
 * while the main thread calls sendto() on an unconnected UDP socket.
 * Every datagram that reached the denied server is a bypass (the runner
 * checks the server's record).
 * usage: race_sendto PORT [UDPPORT]
 */
#include "race.h"

static struct sockaddr_in target;

int
main(int argc, char **argv)
{
	int n, ok = 0, eacces = 0, other = 0, lasterr = 0, fd;
	double started;
	pthread_t t;

	ports(argc, argv);
	target = sin4(ALLOWED, udp_port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("race_sendto: socket: %s\n", ename(errno));
		return 1;
	}
	t = addr_racer_start(&target);
	started = now_s();
	for (n = 0; race_goes_on(n, 5000, started, ok && eacces); n++) {
		/* on a loaded machine the racer may get no CPU: let it run */
		racer_ran();
		if (sendto(fd, "race-sendto", 11, 0, (struct sockaddr *)&target,
		    sizeof(target)) == 11)
			ok++;
		else if (denied_errno(errno))
			eacces++;
		else {
			other++;
			lasterr = errno;
		}
	}
	addr_racer_stop(t);
	printf("race_sendto: iterations=%d sent=%d eacces=%d other=%d last_other=%s\n",
	    n, ok, eacces, other, ename(lasterr));
	return 0;
}
