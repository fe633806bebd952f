/* seep — entry point: dispatches to the subcommand table, and ends every
 * command through the one error printer (cli__exit). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "seep_version.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "trace", cmd_trace, "live heap of running processes by allocation stack" },
	{ "detect", cmd_detect, "leak detectors (LBR, LBRCPD, Precog, PrecogMF, seep) on a memory series" },
	{ "contrast", cmd_contrast, "attribute patterns that set a target group apart (CONAN)" },
	{ "snapshot", cmd_snapshot, "a heap snapshot of a process as a pprof profile" },
	{ "record", cmd_record, "a series of heap snapshots into a directory" },
	{ "diff", cmd_diff, "per-stack heap growth between two snapshots" },
	{ "report", cmd_report, "summary and growth chart of a snapshot series" },
	{ "diagnose", cmd_diagnose, "a verdict per stack of a series: leak, bounded, warm-up or transient" },
	{ "fingerprint", cmd_fingerprint, "a heap reference of an executable from healthy runs" },
	{ "daemon", cmd_daemon, "always-on memory telemetry and leak detection for every process" },
	{ "status", cmd_status, "the running daemon's state and leak suspects" },
	{ "fleet", cmd_fleet, "cross-host leak detection on series read back from Prometheus or VictoriaMetrics" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: seep <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'seep <command> --help' shows a command's options\n");
}

int main(int argc, char **argv)
{
	/* a closed stdout is EPIPE, told apart and ended quietly (cli__stdout_failed) */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("seep %s\n", SEEP_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return cli__exit(commands[i].run(argc - 1, argv + 1));
	cli__error("unknown command '%s' ('seep --help' lists the commands)", argv[1]);
	return EXIT_USAGE;
}
