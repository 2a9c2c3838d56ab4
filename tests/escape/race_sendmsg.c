/*
 * Attack: UDP sendmsg() and sendmmsg() while a racing thread rewrites the
 * address msg_name points to (ALLOWED <-> DENIED) and swaps the msg_name
 * pointer itself between an allowed and a denied sockaddr.
 * usage: race_sendmsg PORT [UDPPORT]
 */
#include "race.h"

static struct sockaddr_in target, good_sa, bad_sa;
static struct msghdr msg;
static struct mmsghdr mm[2];
static atomic_int stop;

static void *
racer(void *arg)
{
	volatile uint32_t *a = (volatile uint32_t *)&target.sin_addr.s_addr;
	void *volatile *p1 = (void *volatile *)&msg.msg_name;
	void *volatile *p2 = (void *volatile *)&mm[1].msg_hdr.msg_name;
	uint32_t good = inet_addr(ALLOWED), bad = inet_addr(DENIED);

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&racer_rounds, 1, memory_order_relaxed);
		for (int i = 0; i < 64; i++) {
			*a = good;
			*p1 = &good_sa;
			*p2 = &good_sa;
			*a = bad;
			*p1 = &bad_sa;
			*p2 = &bad_sa;
			*p1 = &target;
			*p2 = &target;
		}
		*a = good;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	int n, m, ok = 0, eacces = 0, other = 0, mok = 0, mpart = 0, meacces = 0,
	    mother = 0, lasterr = 0, fd;
	struct iovec iov = { "race-sendmsg", 12 }, iov2 = { "race-sendmmsg", 13 };
	double started, end;
	pthread_t t;

	ports(argc, argv);
	target = good_sa = sin4(ALLOWED, udp_port);
	bad_sa = sin4(DENIED, udp_port);
	msg.msg_name = &target;
	msg.msg_namelen = sizeof(target);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = &target;
		mm[i].msg_hdr.msg_namelen = sizeof(target);
		mm[i].msg_hdr.msg_iov = &iov2;
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("race_sendmsg: socket: %s\n", ename(errno));
		return 1;
	}
	pthread_create(&t, NULL, racer, NULL);
	started = now_s();
	for (n = 0; race_goes_on(n, 5000, started, ok && eacces); n++) {
		/* on a loaded machine the racer may get no CPU: let it run */
		if (n % 16 == 0)
			racer_ran();
		if (sendmsg(fd, &msg, 0) == 12)
			ok++;
		else if (denied_errno(errno))
			eacces++;
		else {
			other++;
			lasterr = errno;
		}
	}
	end = now_s() + 1.5;
	for (m = 0; m < 3000 && now_s() < end; m++) {
		int r = sendmmsg(fd, mm, 2, 0);

		if (r == 2)
			mok++;
		else if (r == 1)
			mpart++;
		else if (r < 0 && denied_errno(errno))
			meacces++;
		else {
			mother++;
			lasterr = r < 0 ? errno : 0;
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("race_sendmsg: sendmsg_iterations=%d sent=%d eacces=%d other=%d "
	    "sendmmsg_iterations=%d both=%d first_only=%d eacces=%d other=%d last_other=%s\n",
	    n, ok, eacces, other, m, mok, mpart, meacces, mother, ename(lasterr));
	return 0;
}
