/* timescale — one knob for how long the tests wait. SEEP_TEST_TIME_SCALE
 * (a number >= 1; unset, empty or invalid: 1) multiplies every wait and
 * deadline a test takes from here, and every Criterion timeout (each
 * suite's and test's .timeout, and the --timeout default) of a binary
 * that links this module: a run under ASan+UBSan, several times slower,
 * sets it (the Makefile's e2e-sanitized uses 4) instead of each test
 * guessing a margin. Waits on a condition take their deadline from here;
 * nothing here makes a test pass that would fail at scale 1. */
#ifndef SEEP_TIMESCALE_H
#define SEEP_TIMESCALE_H

/* The scale, read from the environment once; >= 1. */
double time_scale(void);
/* S seconds, MS milliseconds, US microseconds, times the scale. */
double scaled_s(double s);
unsigned scaled_ms(unsigned ms);
unsigned scaled_us(unsigned us);
/* N tries of a poll loop with a fixed nap between them, times the scale. */
int scaled_tries(int n);

#endif
