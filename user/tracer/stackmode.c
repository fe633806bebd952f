#include "tracer/stackmode.h"

#include "elf/framepointer.h"
#include "lib/log.h"
#include "sys/procmaps.h"

/* FP if every executable file PID maps keeps frame pointers, else DWARF. */
static enum seep_unwind _mode_of_modules(pid_t pid, const struct procmaps *maps)
{
	for (size_t i = 0; i < maps->n; i++) {
		const struct procmap *m = &maps->v[i];
		char path[4096];

		if (!procmap__is_file(m) || m->perms[2] != 'x' ||
		    procmaps__open_path(pid, m, path, sizeof(path)))
			continue;
		if (framepointer__module(path) != 1) {
			pr_info("pid %d: '%s' has no frame pointers: unwinding from DWARF", (int)pid,
				m->path);
			return SEEP_UNWIND_DWARF;
		}
	}
	return SEEP_UNWIND_FP;
}

enum seep_unwind stackmode__choose(enum session_unwind want, pid_t pid)
{
	enum seep_unwind mode;
	struct procmaps maps;

	if (want == UNWIND_FP)
		return SEEP_UNWIND_FP;
	if (want == UNWIND_DWARF || procmaps__read(pid, &maps))
		return SEEP_UNWIND_DWARF;
	mode = _mode_of_modules(pid, &maps);
	procmaps__release(&maps);
	return mode;
}
