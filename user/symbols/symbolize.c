#include "symbols/symbolize.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
};

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

int symbolizer__frame(struct symbolizer *s, uint64_t addr, bool return_addr,
		      struct stack_frame *out)
{
	uint64_t lookup = return_addr && addr ? addr - 1 : addr;
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, lookup) : NULL;
	const char *modname = NULL, *fn;
	GElf_Off symoff;
	GElf_Sym sym;
	Dwarf_Addr bias = 0;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
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
	modname = dwfl_module_info(mod, NULL, &out->map_start, &out->map_end, NULL, NULL, NULL,
				   NULL);
	out->build_id = _build_id(mod);
	if (!dwfl_module_getelf(mod, &bias))
		bias = 0;
	out->module = strdup(modname ? modname : "[unknown]");
	out->offset = lookup - bias;
	if (!out->module)
		return -ENOMEM;
	if (s->cache && symcache__get(s->cache, out->build_id, out->offset, &out->function,
				      &out->file, &out->line))
		return 0;
	fn = dwfl_module_addrinfo(mod, lookup, &symoff, &sym, NULL, NULL, NULL);
	if (fn)
		out->function = _demangle(fn);
	{
		Dwfl_Line *line = dwfl_module_getsrc(mod, lookup);
		int lineno = 0;
		const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;

		if (file) {
			out->file = strdup(file);
			out->line = lineno;
		}
	}
	if (s->cache)
		return symcache__put(s->cache, out->build_id, out->offset, out->function, out->file,
				     out->line);
	return 0;
}

size_t symbolizer__unwind(struct symbolizer *s, pid_t tid, const struct unwind_regs *regs,
			  const void *stack, size_t len, uint64_t *ips, size_t max, bool *truncated)
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
	return unwinder__run(s->unwinder, tid, regs, stack, len, ips, max, truncated);
}
