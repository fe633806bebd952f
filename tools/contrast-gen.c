/* contrast-gen — writes a synthetic CONAN data set (tests/lib/contrast_gen.h)
 * as CSV, for the benchmark and for trying `seep contrast` by hand.
 *
 * usage: contrast-gen OUT.csv [--combos N] [--mean-count N] [--seed S]
 *                     [--apps N] [--nodes N] [--nodes-per-rack N]
 *                     [--racks-per-dc N] [--noise N] [--noise-values N]
 *                     [--metric] [--base-rate R]
 *                     [--planted-rate R] [--plant ATTR=VALUE]...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contrast_gen.h"

int main(int argc, char **argv)
{
	struct gen_spec s;
	const char *out = NULL;

	gen_spec__defaults(&s, 100000, 1);
	const struct { const char *name; unsigned *field; } counts[] = {
		{ "--mean-count", &s.mean_count }, { "--apps", &s.napps }, { "--nodes", &s.nnodes },
		{ "--nodes-per-rack", &s.nodes_per_rack }, { "--racks-per-dc", &s.racks_per_dc },
		{ "--noise", &s.nnoise }, { "--noise-values", &s.noise_values },
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t k = 0;

		while (k < sizeof(counts) / sizeof(counts[0]) && strcmp(a, counts[k].name))
			k++;
		if (k < sizeof(counts) / sizeof(counts[0]) && v)
			*counts[k].field = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--combos") && v)
			s.ncombos = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--seed") && v)
			s.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--base-rate") && v)
			s.base_rate = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--planted-rate") && v)
			s.planted_rate = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--metric"))
			s.metric = true;
		else if (!strcmp(a, "--plant") && v && !gen_spec__plant(&s, v))
			i++;
		else if (a[0] != '-' && !out)
			out = a;
		else {
			fprintf(stderr, "usage: contrast-gen OUT.csv [--combos N] [--mean-count N] "
				"[--seed S] [--apps N] [--nodes N] [--nodes-per-rack N] [--racks-per-dc N] "
				"[--noise N] [--noise-values N] [--metric] [--base-rate R] "
				"[--planted-rate R] [--plant ATTR=VALUE]...\n");
			return 2;
		}
	}
	if (!out || !s.mean_count || !s.nnodes || !s.napps || !s.noise_values ||
	    !s.nodes_per_rack || !s.racks_per_dc || s.nnoise > GEN_MAX_NOISE) {
		fprintf(stderr, "contrast-gen: missing output file or bad option\n");
		return 2;
	}
	if (gen__csv(&s, out)) {
		fprintf(stderr, "contrast-gen: cannot generate '%s' (unknown planted attribute?)\n", out);
		return 1;
	}
	return 0;
}
