/* cmdline — a command line (`seep trace -c 'CMD ARGS'`) split into words
 * the way a POSIX shell splits them, without running anything.
 *
 * Words are separated by blanks (space, tab). Quoting: '...' keeps
 * everything literally; "..." keeps everything but $NAME and ${NAME}
 * (expanded) and the backslash before $ ` " \ and newline; a backslash
 * outside quotes keeps the next character literally (backslash-newline
 * joins lines). $NAME and ${NAME} are looked up through the caller's
 * LOOKUP (NULL or a NULL answer: empty); unquoted, their values are split
 * at blanks and newlines, and a word made only of an empty expansion
 * vanishes. An unquoted ~ alone or before '/' at the start of a word is
 * LOOKUP("HOME") (kept when that is unset; ~user is kept as written). A $
 * before anything else is a literal $.
 * Rejected, with -EINVAL and the reason in ERR: unbalanced quotes, a
 * trailing backslash, command substitution (` and $(...)), other ${...}
 * forms, and unquoted shell operators (| & ; < > ( ) { } newline): no
 * pipelines or redirections, as with wordexp(3)'s WRDE_NOCMD.
 * Leading words of the form NAME=value (NAME a shell variable name) are
 * assignments for the command's environment (LD_PRELOAD=x ./server); at
 * least one word must follow them.
 * Globbing is a separate step (cmdline__glob) since it reads the file
 * system; cmdline__split itself is pure.
 * Ownership: the cmdline owns its arrays and strings; cmdline__release()
 * frees them (and accepts a zeroed or released cmdline).
 */
#ifndef SEEP_CMDLINE_H
#define SEEP_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

struct cmdline {
	char **argv;             /* argc words then NULL: the command and its arguments */
	size_t argc;
	char **env;              /* nenv NAME=value words then NULL */
	size_t nenv;
	/* For cmdline__glob: per argv word, its glob pattern (quoted
	 * characters escaped) if it holds an unquoted * ? or [, else NULL. */
	char **patterns;
	size_t cap, pcap;        /* capacities of argv and patterns */
};

/* Value of the variable NAME, or NULL when unset. */
typedef const char *cmdline_lookup_fn(const char *name, void *ctx);

/* Splits TEXT into OUT. Returns 0, -EINVAL (syntax: ERR holds why, e.g.
 * "unbalanced double quote"; OUT is released) or -ENOMEM. */
int cmdline__split(const char *text, cmdline_lookup_fn *lookup, void *ctx, struct cmdline *out,
		   char *err, size_t errlen);

/* Replaces each argv word that has a pattern by the paths it matches, in
 * sorted order; a pattern matching nothing leaves its word as written
 * (as a shell does). 0, -ENOMEM, or -EIO (a directory could not be read). */
int cmdline__glob(struct cmdline *c);

void cmdline__release(struct cmdline *c);

/* True if W is NAME=value with NAME a shell variable name. */
bool cmdline__is_assignment(const char *w);

#endif
