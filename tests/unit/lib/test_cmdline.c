#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cmdline.h"

/* A fixed environment: HOME, a value with blanks, an empty one. */
static const char *fake_env(const char *name, void *ctx)
{
	(void)ctx;
	if (!strcmp(name, "HOME"))
		return "/home/u";
	if (!strcmp(name, "TWO"))
		return "a  b";
	if (!strcmp(name, "EMPTY"))
		return "";
	if (!strcmp(name, "GLOB"))
		return "*.x";
	return NULL;
}

/* Criterion runs each test in a fresh process: parameters hold no
 * pointers. Expected words are joined with '|' (an empty ENV: none). */
struct split_case {
	char text[96];
	char argv[96];
	char env[64];
};

/* Splits the '|'-joined LIST into WORDS; returns how many. */
static size_t unjoin(char *list, char **words, size_t max)
{
	size_t n = 0;

	if (!*list)
		return 0;
	for (char *p = list; n < max; p++) {
		words[n++] = p;
		p = strchr(p, '|');
		if (!p)
			break;
		*p = '\0';
	}
	return n;
}

static void check_case(const struct split_case *k)
{
	struct split_case copy = *k;
	char *argv[16], *env[16], err[128];
	size_t n = unjoin(copy.argv, argv, 16), e = unjoin(copy.env, env, 16);
	struct cmdline c;

	cr_assert_eq(cmdline__split(k->text, fake_env, NULL, &c, err, sizeof(err)), 0,
		     "'%s': %s", k->text, err);
	cr_assert_eq(c.argc, n, "'%s': %zu words, not %zu", k->text, c.argc, n);
	cr_assert_eq(c.nenv, e, "'%s': %zu assignments", k->text, c.nenv);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(c.argv[i], argv[i], "'%s' word %zu", k->text, i);
	cr_expect_null(c.argv[n], "argv ends with NULL");
	for (size_t i = 0; i < e; i++)
		cr_expect_str_eq(c.env[i], env[i], "'%s' assignment %zu", k->text, i);
	if (e)
		cr_expect_null(c.env[e], "env ends with NULL");
	cmdline__release(&c);
	cmdline__release(&c);   /* released twice: harmless */
}

ParameterizedTestParameters(cmdline, splits)
{
	static struct split_case cases[] = {
		{ "prog", "prog", "" },
		{ "  ./srv   300\t200  ", "./srv|300|200", "" },
		{ "echo 'a b' \"c d\"", "echo|a b|c d", "" },
		{ "echo 'it''s' x\"y\"z", "echo|its|xyz", "" },
		{ "echo '' \"\"", "echo||", "" },
		{ "echo a\\ b \\'q\\'", "echo|a b|'q'", "" },
		{ "echo \"\\\"in\\\" \\$HOME \\\\ \\x\"", "echo|\"in\" $HOME \\ \\x", "" },
		{ "echo '$HOME \\n'", "echo|$HOME \\n", "" },
		{ "echo $HOME ${HOME}/b \"$HOME\"", "echo|/home/u|/home/u/b|/home/u", "" },
		{ "echo $TWO \"$TWO\"", "echo|a|b|a  b", "" },
		{ "echo $EMPTY \"$EMPTY\" $UNSET x", "echo||x", "" },
		{ "echo $ 5$ a$", "echo|$|5$|a$", "" },
		{ "echo ~ ~/d a~ ~user '~'", "echo|/home/u|/home/u/d|a~|~user|~", "" },
		{ "echo a\\\nb", "echo|ab", "" },
		{ "LD_PRELOAD=libjemalloc.so.2 ./server 8", "./server|8", "LD_PRELOAD=libjemalloc.so.2" },
		{ "A=1 _B='x y' ./p C=3", "./p|C=3", "A=1|_B=x y" },
		{ "1A=x ./p", "1A=x|./p", "" },
		{ "=x ./p", "=x|./p", "" },
	};

	return cr_make_param_array(struct split_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct split_case *k, cmdline, splits)
{
	check_case(k);
}

struct error_case {
	char text[32];
	char why[32];                 /* a part of the message */
};

ParameterizedTestParameters(cmdline, errors)
{
	static struct error_case cases[] = {
		{ "echo 'open", "unbalanced single quote" },
		{ "echo \"open", "unbalanced double quote" },
		{ "echo \"a\\\"", "unbalanced double quote" },
		{ "echo a\\", "ends with a backslash" },
		{ "echo `id`", "command substitution" },
		{ "echo \"`id`\"", "command substitution" },
		{ "echo $(id)", "command substitution" },
		{ "echo ${HOME:-x}", "${NAME}" },
		{ "echo ${}", "${NAME}" },
		{ "a | b", "'|'" },
		{ "a > out", "'>'" },
		{ "a; b", "';'" },
		{ "a &", "'&'" },
		{ "a\nb", "newline" },
		{ "", "no command" },
		{ "   ", "no command" },
		{ "$EMPTY", "no command" },
		{ "A=1 B=2", "no command after" },
	};

	return cr_make_param_array(struct error_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *k, cmdline, errors)
{
	struct cmdline c;
	char err[128];

	memset(&c, 0x5a, sizeof(c));
	cr_assert_eq(cmdline__split(k->text, fake_env, NULL, &c, err, sizeof(err)), -EINVAL,
		     "'%s' is rejected", k->text);
	cr_expect(strstr(err, k->why), "'%s': message '%s' says '%s'", k->text, err, k->why);
	cr_expect_null(c.argv, "nothing left to free");
	cr_expect_eq(c.argc, 0);
}

Test(cmdline, operators_quoted_pass_on)
{
	struct cmdline c;

	cr_assert_eq(cmdline__split("sh -c 'a | b; c > d' \"&\" \\;", NULL, NULL, &c, NULL, 0), 0);
	cr_assert_eq(c.argc, 5);
	cr_expect_str_eq(c.argv[2], "a | b; c > d");
	cr_expect_str_eq(c.argv[3], "&");
	cr_expect_str_eq(c.argv[4], ";");
	cmdline__release(&c);
}

Test(cmdline, no_lookup_means_empty)
{
	struct cmdline c;

	cr_assert_eq(cmdline__split("echo x$HOME ~", NULL, NULL, &c, NULL, 0), 0);
	cr_assert_eq(c.argc, 3);
	cr_expect_str_eq(c.argv[1], "x");
	cr_expect_str_eq(c.argv[2], "~");
	cmdline__release(&c);
}

Test(cmdline, many_words_grow)
{
	char text[4096] = "prog";
	struct cmdline c;

	for (int i = 0; i < 500; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " %d", i);
	cr_assert_eq(cmdline__split(text, NULL, NULL, &c, NULL, 0), 0);
	cr_assert_eq(c.argc, 501);
	cr_expect_str_eq(c.argv[500], "499");
	cr_expect_null(c.argv[501]);
	cmdline__release(&c);
}

/* Globbing: patterns only where a * ? [ was unquoted. */
Test(cmdline, glob_expands_unquoted_patterns)
{
	char dir[] = "/tmp/seep-cmdline-XXXXXX", text[512], path[600];
	const char *names[] = { "b.x", "a.x", "c.y" };
	struct cmdline c;

	cr_assert_not_null(mkdtemp(dir));
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		close(open(path, O_CREAT | O_WRONLY, 0600));
	}
	snprintf(text, sizeof(text), "ls %s/*.x '%s/*.x' %s/*.none %s/?.y", dir, dir, dir, dir);
	cr_assert_eq(cmdline__split(text, NULL, NULL, &c, NULL, 0), 0);
	cr_assert_not_null(c.patterns[1]);
	cr_assert_null(c.patterns[2], "quoted: no pattern");
	cr_assert_eq(cmdline__glob(&c), 0);
	cr_assert_eq(c.argc, 6);
	snprintf(path, sizeof(path), "%s/a.x", dir);
	cr_expect_str_eq(c.argv[1], path, "sorted");
	snprintf(path, sizeof(path), "%s/b.x", dir);
	cr_expect_str_eq(c.argv[2], path);
	snprintf(path, sizeof(path), "%s/*.x", dir);
	cr_expect_str_eq(c.argv[3], path, "quoted pattern kept literally");
	snprintf(path, sizeof(path), "%s/*.none", dir);
	cr_expect_str_eq(c.argv[4], path, "no match: kept as written");
	snprintf(path, sizeof(path), "%s/c.y", dir);
	cr_expect_str_eq(c.argv[5], path);
	cr_expect_null(c.argv[6]);
	cmdline__release(&c);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

Test(cmdline, glob_of_expansion_but_not_of_quoted_expansion)
{
	struct cmdline c;

	cr_assert_eq(cmdline__split("ls $GLOB \"$GLOB\" a\\*", fake_env, NULL, &c, NULL, 0), 0);
	cr_expect_not_null(c.patterns[1], "unquoted expansion globs");
	cr_expect_null(c.patterns[2]);
	cr_expect_null(c.patterns[3], "escaped *");
	cmdline__release(&c);
}

Test(cmdline, assignment_predicate)
{
	cr_expect(cmdline__is_assignment("A=1"));
	cr_expect(cmdline__is_assignment("_x9="));
	cr_expect(!cmdline__is_assignment("9x=1"));
	cr_expect(!cmdline__is_assignment("=1"));
	cr_expect(!cmdline__is_assignment("A-B=1"));
	cr_expect(!cmdline__is_assignment("AB"));
}
