/* seep_window — the six tests a window must pass for seep's detector to
 * call it a leak, each a named predicate, and where growth starts in it.
 *
 * A window is [from, n) of the analysed series, always ending now (n is the
 * series' length), fitted with one least-squares line. The fits read
 * prefix sums (linfit) of the series with its restarts added back (a
 * sawtooth made into the continued leak it is); OFFSET_NOW is what was
 * added back at the last sample, so the level now is the line minus it.
 *
 * detect__seep scans windows from the longest down and takes the first
 * that passes seep_window__accept(), which runs the tests in this order
 * (the cheap ones first) and stops at the first that fails:
 *   1. fits           slope > 0 and R² >= seep_r2_min (a loose floor)
 *   2. rises          the line's rise over the window is at least
 *                     seep_min_snr residual standard deviations of the
 *                     fit: significant against the series' own noise
 *   3. reaches        U is reached within C from the level now
 *   4. persists       each quarter's mean is above the previous one's by a
 *                     quarter of the line's rise per quarter
 *   5. still_growing  the recent quarter (at least 8 samples), and the tail
 *                     after the best two-line split (seep_tail_min_s), rise,
 *                     at seep_recent_frac of the line's slope or more; or,
 *                     with the window's scratch, each falls short of that
 *                     by less than seep_recent_wander times the series' own
 *                     variation over its length (seep_window__wander): the
 *                     background wandering down at the end of a short
 *                     series' leak
 *   6. no_level_shift no single step between two flat levels (each at least
 *                     seep_part_min_s) explains the window as well as the line does
 *                     (by seep_step_ratio): a plateau or a step is no leak
 * Windows shorter than seep_min_window_s, down to seep_part_min_s, are
 * tried only when no longer one passes; the parts of tests 5 and 6 are
 * scaled to them, and they must pass one more test, checked first (O(1)):
 *   7. new_high       the level now is above everything before the window
 *                     by seep_new_high_sd residual sds (seep_window__new_high)
 * (as must every window shorter than seep_new_high_window_s, 24 h: on a
 * series of hours, every window: a refill to a level it had before is no
 * leak)
 * and when none of them passes either, detect__seep tries them once more
 * with seep_recent_frac 0: test 5 then asks only that the recent quarter
 * and the tail rise (a late leak riding a daily cycle's falling hours).
 * A window that passes is last put to one more test, O(n), that detect__seep
 * runs itself (it needs scratch memory):
 *   8. clear          the rise is at least seep_min_wander times the series'
 *                     own variation at seep_wander_lag of the window's
 *                     length, the window's growth taken out
 *                     (seep_window__clear): a rise inside the background's
 *                     wander at the leak's own time scale is no leak (short
 *                     series of a few hours at seconds resolution wander by
 *                     that much); seep_min_wander 0 turns it off
 *
 * Pure computation over the caller's prefix sums: no allocation (but
 * robust__diff_noise's in seep_window__wander), no ownership; the window
 * borrows LF, which must outlive it.
 */
#ifndef SEEP_SEEP_WINDOW_H
#define SEEP_SEEP_WINDOW_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/linfit.h"
#include "detect/params.h"

struct seep_window {
	const struct linfit *lf;	/* prefix sums, restarts added back */
	size_t from, n;			/* the window [from, n) */
	double step;			/* seconds per sample */
	double offset_now;		/* added back at sample n - 1 */
	struct line line;		/* the least-squares line on [from, n) */
	double *scratch;		/* w->n doubles for still_growing's allowance,
					 * or NULL (init's): no allowance */
};

/* Fits the window [FROM, N) of LF into W (its scratch NULL). Returns 0, or
 * -EINVAL when it cannot be fitted (fewer than 2 samples, N beyond LF). */
int seep_window__init(struct seep_window *w, const struct linfit *lf, size_t from, size_t n,
		      double step, double offset_now);

/* The six tests (see the top of this header), in order. */
enum seep_test {
	SEEP_PASSED, SEEP_FITS, SEEP_RISES, SEEP_REACHES, SEEP_PERSISTS, SEEP_STILL_GROWING,
	SEEP_NO_LEVEL_SHIFT,
	SEEP_NEW_HIGH,		/* only for windows shorter than seep_min_window_s */
	SEEP_CLEAR,		/* last: the rise over the series' own wander */
	SEEP_NTESTS = SEEP_CLEAR
};
const char *seep_window__test_name(enum seep_test t);

/* The residual standard deviation of the window's line (0 under 3 samples). */
double seep_window__residual_sd(const struct seep_window *w);

bool seep_window__fits(const struct detect_params *p, const struct seep_window *w);
bool seep_window__rises(const struct detect_params *p, const struct seep_window *w);
/* Also gives the samples until U from the level now through *TO_THRESHOLD
 * (may be NULL; INFINITY when the line does not rise). */
bool seep_window__reaches(const struct detect_params *p, const struct seep_window *w,
			  double *to_threshold);
bool seep_window__persists(const struct detect_params *p, const struct seep_window *w);
bool seep_window__still_growing(const struct detect_params *p, const struct seep_window *w);
bool seep_window__no_level_shift(const struct detect_params *p, const struct seep_window *w);

/* A window shorter than seep_min_window_s (a leak that began less than one
 * daily cycle ago) must also end at a new high: its level now (its line's
 * end, or REACHED, the highest value inside the window, when that is
 * lower) is above HIST_MAX, the highest level of the series before the
 * window, by seep_new_high_sd residual sds. A daily cycle's rising half
 * does not get there, nor a cache refilling to the cap it had before; a
 * leak that took off late does. */
bool seep_window__new_high(const struct detect_params *p, const struct seep_window *w,
			   double hist_max, double reached);

/* The series' own variation at SHARE of the window's length: the spread
 * of the differences over that many samples (at least 1) of the series up
 * to the window's end with the window's growth taken out (its line in it,
 * its start level before it), so that wander of the background counts and
 * the leak does not. The spread is the smaller of the robust sd and the
 * RMS about the mean (0 under 3 pairs). SCRATCH holds w->n doubles. */
double seep_window__wander(const struct seep_window *w, double share, double *scratch);

/* Test 8, run last (O(n), on a window that passed the others): the line's
 * rise over the window is at least seep_min_wander times the series' own
 * variation at seep_wander_lag of the window's length (seep_window__wander);
 * true when seep_min_wander is 0. A rise inside the background's wander at
 * the leak's own time scale is not clearly a leak. */
bool seep_window__clear(const struct detect_params *p, const struct seep_window *w,
			double *scratch);

/* The first test the window fails, SEEP_PASSED when it passes all six;
 * *TO_THRESHOLD as for seep_window__reaches (set only once test 3 ran). */
enum seep_test seep_window__first_failure(const struct detect_params *p,
					  const struct seep_window *w, double *to_threshold);
/* All six in order: first_failure() == SEEP_PASSED. */
bool seep_window__accept(const struct detect_params *p, const struct seep_window *w,
			 double *to_threshold);

/* Where growth starts in the window: the hinge y = a + b·max(0, x - h)
 * that fits best with at least MIN_TAIL samples after h. Returns h, or
 * w->from when the hinge does not beat the line's SSE by a fifth. */
size_t seep_window__onset(const struct seep_window *w, size_t min_tail);

#endif
