/* mitigate — the mitigation engine; see mitigate.h. */
#include "mitigate/mitigate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fmt.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "mitigate/gate.h"
#include "mitigate/journal.h"
#include "mitigate/ratelimit.h"
#include "sys/cgroup.h"

#define MAX_TARGETS 8192	/* per-target states before the stale ones go */

static const char *const outcome_names[MIT_NOUTCOMES] = {
	[MIT_O_DONE] = "done", [MIT_O_FAILED] = "failed", [MIT_O_DRY_RUN] = "dry_run",
	[MIT_O_NOTIFIED] = "notified", [MIT_O_AWAITING] = "awaiting_snapshot",
	[MIT_O_GATED] = "gated", [MIT_O_DENIED] = "denied", [MIT_O_NOT_ALLOWED] = "not_allowed",
	[MIT_O_RATE_LIMITED] = "rate_limited", [MIT_O_BACKOFF] = "backoff",
	[MIT_O_HOST_CAP] = "host_cap", [MIT_O_STOPPED] = "stopped", [MIT_O_READY] = "ready",
};

struct tstate {
	char id[320];
	uint32_t verdicts;	/* consecutive leak verdicts */
	double seen_s;
	bool recorded;
	enum mit_action action;	/* the last recorded decision */
	enum mit_outcome outcome;
	char code[32];
};

struct mitigate {
	struct mitigate_config c;
	struct policy_params pp;
	char self_cgroup[256];
	struct cgroup_memory cgm;
	bool has_cgm;
	struct executor *ex;
	struct ratelimit *rl;
	struct ratelimit *rl_notify;	/* notifications: per target, no host cap */
	struct tstate *ts;
	size_t nts, ts_cap;
	struct hashmap by_id;
	struct mitigate_decision *kept;	/* ring of MITIGATE_KEEP */
	size_t nkept, head;
	uint64_t counts[MIT_NACTIONS][MIT_NOUTCOMES];
	bool journal;
};

void mitigate_config__defaults(struct mitigate_config *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = false;
	c->dry_run = true;
	c->window_s = 3600;
	c->host_cap = 1;
	c->max_backoff = 16;
	c->confidence = 0.8;
	c->min_verdicts = 3;
	c->time_to_limit_s = 7 * 86400;
	c->brake_margin = 64ULL << 20;
	snprintf(c->executor, sizeof(c->executor), "real");
}

const char *mitigate__outcome_name(enum mit_outcome o)
{
	return o < MIT_NOUTCOMES ? outcome_names[o] : "unknown";
}

static bool _eq(uint32_t id, const void *key, void *ctx)
{
	const struct mitigate *m = ctx;

	return !strcmp(m->ts[id].id, key);
}

/* Finds the cgroup memory hierarchy: the configured root (v2 when it has
 * cgroup.controllers), else the mounted one. */
static void _find_cgroups(struct mitigate *m)
{
	char file[1100];

	if (m->c.cgroup_root[0]) {
		snprintf(m->cgm.root, sizeof(m->cgm.root), "%s", m->c.cgroup_root);
		snprintf(file, sizeof(file), "%s/cgroup.controllers", m->c.cgroup_root);
		m->cgm.version = access(file, F_OK) == 0 ? 2 : 1;
		m->has_cgm = true;
		return;
	}
	m->has_cgm = cgroup__find_memory("/proc/self/mounts", &m->cgm) == 0;
}

int mitigate__new(const struct mitigate_config *c, const struct mitigate_env *env,
		  struct executor *ex, struct mitigate **out, char *err, size_t errlen)
{
	struct ratelimit_params rp = { .window_s = c->window_s, .host_cap = c->host_cap,
				       .max_backoff = c->max_backoff };
	struct mitigate *m = calloc(1, sizeof(*m));
	int e;

	*out = NULL;
	if (!m) {
		executor__free(ex);
		snprintf(err, errlen, "cannot set up mitigation: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	m->c = *c;
	m->ex = ex;
	snprintf(m->self_cgroup, sizeof(m->self_cgroup), "%s",
		 env->self_cgroup ? env->self_cgroup : "");
	m->pp = (struct policy_params){ .allow = m->c.allow, .avoid = m->c.avoid,
					.restart_command = m->c.restart_command,
					.self_pid = env->self_pid, .self_cgroup = m->self_cgroup };
	hashmap__init(&m->by_id);
	_find_cgroups(m);
	m->journal = journal__present();
	m->kept = calloc(MITIGATE_KEEP, sizeof(*m->kept));
	e = m->kept ? ratelimit__new(&rp, &m->rl) : -ENOMEM;
	rp.host_cap = 1024;
	if (!e)
		e = ratelimit__new(&rp, &m->rl_notify);
	if (e) {
		snprintf(err, errlen, "cannot set up mitigation: %s", strerror(-e));
		mitigate__free(m);
		return e;
	}
	*out = m;
	return 0;
}

void mitigate__free(struct mitigate *m)
{
	if (!m)
		return;
	executor__free(m->ex);
	ratelimit__free(m->rl);
	ratelimit__free(m->rl_notify);
	hashmap__release(&m->by_id);
	free(m->ts);
	free(m->kept);
	free(m);
}

/* Forgets targets not seen for ten windows (when the table is full). */
static void _prune(struct mitigate *m, double now)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nts; i++)
		if (now - m->ts[i].seen_s < 10 * m->c.window_s)
			m->ts[k++] = m->ts[i];
	if (k == m->nts)
		k = 0;	/* all fresh: start over rather than grow without bound */
	m->nts = k;
	hashmap__clear(&m->by_id);
	for (size_t i = 0; i < m->nts; i++)
		hashmap__add(&m->by_id, hash__str(m->ts[i].id), (uint32_t)i);
}

static struct tstate *_state(struct mitigate *m, const char *id, double now)
{
	int64_t k = hashmap__find(&m->by_id, hash__str(id), id, _eq, m);
	struct tstate *s;

	if (k >= 0)
		return &m->ts[k];
	if (m->nts >= MAX_TARGETS)
		_prune(m, now);
	if (!(s = VEC_PUSH(m->ts, m->nts, m->ts_cap)))
		return NULL;
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	if (hashmap__add(&m->by_id, hash__str(id), (uint32_t)m->nts))
		return NULL;
	m->nts++;
	return s;
}

static void _fmt_rate(double bytes_per_s, char *buf, size_t len)
{
	char b[32];

	fmt__bytes((int64_t)bytes_per_s, true, b, sizeof(b));
	snprintf(buf, len, "%s/s", b);
}

/* The evidence in words: "steady leak, +1.0 MiB/s, r2 0.99, limit in 3600s, 4 verdicts". */
static void _evidence(const struct mitigate_target *t, uint32_t verdicts, char *buf, size_t len)
{
	char rate[48], limit[48];

	_fmt_rate(t->slope_bytes_per_s, rate, sizeof(rate));
	if (isfinite(t->time_to_limit_s))
		snprintf(limit, sizeof(limit), "limit in %.0fs", fmax(t->time_to_limit_s, 0));
	else
		snprintf(limit, sizeof(limit), "limit never reached");
	snprintf(buf, len, "%s %s, %s, r2 %.2f, %s, %u verdict%s",
		 detect__pattern_name(t->pattern), t->leak ? "leak" : "(no leak)", rate,
		 t->confidence, limit, verdicts, verdicts == 1 ? "" : "s");
}

/* The brake's file and value: usage + margin. */
static int _brake_plan(const struct mitigate *m, const char *cgroup, char *path, size_t plen,
		       char *value, size_t vlen, uint64_t *usage)
{
	struct cgroup_usage u;
	int err;

	if (!m->has_cgm)
		return -ENOENT;
	if ((err = cgroup__read(&m->cgm, cgroup, &u)))
		return err;
	*usage = u.usage;
	snprintf(path, plen, "%s%s/%s", m->cgm.root, strcmp(cgroup, "/") ? cgroup : "",
		 m->cgm.version == 2 ? "memory.high" : "memory.soft_limit_in_bytes");
	snprintf(value, vlen, "%llu", (unsigned long long)(u.usage + m->c.brake_margin));
	return 0;
}

/* What the action does, exactly, into D->detail: 0, or -errno when it
 * cannot be planned (the cgroup's usage unreadable). */
static int _plan(const struct mitigate *m, const struct mitigate_target *t,
		 const struct policy_choice *ch, struct mitigate_decision *d, char *path,
		 size_t plen, char *value, size_t vlen)
{
	char a[32], b[32];
	uint64_t usage = 0;
	int err;

	switch (ch->how) {
	case HOW_UNIT:
		snprintf(d->detail, sizeof(d->detail), "systemctl --no-block try-restart %s",
			 t->unit);
		return 0;
	case HOW_COMMAND:
		snprintf(d->detail, sizeof(d->detail),
			 "/bin/sh -c '%s' (SEEP_PID=%d SEEP_COMM=%s)", m->c.restart_command, t->pid,
			 t->comm);
		return 0;
	case HOW_CGROUP:
		err = _brake_plan(m, t->cgroup, path, plen, value, vlen, &usage);
		if (err) {
			snprintf(d->detail, sizeof(d->detail),
				 "cannot read the memory usage of cgroup '%s': %s", t->cgroup,
				 strerror(-err));
			return err;
		}
		fmt__bytes((int64_t)usage, false, a, sizeof(a));
		fmt__bytes((int64_t)m->c.brake_margin, false, b, sizeof(b));
		snprintf(d->detail, sizeof(d->detail), "write %s to '%s' (usage %s + margin %s)",
			 value, path, a, b);
		return 0;
	case HOW_NONE:
		break;
	}
	if (!strcmp(t->kind, "kernel"))
		snprintf(d->detail, sizeof(d->detail), "notify: kernel-side leak; diagnosis: %s",
			 t->diagnosis && *t->diagnosis ? t->diagnosis : "none yet");
	else
		snprintf(d->detail, sizeof(d->detail), "notify: %s %d '%s' leaks", t->kind, t->pid,
			 t->comm);
	return 0;
}

static void _set(struct mitigate_decision *d, enum mit_outcome o, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void _set(struct mitigate_decision *d, enum mit_outcome o, const char *code,
		 const char *fmt, ...)
{
	va_list ap;

	d->outcome = o;
	snprintf(d->code, sizeof(d->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

int mitigate__evaluate(struct mitigate *m, const struct mitigate_target *t, double now,
		       struct mitigate_decision *d)
{
	struct gate_params gp = { .min_verdicts = m->c.min_verdicts,
				  .confidence = m->c.confidence,
				  .time_to_limit_s = m->c.time_to_limit_s };
	struct policy_target pt = { .kind = t->kind, .pid = t->pid, .comm = t->comm ? t->comm : "",
				    .unit = t->unit ? t->unit : "",
				    .cgroup = t->cgroup ? t->cgroup : "" };
	struct tstate *st = _state(m, t->id, now);
	struct policy_choice ch;
	struct gate_evidence ev;
	enum gate_result g;
	enum ratelimit_result rl;
	struct ratelimit *rlim;
	char evs[160], path[1400], value[32];
	double retry;
	uint32_t acted;

	if (!st)
		return -ENOMEM;
	st->seen_s = now;
	st->verdicts = t->leak ? st->verdicts + 1 : 0;
	memset(d, 0, sizeof(*d));
	d->t_s = now;
	d->dry_run = m->c.dry_run;
	snprintf(d->target, sizeof(d->target), "%s", t->id);
	snprintf(d->kind, sizeof(d->kind), "%s", t->kind);
	d->pid = t->pid;
	d->start = t->start;
	snprintf(d->comm, sizeof(d->comm), "%s", pt.comm);
	snprintf(d->unit, sizeof(d->unit), "%s", pt.unit);
	snprintf(d->cgroup, sizeof(d->cgroup), "%s", pt.cgroup);
	policy__choose(&m->pp, &pt, &ch);
	d->action = ch.action;
	snprintf(d->key, sizeof(d->key), "%s", ch.key);
	rlim = ch.action == MIT_NOTIFY ? m->rl_notify : m->rl;
	acted = ratelimit__count(rlim, ch.key, &d->last_action_s);
	_evidence(t, st->verdicts, evs, sizeof(evs));
	ev = (struct gate_evidence){ .leak = t->leak, .pattern = t->pattern,
				     .confidence = t->confidence,
				     .time_to_limit_s = t->time_to_limit_s,
				     .verdicts = st->verdicts };
	g = gate__check(&gp, &ev);
	if (g != GATE_PASS) {
		if (acted && (g == GATE_NOT_LEAKING || g == GATE_PATTERN))
			_set(d, MIT_O_STOPPED, "no_longer_leaking",
			     "stop rule: '%s' no longer leaks (%s) after %u action%s", ch.key, evs,
			     acted, acted == 1 ? "" : "s");
		else
			_set(d, MIT_O_GATED, gate__name(g), "evidence gate: %s (%s)", gate__name(g),
			     evs);
		return 0;
	}
	if (ch.refusal && !strcmp(ch.refusal, "denied")) {
		_set(d, MIT_O_DENIED, "denied", "%s", ch.why);
		return 0;
	}
	if (ch.refusal) {
		_set(d, MIT_O_NOT_ALLOWED, "not_allowed",
		     "would %s, but neither unit '%s' nor cgroup '%s' is on mitigation.allow (%s)",
		     policy__action_name(ch.action), pt.unit, pt.cgroup, ch.why);
		return 0;
	}
	rl = ratelimit__check(rlim, ch.key, now, &retry);
	if (rl != RL_OK) {
		_set(d, rl == RL_WINDOW ? MIT_O_RATE_LIMITED :
			rl == RL_BACKOFF ? MIT_O_BACKOFF : MIT_O_HOST_CAP,
		     ratelimit__name(rl), "%s: '%s' may be acted on again in %.0fs (%u action%s so far)",
		     ratelimit__name(rl), ch.key, retry - now, acted, acted == 1 ? "" : "s");
		return 0;
	}
	if (_plan(m, t, &ch, d, path, sizeof(path), value, sizeof(value))) {
		_set(d, MIT_O_FAILED, "unplannable", "%s", d->detail);
		return 0;
	}
	if (ch.action == MIT_NOTIFY) {
		if (ratelimit__record(rlim, ch.key, now))
			return -ENOMEM;
		_set(d, MIT_O_NOTIFIED, "notify", "%s; %s", ch.why, evs);
		return 0;
	}
	_set(d, MIT_O_READY, "ready", "%s; %s", ch.why, evs);
	return 0;
}

int mitigate__act(struct mitigate *m, const struct mitigate_target *t,
		  struct mitigate_decision *d, double now)
{
	struct policy_target pt = { .kind = t->kind, .pid = t->pid, .comm = t->comm ? t->comm : "",
				    .unit = t->unit ? t->unit : "",
				    .cgroup = t->cgroup ? t->cgroup : "" };
	struct executor_target et = { .pid = t->pid, .start = t->start, .comm = pt.comm,
				      .unit = pt.unit, .cgroup = pt.cgroup, .reason = d->reason };
	struct policy_choice ch;
	char path[1400], value[32], msg[512] = "", why[1024];
	int err;

	if (d->outcome != MIT_O_READY)
		return -EINVAL;
	policy__choose(&m->pp, &pt, &ch);
	if (_plan(m, t, &ch, d, path, sizeof(path), value, sizeof(value))) {
		_set(d, MIT_O_FAILED, "unplannable", "%s", d->detail);
		return 0;
	}
	if ((err = ratelimit__record(m->rl, ch.key, now)))
		return err;
	snprintf(why, sizeof(why), "%s", d->reason);
	if (m->c.dry_run) {
		_set(d, MIT_O_DRY_RUN, "dry_run", "dry run: would %s; %s", d->detail, why);
		return 0;
	}
	switch (ch.how) {
	case HOW_UNIT:
		err = executor__restart_unit(m->ex, t->unit, msg, sizeof(msg));
		break;
	case HOW_COMMAND:
		err = executor__run_command(m->ex, m->c.restart_command, &et, msg, sizeof(msg));
		break;
	case HOW_CGROUP:
		err = executor__write_file(m->ex, path, value, msg, sizeof(msg));
		break;
	default:
		err = -EINVAL;
		snprintf(msg, sizeof(msg), "no action to run");
		break;
	}
	if (err)
		_set(d, MIT_O_FAILED, "executor", "%s failed: %s; %s", d->detail, msg, why);
	else
		_set(d, MIT_O_DONE, "done", "%s", why);
	return 0;
}

void mitigate__defer(struct mitigate_decision *d, const char *reason)
{
	char why[1024];

	snprintf(why, sizeof(why), "%s", d->reason);
	_set(d, MIT_O_AWAITING, "awaiting_snapshot", "waits for a heap snapshot (%s); %s", reason,
	     why);
}

static void _log(const struct mitigate *m, const struct mitigate_decision *d)
{
	char msg[4096];
	int prio = d->outcome == MIT_O_FAILED ? 4 : d->outcome == MIT_O_DONE ||
		   d->outcome == MIT_O_DRY_RUN || d->outcome == MIT_O_NOTIFIED ? 5 : 6;

	snprintf(msg, sizeof(msg), "mitigation: %s %s of %s %d '%s' (%s%s%s): %s%s%s",
		 policy__action_name(d->action), mitigate__outcome_name(d->outcome), d->kind,
		 d->pid, d->comm, d->unit[0] ? "unit " : "cgroup ", d->unit[0] ? d->unit : d->cgroup,
		 d->dry_run ? ", dry run" : "", d->reason, d->detail[0] ? "; action: " : "",
		 d->detail);
	if (m->journal && journal__send(msg, prio, policy__action_name(d->action),
					mitigate__outcome_name(d->outcome), d->target, d->pid) >= 0)
		return;
	if (prio <= 5)
		pr_warn("%s", msg);
	else
		pr_info("%s", msg);
}

bool mitigate__record(struct mitigate *m, const struct mitigate_decision *d)
{
	struct tstate *st = _state(m, d->target, d->t_s);

	if (st && st->recorded && st->action == d->action && st->outcome == d->outcome &&
	    !strcmp(st->code, d->code))
		return false;
	if (st) {
		st->recorded = true;
		st->action = d->action;
		st->outcome = d->outcome;
		snprintf(st->code, sizeof(st->code), "%s", d->code);
	}
	if (d->action < MIT_NACTIONS && d->outcome < MIT_NOUTCOMES)
		m->counts[d->action][d->outcome]++;
	m->kept[m->head] = *d;
	m->head = (m->head + 1) % MITIGATE_KEEP;
	if (m->nkept < MITIGATE_KEEP)
		m->nkept++;
	_log(m, d);
	return true;
}

bool mitigate__dry_run(const struct mitigate *m)
{
	return m->c.dry_run;
}

double mitigate__window(const struct mitigate *m)
{
	return m->c.window_s;
}

uint64_t mitigate__executor_calls(const struct mitigate *m)
{
	return m ? executor__calls(m->ex) : 0;
}

uint64_t mitigate__executor_errors(const struct mitigate *m)
{
	return m ? executor__errors(m->ex) : 0;
}

uint64_t mitigate__count(const struct mitigate *m, enum mit_action a, enum mit_outcome o)
{
	return m && a < MIT_NACTIONS && o < MIT_NOUTCOMES ? m->counts[a][o] : 0;
}

size_t mitigate__ndecisions(const struct mitigate *m)
{
	return m ? m->nkept : 0;
}

const struct mitigate_decision *mitigate__decision(const struct mitigate *m, size_t i)
{
	if (!m || i >= m->nkept)
		return NULL;
	return &m->kept[(m->head + MITIGATE_KEEP - m->nkept + i) % MITIGATE_KEEP];
}
