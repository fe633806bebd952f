#include "tracer/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "snapshot/report.h"
#include "snapshot/sampling.h"
#include "symbols/stacks.h"
#include "symbols/stackwalk.h"
#include "symbols/symbolize.h"
#include "tracer/trace.h"

int target__open(pid_t pid, struct symcache *cache, uint64_t sample_bytes, struct target **out)
{
	struct target *t = calloc(1, sizeof(*t));
	struct proc_stat st;
	int err;

	if (!t)
		return -ENOMEM;
	t->pid = pid;
	t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (t->pidfd < 0) {
		err = -errno;
		pr_err("pid %d: %s", (int)pid, err == -ESRCH ? "no such process" : strerror(-err));
		goto fail;
	}
	/* the name is cosmetic: "?" if the process is gone already */
	proc__read_comm(pid, t->comm, sizeof(t->comm));
	target__set_label(t);
	if (proc__read_stat(pid, &st) == 0 && (st.flags & PROC_PF_KTHREAD)) {
		err = -EINVAL;
		pr_err("pid %d (%s) is a kernel thread: it has no user-space heap to trace", (int)pid,
		       t->label);
		goto fail;
	}
	/* Symbols first: the modules must be open before the first stack copy. */
	t->sym = symbolizer__new(pid, cache);
	if (!t->sym) {
		err = -errno;
		if (err == -ENOENT || err == -ESRCH) {
			err = -ESRCH;
			pr_err("pid %d: no such process", (int)pid);
		} else {
			pr_err("pid %d: cannot read its modules for symbols: %s", (int)pid,
			       strerror(-err));
		}
		goto fail;
	}
	t->stacks = stacks__new();
	if (!t->stacks) {
		err = -ENOMEM;
		goto fail;
	}
	heap__init(&t->heap, sample_bytes);
	*out = t;
	return 0;
fail:
	target__close(t);
	return err;
}

void target__set_label(struct target *t)
{
	char buf[sizeof(t->label)];

	snprintf(t->label, sizeof(t->label), "%s", report__escape(t->comm, buf, sizeof(buf)));
}

bool target__refresh_comm(struct target *t)
{
	char comm[sizeof(t->comm)];

	if (proc__read_comm(t->pid, comm, sizeof(comm)) || !strcmp(comm, t->comm))
		return false;
	memcpy(t->comm, comm, sizeof(comm));
	target__set_label(t);
	return true;
}

void target__close(struct target *t)
{
	if (!t)
		return;
	symbolizer__free(t->sym);
	stacks__free(t->stacks);
	heap__release(&t->heap);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t);
}

int target__exec(struct target *t, struct symcache *cache)
{
	struct symbolizer *sym = symbolizer__new(t->pid, cache);
	struct stacks *stacks;
	int err;

	if (!sym) {
		err = -errno;
		return err ? err : -ENOMEM;
	}
	stacks = stacks__new();
	if (!stacks) {
		symbolizer__free(sym);
		return -ENOMEM;
	}
	symbolizer__free(t->sym);
	stacks__free(t->stacks);
	t->sym = sym;
	t->stacks = stacks;
	stacks__set_max(t->stacks, t->max_stacks);
	target__reset_heap(t);
	target__refresh_comm(t);
	t->execs++;
	return 0;
}

void target__set_max_stacks(struct target *t, size_t max)
{
	t->max_stacks = max;
	stacks__set_max(t->stacks, max);
}

void target__reset_heap(struct target *t)
{
	uint64_t sample_bytes = t->heap.sample_bytes;

	heap__release(&t->heap);
	heap__init(&t->heap, sample_bytes);
	t->stacks_queued = 0;
}

/* Teaches TRACE's BPF walk the stack IPS[1..1+N) (IPS[0]: the allocator's
 * entry), interned as ID, if its rules check out. */
static void _learn(struct target *t, struct trace *trace, const struct unwind_regs *regs,
		   const void *stack, size_t len, const struct unwind_top *top,
		   const uint64_t *ips, size_t n, uint32_t id)
{
	struct stackwalk_rule rules[SEEP_MAX_STACK_DEPTH];
	size_t nrules;
	int err;

	if (n > SEEP_MAX_STACK_DEPTH)
		return;
	nrules = symbolizer__learn_walk(t->sym, regs, stack, len, top, ips + 1, n, rules);
	if (!nrules)
		return;
	err = trace__learn_stack(trace, t->pid, rules, nrules, (uint32_t)n,
				 stackwalk__hash(ips[0], ips + 1, n), id);
	if (err)
		pr_debug("pid %d: stack %u stays copied: %s", (int)t->pid, id, strerror(-err));
}

int target__add_stack_copy(struct target *t, struct trace *trace,
			   const struct seep_stack_event *ev, const void *stack,
			   uint64_t sample_bytes, uint64_t *ips, size_t max)
{
	struct unwind_regs regs = { .ip = ev->ip, .sp = ev->sp, .bp = ev->bp };
	struct sample_weight w = sampling__weight(ev->size, sample_bytes);
	struct unwind_top top = { .data = (const char *)stack + ev->top_off, .len = ev->top_len,
				  .addr = ev->top_addr };
	bool truncated = false;
	uint32_t id;
	size_t n;
	int err;

	if (max < 2)
		return -EINVAL;
	if (ev->seq > t->last_seq)
		t->last_seq = ev->seq;
	ips[0] = ev->entry_ip;   /* the allocator's entry, then return addresses */
	n = symbolizer__unwind(t->sym, (pid_t)ev->tid, &regs, stack, ev->stack_len,
			       ev->top_len ? &top : NULL, ips + 1, max - 1, &truncated);
	err = stacks__intern(t->stacks, ips, n + 1, truncated, &id);
	if (err == -ENOSPC) {   /* --max-stacks: the block shows as "[stack lost]" */
		t->stacks_full++;
		return 0;
	}
	if (err || stacks__bind(t->stacks, ev->seq, id))
		return -ENOMEM;
	stacks__count(t->stacks, id, w.bytes, w.count);
	if (trace && !truncated)
		_learn(t, trace, &regs, stack, ev->stack_len, ev->top_len ? &top : NULL, ips, n, id);
	return 0;
}

void target__set_kernel_totals(struct target *t, uint32_t id, double bytes, double count)
{
	stacks__set_kernel_totals(t->stacks, id, bytes, count);
}

struct seep_stack_key target__resolve_site(struct target *t, const struct seep_stack_key *site)
{
	struct seep_stack_key k = *site;
	uint32_t id;

	if (k.stack_id == SEEP_STACK_UNWOUND) {
		k.stack_id = SEEP_STACK_DWARF;   /* caller: the stack's id already */
		return k;
	}
	if (k.stack_id != SEEP_STACK_DWARF)
		return k;
	if (stacks__lookup(t->stacks, k.caller, &id) == 0) {
		k.caller = id;
	} else {
		k.stack_id = SEEP_STACK_LOST;
		k.caller = 0;
	}
	return k;
}

void target__mark_live(struct target *t, const struct seep_stack_key *site)
{
	uint32_t id;

	if (site->stack_id == SEEP_STACK_DWARF)
		stacks__lookup(t->stacks, site->caller, &id);  /* -ENOENT: nothing to keep */
}

size_t target__dwarf_stack(const struct target *t, uint32_t id, uint64_t *ips, size_t max,
			   bool *truncated)
{
	size_t n = 0;
	const uint64_t *st = stacks__get(t->stacks, id, &n, truncated);

	if (!st)
		return 0;
	if (n > max) {
		n = max;
		*truncated = true;
	}
	memcpy(ips, st, n * sizeof(*ips));
	return n;
}

void target__dwarf_totals(struct target *t)
{
	for (size_t i = 0; i < t->heap.n; i++) {
		struct heap_site *h = &t->heap.sites[i];

		if (h->key.stack_id == SEEP_STACK_DWARF)
			stacks__totals(t->stacks, (uint32_t)h->key.caller, &h->alloc_bytes,
				       &h->alloc_count);
	}
}

size_t target__sweep(struct target *t)
{
	stacks__sweep(t->stacks);
	return stacks__bindings(t->stacks);
}

size_t target__bindings(const struct target *t)
{
	return stacks__bindings(t->stacks);
}
