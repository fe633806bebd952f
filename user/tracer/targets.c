#include "tracer/targets.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/hash.h"
#include "lib/vec.h"

static uint64_t _pid_hash(pid_t pid)
{
	return hash__bytes(&pid, sizeof(pid));
}

static bool _pid_eq(uint32_t id, const void *key, void *ctx)
{
	const struct targets *r = ctx;

	return r->v[id]->pid == *(const pid_t *)key;
}

void targets__init(struct targets *r)
{
	r->v = NULL;
	r->n = r->cap = 0;
	hashmap__init(&r->by_pid);
}

void targets__release(struct targets *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		target__close(r->v[i]);
	free(r->v);
	hashmap__release(&r->by_pid);
	targets__init(r);
}

struct target *targets__find(const struct targets *r, pid_t pid)
{
	int64_t id = hashmap__find(&r->by_pid, _pid_hash(pid), &pid, _pid_eq, (void *)r);

	return id < 0 ? NULL : r->v[id];
}

int targets__add(struct targets *r, struct target *t)
{
	struct target **slot;
	int err;

	if (targets__find(r, t->pid))
		return -EEXIST;
	if (r->n >= UINT32_MAX - 1)
		return -EOVERFLOW;
	slot = VEC_PUSH(r->v, r->n, r->cap);
	if (!slot)
		return -ENOMEM;
	*slot = t;
	err = hashmap__add(&r->by_pid, _pid_hash(t->pid), (uint32_t)r->n);
	if (err)
		return err;
	r->n++;
	return 0;
}

struct target *targets__remove(struct targets *r, pid_t pid)
{
	int64_t id = hashmap__remove(&r->by_pid, _pid_hash(pid), &pid, _pid_eq, r);
	struct target *t, *last;
	pid_t last_pid;

	if (id < 0)
		return NULL;
	t = r->v[id];
	last = r->v[--r->n];
	if ((size_t)id != r->n) {
		/* the last entry moves into the hole: its id changes */
		last_pid = last->pid;
		hashmap__remove(&r->by_pid, _pid_hash(last_pid), &last_pid, _pid_eq, r);
		r->v[id] = last;
		/* two ids removed, one added: the table never grows here */
		if (hashmap__add(&r->by_pid, _pid_hash(last_pid), (uint32_t)id))
			abort();
	}
	return t;
}
