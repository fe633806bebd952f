/* precog — Precog's training phase and its model file (Jindal et al.,
 * algorithm 3, procedure Train).
 *
 * Training finds, for every change point taken as a fixed start, the best
 * line to a later change point (R² >= r2_min, longest duration, then highest
 * slope); if that line reaches the threshold within the critical time its
 * duration and slope are kept as a historic trend. The model also keeps the
 * maximum duration and slope over the trends and the training series'
 * maximum (used by PrecogMF's maximum filtration). Durations are stored in
 * seconds and slopes per hour, so a model is independent of the resolution.
 *
 * The model file is JSON (jansson): {"format":"seep-precog-1","dmax_s":…,
 * "smax_per_hour":…, "train_max":…, "trends":[{"duration_s":…,
 * "slope_per_hour":…}, …]}.
 *
 * Ownership: a precog_model owns its trends array; precog_model__release
 * frees it (a zeroed model is fine).
 */
#ifndef SEEP_PRECOG_H
#define SEEP_PRECOG_H

#include <stddef.h>

#include "detect/params.h"
#include "detect/series.h"

struct precog_trend {
	double duration_s;
	double slope_per_hour;
};

struct precog_model {
	double dmax_s;
	double smax_per_hour;
	double train_max;
	struct precog_trend *trends;
	size_t ntrends;
};

/* Trains on S (already pre-processed). M is initialized by the call. */
int precog__train(const struct detect_params *p, const struct series *s,
		  struct precog_model *m);
void precog_model__release(struct precog_model *m);

int precog__save(const struct precog_model *m, const char *path);
/* On -EINVAL, ERR receives a one-line message. */
int precog__load(struct precog_model *m, const char *path, char *err, size_t errlen);

#endif
