/*
 * mallocbench: a tight malloc/free loop that reports the mean cost of one
 * malloc+free pair, per block size.
 *
 *   mallocbench [-t SECONDS] [-n MAX_PAIRS] [-s SIZE,SIZE,...] [-W SECONDS] [-w FIFO] [-o FILE]
 *
 * Each size runs for at most SECONDS (default 0.5) or MAX_PAIRS pairs
 * (default 2000000), whichever comes first, so a slow tracer bounds the time
 * and not the count. With -w the program opens FIFO for reading before the
 * first measured call: it blocks there until a writer opens it, which lets a
 * harness attach a tracer to the waiting process (-p PID) and then start the
 * loop. A warm-up of -W seconds (default 0.05, unmeasured) runs the first
 * size first: a tracer's or preloaded library's one-time work (first stack,
 * first page of its buffers, JIT) is not measured. Results go to FILE (default stdout), one line per size and a last
 * line for all sizes:
 *
 *   size 64 pairs 1000000 ns_per_pair 17.31
 *   all pairs 4000000 ns_per_pair 18.02
 *
 * Timing covers the loop only: process start-up and tracer attach are not
 * in it. Built with -fno-builtin so that the compiler calls malloc and free
 * and cannot elide the pair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZES 16
#define CHECK_EVERY 256

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The last block's first byte, so that every block is written to. */
static volatile unsigned char sink;

static unsigned long run_size(size_t size, double budget_s, unsigned long max_pairs,
			      double *elapsed_s)
{
	double start = now_s(), deadline = start + budget_s, t = start;
	unsigned long pairs = 0;

	while (pairs < max_pairs) {
		for (int i = 0; i < CHECK_EVERY; i++) {
			unsigned char *p = malloc(size);

			if (!p)
				return 0;
			p[0] = (unsigned char)i;
			sink = p[0];
			free(p);
		}
		pairs += CHECK_EVERY;
		t = now_s();
		if (t >= deadline)
			break;
	}
	*elapsed_s = t - start;
	return pairs;
}

static int parse_sizes(const char *arg, size_t *sizes, int *n)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);

		if (*end || v == 0 || *n == MAX_SIZES) {
			free(copy);
			return -EINVAL;
		}
		sizes[(*n)++] = v;
	}
	free(copy);
	return *n ? 0 : -EINVAL;
}

static void usage(void)
{
	fprintf(stderr, "usage: mallocbench [-t SECONDS] [-n MAX_PAIRS] [-s SIZE,...] [-W SECONDS] [-w FIFO] [-o FILE]\n");
}

int main(int argc, char **argv)
{
	size_t sizes[MAX_SIZES] = { 16, 128, 1024, 8192 };
	int nsizes = 4, opt;
	double budget_s = 0.5, warmup_s = 0.05, unused;
	unsigned long max_pairs = 2000000;
	const char *fifo = NULL, *out_path = NULL;
	FILE *out = stdout;

	while ((opt = getopt(argc, argv, "t:n:s:W:w:o:h")) != -1) {
		switch (opt) {
		case 't': budget_s = atof(optarg); break;
		case 'n': max_pairs = strtoul(optarg, NULL, 10); break;
		case 's':
			if (parse_sizes(optarg, sizes, &nsizes)) {
				fprintf(stderr, "mallocbench: invalid sizes '%s'\n", optarg);
				return 2;
			}
			break;
		case 'W': warmup_s = atof(optarg); break;
		case 'w': fifo = optarg; break;
		case 'o': out_path = optarg; break;
		default: usage(); return 2;
		}
	}
	if (budget_s <= 0 || max_pairs == 0) {
		usage();
		return 2;
	}
	if (out_path && !(out = fopen(out_path, "w"))) {
		fprintf(stderr, "mallocbench: cannot open '%s': %s\n", out_path, strerror(errno));
		return 1;
	}
	if (fifo) {
		char c;
		int fd = open(fifo, O_RDONLY);

		if (fd < 0) {
			fprintf(stderr, "mallocbench: cannot open '%s': %s\n", fifo, strerror(errno));
			return 1;
		}
		(void)!read(fd, &c, 1);
		close(fd);
	}

	if (warmup_s > 0)
		run_size(sizes[0], warmup_s, max_pairs, &unused);

	double total_s = 0;
	unsigned long total_pairs = 0;

	for (int i = 0; i < nsizes; i++) {
		double s = 0;
		unsigned long pairs = run_size(sizes[i], budget_s, max_pairs, &s);

		if (!pairs) {
			fprintf(stderr, "mallocbench: malloc(%zu) failed\n", sizes[i]);
			return 1;
		}
		fprintf(out, "size %zu pairs %lu ns_per_pair %.2f\n", sizes[i], pairs, s * 1e9 / pairs);
		total_s += s;
		total_pairs += pairs;
	}
	fprintf(out, "all pairs %lu ns_per_pair %.2f\n", total_pairs, total_s * 1e9 / total_pairs);
	if (out != stdout)
		fclose(out);
	return 0;
}
