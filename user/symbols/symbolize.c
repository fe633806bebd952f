#include "symbols/symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "sys/procmaps.h"
#include "symbols/symcache.h"
#include "symbols/unwind.h"

/* From the C++ ABI runtime (libstdc++); elfutils has no demangler of its own. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct symbolizer {
	pid_t pid;
	struct symcache *cache;      /* shared, not owned; may be NULL */
	Dwfl *dwfl;
	struct unwinder *unwinder;   /* attached to dwfl on first use */
	struct procmaps maps;
	uint32_t maps_crc;
	uint64_t miss_refresh_ns;    /* the last re-read for an unwind outside every module */
	bool has_go;                 /* a module is a Go program (its stacks switch) */
};

/* An unwind that reaches an address in no known module (a library
 * dlopened, or an image exec'd, since the modules were read) re-reads the
 * mappings and runs again; at most this often, for processes whose code
 * really lies outside every file (JIT). */
#define MISS_REFRESH_NS 20000000ULL

static char *debuginfo_path;

/* Modules are reported with their files already open (dwfl_report_elf), so
 * find_elf is not called for them; separate debug files are looked up the
 * standard way: .gnu_debuglink, /usr/lib/debug/.build-id, and debuginfod
 * when DEBUGINFOD_URLS is set. */
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* A C++ name demangled, without symbol version: a new string. */
static char *_demangle(const char *name)
{
	size_t len = strcspn(name, "@");  /* no symbol version (@@GLIBC_2.34) */
	char *bare = strndup(name, len), *d;
	int status = -1;

	if (bare && bare[0] == '_' && bare[1] == 'Z') {
		d = __cxa_demangle(bare, NULL, NULL, &status);
		if (d && status == 0) {
			free(bare);
			return d;
		}
		free(d);
	}
	return bare;
}

/* A digest of PID's file mappings: what the module list depends on. Other
 * changes (the heap growing, anonymous mappings) do not change it. Returns
 * 0 if the mappings cannot be read (the process exited). */
static uint32_t _modules_crc(pid_t pid)
{
	struct procmaps maps;
	uint32_t crc = crc32(0, NULL, 0);

	if (procmaps__read(pid, &maps))
		return 0;
	for (size_t i = 0; i < maps.n; i++) {
		const struct procmap *m = &maps.v[i];

		if (!procmap__is_file(m))
			continue;
		crc = crc32(crc, (const Bytef *)&m->start, sizeof(m->start));
		crc = crc32(crc, (const Bytef *)&m->inode, sizeof(m->inode));
		crc = crc32(crc, (const Bytef *)m->path, (uInt)strlen(m->path));
	}
	procmaps__release(&maps);
	return crc ? crc : 1;
}

/* Reports every file-backed module of the process to DWFL, opened through
 * /proc/PID/root (another mount namespace) or /proc/PID/map_files (a file
 * deleted or replaced since it was mapped), at the bias its lowest mapping
 * gives. Opening them now keeps them readable after the process exits. */
static int _report_modules(Dwfl *dwfl, pid_t pid, const struct procmaps *maps)
{
	for (size_t i = 0; i < maps->n; i++) {
		const struct procmap *m = &maps->v[i];
		char path[4096];
		bool seen = false;

		if (!procmap__is_file(m))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = maps->v[j].inode == m->inode && maps->v[j].dev_major == m->dev_major &&
			       maps->v[j].dev_minor == m->dev_minor;
		if (seen || procmaps__open_path(pid, m, path, sizeof(path)))
			continue;
		/* The first mapping of a file is its lowest offset: bias = start - offset. */
		if (!dwfl_report_elf(dwfl, m->path, path, -1, m->start - m->offset, false))
			pr_debug("pid %d: no symbols from '%s': %s", (int)pid, m->path,
				 dwfl_errmsg(-1));
	}
	return 0;
}

/* dwfl_getmodules callback: notes a module built by Go (its runtime's
 * pc-line table section). */
static int _find_go(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
		    void *arg)
{
	struct symbolizer *s = arg;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	(void)userdata;
	(void)name;
	(void)start;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return DWARF_CB_OK;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr shdr;
		const char *sname;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		sname = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (sname && (!strcmp(sname, ".gopclntab") || !strcmp(sname, ".go.buildinfo"))) {
			s->has_go = true;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

static int _build(struct symbolizer *s)
{
	Dwfl *dwfl = dwfl_begin(&callbacks);
	struct procmaps maps;
	uint32_t crc = _modules_crc(s->pid);
	int err;

	if (!dwfl)
		return -ENOMEM;
	err = procmaps__read(s->pid, &maps);
	if (err) {
		dwfl_end(dwfl);
		return err;
	}
	dwfl_report_begin(dwfl);
	_report_modules(dwfl, s->pid, &maps);
	if (dwfl_report_end(dwfl, NULL, NULL) != 0) {
		procmaps__release(&maps);
		dwfl_end(dwfl);
		return -ENOMEM;
	}
	s->has_go = false;
	dwfl_getmodules(dwfl, _find_go, s, 0);
	unwinder__free(s->unwinder);
	s->unwinder = NULL;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	procmaps__release(&s->maps);
	s->dwfl = dwfl;
	s->maps = maps;
	s->maps_crc = crc;
	return 0;
}

struct symbolizer *symbolizer__new(pid_t pid, struct symcache *cache)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->pid = pid;
	s->cache = cache;
	err = _build(s);
	if (err) {
		free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void symbolizer__free(struct symbolizer *s)
{
	if (!s)
		return;
	unwinder__free(s->unwinder);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	procmaps__release(&s->maps);
	free(s);
}

int symbolizer__refresh(struct symbolizer *s)
{
	uint32_t crc = _modules_crc(s->pid);
	int err;

	if (!crc || crc == s->maps_crc)
		return 0;  /* exited (keep the last view) or unchanged */
	err = _build(s);
	if (err)
		return err == -ENOMEM ? -ENOMEM : 0;
	return 1;
}

/* The module's GNU build ID in hex, or NULL. */
static char *_build_id(Dwfl_Module *mod)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	char *hex;

	if (n <= 0)
		return NULL;
	hex = malloc((size_t)n * 2 + 1);
	if (!hex)
		return NULL;
	for (int i = 0; i < n; i++)
		snprintf(hex + i * 2, 3, "%02x", bits[i]);
	return hex;
}

static const char *_anon_label(const struct procmap *m)
{
	if (!m)
		return "[unknown]";
	if (!m->path)
		return m->perms[2] == 'x' ? "[anon:exec]" : "[anon]";
	return m->path;  /* [heap], [stack], [vdso], memfd:... */
}

/* One level of the inline chain at an address. */
struct _level {
	char *function;          /* owned; NULL: the ELF symbol's name (the outermost level) */
	const char *file;        /* borrowed from libdw's file table; NULL if none */
	int line;
};

/* The name of a subprogram or inlined subroutine DIE (through its abstract
 * origin), demangled: a new string, or NULL. */
static char *_die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));

	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
	return name ? _demangle(name) : NULL;
}

static void _levels_release(struct _level *lv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lv[i].function);
}

/* The compile unit whose ranges hold LOOKUP, found by walking every unit:
 * for the units .debug_aranges leaves out (Go's linker lists only the
 * cgo C units there; the Go units say their ranges in their DIEs). NULL
 * if none holds it. */
static Dwarf_Die *_cu_by_ranges(Dwfl_Module *mod, uint64_t lookup, Dwarf_Addr *bias)
{
	Dwarf_Die *cu = NULL;

	while ((cu = dwfl_module_nextcu(mod, cu, bias)) != NULL)
		if (dwarf_haspc(cu, lookup - *bias) > 0)
			return cu;
	return NULL;
}

/* The inline chain at LOOKUP in MOD, innermost first, as addr2line -i gives
 * it: level 0 is the innermost inlined function with the line of LOOKUP,
 * each next level the function it was inlined into with the line of the
 * inlined call, the last the physical function (named by the ELF symbol
 * table). Only an address inside a compile unit's ranges gets a line: one
 * outside (code without debug information, such as _start) gets none,
 * never a neighbouring unit's. Returns the number of levels (1 without
 * debug information), at most MAX, or -ENOMEM. */
static int _inline_chain(Dwfl_Module *mod, uint64_t lookup, struct _level *lv, size_t max)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, lookup, &bias);
	Dwarf_Die *scopes = NULL;
	Dwarf_Files *files = NULL;
	Dwarf_Line *row;
	size_t n = 1, nfiles = 0;
	int nscopes;

	memset(lv, 0, sizeof(*lv));
	if (!cu || dwarf_haspc(cu, lookup - bias) <= 0)
		cu = _cu_by_ranges(mod, lookup, &bias);
	if (!cu)
		return 1;
	row = dwarf_getsrc_die(cu, lookup - bias);
	if (row) {
		lv[0].file = dwarf_linesrc(row, NULL, NULL);
		if (dwarf_lineno(row, &lv[0].line))
			lv[0].line = 0;
	}
	/* the innermost scope at the address, then the scopes that contain
	 * that DIE in the tree (dwarf_getscopes' own list goes on through an
	 * inlined function's abstract definition, not where it was inlined) */
	nscopes = dwarf_getscopes(cu, lookup - bias, &scopes);
	if (nscopes > 0) {
		Dwarf_Die inner = scopes[0];

		free(scopes);
		scopes = NULL;
		nscopes = dwarf_getscopes_die(&inner, &scopes);
	}
	if (dwarf_getsrcfiles(cu, &files, &nfiles))
		files = NULL;
	for (int i = 0; i < nscopes && n < max; i++) {
		Dwarf_Die *d = &scopes[i];
		Dwarf_Attribute a;
		Dwarf_Word fileno = 0, lineno = 0;
		int tag = dwarf_tag(d);

		if (tag == DW_TAG_subprogram)
			break;   /* the physical function: the ELF symbol names it */
		if (tag != DW_TAG_inlined_subroutine)
			continue;   /* lexical blocks */
		/* this level is the inlined function; the next one is where it was
		 * inlined, at its call line */
		lv[n - 1].function = _die_name(d);
		if (lv[n - 1].function == NULL && dwarf_hasattr_integrate(d, DW_AT_name)) {
			_levels_release(lv, n);
			free(scopes);
			return -ENOMEM;
		}
		memset(&lv[n], 0, sizeof(lv[n]));
		if (files && !dwarf_formudata(dwarf_attr(d, DW_AT_call_file, &a), &fileno) &&
		    fileno < nfiles)
			lv[n].file = dwarf_filesrc(files, fileno, NULL, NULL);
		if (!dwarf_formudata(dwarf_attr(d, DW_AT_call_line, &a), &lineno))
			lv[n].line = (int)lineno;
		n++;
	}
	free(scopes);
	return (int)n;
}

/* Decodes the inline level an address carries (symbolizer__expand_inline). */
static uint64_t _untag(uint64_t addr, unsigned *level)
{
	*level = 0;
	if (addr >> 63 || !(addr >> SYMBOLIZER_LEVEL_SHIFT))
		return addr;
	*level = (unsigned)(addr >> SYMBOLIZER_LEVEL_SHIFT);
	return addr & ((1ULL << SYMBOLIZER_LEVEL_SHIFT) - 1);
}

/* The cache key of LEVEL of the chain at OFFSET (module offsets are far
 * below 2^56). A chain is cached whole: its levels 0 .. n-1 are there and
 * level n is not. */
static uint64_t _cache_key(uint64_t offset, unsigned level)
{
	return offset | (uint64_t)level << SYMBOLIZER_LEVEL_SHIFT;
}

/* Symbolizes the chain at LOOKUP in MOD (module offset OFFSET, build ID
 * BUILD_ID) and caches it whole. Fills OUT's function, file and line for
 * LEVEL (the last level if LEVEL is past it). Returns the number of levels
 * (>= 1) or -ENOMEM. */
static int _symbolize_chain(struct symbolizer *s, Dwfl_Module *mod, uint64_t lookup,
			    uint64_t offset, const char *build_id, unsigned level,
			    struct stack_frame *out)
{
	struct _level lv[SYMBOLIZER_MAX_INLINE];
	GElf_Off symoff;
	GElf_Sym sym;
	const char *fn = dwfl_module_addrinfo(mod, lookup, &symoff, &sym, NULL, NULL, NULL);
	int n = _inline_chain(mod, lookup, lv, SYMBOLIZER_MAX_INLINE), err = 0;

	if (n < 0)
		return n;
	if (fn && !(lv[n - 1].function = _demangle(fn)))
		err = -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		if ((unsigned)i == level || (i == n - 1 && level >= (unsigned)n)) {
			out->function = lv[i].function ? strdup(lv[i].function) : NULL;
			out->file = lv[i].file ? strdup(lv[i].file) : NULL;
			out->line = lv[i].file ? lv[i].line : 0;
			if ((lv[i].function && !out->function) || (lv[i].file && !out->file))
				err = -ENOMEM;
		}
		if (s->cache && !err)
			err = symcache__put(s->cache, build_id, _cache_key(offset, (unsigned)i),
					    lv[i].function, lv[i].file, lv[i].file ? lv[i].line : 0);
	}
	_levels_release(lv, (size_t)n);
	return err ? err : n;
}

/* The number of inline levels cached for OFFSET of BUILD_ID, 0 if none. */
static unsigned _cached_levels(struct symbolizer *s, const char *build_id, uint64_t offset)
{
	unsigned n = 0;
	char *fn, *file;
	int line;

	while (n < SYMBOLIZER_MAX_INLINE &&
	       symcache__get(s->cache, build_id, _cache_key(offset, n), &fn, &file, &line)) {
		free(fn);
		free(file);
		n++;
	}
	return n;
}

/* The module of ADDR and its offset there, from a frame's LOOKUP address. */
static Dwfl_Module *_module(struct symbolizer *s, uint64_t lookup, uint64_t *offset)
{
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, lookup) : NULL;
	Dwarf_Addr bias = 0;

	if (mod && !dwfl_module_getelf(mod, &bias))
		bias = 0;
	*offset = lookup - bias;
	return mod;
}

int symbolizer__frame(struct symbolizer *s, uint64_t addr, bool return_addr,
		      struct stack_frame *out)
{
	unsigned level, cached;
	uint64_t raw = _untag(addr, &level);
	uint64_t lookup = return_addr && raw ? raw - 1 : raw, offset;
	Dwfl_Module *mod = _module(s, lookup, &offset);
	const char *modname = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	out->addr = raw;
	if (!mod) {
		const struct procmap *m = procmaps__find(&s->maps, lookup);

		out->module = strdup(_anon_label(m));
		out->offset = m ? lookup - m->start : lookup;
		if (m) {
			out->map_start = m->start;
			out->map_end = m->end;
		}
		return out->module ? 0 : -ENOMEM;
	}
	out->offset = offset;
	modname = dwfl_module_info(mod, NULL, &out->map_start, &out->map_end, NULL, NULL, NULL,
				   NULL);
	out->build_id = _build_id(mod);
	out->module = strdup(modname ? modname : "[unknown]");
	if (!out->module)
		return -ENOMEM;
	if (s->cache) {
		cached = _cached_levels(s, out->build_id, offset);
		if (cached && level >= cached)
			level = cached - 1;   /* past the chain: its outermost level */
		if (cached && symcache__get(s->cache, out->build_id, _cache_key(offset, level),
					    &out->function, &out->file, &out->line))
			return 0;
	}
	n = _symbolize_chain(s, mod, lookup, offset, out->build_id, level, out);
	return n < 0 ? n : 0;
}

size_t symbolizer__inline_depth(struct symbolizer *s, uint64_t addr, bool return_addr)
{
	uint64_t lookup = return_addr && addr ? addr - 1 : addr, offset;
	Dwfl_Module *mod = _module(s, lookup, &offset);
	struct stack_frame f;
	char *build_id;
	unsigned n;
	int rc;

	if (!mod)
		return 1;
	build_id = _build_id(mod);
	n = s->cache ? _cached_levels(s, build_id, offset) : 0;
	if (!n) {
		memset(&f, 0, sizeof(f));
		rc = _symbolize_chain(s, mod, lookup, offset, build_id, 0, &f);
		free(f.function);
		free(f.file);
		n = rc > 0 ? (unsigned)rc : 1;
	}
	free(build_id);
	return n;
}

size_t symbolizer__expand_inline(struct symbolizer *s, uint64_t *ips, size_t n, size_t max,
				 size_t first, bool *cut)
{
	uint8_t depth[SYMBOLIZER_MAX_EXPAND];
	size_t total = 0, out;

	*cut = false;
	if (n > SYMBOLIZER_MAX_EXPAND || n > max)
		return n;
	for (size_t i = 0; i < n; i++) {
		depth[i] = 1;
		if (i >= first && ips[i] && !(ips[i] >> SYMBOLIZER_LEVEL_SHIFT))
			depth[i] = (uint8_t)symbolizer__inline_depth(s, ips[i], true);
		total += depth[i];
	}
	/* drop whole outer addresses that do not fit */
	while (total > max) {
		total -= depth[--n];
		*cut = true;
	}
	out = total;
	for (size_t i = n; i-- > 0;) {
		/* outermost level (the physical function) last */
		for (unsigned k = depth[i]; k-- > 0;)
			ips[--out] = k ? ips[i] | (uint64_t)k << SYMBOLIZER_LEVEL_SHIFT : ips[i];
	}
	return total;
}

/* Whether every frame of IPS[0..N) lies in a known module (the first is
 * a pc, the others return addresses, looked up at the call before). */
static bool _all_known(struct symbolizer *s, const uint64_t *ips, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!dwfl_addrmodule(s->dwfl, i ? ips[i] - 1 : ips[i]))
			return false;
	return true;
}

static size_t _unwind_once(struct symbolizer *s, pid_t tid, const struct unwind_regs *regs,
			   const void *stack, size_t len, const struct unwind_top *top,
			   uint64_t *ips, size_t max, bool *truncated)
{
	if (!s->unwinder && s->dwfl) {
		s->unwinder = unwinder__new(s->dwfl, s->pid);
		if (!s->unwinder)
			pr_debug("pid %d: cannot unwind: %s", (int)s->pid, dwfl_errmsg(-1));
	}
	if (!s->unwinder) {  /* keep at least the caller */
		*truncated = true;
		if (!max)
			return 0;
		ips[0] = regs->ip;
		return 1;
	}
	return unwinder__run(s->unwinder, tid, regs, stack, len, top, ips, max, truncated);
}

/* Go's runtime switches stacks where the CFI cannot follow: a frame in one
 * of these functions is the last one a copied stack can show. */
static const struct {
	const char *prefix;
	bool bottom;             /* the stack's real bottom, not a switch */
} go_ends[] = {
	{ "runtime.goexit", true },    /* a goroutine's first frame */
	{ "runtime.rt0_go", true },    /* the main thread's g0 */
	{ "runtime.mstart", true },    /* another thread's g0 */
	{ "runtime.asmcgocall", false },   /* g -> g0 for a C call: the Go caller is on g */
	{ "runtime.systemstack", false },
	{ "runtime.mcall", false },
	{ "runtime.morestack", false },
	{ "runtime.callCgo", false },      /* callCgoMmap & co.: SP realigned, no CFI */
	{ "runtime.cgocallback", false },
};

/* Cuts IPS[0..N) after the first frame in a Go stack-switch function (a Go
 * runtime's, by its ELF symbol): the frames past it would be read off the
 * wrong stack. Sets *TRUNCATED unless the frame is a real bottom. */
static size_t _cut_go(struct symbolizer *s, uint64_t *ips, size_t n, bool *truncated)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t pc = i ? ips[i] - 1 : ips[i];
		Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, pc);
		const char *name = mod ? dwfl_module_addrname(mod, pc) : NULL;

		if (!name || strncmp(name, "runtime.", 8))
			continue;
		for (size_t k = 0; k < sizeof(go_ends) / sizeof(go_ends[0]); k++) {
			if (strncmp(name, go_ends[k].prefix, strlen(go_ends[k].prefix)))
				continue;
			if (i + 1 < n || !go_ends[k].bottom)
				*truncated = !go_ends[k].bottom;
			return i + 1;
		}
	}
	return n;
}

size_t symbolizer__unwind(struct symbolizer *s, pid_t tid, const struct unwind_regs *regs,
			  const void *stack, size_t len, const struct unwind_top *top, uint64_t *ips,
			  size_t max, bool *truncated)
{
	size_t n = _unwind_once(s, tid, regs, stack, len, top, ips, max, truncated);
	uint64_t now;

	if (s->dwfl && s->has_go)
		n = _cut_go(s, ips, n, truncated);
	if (!s->dwfl || _all_known(s, ips, n))
		return n;
	/* a frame in no module we know: the walk stopped there for want of
	 * its CFI; the mappings may have changed under us (dlopen, exec) */
	now = clock__mono_ns();
	if (now - s->miss_refresh_ns >= MISS_REFRESH_NS) {
		s->miss_refresh_ns = now;
		if (symbolizer__refresh(s) == 1) {
			n = _unwind_once(s, tid, regs, stack, len, top, ips, max, truncated);
			if (s->has_go)
				n = _cut_go(s, ips, n, truncated);
			if (_all_known(s, ips, n))
				return n;
		}
	}
	*truncated = true;   /* it did not end at the stack's outermost frame */
	return n;
}

size_t symbolizer__learn_walk(struct symbolizer *s, const struct unwind_regs *regs,
			      const void *stack, size_t len, const struct unwind_top *top,
			      const uint64_t *pcs, size_t n, struct stackwalk_rule *rules)
{
	return stackwalk__learn(s->dwfl, regs, stack, len, top, pcs, n, rules);
}

const char *symbolizer__symbol(struct symbolizer *s, uint64_t pc)
{
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, pc) : NULL;

	return mod ? dwfl_module_addrname(mod, pc) : NULL;
}
