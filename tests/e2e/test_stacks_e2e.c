/* End to end (root): stacks and symbols on binaries built the way
 * distributions build them (no frame pointers): exact frames, innermost
 * first, from the allocator up to main. */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define E2E(name, ...) Test(stacks_e2e, name, .timeout = 90, ##__VA_ARGS__)

static const char *fn(json_t *frame)
{
	return json_string_value(json_object_get(frame, "function"));
}

static const char *module_base(json_t *frame)
{
	const char *m = json_string_value(json_object_get(frame, "module"));
	const char *b = m ? strrchr(m, '/') : NULL;

	return b ? b + 1 : m;
}

/* The top stack of the single report in OUT. */
static json_t *top_stack_of(const char *out, json_t **report)
{
	*report = json_line(out, 0);
	cr_assert_not_null(*report, "no report: %s", out);
	return json_array_get(json_object_get(*report, "stacks"), 0);
}

/* Frames [0, n) of STACK are exactly WANT. */
static void expect_frames(json_t *stack, const char *const *want, size_t n)
{
	json_t *frames = json_object_get(stack, "frames");

	cr_assert_geq(json_array_size(frames), n, "only %zu frames", json_array_size(frames));
	for (size_t i = 0; i < n; i++) {
		const char *got = fn(json_array_get(frames, i));

		cr_expect(got && !strcmp(got, want[i]), "frame %zu: '%s', want '%s'", i,
			  got ? got : "(null)", want[i]);
	}
	cr_expect(json_is_false(json_object_get(stack, "truncated")));
}

static json_t *trace_command(const char *cmd, struct run *r, json_t **report)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", (char *)cmd, "-n", "1", "-f", "json", NULL };

	run_cmd(argv, NULL, r);
	cr_assert_eq(r->status, 0, "stderr: %s", r->err);
	return top_stack_of(r->out, report);
}

static const char *const helper_frames[] = {
	"malloc", "leak_helper", "build_record", "handle_request", "serve", "main",
};

E2E(leak_through_helpers)
{
	struct run r;
	json_t *rep, *top = trace_command(TARGET("nofp_helper"), &r, &rep);

	expect_frames(top, helper_frames, 6);
	cr_expect_eq(json_integer_value(json_object_get(top, "bytes")), 200 * 256);
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 200);
	json_decref(rep);
	run_release(&r);
}

E2E(leak_inside_shared_library)
{
	static const char *const want[] = { "malloc", "lib_leak", "lib_entry", "use_library", "main" };
	struct run r;
	json_t *rep, *top = trace_command(TARGET("nofp_sharedlib"), &r, &rep);
	json_t *frames = json_object_get(top, "frames");

	expect_frames(top, want, 5);
	cr_expect_str_eq(module_base(json_array_get(frames, 1)), "libseepleak.so");
	cr_expect_str_eq(module_base(json_array_get(frames, 3)), "nofp_sharedlib");
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 100);
	json_decref(rep);
	run_release(&r);
}

E2E(cpp_method_via_new_demangled)
{
	static const char *const want[] = {
		"malloc", "operator new(unsigned long)", "Cache::put(int)", "main",
	};
	struct run r;
	json_t *rep, *top = trace_command(TARGET("nofp_cpp"), &r, &rep);

	expect_frames(top, want, 4);
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 300);
	json_decref(rep);
	run_release(&r);
}

E2E(recursion_50_deep)
{
	const char *want[53] = { "malloc", "leaf_alloc" };
	struct run r;
	json_t *rep, *top;

	for (int i = 2; i < 53; i++)
		want[i] = "recurse";     /* recurse(50) .. recurse(0): 51 frames */
	top = trace_command(TARGET("nofp_recursion") " 50", &r, &rep);
	expect_frames(top, want, 53);
	cr_expect_str_eq(fn(json_array_get(json_object_get(top, "frames"), 53)), "main");
	json_decref(rep);
	run_release(&r);
}

E2E(depth_limit_marks_truncation)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("nofp_recursion") " 50", "--max-depth", "20",
			 "-n", "1", "-f", "json", NULL };
	struct run r;
	json_t *rep, *top;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	top = top_stack_of(r.out, &rep);
	cr_expect_eq(json_array_size(json_object_get(top, "frames")), 20);
	cr_expect(json_is_true(json_object_get(top, "truncated")));
	json_decref(rep);
	run_release(&r);
}

/* A stripped binary: its frames are module + offset + build ID, with no
 * name rather than a wrong one; the same build ID as the unstripped one. */
E2E(stripped_binary_never_misnamed)
{
	struct run r1, r2;
	json_t *rep1, *rep2, *full, *stripped, *f;
	size_t i;

	full = trace_command(TARGET("nofp_helper"), &r1, &rep1);
	stripped = trace_command(TARGET("nofp_helper_stripped"), &r2, &rep2);
	cr_assert_eq(json_array_size(json_object_get(stripped, "frames")),
		     json_array_size(json_object_get(full, "frames")), "same depth: CFI survives strip");
	cr_expect_str_eq(fn(json_array_get(json_object_get(stripped, "frames"), 0)), "malloc");
	json_array_foreach(json_object_get(stripped, "frames"), i, f) {
		json_t *twin = json_array_get(json_object_get(full, "frames"), i);

		if (strcmp(module_base(f), "nofp_helper_stripped"))
			continue;
		cr_expect_null(fn(f), "frame %zu named '%s' in a stripped binary", i, fn(f));
		cr_expect_str_eq(json_string_value(json_object_get(f, "offset")),
				 json_string_value(json_object_get(twin, "offset")));
		cr_expect_not_null(json_string_value(json_object_get(f, "build_id")));
		cr_expect_str_eq(json_string_value(json_object_get(f, "build_id")),
				 json_string_value(json_object_get(twin, "build_id")));
	}
	json_decref(rep1);
	json_decref(rep2);
	run_release(&r1);
	run_release(&r2);
}

/* Traces PID (already running the helper target, held on GO) by pid. */
static void trace_pid_and_check(pid_t pid, int go)
{
	char p[16];
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-p", p, "--duration", "3", "-n", "1", "-f", "json", NULL };
	struct bg b;
	struct run r;
	json_t *rep, *top;

	snprintf(p, sizeof(p), "%d", pid);
	cr_assert_eq(bg_start(argv, &b), 0, "seep did not start: %s", b.err);
	target_go(go);
	bg_finish(&b, &r);
	kill(pid, SIGKILL);
	target_wait(pid);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	top = top_stack_of(r.out, &rep);
	expect_frames(top, helper_frames, 6);
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 200);
	json_decref(rep);
	run_release(&r);
}

/* Waits until PID runs an executable whose path ends with SUFFIX. */
static void wait_exec(pid_t pid, const char *suffix)
{
	char link[64], exe[PATH_MAX];

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	for (int i = 0; i < 500; i++) {
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			if (strstr(exe, suffix))
				return;
		}
		usleep(10000);
	}
	cr_assert_fail("pid %d never ran '%s'", pid, suffix);
}

E2E(binary_deleted_while_running)
{
	char dir[] = "/tmp/seep-deleted-XXXXXX", prog[64];
	char *cp[] = { "/bin/cp", TARGET("nofp_helper"), prog, NULL };
	char *argv[] = { prog, "200", "hold", NULL };
	struct run r;
	int go;
	pid_t pid;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/leaky", dir);
	run_cmd(cp, NULL, &r);
	run_release(&r);
	pid = target_start(argv, &go);
	wait_exec(pid, "/leaky");
	cr_assert_eq(unlink(prog), 0);
	rmdir(dir);
	trace_pid_and_check(pid, go);
}

/* The binary exists only in the target's private mount namespace. */
E2E(binary_in_other_mount_namespace)
{
	char dir[] = "/tmp/seep-mntns-XXXXXX", script[512], prog[64];
	char *argv[] = { "/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
			 script, NULL };
	struct stat st;
	int go;
	pid_t pid;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/leaky", dir);
	snprintf(script, sizeof(script),
		 "mount -t tmpfs seep %s && cp %s %s && exec %s 200 hold", dir,
		 TARGET("nofp_helper"), prog, prog);
	pid = target_start(argv, &go);
	wait_exec(pid, "/leaky");
	cr_assert_neq(stat(prog, &st), 0, "not visible from here");
	trace_pid_and_check(pid, go);
	rmdir(dir);
}

E2E(frame_pointer_mode_on_frame_pointer_build)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("leaky_server") " 100 0", "--unwind", "fp",
			 "-n", "1", "-f", "json", NULL };
	static const char *const want[] = { "malloc", "xstrdup", "handle_request", "main" };
	struct run r;
	json_t *rep, *top;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	top = top_stack_of(r.out, &rep);
	expect_frames(top, want, 4);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(rep, "stats"), "stack_copies")),
		     0, "no stack copies in fp mode");
	json_decref(rep);
	run_release(&r);
}

/* addr2line -i -f -e BIN OFFSET: the inline chain at OFFSET, as lines
 * "function", "file:line" per level, innermost first, into OUT. */
static void addr2line_chain(const char *bin, const char *offset, struct run *out)
{
	char *argv[] = { "/usr/bin/addr2line", "-i", "-f", "-e", (char *)bin, (char *)offset, NULL };

	run_cmd(argv, NULL, out);
	cr_assert_eq(out->status, 0, "addr2line: %s", out->err);
}

/* At -O2 the leaking call is inlined twice: every level is a frame with its
 * own function and line, exactly as addr2line -i says, and main follows. */
E2E(inline_frames_as_addr2line)
{
	static const char *const want[] = {
		"malloc", "make_entry", "template_in_dir", "make_tempname", "main",
	};
	struct run r, a2l;
	json_t *rep, *top = trace_command(TARGET("nofp_inline"), &r, &rep);
	json_t *frames = json_object_get(top, "frames");
	size_t i = 1, checked = 0;

	expect_frames(top, want, 5);
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 100);
	/* every frame of the target binary, grouped by address, against addr2line */
	while (i < json_array_size(frames)) {
		json_t *f = json_array_get(frames, i);
		const char *off = json_string_value(json_object_get(f, "offset"));
		char *line, *save = NULL;
		size_t level = 0;

		if (strcmp(module_base(f), "nofp_inline")) {
			i++;
			continue;
		}
		addr2line_chain(TARGET("nofp_inline"), off, &a2l);
		for (line = strtok_r(a2l.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_t *g = json_array_get(frames, i + level);
			char *where = strtok_r(NULL, "\n", &save);
			const char *file, *base;
			char got[512];

			cr_assert_not_null(where, "addr2line output cut");
			where[strcspn(where, " ")] = '\0';   /* " (discriminator N)" */
			cr_assert_not_null(g, "level %zu of %s missing", level, off);
			cr_expect_str_eq(json_string_value(json_object_get(g, "offset")), off,
					 "level %zu of %s", level, off);
			cr_expect_str_eq(fn(g) ? fn(g) : "??", line, "level %zu of %s", level, off);
			file = json_string_value(json_object_get(g, "file"));
			base = strrchr(where, '/');
			if (!file) {
				cr_expect_str_eq(where, "??:?", "%s: no line where addr2line has one",
						 off);
			} else {
				snprintf(got, sizeof(got), "%s:%" JSON_INTEGER_FORMAT,
					 strrchr(file, '/') ? strrchr(file, '/') + 1 : file,
					 json_integer_value(json_object_get(g, "line")));
				cr_expect_str_eq(got, base ? base + 1 : where, "level %zu of %s",
						 level, off);
			}
			level++;
			checked++;
		}
		run_release(&a2l);
		i += level ? level : 1;
	}
	cr_expect_geq(checked, 5, "make_entry .. main and _start checked");
	json_decref(rep);
	run_release(&r);
}

/* A leak below a function with a 16 KiB local array, reached on two paths:
 * both stacks whole to main (the copy from sp ends inside the array; the
 * stack's top, copied too, holds the outer frames), not merged into one. */
E2E(big_local_array_keeps_whole_stack)
{
	static const char *const want_b[] = { "malloc", "leak_small", "parse_big", "path_b", "main" };
	static const char *const want_a[] = { "malloc", "leak_small", "parse_big", "path_a", "main" };
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", TARGET("nofp_bigframe"), "-n", "2",
			 "-f", "json", NULL };
	struct run r;
	json_t *rep, *stacks;

	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep, "no report: %s", r.out);
	stacks = json_object_get(rep, "stacks");
	cr_assert_eq(json_array_size(stacks), 2, "two paths, two stacks");
	expect_frames(json_array_get(stacks, 0), want_b, 5);
	expect_frames(json_array_get(stacks, 1), want_a, 5);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(stacks, 0), "count")), 100);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(stacks, 1), "count")), 50);
	json_decref(rep);
	run_release(&r);
}

/* The stacks of REPORT, each as one line "count: module+offset ..." (with
 * "truncated" when so), sorted, into BUF. */
static void stack_lines(json_t *report, char *buf, size_t size)
{
	json_t *stacks = json_object_get(report, "stacks"), *st, *f;
	char *lines[64];
	size_t n = 0, i, j, used = 0;

	json_array_foreach(stacks, i, st) {
		char line[8192];
		int len = snprintf(line, sizeof(line), "%" JSON_INTEGER_FORMAT ":",
				   json_integer_value(json_object_get(st, "count")));

		json_array_foreach(json_object_get(st, "frames"), j, f)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %s+%s", module_base(f),
					json_string_value(json_object_get(f, "offset")));
		if (json_is_true(json_object_get(st, "truncated")))
			snprintf(line + len, sizeof(line) - (size_t)len, " truncated");
		cr_assert_lt(n, 64);
		lines[n++] = strdup(line);
	}
	for (i = 1; i < n; i++)   /* insertion sort: a few stacks */
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *tmp = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = tmp;
		}
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s\n", lines[i]);
		free(lines[i]);
	}
	cr_assert_lt(used, size);
}

/* Traces CMD in exact mode with EXTRA (an option or NULL): its report. */
static json_t *trace_all_stacks(const char *cmd, const char *extra, struct run *r)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", (char *)cmd, "-n", "64", "-f", "json",
			 (char *)extra, NULL };
	json_t *rep;

	run_cmd(argv, NULL, r);
	cr_assert_eq(r->status, 0, "stderr: %s", r->err);
	rep = json_line(r->out, 0);
	cr_assert_not_null(rep, "no report: %s", r->out);
	return rep;
}

/* The BPF walk of known stacks against the user-space unwinder, its
 * oracle: the same stacks, frame for frame, with the same counts, whether
 * the kernel walked most of them (stacks_walked) or every one was copied
 * and unwound (--no-stack-walk). With JOINED and CHANGED, the walked run's
 * walks_joined and walks_outer_changed go there. */
static void walk_matches_unwinder_stats(const char *target, json_int_t *joined,
					json_int_t *changed)
{
	static char walked[1 << 16], unwound[1 << 16];
	struct run r1, r2;
	json_t *fast = trace_all_stacks(target, NULL, &r1);
	json_t *slow = trace_all_stacks(target, "--no-stack-walk", &r2);
	json_t *fs = json_object_get(fast, "stats"), *ss = json_object_get(slow, "stats");

	stack_lines(fast, walked, sizeof(walked));
	stack_lines(slow, unwound, sizeof(unwound));
	cr_expect_str_eq(walked, unwound, "walked:\n%s\nunwound:\n%s", walked, unwound);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(fs, "drops"), "ringbuf_full")), 0);
	cr_expect_gt(json_integer_value(json_object_get(fs, "stacks_walked")),
		     json_integer_value(json_object_get(fs, "stack_copies")),
		     "most stacks walked in the kernel (%" JSON_INTEGER_FORMAT " walked, %"
		     JSON_INTEGER_FORMAT " copied)",
		     json_integer_value(json_object_get(fs, "stacks_walked")),
		     json_integer_value(json_object_get(fs, "stack_copies")));
	cr_expect_eq(json_integer_value(json_object_get(ss, "stacks_walked")), 0);
	cr_expect(strstr(walked, "truncated") == NULL, "whole stacks:\n%s", walked);
	if (joined)
		*joined = json_integer_value(json_object_get(fs, "walks_joined"));
	if (changed)
		*changed = json_integer_value(json_object_get(fs, "walks_outer_changed"));
	json_decref(fast);
	json_decref(slow);
	run_release(&r1);
	run_release(&r2);
}

static void walk_matches_unwinder(const char *target)
{
	walk_matches_unwinder_stats(target, NULL, NULL);
}

/* The walk takes the last walk's outer frames only once the words they
 * came from are checked: nofp_outer allocates from the same inner frames,
 * at the same addresses, under callers that change from one allocation
 * to the next (and under one more frame now and then). Its four stacks
 * stay four, 200 blocks each, as the unwinder has them; the memo was
 * both taken (walks_joined) and found changed (walks_outer_changed). */
E2E(walk_outer_frames_change)
{
	json_int_t joined = -1, changed = -1;

	walk_matches_unwinder_stats(TARGET("nofp_outer") " 200", &joined, &changed);
	cr_expect_gt(joined, 0, "walks joined the last walk's outer frames");
	cr_expect_gt(changed, 0, "walks found the last walk's outer frames changed");
}

/* One call site, two allocators (malloc and valloc in turn through one
 * function pointer: the same return address, stack pointer and outer
 * frames): each keeps its own stack, 200 blocks each, as the unwinder has
 * them, although the walk of one stands exactly where the last walk of
 * the other stood. */
E2E(walk_same_return_other_allocator)
{
	json_int_t joined = -1, changed = -1;

	walk_matches_unwinder_stats(TARGET("nofp_indirect") " 200", &joined, &changed);
	cr_expect_gt(joined, 0, "walks joined the last walk's frames");
}

E2E(walk_matches_unwinder_no_frame_pointers)
{
	walk_matches_unwinder(TARGET("nofp_shapes") " 200");
}

E2E(walk_matches_unwinder_stripped)
{
	walk_matches_unwinder(TARGET("nofp_shapes_stripped") " 200");
}

E2E(walk_matches_unwinder_frame_pointers)
{
	walk_matches_unwinder(TARGET("fp_shapes") " 200");
}

/* A library dlopened after attach and allocated from at once, before the
 * periodic re-read of the modules: every stack still unwinds through the
 * library to _start (the unwind re-reads the mappings when a frame lands
 * in no module it knows), none stops at the library. */
E2E(dlopen_then_allocate_at_once)
{
	const char *const want[] = { "malloc", "lib_leak", "lib_entry", "main" };
	struct run r;
	json_t *rep, *top;

	top = trace_command(TARGET("nofp_dlopen") " " TARGET("libseepleak.so") " 200 1.5", &r, &rep);
	cr_assert_not_null(top, "stdout: %s", r.out);
	expect_frames(top, want, 4);
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 200,
		     "all 200 blocks on the one whole stack: %s", r.out);
	cr_expect_str_eq(fn(json_array_get(json_object_get(top, "frames"),
					   json_array_size(json_object_get(top, "frames")) - 1)),
			 "_start");
	json_decref(rep);
	run_release(&r);
}

/* --max-stacks bounds the DWARF stack store too: 40 distinct stacks, 10
 * kept; the blocks of the others are still counted, as "[stack lost]",
 * and each is a drop of user space's (stack_store_full: the BPF side lost
 * none, stacks_lost stays 0). Without the bound all 40 are kept and
 * nothing is dropped. */
static json_t *trace_manystacks(const char *max, struct run *r)
{
	char *argv[] = { SEEP_BIN, "trace", "-u", "dwarf", "-s", "1", "-c",
			 TARGET("nofp_manystacks") " 40 1", "-d", "5", "-f", "json",
			 max ? "--max-stacks" : NULL, (char *)max, NULL };
	json_t *rep;

	run_cmd(argv, NULL, r);
	cr_assert_eq(r->status, 0, "stderr: %s", r->err);
	rep = json_line(r->out, json_lines(r->out) - 1);
	cr_assert_not_null(rep, "stdout: %s", r->out);
	return rep;
}

static json_int_t drop(json_t *rep, const char *name)
{
	return json_integer_value(
		json_object_get(json_object_get(json_object_get(rep, "stats"), "drops"), name));
}

E2E(max_stacks_bounds_dwarf_stacks)
{
	struct run r;
	json_t *rep = trace_manystacks("10", &r);

	/* 10 kept, and the "[stack lost]" site */
	cr_expect_leq(json_integer_value(json_object_get(rep, "stacks_total")), 11,
		      "at most 10 stacks kept: %s", r.out);
	cr_expect_geq(drop(rep, "stack_store_full"), 30, "the others counted as drops: %s", r.out);
	cr_expect_leq(drop(rep, "stack_store_full"), 40);
	cr_expect_eq(drop(rep, "stacks_lost"), 0, "not the BPF side's: %s", r.out);
	cr_expect_geq(json_integer_value(
			      json_object_get(json_object_get(rep, "stats"), "drops_total")),
		      drop(rep, "stack_store_full"));
	cr_expect_eq(json_integer_value(json_object_get(rep, "total_count")), 40,
		     "every block still counted: %s", r.out);
	json_decref(rep);
	run_release(&r);

	rep = trace_manystacks(NULL, &r);
	cr_expect_geq(json_integer_value(json_object_get(rep, "stacks_total")), 40,
		      "unbounded: all 40: %s", r.out);
	cr_expect_eq(drop(rep, "stacks_lost"), 0);
	cr_expect_eq(drop(rep, "stack_store_full"), 0);
	cr_expect_eq(drop(rep, "stacks_queued"), 0, "a final report waits for every copy");
	json_decref(rep);
	run_release(&r);
}

/* Go with cgo: built here with `go build` (skipped without go). Go frames
 * get Go's file:line (from the Go units' own ranges: .debug_aranges lists
 * only the C ones), and a stack ends at the runtime function that switched
 * stacks (runtime.asmcgocall: the Go caller is on the goroutine's stack,
 * which is not copied), marked truncated, with no junk frame past it. */
E2E(cgo_frames_and_stack_end)
{
	char dir[] = "/tmp/seep-e2e-go-XXXXXX", bin[128], cmd[512], run_line[256];
	json_t *rep, *st, *f, *leak = NULL;
	struct run r;
	size_t i, j;

	if (system("command -v go >/dev/null 2>&1") != 0)
		cr_skip_test("go is not installed");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/cgo_leak", dir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && GOCACHE=%s/cache GOPATH=%s/gopath GO111MODULE=off CGO_ENABLED=1 "
		 "go build -o %s %s/tests/targets/cgo_leak.go",
		 dir, dir, dir, bin, SEEP_SRC_DIR);
	cr_assert_eq(system(cmd), 0, "go build: %s", cmd);
	snprintf(run_line, sizeof(run_line), "%s 100 1", bin);
	{
		char *argv[] = { SEEP_BIN, "trace", "-u", "dwarf", "-s", "1", "-c", run_line, "-d", "10",
				 "-n", "0", "-f", "json", NULL };

		run_cmd(argv, NULL, &r);
	}
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, json_lines(r.out) - 1);
	cr_assert_not_null(rep, "stdout: %s", r.out);
	json_array_foreach(json_object_get(rep, "stacks"), i, st) {
		size_t n = json_array_size(json_object_get(st, "frames"));

		json_array_foreach(json_object_get(st, "frames"), j, f) {
			const char *name = fn(f), *file = json_string_value(json_object_get(f, "file"));
			const char *mod = json_string_value(json_object_get(f, "module"));

			if (name && strstr(name, "_Cfunc_c_leak"))
				leak = st;
			cr_expect(name || (mod && mod[0] != '['), "no junk frame (%zu of stack %zu): %s",
				  j, i, r.out);
			if (name && !strncmp(name, "runtime.", 8) && file)
				cr_expect(!strstr(file, ".c") || strstr(file, ".go"),
					  "Go frame '%s' with a C file '%s'", name, file);
		}
		f = json_array_get(json_object_get(st, "frames"), n - 1);
		if (fn(f) && !strncmp(fn(f), "runtime.asmcgocall", 18)) {
			cr_expect(json_is_true(json_object_get(st, "truncated")),
				  "a stack cut at the stack switch is truncated: %s", r.out);
			cr_expect_not_null(json_string_value(json_object_get(f, "file")),
					   "the Go frame has its file:line");
		}
	}
	cr_assert_not_null(leak, "the cgo leak: %s", r.out);
	cr_expect_eq(json_integer_value(json_object_get(leak, "count")), 100);
	cr_expect_str_eq(fn(json_array_get(json_object_get(leak, "frames"), 0)), "malloc");
	f = json_array_get(json_object_get(leak, "frames"),
			   json_array_size(json_object_get(leak, "frames")) - 1);
	cr_expect(fn(f) && !strncmp(fn(f), "runtime.asmcgocall", 18), "ends at the switch: %s",
		  r.out);
	json_decref(rep);
	run_release(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect_eq(system(cmd), 0);
}
