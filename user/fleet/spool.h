/* spool — remote_write requests kept on disk while the receiver is down,
 * replayed oldest first when it is back.
 *
 * A spool is a directory (created 0700) of records, one file each (0600),
 * named by a sequence number (%016llx.rw) that gives their order. A record
 * is a 16-byte header (magic "SRW1", payload length, CRC-32 of the
 * payload, samples it holds; little-endian u32 each) and the payload (a
 * compressed request body). A record is written to a .tmp file, flushed
 * (fdatasync) and renamed into place, so a crash leaves no half record
 * under a record's name; still, a record whose length or CRC does not
 * match (a torn write, a bad disk) is detected when it is read, removed
 * and counted as torn, and its samples (if its header is whole) as
 * dropped; leftover .tmp files are removed and counted at open.
 * Bounded: the records' bytes stay under MAX_BYTES; appending past it
 * drops the oldest records first, counted with their samples.
 * Not thread-safe: one owner (remote_write's sender thread).
 * Ownership: spool__peek() hands out a buffer the caller frees.
 * spool__free() keeps the files (they are replayed at the next open).
 * Returns 0 or -errno (-ENOENT: empty).
 */
#ifndef SEEP_FLEET_SPOOL_H
#define SEEP_FLEET_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_HEADER 16

struct spool;

struct spool_stats {
	uint64_t records, bytes;	/* now */
	uint64_t appended, torn;	/* records */
	uint64_t dropped_records, dropped_samples;	/* full or torn */
};

int spool__open(const char *dir, uint64_t max_bytes, struct spool **out, char *err,
		size_t errlen);
void spool__free(struct spool *sp);
int spool__append(struct spool *sp, const void *buf, size_t len, uint32_t nsamples);
/* The oldest whole record (torn ones on the way are removed and counted). */
int spool__peek(struct spool *sp, void **buf, size_t *len, uint32_t *nsamples);
/* Removes the oldest record (the one spool__peek gave). */
int spool__pop(struct spool *sp);
void spool__stats(const struct spool *sp, struct spool_stats *out);

#endif
