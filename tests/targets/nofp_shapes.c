/* Every stack shape the BPF walk of known stacks must get exactly as the
 * user-space unwinder does, ROUNDS times each (default 200), with a pause
 * between rounds so that seep learns them as it would on a long run: a
 * chain of helpers, a call into a shared library (libseepleak.so), a
 * 50-deep recursion, a frame with a 16 KiB local array, a call inlined
 * twice, and a thread. Built three ways from this file: -O2 without frame
 * pointers (nofp_shapes), the same stripped (nofp_shapes_stripped), and
 * with frame pointers (fp_shapes: CFA rules on rbp).
 * usage: nofp_shapes [ROUNDS] */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

int lib_entry(int i, void **out);

static void *kept[8];

__attribute__((noinline)) void *shape_leaf(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	memset(p, 1, n);
	return p;
}

__attribute__((noinline)) void *shape_helpers(int i)
{
	void *p = shape_leaf(24 + (size_t)(i & 1));

	target_sink = p;
	return p;
}

__attribute__((noinline)) int shape_recurse(int depth)
{
	int r;

	if (depth == 0) {
		kept[2] = shape_leaf(40);
		return 1;
	}
	r = shape_recurse(depth - 1);
	target_sink = &r;         /* no tail call: every level keeps its frame */
	return r + 1;
}

__attribute__((noinline)) void *shape_bigframe(int i)
{
	char buf[16384];
	void *p;

	memset(buf, i, sizeof(buf));
	target_sink = buf;
	p = shape_leaf(56 + (size_t)(buf[i % sizeof(buf)] & 1));
	target_sink = p;
	return p;
}

static inline __attribute__((always_inline)) void *inlined_inner(int i)
{
	void *p = malloc(72 + (size_t)(i & 1));

	if (!p)
		abort();
	memset(p, 2, 72);
	return p;
}

static inline __attribute__((always_inline)) void *inlined_outer(int i)
{
	void *p = inlined_inner(i);

	target_sink = p;
	return p;
}

__attribute__((noinline)) void *shape_inline(int i)
{
	void *p = inlined_outer(i);

	target_sink = p;
	return p;
}

static void *thread_main(void *arg)
{
	return shape_helpers((int)(long)arg);
}

__attribute__((noinline)) void round_of_shapes(int i)
{
	pthread_t th;
	void *ret = NULL;

	kept[0] = shape_helpers(i);
	lib_entry(i, &kept[1]);
	shape_recurse(50);
	kept[3] = shape_bigframe(i);
	kept[4] = shape_inline(i);
	if (pthread_create(&th, NULL, thread_main, (void *)(long)i) == 0 &&
	    pthread_join(th, &ret) == 0)
		kept[5] = ret;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;

	target_wait_attached();
	for (int i = 0; i < rounds; i++) {
		round_of_shapes(i);
		usleep(500);
	}
	return 0;
}
