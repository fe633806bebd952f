#include "symbols/kallsyms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vec.h"

/* How far past the very last symbol an address is still taken to be in it. */
#define KALLSYMS_LAST_SPAN 0x10000

struct kmodule {
	const char *name;
	uint64_t lo, hi;         /* lowest and highest symbol address */
};

struct entry {
	struct ksym sym;
	uint32_t module;         /* index in modules */
	uint32_t order : 31;     /* line number: ties broken by file order */
	uint32_t text : 1;       /* a text symbol (data ones only bound them) */
};

struct kallsyms {
	char *text;              /* the file, cut into NUL-terminated names */
	struct entry *v;
	size_t n, cap;
	size_t ntext;
	struct kmodule *mods;
	size_t nmods, mods_cap;
};

static int _read_all(const char *path, char **out)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (VEC_RESERVE(buf, cap, len + 65536 + 1)) {
			err = -ENOMEM;
			goto cleanup;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err = -EIO;
		goto cleanup;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
cleanup:
	free(buf);
	fclose(f);
	return err;
}

static int _module_index(struct kallsyms *k, const char *name, uint32_t *idx)
{
	struct kmodule *m;

	/* kallsyms lists each module's symbols together: the last one
	 * added is almost always the one */
	for (size_t i = k->nmods; i-- > 0;)
		if (!strcmp(k->mods[i].name, name)) {
			*idx = (uint32_t)i;
			return 0;
		}
	m = VEC_PUSH(k->mods, k->nmods, k->mods_cap);
	if (!m)
		return -ENOMEM;
	m->name = name;
	m->lo = UINT64_MAX;
	m->hi = 0;
	*idx = (uint32_t)k->nmods++;
	return 0;
}

/* Parses one line "ADDR TYPE NAME[\t[MODULE]]", cutting it in place. */
static int _parse_line(struct kallsyms *k, char *line, uint32_t order, int *nonzero)
{
	char *p = line, *end, *name, *mod = NULL;
	uint64_t addr;
	char type;
	uint32_t mi;
	struct entry *e;
	int err;

	addr = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return 0;  /* not a symbol line */
	p = end + 1;
	type = *p;
	if (!type || p[1] != ' ')
		return 0;
	name = p + 2;
	for (p = name; *p && *p != '\t' && *p != ' '; p++)
		;
	if (*p) {
		*p++ = '\0';
		while (*p == '\t' || *p == ' ')
			p++;
		if (*p == '[') {
			mod = ++p;
			while (*p && *p != ']')
				p++;
			*p = '\0';
		}
	}
	if (addr)
		*nonzero = 1;
	if (!*name || !addr)
		return 0;
	err = _module_index(k, mod && *mod ? mod : KALLSYMS_KERNEL, &mi);
	if (err)
		return err;
	e = VEC_PUSH(k->v, k->n, k->cap);
	if (!e)
		return -ENOMEM;
	e->sym.addr = addr;
	e->sym.name = name;
	e->module = mi;
	e->order = order & 0x7fffffff;
	e->text = type == 't' || type == 'T' || type == 'w' || type == 'W';
	k->ntext += e->text;
	k->n++;
	if (addr < k->mods[mi].lo)
		k->mods[mi].lo = addr;
	if (addr > k->mods[mi].hi)
		k->mods[mi].hi = addr;
	return 0;
}

static int _cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	if (x->text != y->text)
		return x->text ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int kallsyms__load(const char *path, struct kallsyms **out)
{
	struct kallsyms *k = calloc(1, sizeof(*k));
	char *line, *next;
	uint32_t order = 0;
	int nonzero = 0, err;
	size_t w = 0;

	if (!k)
		return -ENOMEM;
	err = _read_all(path ? path : "/proc/kallsyms", &k->text);
	if (err)
		goto cleanup;
	for (line = k->text; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		err = _parse_line(k, line, order++, &nonzero);
		if (err)
			goto cleanup;
	}
	if (!nonzero && order > 0) {
		err = -EPERM;
		goto cleanup;
	}
	if (!k->ntext) {
		err = -ENODATA;
		goto cleanup;
	}
	qsort(k->v, k->n, sizeof(*k->v), _cmp);
	/* one symbol per address: a text one, then the first in the file */
	for (size_t i = 0; i < k->n; i++)
		if (!w || k->v[w - 1].sym.addr != k->v[i].sym.addr)
			k->v[w++] = k->v[i];
	k->n = w;
	k->ntext = 0;
	for (size_t i = 0; i < k->n; i++) {
		k->v[i].sym.module = k->mods[k->v[i].module].name;
		k->ntext += k->v[i].text;
	}
	*out = k;
	return 0;
cleanup:
	kallsyms__free(k);
	return err;
}

void kallsyms__free(struct kallsyms *k)
{
	if (!k)
		return;
	free(k->text);
	free(k->v);
	free(k->mods);
	free(k);
}

size_t kallsyms__count(const struct kallsyms *k)
{
	return k->ntext;
}

static const struct entry *_find(const struct kallsyms *k, uint64_t addr)
{
	size_t lo = 0, hi = k->n;
	const struct entry *e;

	/* the last entry with sym.addr <= addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->v[mid].sym.addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	e = &k->v[lo - 1];
	/* in data, or past the end of the kernel's or a module's symbols */
	if (!e->text || (lo == k->n && addr - e->sym.addr >= KALLSYMS_LAST_SPAN))
		return NULL;
	return e;
}

const struct ksym *kallsyms__find(const struct kallsyms *k, uint64_t addr)
{
	const struct entry *e = _find(k, addr);

	return e ? &e->sym : NULL;
}

uint64_t kallsyms__addr(const struct kallsyms *k, const char *name)
{
	uint64_t mod_addr = 0;

	for (size_t i = 0; i < k->n; i++) {
		if (!k->v[i].text || strcmp(k->v[i].sym.name, name))
			continue;
		if (!strcmp(k->v[i].sym.module, KALLSYMS_KERNEL))
			return k->v[i].sym.addr;
		if (!mod_addr)
			mod_addr = k->v[i].sym.addr;
	}
	return mod_addr;
}

int kallsyms__frame(const struct kallsyms *k, uint64_t addr, bool return_addr,
		    struct stack_frame *out)
{
	uint64_t lookup = return_addr && addr ? addr - 1 : addr;
	const struct entry *e = _find(k, lookup);
	const struct kmodule *m = e ? &k->mods[e->module] : NULL;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->module = strdup(m ? m->name : KALLSYMS_KERNEL);
	if (e)
		out->function = strdup(e->sym.name);
	if (!out->module || (e && !out->function)) {
		free(out->module);
		free(out->function);
		memset(out, 0, sizeof(*out));
		return -ENOMEM;
	}
	if (m) {
		out->offset = addr - m->lo;
		out->map_start = m->lo;
		out->map_end = m->hi;
	}
	return 0;
}
