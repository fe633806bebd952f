/* contrast-gen — writes a synthetic CONAN data set (tests/lib/contrast_gen.h)
 * as CSV, for the benchmark and for trying `seep contrast` by hand.
 *
 * usage: contrast-gen OUT.csv [--combos N] [--mean-count N] [--seed S]
 *                     [--nodes N] [--noise N] [--plant ATTR=VALUE]...
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
				"[--seed S] [--nodes N] [--noise N] [--plant ATTR=VALUE]...\n");
			return 2;
		}
	}
	if (!out || !s.mean_count || !s.nnodes || s.nnoise > GEN_MAX_NOISE) {
		fprintf(stderr, "contrast-gen: missing output file or bad option\n");
		return 2;
	}
	if (gen__csv(&s, out)) {
		fprintf(stderr, "contrast-gen: cannot write '%s'\n", out);
		return 1;
	}
	return 0;
}
