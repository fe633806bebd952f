/* pprof — heap reports as pprof profiles (gzip-compressed protobuf), and back.
 *
 * Writes Go's heap-profile conventions so go tool pprof, speedscope,
 * Pyroscope and Parca read seep's snapshots unchanged: sample types
 * alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 * inuse_space/bytes (that order, Go's; default_sample_type inuse_space);
 * period_type space/bytes with the sampling rate as period (1: every
 * allocation); time_nanos, duration_nanos; one mapping per module (file
 * name, address range, GNU build ID), one function per (name, source file),
 * one location per address with its file:line; sample labels pid, comm,
 * oldest_age (milliseconds), samples (live blocks recorded), bytes_stddev
 * (the estimate's standard deviation, bytes; absent when exact) and
 * truncated; the session's counters as
 * comment "seep.stats: NAME=N ...".
 *
 * Reads back seep's own profiles and Go's heap profiles (inlined frames
 * become frames of their own; values as written, already scaled by Go),
 * gzip-compressed or not. A file that is empty, truncated, corrupted, or
 * not a heap profile is refused with a reason.
 *
 * Round trip: decode(encode(r)) equals r for the fields pprof carries:
 * stacks (bytes, count, alloc_bytes, alloc_count, oldest_age_s to the
 * millisecond, samples, bytes_stddev to the byte, truncated), frames (function, module, file, line, addr,
 * map_start, map_end, build_id, and offset when the module's load bias is
 * its start address, as for shared libraries and PIE executables), pid,
 * comm, time (to the microsecond) and elapsed_s (to the nanosecond), final,
 * exited, stats, sample_bytes (the period when its unit is bytes; a report
 * with 0 reads back as 1; 0 for a profile without a period in bytes) and
 * total_samples.
 * Totals are the sums over the stacks: encode every stack (top = 0).
 * A frame without a function name loses its file:line (pprof keeps lines
 * under functions).
 *
 * Pure C over plain data (protobuf-c, zlib); no BPF.
 * Ownership: pprof__encode's buffer is the caller's to free(); a decoded
 * report is released with report__release().
 */
#ifndef SEEP_PPROF_H
#define SEEP_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/report.h"

struct pprof_options {
	uint64_t sample_bytes;   /* one sample per N bytes; 0: the report's own (sample_bytes) */
};

/* Encodes R as a gzip-compressed profile into *BUF (malloc'd), *LEN bytes. */
int pprof__encode(const struct report *r, const struct pprof_options *o, void **buf,
		  size_t *len);
/* Decodes BUF (gzip or plain protobuf) into OUT. Returns 0; -EINVAL with *WHY
 * set to the reason ("truncated gzip data", "not a heap profile: ...") when
 * the data is not a readable heap profile; -EFBIG with *WHY "profile too
 * large for its size ..." when its gzip data expands more than 64 times, or
 * decoding would allocate more than 32 times its protobuf bytes for the
 * messages or 128 times for the report (plus a few MiB each: pprof.c);
 * -ENOMEM ("out of memory").
 * Time: linear in the profile (ids looked up by index or hash). */
int pprof__decode(const void *buf, size_t len, struct report *out, const char **why);
/* Reads and decodes the file PATH; logs one line on failure:
 * "cannot read profile 'PATH': REASON". */
int pprof__read_file(const char *path, struct report *out);

#endif
