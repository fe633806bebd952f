/* fleet-gen — a synthetic VictoriaMetrics export (JSON lines) of the
 * daemons' per-process anon memory across a fleet, for `make bench-fleet`
 * and for trying `seep fleet --input` offline.
 *
 * usage: fleet-gen HOSTS COMPONENTS PROCS POINTS [STEP_S] [LEAKY_HOSTS]
 * HOSTS hosts each run PROCS processes of each of COMPONENTS components;
 * every series has POINTS samples STEP_S (300) apart, ending now rounded
 * to the step. Memory: 8..72 MiB per process plus 2% noise; component 0
 * on the first LEAKY_HOSTS (HOSTS / 10) hosts grows 100 MiB an hour
 * (a steady leak). Deterministic: one fixed-seed generator. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static double _uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv)
{
	long hosts, comps, procs, points, step, leaky;
	long long end;

	if (argc < 5) {
		fprintf(stderr, "usage: fleet-gen HOSTS COMPONENTS PROCS POINTS [STEP_S] [LEAKY_HOSTS]\n");
		return 2;
	}
	hosts = atol(argv[1]);
	comps = atol(argv[2]);
	procs = atol(argv[3]);
	points = atol(argv[4]);
	step = argc > 5 ? atol(argv[5]) : 300;
	leaky = argc > 6 ? atol(argv[6]) : hosts / 10;
	if (hosts < 1 || comps < 1 || procs < 1 || points < 2 || step < 1) {
		fprintf(stderr, "fleet-gen: every count must be positive (POINTS at least 2)\n");
		return 2;
	}
	end = (long long)time(NULL) / step * step;
	for (long h = 0; h < hosts; h++)
		for (long c = 0; c < comps; c++)
			for (long p = 0; p < procs; p++) {
				double base = (8 + 64 * _uniform()) * 1048576;
				int leak = c == 0 && h < leaky;
				long pid = 1000 + c * procs + p;

				printf("{\"metric\":{\"__name__\":\"seep_process_memory_bytes\","
				       "\"job\":\"seep\",\"instance\":\"10.0.%ld.%ld:9474\","
				       "\"host\":\"host%05ld\",\"component\":\"svc%03ld|%08lx|svc%03ld.service\","
				       "\"comm\":\"svc%03ld\",\"pid\":\"%ld\",\"type\":\"anon\"},\"values\":[",
				       h / 250, h % 250 + 1, h, c, (unsigned long)(c * 2654435761UL),
				       c, c, pid);
				for (long i = 0; i < points; i++) {
					double v = base * (1 + 0.02 * (_uniform() - 0.5));

					if (leak)
						v += 100.0 * 1048576 * (double)(i * step) / 3600;
					printf("%s%.0f", i ? "," : "", v);
				}
				printf("],\"timestamps\":[");
				for (long i = 0; i < points; i++)
					printf("%s%lld", i ? "," : "",
					       (end - (long long)(points - 1 - i) * step) * 1000);
				printf("]}\n");
			}
	return 0;
}
