/* cmd_daemon — `seep daemon`: always-on telemetry and leak detection for
 * every process on the host (daemon/daemon.h). Options become settings
 * ("section.key=value") applied over the config file, in command-line
 * order; --print-config shows the result and exits.
 */
#include <errno.h>
#include <stdbool.h>
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
#include "lib/vec.h"

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
"      --listen ADDR:PORT HTTP address (daemon.listen; 127.0.0.1:9474, [::1]:PORT;\n"
"                         '' none; loopback only unless daemon.listen_public)\n"
"      --no-bpf           tier 0 from /proc only (daemon.bpf = no)\n"
"      --set SEC.KEY=VAL  any config key, over the file\n"
"      --print-config     print the effective config as INI and exit\n"
"  -v, --verbose          more messages (-vv: debug)\n"
"  -h, --help             this help\n");
}

struct daemon_opts {
	struct daemon_source src;
	char **sets;             /* "section.key=value", in command-line order (owned) */
	size_t nsets, cap;
	bool print;
};

static const struct cli_command command = {
	.name = "daemon",
	.shortopts = "c:i:vh",
	.longopts = long_opts,
	.usage = usage,
};

static int _push(struct daemon_opts *o, const char *fmt, const char *arg)
{
	char **slot = VEC_PUSH(o->sets, o->nsets, o->cap);

	if (!slot || asprintf(slot, fmt, arg) < 0) {
		cli__error("cannot parse the options: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	o->nsets++;
	return 0;
}

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct daemon_opts *o = ctx;

	switch (opt) {
	case 'c':
		o->src.config_path = arg;
		return 0;
	case 'i':
		return _push(o, "daemon.interval=%s", arg);
	case OPT_STORE:
		return _push(o, "daemon.store=%s", arg);
	case OPT_LISTEN:
		return _push(o, "daemon.listen=%s", arg);
	case OPT_NO_BPF:
		return _push(o, "daemon.bpf=%s", "no");
	case OPT_SET:
		return _push(o, "%s", arg);
	case OPT_PRINT:
		o->print = true;
		return 0;
	}
	return 0;
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon_opts o = { 0 };
	struct daemon_config cfg;
	char err[512];
	int ret = EXIT_OK, r;

	r = cli__parse(&command, argc, argv, on_opt, &o);
	if (r) {
		ret = r == 1 ? EXIT_OK : r == -ENOMEM ? EXIT_FAIL : EXIT_USAGE;
		goto cleanup;
	}
	if (optind < argc) {
		cli__error("unexpected argument '%s'", argv[optind]);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	o.src.sets = o.sets;
	o.src.nsets = (int)o.nsets;
	if (daemon__config(&o.src, &cfg, err, sizeof(err))) {
		cli__error("%s", err);
		ret = EXIT_USAGE;
		goto cleanup;
	}
	if (o.print) {
		daemon_config__print(&cfg, stdout);
		goto cleanup;
	}
	if (cfg.bpf && geteuid() != 0)
		pr_warn("not root: the BPF programs will not load (tier 0 from /proc)");
	ret = daemon__run(&o.src, &cfg) ? EXIT_FAIL : EXIT_OK;
cleanup:
	for (size_t i = 0; i < o.nsets; i++)
		free(o.sets[i]);
	free(o.sets);
	return ret;
}
