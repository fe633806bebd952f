/* A request loop that leaks 1 KiB per request through an xstrdup-style
 * wrapper, amid ordinary allocation churn that is freed.
 * usage: leaky_server [REQUESTS [USEC_BETWEEN]]  (REQUESTS 0 = forever) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

#define LEAK_SIZE 1024

static char **sessions;
static size_t nsessions, cap;

__attribute__((noinline)) static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (!p)
		abort();
	memcpy(p, s, n);
	return p;
}

__attribute__((noinline)) static void remember_session(char *id)
{
	if (nsessions == cap) {
		/* grown through a realloc chain; the array itself stays live */
		cap = cap ? cap * 2 : 64;
		sessions = realloc(sessions, cap * sizeof(*sessions));
	}
	sessions[nsessions++] = id;
}

__attribute__((noinline)) static void churn(unsigned i)
{
	void *a = malloc(64 + (i % 7) * 100);
	void *b = calloc(4, 256);
	char *c = malloc(4096);

	target_sink = a;
	target_sink = b;
	snprintf(c, 4096, "request %u", i);
	free(a);
	free(b);
	free(c);
}

__attribute__((noinline)) static void handle_request(unsigned i)
{
	char buf[LEAK_SIZE];

	churn(i);
	memset(buf, 'a' + i % 26, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	remember_session(xstrdup(buf));   /* the leak: sessions are never expired */
}

int main(int argc, char **argv)
{
	unsigned long requests = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	unsigned long pause_us = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;

	target_wait_attached();
	for (unsigned long i = 0; requests == 0 || i < requests; i++) {
		handle_request((unsigned)i);
		if (pause_us)
			usleep(pause_us);
	}
	return 0;
}
