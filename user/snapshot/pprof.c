#include "snapshot/pprof.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/intern.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "snapshot/profile.pb-c.h"

/* Sample values, in Go's heap-profile order. */
enum { V_ALLOC_OBJECTS, V_ALLOC_SPACE, V_INUSE_OBJECTS, V_INUSE_SPACE, V__MAX };

static const struct {
	const char *type, *unit;
} value_types[V__MAX] = {
	[V_ALLOC_OBJECTS] = { "alloc_objects", "count" },
	[V_ALLOC_SPACE] = { "alloc_space", "bytes" },
	[V_INUSE_OBJECTS] = { "inuse_objects", "count" },
	[V_INUSE_SPACE] = { "inuse_space", "bytes" },
};

#define MAX_PROFILE_BYTES (1ULL << 30)   /* decompressed */
/* What decoding may allocate, against the input's size (a crafted file of
 * a few kilobytes must not take gigabytes):
 * - gzip data may expand at most GZIP_RATIO times (plus 1 MiB): profiles
 *   compress 3 to 20 times, a bomb of repeated bytes a thousand times;
 * - the protobuf messages at most PROTO_FACTOR times the protobuf bytes
 *   (plus 16 MiB), every block counted at least MIN_BLOCK bytes (malloc's
 *   real cost): a minimal 4-byte location is a 96-byte struct (24 times),
 *   millions of empty strings cost 20 times, so a file is refused when its
 *   string table has more entries than one per STRING_MIN_BYTES of it
 *   (plus 65,536): a real one averages more than 20 bytes an entry;
 * - the report's stacks, frames and their strings (one copy per frame) at
 *   most REPORT_FACTOR times (plus 64 MiB): a deep profile with long C++
 *   names needs about 60 times.
 * Past a bound the file is refused as "too large for its size". */
#define GZIP_RATIO 64
#define GZIP_SLACK (1u << 20)
#define PROTO_FACTOR 32
#define PROTO_SLACK (16u << 20)
#define REPORT_FACTOR 128
#define REPORT_SLACK (64u << 20)
#define MIN_BLOCK 32
#define STRING_MIN_BYTES 6       /* the file's bytes per string table entry, at least */
#define STRING_SLACK 65536
#define WHY_TOO_LARGE "profile too large for its size"
#define STATS_PREFIX "seep.stats:"

/* ---- encoding ------------------------------------------------------------ */

struct loc {
	Pprof__Location l;
	Pprof__Line line;
	Pprof__Line *linep;
};

struct sample {
	Pprof__Sample s;
	Pprof__Label labels[6];
	Pprof__Label *labelp[6];
	int64_t values[V__MAX];
};

/* The tables being built; pointers into the arrays move as they grow (the
 * pointer arrays protobuf-c packs from are linked at the end). Mapping,
 * function and location I (id I + 1) is the one of key I of its intern. */
struct encoder {
	struct intern *strings, *mapkeys, *funckeys, *lockeys;
	Pprof__Mapping *maps;
	Pprof__Function *funcs;
	struct loc *locs;
	struct sample *samples;
	size_t nmaps, nfuncs, nlocs, nsamples;
	size_t maps_cap, funcs_cap, locs_cap, samples_cap;
	int64_t comments[SEEP_STAT__MAX + 4];
	size_t ncomments;
};

static void _encoder_release(struct encoder *e)
{
	intern__free(e->strings);
	intern__free(e->mapkeys);
	intern__free(e->funckeys);
	intern__free(e->lockeys);
	for (size_t i = 0; i < e->nsamples; i++)
		free(e->samples[i].s.location_id);
	free(e->maps);
	free(e->funcs);
	free(e->locs);
	free(e->samples);
}

/* String-table index of S ("" for NULL); -ENOMEM. */
static int64_t _str(struct encoder *e, const char *s)
{
	return intern__add(e->strings, s ? s : "");
}

static int _comment(struct encoder *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int _comment(struct encoder *e, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int64_t idx;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (e->ncomments == sizeof(e->comments) / sizeof(e->comments[0]))
		return -E2BIG;
	if ((idx = _str(e, buf)) < 0)
		return (int)idx;
	e->comments[e->ncomments++] = idx;
	return 0;
}

/* Id (index + 1) of the frame's module mapping, 0 if it has none. */
static int64_t _mapping(struct encoder *e, const struct stack_frame *f)
{
	char key[4096];
	int64_t idx;
	int err;
	Pprof__Mapping *m;

	if (!f->module)
		return 0;
	snprintf(key, sizeof(key), "%s\x1f%" PRIx64 "\x1f%" PRIx64 "\x1f%s", f->module,
		 f->map_start, f->map_end, f->build_id ? f->build_id : "");
	if ((err = VEC_RESERVE(e->maps, e->maps_cap, e->nmaps + 1)))
		return err;
	idx = intern__add(e->mapkeys, key);
	if (idx < 0)
		return idx;
	if ((size_t)idx == e->nmaps) {
		static const Pprof__Mapping init = PPROF__MAPPING__INIT;

		m = &e->maps[e->nmaps++];
		*m = init;
		m->id = (uint64_t)idx + 1;
		m->memory_start = f->map_start;
		m->memory_limit = f->map_end;
		m->file_offset = 0;  /* map_start is the module's first byte, file offset 0 */
		if ((m->filename = _str(e, f->module)) < 0 || (m->build_id = _str(e, f->build_id)) < 0)
			return -ENOMEM;
	}
	m = &e->maps[idx];
	if (f->function)
		m->has_functions = true;
	if (f->file)
		m->has_filenames = m->has_line_numbers = true;
	return idx + 1;
}

static int64_t _function(struct encoder *e, const struct stack_frame *f)
{
	static const Pprof__Function init = PPROF__FUNCTION__INIT;
	char key[4096];
	int64_t idx;
	int err;
	Pprof__Function *fn;

	snprintf(key, sizeof(key), "%s\x1f%s", f->function, f->file ? f->file : "");
	if ((err = VEC_RESERVE(e->funcs, e->funcs_cap, e->nfuncs + 1)))
		return err;
	idx = intern__add(e->funckeys, key);
	if (idx < 0 || (size_t)idx < e->nfuncs)
		return idx < 0 ? idx : idx + 1;
	fn = &e->funcs[e->nfuncs++];
	*fn = init;
	fn->id = (uint64_t)idx + 1;
	if ((fn->name = _str(e, f->function)) < 0 || (fn->filename = _str(e, f->file)) < 0)
		return -ENOMEM;
	fn->system_name = fn->name;
	return idx + 1;
}

/* The location of frame DEPTH of a stack: frames above the first hold return
 * addresses, and pprof wants an address inside the call instruction. */
static int64_t _location(struct encoder *e, const struct stack_frame *f, size_t depth)
{
	static const Pprof__Location init = PPROF__LOCATION__INIT;
	static const Pprof__Line line_init = PPROF__LINE__INIT;
	uint64_t address = depth > 0 && f->addr ? f->addr - 1 : f->addr;
	int64_t mapping = _mapping(e, f), fn = 0;
	char key[4096];
	int64_t idx;
	int err;
	struct loc *l;

	if (mapping < 0)
		return mapping;
	if (f->function && (fn = _function(e, f)) < 0)
		return fn;
	snprintf(key, sizeof(key), "%" PRId64 "\x1f%" PRIx64 "\x1f%" PRId64 "\x1f%d", mapping,
		 address, fn, f->line);
	if ((err = VEC_RESERVE(e->locs, e->locs_cap, e->nlocs + 1)))
		return err;
	idx = intern__add(e->lockeys, key);
	if (idx < 0 || (size_t)idx < e->nlocs)
		return idx < 0 ? idx : idx + 1;
	l = &e->locs[e->nlocs++];
	*l = (struct loc){ .l = init };
	l->l.id = (uint64_t)idx + 1;
	l->l.mapping_id = (uint64_t)mapping;
	l->l.address = address;
	if (fn) {
		l->line = line_init;
		l->line.function_id = (uint64_t)fn;
		l->line.line = f->line;
	}
	return idx + 1;
}

static int _label(struct encoder *e, struct sample *s, const char *key, const char *str,
		  int64_t num, const char *unit)
{
	static const Pprof__Label init = PPROF__LABEL__INIT;
	Pprof__Label *l = &s->labels[s->s.n_label];

	*l = init;
	if ((l->key = _str(e, key)) < 0)
		return -ENOMEM;
	if (str && (l->str = _str(e, str)) < 0)
		return -ENOMEM;
	if (!str)
		l->num = num;
	if (unit && (l->num_unit = _str(e, unit)) < 0)
		return -ENOMEM;
	s->s.n_label++;
	return 0;
}

static int _sample(struct encoder *e, const struct report *r, const struct report_stack *rs)
{
	static const Pprof__Sample init = PPROF__SAMPLE__INIT;
	struct sample *s = VEC_PUSH(e->samples, e->nsamples, e->samples_cap);
	int err;

	if (!s)
		return -ENOMEM;
	*s = (struct sample){ .s = init };
	e->nsamples++;
	s->s.location_id = calloc(rs->nframes ? rs->nframes : 1, sizeof(uint64_t));
	if (!s->s.location_id)
		return -ENOMEM;
	for (size_t i = 0; i < rs->nframes; i++) {
		int64_t id = _location(e, &rs->frames[i], i);

		if (id < 0)
			return (int)id;
		s->s.location_id[s->s.n_location_id++] = (uint64_t)id;
	}
	s->values[V_ALLOC_OBJECTS] = (int64_t)rs->alloc_count;
	s->values[V_ALLOC_SPACE] = (int64_t)rs->alloc_bytes;
	s->values[V_INUSE_OBJECTS] = (int64_t)rs->count;
	s->values[V_INUSE_SPACE] = (int64_t)rs->bytes;
	s->s.n_value = V__MAX;
	if ((err = _label(e, s, "pid", NULL, r->pid, NULL)) ||
	    (err = _label(e, s, "comm", r->comm, 0, NULL)) ||
	    (err = _label(e, s, "oldest_age", NULL, llround(rs->oldest_age_s * 1000),
			  "milliseconds")) ||
	    (err = _label(e, s, "samples", NULL, (int64_t)rs->samples, "count")) ||
	    (rs->bytes_stddev > 0 &&
	     (err = _label(e, s, "bytes_stddev", NULL, llround(rs->bytes_stddev), "bytes"))))
		return err;
	if (rs->truncated && (err = _label(e, s, "truncated", "true", 0, NULL)))
		return err;
	if (rs->fp_fallback && (err = _label(e, s, "fp_fallback", "true", 0, NULL)))
		return err;
	return 0;
}

/* Links the pointer arrays protobuf-c packs from, now that nothing moves. */
static int _link(struct encoder *e, Pprof__Profile *p, void **ptrs)
{
	size_t n = e->nmaps + e->nfuncs + e->nlocs + e->nsamples, k = 0;
	void **v = calloc(n ? n : 1, sizeof(void *));
	struct loc *locs = e->locs;
	struct sample *ss = e->samples;

	if (!v)
		return -ENOMEM;
	*ptrs = v;
	p->mapping = (Pprof__Mapping **)v + k;
	for (size_t i = 0; i < e->nmaps; i++)
		v[k++] = &e->maps[i];
	p->function = (Pprof__Function **)v + k;
	for (size_t i = 0; i < e->nfuncs; i++)
		v[k++] = &e->funcs[i];
	p->location = (Pprof__Location **)v + k;
	for (size_t i = 0; i < e->nlocs; i++) {
		v[k++] = &locs[i].l;
		if (locs[i].line.function_id) {
			locs[i].linep = &locs[i].line;
			locs[i].l.line = &locs[i].linep;
			locs[i].l.n_line = 1;
		}
	}
	p->sample = (Pprof__Sample **)v + k;
	for (size_t i = 0; i < e->nsamples; i++) {
		v[k++] = &ss[i].s;
		ss[i].s.value = ss[i].values;
		for (size_t j = 0; j < ss[i].s.n_label; j++)
			ss[i].labelp[j] = &ss[i].labels[j];
		ss[i].s.label = ss[i].labelp;
	}
	p->n_mapping = e->nmaps;
	p->n_function = e->nfuncs;
	p->n_location = e->nlocs;
	p->n_sample = e->nsamples;
	return 0;
}

static int _gzip(const uint8_t *in, size_t len, void **out, size_t *out_len)
{
	z_stream z = { 0 };
	uLong cap;
	uint8_t *buf;
	int zerr;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, MAX_WBITS + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, (uLong)len) + 32;
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	zerr = deflate(&z, Z_FINISH);
	*out_len = z.total_out;
	deflateEnd(&z);
	if (zerr != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

/* pprof readers take the first mapping for the program: the module of
 * main(), else the first whose file name starts with the process's name. */
static int _main_mapping(struct encoder *e, const struct report *r)
{
	const struct stack_frame *best = NULL;

	for (size_t i = 0; i < r->nstacks && !best; i++)
		for (size_t j = 0; j < r->stacks[i].nframes; j++) {
			const struct stack_frame *f = &r->stacks[i].frames[j];
			const char *base = f->module ? strrchr(f->module, '/') : NULL;

			if (f->function && !strcmp(f->function, "main")) {
				best = f;
				break;
			}
			if (!best && base && r->comm[0] && !strncmp(base + 1, r->comm, strlen(r->comm)))
				best = f;
		}
	return best && _mapping(e, best) < 0 ? -ENOMEM : 0;
}

/* The session's counters, on one line: "seep.stats: allocs=N frees=N ..." */
static int _stats_comment(struct encoder *e, const struct report *r)
{
	char line[1024];
	size_t pos = snprintf(line, sizeof(line), STATS_PREFIX);

	for (int s = 0; s < SEEP_STAT__MAX && pos < sizeof(line); s++)
		pos += snprintf(line + pos, sizeof(line) - pos, " %s=%" PRIu64,
				report__stat_name(s), r->stats[s]);
	if (pos < sizeof(line))
		snprintf(line + pos, sizeof(line) - pos, " stack_store_full=%" PRIu64
			 " stacks_queued=%" PRIu64 " execs=%" PRIu64, r->stack_store_full,
			 r->stacks_queued, r->execs);
	return _comment(e, "%s", line);
}

/* The sampling rate: the caller's, else the one the report was made with. */
static uint64_t _rate(const struct report *r, const struct pprof_options *o)
{
	return o->sample_bytes ? o->sample_bytes : r->sample_bytes;
}

static int _encode(struct encoder *e, const struct report *r, const struct pprof_options *o,
		   Pprof__Profile *p)
{
	int err;

	if (_str(e, "") != 0)
		return -ENOMEM;
	if ((err = _main_mapping(e, r)))
		return err;
	for (size_t i = 0; i < r->nstacks; i++)
		if ((err = _sample(e, r, &r->stacks[i])))
			return err;
	if ((err = _comment(e, "seep heap snapshot of pid %d (%s)", r->pid, r->comm)))
		return err;
	if (_rate(r, o) > 1)
		err = _comment(e, "sampling: one sample per %" PRIu64 " bytes (values are estimates)",
			       _rate(r, o));
	else
		err = _comment(e, "sampling: every allocation");
	if (err || (r->final && (err = _comment(e, "seep.final=1"))) ||
	    (r->exited && (err = _comment(e, "seep.exited=1"))))
		return err;
	if ((err = _stats_comment(e, r)))
		return err;
	p->comment = e->comments;
	p->n_comment = e->ncomments;
	return 0;
}

int pprof__encode(const struct report *r, const struct pprof_options *o, void **buf,
		  size_t *len)
{
	static const Pprof__Profile init = PPROF__PROFILE__INIT;
	static const Pprof__ValueType vt_init = PPROF__VALUE_TYPE__INIT;
	Pprof__ValueType types[V__MAX], period_type = vt_init;
	Pprof__ValueType *typep[V__MAX];
	Pprof__Profile p = init;
	struct encoder e = { 0 };
	void *ptrs = NULL;
	uint8_t *packed = NULL;
	size_t n;
	int err = -ENOMEM;

	e.strings = intern__new();
	e.mapkeys = intern__new();
	e.funckeys = intern__new();
	e.lockeys = intern__new();
	if (!e.strings || !e.mapkeys || !e.funckeys || !e.lockeys)
		goto cleanup;
	if ((err = _encode(&e, r, o, &p)))
		goto cleanup;
	for (int i = 0; i < V__MAX; i++) {
		types[i] = vt_init;
		types[i].type = _str(&e, value_types[i].type);
		types[i].unit = _str(&e, value_types[i].unit);
		typep[i] = &types[i];
	}
	period_type.type = _str(&e, "space");
	period_type.unit = _str(&e, "bytes");
	p.default_sample_type = _str(&e, "inuse_space");
	if (period_type.unit < 0 || p.default_sample_type < 0 || types[V__MAX - 1].unit < 0) {
		err = -ENOMEM;
		goto cleanup;
	}
	p.sample_type = typep;
	p.n_sample_type = V__MAX;
	p.period_type = &period_type;
	p.period = _rate(r, o) > 1 ? (int64_t)_rate(r, o) : 1;
	p.time_nanos = (int64_t)floor(r->time) * 1000000000 +
		       llround((r->time - floor(r->time)) * 1e9);
	p.duration_nanos = (int64_t)llround(r->elapsed_s * 1e9);
	if ((err = _link(&e, &p, &ptrs)))
		goto cleanup;
	/* the string table last: every string is interned by now */
	n = intern__len(e.strings);
	p.string_table = calloc(n, sizeof(char *));
	if (!p.string_table) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		p.string_table[i] = (char *)intern__str(e.strings, i);
	p.n_string_table = n;
	n = pprof__profile__get_packed_size(&p);
	packed = malloc(n ? n : 1);
	if (!packed) {
		err = -ENOMEM;
		goto cleanup;
	}
	pprof__profile__pack(&p, packed);
	err = _gzip(packed, n, buf, len);
cleanup:
	free(packed);
	free(p.string_table);
	free(ptrs);
	_encoder_release(&e);
	return err;
}

/* ---- decoding ------------------------------------------------------------ */

/* LEN * FACTOR + SLACK, saturated. */
static size_t _bound(size_t len, size_t factor, size_t slack)
{
	return len > (SIZE_MAX - slack) / factor ? SIZE_MAX : len * factor + slack;
}

static int _gunzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len,
		   const char **why)
{
	z_stream z = { 0 };
	size_t cap = len * 4 + 4096;
	size_t most = _bound(len, GZIP_RATIO, GZIP_SLACK);
	uint8_t *buf = malloc(cap);
	int zerr = Z_OK;

	if (!buf || inflateInit2(&z, MAX_WBITS + 16) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	while (zerr == Z_OK) {
		/* full: double (VEC_RESERVE of one more byte), up to the cap */
		if (z.total_out == cap &&
		    (cap > MAX_PROFILE_BYTES / 2 || VEC_RESERVE(buf, cap, cap + 1))) {
			*why = cap > MAX_PROFILE_BYTES / 2 ? "larger than 1 GiB uncompressed"
							   : "out of memory";
			zerr = Z_MEM_ERROR;
			break;
		}
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		zerr = inflate(&z, Z_NO_FLUSH);
		if (zerr == Z_OK && z.total_out > most) {
			*why = WHY_TOO_LARGE " (its gzip data expands more than 64 times)";
			zerr = Z_MEM_ERROR;
			break;
		}
	}
	*out_len = z.total_out;
	inflateEnd(&z);
	if (zerr == Z_STREAM_END) {
		*out = buf;
		return 0;
	}
	free(buf);
	if (*why)
		;
	else if (zerr == Z_BUF_ERROR)
		*why = "truncated gzip data";
	else if (zerr == Z_DATA_ERROR)
		*why = "corrupted gzip data";
	else if (!*why)
		*why = "cannot decompress";
	if (*why && !strncmp(*why, WHY_TOO_LARGE, strlen(WHY_TOO_LARGE)))
		return -EFBIG;
	return zerr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
}

/* What the protobuf decoder may still allocate; protobuf-c's allocator
 * hook. Each block carries its size in front, so frees give it back. */
struct budget {
	size_t left;
	bool exceeded;           /* a request went past the budget */
	bool oom;                /* malloc failed within it */
};

#define BLOCK_HDR 16   /* keeps the max_align_t alignment of malloc */

static size_t _cost(size_t size)
{
	return size + BLOCK_HDR < MIN_BLOCK ? MIN_BLOCK : size + BLOCK_HDR;
}

static void *_budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	unsigned char *p;

	if (size > SIZE_MAX / 2 || _cost(size) > b->left) {
		b->exceeded = true;
		return NULL;
	}
	p = malloc(size + BLOCK_HDR);
	if (!p) {
		b->oom = true;
		return NULL;
	}
	memcpy(p, &size, sizeof(size));
	b->left -= _cost(size);
	return p + BLOCK_HDR;
}

static void _budget_free(void *data, void *ptr)
{
	struct budget *b = data;
	unsigned char *p = ptr;
	size_t size;

	if (!p)
		return;
	p -= BLOCK_HDR;
	memcpy(&size, p, sizeof(size));
	b->left += _cost(size);
	free(p);
}

/* Lookups from ids to the profile's messages: ids are usually 1..n (the
 * id is the index + 1); otherwise a hash index over the ids. */
struct id_index {
	bool dense;
	struct hashmap map;
};

struct decoder {
	const Pprof__Profile *p;
	int v[V__MAX];           /* sample_type index of each value, -1 if absent */
	struct id_index locs, funcs, maps;
	size_t left;             /* what the report may still take (frames, strings) */
};

/* Takes N bytes of the report's budget: 0, or -E2BIG when it is spent. */
static int _spend(struct decoder *d, size_t n)
{
	if (n > d->left)
		return -E2BIG;
	d->left -= n;
	return 0;
}

static const char *_s(const struct decoder *d, int64_t idx)
{
	return idx >= 0 && (size_t)idx < d->p->n_string_table ? d->p->string_table[idx] : NULL;
}

/* NULL for "" and bad indexes; the copy is charged to the budget. */
static char *_sdup(struct decoder *d, int64_t idx, int *err)
{
	const char *s = _s(d, idx);
	size_t n;
	char *c;

	if (!s || !*s)
		return NULL;
	n = strlen(s) + 1;
	if (_spend(d, n)) {
		*err = -E2BIG;
		return NULL;
	}
	c = malloc(n);
	if (!c) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(c, s, n);
	return c;
}

static uint64_t _id_hash(uint64_t id)
{
	return hash__finish(hash__update_u64(HASH_SEED, id));
}

#define DEFINE_FIND(name, type, arr, n_arr, idx)                                    \
	static bool name##_eq(uint32_t i, const void *key, void *ctx)              \
	{                                                                           \
		const struct decoder *d = ctx;                                      \
		return d->p->arr[i]->id == *(const uint64_t *)key;                  \
	}                                                                           \
	static const type *name(const struct decoder *d, uint64_t id)               \
	{                                                                           \
		int64_t i;                                                          \
		if (d->idx.dense)                                                   \
			return id && id <= d->p->n_arr ? d->p->arr[id - 1] : NULL;  \
		i = hashmap__find(&d->idx.map, _id_hash(id), &id, name##_eq,        \
				  (void *)d);                                       \
		return i >= 0 ? d->p->arr[i] : NULL;                                \
	}                                                                           \
	/* Indexes the ids: 0, -EINVAL (*WHY) for a duplicate, -ENOMEM. */          \
	static int name##_index(struct decoder *d, const char **why)                \
	{                                                                           \
		struct id_index *x = &d->idx;                                       \
		x->dense = true;                                                    \
		for (size_t i = 0; i < d->p->n_arr && x->dense; i++)                \
			x->dense = d->p->arr[i]->id == i + 1;                       \
		if (x->dense)                                                       \
			return 0;                                                   \
		if (d->p->n_arr >= UINT32_MAX || hashmap__reserve(&x->map, d->p->n_arr)) \
			return -ENOMEM;                                             \
		for (size_t i = 0; i < d->p->n_arr; i++) {                          \
			uint64_t id = d->p->arr[i]->id;                             \
			if (hashmap__find(&x->map, _id_hash(id), &id, name##_eq, d) >= 0) { \
				*why = "corrupted profile: two " #arr "s with one id";      \
				return -EINVAL;                                     \
			}                                                           \
			if (hashmap__add(&x->map, _id_hash(id), (uint32_t)i))       \
				return -ENOMEM;                                     \
		}                                                                   \
		return 0;                                                           \
	}
DEFINE_FIND(_find_location, Pprof__Location, location, n_location, locs)
DEFINE_FIND(_find_function, Pprof__Function, function, n_function, funcs)
DEFINE_FIND(_find_mapping, Pprof__Mapping, mapping, n_mapping, maps)

static void _decoder_release(struct decoder *d)
{
	hashmap__release(&d->locs.map);
	hashmap__release(&d->funcs.map);
	hashmap__release(&d->maps.map);
}

/* Checks the references a reader relies on; *WHY says what is wrong. */
static int _validate(struct decoder *d, const char **why)
{
	const Pprof__Profile *p = d->p;
	size_t ns = p->n_string_table;
	int err;

	if (!ns || p->string_table[0][0]) {
		*why = "not a pprof profile: no string table";
		return -EINVAL;
	}
	if (!p->n_sample_type) {
		*why = "not a pprof profile: no sample types";
		return -EINVAL;
	}
	for (int v = 0; v < V__MAX; v++)
		d->v[v] = -1;
	if ((err = _find_location_index(d, why)) || (err = _find_function_index(d, why)) ||
	    (err = _find_mapping_index(d, why)))
		return err;
	for (size_t i = 0; i < p->n_sample_type; i++) {
		const char *t = _s(d, p->sample_type[i]->type);

		if (!t || !_s(d, p->sample_type[i]->unit)) {
			*why = "not a pprof profile: bad string index in a sample type";
			return -EINVAL;
		}
		for (int v = 0; v < V__MAX; v++)
			if (!strcmp(t, value_types[v].type) && d->v[v] < 0)
				d->v[v] = (int)i;
	}
	if (d->v[V_INUSE_SPACE] < 0) {
		*why = "not a heap profile: no inuse_space sample type";
		return -EINVAL;
	}
	for (size_t i = 0; i < p->n_sample; i++) {
		if (p->sample[i]->n_value != p->n_sample_type) {
			*why = "corrupted profile: a sample has the wrong number of values";
			return -EINVAL;
		}
		for (size_t j = 0; j < p->sample[i]->n_location_id; j++)
			if (!_find_location(d, p->sample[i]->location_id[j])) {
				*why = "corrupted profile: a sample names a missing location";
				return -EINVAL;
			}
	}
	for (size_t i = 0; i < p->n_location; i++) {
		const Pprof__Location *l = p->location[i];

		if (l->mapping_id && !_find_mapping(d, l->mapping_id)) {
			*why = "corrupted profile: a location names a missing mapping";
			return -EINVAL;
		}
		for (size_t j = 0; j < l->n_line; j++) {
			const Pprof__Function *f = _find_function(d, l->line[j]->function_id);

			if (!f || !_s(d, f->name) || !_s(d, f->filename)) {
				*why = "corrupted profile: a location names a missing function";
				return -EINVAL;
			}
		}
	}
	for (size_t i = 0; i < p->n_mapping; i++)
		if (!_s(d, p->mapping[i]->filename) || !_s(d, p->mapping[i]->build_id)) {
			*why = "corrupted profile: bad string index in a mapping";
			return -EINVAL;
		}
	return 0;
}

static int _frame(struct decoder *d, const Pprof__Location *l, const Pprof__Line *line,
		  size_t depth, struct stack_frame *f)
{
	const Pprof__Mapping *m = l->mapping_id ? _find_mapping(d, l->mapping_id) : NULL;
	int err = 0;

	memset(f, 0, sizeof(*f));
	f->addr = depth > 0 && l->address ? l->address + 1 : l->address;
	f->offset = m ? l->address - m->memory_start + m->file_offset : l->address;
	if (m) {
		f->module = _sdup(d, m->filename, &err);
		f->build_id = _sdup(d, m->build_id, &err);
		f->map_start = m->memory_start;
		f->map_end = m->memory_limit;
	}
	if (line) {
		const Pprof__Function *fn = _find_function(d, line->function_id);

		f->function = _sdup(d, fn->name, &err);
		f->file = _sdup(d, fn->filename, &err);
		f->line = (int)line->line;
	}
	return err;
}

static int _stack(struct decoder *d, const Pprof__Sample *s, struct report *r,
		  struct report_stack *rs)
{
	size_t n = 0;
	int err;

	for (int v = 0; v < V__MAX; v++) {
		int64_t x = d->v[v] >= 0 ? s->value[d->v[v]] : 0;
		uint64_t u = x > 0 ? (uint64_t)x : 0;

		switch (v) {
		case V_ALLOC_OBJECTS: rs->alloc_count = u; break;
		case V_ALLOC_SPACE: rs->alloc_bytes = u; break;
		case V_INUSE_OBJECTS: rs->count = u; break;
		default: rs->bytes = u; break;
		}
	}
	for (size_t i = 0; i < s->n_location_id; i++) {
		const Pprof__Location *l = _find_location(d, s->location_id[i]);

		n += l->n_line ? l->n_line : 1;
	}
	if (n > SIZE_MAX / sizeof(*rs->frames) || _spend(d, n * sizeof(*rs->frames)))
		return -E2BIG;
	rs->frames = calloc(n ? n : 1, sizeof(*rs->frames));
	if (!rs->frames)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_location_id; i++) {
		const Pprof__Location *l = _find_location(d, s->location_id[i]);

		for (size_t j = 0; j < (l->n_line ? l->n_line : 1); j++) {
			err = _frame(d, l, l->n_line ? l->line[j] : NULL, i,
				     &rs->frames[rs->nframes]);
			rs->nframes++;
			if (err)
				return err;
		}
	}
	for (size_t i = 0; i < s->n_label; i++) {
		const Pprof__Label *l = s->label[i];
		const char *key = _s(d, l->key), *str = _s(d, l->str);

		if (!key)
			continue;
		if (!strcmp(key, "pid") && !r->pid)
			r->pid = (int)l->num;
		else if (!strcmp(key, "comm") && str && !r->comm[0])
			snprintf(r->comm, sizeof(r->comm), "%s", str);
		else if (!strcmp(key, "oldest_age"))
			rs->oldest_age_s = (double)l->num / 1000;
		else if (!strcmp(key, "truncated") && str && !strcmp(str, "true"))
			rs->truncated = true;
		else if (!strcmp(key, "fp_fallback") && str && !strcmp(str, "true"))
			rs->fp_fallback = true;
		else if (!strcmp(key, "samples") && l->num > 0)
			rs->samples = (uint64_t)l->num;
		else if (!strcmp(key, "bytes_stddev") && l->num > 0)
			rs->bytes_stddev = (double)l->num;
	}
	return 0;
}

static void _parse_stats(const char *c, struct report *r)
{
	char name[64];
	unsigned long long v;
	int used;

	while (sscanf(c, " %63[^= ]=%llu%n", name, &v, &used) == 2) {
		for (int s = 0; s < SEEP_STAT__MAX; s++)
			if (!strcmp(name, report__stat_name(s)))
				r->stats[s] = v;
		if (!strcmp(name, "stack_store_full"))
			r->stack_store_full = v;
		else if (!strcmp(name, "stacks_queued"))
			r->stacks_queued = v;
		else if (!strcmp(name, "execs"))
			r->execs = v;
		c += used;
	}
}

static void _comments(const struct decoder *d, struct report *r)
{
	for (size_t i = 0; i < d->p->n_comment; i++) {
		const char *c = _s(d, d->p->comment[i]);

		if (!c)
			continue;
		if (!strcmp(c, "seep.final=1"))
			r->final = true;
		else if (!strcmp(c, "seep.exited=1"))
			r->exited = true;
		else if (!strncmp(c, STATS_PREFIX, strlen(STATS_PREFIX)))
			_parse_stats(c + strlen(STATS_PREFIX), r);
	}
}

/* The sampling rate, from a period in bytes ("space"/"bytes"): the
 * period, 1 for every allocation; 0 when the profile does not say. */
static uint64_t _period(const struct decoder *d)
{
	const Pprof__ValueType *pt = d->p->period_type;
	const char *unit = pt ? _s(d, pt->unit) : NULL;

	if (!unit || strcmp(unit, "bytes") || d->p->period <= 0)
		return 0;
	return (uint64_t)d->p->period;
}

static int _by_bytes(const void *a, const void *b)
{
	const struct report_stack *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x < y ? -1 : x > y;   /* keeps the file's order */
}

/* A varint at *P (before END) into *V; false at the end or past 10 bytes. */
static bool _varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t byte = *(*p)++;

		*v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return true;
	}
	return false;
}

/* The entries of the profile's string table (field 6), counted over its
 * top-level fields without decoding them (a malformed file stops the count:
 * the decoder then says what is wrong). */
static size_t _count_strings(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint64_t key, n;
	size_t count = 0;

	while (p < end && _varint(&p, end, &key)) {
		switch (key & 7) {
		case 0:
			if (!_varint(&p, end, &n))
				return count;
			break;
		case 1:
			if ((size_t)(end - p) < 8)
				return count;
			p += 8;
			break;
		case 2:
			if (!_varint(&p, end, &n) || n > (uint64_t)(end - p))
				return count;
			p += n;
			count += key >> 3 == 6;
			break;
		case 5:
			if ((size_t)(end - p) < 4)
				return count;
			p += 4;
			break;
		default:
			return count;
		}
	}
	return count;
}

int pprof__decode(const void *buf, size_t len, struct report *out, const char **why)
{
	const uint8_t *in = buf;
	uint8_t *plain = NULL;
	size_t plain_len = len;
	struct decoder d = { 0 };
	struct budget b = { 0 };
	ProtobufCAllocator pballoc = { .alloc = _budget_alloc, .free = _budget_free, .allocator_data = &b };
	Pprof__Profile *p = NULL;
	int err;

	*why = NULL;
	memset(out, 0, sizeof(*out));
	if (!len) {
		*why = "empty file";
		return -EINVAL;
	}
	if (len >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
		if ((err = _gunzip(in, len, &plain, &plain_len, why)))
			return err;
		in = plain;
	}
	/* An empty string is 2 bytes of protobuf and 40 decoded (a pointer and
	 * a block): millions of them fit the protobuf budget at 20 times the
	 * file, compressed or not. Real string tables average far more than
	 * STRING_MIN_BYTES a string: fewer strings than that are refused. */
	if (_count_strings(in, plain_len) > plain_len / STRING_MIN_BYTES + STRING_SLACK) {
		*why = WHY_TOO_LARGE ": too many strings";
		err = -EFBIG;
		goto cleanup;
	}
	b.left = _bound(plain_len, PROTO_FACTOR, PROTO_SLACK);
	p = pprof__profile__unpack(&pballoc, plain_len, in);
	if (!p) {
		if (b.exceeded) {
			*why = WHY_TOO_LARGE;
			err = -EFBIG;
		} else if (b.oom) {
			err = -ENOMEM;
		} else {
			*why = "not a pprof profile (malformed protobuf)";
			err = -EINVAL;
		}
		goto cleanup;
	}
	d.p = p;
	d.left = _bound(plain_len, REPORT_FACTOR, REPORT_SLACK);
	if ((err = _validate(&d, why)))
		goto cleanup;
	out->time = (double)(p->time_nanos / 1000000000) + (double)(p->time_nanos % 1000000000) / 1e9;
	out->elapsed_s = (double)p->duration_nanos / 1e9;
	out->stacks = calloc(p->n_sample ? p->n_sample : 1, sizeof(*out->stacks));
	err = -ENOMEM;
	if (!out->stacks)
		goto cleanup;
	err = -E2BIG;
	if (_spend(&d, p->n_sample * sizeof(*out->stacks)))
		goto cleanup;
	for (size_t i = 0; i < p->n_sample; i++) {
		struct report_stack *rs = &out->stacks[out->nstacks++];

		if ((err = _stack(&d, p->sample[i], out, rs)))
			goto cleanup;
		out->total_bytes += rs->bytes;
		out->total_count += rs->count;
		out->total_samples += rs->samples;
	}
	out->sample_bytes = _period(&d);
	out->stacks_total = out->nstacks;
	qsort(out->stacks, out->nstacks, sizeof(*out->stacks), _by_bytes);
	_comments(&d, out);
	err = 0;
cleanup:
	if (err == -E2BIG) {
		*why = WHY_TOO_LARGE;
		err = -EFBIG;
	}
	if (err) {
		if (err == -ENOMEM && !*why)
			*why = "out of memory";
		report__release(out);
	}
	_decoder_release(&d);
	pprof__profile__free_unpacked(p, &pballoc);
	free(plain);
	return err;
}

int pprof__read_file(const char *path, struct report *out)
{
	const char *why = NULL;
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto cleanup;
	}
	if ((uint64_t)st.st_size > MAX_PROFILE_BYTES) {
		err = -EFBIG;
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	err = pprof__decode(buf, len, out, &why);
cleanup:
	if (err)
		pr_err("cannot read profile '%s': %s", path, why ? why : strerror(-err));
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}
