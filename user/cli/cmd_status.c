/* cmd_status — `seep status`: what the running daemon knows, from its JSON
 * API (/api/status and /api/suspects), as text or as one JSON object
 * ({"status": ..., "suspects": [...]}). Exit 0 with an answer, 1 when the
 * daemon cannot be reached.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "metrics/http.h"

enum { OPT_FORMAT = 256, OPT_LISTEN };

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep status [--listen ADDR:PORT] [--format text|json]\n"
"\n"
"Asks the running seep daemon for its state and its leak suspects.\n"
"\n"
"      --listen ADDR:PORT the daemon's HTTP address (default 127.0.0.1:9474)\n"
"      --format FMT       text (default) or json\n"
"  -v, --verbose          more messages\n"
"  -h, --help             this help\n");
}

/* GET PATH over HTTP/1.0: the body (malloc'ed) or NULL with *ERR set. */
static char *_get(const char *addr, uint16_t port, const char *path, int *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 10 };
	char req[512], *buf = NULL, *body;
	size_t len = 0, cap = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	*err = 0;
	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		*err = fd < 0 ? -errno : -EINVAL;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		*err = -errno;
		goto fail;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, addr);
	if (write(fd, req, (size_t)n) != n) {
		*err = -EIO;
		goto fail;
	}
	for (;;) {
		if ((*err = VEC_RESERVE(buf, cap, len + 4096 + 1)))
			goto fail;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			*err = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 9, "200", 3) ||
	    !(body = strstr(buf, "\r\n\r\n"))) {
		*err = -EPROTO;
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void _text(json_t *status, json_t *suspects)
{
	json_t *dm = json_object_get(status, "daemon"), *host = json_object_get(status, "host");
	json_t *list = json_object_get(suspects, "suspects"), *s;
	char a[32], b[32];
	size_t i, active = 0;

	fmt__bytes(json_integer_value(json_object_get(host, "memory_available_bytes")), false, a,
		   sizeof(a));
	fmt__bytes(json_integer_value(json_object_get(host, "memory_total_bytes")), false, b,
		   sizeof(b));
	printf("host: %s available of %s, %lld processes, %lld cgroups\n", a, b,
	       (long long)json_integer_value(json_object_get(status, "processes")),
	       (long long)json_integer_value(json_object_get(status, "cgroups")));
	fmt__bytes(json_integer_value(json_object_get(dm, "rss_bytes")), false, a, sizeof(a));
	printf("daemon: every %gs (effective %gs), %.2f%% CPU, %s RSS, tier 0 from %s\n",
	       json_number_value(json_object_get(dm, "interval_s")),
	       json_number_value(json_object_get(dm, "effective_interval_s")),
	       100 * json_number_value(json_object_get(dm, "cpu_ratio")), a,
	       json_is_true(json_object_get(dm, "rss_stat_attached")) ? "BPF rss_stat" : "/proc");
	json_array_foreach(list, i, s)
		active += json_is_true(json_object_get(s, "active"));
	printf("suspects: %zu\n", active);
	json_array_foreach(list, i, s) {
		json_t *ev = json_object_get(s, "evidence");

		if (!json_is_true(json_object_get(s, "active")))
			continue;
		fmt__bytes((int64_t)json_number_value(json_object_get(s, "rss_bytes")), false, a,
			   sizeof(a));
		fmt__bytes((int64_t)json_number_value(json_object_get(ev, "slope_bytes_per_s")),
			   true, b, sizeof(b));
		printf("  %-9s pid %-7lld %-16s %-9s severity %.2f  %s, %s/s  (%s)\n",
		       json_string_value(json_object_get(s, "kind")),
		       (long long)json_integer_value(json_object_get(s, "pid")),
		       json_string_value(json_object_get(s, "comm")),
		       json_string_value(json_object_get(s, "pattern")),
		       json_number_value(json_object_get(s, "severity")), a, b,
		       json_string_value(json_object_get(s, "component")));
	}
}

static const char *const formats[] = { "text", "json" };

struct status_opts {
	const char *listen;
	bool json;
};

static const struct cli_command command = {
	.name = "status",
	.shortopts = "vh",
	.longopts = long_opts,
	.format_opt = OPT_FORMAT,
	.usage = usage,
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct status_opts *o = ctx;
	size_t f;

	if (opt == OPT_LISTEN) {
		o->listen = arg;
	} else if (opt == OPT_FORMAT) {
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		o->json = f == 1;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { .listen = "127.0.0.1:9474" };
	char addr[64], *st = NULL, *su = NULL;
	json_t *jst = NULL, *jsu = NULL, *out;
	int err, ret = EXIT_OK, r;
	uint16_t port;

	r = cli__parse(&command, argc, argv, on_opt, &o);
	if (r)
		return r == 1 ? EXIT_OK : EXIT_USAGE;
	if (optind < argc) {
		cli__error("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (http__parse_listen(o.listen, addr, sizeof(addr), &port)) {
		cli__bad_value("--listen", o.listen, "ADDR:PORT");
		return EXIT_USAGE;
	}
	st = _get(addr, port, "/api/status", &err);
	if (st)
		su = _get(addr, port, "/api/suspects", &err);
	if (!st || !su) {
		cli__error("cannot reach the daemon at '%s:%u': %s", addr, port, strerror(-err));
		ret = EXIT_FAIL;
		goto cleanup;
	}
	jst = json_loads(st, 0, NULL);
	jsu = json_loads(su, 0, NULL);
	if (!jst || !jsu) {
		cli__error("cannot parse the daemon's answer at '%s:%u'", addr, port);
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (o.json) {
		out = json_pack("{s:O, s:O}", "status", jst, "suspects",
				json_object_get(jsu, "suspects"));
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(out);
	} else {
		_text(jst, jsu);
	}
cleanup:
	json_decref(jst);
	json_decref(jsu);
	free(st);
	free(su);
	return ret;
}
