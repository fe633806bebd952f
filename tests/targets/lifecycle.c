/* A process that leaks N blocks of 2 KiB from before_exec(), then ends
 * its life one of several ways, for the tests of what seep does when a
 * traced process is not simple.
 * usage: lifecycle N MODE [ARGS...]
 *   exit CODE        exit with CODE
 *   segv             die of SIGSEGV
 *   sleep S          sleep S seconds, then exit 0
 *   fork S           fork a child (which sleeps S seconds), sleep S
 *   orphan S         fork a child that sleeps S seconds, exit 0 at once
 *   exec PROG ARGS   exec PROG with ARGS
 *   name NAME S      set the process name (prctl) to NAME, sleep S */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "target.h"

#define BLOCK 2048

static void **kept;

__attribute__((noinline)) static void before_exec(int n)
{
	kept = malloc((size_t)n * sizeof(*kept) + 1);
	for (int i = 0; i < n; i++)
		kept[i] = malloc(BLOCK);   /* never freed: the old image's leak */
}

static void sleep_s(const char *s)
{
	usleep((useconds_t)(atof(s) * 1e6));
}

int main(int argc, char **argv)
{
	const char *mode;

	if (argc < 3) {
		fprintf(stderr, "usage: lifecycle N MODE [ARGS...]\n");
		return 2;
	}
	target_wait_attached();
	before_exec(atoi(argv[1]));
	mode = argv[2];
	if (!strcmp(mode, "exit") && argc > 3)
		return atoi(argv[3]);
	if (!strcmp(mode, "segv"))
		raise(SIGSEGV);
	if (!strcmp(mode, "sleep") && argc > 3)
		sleep_s(argv[3]);
	if ((!strcmp(mode, "fork") || !strcmp(mode, "orphan")) && argc > 3) {
		pid_t pid = fork();

		if (pid == 0) {
			sleep_s(argv[3]);
			_exit(0);
		}
		if (!strcmp(mode, "fork"))
			sleep_s(argv[3]);
	}
	if (!strcmp(mode, "exec") && argc > 3) {
		execv(argv[3], argv + 3);
		perror("execv");
		return 127;
	}
	if (!strcmp(mode, "name") && argc > 4) {
		prctl(PR_SET_NAME, argv[3]);
		sleep_s(argv[4]);
	}
	return 0;
}
