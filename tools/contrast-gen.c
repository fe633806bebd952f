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
	static char plants[4][2][64];

	gen_spec__defaults(&s, 100000, 1);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--combos") && v)
			s.ncombos = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--mean-count") && v)
			s.mean_count = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--seed") && v)
			s.seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--nodes") && v)
			s.nnodes = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--noise") && v)
			s.nnoise = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--noise-values") && v)
			s.noise_values = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--apps") && v)
			s.napps = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--nodes-per-rack") && v)
			s.nodes_per_rack = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--racks-per-dc") && v)
			s.racks_per_dc = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--base-rate") && v)
			s.base_rate = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--planted-rate") && v)
			s.planted_rate = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--metric"))
			s.metric = true;
		else if (!strcmp(a, "--plant") && v && s.nplanted < 4 && strchr(v, '=')) {
			const char *eq = strchr(argv[++i], '=');

			snprintf(plants[s.nplanted][0], 64, "%.*s", (int)(eq - v), v);
			snprintf(plants[s.nplanted][1], 64, "%s", eq + 1);
			s.planted[s.nplanted][0] = plants[s.nplanted][0];
			s.planted[s.nplanted][1] = plants[s.nplanted][1];
			s.nplanted++;
		} else if (a[0] != '-' && !out)
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
		fprintf(stderr, "contrast-gen: cannot write '%s'\n", out);
		return 1;
	}
	return 0;
}
