/* detect — LBR, LBRCPD, Precog(MF) test, seep's detector, pattern classes;
 * see detect.h. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect.h"
#include "detect/linfit.h"
#include "detect/precog.h"
#include "detect/robust.h"
#include "detect/seep_window.h"

static const char *const algo_names[DETECT_NALGOS] = {
	[DETECT_LBR] = "lbr",
	[DETECT_LBRCPD] = "lbrcpd",
	[DETECT_PRECOG] = "precog",
	[DETECT_PRECOGMF] = "precogmf",
	[DETECT_SEEP] = "seep",
};

static const char *const pattern_names[PATTERN_NPATTERNS] = {
	[PATTERN_STEADY] = "steady",
	[PATTERN_SPIKE] = "spike",
	[PATTERN_STAIR] = "stair",
	[PATTERN_SAWTOOTH] = "sawtooth",
	[PATTERN_PLATEAU] = "plateau",
	[PATTERN_NONE] = "none",
};

const char *detect__algo_name(enum detect_algo a)
{
	return a < DETECT_NALGOS ? algo_names[a] : "?";
}

int detect__algo_parse(const char *name, enum detect_algo *out)
{
	for (int i = 0; i < DETECT_NALGOS; i++)
		if (!strcmp(name, algo_names[i])) {
			*out = (enum detect_algo)i;
			return 0;
		}
	return -EINVAL;
}

const char *detect__pattern_name(enum detect_pattern p)
{
	return p < PATTERN_NPATTERNS ? pattern_names[p] : "?";
}

int detect__preprocess(const struct detect_params *p, const struct series *raw,
		       struct series *out)
{
	int err = series__resample(raw, p->step_s, out);

	if (err)
		return err;
	err = series__median_smooth(out, (size_t)llround(p->smooth_s / p->step_s));
	if (err)
		series__release(out);
	return err;
}

/* Robust scale of the first differences of v[from, to). */
static double diff_noise(const double *v, size_t from, size_t to)
{
	return robust__diff_noise(v + from, to - from, 1, NULL);
}

static void result_empty(struct detect_result *r, enum detect_algo algo,
			 const struct series *s)
{
	memset(r, 0, sizeof(*r));
	r->algo = algo;
	r->time_to_threshold_s = INFINITY;
	r->window_start = r->window_end = NAN;
	r->slope_per_hour = r->intercept = r->r2 = NAN;
	r->pattern = s->n ? classify__window(s->v, 0, s->n, NULL, &r->why) : PATTERN_NONE;
}

static void result_from_line(struct detect_result *r, const struct series *s,
			     const struct line *l, double to_threshold)
{
	r->leak = 1;
	r->from = l->from;
	r->to = l->to;
	r->window_start = s->t[l->from];
	r->window_end = s->t[l->to - 1];
	r->slope_per_hour = l->slope * 3600.0 / s->step;
	r->intercept = l->intercept;
	r->r2 = l->r2;
	r->time_to_threshold_s = to_threshold * s->step;
	r->pattern = classify__window(s->v, l->from, l->to, &r->restarts, &r->why);
}

/* The paper's test: a trend of at least the minimum duration, a good fit,
 * reaching U within C. */
static int qualifies(const struct detect_params *p, const struct series *s,
		     const struct line *l)
{
	return l->to - l->from >= detect_params__samples(p->min_trend_s, s->step) &&
	       l->r2 >= p->r2_min &&
	       line__samples_to(l, p->threshold) * s->step <= p->critical_s;
}

int detect__lbr(const struct detect_params *p, const struct series *s, struct detect_result *r)
{
	size_t wmin = detect_params__samples(p->min_trend_s, s->step);
	size_t wmax = detect_params__samples(p->max_window_s, s->step);
	struct line best = { 0 };
	struct linfit lf;
	int err, found = 0;

	result_empty(r, DETECT_LBR, s);
	if (wmin < 2)
		wmin = 2;
	err = linfit__init(&lf, s->v, s->n);
	if (err)
		return err;
	/* i grows backwards from the end; the longest qualifying window wins */
	for (size_t i = wmin; i <= s->n && i <= wmax; i++) {
		struct line l;

		if (linfit__fit(&lf, s->n - i, s->n, &l))
			continue;
		if (qualifies(p, s, &l)) {
			best = l;
			found = 1;
		}
	}
	if (found)
		result_from_line(r, s, &best, line__samples_to(&best, p->threshold));
	linfit__release(&lf);
	return 0;
}

/* The windows of LBRCPD and Precog's test: [P[k-i], P[k]) for i = 1..k,
 * from the last change point back. A window counts when it qualifies and,
 * with a model M, is steeper and longer than the historic maximum or than
 * one historic trend. BEST receives the longest; returns 1 if any. */
static int backward_cpd(const struct detect_params *p, const struct series *s,
			const struct precog_model *m, struct line *best, size_t *ncp, int *err)
{
	double per_hour = 3600.0 / s->step;
	size_t *cp = NULL;
	struct linfit lf;
	int found = 0;

	*ncp = 0;
	*err = linfit__init(&lf, s->v, s->n);
	if (*err)
		return 0;
	*err = linfit__cpd(s->v, s->n, p->cpd_z, detect_params__samples(p->cpd_min_dist_s, s->step),
			   &cp, ncp);
	for (size_t i = 1; !*err && i < *ncp; i++) {
		struct line l;
		double d, sl;
		int anomalous = !m;

		if (linfit__fit(&lf, cp[*ncp - 1 - i], cp[*ncp - 1], &l) || !qualifies(p, s, &l))
			continue;
		d = (double)(l.to - l.from) * s->step;
		sl = l.slope * per_hour;
		if (m && sl >= m->smax_per_hour && d >= m->dmax_s)
			anomalous = 1;
		for (size_t k = 0; m && !anomalous && k < m->ntrends; k++)
			if (sl >= m->trends[k].slope_per_hour && d >= m->trends[k].duration_s)
				anomalous = 1;
		if (anomalous) {
			*best = l;
			found = 1;
		}
	}
	free(cp);
	linfit__release(&lf);
	return found && !*err;
}

int detect__lbrcpd(const struct detect_params *p, const struct series *s, struct detect_result *r)
{
	struct line best = { 0 };
	size_t ncp;
	int err;

	result_empty(r, DETECT_LBRCPD, s);
	if (backward_cpd(p, s, NULL, &best, &ncp, &err))
		result_from_line(r, s, &best, line__samples_to(&best, p->threshold));
	r->ncp = ncp;
	return err;
}

int detect__precog(const struct detect_params *p, const struct precog_model *m,
		   const struct series *s, int mf, struct detect_result *r)
{
	struct line best = { 0 };
	size_t ncp;
	int err, found;

	result_empty(r, mf ? DETECT_PRECOGMF : DETECT_PRECOG, s);
	found = backward_cpd(p, s, m, &best, &ncp, &err);
	if (found && mf) {
		/* maximum filtration: a window that stays below the training
		 * maximum is the application's normal behaviour */
		double mx = -INFINITY;

		for (size_t i = best.from; i < best.to; i++)
			mx = fmax(mx, s->v[i]);
		if (mx < m->train_max)
			found = 0;
	}
	if (found)
		result_from_line(r, s, &best, line__samples_to(&best, p->threshold));
	r->ncp = ncp;
	return err;
}

/* --- seep's detector ------------------------------------------------------- */

/* Restarts: a sawtooth leak grows, restarts back to its base, grows again.
 * A restart is a drop (over one or a few samples) larger than JUMP that ends
 * a tooth which rose gradually from its own base (the last sample before
 * the drop's peak within DETECT_TOOTH_BASE_FRAC of the drop above the
 * level it lands on) over at least MIN_TOOTH samples, as a rising line (_tooth_rises), by
 * at least half the drop, and gives back >= seep_drop_frac of that rise.
 * One restart is enough when growth resumes after it at a similar slope (a
 * rising line to the end of at least MIN_TOOTH samples, its slope within a
 * factor 2 of the tooth's);
 * with two or more the teeth speak for themselves. A restart whose drop is
 * under DIP_SHARE of a later one's, inside that later one's tooth, is a dip
 * of it and no restart. U receives v with every
 * drop added back (the leak as if nothing had restarted) and OFF[i] the
 * total added at i; with no restart U = V. Returns the restarts used. */
#define TOOTH_END_FRAC 0
/* A restart found inside a later tooth (the later tooth's base lies before
 * it) whose drop is under this share of the later one's is a dip of that
 * tooth, and is undone: a background drop in a long tooth otherwise cut it
 * short, its rise then fell under half its drop and the real restart went
 * unseen. At 0.3 on the tuning seeds saw1 0.92 -> 0.94, false positives
 * 49 -> 49; at 0.5 sawmany 0.98 -> 0.97 (similar teeth undone). */
#define DIP_SHARE 0.3
/* DETECT_LONG_TOOTH (detect.h): 0.5 found more (saw1 0.93) but daily
 * halves too (false positives 50 -> 66 on the tuning seeds).
 * DETECT_TOOTH_BASE_FRAC: 0.35 took the upper part of a noisy tooth only,
 * whose top then decided: sawlate 0.91 -> 0.96 and saw1 0.91 -> 0.92 at 0.2
 * on the tuning seeds, false positives 50 -> 49; 0.1 and 0.25 found as many
 * leaks but 55-59 false positives. */

struct restart {
	size_t a, j;		/* the descent [a - 1, j] */
	double slope;		/* the tooth's, per sample */
};

/* A leak is restarted while it grows: the last third of the tooth
 * [BASE, A) does not fall (its slope is at least TOOTH_END_FRAC of the
 * tooth's SLOPE). Growth that levelled off and sagged before a drop is
 * bounded, and the drop no restart. (Half the slope rejected too many
 * noisy teeth: sawmany 0.97 -> 0.88 on the tuning seeds.) */
static bool _grows_into(const struct linfit *lv, size_t base, size_t a, double slope)
{
	size_t third = (a - base) / 3;
	struct line l;

	if (third < 4)
		return true;
	return !linfit__fit(lv, a - third, a, &l) && l.slope >= TOOTH_END_FRAC * slope;
}

/* A tooth (or the growth after a restart) on [FROM, TO) is a line that
 * rises: with R² >= seep_tooth_r2, or, when it lasts LONG samples or more
 * (one seep_min_window_s: longer than a daily cycle's rising half), with a
 * rise of at least seep_min_snr of its residual sds (significant against
 * the noise on it). The line goes to *L. */
static bool _tooth_rises(const struct detect_params *p, const struct linfit *lv, size_t from,
			 size_t to, size_t long_tooth, struct line *l)
{
	double slope, sd, rise;

	if (linfit__fit(lv, from, to, l) || !(l->slope > 0))
		return false;
	if (!(l->r2 < p->seep_tooth_r2))
		return true;
	if (to - from < long_tooth || to - from < 3)
		return false;
	sd = sqrt(linfit__sse(lv, from, to, &slope) / (double)(to - from - 2));
	rise = l->slope * (double)(to - from - 1);
	return !(rise < p->seep_min_snr * sd);
}

static size_t desaw(const struct detect_params *p, const struct linfit *lv, const double *v,
		    size_t n, double jump, size_t min_tooth, size_t long_tooth, double *u,
		    double *off)
{
	struct restart rs[64] = { 0 };  /* cppcheck cannot see that nrs guards the reads */
	size_t nrs = 0, seg = 0;

	for (size_t i = 0; i < n; i++) {
		u[i] = v[i];
		off[i] = 0;
	}
	for (size_t i = 1; i < n && nrs < sizeof(rs) / sizeof(rs[0]); i++) {
		size_t a = i, j = i, base;
		double rise, drop, land;
		struct line l;

		/* a sharp step down, widened to the whole monotone descent:
		 * smoothing spreads one restart over a few samples */
		if (v[i] - v[i - 1] >= -jump / 2)
			continue;
		while (a - 1 > seg && v[a - 2] > v[a - 1])
			a--;
		while (j + 1 < n && v[j + 1] < v[j])
			j++;
		drop = v[a - 1] - v[j];
		land = v[j] + DETECT_TOOTH_BASE_FRAC * drop;
		/* the tooth's own base: back from the peak while above the landing */
		for (base = a - 1; base > seg && v[base - 1] > land; base--)
			;
		/* back at the restart before, still above the landing: that
		 * restart was a dip inside this taller tooth, not a restart */
		while (base == seg && nrs && v[seg] > land &&
		       v[rs[nrs - 1].a - 1] - v[rs[nrs - 1].j] < DIP_SHARE * drop) {
			nrs--;
			seg = nrs ? rs[nrs - 1].j : 0;
			for (; base > seg && v[base - 1] > land; base--)
				;
		}
		if (base > seg)
			base--;
		rise = v[a - 1] - v[base];
		if (drop > jump && a - 1 - base >= min_tooth && rise >= 0.5 * drop &&
		    drop >= p->seep_drop_frac * rise && fabs(v[j] - v[base]) <= 0.35 * drop &&
		    _tooth_rises(p, lv, base, a, long_tooth, &l) &&
		    _grows_into(lv, base, a, l.slope)) {
			rs[nrs].a = a;
			rs[nrs].j = j;
			rs[nrs].slope = l.slope;
			nrs++;
			seg = j;
		}
		i = j;
	}
	if (nrs == 1) {
		/* one restart: growth must resume at a similar slope */
		size_t j = rs[0].j, end = n, len = end - j;
		struct line l;

		if (len < min_tooth || len < 4 || !_tooth_rises(p, lv, j, end, long_tooth, &l) ||
		    l.slope < rs[0].slope / 2 || l.slope > rs[0].slope * 2)
			nrs = 0;
	}
	for (size_t k = 0; k < nrs; k++) {
		size_t a = rs[k].a, j = rs[k].j;
		double drop = v[a - 1] - v[j];

		for (size_t x = a; x < n; x++)
			off[x] += x <= j ? v[a - 1] - v[x] : drop;
	}
	for (size_t i = 0; i < n; i++)
		u[i] = v[i] + off[i];
	return nrs;
}

/* The jump a restart must exceed: well above the noise of the first
 * differences and a tenth of the range, and seep_restart_wander times the
 * series' own variation over TOOTH samples (the robust sd of its
 * differences at that lag): a short series' background drops and regrows
 * by that much, and a leak's restart gives back more. */
static double _restart_jump(const struct detect_params *p, const struct series *s, size_t tooth)
{
	double lo = INFINITY, hi = -INFINITY, jump;

	for (size_t i = 0; i < s->n; i++) {
		lo = fmin(lo, s->v[i]);
		hi = fmax(hi, s->v[i]);
	}
	jump = fmax(6 * diff_noise(s->v, 0, s->n), 0.1 * (hi - lo));
	if (p->seep_restart_wander > 0 && tooth)
		jump = fmax(jump, p->seep_restart_wander * robust__diff_noise(s->v, s->n, tooth, NULL));
	return jump > 0 ? jump : 1e-9;
}

/* Fills U (the series with its restarts added back) and OFF (what was added
 * at each sample) for S; the restarts found through *RESTARTS. */
static int _seep_desaw(const struct detect_params *p, const struct series *s, double *u,
		       double *off, size_t *restarts)
{
	size_t tooth = detect_params__samples(p->seep_tooth_min_s, s->step);
	struct linfit lf;
	int err = linfit__init(&lf, s->v, s->n);

	if (err)
		return err;
	*restarts = desaw(p, &lf, s->v, s->n, _restart_jump(p, s, tooth), tooth,
			  detect_params__samples(DETECT_LONG_TOOTH * p->seep_min_window_s, s->step),
			  u, off);
	linfit__release(&lf);
	return 0;
}

static void _explain_add(const struct detect_params *p, struct detect_explain *ex,
			 const struct series *s, const struct seep_window *w,
			 enum seep_test failed, double *scratch)
{
	struct detect_candidate *c;

	if (!ex || ex->ncand >= DETECT_EXPLAIN_MAX)
		return;
	c = &ex->cand[ex->ncand++];
	c->start = s->t[w->from];
	c->end = s->t[w->n - 1];
	c->slope_per_hour = w->line.slope * 3600.0 / s->step;
	c->r2 = w->line.r2;
	c->rise = w->line.slope * (double)(w->n - w->from - 1);
	c->residual_sd = seep_window__residual_sd(w);
	c->wander = (failed == SEEP_PASSED || failed == SEEP_CLEAR) && p->seep_min_wander > 0 ?
		    seep_window__wander(w, p->seep_wander_lag, scratch) : NAN;
	c->failed = failed;
}

static enum seep_test _seep_try(const struct detect_params *p, const struct linfit *lf,
				const struct series *s, double offset_now, size_t w,
				const double *hist_max, struct seep_window *win, double *tt,
				const double *off, double *scratch)
{
	size_t n = s->n;
	enum seep_test t;

	if (seep_window__init(win, lf, n - w, n, s->step, offset_now))
		return SEEP_FITS;
	win->scratch = scratch;
	/* a short window's new high first: it is O(1) and turns down most */
	if (hist_max && !seep_window__new_high(p, win, hist_max[n - w], hist_max[n + n - w]))
		return SEEP_NEW_HIGH;
	t = seep_window__first_failure(p, win, tt);
	/* the O(n) test last, on a window that passed all the others; a
	 * window with restarts added back inside has the teeth for its proof
	 * (and the seams of the adding back in its variation) */
	if (t == SEEP_PASSED && !(off[n - 1] > off[n - w]) &&
	    !seep_window__clear(p, win, scratch))
		t = SEEP_CLEAR;
	return t;
}

/* Tries windows ending now from W0 samples down to WSHORT, the ones under
 * WHIGH also at a new high; true at the first that passes. */
static bool _seep_scan_from(const struct detect_params *p, const struct linfit *lf,
			    const struct series *s, double offset_now, size_t w0, size_t whigh,
			    size_t wshort, const double *hist_max, struct seep_window *best,
			    double *tt, const double *off, double *scratch,
			    struct detect_explain *ex)
{
	size_t next = SIZE_MAX;

	for (size_t w = w0; w >= wshort && w >= 2; w--) {
		enum seep_test t = _seep_try(p, lf, s, offset_now, w, w < whigh ? hist_max : NULL,
					     best, tt, off, scratch);

		if (ex) {
			ex->tried++;
			ex->rejected[t]++;
			if (t == SEEP_PASSED || w <= next) {
				_explain_add(p, ex, s, best, t, scratch);
				next = (size_t)((double)w / 1.25);
			}
		}
		if (t == SEEP_PASSED)
			return true;
	}
	return false;
}

/* The longest window ending now, of WMIN..WMAX samples, that passes every
 * test (and ends at a new high when under WHIGH samples: seep_window__new_high)
 * into *BEST (its samples to threshold in *TT); failing that, the
 * longest of WSHORT..WMIN - 1 samples that also ends at a new high
 * (HIST_MAX[i]: the highest level before sample i; HIST_MAX[N + i]: the
 * highest from sample i to the end); failing that too, the longest of those
 * whose recent part and tail rise at all (seep_recent_frac 0): a leak of
 * less than one daily cycle rides the cycle, whose falling hours can slow
 * it well below its mean slope at the end, and the new high is the proof
 * that it grows. The second pass comes last so that a window that passes
 * the full test keeps its onset. False when none does; *RECENT_FRAC gets
 * the seep_recent_frac of the pass that accepted. */
static bool _seep_scan(const struct detect_params *p, const struct linfit *lf,
		       const struct series *s, double offset_now, size_t wmin, size_t whigh,
		       size_t wmax, size_t wshort, const double *hist_max,
		       struct seep_window *best, double *tt, const double *off, double *scratch,
		       struct detect_explain *ex, double *recent_frac)
{
	size_t n = s->n, w0 = n < wmax ? n : wmax;
	struct detect_params rising = *p;

	*recent_frac = p->seep_recent_frac;
	if (_seep_scan_from(p, lf, s, offset_now, w0, whigh, wshort, hist_max, best, tt, off,
			    scratch, ex))
		return true;
	if (wmin <= wshort)
		return false;
	rising.seep_recent_frac = *recent_frac = 0;
	return _seep_scan_from(&rising, lf, s, offset_now, w0 < wmin ? w0 : wmin - 1, whigh,
			       wshort, hist_max, best, tt, off, scratch, ex);
}

/* Restarts inside [from, to): OFF rises over each restart's descent, so a
 * restart is where a rise of OFF starts. */
static size_t _count_restarts(const double *off, size_t from, size_t to)
{
	size_t rs = 0;

	for (size_t i = from + 1; i < to; i++) {
		int rising = off[i] > off[i - 1], was = i >= 2 && off[i - 1] > off[i - 2];

		rs += rising && !was;
	}
	return rs;
}

/* Fills R from the window W accepted at RECENT_FRAC (its pass's
 * seep_recent_frac), reporting the trend from where the growth starts (at
 * least MIN_TAIL samples before now). */
static void _seep_report(const struct detect_params *p, const struct series *s,
			 const struct seep_window *w, double recent_frac, double tt,
			 const double *off, size_t min_tail, struct detect_result *r)
{
	size_t start = seep_window__onset(w, min_tail), rs;
	struct line best = w->line;
	double added, grown;
	struct seep_window from_onset;

	if (start != w->from &&
	    !seep_window__init(&from_onset, w->lf, start, w->n, w->step, w->offset_now)) {
		best = from_onset.line;
		seep_window__reaches(p, &from_onset, &tt);
	}
	result_from_line(r, s, &best, tt);
	r->intercept -= off[best.from];
	if (r->pattern == PATTERN_PLATEAU && r->why.rule == CLASSIFY_LEVELLED) {
		/* a flat tail that test 5 took for the background wandering
		 * down at the end of the leak (it passed only with its
		 * allowance) is that, not growth that levelled off */
		struct seep_window plain = *w;
		struct detect_params at = *p;

		plain.scratch = NULL;
		at.seep_recent_frac = recent_frac;
		if (!seep_window__still_growing(&at, &plain)) {
			r->pattern = PATTERN_STEADY;
			r->why.rule = CLASSIFY_TREND;
		}
	}
	/* the restarts added back inside the window make it a sawtooth when
	 * they gave back a real share of the growth (a drop of the background
	 * during a leak's ramp is not a restart of the leak) */
	rs = _count_restarts(off, best.from, best.to);
	added = off[best.to - 1] - off[best.from];
	grown = best.slope * (double)(best.to - best.from);
	if (rs && added >= DETECT_RESTART_SHARE * fmax(grown, added)) {
		r->pattern = PATTERN_SAWTOOTH;
		r->restarts = rs;
		r->why.rule = CLASSIFY_RESTARTS;
		r->why.drops = rs;
	} else if (r->pattern == PATTERN_STEADY && best.from > 0) {
		/* a window that starts at a restart holds one tooth: with as
		 * much again before it, the restart and the tooth that ended
		 * there are in view (teeth from their own base) */
		size_t back = best.from - (best.from < best.to - best.from ? best.from :
					   best.to - best.from), rs2;
		struct classify_why why;

		if (classify__window(s->v, back, best.to, &rs2, &why) == PATTERN_SAWTOOTH) {
			r->pattern = PATTERN_SAWTOOTH;
			r->restarts = rs2;
			r->why = why;
		}
	}
}

int detect__seep(const struct detect_params *p, const struct series *s, struct detect_result *r)
{
	return detect__seep_explain(p, s, r, NULL);
}

int detect__seep_explain(const struct detect_params *p, const struct series *s,
			 struct detect_result *r, struct detect_explain *ex)
{
	size_t n = s->n, wmin = detect_params__samples(p->seep_min_window_s, s->step);
	size_t whigh = detect_params__samples(p->seep_new_high_window_s, s->step);
	size_t wmax = detect_params__samples(p->max_window_s, s->step);
	size_t wshort = detect_params__samples(p->seep_part_min_s, s->step);
	double *u = NULL, *off = NULL, *hist = NULL, tt = INFINITY, frac;
	struct seep_window best;
	struct linfit lf = { 0 };
	size_t restarts = 0;
	int err;

	result_empty(r, DETECT_SEEP, s);
	if (wmin < 8)
		wmin = 8;
	if (wshort < 8)
		wshort = 8;
	if (wshort > wmin)
		wshort = wmin;
	if (n < wshort)
		return 0;
	u = malloc(n * sizeof(*u));
	off = malloc(n * sizeof(*off));
	if (!u || !off) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = _seep_desaw(p, s, u, off, &restarts);
	if (err)
		goto cleanup;
	if (ex)
		ex->restarts = restarts;
	err = linfit__init(&lf, u, n);
	if (err)
		goto cleanup;
	/* for the short windows: the highest level before each sample, then
	 * the highest from each sample to the end */
	/* and after them, seep_window__clear's scratch */
	hist = malloc(3 * n * sizeof(*hist));
	if (!hist) {
		err = -ENOMEM;
		goto cleanup;
	}
	hist[0] = -INFINITY;
	for (size_t i = 1; i < n; i++)
		hist[i] = fmax(hist[i - 1], u[i - 1]);
	hist[n + n - 1] = u[n - 1];
	for (size_t i = n - 1; i-- > 0;)
		hist[n + i] = fmax(hist[n + i + 1], u[i]);
	if (whigh < wmin)
		whigh = wmin;
	if (_seep_scan(p, &lf, s, off[n - 1], wmin, whigh, wmax, wshort, hist, &best, &tt, off,
		       hist + 2 * n, ex, &frac))
		_seep_report(p, s, &best, frac, tt, off, best.n - best.from < wmin ? wshort : wmin,
			     r);
cleanup:
	linfit__release(&lf);
	free(hist);
	free(u);
	free(off);
	return err;
}

enum detect_pattern detect__classify(const struct series *s, size_t from, size_t to,
				     size_t *restarts)
{
	if (from == to) {
		from = 0;
		to = s->n;
	}
	return classify__window(s->v, from, to, restarts, NULL);
}

/* --- the pipeline ---------------------------------------------------------- */

/* Precog(MF) in the pipeline on the analysed S: the model IN->model, or
 * one trained on IN->train_raw, or on S's first train_fraction (then only
 * the rest is tested and the window is moved back into S's indexes). The
 * model trained, if any, goes to *OWN (the caller releases it). */
static int _run_precog(const struct detect_params *p, int mf, struct detect_input *in,
		       const struct series *s, struct precog_model *own, struct detect_result *r)
{
	const struct precog_model *model = in->model;
	struct series train = { 0 }, test = { 0 };
	size_t split = 0;
	int err = 0;

	if (!model) {
		if (in->train_raw) {
			err = detect__preprocess(p, in->train_raw, &train);
		} else {
			split = (size_t)floor(p->train_fraction * (double)s->n);
			err = series__slice(s, 0, split, &train);
		}
		if (!err)
			err = precog__train(p, &train, own);
		if (err)
			goto cleanup;
		model = own;
	}
	err = series__slice(s, split, s->n, &test);
	if (err)
		goto cleanup;
	err = detect__precog(p, model, &test, mf, r);
	if (!err && r->leak) {
		r->from += split;
		r->to += split;
	}
	in->split = split;
cleanup:
	series__release(&train);
	series__release(&test);
	return err;
}

/* The median interval between consecutive samples of S (0 under 2). */
static double _resolution(const struct series *s)
{
	double *d, res;

	if (s->n < 2)
		return 0;
	d = malloc((s->n - 1) * sizeof(*d));
	if (!d)
		return (s->t[s->n - 1] - s->t[0]) / (double)(s->n - 1);
	for (size_t i = 0; i + 1 < s->n; i++)
		d[i] = s->t[i + 1] - s->t[i];
	res = robust__median(d, s->n - 1);
	free(d);
	return res;
}

/* A short spike does not survive the smoothing: when no leak was found
 * and the analysed series S looks flat or levelled, the series resampled
 * but not smoothed is searched for one (classify__spike). */
static int _fine_spike(const struct detect_params *p, const struct series *raw,
		       const struct series *s, struct detect_result *r)
{
	struct series fine = { 0 };
	int err;

	if (r->leak || s->n < 2 || (r->pattern != PATTERN_NONE && r->pattern != PATTERN_PLATEAU) ||
	    llround(p->smooth_s / p->step_s) <= 1)
		return 0;
	err = series__resample(raw, p->step_s, &fine);
	if (err)
		return err;
	if (fine.n == s->n && classify__spike(fine.v, 0, fine.n, &r->why)) {
		r->pattern = PATTERN_SPIKE;
		r->why.rule = CLASSIFY_FINE_EXCURSION;
	}
	series__release(&fine);
	return 0;
}

int detect__run(const struct detect_params *user, enum detect_algo algo,
		struct detect_input *in, struct detect_result *r)
{
	struct precog_model own = { 0 };
	struct detect_params_why why;
	struct detect_params pd = *user, *p = &pd;
	struct series s = { 0 };
	int err;

	memset(r, 0, sizeof(*r));
	in->split = 0;
	detect_params__derive(p, in->raw->n ? in->raw->t[in->raw->n - 1] - in->raw->t[0] : 0,
			      _resolution(in->raw), &why);
	if (in->explain) {
		memset(in->explain, 0, sizeof(*in->explain));
		in->explain->used = pd;
		in->explain->why = why;
	}
	err = detect__preprocess(p, in->raw, &s);
	if (err)
		return err;
	switch (algo) {
	case DETECT_LBR:
		err = detect__lbr(p, &s, r);
		break;
	case DETECT_LBRCPD:
		err = detect__lbrcpd(p, &s, r);
		break;
	case DETECT_SEEP:
		err = detect__seep_explain(p, &s, r, in->explain);
		break;
	case DETECT_PRECOG:
	case DETECT_PRECOGMF:
		err = _run_precog(p, algo == DETECT_PRECOGMF, in, &s, &own, r);
		break;
	default:
		err = -EINVAL;
	}
	/* Precog trained OWN when no model was given */
	if (!err && in->trained && !in->model &&
	    (algo == DETECT_PRECOG || algo == DETECT_PRECOGMF)) {
		*in->trained = own;
		memset(&own, 0, sizeof(own));
	}
	if (!err)
		err = _fine_spike(p, in->raw, &s, r);
	precog_model__release(&own);
	if (!err && in->analysed)
		*in->analysed = s;
	else
		series__release(&s);
	return err;
}
