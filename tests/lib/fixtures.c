#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fx_report(struct report *r, int pid, const char *comm, double time)
{
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	r->time = time;
}

void fx_stack(struct report *r, uint64_t bytes, uint64_t count, uint64_t base,
	      const char *const *fns)
{
	struct report_stack *s;
	size_t n = 0;

	while (fns[n])
		n++;
	r->stacks = realloc(r->stacks, (r->nstacks + 1) * sizeof(*r->stacks));
	s = &r->stacks[r->nstacks++];
	memset(s, 0, sizeof(*s));
	s->bytes = s->alloc_bytes = bytes;
	s->count = s->alloc_count = count;
	s->frames = calloc(n ? n : 1, sizeof(*s->frames));
	s->nframes = n;
	for (size_t i = 0; i < n; i++) {
		struct stack_frame *f = &s->frames[i];
		size_t h = 0;

		for (const char *c = fns[i]; *c; c++)
			h = h * 31 + (unsigned char)*c;
		f->function = strcmp(fns[i], "?") ? strdup(fns[i]) : NULL;
		f->module = strdup("/usr/bin/prog");
		f->offset = 0x1000 + h % 0x1000;
		f->map_start = base;
		f->map_end = base + 0x10000;
		f->addr = base + f->offset + (i > 0);
		f->file = f->function ? strdup("prog.c") : NULL;
		f->line = f->function ? (int)(10 + h % 90) : 0;
	}
	r->total_bytes += bytes;
	r->total_count += count;
	r->stacks_total = r->nstacks;
}
