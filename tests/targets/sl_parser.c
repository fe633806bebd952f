/* Small-leak suite: a config parser that loses the key it copied when a
 * line has no value (the error path returns without freeing it). Runs
 * once and exits. Still reachable at exit, and no leak: stdout's buffer
 * (printf, allocated by stdio), the settings table a global points to.
 * The leaking allocation is the line marked LEAK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

struct setting {
	char *key, *value;
};

static struct setting *settings;   /* still reachable: the parsed table */
static size_t nsettings;

static char *copy(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Parses "key=value"; -1 for a line without '=' (the key is lost). */
static int parse_entry(const char *line)
{
	const char *eq = strchr(line, '=');
	size_t klen = eq ? (size_t)(eq - line) : strlen(line);
	char *key = malloc(klen + 1); /* LEAK */

	if (!key)
		abort();
	memcpy(key, line, klen);
	key[klen] = '\0';
	if (!eq)
		return -1;   /* the bug: key is not freed */
	settings[nsettings].key = key;
	settings[nsettings].value = copy(eq + 1, strlen(eq + 1));
	nsettings++;
	return 0;
}

int main(void)
{
	static const char *const lines[] = { "name=seep", "mode=exact", "verbose", "depth=8" };
	int bad = 0;

	target_wait_attached();
	settings = calloc(16, sizeof(*settings));
	if (!settings)
		return 1;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (parse_entry(lines[i]))
			bad++;
	printf("%zu settings, %d bad lines\n", nsettings, bad);
	for (size_t i = 0; i < nsettings; i++)
		printf("  %s = %s\n", settings[i].key, settings[i].value);
	return 0;
}
