#include "symbolize.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "log.h"
#include "procmaps.h"

/* From the C++ ABI runtime (libstdc++); elfutils has no demangler of its own. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct symbolizer {
	pid_t pid;
	Dwfl *dwfl;
	struct procmaps maps;
	uint32_t maps_crc;
};

static char *debuginfo_path;

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

char *symbolize__demangle(const char *name)
{
	int status = -1;
	char *d;

	if (name[0] == '_' && name[1] == 'Z') {
		d = __cxa_demangle(name, NULL, NULL, &status);
		if (d && status == 0)
			return d;
		free(d);
	}
	return strdup(name);
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

static int _module_load(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start,
			void *arg)
{
	Dwarf_Addr bias;

	(void)userdata; (void)name; (void)start; (void)arg;
	/* Open the ELF file now, while /proc/PID still resolves it. */
	dwfl_module_getelf(mod, &bias);
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
	if (dwfl_linux_proc_report(dwfl, s->pid) != 0 || dwfl_report_end(dwfl, NULL, NULL) != 0) {
		procmaps__release(&maps);
		dwfl_end(dwfl);
		return -ESRCH;
	}
	dwfl_getmodules(dwfl, _module_load, NULL, 0);
	if (s->dwfl)
		dwfl_end(s->dwfl);
	procmaps__release(&s->maps);
	s->dwfl = dwfl;
	s->maps = maps;
	s->maps_crc = crc;
	return 0;
}

struct symbolizer *symbolizer__new(pid_t pid)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->pid = pid;
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
		      struct report_frame *out)
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
	dwfl_module_info(mod, NULL, &out->map_start, &out->map_end, NULL, NULL, &modname, NULL);
	out->build_id = _build_id(mod);
	if (!dwfl_module_getelf(mod, &bias))
		bias = 0;
	out->module = strdup(modname ? modname : "[unknown]");
	out->offset = lookup - bias;
	fn = dwfl_module_addrinfo(mod, lookup, &symoff, &sym, NULL, NULL, NULL);
	if (fn)
		out->function = symbolize__demangle(fn);
	{
		Dwfl_Line *line = dwfl_module_getsrc(mod, lookup);
		int lineno = 0;
		const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;

		if (file) {
			out->file = strdup(file);
			out->line = lineno;
		}
	}
	if (!out->module)
		return -ENOMEM;
	return 0;
}
