/* Small-leak suite: a line reader that returns at the first comment line
 * and leaves the line buffer getline() allocated behind (the FILE is
 * closed, its buffer freed). Runs once and exits. Still reachable at
 * exit, and no leak: stdout's buffer, a global array of the lines kept.
 * The leaking allocation is getline's, called at the line marked LEAK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

static char *kept[8];       /* still reachable: the lines kept */
static size_t nkept;

static int read_header(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, f)) > 0) { /* LEAK */
		if (line[0] == '#')
			return 1;   /* the bug: line is not freed */
		if (nkept < 8)
			kept[nkept++] = strdup(line);
	}
	free(line);
	return 0;
}

int main(void)
{
	FILE *f = tmpfile();
	int comment;

	target_wait_attached();
	if (!f)
		return 1;
	fputs("alpha\nbeta\n# a comment\ngamma\n", f);
	rewind(f);
	comment = read_header(f);
	fclose(f);
	printf("%zu lines kept%s\n", nkept, comment ? ", stopped at a comment" : "");
	for (size_t i = 0; i < nkept; i++)
		fputs(kept[i], stdout);
	return 0;
}
