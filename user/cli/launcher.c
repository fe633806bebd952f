/* launcher — the `seep` program that users run: `seep detect` without
 * --plot in process, over the core library alone (no libbpf, no tracer,
 * no plotting stack: a short start-up); every other command, `detect
 * --plot`, --help, --version and anything unknown is the full program,
 * exec'd with the same arguments (argv[0] included), so its usage, messages
 * and exit codes are the full program's own.
 *
 * Where the full program is: beside the launcher in the build tree
 * (build/seep -> build/libexec/seep/seep), or in the installed layout
 * (PREFIX/bin/seep -> PREFIX/libexec/seep/seep), found from
 * /proc/self/exe, so a copy of the tree or a DESTDIR install keep working.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"

#define FULL_REL "libexec/seep/seep"

/* True when `detect` ARGV (ARGV[0] "detect") asks for what only the full
 * program does: a plot. Any argument before "--" that getopt_long could
 * read as --plot (it takes unique prefixes: --p, --pl, --plot=X) counts;
 * a value that merely looks like one sends the call to the full program,
 * which gives the same answer, only slower. */
static bool _wants_full(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strncmp(argv[i], "--p", 3))
			return true;
	}
	return false;
}

/* Runs the full program with ARGV; returns only on failure, with the
 * exit code after saying why on stderr. */
static int _exec_full(char **argv)
{
	char self[PATH_MAX], path[2][PATH_MAX + sizeof("/../" FULL_REL)];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		fprintf(stderr, "seep: cannot read '/proc/self/exe': %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	snprintf(path[0], sizeof(path[0]), "%s/" FULL_REL, self);
	snprintf(path[1], sizeof(path[1]), "%s/../" FULL_REL, self);
	for (int i = 0; i < 2; i++) {
		execv(path[i], argv);
		/* not at the first place: the installed layout is the second */
		if (errno != ENOENT) {
			fprintf(stderr, "seep: cannot run '%s': %s\n", path[i], strerror(errno));
			return EXIT_FAIL;
		}
	}
	fprintf(stderr, "seep: cannot run '%s' (nor '%s'): %s\n", path[0], path[1],
		strerror(ENOENT));
	return EXIT_FAIL;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "detect") && !_wants_full(argc - 1, argv + 1)) {
		/* as the full program's main: EPIPE on a closed stdout is told apart */
		signal(SIGPIPE, SIG_IGN);
		return cli__exit(cmd_detect(argc - 1, argv + 1));
	}
	return _exec_full(argv);
}
