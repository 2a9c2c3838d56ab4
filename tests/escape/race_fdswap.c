/*
 * Attack: the fd is swapped (dup2) between a UDP and a TCP socket by a
 * racing thread while the main thread connects it to ALLOWED:PORT, which
 * netpin's rule allows for UDP only (run with -a udp:127.0.0.2:PORT).
 * A TCP socket that ends up connected there (or anywhere) is a bypass: netpin
 * decided the UDP socket but connected the TCP one.  The UDP socket sends a
 * datagram to its peer after every successful connect.
 * usage: race_fdswap PORT [UDPPORT]
 */
#include "race.h"

#define SLOT 100
static atomic_int cur_udp = -1, cur_tcp = -1, stop;

static void *
racer(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int u = atomic_load(&cur_udp), t = atomic_load(&cur_tcp);

		if (u < 0 || t < 0)
			continue;
		dup2(t, SLOT);
		dup2(u, SLOT);
		atomic_fetch_add_explicit(&racer_rounds, 1, memory_order_relaxed);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a;
	int n, ok = 0, eacces = 0, other = 0, tcp_connected = 0, udp_to_denied = 0,
	    lasterr = 0;
	double started;
	pthread_t t;

	ports(argc, argv);
	a = sin4(ALLOWED, tcp_port);
	pthread_create(&t, NULL, racer, NULL);
	started = now_s();
	for (n = 0; race_goes_on(n, 5000, started, ok); n++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (u < 0 || s < 0) {
			other++;
			lasterr = errno;
			if (u >= 0) close(u);
			if (s >= 0) close(s);
			continue;
		}
		atomic_store(&cur_udp, u);
		atomic_store(&cur_tcp, s);
		/* the racer has put this pair in SLOT at least once (a starved
		 * racer, at nice 19 on a busy machine, left SLOT closed: EBADF) */
		racer_ran();
		if (connect(SLOT, (struct sockaddr *)&a, sizeof(a)) == 0)
			ok++;
		else if (denied_errno(errno))
			eacces++;
		else if (errno != EINPROGRESS) {
			other++;
			lasterr = errno;
		}
		atomic_store(&cur_udp, -1);
		atomic_store(&cur_tcp, -1);
		/* did the TCP socket get connected (or start connecting)? */
		if (finish_connect(s, 0) == 0 && peer_host(s) != 0)
			tcp_connected++;
		if (peer_host(u) == 3)
			udp_to_denied++;
		if (peer_host(u) != 0)
			send(u, "race-fdswap", 11, 0);
		close(u);
		close(s);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("race_fdswap: iterations=%d/%d connect_ok=%d eacces=%d other=%d last_other=%s "
	    "tcp_connected=%d udp_to_denied=%d\n", atomic_load(&racer_rounds), n, ok, eacces,
	    other, ename(lasterr), tcp_connected, udp_to_denied);
	return 0;
}
