/* contrast_gen — synthetic CONAN data sets. See contrast_gen.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "contrast_gen.h"
#include "lib/rng.h"


void gen_spec__defaults(struct gen_spec *s, size_t ncombos, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->ncombos = ncombos;
	s->mean_count = 100;
	s->napps = 20;
	s->nversions = 5;
	s->nnodes = 200;
	s->nodes_per_rack = 10;
	s->racks_per_dc = 4;
	s->nnoise = 4;
	s->noise_values = 6;
	s->base_rate = 0.02;
	s->planted_rate = 0.4;
}

int gen_spec__plant(struct gen_spec *s, const char *item)
{
	const char *eq = strchr(item, '=');
	size_t alen = eq ? (size_t)(eq - item) : 0;

	if (s->nplanted == 4)
		return -E2BIG;
	if (!alen || alen >= sizeof(s->planted[0][0]) || strlen(eq + 1) >= sizeof(s->planted[0][1]))
		return -EINVAL;
	memcpy(s->planted[s->nplanted][0], item, alen);
	s->planted[s->nplanted][0][alen] = '\0';
	strcpy(s->planted[s->nplanted][1], eq + 1);
	s->nplanted++;
	return 0;
}

static const char *const fixed[GEN_NFIXED] = { "App", "APIVersion", "Node", "Rack", "Datacenter" };
static const char *const noise_names[GEN_MAX_NOISE] = {
	"Noise1", "Noise2", "Noise3", "Noise4", "Noise5", "Noise6", "Noise7", "Noise8",
	"Noise9", "Noise10", "Noise11", "Noise12", "Noise13", "Noise14", "Noise15", "Noise16",
};

size_t gen_spec__columns(const struct gen_spec *s, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < GEN_NFIXED && n < max; i++)
		names[n++] = fixed[i];
	for (size_t i = 0; i < s->nnoise && i < GEN_MAX_NOISE && n < max; i++)
		names[n++] = noise_names[i];
	return n;
}

/* One row of N instances, or with metrics up to three rows of N in all. */
static int _emit(const struct gen_spec *s, uint64_t *rng, gen_row_fn row, void *ctx,
		 const char *const *values, int target, uint64_t n, bool slow)
{
	if (!n)
		return 0;
	if (!s->metric)
		return row(values, target, n, 0, ctx);
	for (int part = 2; part >= 0 && n; part--) {
		uint64_t k = part ? n / 3 : n;
		double lo = slow && target ? 200 : 10, span = slow && target ? 200 : 90;
		double latency = (double)(uint64_t)(lo + span * rng__unit(rng));

		if (!k)
			continue;
		int err = row(values, target, k, latency, ctx);
		if (err)
			return err;
		n -= k;
	}
	return 0;
}

int gen__rows(const struct gen_spec *s, gen_row_fn row, void *ctx)
{
	const char *names[GEN_NFIXED + GEN_MAX_NOISE];
	char buf[GEN_NFIXED + GEN_MAX_NOISE][32];
	const char *values[GEN_NFIXED + GEN_MAX_NOISE];
	int pidx[4];
	size_t ncols = gen_spec__columns(s, names, GEN_NFIXED + GEN_MAX_NOISE);
	uint64_t rng = s->seed;

	for (size_t k = 0; k < s->nplanted; k++) {
		pidx[k] = -1;
		for (size_t c = 0; c < ncols; c++)
			if (!strcmp(names[c], s->planted[k][0]))
				pidx[k] = (int)c;
		if (pidx[k] < 0)
			return -EINVAL;
	}
	for (size_t c = 0; c < ncols; c++)
		values[c] = buf[c];
	for (size_t i = 0; i < s->ncombos; i++) {
		unsigned node = (unsigned)(rng__next(&rng) % s->nnodes);
		unsigned rack = node / s->nodes_per_rack;

		snprintf(buf[0], sizeof(buf[0]), "APP%u", (unsigned)(rng__next(&rng) % s->napps) + 1);
		snprintf(buf[1], sizeof(buf[1]), "V%u", node % s->nversions + 1);
		snprintf(buf[2], sizeof(buf[2]), "N%04u", node);
		snprintf(buf[3], sizeof(buf[3]), "R%03u", rack);
		snprintf(buf[4], sizeof(buf[4]), "DC%u", rack / s->racks_per_dc);
		for (size_t k = 0; k < s->nnoise; k++)
			snprintf(buf[GEN_NFIXED + k], sizeof(buf[0]), "v%u",
				 (unsigned)(rng__next(&rng) % s->noise_values) + 1);

		bool hit = s->nplanted > 0;
		for (size_t k = 0; k < s->nplanted; k++)
			hit = hit && !strcmp(values[pidx[k]], s->planted[k][1]);
		uint64_t count = 1 + rng__next(&rng) % (2 * (uint64_t)s->mean_count - 1);
		double rate = hit ? s->planted_rate : s->base_rate;
		/* Leaking instances: the expected number, dithered to an integer. */
		uint64_t leak = (uint64_t)((double)count * rate + rng__unit(&rng));
		if (leak > count)
			leak = count;
		int err = _emit(s, &rng, row, ctx, values, 1, leak, hit);
		if (!err)
			err = _emit(s, &rng, row, ctx, values, 0, count - leak, false);
		if (err)
			return err;
	}
	return 0;
}

struct csv_out {
	FILE *f;
	size_t ncols;
	bool metric;
};

static int _write_row(const char *const *values, int target, uint64_t count, double metric,
		      void *ctx)
{
	struct csv_out *o = ctx;

	fprintf(o->f, "%s,%llu", target ? "leak" : "ok", (unsigned long long)count);
	if (o->metric)
		fprintf(o->f, ",%g", metric);
	for (size_t c = 0; c < o->ncols; c++)
		fprintf(o->f, ",%s", values[c]);
	fputc('\n', o->f);
	return ferror(o->f) ? -EIO : 0;
}

int gen__csv(const struct gen_spec *s, const char *path)
{
	const char *names[GEN_NFIXED + GEN_MAX_NOISE];
	struct csv_out o = { .f = fopen(path, "w") };
	int err;

	if (!o.f)
		return -errno;
	o.ncols = gen_spec__columns(s, names, GEN_NFIXED + GEN_MAX_NOISE);
	o.metric = s->metric;
	fprintf(o.f, "Status,Count%s", o.metric ? ",Latency" : "");
	for (size_t c = 0; c < o.ncols; c++)
		fprintf(o.f, ",%s", names[c]);
	fputc('\n', o.f);
	err = gen__rows(s, _write_row, &o);
	if (fclose(o.f) && !err)
		err = -errno;
	return err;
}
