/* mitigation — tier 4 in the daemon: the mitigation engine
 * (mitigate/mitigate.h) fed with the suspects, a heap snapshot before
 * every action, and the audit in the store.
 *
 * Off (mitigation.enabled = no, the default): dmit__new() gives NULL, and
 * nothing here runs, writes or signals; dmit__model() still fills the
 * model (enabled false, every counter 0).
 * Each interval the daemon adds every living suspect (dmit__add: process
 * suspects, component suspects by their largest member) between
 * dmit__begin() and dmit__end(). dmit__end() evaluates them; a decision
 * ready to act runs (mitigate__act) in dry-run mode at once, and for real
 * only once the catalogue (daemon/db.h) holds a snapshot of the target
 * newer than both its last action and one window ago: otherwise a
 * collection is requested (daemon/collect.h, trigger "request") and the
 * decision waits ("awaiting_snapshot"). Every new decision goes to the
 * store's mitigations table (and the engine's log and counters).
 * Ownership: the module copies the targets; the model's strings live
 * until the next dmit__ call. Functions return 0 or -errno.
 */
#ifndef SEEP_DAEMON_MITIGATION_H
#define SEEP_DAEMON_MITIGATION_H

#include <stddef.h>

#include "metrics/model.h"
#include "mitigate/mitigate.h"

struct db;
struct collects;
struct dmit;

/* *OUT NULL when mitigation is off. */
int dmit__new(const struct mitigate_config *c, struct db *db, struct collects *coll,
	      struct dmit **out, char *err, size_t errlen);
void dmit__free(struct dmit *x);

void dmit__begin(struct dmit *x);
/* Copies T (its strings included). */
int dmit__add(struct dmit *x, const struct mitigate_target *t);
int dmit__end(struct dmit *x, double now);

/* The decisions and counters into M (X may be NULL: off). */
int dmit__model(struct dmit *x, struct mx_model *m);

#endif
