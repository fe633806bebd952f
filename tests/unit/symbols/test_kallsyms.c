/* kallsyms: parsing, lookup by address, module names, offsets, on a
 * fixture and (as root) on the running kernel's /proc/kallsyms. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols/kallsyms.h"

#define FIXTURE SEEP_SRC_DIR "/tests/unit/data/kallsyms.txt"

struct want {
	uint64_t addr;
	const char *fn;          /* NULL: unknown */
	const char *module;
};

static void check(const struct kallsyms *k, const struct want *w)
{
	const struct ksym *s = kallsyms__find(k, w->addr);

	if (!w->fn) {
		cr_assert_null(s, "%#lx should be unknown, found '%s'", (unsigned long)w->addr,
			       s ? s->name : "");
		return;
	}
	cr_assert_not_null(s, "%#lx should be in %s", (unsigned long)w->addr, w->fn);
	cr_assert_str_eq(s->name, w->fn, "%#lx", (unsigned long)w->addr);
	cr_assert_str_eq(s->module, w->module, "%#lx", (unsigned long)w->addr);
	cr_assert_leq(s->addr, w->addr);
}

Test(kallsyms, fixture_lookups)
{
	static const struct want want[] = {
		{ 0xffffffff80ffffffULL, NULL, NULL },                  /* below the first */
		{ 0xffffffff81000000ULL, "_stext", KALLSYMS_KERNEL },   /* first of an alias pair */
		{ 0xffffffff810000ffULL, "_stext", KALLSYMS_KERNEL },
		{ 0xffffffff81000100ULL, "helper_one", KALLSYMS_KERNEL },
		{ 0xffffffff81000250ULL, "alloc_pipe_info", KALLSYMS_KERNEL },
		{ 0xffffffff81000350ULL, NULL, NULL },                  /* in data */
		{ 0xffffffff81000401ULL, "weak_fn", KALLSYMS_KERNEL },
		{ 0xffffffff81000650ULL, NULL, NULL },                  /* rodata, listed out of order */
		{ 0xffffffffa0000010ULL, "nft_alloc", "nf_tables" },
		{ 0xffffffffa00000ffULL, "nft_free", "nf_tables" },
		{ 0xffffffffa0001234ULL, "e1000_probe", "e1000" },
		{ 0xffffffffa0002010ULL, "bpf_prog_6deef7357e7b4530_kmalloc_tp", "bpf" },
		{ 0xffffffffa0020000ULL, NULL, NULL },                  /* far past the last */
	};
	struct kallsyms *k = NULL;

	cr_assert_eq(kallsyms__load(FIXTURE, &k), 0);
	/* text: _stext (alias _text dropped), helper_one, alloc_pipe_info,
	 * weak_fn, _etext, nft_alloc, nft_free, e1000_probe, bpf_prog */
	cr_assert_eq(kallsyms__count(k), 9);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		check(k, &want[i]);
	cr_assert_eq(kallsyms__addr(k, "nft_free"), 0xffffffffa0000080ULL);
	cr_assert_eq(kallsyms__addr(k, "some_data"), 0, "not a text symbol");
	cr_assert_eq(kallsyms__addr(k, "no_such"), 0);
	kallsyms__free(k);
}

Test(kallsyms, frames_offsets_and_return_addresses)
{
	struct kallsyms *k = NULL;
	struct stack_frame f;

	cr_assert_eq(kallsyms__load(FIXTURE, &k), 0);
	/* a return address right after a call at the end of helper_one
	 * belongs to helper_one, not to the next function */
	cr_assert_eq(kallsyms__frame(k, 0xffffffff81000200ULL, true, &f), 0);
	cr_assert_str_eq(f.function, "helper_one");
	cr_assert_str_eq(f.module, KALLSYMS_KERNEL);
	cr_assert_eq(f.offset, 0x200, "the raw address, from the image start");
	cr_assert_eq(f.addr, 0xffffffff81000200ULL);
	cr_assert_null(f.file);
	free(f.function);
	free(f.module);
	cr_assert_eq(kallsyms__frame(k, 0xffffffff81000200ULL, false, &f), 0);
	cr_assert_str_eq(f.function, "alloc_pipe_info");
	free(f.function);
	free(f.module);
	/* module frames: offset from the module's lowest symbol */
	cr_assert_eq(kallsyms__frame(k, 0xffffffffa0000090ULL, true, &f), 0);
	cr_assert_str_eq(f.function, "nft_free");
	cr_assert_str_eq(f.module, "nf_tables");
	cr_assert_eq(f.offset, 0x90);
	cr_assert_eq(f.map_start, 0xffffffffa0000000ULL);
	cr_assert_eq(f.map_end, 0xffffffffa0000080ULL);
	free(f.function);
	free(f.module);
	/* unknown: no function, still a module label */
	cr_assert_eq(kallsyms__frame(k, 0x1000, true, &f), 0);
	cr_assert_null(f.function);
	cr_assert_str_eq(f.module, KALLSYMS_KERNEL);
	free(f.module);
	kallsyms__free(k);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/seep-kallsyms-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(kallsyms, errors)
{
	struct kallsyms *k = NULL;
	char *p;

	cr_assert_eq(kallsyms__load("/nonexistent/kallsyms", &k), -ENOENT);
	/* what an unprivileged reader sees under kptr_restrict */
	p = write_tmp("0000000000000000 T _stext\n0000000000000000 t helper\n");
	cr_assert_eq(kallsyms__load(p, &k), -EPERM);
	unlink(p);
	p = write_tmp("ffffffff81000300 D only_data\n");
	cr_assert_eq(kallsyms__load(p, &k), -ENODATA);
	unlink(p);
	p = write_tmp("");
	cr_assert_eq(kallsyms__load(p, &k), -ENODATA);
	unlink(p);
}

/* The running kernel: every text symbol is found at its own address, and
 * the table is sorted (each lookup lands on a symbol at or below). */
Test(kallsyms, real_kernel)
{
	struct kallsyms *k = NULL;
	uint64_t a;
	const struct ksym *s;
	int err;

	if (geteuid() != 0)
		cr_skip_test("needs root to read kernel addresses");
	err = kallsyms__load(NULL, &k);
	cr_assert_eq(err, 0, "cannot load /proc/kallsyms: %s", strerror(-err));
	cr_assert_gt(kallsyms__count(k), 10000);
	a = kallsyms__addr(k, "kmem_cache_alloc_noprof");
	cr_assert_neq(a, 0);
	s = kallsyms__find(k, a + 1);
	cr_assert_not_null(s);
	cr_assert_eq(s->addr, a);
	cr_assert_str_eq(s->module, KALLSYMS_KERNEL);
	a = kallsyms__addr(k, "alloc_pipe_info");
	cr_assert_neq(a, 0);
	cr_assert_str_eq(kallsyms__find(k, a)->name, "alloc_pipe_info");
	kallsyms__free(k);
}
