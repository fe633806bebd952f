/* End to end (root): allocators other than glibc's -- jemalloc, tcmalloc
 * and mimalloc preloaded, their own operator new, a statically linked
 * program, and Debian's redis-server (linked with jemalloc). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu/"

static const char *fn(json_t *stack, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(stack, "frames"), i),
						 "function"));
}

static const char *module(json_t *stack, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(stack, "frames"), i),
						 "module"));
}

static json_t *top_of(const char *cmd, json_t **rep, struct run *r)
{
	char *argv[] = { SEEP_BIN, "trace", "-s", "1", "-c", (char *)cmd, "-n", "1", "-f", "json", NULL };

	run_cmd(argv, NULL, r);
	cr_assert_eq(r->status, 0, "stderr: %s", r->err);
	*rep = json_line(r->out, 0);
	cr_assert_not_null(*rep, "stdout: %s", r->out);
	return json_array_get(json_object_get(*rep, "stacks"), 0);
}

struct preload {
	char lib[48];
	char new_name[40];       /* how the library's operator new is named */
};

ParameterizedTestParameters(allocators_e2e, preloaded)
{
	static struct preload cases[] = {
		{ "libjemalloc.so.2", "operator new(unsigned long)" },
		{ "libtcmalloc_minimal.so.4", "" },
		{ "libmimalloc.so.2", "" },
	};

	return cr_make_param_array(struct preload, cases, 3);
}

ParameterizedTest(struct preload *p, allocators_e2e, preloaded, .timeout = 60)
{
	char cmd[256];
	struct run r;
	json_t *rep, *top;

	/* C: malloc is the preloaded library's */
	snprintf(cmd, sizeof(cmd), "LD_PRELOAD=" LIBDIR "%s %s", p->lib, TARGET("nofp_helper"));
	top = top_of(cmd, &rep, &r);
	cr_expect_str_eq(fn(top, 0), "malloc");
	cr_expect(strstr(module(top, 0), p->lib) || strstr(module(top, 0), "malloc"),
		  "frame 0 in %s, not %s", p->lib, module(top, 0));
	cr_expect_str_eq(fn(top, 1), "leak_helper");
	cr_expect_str_eq(fn(top, 2), "build_record");
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 200);
	cr_expect_eq(json_integer_value(json_object_get(top, "bytes")), 200 * 256);
	json_decref(rep);
	run_release(&r);

	/* C++: the library's own operator new, not through malloc */
	snprintf(cmd, sizeof(cmd), "LD_PRELOAD=" LIBDIR "%s %s", p->lib, TARGET("nofp_cpp"));
	top = top_of(cmd, &rep, &r);
	if (p->new_name[0])
		cr_expect_str_eq(fn(top, 0), p->new_name);
	cr_expect_not_null(strstr(fn(top, 0), "new"), "frame 0 is operator new: %s", fn(top, 0));
	cr_expect_str_eq(fn(top, 1), "Cache::put(int)");
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 300);
	json_decref(rep);
	run_release(&r);
}

Test(allocators_e2e, statically_linked, .timeout = 60)
{
	static const char *const want[] = { "malloc", "leak_helper", "build_record", "handle_request",
					    "serve", "main" };
	struct run r;
	json_t *rep, *top = top_of(TARGET("static_helper"), &rep, &r);

	for (size_t i = 0; i < 6; i++)
		cr_expect_str_eq(fn(top, i), want[i]);
	cr_expect(strstr(module(top, 0), "static_helper") != NULL, "malloc is in the executable");
	cr_expect_eq(json_integer_value(json_object_get(top, "count")), 200);
	json_decref(rep);
	run_release(&r);
}

/* Debian's redis-server links libjemalloc.so.2: traced by pid under a
 * bounded redis-benchmark load on a unix socket; its stacks are named. */
Test(allocators_e2e, debian_redis_server_jemalloc, .timeout = 90)
{
	char dir[] = "/tmp/seep-redis-XXXXXX", sock[64], pid_s[16];
	char *server[] = { "/usr/bin/redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
			   "--appendonly", "no", "--logfile", "/dev/null", NULL };
	char *trace[] = { SEEP_BIN, "trace", "-p", pid_s, "--duration", "4", "--sample-bytes", "4096",
			  "-n", "20", "-f", "json", NULL };
	char *load[] = { "/usr/bin/redis-benchmark", "-s", sock, "-n", "20000", "-t", "set", "-r",
			 "1000000", "-d", "200", "-q", NULL };
	struct stat st;
	struct bg b;
	struct run r, l;
	json_t *rep, *stacks, *s;
	int go, jemalloc_top = 0, named = 0;
	size_t i;
	pid_t pid;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	pid = target_start(server, &go);
	for (int k = 0; k < 300 && stat(sock, &st); k++)
		usleep(10000);
	cr_assert_eq(stat(sock, &st), 0, "redis-server did not start");
	snprintf(pid_s, sizeof(pid_s), "%d", pid);
	cr_assert_eq(bg_start(trace, &b), 0, "seep did not start: %s", b.err);
	run_cmd(load, NULL, &l);
	bg_finish(&b, &r);
	kill(pid, SIGTERM);
	target_wait(pid);
	unlink(sock);
	rmdir(dir);
	cr_assert_eq(l.status, 0, "redis-benchmark: %s", l.err);
	cr_assert_eq(r.status, 0, "stderr: %s", r.err);
	rep = json_line(r.out, 0);
	cr_assert_not_null(rep);
	stacks = json_object_get(rep, "stacks");
	json_array_foreach(stacks, i, s) {
		jemalloc_top += module(s, 0) && strstr(module(s, 0), "libjemalloc") != NULL;
		named += stack_frame_index(s, "createStringObject") >= 0 ||
			 stack_frame_index(s, "dictAddRaw") >= 0;
	}
	cr_expect_gt(jemalloc_top, 0, "allocations through libjemalloc's malloc");
	cr_expect_gt(named, 0, "redis's own functions named in the stacks");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(rep, "stats"), "drops_total")), 0);
	json_decref(rep);
	run_release(&r);
	run_release(&l);
}
