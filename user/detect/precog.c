/* precog — Precog training and model files; see precog.h. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/linfit.h"
#include "detect/precog.h"

#define MODEL_FORMAT "seep-precog-1"

void precog_model__release(struct precog_model *m)
{
	if (!m)
		return;
	free(m->trends);
	memset(m, 0, sizeof(*m));
}

int precog__train(const struct detect_params *p, const struct series *s,
		  struct precog_model *m)
{
	double per_hour = 3600.0 / s->step, crit = p->critical_s / s->step;
	size_t *cp = NULL, ncp = 0;
	struct linfit lf;
	int err;

	memset(m, 0, sizeof(*m));
	if (!(s->step > 0))
		return -EINVAL;
	m->train_max = -1e300;	/* no training data: every window is above it */
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] > m->train_max)
			m->train_max = s->v[i];
	err = linfit__init(&lf, s->v, s->n);
	if (err)
		return err;
	err = linfit__cpd(s->v, s->n, p->cpd_z, (size_t)llround(p->cpd_min_dist_s / s->step),
			  &cp, &ncp);
	if (err)
		goto cleanup;
	m->trends = calloc(ncp ? ncp : 1, sizeof(*m->trends));
	if (!m->trends) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t p1 = 0; p1 < ncp; p1++) {
		double db = 0, sb = 0, tb = INFINITY;
		int found = 0;

		for (size_t p2 = p1 + 1; p2 < ncp; p2++) {
			struct line l;
			double d;

			if (linfit__fit(&lf, cp[p1], cp[p2], &l))
				continue;
			d = (double)(cp[p2] - cp[p1]);
			if (d * s->step < p->min_trend_s)
				continue;
			if (l.r2 >= p->r2_min && d >= db && l.slope >= sb) {
				db = d;
				sb = l.slope;
				tb = line__samples_to(&l, p->threshold);
				found = 1;
			}
		}
		/* the pseudo-code starts Tb at 0, which would save an empty (0, 0)
		 * trend for every start without a line: only real lines are saved */
		if (!found || tb > crit)
			continue;
		if (db * s->step >= m->dmax_s && sb * per_hour >= m->smax_per_hour) {
			m->dmax_s = db * s->step;
			m->smax_per_hour = sb * per_hour;
		}
		m->trends[m->ntrends].duration_s = db * s->step;
		m->trends[m->ntrends].slope_per_hour = sb * per_hour;
		m->ntrends++;
	}
cleanup:
	free(cp);
	linfit__release(&lf);
	if (err)
		precog_model__release(m);
	return err;
}

int precog__save(const struct precog_model *m, const char *path)
{
	json_t *root = json_object(), *trends = json_array();
	int err = 0;

	if (!root || !trends) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < m->ntrends; i++)
		json_array_append_new(trends, json_pack("{s:f,s:f}",
			"duration_s", m->trends[i].duration_s,
			"slope_per_hour", m->trends[i].slope_per_hour));
	json_object_set_new(root, "format", json_string(MODEL_FORMAT));
	json_object_set_new(root, "dmax_s", json_real(m->dmax_s));
	json_object_set_new(root, "smax_per_hour", json_real(m->smax_per_hour));
	json_object_set_new(root, "train_max", json_real(m->train_max));
	json_object_set(root, "trends", trends);
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(17)))
		err = errno ? -errno : -EIO;
cleanup:
	json_decref(trends);
	json_decref(root);
	return err;
}

int precog__load(struct precog_model *m, const char *path, char *err, size_t errlen)
{
	json_t *root, *trends, *t;
	json_error_t jerr;
	const char *fmt = NULL;
	size_t i;
	int rc = -EINVAL;

	memset(m, 0, sizeof(*m));
	root = json_load_file(path, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "cannot read model '%s': %s (line %d)", path, jerr.text,
			 jerr.line);
		return -EINVAL;
	}
	if (json_unpack_ex(root, &jerr, 0, "{s:s,s:F,s:F,s:F,s:o}", "format", &fmt,
			   "dmax_s", &m->dmax_s, "smax_per_hour", &m->smax_per_hour,
			   "train_max", &m->train_max, "trends", &trends) ||
	    strcmp(fmt, MODEL_FORMAT) || !json_is_array(trends)) {
		snprintf(err, errlen, "'%s' is not a seep precog model: %s", path,
			 fmt && strcmp(fmt, MODEL_FORMAT) ? "unknown format" : jerr.text);
		goto cleanup;
	}
	m->trends = calloc(json_array_size(trends) + 1, sizeof(*m->trends));
	if (!m->trends) {
		rc = -ENOMEM;
		goto cleanup;
	}
	json_array_foreach(trends, i, t) {
		struct precog_trend *tr = &m->trends[m->ntrends];

		if (json_unpack(t, "{s:F,s:F}", "duration_s", &tr->duration_s,
				"slope_per_hour", &tr->slope_per_hour)) {
			snprintf(err, errlen, "'%s': trend %zu lacks duration_s or slope_per_hour",
				 path, i);
			goto cleanup;
		}
		m->ntrends++;
	}
	rc = 0;
cleanup:
	json_decref(root);
	if (rc)
		precog_model__release(m);
	return rc;
}
