/* Small-leak suite: a tokenizer whose caller returns early on a bad token
 * and forgets the token array it was handed. Runs once and exits. Still
 * reachable at exit, and no leak: stdout's buffer, an interned-string
 * pool a global points to, a stderr message (unbuffered: no block). The
 * leaking allocation is the line marked LEAK. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

static char *pool;          /* still reachable: interned strings */
static size_t pool_used;

static const char *intern(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = pool + pool_used;

	memcpy(p, s, n);
	pool_used += n;
	return p;
}

/* Splits S at spaces into a malloc'd array of at most 4 tokens. */
static char **tokenize(const char *s, size_t *n)
{
	char **tok = calloc(5, sizeof(*tok)); /* LEAK */
	char buf[64];

	if (!tok)
		abort();
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (char *w = strtok(buf, " "); w && *n < 4; w = strtok(NULL, " "))
		tok[(*n)++] = (char *)intern(w);
	return tok;
}

static int run(const char *cmd)
{
	size_t n;
	char **tok = tokenize(cmd, &n);

	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)tok[i][0])) {
			fprintf(stderr, "bad token '%s'\n", tok[i]);
			return -1;   /* the bug: tok is not freed */
		}
	printf("%zu tokens, first '%s'\n", n, n ? tok[0] : "");
	free(tok);
	return 0;
}

int main(void)
{
	target_wait_attached();
	pool = malloc(1024);
	if (!pool)
		return 1;
	run("open file now");
	run("seek 42 end");
	run("close all");
	return 0;
}
