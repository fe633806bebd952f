/* remote_write — the daemon's series pushed to a Prometheus remote_write
 * receiver (Prometheus, VictoriaMetrics, Mimir, Thanos), spec 1.0.
 *
 * remote_write__push() takes the daemon's exposition text (what /metrics
 * shows: the same series, labels and budget), adds the host label and the
 * configured extra labels to every series that lacks them, adds a stale
 * marker (rwproto.h) for every series of the previous push that is gone
 * (a process exited, a suspect cleared), encodes one request, and queues
 * it for the sender thread. It never waits on the network or the disk:
 * the daemon's tick stays on time whatever the receiver does.
 * Why a thread and not curl's multi interface on the daemon's loop: the
 * spool's writes are fdatasync'ed and its replay reads files; both would
 * block the loop, curl's name resolution too; one thread with a bounded
 * queue (QUEUE requests; past it the oldest is dropped and counted) keeps
 * all of it off the loop, and the loop shares nothing else with it.
 * The sender: a request goes out at once when nothing is spooled; on a
 * 5xx, a 429 or a transport error it is spooled and retried after an
 * exponential back-off with jitter (MIN_BACKOFF doubling up to
 * MAX_BACKOFF, each wait drawn from its upper half); while anything is
 * spooled, new requests are spooled behind it, so that the receiver gets
 * them in order; a 4xx other than 429 is dropped and counted as failed
 * (retrying cannot help). At remote_write__free() the queued requests go
 * to the spool (replayed by the next daemon run).
 * Counters (samples): sent; failed (the receiver refused them); retried
 * (sent again from the spool); dropped (queue or spool full, torn spool
 * records). Thread-safe: push, stats and free from one thread (the
 * daemon's), the sender is internal. Returns 0 or -errno; ERR says why.
 */
#ifndef SEEP_FLEET_REMOTE_WRITE_H
#define SEEP_FLEET_REMOTE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define REMOTE_WRITE_QUEUE 64

struct remote_write_config {
	const char *url;		/* http(s)://host:port/api/v1/write */
	const char *host;		/* the host label; NULL or "": none */
	const char *labels;		/* extra labels, "name=value,name=value" */
	double interval_s;		/* between two requests; 0: every push */
	double timeout_s;		/* of one request */
	const char *spool_dir;
	uint64_t spool_max_bytes;
	double min_backoff_s, max_backoff_s;
};

struct remote_write_stats {
	uint64_t sent, failed, retried, dropped;	/* samples */
	uint64_t requests, spooled;			/* requests */
	uint64_t spool_bytes, spool_records, torn;
	uint64_t stale;					/* stale markers queued */
	long last_status;				/* HTTP; 0: transport error */
};

struct remote_write;

int remote_write__new(const struct remote_write_config *c, struct remote_write **out,
		      char *err, size_t errlen);
void remote_write__free(struct remote_write *rw);
/* The exposition at NOW_S (epoch seconds): queued when an interval has
 * passed since the last request; 0 or -errno (nothing queued). */
int remote_write__push(struct remote_write *rw, const char *exposition, double now_s);
void remote_write__stats(struct remote_write *rw, struct remote_write_stats *out);

#endif
