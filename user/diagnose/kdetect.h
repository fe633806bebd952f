/* kdetect — leak detectors over each kernel site's live-bytes series.
 *
 * Over a run of kernel reports (seep trace --kernel --interval, or the
 * daemon), each site's live bytes in each report make one series, one
 * sample per report at the report interval STEP_S (the last MAX_POINTS
 * kept). A site absent from a report (it held nothing, or was pruned)
 * starts over. At each commit every series of at least
 * KDETECT_MIN_POINTS samples is judged by LBR (detect.h) without
 * resampling or smoothing (the samples are exact counts on a regular
 * grid): a leak is a line over at least KDETECT_MIN_POINTS samples ending
 * now, R² >= 0.8, that would add as much again as the series rose (at
 * least one byte) within twice the series' span. Beside kgrowth's rule
 * (a rise in every interval) this tolerates an interval without growth,
 * and refuses a single step.
 * Plain data in and out (site ids from kreport_site.id, bytes): the
 * daemon can feed it from any source. Ownership: the detector owns its
 * series; kdetect__free() accepts NULL. 0 or -errno.
 */
#ifndef SEEP_KDETECT_H
#define SEEP_KDETECT_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/kreport.h"

#define KDETECT_MIN_POINTS 5

struct kdetect;

/* NULL if out of memory or STEP_S is not positive; MAX_POINTS 0: 240. */
struct kdetect *kdetect__new(double step_s, size_t max_points);
void kdetect__free(struct kdetect *d);
/* Site ID holds BYTES live in the report being made; each ID once per
 * report. 0 or -ENOMEM. */
int kdetect__observe(struct kdetect *d, uint64_t id, uint64_t bytes);
/* Ends the report: the sites it did not observe are forgotten, the others
 * judged. 0 or -ENOMEM. */
int kdetect__commit(struct kdetect *d);
/* The last verdict on site ID into *OUT (judged false if it has none). */
void kdetect__verdict(const struct kdetect *d, uint64_t id, struct kreport_detect *out);
/* Sites called leaks at the last commit. */
size_t kdetect__leaks(const struct kdetect *d);
/* Fills R's shown sites' detect fields and R->detected_total. */
void kdetect__annotate(const struct kdetect *d, struct kreport *r);

#endif
