/* contrast — the CONAN data model, objective functions and pattern scoring.
 *
 * CONAN (shared/seeds/conan-contrast-patterns.txt) explains why two groups of
 * instances differ: a target class (leaking hosts, failed requests, snapshots
 * during growth) and a background class (the healthy reference). Every
 * instance is a set of attribute-value pairs (AVPs), one value per attribute,
 * a class, and optionally a metric (bytes, latency). A contrast pattern is a
 * set of AVPs on distinct attributes; an objective function f_{B,T}(p) scores
 * how well p sets the target apart from the background.
 *
 * Data model. Instances arrive aggregated: one row per distinct combination
 * of values (and metric value) with a count, so 10^8 raw instances fit in a
 * few 10^5..10^6 rows. A bucketed metric (latency histograms) is the same
 * thing: one row per (combination, bucket), the bucket's representative value
 * as metric and the number of instances in it as count. Raw input (one row
 * per instance) is aggregated on load: identical rows merge. Each value is
 * interned per attribute and every AVP gets a dense global id, so a row is
 * `nattrs` uint32 AVP ids.
 *
 * Invariants after contrast_data__finalize(): rows are ordered target rows
 * first, then background rows, each group by ascending metric (stable); the
 * values are stored by attribute (one column of AVP ids per attribute); and
 * every AVP has a posting list of the rows containing it, in row order. So
 * any subset of rows visited in row order is also visited in metric order
 * within each class, which makes weighted percentiles a single scan.
 *
 * Objectives (all over instance counts, i.e. row counts summed):
 *   proportion  |S_T(p)|/|S_T| - |S_B(p)|/|S_B|      (paper Eq. 2)
 *   count       |S_T(p)| - |S_B(p)|                  (Eq. 6)
 *   p90         P90(S_T(p)) - P90(S_B(p))            (Eq. 4; nearest rank,
 *               weighted by count; the P90 of an empty set is 0)
 *   sum         sum metric_T(p) - sum metric_B(p)    (Eq. 5; count * metric)
 * and any user function over struct contrast_stats (the callback hook).
 *
 * Ownership: contrast_data owns its strings, rows and postings; pointers it
 * returns stay valid until contrast_data__free(). Errors: 0 or -errno.
 */
#ifndef SEEP_CONTRAST_H
#define SEEP_CONTRAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum contrast_class { CONTRAST_BACKGROUND = 0, CONTRAST_TARGET = 1 };

#define CONTRAST_MAX_LEN 8      /* longest pattern the engine handles */
#define CONTRAST_NONE UINT32_MAX

struct contrast_data;

/* --- data ---------------------------------------------------------------- */

/* A data set over NATTRS attributes named NAMES (copied). NULL, errno set. */
struct contrast_data *contrast_data__new(size_t nattrs, const char *const *names);
void contrast_data__free(struct contrast_data *d);

/* Adds COUNT instances of class CLS with attribute VALUES (nattrs strings,
 * copied) and METRIC (ignored unless the data has metrics; pass 0). A row
 * identical to an earlier one (values, class and metric) adds its count to
 * it, so raw instances aggregate as they load; rows with COUNT 0 are
 * dropped. -EBUSY after finalize, -ENOMEM, -EINVAL on bad class. */
int contrast_data__add(struct contrast_data *d, const char *const *values,
		       enum contrast_class cls, uint64_t count, double metric);
/* Marks that rows carry metrics (call before finalize). */
void contrast_data__set_has_metric(struct contrast_data *d, bool has_metric);
/* Sorts rows and builds the posting lists; no more adds afterwards. */
int contrast_data__finalize(struct contrast_data *d);

size_t contrast_data__nattrs(const struct contrast_data *d);
const char *contrast_data__attr_name(const struct contrast_data *d, size_t attr);
int contrast_data__attr_index(const struct contrast_data *d, const char *name);
size_t contrast_data__nvalues(const struct contrast_data *d, size_t attr);
bool contrast_data__has_metric(const struct contrast_data *d);

size_t contrast_data__navps(const struct contrast_data *d);
uint32_t contrast_data__avp_attr(const struct contrast_data *d, uint32_t avp);
/* Index of the AVP's value among its attribute's values (0..nvalues-1). */
uint32_t contrast_data__avp_local(const struct contrast_data *d, uint32_t avp);
const char *contrast_data__avp_value(const struct contrast_data *d, uint32_t avp);
/* AVP id of ATTR=VALUE, or CONTRAST_NONE. */
uint32_t contrast_data__avp_find(const struct contrast_data *d, size_t attr, const char *value);

size_t contrast_data__nrows(const struct contrast_data *d);
/* After finalize, the data is stored by attribute: the AVP ids of ATTR for
 * every row (nrows entries), and one cell. */
const uint32_t *contrast_data__column(const struct contrast_data *d, size_t attr);
uint32_t contrast_data__value(const struct contrast_data *d, size_t row, size_t attr);
enum contrast_class contrast_data__row_class(const struct contrast_data *d, size_t row);
uint64_t contrast_data__row_count(const struct contrast_data *d, size_t row);
double contrast_data__row_metric(const struct contrast_data *d, size_t row);
/* Instances of class CLS in the whole data set. */
uint64_t contrast_data__total(const struct contrast_data *d, enum contrast_class cls);
/* Rows containing AVP, ascending. Valid after finalize. */
const uint32_t *contrast_data__postings(const struct contrast_data *d, uint32_t avp, size_t *n);

/* Parses a metric cell: a number ("12.5"), or a bucket label whose upper
 * bound represents it ("100-500" -> 500, "<100" -> 100) or, when open above,
 * its lower bound (">1000" or "1000+" -> 1000). 0 or -EINVAL. */
int contrast__parse_metric(const char *s, double *out);

/* --- objectives ------------------------------------------------------------ */

/* What a pattern covers, per class (index with enum contrast_class). */
struct contrast_stats {
	uint64_t count[2];  /* instances matching the pattern */
	uint64_t total[2];  /* instances of the class */
	double sum[2];      /* sum of count * metric over matching rows */
	double p90[2];      /* weighted nearest-rank 90th percentile; 0 if none */
};

enum {
	CONTRAST_NEED_METRIC = 1 << 0,   /* objective reads sum/p90 */
	CONTRAST_NEED_P90    = 1 << 1,   /* compute p90 (a second scan) */
};

typedef double (*contrast_score_fn)(const struct contrast_stats *s, void *ctx);

/* An objective function: built in (contrast_objective__lookup) or the
 * user's own callback with its context. */
struct contrast_objective {
	const char *name;
	contrast_score_fn score;
	unsigned flags;
	void *ctx;
};

/* Fills OUT with the built-in objective NAME: proportion, count, p90, sum.
 * -ENOENT if unknown. */
int contrast_objective__lookup(const char *name, struct contrast_objective *out);
/* Names of the built-in objectives, NULL-terminated. */
const char *const *contrast_objective__names(void);

/* Stats of the rows ROWS[0..n) (ascending row order). FLAGS as above. */
void contrast_data__stats(const struct contrast_data *d, const uint32_t *rows,
			  size_t n, unsigned flags, struct contrast_stats *out);

/* --- patterns -------------------------------------------------------------- */

/* AVPs on distinct attributes, sorted by AVP id (the canonical form), with the
 * pattern's score and the instances it covers. */
struct contrast_pattern {
	uint32_t len;
	uint32_t avp[CONTRAST_MAX_LEN];
	double score;
	uint64_t count[2];
};

/* Best first: higher score, then shorter, then smaller AVP ids. */
int contrast_pattern__cmp(const struct contrast_pattern *a, const struct contrast_pattern *b);
bool contrast_pattern__same(const struct contrast_pattern *a, const struct contrast_pattern *b);
bool contrast_pattern__has_attr(const struct contrast_data *d,
				const struct contrast_pattern *p, uint32_t attr);
/* Inserts AVP keeping the canonical order; -E2BIG when full. */
int contrast_pattern__add(struct contrast_pattern *p, uint32_t avp);
void contrast_pattern__del(struct contrast_pattern *p, uint32_t avp);
/* The pattern's AVPs ordered by attribute index (for printing) into OUT. */
void contrast_pattern__by_attr(const struct contrast_data *d,
			       const struct contrast_pattern *p, uint32_t *out);

/* Evaluates patterns: intersects posting lists (scanning the shortest and
 * checking the other items on each row) and applies the objective. */
struct contrast_eval;

struct contrast_eval *contrast_eval__new(const struct contrast_data *d,
					 const struct contrast_objective *obj);
void contrast_eval__free(struct contrast_eval *ev);
/* Sets P->score and P->count; returns 0. Fills STATS if not NULL. */
int contrast_eval__pattern(struct contrast_eval *ev, struct contrast_pattern *p,
			   struct contrast_stats *stats);
/* Rows matching the last evaluated pattern, valid until the next call. */
const uint32_t *contrast_eval__rows(const struct contrast_eval *ev, size_t *n);

/* --- the best-patterns list (L_c) ---------------------------------------- */

/* A fixed-capacity list of distinct patterns, kept sorted best first. */
struct contrast_top;

struct contrast_top *contrast_top__new(size_t cap);
void contrast_top__free(struct contrast_top *t);
/* Offers P: returns 1 if the list changed, 0 if not (full and P not better,
 * or already present). */
int contrast_top__offer(struct contrast_top *t, const struct contrast_pattern *p);
size_t contrast_top__len(const struct contrast_top *t);
size_t contrast_top__cap(const struct contrast_top *t);
const struct contrast_pattern *contrast_top__get(const struct contrast_top *t, size_t i);
/* Removes the entries whose KEEP flag is false, preserving order. */
void contrast_top__filter(struct contrast_top *t, const bool *keep);

#endif
