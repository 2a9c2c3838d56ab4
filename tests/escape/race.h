/*
 * What the race_*.c attacks share (beside common.h): a racing thread that
 * counts its rounds, so that the attack can give it the CPU, and the
 * racer that rewrites a sockaddr's address.
 */
#ifndef ESCAPE_RACE_H
#define ESCAPE_RACE_H
#include "common.h"

/* A racing thread counts its rounds; racer_ran() waits until a round that
 * began after the call has ended (the second one counted: the first may have
 * begun before), so that a loaded machine cannot leave the racer without CPU
 * for a whole attack, nor the attack go on with what the racer saw last.  It
 * yields, then sleeps a little: a racer that gets no CPU while the attack
 * yields gets it once the attack sleeps.  There is no limit: the attack's
 * runner stops an attack that runs too long (escape_run's SECONDS). */
static __attribute__((unused)) atomic_int racer_rounds;

static __attribute__((unused)) void
racer_ran(void)
{
	const struct timespec nap = { 0, 100 * 1000 };
	int start = atomic_load(&racer_rounds);

	for (int i = 0; atomic_load(&racer_rounds) - start < 2; i++)
		if (i < 100)
			sched_yield();
		else
			nanosleep(&nap, NULL);
}

/* race_goes_on(N, MAX, STARTED, SEEN_ALL): another call of the attack?  At
 * most MAX; for 3 s since STARTED (now_s()), and past them, until every
 * outcome that the attack's judge wants to have seen (SEEN_ALL: an allowed
 * one and a denied one) has been seen, for 15 s at most: on a loaded machine
 * 3 s can hold a few calls only, all with the same outcome. */
static __attribute__((unused)) int
race_goes_on(int n, int max, double started, int seen_all)
{
	double t = now_s() - started;

	return n < max && (t < 3.0 || (!seen_all && t < 15.0));
}

/*
 * The address racer (race_connect, race_sendto): a thread that rewrites
 * the IPv4 address of *sa, which the main thread passes to the kernel,
 * between ALLOWED and DENIED, 64 times a round and ALLOWED between rounds,
 * until addr_racer_stop().
 */
static __attribute__((unused)) atomic_int addr_racer_ends;

static __attribute__((unused)) void *
addr_racer(void *arg)
{
	struct sockaddr_in *sa = arg;
	volatile uint32_t *a = (volatile uint32_t *)&sa->sin_addr.s_addr;
	uint32_t good = inet_addr(ALLOWED), bad = inet_addr(DENIED);

	while (!atomic_load_explicit(&addr_racer_ends, memory_order_relaxed)) {
		atomic_fetch_add_explicit(&racer_rounds, 1, memory_order_relaxed);
		for (int i = 0; i < 64; i++) {
			*a = good;
			*a = bad;
		}
		*a = good;
	}
	return NULL;
}

static __attribute__((unused)) pthread_t
addr_racer_start(struct sockaddr_in *sa)
{
	pthread_t t;

	pthread_create(&t, NULL, addr_racer, sa);
	return t;
}

static __attribute__((unused)) void
addr_racer_stop(pthread_t t)
{
	atomic_store(&addr_racer_ends, 1);
	pthread_join(t, NULL);
}

#endif
