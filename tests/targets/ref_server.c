/* A line server whose healthy runs hold a config table and a bounded
 * cache of parsed lines; given bad lines, it loses the token buffer of
 * each on parse_line's error path (the leak a reference of healthy runs
 * does not know).
 * usage: ref_server BAD_EVERY [LINES [USEC_BETWEEN]]
 *   BAD_EVERY 0: no bad lines (healthy); N: every Nth line is bad.
 *   LINES 0 = forever (default); USEC_BETWEEN default 1000. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "target.h"

#define CACHE_SLOTS 256
#define TOKEN_SIZE 96

static char *cache[CACHE_SLOTS];
static char *config;

__attribute__((noinline)) static void load_config(void)
{
	config = malloc(64 * 1024);
	if (!config)
		abort();
	memset(config, 'c', 64 * 1024);
}

/* Parses LINE into a token; a line without '=' is bad: the token is lost. */
__attribute__((noinline)) static char *parse_line(const char *line)
{
	char *tok = malloc(TOKEN_SIZE);

	if (!tok)
		abort();
	snprintf(tok, TOKEN_SIZE, "%s", line);
	if (!strchr(line, '='))
		return NULL;   /* the bug: tok is not freed */
	return tok;
}

__attribute__((noinline)) static void cache_put(unsigned long i, char *tok)
{
	free(cache[i % CACHE_SLOTS]);
	cache[i % CACHE_SLOTS] = tok;
}

int main(int argc, char **argv)
{
	unsigned long bad = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	unsigned long lines = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	unsigned long pause_us = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
	char line[64];

	target_wait_attached();
	load_config();
	for (unsigned long i = 0; !lines || i < lines; i++) {
		char *tok;

		snprintf(line, sizeof(line), bad && i % bad == 0 ? "line %lu" : "key%lu=%lu", i, i);
		if ((tok = parse_line(line)))
			cache_put(i, tok);
		if (pause_us)
			usleep((useconds_t)pause_us);
	}
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		free(cache[i]);
	free(config);
	return 0;
}
