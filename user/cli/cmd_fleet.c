/* cmd_fleet — `seep fleet`: cross-host leak detection on the process series
 * the daemons' /metrics left in a TSDB, read back through Prometheus'
 * query_range (--prometheus), VictoriaMetrics' export (--victoriametrics)
 * or an export file (--input), analysed by fleet/fleet.h, printed as ranked
 * suspects (text or one JSON object).
 * Exit 0 with a report (suspects or none), 1 when the TSDB cannot be read,
 * answers something that is not its API, or matched no series; 2 for a
 * usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "detect/series.h"
#include "fleet/fleet.h"
#include "fleet/fleetset.h"
#include "fleet/tsdb.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/vec.h"

enum { OPT_FORMAT = 256, OPT_PROM, OPT_VM, OPT_INPUT, OPT_RANGE, OPT_END, OPT_STEP, OPT_SELECTOR,
       OPT_TOP, OPT_THRESHOLD, OPT_THREADS, OPT_TIMEOUT, OPT_ALL };

static const struct option long_opts[] = {
	{ "prometheus", required_argument, NULL, OPT_PROM },
	{ "victoriametrics", required_argument, NULL, OPT_VM },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "range", required_argument, NULL, OPT_RANGE },
	{ "end", required_argument, NULL, OPT_END },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "selector", required_argument, NULL, OPT_SELECTOR },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "all-components", no_argument, NULL, OPT_ALL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: seep fleet --prometheus URL | --victoriametrics URL | --input FILE\n"
"                  [--range 6h] [--end TIME] [--step auto|DUR] [--selector '{job=\"seep\"}']\n"
"                  [--threshold SIZE] [--top N] [--format text|json]\n"
"\n"
"Reads the per-process memory series the seep daemons export\n"
"(seep_process_memory_bytes, type anon) back from a TSDB, runs RESIN's\n"
"bucketization-pivot per component across hosts, then the leak detectors on\n"
"the processes of the components whose hosts moved up, and prints the\n"
"suspects ranked by severity (host, component, process, pattern).\n"
"\n"
"      --prometheus URL       Prometheus' HTTP API (query_range)\n"
"      --victoriametrics URL  VictoriaMetrics' HTTP API (export, for bulk reads)\n"
"      --input FILE           a VictoriaMetrics export file (JSON lines; - for stdin)\n"
"      --range DUR            how far back from --end (default 6h)\n"
"      --end TIME             end of the range, epoch or ISO-8601 (default now)\n"
"      --step auto|DUR        Prometheus' query step (default auto: at most %d points\n"
"                             a series; any step is split into queries of at most %d)\n"
"      --selector SEL         label matchers of the series (default '{}')\n"
"      --threshold SIZE       memory a leak is heading for (default 8GiB)\n"
"      --top N                suspects printed (default 20; 0: all)\n"
"      --all-components       run the detectors on every component, not only where\n"
"                             the pivot moved\n"
"      --threads N            analysis threads (default: the online CPUs)\n"
"      --timeout DUR          per HTTP request (default 120s)\n"
"      --format FMT           text (default) or json\n"
"  -v, --verbose              more messages\n"
"  -h, --help                 this help\n",
		TSDB_AUTO_POINTS, TSDB_MAX_POINTS);
}

static const char *const formats[] = { "text", "json" };

struct fleet_opts {
	const char *prom, *vm, *input, *selector;
	double range_s, end, step, timeout_s;
	uint64_t top, threshold, threads;
	bool json, all;
	int sources;
};

static const struct cli_command command = {
	.name = "fleet",
	.shortopts = "vh",
	.longopts = long_opts,
	.format_opt = OPT_FORMAT,
	.usage = usage,
};

static int on_opt(void *ctx, int opt, const char *arg)
{
	struct fleet_opts *o = ctx;
	size_t f;

	switch (opt) {
	case OPT_PROM:
		o->prom = arg, o->sources++;
		return 0;
	case OPT_VM:
		o->vm = arg, o->sources++;
		return 0;
	case OPT_INPUT:
		o->input = arg, o->sources++;
		return 0;
	case OPT_RANGE:
		return cli__duration(arg, "--range", &o->range_s);
	case OPT_END:
		if (series__parse_time(arg, &o->end))
			return cli__bad_value("--end", arg, "expected epoch seconds or ISO-8601");
		return 0;
	case OPT_STEP:
		if (!strcmp(arg, "auto")) {
			o->step = 0;
			return 0;
		}
		return cli__duration(arg, "--step", &o->step);
	case OPT_SELECTOR:
		o->selector = arg;
		return 0;
	case OPT_TOP:
		return cli__count(arg, "--top", 0, 1000000, &o->top);
	case OPT_THRESHOLD:
		return cli__bytes(arg, "--threshold", 1, UINT64_MAX, &o->threshold);
	case OPT_THREADS:
		return cli__count(arg, "--threads", 1, 64, &o->threads);
	case OPT_TIMEOUT:
		return cli__duration(arg, "--timeout", &o->timeout_s);
	case OPT_ALL:
		o->all = true;
		return 0;
	case OPT_FORMAT:
		if (cli__name(arg, "--format", formats, 2, &f))
			return -EINVAL;
		o->json = f == 1;
		return 0;
	}
	return 0;
}

/* --input: an export file read in blocks (not held whole: its series are
 * what memory holds), in up to NPARTS byte ranges cut at line starts, one
 * thread each, merged in file order. A part that fails is read again with
 * the whole file in one thread, so that its message names the file's line. */
#define BLOCK (4u << 20)

struct part {
	int fd;
	off_t begin, end;	/* end < 0: to the end of the file (or of stdin) */
	struct fleet_set *set;
	int err;
	char msg[512];
};

static int _read_part(struct part *p)
{
	size_t cap = 0, have = 0, line = 1;
	off_t pos = p->begin;
	char *buf = NULL;
	int err = 0, eof = 0;

	while (!eof) {
		size_t want;
		ssize_t n;
		char *last;

		if ((err = VEC_RESERVE(buf, cap, have + BLOCK)))
			break;
		want = cap - have;
		if (p->end >= 0 && (off_t)want > p->end - pos)
			want = (size_t)(p->end - pos);
		n = p->fd ? pread(p->fd, buf + have, want, pos) : read(0, buf + have, want);
		if (n < 0) {
			err = -errno;
			snprintf(p->msg, sizeof(p->msg), "%s", strerror(errno));
			break;
		}
		pos += n;
		have += (size_t)n;
		eof = n == 0 || (p->end >= 0 && pos >= p->end);
		/* whole lines; the rest waits for the next block (a line longer than
		 * the buffer grows it) */
		last = eof ? buf + have : memrchr(buf, '\n', have);
		if (!last)
			continue;
		{
			size_t upto = (size_t)(last - buf) + (eof ? 0 : 1);

			err = fleet_set__read_export(p->set, buf, upto, line, p->msg, sizeof(p->msg));
			if (err)
				break;
			for (const char *c = buf; (c = memchr(c, '\n', (size_t)(buf + upto - c))); c++)
				line++;
			memmove(buf, buf + upto, have - upto);
			have -= upto;
		}
	}
	free(buf);
	return err;
}

static void *_part_thread(void *arg)
{
	struct part *p = arg;

	p->err = _read_part(p);
	return NULL;
}

/* The start of the first line at or after OFF. */
static off_t _line_start(int fd, off_t off, off_t size)
{
	char b[4096];

	while (off < size) {
		ssize_t n = pread(fd, b, sizeof(b), off);
		char *nl;

		if (n <= 0)
			return size;
		nl = memchr(b, '\n', (size_t)n);
		if (nl)
			return off + (nl - b) + 1;
		off += n;
	}
	return size;
}

static int _read_input(const char *path, unsigned nparts, struct fleet_set *set)
{
	struct part parts[64];
	pthread_t tids[64];
	bool started[64] = { 0 };
	struct stat st;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0, err = 0;
	off_t size;

	if (fd < 0) {
		err = -errno;
		cli__error("cannot read '%s': %s", path, strerror(errno));
		return err;
	}
	nparts = nparts < 1 ? 1 : nparts > 64 ? 64 : nparts;
	if (fd == 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		nparts = 1;
	size = nparts > 1 ? st.st_size : -1;
	memset(parts, 0, sizeof(parts));
	for (unsigned i = 0; i < nparts; i++) {
		parts[i].fd = fd;
		parts[i].begin = i ? parts[i - 1].end : 0;
		parts[i].end = i + 1 == nparts ? -1 :
			       _line_start(fd, size / nparts * (i + 1), size);
		if (parts[i].end >= 0 && parts[i].end < parts[i].begin)
			parts[i].end = parts[i].begin;
		parts[i].set = i ? fleet_set__new() : set;
		if (!parts[i].set) {
			nparts = i;
			err = -ENOMEM;
			break;
		}
	}
	for (unsigned i = 1; i < nparts; i++) {
		started[i] = !pthread_create(&tids[i], NULL, _part_thread, &parts[i]);
		if (!started[i])
			parts[i].err = -EAGAIN;
	}
	if (nparts)
		_part_thread(&parts[0]);
	for (unsigned i = 1; i < nparts; i++)
		if (started[i])
			pthread_join(tids[i], NULL);
	for (unsigned i = 0; i < nparts && !err; i++)
		err = parts[i].err;
	if (err == -EINVAL && nparts > 1) {
		/* again in one piece: the message then names the file's line */
		struct fleet_set *one = fleet_set__new();
		struct part whole = { .fd = fd, .begin = 0, .end = -1, .set = one };

		err = one ? _read_part(&whole) : -ENOMEM;
		snprintf(parts[0].msg, sizeof(parts[0].msg), "%s", whole.msg);
		fleet_set__free(one);
		if (!err)
			err = -EIO;	/* the file changed under us */
	} else {
		for (unsigned i = 1; i < nparts && !err; i++)
			err = fleet_set__merge(set, parts[i].set);
	}
	if (err == -EINVAL)
		cli__error("cannot read '%s': %s", path, parts[0].msg);
	else if (err)
		cli__error("cannot read '%s': %s", path, strerror(-err));
	for (unsigned i = 1; i < nparts; i++)
		fleet_set__free(parts[i].set);
	if (fd > 0)
		close(fd);
	if (!err && !set->nchunks) {
		cli__error("no %s series in '%s'", FLEET_METRIC, path);
		err = -ENODATA;
	}
	return err;
}

static json_t *_num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int _print_json(const struct fleet_report *r, const struct fleet_opts *o,
		       const char *kind, const char *url, const struct tsdb_source *src,
		       size_t shown)
{
	json_t *root = json_object(), *sus = json_array(), *comps = json_array(), *source;
	int err;

	source = json_pack("{s:s,s:s,s:s,s:f,s:f,s:f,s:I}", "kind", kind, "url", url, "selector",
			   o->selector, "start", r->start, "end", r->end, "step", r->step,
			   "requests", (json_int_t)src->requests);
	json_object_set_new(root, "source", source);
	json_object_set_new(root, "series", json_integer((json_int_t)r->chunks));
	json_object_set_new(root, "processes", json_integer((json_int_t)r->processes));
	json_object_set_new(root, "hosts", json_integer((json_int_t)r->hosts));
	json_object_set_new(root, "components", json_integer((json_int_t)r->ncomponents));
	json_object_set_new(root, "samples", json_integer((json_int_t)r->samples));
	json_object_set_new(root, "judged", json_integer((json_int_t)r->judged));
	json_object_set_new(root, "labels_cut", json_integer((json_int_t)r->labels_cut));
	for (size_t i = 0; i < shown; i++) {
		const struct fleet_suspect *s = &r->suspects[i];

		json_array_append_new(sus, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:o,s:f,s:f}", "host", s->host,
			"component", s->component, "comm", s->comm, "pid", s->pid, "pattern",
			detect__pattern_name(s->pattern), "severity", s->severity, "pivot_severity",
			s->pivot_severity, "slope_bytes_per_s", s->slope_bytes_per_s, "bytes",
			s->bytes, "r2", s->r2, "time_to_threshold_s",
			_num_or_null(s->time_to_threshold_s), "from", s->from_s, "to", s->to_s));
	}
	json_object_set_new(root, "suspects", sus);
	json_object_set_new(root, "suspects_total", json_integer((json_int_t)r->nsuspects));
	for (size_t i = 0; i < r->ncomponents; i++) {
		const struct fleet_component *c = &r->components[i];

		if (!c->anomalous)
			continue;
		json_array_append_new(comps, json_pack(
			"{s:s,s:I,s:I,s:I,s:f,s:f,s:o,s:f,s:f}", "component", c->component, "hosts",
			(json_int_t)c->hosts, "processes", (json_int_t)c->processes, "suspects",
			(json_int_t)c->suspects, "pivot_severity", c->severity, "bucket_lo", c->lo,
			"bucket_hi", _num_or_null(c->hi), "z", c->z, "instances", c->instances));
	}
	json_object_set_new(root, "anomalous_components", comps);
	err = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(root);
	if (err || putchar('\n') == EOF)
		return cli__stdout_failed("the fleet report", -EIO);
	return cli__stdout_flush("the fleet report");
}

static int _print_text(const struct fleet_report *r, const char *kind, const char *url,
		       size_t shown)
{
	char a[32], b[32];
	size_t anomalous = 0;

	printf("fleet: %zu processes on %zu hosts, %zu components, %.0fs at %gs (%s %s)\n",
	       r->processes, r->hosts, r->ncomponents, r->end - r->start, r->step, kind, url);
	if (r->labels_cut)
		printf("note: %zu series had more than 32 extra labels or 1 KiB of them; the rest"
		       " are not part of their process's identity\n", r->labels_cut);
	for (size_t i = 0; i < r->ncomponents; i++)
		anomalous += r->components[i].anomalous;
	printf("components whose hosts moved up (pivot): %zu\n", anomalous);
	for (size_t i = 0; i < r->ncomponents; i++) {
		const struct fleet_component *c = &r->components[i];

		if (!c->anomalous)
			continue;
		fmt__bytes((int64_t)c->lo, false, a, sizeof(a));
		printf("  %s  severity %.2f, %zu hosts, %zu suspects, hosts into %s+ (z %.1f)\n",
		       c->component, c->severity, c->hosts, c->suspects, a, c->z);
	}
	printf("suspects: %zu\n", r->nsuspects);
	if (shown)
		printf("  %-16s %-16s %-8s %-9s %8s %10s %12s  %s\n", "HOST", "COMM", "PID",
		       "PATTERN", "SEVERITY", "MEMORY", "GROWTH", "COMPONENT");
	for (size_t i = 0; i < shown; i++) {
		const struct fleet_suspect *s = &r->suspects[i];

		fmt__bytes((int64_t)s->bytes, false, a, sizeof(a));
		fmt__bytes((int64_t)(s->slope_bytes_per_s * 3600), true, b, sizeof(b));
		printf("  %-16s %-16s %-8s %-9s %8.2f %10s %10s/h  %s\n", s->host, s->comm, s->pid,
		       detect__pattern_name(s->pattern), s->severity, a, b, s->component);
	}
	if (shown < r->nsuspects)
		printf("  (%zu more: --top 0 shows all)\n", r->nsuspects - shown);
	return cli__stdout_flush("the fleet report");
}

int cmd_fleet(int argc, char **argv)
{
	struct fleet_opts o = { .selector = "{}", .range_s = 6 * 3600, .top = 20,
				.threshold = 8ULL << 30, .timeout_s = 120 };
	struct tsdb_source src = { 0 };
	struct fleet_report rep = { 0 };
	struct fleet_params fp;
	struct fleet_set *set = NULL;
	const char *kind, *url;
	char err_msg[1024];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int r, err, ret = EXIT_FAIL;

	r = cli__parse(&command, argc, argv, on_opt, &o);
	if (r)
		return r == 1 ? EXIT_OK : EXIT_USAGE;
	if (optind < argc) {
		cli__error("unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (o.sources != 1) {
		cli__error("%s: give one of --prometheus URL, --victoriametrics URL, --input FILE",
			   o.sources ? "more than one source" : "no source");
		return EXIT_USAGE;
	}
	if (tsdb__query(o.selector, err_msg, sizeof(err_msg))) {
		cli__bad_value("--selector", o.selector, "label matchers in braces, e.g. '{job=\"seep\"}'");
		return EXIT_USAGE;
	}
	if (!o.threads)
		o.threads = ncpu < 1 ? 1 : ncpu > 64 ? 64 : (uint64_t)ncpu;
	if (!(o.end > 0)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o.end = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	}
	set = fleet_set__new();
	if (!set) {
		cli__error("cannot allocate the series set: %s", strerror(errno));
		return EXIT_FAIL;
	}
	src = (struct tsdb_source){ .selector = o.selector, .start = o.end - o.range_s,
				    .end = o.end, .step = o.step, .timeout_s = o.timeout_s };
	if (o.input) {
		kind = "input", url = o.input;
		err = _read_input(o.input, (unsigned)o.threads, set);
		if (err)
			goto cleanup;
	} else {
		kind = o.prom ? "prometheus" : "victoriametrics";
		url = src.url = o.prom ? o.prom : o.vm;
		err = o.prom ? tsdb__read_prometheus(&src, set, err_msg, sizeof(err_msg)) :
			       tsdb__read_victoriametrics(&src, set, err_msg, sizeof(err_msg));
		if (err) {
			cli__error("%s", err_msg);
			goto cleanup;
		}
		pr_info("fleet: %zu series, %zu samples in %zu requests", set->nchunks,
			set->nsamples, src.requests);
	}
	fleet_params__init(&fp);
	fp.threshold = (double)o.threshold;
	fp.threads = (unsigned)o.threads;
	fp.gate = !o.all;
	fp.step_s = o.prom ? src.step_used : 0;
	err = fleet__analyse(set, &fp, &rep);
	if (err) {
		cli__error("cannot analyse the fleet's series: %s", strerror(-err));
		goto cleanup;
	}
	{
		size_t shown = o.top && o.top < rep.nsuspects ? (size_t)o.top : rep.nsuspects;

		err = o.json ? _print_json(&rep, &o, kind, url, &src, shown) :
			       _print_text(&rep, kind, url, shown);
	}
	ret = err ? EXIT_FAIL : EXIT_OK;
cleanup:
	fleet_report__release(&rep);
	fleet_set__free(set);
	return ret;
}
