#include "lib/cmdline.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vec.h"

#define NAME_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define NAME_CHARS NAME_FIRST "0123456789"
#define GLOB_META "*?["

/* The word being built: its text and its glob pattern side by side. */
struct _word {
	char *s, *pat;
	size_t n, cap, pn, pcap;
	bool started;            /* something quoted or a character: the word exists */
	bool glob;               /* an unquoted glob character in it */
};

struct _split {
	const char *p;           /* next character of the text */
	cmdline_lookup_fn *lookup;
	void *ctx;
	struct cmdline *out;
	struct _word w;
	char *err;
	size_t errlen;
};

static int _fail(struct _split *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int _fail(struct _split *sp, const char *fmt, ...)
{
	va_list ap;

	if (sp->errlen) {
		va_start(ap, fmt);
		vsnprintf(sp->err, sp->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int _putc(char **buf, size_t *n, size_t *cap, char c)
{
	char *slot = VEC_PUSH(*buf, *n, *cap);

	if (!slot)
		return -ENOMEM;
	*slot = c;
	(*n)++;
	return 0;
}

/* Appends C to the word; QUOTED: C stands for itself in the pattern too. */
static int _add(struct _split *sp, char c, bool quoted)
{
	struct _word *w = &sp->w;
	int err = 0;

	w->started = true;
	if (quoted && (strchr(GLOB_META "]\\", c)))
		err = _putc(&w->pat, &w->pn, &w->pcap, '\\');
	if (!quoted && strchr(GLOB_META, c))
		w->glob = true;
	if (!err)
		err = _putc(&w->pat, &w->pn, &w->pcap, c);
	return err ? err : _putc(&w->s, &w->n, &w->cap, c);
}

/* Ends the word being built (if it exists) and appends it to the words. */
static int _end_word(struct _split *sp)
{
	struct cmdline *c = sp->out;
	struct _word *w = &sp->w;
	char *word, *pat = NULL;
	int err;

	if (!w->started)
		return 0;
	if ((err = _putc(&w->s, &w->n, &w->cap, '\0')) ||
	    (err = _putc(&w->pat, &w->pn, &w->pcap, '\0')))
		return err;
	/* room for the word and the terminating NULL */
	if ((err = VEC_RESERVE(c->argv, c->cap, c->argc + 2)) ||
	    (err = VEC_RESERVE(c->patterns, c->pcap, c->argc + 2)))
		return err;
	word = strdup(w->s);
	if (w->glob)
		pat = strdup(w->pat);
	if (!word || (w->glob && !pat)) {
		free(word);
		free(pat);
		return -ENOMEM;
	}
	c->patterns[c->argc] = pat;
	c->argv[c->argc++] = word;
	c->argv[c->argc] = NULL;
	c->patterns[c->argc] = NULL;
	w->n = w->pn = 0;
	w->started = w->glob = false;
	return 0;
}

/* $NAME or ${NAME}, SP->p after the '$'. QUOTED: inside "...". */
static int _expand(struct _split *sp, bool quoted)
{
	const char *name = sp->p, *val;
	char buf[256];
	size_t len;
	int err = 0;

	if (*name == '(')
		return _fail(sp, "command substitution '$(' is not supported");
	if (*name == '{') {
		name++;
		len = strspn(name, NAME_CHARS);
		if (!len || name[len] != '}' || strchr("0123456789", name[0]))
			return _fail(sp, "only ${NAME} is supported among the ${...} forms");
		sp->p = name + len + 1;
	} else if (*name && strchr(NAME_FIRST, *name)) {
		len = strspn(name, NAME_CHARS);
		sp->p = name + len;
	} else {
		return _add(sp, '$', true);   /* a lone $ is itself */
	}
	if (len >= sizeof(buf))
		return _fail(sp, "variable name '%.*s' too long", (int)len, name);
	memcpy(buf, name, len);
	buf[len] = '\0';
	val = sp->lookup ? sp->lookup(buf, sp->ctx) : NULL;
	if (quoted)
		sp->w.started = true;   /* "$EMPTY" is an empty word */
	for (; val && *val && !err; val++) {
		if (!quoted && strchr(" \t\n", *val))
			err = _end_word(sp);
		else
			err = _add(sp, *val, quoted);
	}
	return err;
}

/* '...': SP->p after the opening quote. */
static int _single_quoted(struct _split *sp)
{
	const char *end = strchr(sp->p, '\'');
	int err = 0;

	if (!end)
		return _fail(sp, "unbalanced single quote");
	sp->w.started = true;
	for (; sp->p < end && !err; sp->p++)
		err = _add(sp, *sp->p, true);
	sp->p = end + 1;
	return err;
}

/* "...": SP->p after the opening quote. */
static int _double_quoted(struct _split *sp)
{
	int err = 0;

	sp->w.started = true;
	while (!err) {
		char c = *sp->p++;

		if (c == '\0')
			return _fail(sp, "unbalanced double quote");
		if (c == '"')
			return 0;
		if (c == '`')
			return _fail(sp, "command substitution '`' is not supported");
		if (c == '$') {
			err = _expand(sp, true);
		} else if (c == '\\' && *sp->p && strchr("$`\"\\\n", *sp->p)) {
			c = *sp->p++;
			if (c != '\n')
				err = _add(sp, c, true);
		} else {
			err = _add(sp, c, true);
		}
	}
	return err;
}

/* ~ or ~/... at the start of a word: SP->p at the '~'. */
static bool _at_tilde(const struct _split *sp)
{
	return !sp->w.started && sp->p[0] == '~' &&
	       (sp->p[1] == '\0' || sp->p[1] == '/' || sp->p[1] == ' ' || sp->p[1] == '\t');
}

static int _tilde(struct _split *sp)
{
	const char *home = sp->lookup ? sp->lookup("HOME", sp->ctx) : NULL;
	int err = 0;

	sp->p++;
	if (!home)
		return _add(sp, '~', true);
	sp->w.started = true;
	for (; *home && !err; home++)
		err = _add(sp, *home, true);
	return err;
}

/* One step outside quotes: the character at SP->p and what it starts. */
static int _step(struct _split *sp)
{
	char c = *sp->p;

	if (_at_tilde(sp))
		return _tilde(sp);
	sp->p++;
	switch (c) {
	case ' ':
	case '\t':
		return _end_word(sp);
	case '\'':
		return _single_quoted(sp);
	case '"':
		return _double_quoted(sp);
	case '$':
		return _expand(sp, false);
	case '`':
		return _fail(sp, "command substitution '`' is not supported");
	case '\\':
		if (*sp->p == '\0')
			return _fail(sp, "the command ends with a backslash");
		if (*sp->p == '\n') {  /* a continued line */
			sp->p++;
			return 0;
		}
		return _add(sp, *sp->p++, true);
	case '\n':
		return _fail(sp, "a newline (several commands) is not supported");
	case '|': case '&': case ';': case '<': case '>': case '(': case ')': case '{': case '}':
		return _fail(sp, "shell operator '%c' is not supported (quote it to pass it on)", c);
	default:
		return _add(sp, c, false);
	}
}

bool cmdline__is_assignment(const char *w)
{
	size_t n = strspn(w, NAME_CHARS);

	return n > 0 && w[n] == '=' && !strchr("0123456789", w[0]);
}

/* Moves the leading assignments from argv to env. */
static int _take_assignments(struct cmdline *c)
{
	size_t n = 0;

	while (n < c->argc && cmdline__is_assignment(c->argv[n]))
		n++;
	if (n == 0)
		return 0;
	c->env = calloc(n + 1, sizeof(*c->env));
	if (!c->env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c->env[i] = c->argv[i];
		free(c->patterns[i]);   /* the value is taken as written */
	}
	c->nenv = n;
	memmove(c->argv, c->argv + n, (c->argc - n + 1) * sizeof(*c->argv));
	memmove(c->patterns, c->patterns + n, (c->argc - n + 1) * sizeof(*c->patterns));
	c->argc -= n;
	return 0;
}

int cmdline__split(const char *text, cmdline_lookup_fn *lookup, void *ctx, struct cmdline *out,
		   char *err, size_t errlen)
{
	struct _split sp = { .p = text, .lookup = lookup, .ctx = ctx, .out = out, .err = err,
			     .errlen = errlen };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	/* a failed step may leave p past the terminating NUL: test ret first */
	while (!ret && *sp.p)
		ret = _step(&sp);
	if (!ret)
		ret = _end_word(&sp);
	if (!ret)
		ret = _take_assignments(out);
	if (!ret && out->argc == 0)
		ret = _fail(&sp, out->nenv ? "no command after the NAME=value words" : "no command");
	free(sp.w.s);
	free(sp.w.pat);
	if (ret)
		cmdline__release(out);
	return ret;
}

/* Replaces argv[I] by copies of the N paths in PATHS (N >= 1). */
static int _splice(struct cmdline *c, size_t i, char *const *paths, size_t n)
{
	size_t need = c->argc + n;   /* argc - 1 + n words, and the NULL */
	char **copies = calloc(n, sizeof(*copies));
	int err = copies ? 0 : -ENOMEM;

	for (size_t k = 0; k < n && !err; k++)
		if (!(copies[k] = strdup(paths[k])))
			err = -ENOMEM;
	if (!err && !(err = VEC_RESERVE(c->argv, c->cap, need)))
		err = VEC_RESERVE(c->patterns, c->pcap, need);
	if (err) {
		for (size_t k = 0; copies && k < n; k++)
			free(copies[k]);
		free(copies);
		return err;
	}
	free(c->argv[i]);
	free(c->patterns[i]);
	memmove(c->argv + i + n, c->argv + i + 1, (c->argc - i) * sizeof(*c->argv));
	memmove(c->patterns + i + n, c->patterns + i + 1, (c->argc - i) * sizeof(*c->patterns));
	for (size_t k = 0; k < n; k++) {
		c->argv[i + k] = copies[k];
		c->patterns[i + k] = NULL;
	}
	c->argc += n - 1;
	free(copies);
	return 0;
}

int cmdline__glob(struct cmdline *c)
{
	int err = 0;

	for (size_t i = 0; i < c->argc && !err; i++) {
		glob_t g = { 0 };
		int rc;

		if (!c->patterns[i])
			continue;
		rc = glob(c->patterns[i], 0, NULL, &g);
		if (rc == 0) {
			err = _splice(c, i, g.gl_pathv, g.gl_pathc);
			if (!err)
				i += g.gl_pathc - 1;
		} else if (rc == GLOB_NOSPACE) {
			err = -ENOMEM;
		} else if (rc == GLOB_ABORTED) {
			err = -EIO;
		} else {   /* no match: the word stays as written */
			free(c->patterns[i]);
			c->patterns[i] = NULL;
		}
		globfree(&g);
	}
	return err;
}

void cmdline__release(struct cmdline *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->argc; i++) {
		free(c->argv[i]);
		free(c->patterns[i]);
	}
	for (size_t i = 0; i < c->nenv; i++)
		free(c->env[i]);
	free(c->argv);
	free(c->patterns);
	free(c->env);
	memset(c, 0, sizeof(*c));
}
