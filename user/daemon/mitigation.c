/* mitigation — tier 4 in the daemon; see mitigation.h. */
#include "daemon/mitigation.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/collect.h"
#include "daemon/db.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "sys/cgroup.h"
#include "sys/procstatus.h"

_Static_assert(MX_MIT_NACTIONS == MIT_NACTIONS, "model and engine disagree on actions");
_Static_assert(MX_MIT_NOUTCOMES == MIT_NOUTCOMES, "model and engine disagree on outcomes");

struct slot {			/* a target and its strings */
	struct mitigate_target t;
	char id[600], kind[16], comm[17], unit[128], cgroup[256], diagnosis[512];
};

struct dmit {
	struct mitigate *m;
	struct db *db;
	struct collects *coll;
	struct slot *slots;
	size_t n, cap;
	struct mx_mitigation *model;
	size_t model_cap;
};

static const char *action_names[MX_MIT_NACTIONS];
static const char *outcome_names[MX_MIT_NOUTCOMES];

static void _names(void)
{
	for (int a = 0; a < MIT_NACTIONS; a++)
		action_names[a] = policy__action_name(a);
	for (int o = 0; o < MIT_NOUTCOMES; o++)
		outcome_names[o] = mitigate__outcome_name(o);
}

int dmit__new(const struct mitigate_config *c, struct db *db, struct collects *coll,
	      struct dmit **out, char *err, size_t errlen)
{
	struct mitigate_env env = { .self_pid = getpid() };
	struct cgroup_memory cgm;
	char self_cg[256] = "";
	struct executor *ex = NULL;
	struct dmit *x;
	int e;

	*out = NULL;
	_names();
	if (!c->enabled)
		return 0;
	if (cgroup__find_memory("/proc/self/mounts", &cgm) == 0)
		procstatus__read_cgroup("/proc", getpid(), cgm.version == 1, self_cg,
				      sizeof(self_cg));
	env.self_cgroup = self_cg;
	if ((e = executor__from_spec(c->executor, &ex, err, errlen)))
		return e;
	if (!(x = calloc(1, sizeof(*x)))) {
		executor__free(ex);
		return -ENOMEM;
	}
	if ((e = mitigate__new(c, &env, ex, &x->m, err, errlen))) {
		free(x);
		return e;
	}
	x->db = db;
	x->coll = coll;
	*out = x;
	pr_warn("mitigation: on, %s, window %gs, allow '%s', executor %s",
		c->dry_run ? "dry run (logs what it would do)" : "ACTING", c->window_s, c->allow,
		c->executor);
	return 0;
}

void dmit__free(struct dmit *x)
{
	if (!x)
		return;
	mitigate__free(x->m);
	free(x->slots);
	free(x->model);
	free(x);
}

void dmit__begin(struct dmit *x)
{
	if (x)
		x->n = 0;
}

int dmit__add(struct dmit *x, const struct mitigate_target *t)
{
	struct slot *s;

	if (!x)
		return 0;
	if (!(s = VEC_PUSH(x->slots, x->n, x->cap)))
		return -ENOMEM;
	x->n++;
	s->t = *t;
	snprintf(s->id, sizeof(s->id), "%s", t->id);
	snprintf(s->kind, sizeof(s->kind), "%s", t->kind);
	snprintf(s->comm, sizeof(s->comm), "%s", t->comm ? t->comm : "");
	snprintf(s->unit, sizeof(s->unit), "%s", t->unit ? t->unit : "");
	snprintf(s->cgroup, sizeof(s->cgroup), "%s", t->cgroup ? t->cgroup : "");
	snprintf(s->diagnosis, sizeof(s->diagnosis), "%s", t->diagnosis ? t->diagnosis : "");
	return 0;
}

static void _store(struct dmit *x, const struct mitigate_decision *d)
{
	struct db_mitigation r = {
		.t_s = d->t_s, .target = d->target, .subject = d->key, .kind = d->kind,
		.comm = d->comm, .unit = d->unit, .cgroup = d->cgroup, .pid = d->pid,
		.start = d->start, .action = policy__action_name(d->action),
		.outcome = mitigate__outcome_name(d->outcome), .code = d->code,
		.reason = d->reason, .detail = d->detail, .dry_run = d->dry_run,
	};

	if (mitigate__record(x->m, d) && x->db && db__mitigation(x->db, &r))
		pr_warn("mitigation: cannot store the decision on '%s'", d->target);
}

/* A real action waits for a snapshot newer than SINCE; true once there is one. */
static bool _snapshot_ready(struct dmit *x, const struct mitigate_target *t,
			    struct mitigate_decision *d, double now)
{
	double since = fmax(d->last_action_s, now - mitigate__window(x->m)), ts = 0;
	struct collect_request r = { .pid = t->pid, .start = t->start, .comm = t->comm,
				     .trigger = COLLECT_REQUEST, .pattern = t->pattern,
				     .slope_bytes_per_s = t->slope_bytes_per_s, .entity = -1 };
	char msg[256] = "", why[320];
	int e;

	if (x->db && db__last_snapshot(x->db, t->pid, t->start, &ts) == 0 && ts > since)
		return true;
	if (!x->coll) {
		mitigate__defer(d, "no heap collections in this daemon");
		return false;
	}
	e = collects__start(x->coll, &r, now, msg, sizeof(msg));
	if (!e)
		snprintf(why, sizeof(why), "a collection of pid %d was started", t->pid);
	else if (e == -EALREADY)
		snprintf(why, sizeof(why), "the running collection of pid %d", t->pid);
	else
		snprintf(why, sizeof(why), "cannot collect pid %d: %s", t->pid, msg);
	mitigate__defer(d, why);
	return false;
}

int dmit__end(struct dmit *x, double now)
{
	struct mitigate_decision d;
	int err;

	if (!x)
		return 0;
	for (size_t i = 0; i < x->n; i++) {
		struct slot *s = &x->slots[i];

		s->t.id = s->id;
		s->t.kind = s->kind;
		s->t.comm = s->comm;
		s->t.unit = s->unit;
		s->t.cgroup = s->cgroup;
		s->t.diagnosis = s->diagnosis;
		if ((err = mitigate__evaluate(x->m, &s->t, now, &d)))
			return err;
		if (d.outcome == MIT_O_READY &&
		    (mitigate__dry_run(x->m) || _snapshot_ready(x, &s->t, &d, now)) &&
		    (err = mitigate__act(x->m, &s->t, &d, now)))
			return err;
		_store(x, &d);
	}
	return 0;
}

int dmit__model(struct dmit *x, struct mx_model *m)
{
	struct mx_mitigate_stats *st = &m->mitigate;
	size_t n = x ? mitigate__ndecisions(x->m) : 0;

	_names();
	memset(st, 0, sizeof(*st));
	st->action_names = action_names;
	st->outcome_names = outcome_names;
	m->mitigations = NULL;
	m->nmitigations = 0;
	if (!x)
		return 0;
	st->enabled = true;
	st->dry_run = mitigate__dry_run(x->m);
	st->window_s = mitigate__window(x->m);
	st->executor_calls = mitigate__executor_calls(x->m);
	st->executor_errors = mitigate__executor_errors(x->m);
	for (int a = 0; a < MIT_NACTIONS; a++)
		for (int o = 0; o < MIT_NOUTCOMES; o++)
			st->decisions[a][o] = mitigate__count(x->m, a, o);
	if (VEC_RESERVE(x->model, x->model_cap, n + 1))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct mitigate_decision *d = mitigate__decision(x->m, i);

		x->model[i] = (struct mx_mitigation){
			.t_s = d->t_s, .target = d->target, .subject = d->key, .kind = d->kind,
			.comm = d->comm, .unit = d->unit, .cgroup = d->cgroup, .pid = d->pid,
			.start = d->start, .action = policy__action_name(d->action),
			.outcome = mitigate__outcome_name(d->outcome), .code = d->code,
			.reason = d->reason, .detail = d->detail, .dry_run = d->dry_run,
		};
	}
	m->mitigations = x->model;
	m->nmitigations = n;
	return 0;
}
