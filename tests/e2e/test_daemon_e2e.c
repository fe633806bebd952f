/* End to end: `seep daemon` at a 1 s interval with a steady leaker and a
 * bounded cache: the leaker becomes a suspect (pattern steady), the cache
 * does not; /metrics passes `promtool check metrics`; SIGTERM exits 0 and
 * leaves no seep BPF program behind; kill -9 during writes, 20 times,
 * leaves a store that passes integrity_check and holds every committed
 * interval; --print-config reads back to itself; a real Prometheus
 * (Debian's package) scrapes /metrics every second and its query API
 * returns seep's series; sd_notify: READY=1, RELOADING=1/READY=1 around
 * SIGHUP with the new config value in /api/status, STOPPING=1 on SIGTERM;
 * an IPv6 loopback listen address works, a public one is refused unless
 * daemon.listen_public. Root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"
#include "timescale.h"

static char dir[64];
static char listen_at[32];	/* each test's daemon: a free loopback port */
#define LISTEN listen_at

static void setup(void)
{
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "daemon"), 0);
	free_listen(listen_at, sizeof(listen_at));
}

static void teardown(void)
{
	procs_kill_all();
	scratch__rmrf(dir);
}

static pid_t daemon_start(const char *err_path, char *const args[])
{
	return daemon_spawn(err_path, NULL, args);
}

static void sh(const char *cmd, struct run *r)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };

	run_cmd(argv, NULL, r);
}

Test(daemon, leaker_is_suspect_cache_is_not, .init = setup, .fini = teardown, .timeout = 180)
{
	char store[128], err_path[128], cmd[1536], ids[1024];
	char *leak_argv[] = { TARGET("daemon_leaker"), "250", "512", NULL };
	char *cache_argv[] = { TARGET("daemon_cache"), "16", "250", NULL };
	int go_l, go_c, st, found = 0, cache_flagged = 0;
	pid_t leaker, cache, d;
	struct run r;
	double latency = -1;
	struct timespec t0, t1;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	leaker = target_start(leak_argv, &go_l);
	cache = target_start(cache_argv, &go_c);
	{
		char *args[] = { "-v", "-i", "1", "--store", store, "--listen", LISTEN,
				 "--set", "detect.scale=3600", "--set", "detect.threshold=256MiB",
				 "--set", "telemetry.fold=2s", "--set", "budget.bpf_cpu=0.2", NULL };

		d = daemon_start(err_path, args);
	}
	daemon_wait_ready(d, err_path, 60);	/* BPF load on a busy machine */
	target_go(go_l);
	target_go(go_c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < scaled_tries(90) && !found; i++) {
		char *argv[] = { SEEP_BIN, "status", "--listen", LISTEN, "--format",
				 "json", NULL };
		json_t *j, *list, *s;
		size_t k;

		sleep(1);
		run_cmd(argv, NULL, &r);
		cr_assert_eq(r.status, 0, "seep status: %s", r.err);
		j = json_loads(r.out, 0, NULL);
		cr_assert(j, "seep status printed no JSON: %s", r.out);
		list = json_object_get(j, "suspects");
		json_array_foreach(list, k, s) {
			pid_t pid = (pid_t)json_integer_value(json_object_get(s, "pid"));

			if (!json_is_true(json_object_get(s, "active")))
				continue;
			if (pid == cache)
				cache_flagged = 1;
			if (pid == leaker && !strcmp(json_string_value(json_object_get(s, "kind")),
						     "process")) {
				cr_expect_str_eq(json_string_value(json_object_get(s, "pattern")),
						 "steady");
				cr_expect_gt(json_number_value(json_object_get(
					json_object_get(s, "evidence"), "slope_bytes_per_s")), 1e6);
				found = 1;
			}
		}
		json_decref(j);
		run_release(&r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	latency = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	cr_log_info("leaker suspected after %.1f s", latency);
	fprintf(stderr, "daemon e2e: leaker suspected after %.1f s\n", latency);
	cr_expect(found, "the leaker (pid %d) never became a suspect", leaker);
	/* the cache has levelled off long before: give it time to be misjudged */
	sleep(10);
	{
		char *argv[] = { SEEP_BIN, "status", "--listen", LISTEN, "--format",
				 "json", NULL };
		json_t *j, *s;
		size_t k;

		run_cmd(argv, NULL, &r);
		j = json_loads(r.out, 0, NULL);
		cr_assert(j);
		json_array_foreach(json_object_get(j, "suspects"), k, s)
			if ((pid_t)json_integer_value(json_object_get(s, "pid")) == cache &&
			    json_is_true(json_object_get(s, "active")))
				cache_flagged = 1;
		json_decref(j);
		run_release(&r);
	}
	cr_expect(!cache_flagged, "the bounded cache (pid %d) was reported as a suspect", cache);
	/* the exposition passes promtool */
	snprintf(cmd, sizeof(cmd), "curl -sf http://%s/metrics > %s/metrics &&"
		 " promtool check metrics < %s/metrics", LISTEN, dir, dir);
	sh(cmd, &r);
	cr_expect_eq(r.status, 0, "promtool check metrics: %s %s", r.out, r.err);
	run_release(&r);
	snprintf(cmd, sizeof(cmd), "grep -c '^seep_process_memory_bytes{.*pid=\"%d\"' %s/metrics",
		 leaker, dir);
	sh(cmd, &r);
	cr_expect_eq(atoi(r.out), 4, "the leaker's 4 memory series (a suspect: with its pid) are not in /metrics");
	run_release(&r);
	/* SIGTERM: exit 0, none of its BPF programs or links left. Its own, by
	 * id from its descriptors: other daemons may run on the machine */
	snprintf(cmd, sizeof(cmd), "cat /proc/%d/fdinfo/* 2>/dev/null | awk '/^(prog|link)_id:/"
		 " { print substr($1, 1, 4), $2 }' | sort -u | tr '\\n' ' '", d);
	sh(cmd, &r);
	snprintf(ids, sizeof(ids), "%s", r.out);
	run_release(&r);
	cr_expect(strstr(ids, "prog "), "the daemon holds no BPF program: '%s'", ids);
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(d, &st, 0), d);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the daemon exited with %d", st);
	/* the kernel frees a program once its last reference is gone, after
	 * an RCU grace period: allow it a few seconds */
	snprintf(cmd, sizeof(cmd), "set -- %s; while [ $# -ge 2 ]; do"
		 " bpftool $1 show id $2 >/dev/null 2>&1 && echo \"$1 $2\"; shift 2; done; true",
		 ids);
	for (int i = 0; i < 50; i++) {
		sh(cmd, &r);
		if (!r.out[0] || i == 49)
			break;
		run_release(&r);
		usleep(100000);
	}
	cr_expect_str_eq(r.out, "", "BPF programs or links left after SIGTERM: %s", r.out);
	run_release(&r);
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA integrity_check' && stat -c %%a %s", store,
		 store);
	sh(cmd, &r);
	cr_expect_str_eq(r.out, "ok\n600\n");
	run_release(&r);
	kill(leaker, SIGKILL);
	kill(cache, SIGKILL);
	target_wait(leaker);
	target_wait(cache);
}

/* The last "committed tick N" line of TEXT, or 0. */
static long last_tick(const char *text)
{
	long last = 0;

	for (const char *p = strstr(text, "committed tick "); p; p = strstr(p + 1, "committed tick "))
		last = atol(p + strlen("committed tick "));
	return last;
}

Test(daemon, kill9_during_writes, .init = setup, .fini = teardown, .timeout = 240)
{
	char store[128], err_path[128], cmd[1024];
	long committed[20], max = 0;
	struct run r;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	srand(12);
	for (int i = 0; i < 20; i++) {
		char *args[] = { "-v", "-i", "0.1", "--store", store, "--listen", "", "--no-bpf",
				 "--set", "detect.min_samples=8", NULL };
		pid_t d;
		char *e;
		int st;

		unlink(err_path);	/* the last run's "ready" is not this one's */
		d = daemon_start(err_path, args);
		daemon_wait_ready(d, err_path, 20);
		usleep(300000 + (useconds_t)(rand() % 700) * 1000);
		kill(d, SIGKILL);
		waitpid(d, &st, 0);
		cr_assert(WIFSIGNALED(st), "the daemon ended before kill -9: %d", st);
		e = file_text(err_path);
		committed[i] = last_tick(e);
		free(e);
		cr_assert_gt(committed[i], max, "run %d committed nothing new", i);
		max = committed[i];
	}
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA integrity_check'", store);
	sh(cmd, &r);
	cr_expect_str_eq(r.out, "ok\n");
	run_release(&r);
	/* every tick a run said it committed is there, whole: its rows counted
	 * at commit are at least its samples, and it has samples */
	for (int i = 0; i < 20; i++) {
		snprintf(cmd, sizeof(cmd), "sqlite3 %s \"SELECT t.rows >= count(s.tick) AND"
			 " count(s.tick) > 0 FROM ticks t JOIN samples s ON s.tick = t.seq"
			 " WHERE t.seq = %ld\"", store, committed[i]);
		sh(cmd, &r);
		cr_expect_str_eq(r.out, "1\n", "committed tick %ld is missing or partial", committed[i]);
		run_release(&r);
	}
	/* and no tick is half-written: each holds the host sample */
	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"SELECT count(*) FROM ticks t WHERE NOT EXISTS"
		 " (SELECT 1 FROM samples s JOIN entities e ON e.id = s.entity WHERE s.tick = t.seq"
		 " AND e.kind = 'host')\"", store);
	sh(cmd, &r);
	cr_expect_str_eq(r.out, "0\n");
	run_release(&r);
}

Test(daemon, print_config_reads_back, .init = setup, .fini = teardown)
{
	char path[128];
	char *a1[] = { SEEP_BIN, "daemon", "--set", "detect.scale=60s", "-i", "5", "--set",
		       "retention.max_bytes=64MiB", "--print-config", NULL };
	char *a3[] = { SEEP_BIN, "daemon", "--set", "nosuch.key=1", "--print-config", NULL };
	struct run r1, r2, r3;

	run_cmd(a1, NULL, &r1);
	cr_assert_eq(r1.status, 0, "%s", r1.err);
	cr_expect(strstr(r1.out, "interval = 5s\n") && strstr(r1.out, "scale = 60s\n") &&
		  strstr(r1.out, "max_bytes = 67108864\n"), "%s", r1.out);
	cr_assert_eq(scratch__put(path, sizeof(path), dir, "seep.conf", r1.out), 0);
	{
		char *a2[] = { SEEP_BIN, "daemon", "--config", path, "--print-config", NULL };

		run_cmd(a2, NULL, &r2);
	}
	cr_expect_eq(r2.status, 0, "%s", r2.err);
	cr_expect_str_eq(r2.out, r1.out);
	run_cmd(a3, NULL, &r3);
	cr_expect_eq(r3.status, 2);
	cr_expect(strstr(r3.err, "unknown key 'nosuch.key'"), "%s", r3.err);
	run_release(&r1);
	run_release(&r2);
	run_release(&r3);
}

/* GET URL with curl: its JSON, or NULL. */
static json_t *get_json(const char *url)
{
	char cmd[512];
	struct run r;
	json_t *j;

	snprintf(cmd, sizeof(cmd), "curl -sf --max-time 5 '%s'", url);
	sh(cmd, &r);
	j = r.status == 0 ? json_loads(r.out, 0, NULL) : NULL;
	run_release(&r);
	return j;
}

/* The number of series a Prometheus instant query returns (-1: error). */
static int prom_series(int port, const char *query, double *first)
{
	char url[512];
	json_t *j, *res;
	int n;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/query?query=%s", port, query);
	j = get_json(url);
	if (!j)
		return -1;
	if (strcmp(json_string_value(json_object_get(j, "status")) ?: "", "success")) {
		json_decref(j);
		return -1;
	}
	res = json_object_get(json_object_get(j, "data"), "result");
	n = (int)json_array_size(res);
	if (n && first)
		*first = atof(json_string_value(json_array_get(
			json_object_get(json_array_get(res, 0), "value"), 1)) ?: "nan");
	json_decref(j);
	return n;
}

Test(daemon, prometheus_scrapes_it, .init = setup, .fini = teardown, .timeout = 120)
{
	char store[128], err_path[128], listen[64], conf[128], tsdb[128], text[512], flag[3][160];
	int port = free_port(), pport = free_port(), st, n = -1, up = -1;
	double v = 0, upv = 0;
	pid_t d, p;

	if (access("/usr/bin/prometheus", X_OK))
		cr_skip_test("prometheus is not installed (tools/setup.sh installs it)");
	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	{
		char *args[] = { "-v", "-i", "1", "--store", store, "--listen", listen, NULL };

		d = daemon_start(err_path, args);
	}
	daemon_wait_ready(d, err_path, 30);
	snprintf(text, sizeof(text),
		 "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
		 "scrape_configs:\n  - job_name: seep\n    static_configs:\n"
		 "      - targets: ['127.0.0.1:%d']\n", port);
	cr_assert_eq(scratch__put(conf, sizeof(conf), dir, "prometheus.yml", text), 0);
	snprintf(tsdb, sizeof(tsdb), "%s/tsdb", dir);
	snprintf(flag[0], sizeof(flag[0]), "--config.file=%s", conf);
	snprintf(flag[1], sizeof(flag[1]), "--storage.tsdb.path=%s", tsdb);
	snprintf(flag[2], sizeof(flag[2]), "--web.listen-address=127.0.0.1:%d", pport);
	p = fork();
	if (p == 0) {
		child_dies_with_parent();
		char log[160];
		int fd;

		snprintf(log, sizeof(log), "%s/prometheus.log", dir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl("/usr/bin/prometheus", "prometheus", flag[0], flag[1], flag[2],
		      "--log.level=warn", (char *)NULL);
		_exit(127);
	}
	/* a few scrapes: up == 1 and seep's own series are queryable */
	for (int i = 0; i < scaled_tries(60) && (n <= 0 || up <= 0 || upv != 1); i++) {
		sleep(1);
		up = prom_series(pport, "up%7Bjob%3D%22seep%22%7D", &upv);
		n = prom_series(pport, "seep_self_resident_memory_bytes", &v);
	}
	cr_expect_eq(up, 1, "up{job=\"seep\"}: %d series", up);
	cr_expect_eq(upv, 1, "Prometheus could not scrape the daemon (up = %g)", upv);
	cr_expect_eq(n, 1, "seep_self_resident_memory_bytes: %d series", n);
	cr_expect_gt(v, 1 << 20, "the daemon's RSS as Prometheus has it: %g", v);
	n = prom_series(pport, "seep_process_memory_bytes", NULL);
	cr_expect_gt(n, 4, "seep_process_memory_bytes: %d series", n);
	n = prom_series(pport, "seep_samples_total", &v);
	cr_expect(n == 1 && v >= 1, "seep_samples_total: %d series, %g", n, v);
	/* a counter Prometheus can rate: it grows between scrapes */
	for (int i = 0; i < 20; i++) {
		n = prom_series(pport, "rate(seep_samples_total%5B10s%5D)", &v);
		if (n == 1 && v > 0)
			break;
		sleep(1);
	}
	cr_expect(n == 1 && v > 0, "rate(seep_samples_total[10s]): %d series, %g", n, v);
	kill(p, SIGTERM);
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "prometheus exited with %d", st);
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(d, &st, 0), d);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the daemon exited with %d", st);
}

/* The next sd_notify datagram on FD that is not a STATUS= line, or "". */
static void notify_next(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t n;

		buf[0] = '\0';
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return;
		n = recv(fd, buf, len - 1, 0);
		if (n <= 0)
			return;
		buf[n] = '\0';
		if (strncmp(buf, "STATUS=", 7))
			return;
	}
}

Test(daemon, sd_notify_ready_reload_stopping, .init = setup, .fini = teardown, .timeout = 90)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char store[128], err_path[128], listen[64], conf[128], url[128], msg[256];
	int port = free_port(), fd, st;
	json_t *j;
	pid_t d;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	cr_assert_eq(scratch__put(conf, sizeof(conf), dir, "seep.conf",
				  "[daemon]\ninterval = 1s\n[budget]\ncpu = 0.01\n"), 0);
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	{
		char *args[] = { "-v", "--config", conf, "--store", store, "--listen", listen,
				 "--no-bpf", NULL };

		d = daemon_start(err_path, args);
	}
	unsetenv("NOTIFY_SOCKET");
	notify_next(fd, msg, sizeof(msg), 30000);
	cr_assert_str_eq(msg, "READY=1", "first notification: '%s'", msg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/status", port);
	j = get_json(url);
	cr_assert(j);
	cr_expect_float_eq(json_number_value(json_object_get(json_object_get(j, "daemon"),
							     "cpu_budget_ratio")), 0.01, 1e-9);
	json_decref(j);
	/* a changed value, SIGHUP: RELOADING=1, READY=1, the value in effect */
	cr_assert_eq(scratch__put(conf, sizeof(conf), dir, "seep.conf",
				  "[daemon]\ninterval = 2s\n[budget]\ncpu = 0.05\n"), 0);
	kill(d, SIGHUP);
	notify_next(fd, msg, sizeof(msg), 10000);
	cr_assert_str_eq(msg, "RELOADING=1");
	notify_next(fd, msg, sizeof(msg), 10000);
	cr_assert_str_eq(msg, "READY=1");
	j = get_json(url);
	cr_assert(j);
	cr_expect_float_eq(json_number_value(json_object_get(json_object_get(j, "daemon"),
							     "cpu_budget_ratio")), 0.05, 1e-9,
			   "budget.cpu after the reload");
	json_decref(j);
	/* the interval is read at the next interval's model: wait for it */
	for (int i = 0; i < 50; i++) {
		double iv;

		j = get_json(url);
		iv = j ? json_number_value(json_object_get(json_object_get(j, "daemon"),
							   "interval_s")) : 0;
		json_decref(j);
		if (iv == 2 || i == 49) {
			cr_expect_eq(iv, 2, "daemon.interval after the reload: %g", iv);
			break;
		}
		usleep(100000);
	}
	/* a bad file: the reload fails, the configuration stays, READY=1 again */
	cr_assert_eq(scratch__put(conf, sizeof(conf), dir, "seep.conf",
				  "[budget]\ncpu = lots\n"), 0);
	kill(d, SIGHUP);
	notify_next(fd, msg, sizeof(msg), 10000);
	cr_assert_str_eq(msg, "RELOADING=1");
	notify_next(fd, msg, sizeof(msg), 10000);
	cr_assert_str_eq(msg, "READY=1");
	j = get_json(url);
	cr_assert(j);
	cr_expect_float_eq(json_number_value(json_object_get(json_object_get(j, "daemon"),
							     "cpu_budget_ratio")), 0.05, 1e-9);
	json_decref(j);
	kill(d, SIGTERM);
	notify_next(fd, msg, sizeof(msg), 10000);
	cr_expect_str_eq(msg, "STOPPING=1");
	cr_assert_eq(waitpid(d, &st, 0), d);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the daemon exited with %d", st);
	{
		char *e = file_text(err_path);

		cr_expect(strstr(e, "cannot reload: config '") &&
			  strstr(e, "bad value 'lots' for 'budget.cpu'") &&
			  strstr(e, "(configuration unchanged)"), "%s", e);
		free(e);
	}
	close(fd);
}

Test(daemon, ipv6_loopback_and_public_refused, .init = setup, .fini = teardown, .timeout = 90)
{
	char store[128], err_path[128], listen[64], cmd[256];
	int port = free_port(), st;
	struct run r;
	pid_t d;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	snprintf(listen, sizeof(listen), "[::1]:%d", port);
	{
		char *args[] = { "-i", "1", "--store", store, "--listen", listen, "--no-bpf", NULL };

		d = daemon_start(err_path, args);
	}
	daemon_wait_ready(d, err_path, 30);
	{
		char *argv[] = { SEEP_BIN, "status", "--listen", listen, "--format", "json", NULL };

		run_cmd(argv, NULL, &r);
	}
	cr_expect_eq(r.status, 0, "seep status over IPv6: %s", r.err);
	{
		json_t *j = json_loads(r.out, 0, NULL);

		cr_expect(j && json_integer_value(json_object_get(json_object_get(j, "status"),
								  "processes")) > 0, "%s", r.out);
		json_decref(j);
	}
	run_release(&r);
	snprintf(cmd, sizeof(cmd), "curl -sf -g 'http://[::1]:%d/metrics' | grep -c '^seep_samples_total '",
		 port);
	sh(cmd, &r);
	cr_expect_str_eq(r.out, "1\n", "/metrics over IPv6");
	run_release(&r);
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(d, &st, 0), d);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* not loopback: refused, exit 1, and says how to allow it */
	{
		char *argv[] = { SEEP_BIN, "daemon", "-i", "1", "--store", store, "--listen",
				 "0.0.0.0:9", "--no-bpf", NULL };

		run_cmd(argv, NULL, &r);
	}
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "cannot listen on '0.0.0.0:9': not a loopback address") &&
		  strstr(r.err, "daemon.listen_public = yes"), "%s", r.err);
	run_release(&r);
	{
		char *argv[] = { SEEP_BIN, "daemon", "-i", "1", "--store", store, "--listen",
				 "[::]:9", "--no-bpf", NULL };

		run_cmd(argv, NULL, &r);
	}
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "not a loopback address"), "%s", r.err);
	run_release(&r);
	/* a bare IPv6 address needs brackets */
	{
		char *argv[] = { SEEP_BIN, "status", "--listen", "::1:9474", NULL };

		run_cmd(argv, NULL, &r);
	}
	cr_expect_eq(r.status, 2, "%s", r.err);
	run_release(&r);
	/* allowed with listen_public: it listens on every address, warns (a
	 * new log: the first daemon's "ready" must not be read for this one) */
	snprintf(err_path, sizeof(err_path), "%s/err-public", dir);
	port = free_port();
	snprintf(listen, sizeof(listen), "0.0.0.0:%d", port);
	{
		char *args[] = { "-i", "1", "--store", store, "--listen", listen, "--no-bpf", "--set",
				 "daemon.listen_public=yes", NULL };

		d = daemon_start(err_path, args);
	}
	daemon_wait_ready(d, err_path, 30);
	snprintf(cmd, sizeof(cmd), "curl -sf 'http://127.0.0.1:%d/api/status' >/dev/null", port);
	sh(cmd, &r);
	cr_expect_eq(r.status, 0, "listen_public: /api/status not served");
	run_release(&r);
	kill(d, SIGTERM);
	cr_assert_eq(waitpid(d, &st, 0), d);
	{
		char *e = file_text(err_path);

		cr_expect(strstr(e, "not loopback: anyone who reaches it"), "%s", e);
		free(e);
	}
}

/* /api/status's daemon object, or NULL. */
static json_t *daemon_status(const char *listen)
{
	char *body;
	json_t *j, *dm;

	j = http_call("GET", listen, "/api/status", &body) == 200 ? json_loads(body, 0, NULL) : NULL;
	free(body);
	dm = j ? json_incref(json_object_get(j, "daemon")) : NULL;
	json_decref(j);
	return dm;
}

/* Programs of DM attached, out of *N. */
static size_t attached_progs(json_t *dm, size_t *n)
{
	json_t *p, *progs = json_object_get(dm, "bpf_programs");
	size_t i, a = 0;

	*n = json_array_size(progs);
	json_array_foreach(progs, i, p)
		a += json_is_true(json_object_get(p, "attached"));
	return a;
}

/* Polls the daemon D (every 200 ms, TRIES times, time-scaled) until WANT
 * of its 6 tier-0 programs are attached and its back-off step is STEP:
 * true then. *DM is its last daemon object (the caller decrefs), *ATT and
 * *N what was attached of how many. Fails at once if D died. */
static bool wait_ladder(pid_t d, const char *err_path, size_t want, const char *step, int tries,
			json_t **dm, size_t *att, size_t *n)
{
	for (int i = 0; i < scaled_tries(tries); i++) {
		usleep(200000);
		json_decref(*dm);
		*dm = daemon_status(LISTEN);
		if (!*dm && waitpid(d, NULL, WNOHANG) == d)
			cr_assert_fail("the daemon died; log:\n%s", file_text(err_path));
		if (!*dm)
			continue;
		*att = attached_progs(*dm, n);
		if (*n == 6 && *att == want &&
		    !strcmp(json_string_value(json_object_get(json_object_get(*dm, "bpf_backoff"),
							     "step")) ?: "", step))
			return true;
	}
	return false;
}

/* The BPF back-off walks its whole ladder, in order, and back: with
 * budget.bpf_cpu at its floor (0.1 % of a core), the growth programs
 * loaded (their sys_exit runs on every syscall of the host), a batch
 * faulting 640 MiB/s of fresh pages and a shell starting
 * /bin/true in a loop (the lifecycle programs' load), tier 0 goes down one
 * step per three intervals over the budget (growth sampled less, growth
 * detached, rss_stat detached, lifecycle detached) until no tier-0 program
 * is attached; with the budget raised (SIGHUP), each step is undone after
 * its hold-off (30 intervals) until every program is attached again. The
 * triggers are off: this daemon collects nobody's heap. */
Test(daemon, bpf_backoff_detaches_every_tier0_program_and_recovers, .init = setup,
     .fini = teardown, .timeout = 300)
{
	char store[128], err_path[128], conf[128];
	char *spiky_argv[] = { TARGET("daemon_spiky"), "100", "64", "50", NULL };
	const char *order[] = { "'sampled'", "'no_growth'", "'no_rss'", "'none'" };
	const char *low = "[budget]\nbpf_cpu = 0.001\ncpu = 1\n";
	const char *high = "[budget]\nbpf_cpu = 0.5\ncpu = 1\n";
	int go, st;
	pid_t spiky, spawner, d;
	json_t *dm = NULL;
	size_t n = 0, att = 1;
	bool down = false, up = false;
	char *log, *at;
	FILE *f;

	snprintf(store, sizeof(store), "%s/seep.db", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	snprintf(conf, sizeof(conf), "%s/seep.conf", dir);
	f = fopen(conf, "w");
	cr_assert(f && fputs(low, f) >= 0 && fclose(f) == 0);
	spiky = target_start(spiky_argv, &go);
	target_go(go);
	spawner = fork();
	if (spawner == 0) {
		child_dies_with_parent();
		execl("/bin/sh", "sh", "-c", "while :; do /bin/true; done", (char *)NULL);
		_exit(127);
	}
	{
		char *args[] = { "-v", "--config", conf, "-i", "0.2", "--store", store, "--listen",
				 LISTEN, "--set", "collect.top_k=0", "--set", "trigger.psi=",
				 "--set", "trigger.cgroup=no", "--set", "reference.every=0", NULL };

		d = daemon_start(err_path, args);
	}
	daemon_wait_ready(d, err_path, 60);
	down = wait_ladder(d, err_path, 0, "none", 300, &dm, &att, &n);
	kill(spiky, SIGKILL);
	waitpid(spiky, NULL, 0);
	kill(spawner, SIGKILL);
	waitpid(spawner, NULL, 0);
	log = file_text(err_path);
	if (!down)
		kill(d, SIGKILL);
	cr_assert(down, "tier 0 not all detached: %zu of %zu programs attached; log:\n%s", att, n,
		  log);
	/* in the ladder's order */
	at = log;
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		char *next = strstr(at, order[k]);

		cr_assert(next && strstr(next - 200 > log ? next - 200 : log, "BPF over its budget"),
			  "step %s not taken after the previous ones; log:\n%s", order[k], log);
		at = next + 1;
	}
	free(log);
	/* recovery */
	f = fopen(conf, "w");
	cr_assert(f && fputs(high, f) >= 0 && fclose(f) == 0);
	kill(d, SIGHUP);
	up = wait_ladder(d, err_path, 6, "full", 750, &dm, &att, &n);
	log = file_text(err_path);
	cr_expect(up, "tier 0 not attached again: %zu of %zu programs attached; log:\n%s", att, n,
		  log);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(dm, "bpf_backoff"),
							"steps_up")), 4);
	free(log);
	json_decref(dm);
	kill(d, SIGTERM);
	waitpid(d, &st, 0);
	cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
