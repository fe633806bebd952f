/* fingerprint — a reference of one executable's heap from healthy runs,
 * and how far a suspect's stacks depart from it.
 *
 * A run is a snapshot series of one process. In each run, a stack's share
 * is its live bytes over the snapshot's live bytes, averaged over the
 * run's snapshots (a snapshot with no live bytes is skipped). Over the
 * runs, the reference keeps per stack (stackseries__key identity) the mean
 * share, its standard deviation (a run without the stack counts a share of
 * 0), the runs it appeared in, its mean live bytes and blocks, and its
 * frames. Runs are of one executable: the build-id of the module of
 * `main` (else of the module named like the process), fingerprint__exe_id.
 *
 * As a pprof profile (fingerprint__to_report, then pprof__encode): a heap
 * profile whose stacks hold share * T bytes, T the runs' mean live heap,
 * so `go tool pprof -diff_base REF SUSPECT` subtracts a typical healthy
 * heap; bytes_stddev holds share_sd * T, samples the runs the stack
 * appeared in. fingerprint__from_report reads that back: share = bytes /
 * the profile's total, share_sd = bytes_stddev / total, runs = samples
 * (the reference's run count: the largest).
 *
 * Departure (fingerprint__compare) of each stack of a suspect snapshot,
 * share s against the reference's mean m and spread sd:
 *   z = (s - m) / max(sd, REL_FLOOR * m, ABS_FLOOR)
 * (REL_FLOOR 0.1, ABS_FLOOR 0.001: a share within a tenth of itself, or
 * within 0.1 % of the heap, is ordinary even when the runs agreed
 * exactly); kind NEW when the reference lacks the stack, GREW when
 * z >= Z_DEPART (3), SHRANK when z <= -Z_DEPART, else USUAL; excess =
 * the suspect's bytes - m * its live heap. Ranked by z, highest first
 * (NEW stacks have m = 0: ranked by their share among the others).
 *
 * Ownership: a fingerprint owns copies of the frames it keeps;
 * departures point at the suspect's stacks (which must outlive them) and
 * are the caller's to free(). fingerprint__free accepts NULL. Functions
 * return 0 or -errno; -EXDEV when a run's executable differs from the
 * reference's (WHY says which).
 */
#ifndef SEEP_FINGERPRINT_H
#define SEEP_FINGERPRINT_H

#include <stddef.h>

#include "snapshot/report.h"

#define FINGERPRINT_Z_DEPART 3.0
#define FINGERPRINT_REL_FLOOR 0.1
#define FINGERPRINT_ABS_FLOOR 0.001

struct fingerprint_stack {
	char *key;
	struct report_stack stack;   /* frames (owned); bytes, count: means over the runs */
	double share, share_sd;      /* of live bytes, mean and sd over the runs */
	size_t runs;                 /* runs it appeared in */
};

struct fingerprint;

struct fingerprint *fingerprint__new(void);   /* NULL if out of memory */
void fingerprint__free(struct fingerprint *fp);

/* Adds one healthy run (N >= 1 snapshots of one process). -EXDEV (WHY
 * set, LEN bytes) when its executable's build-id is not the reference's. */
int fingerprint__add_run(struct fingerprint *fp, const struct report *const *snaps, size_t n,
			 char *why, size_t len);
size_t fingerprint__runs(const struct fingerprint *fp);
size_t fingerprint__stacks(const struct fingerprint *fp);
/* Stacks by share, largest first (once fingerprint__stack is called, no
 * more runs can be added: -EBUSY). */
const struct fingerprint_stack *fingerprint__stack(struct fingerprint *fp, size_t i);
/* The executable's build-id (NULL if no run said); the process name. */
const char *fingerprint__build_id(const struct fingerprint *fp);
const char *fingerprint__comm(const struct fingerprint *fp);

/* The reference as a heap report (see above), for pprof__encode; OUT is
 * released with report__release. */
int fingerprint__to_report(struct fingerprint *fp, struct report *out);
/* A reference back from its report (R is only read). */
int fingerprint__from_report(const struct report *r, struct fingerprint **out);

/* Where a reference directory DIR keeps the reference of BUILD_ID:
 * "DIR/BUILD_ID.pb.gz" into BUF (LEN bytes); -ENAMETOOLONG if it does not
 * fit, -EINVAL for a build-id that is not hex. */
int fingerprint__path(const char *dir, const char *build_id, char *buf, size_t len);

/* The build-id of R's executable, or NULL (points into R). */
const char *fingerprint__exe_id(const struct report *r);

enum departure_kind { DEPART_NEW, DEPART_GREW, DEPART_USUAL, DEPART_SHRANK };

struct departure {
	const struct report_stack *stack;   /* the suspect's */
	enum departure_kind kind;
	double share;                       /* in the suspect */
	double ref_share, ref_sd;           /* 0 for NEW */
	size_t ref_runs;
	double z;
	double excess;                      /* bytes beyond the reference's share */
};

/* Departures of SUSPECT's stacks from REF, ranked: *OUT (malloc'd), *N. */
int fingerprint__compare(struct fingerprint *ref, const struct report *suspect,
			 struct departure **out, size_t *n);
/* "new", "grew", "usual", "shrank" */
const char *fingerprint__kind_name(enum departure_kind k);

#endif
