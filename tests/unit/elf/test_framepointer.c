/* framepointer: the test targets built with -fno-omit-frame-pointer keep
 * frame pointers, those built the way distributions build do not.
 * (Not every -fno-omit-frame-pointer build passes: gcc's shrink-wrapping
 * moves the prologue of phases' small functions past an early return, and
 * they read as not keeping frame pointers, which errs on the safe side:
 * DWARF unwinding.) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>

#include "elf/framepointer.h"

/* Criterion runs each test in a fresh process: parameters hold no pointers. */
struct fp_case {
	char path[128];
	int want;
};

ParameterizedTestParameters(framepointer, modules)
{
	static struct fp_case cases[] = {
		/* TARGET_CFLAGS: -fno-omit-frame-pointer */
		{ SEEP_BUILD_DIR "/tests/targets/leaky_server", 1 },
		{ SEEP_BUILD_DIR "/tests/targets/alloc_each", 1 },
		/* NOFP_CFLAGS: -O2 -fomit-frame-pointer */
		{ SEEP_BUILD_DIR "/tests/targets/nofp_helper", 0 },
		{ SEEP_BUILD_DIR "/tests/targets/nofp_recursion", 0 },
		{ SEEP_BUILD_DIR "/tests/targets/libseepleak.so", 0 },
		{ SEEP_BUILD_DIR "/tests/targets/static_helper", 0 },
		/* no function symbols to tell by */
		{ SEEP_BUILD_DIR "/tests/targets/nofp_helper_stripped", 0 },
		{ SEEP_BUILD_DIR "/tests/targets/noalloc", 0 },
		/* not ELF, missing */
		{ SEEP_SRC_DIR "/README.md", -ENOEXEC },
		{ SEEP_BUILD_DIR "/no/such/file", -ENOENT },
	};

	return cr_make_param_array(struct fp_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fp_case *c, framepointer, modules)
{
	int got = framepointer__module(c->path);

	cr_assert_eq(got, c->want, "'%s': %d, want %d", c->path, got, c->want);
}
