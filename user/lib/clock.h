/* clock — the times seep reads: monotonic (deadlines, durations) and wall
 * clock (timestamps in reports and series). Header only. */
#ifndef SEEP_CLOCK_H
#define SEEP_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t clock__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double clock__mono_s(void)
{
	return (double)clock__mono_ns() * 1e-9;
}

/* CLOCK_REALTIME in seconds since the epoch. */
static inline double clock__wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
