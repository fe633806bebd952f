/* cmd_daemon — `seep daemon`: always-on telemetry and leak detection for
 * every process on the host (daemon/daemon.h). Options become settings
 * ("section.key=value") applied over the config file, in command-line
 * order; --print-config shows the result and exits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "lib/log.h"

enum { OPT_PRINT = 256, OPT_NO_BPF, OPT_STORE, OPT_LISTEN, OPT_SET };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "no-bpf", no_argument, NULL, OPT_NO_BPF },
	{ "set", required_argument, NULL, OPT_SET },
	{ "print-config", no_argument, NULL, OPT_PRINT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep daemon [--config FILE] [options]\n"
"\n"
"Samples the memory of every process, component and cgroup on the host every\n"
"interval, detects leaks on their series, keeps them in an SQLite store and\n"
"serves /metrics and a JSON API. Runs in the foreground (systemd Type=notify);\n"
"SIGHUP reloads the config, SIGTERM stops. Needs root for its BPF programs.\n"
"\n"
"  -c, --config FILE      INI config file (see --print-config for every key)\n"
"  -i, --interval S       sampling interval (daemon.interval; default 60s)\n"
"      --store PATH       SQLite store (daemon.store; /var/lib/seep/seep.db)\n"
"      --listen ADDR:PORT HTTP address (daemon.listen; 127.0.0.1:9474; '' none)\n"
"      --no-bpf           tier 0 from /proc only (daemon.bpf = no)\n"
"      --set SEC.KEY=VAL  any config key, over the file\n"
"      --print-config     print the effective config as INI and exit\n"
"  -v, --verbose          more messages (-vv: debug)\n"
"  -h, --help             this help\n");
}

static int _push(char ***sets, int *n, const char *fmt, const char *arg)
{
	char **v = realloc(*sets, (size_t)(*n + 1) * sizeof(**sets));
	size_t len = strlen(fmt) + strlen(arg) + 1;

	if (!v)
		return -ENOMEM;
	*sets = v;
	v[*n] = malloc(len);
	if (!v[*n])
		return -ENOMEM;
	snprintf(v[*n], len, fmt, arg);
	(*n)++;
	return 0;
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon_source src = { 0 };
	struct daemon_config cfg;
	char **sets = NULL, err[512];
	int opt, verbose = 0, print = 0, nsets = 0, ret = EXIT_OK, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:i:vh", long_opts, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'c':
			src.config_path = optarg;
			break;
		case 'i':
			r = _push(&sets, &nsets, "daemon.interval=%s", optarg);
			break;
		case OPT_STORE:
			r = _push(&sets, &nsets, "daemon.store=%s", optarg);
			break;
		case OPT_LISTEN:
			r = _push(&sets, &nsets, "daemon.listen=%s", optarg);
			break;
		case OPT_NO_BPF:
			r = _push(&sets, &nsets, "daemon.bpf=%s", "no");
			break;
		case OPT_SET:
			r = _push(&sets, &nsets, "%s", optarg);
			break;
		case OPT_PRINT:
			print = 1;
			break;
		default:
			r = cli__common_opt(opt, &verbose, usage);
			if (r == 1) {
				ret = EXIT_OK;
				goto cleanup;
			}
			if (r) {
				ret = EXIT_USAGE;
				goto cleanup;
			}
		}
		if (r) {
			pr_err("cannot parse options: %s", strerror(-r));
			ret = EXIT_FAIL;
			goto cleanup;
		}
	}
	if (optind < argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	log__set_verbosity(verbose);
	src.sets = sets;
	src.nsets = nsets;
	if (daemon__config(&src, &cfg, err, sizeof(err))) {
		pr_err("%s", err);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	if (print) {
		daemon_config__print(&cfg, stdout);
		goto cleanup;
	}
	if (cfg.bpf && geteuid() != 0)
		pr_warn("not root: the BPF programs will not load (tier 0 from /proc)");
	ret = daemon__run(&src, &cfg) ? EXIT_FAIL : EXIT_OK;
cleanup:
	for (int i = 0; i < nsets; i++)
		free(sets[i]);
	free(sets);
	return ret;
}
