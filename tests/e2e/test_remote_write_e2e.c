/* End to end: the daemon's remote_write to Debian's VictoriaMetrics,
 * started by the test on a free loopback port with its own storage
 * directory. The series and their labels arrive (host, the configured
 * extra label, component, comm, unit/cgroup, a 12-hex build_id, slot);
 * a process that exits ends its series with a stale marker (VictoriaMetrics
 * keeps it: its export shows the marker as a null value, the series' last,
 * and no sample comes after it); the receiver down for more than a minute
 * loses no sample: seep_samples_total, one per interval, arrives as an
 * unbroken run of consecutive values across the outage, none twice, and other series
 * of the same requests have as many samples; the spool held requests while
 * the receiver was down and is empty again after the replay. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"
#include "timescale.h"

#define VM_BIN "/usr/bin/victoria-metrics"

static char dir[64];
static int vm_port, d_port;
static pid_t vm_pid = -1, d_pid = -1;
static char host[64];

/* A free loopback port: bound to port 0, read back, released. */
static void sh(const char *cmd, struct run *r)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

	run_cmd(argv, NULL, r);
}

static bool vm_healthy(void)
{
	char cmd[160];
	struct run r;
	bool ok;

	snprintf(cmd, sizeof(cmd), "curl -sf http://127.0.0.1:%d/health", vm_port);
	sh(cmd, &r);
	ok = r.status == 0 && strstr(r.out, "OK");
	run_release(&r);
	return ok;
}

static void vm_start(void)
{
	char data[128], addr[64], log[128];

	snprintf(data, sizeof(data), "-storageDataPath=%s/vm", dir);
	snprintf(addr, sizeof(addr), "-httpListenAddr=127.0.0.1:%d", vm_port);
	snprintf(log, sizeof(log), "%s/vm.log", dir);
	vm_pid = fork();
	if (vm_pid == 0) {
		child_dies_with_parent();
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(VM_BIN, "victoria-metrics", data, addr, "-retentionPeriod=1d",
		      "-loggerLevel=ERROR", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && !vm_healthy(); i++)
		usleep(100000);
	cr_assert(vm_healthy(), "VictoriaMetrics did not start on port %d", vm_port);
}

static void vm_stop(void)
{
	int st;

	if (vm_pid <= 0)
		return;
	kill(vm_pid, SIGTERM);
	waitpid(vm_pid, &st, 0);
	vm_pid = -1;
}

static void setup(void)
{
	if (access(VM_BIN, X_OK))
		cr_skip_test("victoria-metrics is not installed (tools/setup.sh)");
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "rw"), 0);
	vm_port = free_port();
	d_port = free_port();
	snprintf(host, sizeof(host), "rw-e2e-%d", (int)getpid());
	vm_start();
}

static void teardown(void)
{
	if (d_pid > 0) {
		daemon_stop(d_pid);
		d_pid = -1;
	}
	vm_stop();
	procs_kill_all();
	scratch__rmrf(dir);
}

static void daemon_start(const char *extra)
{
	char dirs[128], err_path[128], store[128], listen[64], url[128], hs[128];
	char *args[] = { "-i", "1", "--store", store, "--listen", listen, "--set", "daemon.bpf=no",
			 "--set", "metrics.top=100000", "--set", "telemetry.fold=0",
			 "--set", "budget.cpu=1", "--set", url, "--set", hs,
			 "--set", "remote_write.labels=dc=e2e", "--set", "remote_write.max_backoff=2s",
			 "--set", "remote_write.timeout=2s", extra ? "--set" : NULL, (char *)extra,
			 NULL };

	snprintf(dirs, sizeof(dirs), "%s/st", dir);
	mkdir(dirs, 0700);
	snprintf(err_path, sizeof(err_path), "%s/daemon.err", dir);
	snprintf(store, sizeof(store), "%s/st/seep.db", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", d_port);
	snprintf(url, sizeof(url), "remote_write.url=http://127.0.0.1:%d/api/v1/write", vm_port);
	snprintf(hs, sizeof(hs), "daemon.host=%s", host);
	d_pid = daemon_spawn(err_path, NULL, args);
	daemon_wait_ready(d_pid, err_path, 30);
}

/* The daemon's own counter NAME{LABELS} from /metrics; -1 if absent. */
static double metric(const char *series)
{
	char cmd[512];
	struct run r;
	double v = -1;

	snprintf(cmd, sizeof(cmd), "curl -sf http://127.0.0.1:%d/metrics |"
		 " awk -v s='%s' '$1 == s { print $2 }'", d_port, series);
	sh(cmd, &r);
	if (r.status == 0 && r.out[0])
		v = strtod(r.out, NULL);
	run_release(&r);
	return v;
}

/* VictoriaMetrics' export of MATCH (a series selector), one JSON object a
 * line; the caller frees the text. */
static char *vm_export(const char *match)
{
	char cmd[1024];
	struct run r;
	char *out;

	snprintf(cmd, sizeof(cmd), "curl -sf http://127.0.0.1:%d/internal/force_flush >/dev/null;"
		 " curl -sf -G http://127.0.0.1:%d/api/v1/export --data-urlencode 'match[]=%s'",
		 vm_port, vm_port, match);
	sh(cmd, &r);
	cr_assert_eq(r.status, 0, "export '%s': %s", match, r.err);
	out = strdup(r.out);
	run_release(&r);
	return out;
}

/* The values of the one series MATCH selects, by timestamp, duplicates of
 * a timestamp once; NaN for a null (a stale marker). Returns the count. */
static size_t dups;	/* samples series_values() found twice */

static size_t series_values(const char *match, double *v, int64_t *ts, size_t cap, json_t **metric)
{
	char *text = vm_export(match);
	json_t *j = json_line(text, 0), *vals, *tss;
	size_t n = 0;

	cr_assert_eq(json_lines(text), 1, "'%s': %d series: %s", match, json_lines(text), text);
	cr_assert(j, "no series for '%s'", match);
	vals = json_object_get(j, "values");
	tss = json_object_get(j, "timestamps");
	for (size_t i = 0; i < json_array_size(vals) && n < cap; i++) {
		int64_t t = json_integer_value(json_array_get(tss, i));
		json_t *x = json_array_get(vals, i);

		if (n && ts[n - 1] == t) {
			dups++;
			continue;
		}
		ts[n] = t;
		v[n++] = json_is_number(x) ? json_number_value(x) : NAN;
	}
	if (metric)
		*metric = json_incref(json_object_get(j, "metric"));
	json_decref(j);
	free(text);
	return n;
}

static const char *label(json_t *m, const char *name)
{
	const char *s = json_string_value(json_object_get(m, name));

	return s ? s : "";
}

Test(remote_write, series_labels_and_stale_markers, .init = setup, .fini = teardown,
     .timeout = 150)
{
	char match[256], gone[128], cmd[512];
	double v[4096];
	int64_t ts[4096];
	size_t n, n2;
	json_t *m = NULL;
	pid_t p;
	int st;

	/* a process of its own name that the test ends */
	snprintf(gone, sizeof(gone), "%s/rwgone", dir);
	snprintf(cmd, sizeof(cmd), "cp /bin/sleep %s", gone);
	cr_assert_eq(system(cmd), 0);
	daemon_start(NULL);
	p = fork();
	if (p == 0) {
		child_dies_with_parent();
		execl(gone, "rwgone", "5", (char *)NULL);
		_exit(127);
	}
	/* its series arrive while it runs */
	snprintf(match, sizeof(match),
		 "seep_process_memory_bytes{host=\"%s\",comm=\"rwgone\",type=\"anon\"}", host);
	for (int i = 0; i < 40; i++) {
		char *t = vm_export(match);
		int k = json_lines(t);

		free(t);
		if (k == 1)
			break;
		usleep(250000);
	}
	n = series_values(match, v, ts, 4096, &m);
	cr_assert_geq(n, 1);
	cr_expect_str_eq(label(m, "dc"), "e2e", "the extra label");
	cr_expect_str_eq(label(m, "comm"), "rwgone");
	cr_expect(!strncmp(label(m, "component"), "rwgone|", 7), "component '%s'",
		  label(m, "component"));
	cr_expect_eq(strlen(label(m, "build_id")), 12, "build_id '%s'", label(m, "build_id"));
	cr_expect_str_eq(label(m, "slot"), "0");
	cr_expect(label(m, "cgroup")[0] == '/', "cgroup '%s'", label(m, "cgroup"));
	cr_expect_str_eq(label(m, "pid"), "", "a process that is no suspect has no pid label");
	json_decref(m);
	cr_assert_eq(waitpid(p, &st, 0), p);
	/* the stale marker: the series' last value is null and nothing follows it */
	sleep(4);
	n = series_values(match, v, ts, 4096, NULL);
	cr_assert_geq(n, 2);
	cr_expect(isnan(v[n - 1]), "the last sample after the exit is %g, not the stale marker",
		  v[n - 1]);
	for (size_t i = 0; i + 1 < n; i++)
		cr_expect(!isnan(v[i]), "a stale marker before the end (sample %zu of %zu)", i, n);
	sleep(3);
	n2 = series_values(match, v, ts, 4096, NULL);
	cr_expect_eq(n2, n, "samples after the stale marker: %zu then %zu", n, n2);
	/* the daemon's own series with the host label on them */
	snprintf(match, sizeof(match), "seep_samples_total{host=\"%s\",dc=\"e2e\"}", host);
	n = series_values(match, v, ts, 4096, NULL);
	cr_expect_geq(n, 5, "seep_samples_total: %zu samples", n);
	cr_expect_gt(metric("seep_remote_write_samples_total{outcome=\"sent\"}"), 100);
	cr_expect_eq(metric("seep_remote_write_samples_total{outcome=\"failed\"}"), 0);
}

Test(remote_write, receiver_down_for_a_minute_loses_no_sample, .init = setup, .fini = teardown,
     .timeout = 300)
{
	char match[256];
	static double v[4096], v2[4096];
	static int64_t ts[4096], ts2[4096];
	double spooled = 0, before, retried;
	size_t n, n2;

	daemon_start(NULL);
	snprintf(match, sizeof(match), "seep_samples_total{host=\"%s\"}", host);
	sleep(3);
	before = metric("seep_remote_write_samples_total{outcome=\"sent\"}");
	cr_assert_gt(before, 0, "nothing was sent before the outage");
	vm_stop();
	for (int i = 0; i < 65; i++) {	/* down for a minute and then some */
		double s = metric("seep_remote_write_spool_records");

		if (s > spooled)
			spooled = s;
		sleep(1);
	}
	cr_expect_gt(spooled, 30, "the spool held %g requests during the outage", spooled);
	vm_start();
	for (int i = 0; i < scaled_tries(60) && metric("seep_remote_write_spool_records") != 0; i++)
		sleep(1);
	cr_assert_eq(metric("seep_remote_write_spool_records"), 0, "the spool was not replayed");
	cr_expect_eq(metric("seep_remote_write_spool_bytes"), 0);
	retried = metric("seep_remote_write_samples_total{outcome=\"retried\"}");
	cr_expect_gt(retried, 0, "nothing was sent again from the spool");
	cr_expect_eq(metric("seep_remote_write_samples_total{outcome=\"dropped\"}"), 0);
	sleep(2);
	dups = 0;
	n = series_values(match, v, ts, 4096, NULL);
	cr_expect_eq(dups, 0, "%zu samples arrived twice", dups);
	/* about 70 intervals, every one of them: consecutive counter values */
	cr_assert_geq(n, 68, "seep_samples_total: %zu samples", n);
	for (size_t i = 0; i + 1 < n; i++)
		cr_assert_eq(v[i + 1], v[i] + 1,
			     "a sample lost between %g and %g (at %lld ms, %lld ms)", v[i],
			     v[i + 1], (long long)ts[i], (long long)ts[i + 1]);
	cr_expect_leq(v[0], 2, "the first samples are missing: it starts at %g", v[0]);
	/* another series of the same requests: as many samples, same times */
	snprintf(match, sizeof(match), "seep_host_memory_total_bytes{host=\"%s\"}", host);
	n2 = series_values(match, v2, ts2, 4096, NULL);
	cr_expect(n2 >= n && n2 <= n + 2, "seep_host_memory_total_bytes: %zu samples, %zu"
		  " of seep_samples_total", n2, n);
	for (size_t i = 0; i < n && i < n2; i++)
		if (ts2[i] != ts[i]) {
			cr_expect_fail("sample %zu at %lld ms and %lld ms", i, (long long)ts[i],
				       (long long)ts2[i]);
			break;
		}
}
