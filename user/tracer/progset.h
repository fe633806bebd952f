/* progset — what the daemon's BPF objects (tracer/telemetry.h,
 * tracer/growthprobe.h, tracer/oomwatch.h) share: loading and attaching a
 * skeleton with a message that names it, one ring buffer, the kernel's
 * run-time statistics, the per-CPU `stats` counters summed, each
 * program's cost, and attaching or detaching one program at a time.
 *
 * A struct progset is embedded in its object: progset__init() opens the
 * ring on RING with FN(CTX) as its callback and turns on
 * BPF_STATS_RUN_TIME (bpf_enable_stats) for as long as the progset lives;
 * a refusal is logged once and progset.stats_fd stays -1 (run times then
 * read 0). progset__release() frees the ring and gives the statistics
 * back; it accepts a zeroed struct whose stats_fd is -1, and never
 * touches the skeleton (its owner destroys that: every link, every fd).
 * Returns 0 or -errno; functions taking ERR write a message into it on
 * failure.
 */
#ifndef SEEP_TRACER_PROGSET_H
#define SEEP_TRACER_PROGSET_H

#include <bpf/libbpf.h>
#include <stddef.h>
#include <stdint.h>

struct telemetry_cost {
	char name[32];		/* the program's name */
	int attached;
	uint64_t run_time_ns;	/* BPF_STATS_RUN_TIME: total time in the program */
	uint64_t run_cnt;
	uint64_t recursion_misses;
};

struct progset {
	struct ring_buffer *ring;
	int stats_fd;		/* bpf_enable_stats(BPF_STATS_RUN_TIME), or -1 */
	int ncpus;
};

/* libbpf's messages into lib/log (debug at -vv, info at -v, warnings). */
void progset__log_libbpf(void);

/* Loads then attaches every program of skeleton S; OBJ names the object
 * ("growth.bpf.o") and WHAT its attach points in the message. */
int progset__load_attach(struct bpf_object_skeleton *s, const char *obj, const char *what,
			 char *err, size_t errlen);

int progset__init(struct progset *ps, const struct bpf_map *ring, ring_buffer_sample_fn fn,
		  void *ctx, char *err, size_t errlen);
void progset__release(struct progset *ps);

/* OUT[i] = the per-CPU array STATS's key i summed over CPUs, i < N. */
int progset__stats(const struct progset *ps, const struct bpf_map *stats, uint64_t *out,
		   uint32_t n);

/* OUT[i]: PROGS[i]'s name, whether LINKS[i] is set, and its run time,
 * runs and recursion misses (bpf_prog_info), i < N. */
int progset__costs(struct bpf_program *const *progs, struct bpf_link *const *links, size_t n,
		   struct telemetry_cost *out);

/* *LINK = PROG attached (0 if it already is). */
int progset__attach(struct bpf_program *prog, struct bpf_link **link);
/* *LINK destroyed and NULL (0 if it was NULL). */
int progset__detach(struct bpf_link **link);

#endif
