/*
 * What the race_*.c attacks share (beside common.h): a racing thread that
 * counts its rounds, so that the attack can give it the CPU.
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

#endif
