/* cmd_status — `seep status`: what the running daemon knows, from its JSON
 * API (/api/status, /api/suspects, /api/collections, /api/mitigations), as
 * text or as one JSON object ({"status": ..., "suspects": [...],
 * "collections": [...], "mitigation": {...}}).
 * `seep status --snapshot PID` asks the daemon for a heap snapshot series
 * of PID (POST /api/snapshot?pid=PID) and prints what it answered.
 * Exit 0 with an answer, 1 when the daemon cannot be reached, does not
 * answer within --timeout (each request; default 10 s) or refuses.
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

enum { OPT_FORMAT = 256, OPT_LISTEN, OPT_SNAPSHOT, OPT_TIMEOUT };

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "snapshot", required_argument, NULL, OPT_SNAPSHOT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep status [--listen ADDR:PORT] [--format text|json] [--snapshot PID]\n"
"                   [--timeout DUR]\n"
"\n"
"Asks the running seep daemon for its state, its leak suspects, its heap\n"
"snapshot collections and its mitigation decisions.\n"
"\n"
"      --snapshot PID     ask the daemon to collect heap snapshots of PID\n"
"      --listen ADDR:PORT the daemon's HTTP address (default 127.0.0.1:9474)\n"
"      --timeout DUR      wait this long for each answer (default 10s)\n"
"      --format FMT       text (default) or json\n"
"  -v, --verbose          more messages\n"
"  -h, --help             this help\n");
}

#define STATUS_TIMEOUT_S 10.0	/* --timeout's default */

/* METHOD PATH over HTTP/1.0 within TIMEOUT_S seconds for each send and
 * receive: the body (malloc'ed) or NULL with *ERR set (-ETIMEDOUT when the
 * daemon did not answer in time); *CODE is the HTTP status (a body comes
 * with any status). */
static char *_request(const char *addr, uint16_t port, const char *method, const char *path,
		      double timeout_s, int *code, int *err)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct timeval tv = { .tv_sec = (time_t)timeout_s,
			      .tv_usec = (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6) };
	char req[512], host[96], *buf = NULL, *body;
	size_t len = 0, cap = 0;
	int fd = -1;
	ssize_t n;

	*err = 0;
	if (http__sockaddr(addr, port, &sa, &salen)) {
		*err = -EINVAL;
		goto fail;
	}
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, salen)) {
		/* a send timeout bounds connect too: EINPROGRESS then */
		*err = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto fail;
	}
	http__format_addr(addr, port, host, sizeof(host));
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
		     method, path, host);
	if (write(fd, req, (size_t)n) != n) {
		*err = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -EIO;
		goto fail;
	}
	for (;;) {
		if ((*err = VEC_RESERVE(buf, cap, len + 4096 + 1)))
			goto fail;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			*err = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) || len < 12 || !(body = strstr(buf, "\r\n\r\n"))) {
		*err = -EPROTO;
		free(buf);
		return NULL;
	}
	*code = atoi(buf + 9);
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* A suspect's top growth stack: where it grows in the program's own code,
 * the stack's site (the first frame outside the allocator and the C
 * runtime, as the daemon found it), else its innermost named function. */
static void _text_growth(json_t *growth)
{
	json_t *top = json_array_get(growth, 0), *fns, *fn, *site;
	const char *name = NULL;
	char a[32];
	size_t i;

	if (!top)
		return;
	fns = json_object_get(top, "functions");
	site = json_object_get(top, "site");
	if (json_is_integer(site))
		name = json_string_value(json_array_get(fns, (size_t)json_integer_value(site)));
	if (!name)
		json_array_foreach(fns, i, fn)
			if ((name = json_string_value(fn)))
				break;
	fmt__bytes((int64_t)json_number_value(json_object_get(top, "grown_bytes")), false, a,
		   sizeof(a));
	printf("            grows in %s (%s, %lld samples)\n", name ? name : "(unknown)", a,
	       (long long)json_integer_value(json_object_get(top, "samples")));
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
		_text_growth(json_object_get(s, "growth"));
	}
}

/* A GET that must answer 200. */
static char *_get(const char *addr, uint16_t port, const char *path, double timeout_s,
		  int *err)
{
	int code = 0;
	char *b = _request(addr, port, "GET", path, timeout_s, &code, err);

	if (b && code != 200) {
		free(b);
		*err = -EPROTO;
		return NULL;
	}
	return b;
}

static void _text_collections(json_t *colls)
{
	json_t *list = json_object_get(colls, "collections"), *c, *snaps;
	size_t i;
	char a[32];

	json_t *bud = json_object_get(colls, "budget");

	printf("collections: %zu (%lld running)", json_array_size(list),
	       (long long)json_integer_value(json_object_get(colls, "running")));
	if (bud)
		printf(", CPU budget %.1f%% of a target's, %.0f ns a probe hit (%s); budget actions:"
		       " %lld raised, %lld detached, %lld detached on traps",
		       100 * json_number_value(json_object_get(bud, "cpu")),
		       json_number_value(json_object_get(bud, "trap_ns")),
		       json_string_value(json_object_get(bud, "trap_source")) ?: "?",
		       (long long)json_integer_value(json_object_get(bud, "sample_raised")),
		       (long long)json_integer_value(json_object_get(bud, "detached")),
		       (long long)json_integer_value(json_object_get(bud, "detached_traps")));
	printf("\n");
	json_array_foreach(list, i, c) {
		const char *reason = json_string_value(json_object_get(c, "reason"));

		snaps = json_object_get(c, "snapshots");
		fmt__bytes(json_integer_value(json_object_get(c, "live_bytes")), false, a, sizeof(a));
		printf("  #%-3lld pid %-7lld %-16s %-8s %-8s %-9s %s, %zu snapshots, %s live in the"
		       " last\n", (long long)json_integer_value(json_object_get(c, "id")),
		       (long long)json_integer_value(json_object_get(c, "pid")),
		       json_string_value(json_object_get(c, "comm")),
		       json_string_value(json_object_get(c, "trigger")),
		       json_string_value(json_object_get(c, "pattern")),
		       json_string_value(json_object_get(c, "state")), reason ? reason : "-",
		       json_array_size(snaps), a);
		printf("        cost %.1f%% of its CPU (traps %.1f%%, BPF %.1f%%), %lld probe hits,"
		       " %lld budget actions\n",
		       100 * json_number_value(json_object_get(c, "cost_cpu_ratio")),
		       100 * json_number_value(json_object_get(c, "traps_cpu_ratio")),
		       100 * json_number_value(json_object_get(c, "bpf_cpu_ratio")),
		       (long long)json_integer_value(json_object_get(c, "hits")),
		       (long long)json_integer_value(json_object_get(c, "budget_actions")));
		printf("        %s\n", json_string_value(json_object_get(c, "dir")));
		if (json_array_size(snaps))
			printf("        last: %s\n",
			       json_string_value(json_array_get(snaps, json_array_size(snaps) - 1)));
	}
}

#define STATUS_DECISIONS 10	/* the latest mitigation decisions shown as text */

static void _text_mitigation(json_t *mit)
{
	json_t *list = json_object_get(mit, "decisions"), *x;
	size_t n = json_array_size(list), i;

	if (!json_is_true(json_object_get(mit, "enabled"))) {
		printf("mitigation: off\n");
		return;
	}
	printf("mitigation: on%s, window %gs, %lld executor calls (%lld failed), %zu decisions\n",
	       json_is_true(json_object_get(mit, "dry_run")) ? " (dry run)" : "",
	       json_number_value(json_object_get(mit, "window_s")),
	       (long long)json_integer_value(json_object_get(mit, "executor_calls")),
	       (long long)json_integer_value(json_object_get(mit, "executor_errors")), n);
	json_array_foreach(list, i, x) {
		if (i + STATUS_DECISIONS < n)
			continue;
		printf("  pid %-7lld %-16s %-7s %-17s %s\n",
		       (long long)json_integer_value(json_object_get(x, "pid")),
		       json_string_value(json_object_get(x, "comm")),
		       json_string_value(json_object_get(x, "action")),
		       json_string_value(json_object_get(x, "outcome")),
		       json_string_value(json_object_get(x, "subject")));
		printf("        %s\n", json_string_value(json_object_get(x, "reason")));
		if (json_string_length(json_object_get(x, "detail")))
			printf("        action: %s\n", json_string_value(json_object_get(x, "detail")));
	}
}

/* The one message for a request that got no answer: a timeout says how
 * long seep waited, anything else its cause. */
static void _unreachable(const char *shown, double timeout_s, int err)
{
	if (err == -ETIMEDOUT)
		cli__error("the daemon at '%s' did not answer within %g s", shown, timeout_s);
	else
		cli__error("cannot reach the daemon at '%s': %s", shown, strerror(-err));
}

/* --snapshot PID: POST /api/snapshot?pid=PID. */
static int _snapshot(const char *addr, uint16_t port, long pid, double timeout_s, bool json)
{
	char path[64], *b;
	int code = 0, err;
	json_t *j;
	char shown[96];

	http__format_addr(addr, port, shown, sizeof(shown));
	snprintf(path, sizeof(path), "/api/snapshot?pid=%ld", pid);
	b = _request(addr, port, "POST", path, timeout_s, &code, &err);
	if (!b) {
		_unreachable(shown, timeout_s, err);
		return EXIT_FAIL;
	}
	j = json_loads(b, 0, NULL);
	free(b);
	if (!j) {
		cli__error("cannot parse the daemon's answer at '%s'", shown);
		return EXIT_FAIL;
	}
	if (code != 202) {
		cli__error("the daemon refused a collection of pid %ld: %s", pid,
			   json_string_value(json_object_get(j, "error")));
		json_decref(j);
		return EXIT_FAIL;
	}
	if (json) {
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		printf("collection #%lld of pid %ld started: %s\n",
		       (long long)json_integer_value(json_object_get(j, "id")), pid,
		       json_string_value(json_object_get(j, "dir")));
	}
	json_decref(j);
	return EXIT_OK;
}

static const char *const formats[] = { "text", "json" };

struct status_opts {
	const char *listen;
	bool json;
	long snapshot;		/* --snapshot PID, or 0 */
	double timeout_s;	/* --timeout: per request */
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
	} else if (opt == OPT_SNAPSHOT) {
		char *end;

		o->snapshot = strtol(arg, &end, 10);
		if (!*arg || *end || o->snapshot <= 0 || o->snapshot > 4194304)
			return cli__bad_value("--snapshot", arg, "a process id");
	} else if (opt == OPT_TIMEOUT) {
		return cli__seconds(arg, "--timeout", 0.001, &o->timeout_s);
	} else if (opt == OPT_FORMAT) {
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		o->json = f == 1;
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o = { .listen = "127.0.0.1:9474", .timeout_s = STATUS_TIMEOUT_S };
	char addr[64], shown[96], *st = NULL, *su = NULL, *co = NULL, *mi = NULL;
	json_t *jst = NULL, *jsu = NULL, *jco = NULL, *jmi = NULL, *out;
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
	http__format_addr(addr, port, shown, sizeof(shown));
	if (o.snapshot)
		return _snapshot(addr, port, o.snapshot, o.timeout_s, o.json);
	st = _get(addr, port, "/api/status", o.timeout_s, &err);
	if (st)
		su = _get(addr, port, "/api/suspects", o.timeout_s, &err);
	if (su)
		co = _get(addr, port, "/api/collections", o.timeout_s, &err);
	if (co)
		mi = _get(addr, port, "/api/mitigations", o.timeout_s, &err);
	if (!st || !su || !co || !mi) {
		_unreachable(shown, o.timeout_s, err);
		ret = EXIT_FAIL;
		goto cleanup;
	}
	jst = json_loads(st, 0, NULL);
	jsu = json_loads(su, 0, NULL);
	jco = json_loads(co, 0, NULL);
	jmi = json_loads(mi, 0, NULL);
	if (!jst || !jsu || !jco || !jmi) {
		cli__error("cannot parse the daemon's answer at '%s'", shown);
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (o.json) {
		out = json_pack("{s:O, s:O, s:O, s:O}", "status", jst, "suspects",
				json_object_get(jsu, "suspects"), "collections",
				json_object_get(jco, "collections"), "mitigation", jmi);
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(out);
	} else {
		_text(jst, jsu);
		_text_collections(jco);
		_text_mitigation(jmi);
	}
cleanup:
	json_decref(jst);
	json_decref(jsu);
	json_decref(jco);
	json_decref(jmi);
	free(mi);
	free(st);
	free(su);
	free(co);
	return ret;
}
