/* End to end: `seep fleet` over a simulated fleet. Eight daemons on
 * 127.0.0.11..18 (no BPF, 1 s interval), each scoped (daemon.scope_cgroup)
 * to a memory cgroup of its own holding that host's targets:
 * daemon_leaker in leaker.service and daemon_cache in cache.service, so
 * each component has one key across hosts. The leaker leaks 1 MiB/s on
 * hosts h2, h5 and h7 and allocates nothing worth counting on the others;
 * the cache is bounded everywhere. Debian's prometheus (started here on
 * loopback) scrapes every daemon each second with a `host` target label
 * (honor_labels: true) and remote_writes everything to Debian's
 * VictoriaMetrics. `seep fleet --prometheus` and `seep fleet
 * --victoriametrics` must both name exactly the leaker on h2, h5, h7 and
 * nothing else. Root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemonlib.h"
#include "scratch.h"
#include "testlib.h"

#define NHOSTS 8
#define LEAK_S 100

static const int leaky[NHOSTS] = { 0, 0, 1, 0, 0, 1, 0, 1 };	/* h2, h5, h7 */

static char dir[64], cgbase[512];
static pid_t targets[2 * NHOSTS], daemons[NHOSTS], prom = -1, vm = -1;

/* The memory cgroup this test runs in, relative to the v1 memory root. */
static void own_memory_cgroup(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[1024];

	buf[0] = '\0';
	cr_assert(f);
	while (fgets(line, sizeof(line), f)) {
		char *c = strstr(line, ":memory:");

		if (c) {
			c += strlen(":memory:");
			c[strcspn(c, "\n")] = '\0';
			snprintf(buf, len, "%s", strcmp(c, "/") ? c : "");
		}
	}
	fclose(f);
}

static void mkcg(const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s", rel);
	cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", p, strerror(errno));
}

static void rmcg(const char *rel)
{
	char p[1024];

	snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s", rel);
	for (int i = 0; i < 50 && rmdir(p) && errno == EBUSY; i++)
		usleep(100000);
}

static void join_cg(const char *rel, pid_t pid)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "/sys/fs/cgroup/memory%s/cgroup.procs", rel);
	f = fopen(p, "w");
	cr_assert(f, "%s: %s", p, strerror(errno));
	fprintf(f, "%d\n", pid);
	cr_assert_eq(fclose(f), 0, "moving %d into %s: %s", pid, p, strerror(errno));
}

static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* nothing outlives a crashed test */

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

static void setup(void)
{
	signal(SIGPIPE, SIG_IGN);	/* a target that died is an assertion, not a crash */
	own_memory_cgroup(cgbase, sizeof(cgbase));
	snprintf(cgbase + strlen(cgbase), sizeof(cgbase) - strlen(cgbase), "/seepfleet-%d",
		 getpid());
	cr_assert_eq(scratch__mkdir(dir, sizeof(dir), "fleet"), 0);
	for (int i = 0; i < 2 * NHOSTS; i++)
		targets[i] = -1;
	for (int i = 0; i < NHOSTS; i++)
		daemons[i] = -1;
}

static void teardown(void)
{
	char p[640];

	stop(&prom);
	stop(&vm);
	for (int i = 0; i < NHOSTS; i++)
		stop(&daemons[i]);
	for (int i = 0; i < 2 * NHOSTS; i++)
		if (targets[i] > 0) {
			kill(targets[i], SIGKILL);
			waitpid(targets[i], NULL, 0);
		}
	for (int h = 0; h < NHOSTS; h++) {
		snprintf(p, sizeof(p), "%s/h%d/leaker.service", cgbase, h);
		rmcg(p);
		snprintf(p, sizeof(p), "%s/h%d/cache.service", cgbase, h);
		rmcg(p);
		snprintf(p, sizeof(p), "%s/h%d", cgbase, h);
		rmcg(p);
	}
	rmcg(cgbase);
	scratch__rmrf(dir);
}

/* `seep fleet ARGS... --format json`: its report (exit 0 asserted). */
static json_t *fleet(char *const args[])
{
	char *argv[24] = { SEEP_BIN, "fleet" };
	struct run r;
	json_t *j;
	int n = 2;

	for (int i = 0; args[i] && n < 21; i++)
		argv[n++] = args[i];
	argv[n++] = "--format";
	argv[n++] = "json";
	argv[n] = NULL;
	run_cmd(argv, NULL, &r);
	cr_assert_eq(r.status, 0, "seep fleet %s: exit %d: %s %s", args[1], r.status, r.out, r.err);
	j = json_loads(r.out, 0, NULL);
	cr_assert(j, "seep fleet's output is not JSON: %s", r.out);
	run_release(&r);
	return j;
}

/* The suspects are the leaker on exactly the leaky hosts; the one
 * anomalous component is the leaker's. */
static void check(json_t *j, const char *what)
{
	json_t *sus = json_object_get(j, "suspects"), *comps = json_object_get(j, "anomalous_components");
	int seen[NHOSTS] = { 0 };
	json_t *s;
	size_t i;

	cr_expect_eq(json_integer_value(json_object_get(j, "hosts")), NHOSTS, "%s: hosts",
		     what);
	json_array_foreach(sus, i, s) {
		const char *host = json_string_value(json_object_get(s, "host"));
		const char *comm = json_string_value(json_object_get(s, "comm"));
		const char *comp = json_string_value(json_object_get(s, "component"));
		int h = host && host[0] == 'h' ? atoi(host + 1) : -1;

		cr_expect(h >= 0 && h < NHOSTS && leaky[h], "%s: suspect on host '%s'", what, host);
		cr_expect_str_eq(comm, "daemon_leaker", "%s: suspect '%s' on %s", what, comm, host);
		cr_expect(comp && strstr(comp, "leaker.service"), "%s: component '%s'", what, comp);
		cr_expect_str_eq(json_string_value(json_object_get(s, "pattern")), "steady",
				 "%s: pattern on %s", what, host);
		if (h >= 0 && h < NHOSTS)
			seen[h]++;
	}
	for (int h = 0; h < NHOSTS; h++)
		if (leaky[h])
			cr_expect_eq(seen[h], 1, "%s: host h%d named %d times", what, h, seen[h]);
	cr_expect_eq(json_array_size(comps), 1, "%s: %zu anomalous components", what,
		     json_array_size(comps));
	s = json_array_get(comps, 0);
	cr_expect(s && strstr(json_string_value(json_object_get(s, "component")), "leaker.service"),
		  "%s: the anomalous component", what);
}

Test(fleet, names_the_leaking_component_and_hosts, .init = setup, .fini = teardown,
     .timeout = 400)
{
	char path[640], log[160], conf[160], text[8192], err[160], flag[6][256];
	char prom_url[64], vm_url[64], range[32], end[32];
	int port = free_port(), pport = free_port(), vport = free_port(), go[2 * NHOSTS];
	size_t off;
	json_t *j;

	if (access("/usr/bin/prometheus", X_OK) || access("/usr/bin/victoria-metrics", X_OK))
		cr_skip_test("prometheus or victoria-metrics is not installed (tools/setup.sh)");
	cr_assert(access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0,
		  "the test needs the cgroup v1 memory hierarchy");
	mkcg(cgbase);
	/* the hosts: cgroups, held targets, daemons */
	for (int h = 0; h < NHOSTS; h++) {
		char *leak_argv[] = { TARGET("daemon_leaker"), "250", leaky[h] ? "256" : "0", NULL };
		char *cache_argv[] = { TARGET("daemon_cache"), "8", "250", NULL };
		char scope[700], hostset[64], listen[64], store[128];

		snprintf(path, sizeof(path), "%s/h%d", cgbase, h);
		mkcg(path);
		snprintf(path, sizeof(path), "%s/h%d/leaker.service", cgbase, h);
		mkcg(path);
		targets[2 * h] = target_start(leak_argv, &go[2 * h]);
		join_cg(path, targets[2 * h]);
		snprintf(path, sizeof(path), "%s/h%d/cache.service", cgbase, h);
		mkcg(path);
		targets[2 * h + 1] = target_start(cache_argv, &go[2 * h + 1]);
		join_cg(path, targets[2 * h + 1]);
		snprintf(scope, sizeof(scope), "daemon.scope_cgroup=%s/h%d", cgbase, h);
		/* each host labels its own series (the exposition's host wins
		 * over the target label under honor_labels) */
		snprintf(hostset, sizeof(hostset), "daemon.host=h%d", h);
		snprintf(listen, sizeof(listen), "127.0.0.%d:%d", 11 + h, port);
		snprintf(store, sizeof(store), "%s/h%d.db", dir, h);
		snprintf(err, sizeof(err), "%s/daemon%d.log", dir, h);
		{
			char *argv[] = { SEEP_BIN, "daemon", "-i", "1", "--no-bpf", "--store", store,
					 "--listen", listen, "--set", scope, "--set", hostset,
					 "--set", "telemetry.fold=1s", NULL };

			daemons[h] = spawn(argv, err);
		}
	}
	/* prometheus: every daemon, its host as a target label; remote_write to VM */
	off = (size_t)snprintf(text, sizeof(text),
			       "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
			       "remote_write:\n  - url: http://127.0.0.1:%d/api/v1/write\n"
			       "scrape_configs:\n  - job_name: seep\n    honor_labels: true\n"
			       "    static_configs:\n", vport);
	for (int h = 0; h < NHOSTS; h++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"      - targets: ['127.0.0.%d:%d']\n"
					"        labels: {host: 'h%d'}\n", 11 + h, port, h);
	cr_assert_eq(scratch__put(conf, sizeof(conf), dir, "prometheus.yml", text), 0);
	snprintf(flag[0], sizeof(flag[0]), "-storageDataPath=%s/vm", dir);
	snprintf(flag[1], sizeof(flag[1]), "-httpListenAddr=127.0.0.1:%d", vport);
	snprintf(log, sizeof(log), "%s/vm.log", dir);
	{
		char *argv[] = { "/usr/bin/victoria-metrics", flag[0], flag[1],
				 "-search.latencyOffset=1s", "-search.disableCache",
				 "-loggerLevel=ERROR", NULL };

		vm = spawn(argv, log);
	}
	snprintf(flag[2], sizeof(flag[2]), "--config.file=%s", conf);
	snprintf(flag[3], sizeof(flag[3]), "--storage.tsdb.path=%s/tsdb", dir);
	snprintf(flag[4], sizeof(flag[4]), "--web.listen-address=127.0.0.1:%d", pport);
	snprintf(log, sizeof(log), "%s/prometheus.log", dir);
	{
		char *argv[] = { "/usr/bin/prometheus", flag[2], flag[3], flag[4], "--log.level=warn",
				 NULL };

		prom = spawn(argv, log);
	}
	for (int h = 0; h < NHOSTS; h++) {	/* the daemons listen */
		snprintf(err, sizeof(err), "%s/daemon%d.log", dir, h);
		daemon_wait_ready(daemons[h], err, 30);
	}
	sleep(3);	/* the TSDBs listen */
	for (int i = 0; i < 2 * NHOSTS; i++) {
		cr_assert_eq(waitpid(targets[i], NULL, WNOHANG), 0, "target %d ended early", i);
		target_go(go[i]);
	}
	for (int h = 0; h < NHOSTS; h++)
		cr_assert_eq(waitpid(daemons[h], NULL, WNOHANG), 0, "the daemon of h%d ended", h);
	sleep(LEAK_S);
	sleep(3);	/* the last scrapes are written through */
	/* a scoped daemon's components are its own cgroup's: the other hosts'
	 * leakers and caches (and the machine's other processes) are not in them */
	for (int h = 0; h < NHOSTS; h++) {
		char url[96];
		char *argv[] = { "/usr/bin/curl", "-sf", url, NULL };
		struct run r;
		json_t *comps, *k;
		size_t i;

		snprintf(url, sizeof(url), "http://127.0.0.%d:%d/api/components", 11 + h, port);
		run_cmd(argv, NULL, &r);
		comps = json_object_get(j = json_loads(r.out, 0, NULL), "components");
		cr_assert(json_is_array(comps), "h%d components: %.300s", h, r.out);
		json_array_foreach(comps, i, k) {
			const char *comm = json_string_value(json_object_get(k, "comm"));

			cr_expect(comm && (!strcmp(comm, "daemon_leaker") || !strcmp(comm, "daemon_cache")),
				  "h%d has a component from outside its scope: %s", h,
				  json_string_value(json_object_get(k, "key")));
		}
		cr_expect_eq(json_array_size(comps), 2, "h%d: its leaker and cache: %.300s", h, r.out);
		json_decref(j);
		run_release(&r);
	}
	snprintf(range, sizeof(range), "%ds", LEAK_S + 8);
	snprintf(end, sizeof(end), "%ld", (long)time(NULL));
	snprintf(prom_url, sizeof(prom_url), "http://127.0.0.1:%d", pport);
	snprintf(vm_url, sizeof(vm_url), "http://127.0.0.1:%d", vport);
	{
		char *args[] = { "--prometheus", prom_url, "--range", range, "--end", end,
				 "--selector", "{job=\"seep\"}", NULL };

		j = fleet(args);
		check(j, "prometheus");
		cr_expect_eq(json_integer_value(json_object_get(j, "processes")), 2 * NHOSTS,
			     "prometheus: processes");
		json_decref(j);
	}
	{
		char *args[] = { "--victoriametrics", vm_url, "--range", range, "--end", end,
				 "--selector", "{job=\"seep\"}", NULL };

		j = fleet(args);
		check(j, "victoriametrics");
		json_decref(j);
	}
	/* the text report names the same hosts, one line each */
	{
		char *argv[] = { SEEP_BIN, "fleet", "--prometheus", prom_url, "--range", range,
				 "--end", end, NULL };
		struct run r;

		run_cmd(argv, NULL, &r);
		cr_expect_eq(r.status, 0, "seep fleet (text): %s", r.err);
		cr_log_info("seep fleet --prometheus (text):\n%s", r.out);
		for (int h = 0; h < NHOSTS; h++) {
			char needle[32];

			snprintf(needle, sizeof(needle), "\n  h%d ", h);
			cr_expect_eq(strstr(r.out, needle) != NULL, leaky[h], "h%d in the text report",
				     h);
		}
		cr_expect(strstr(r.out, "suspects: 3\n"), "%s", r.out);
		run_release(&r);
	}
	/* one chunk per query: a 1 s step over the range is split into queries of at most
	 * 11,000 points; a 5 ms step gives more than one (the answer is the same) */
	{
		char *args[] = { "--prometheus", prom_url, "--range", range, "--end", end,
				 "--step", "0.005s", NULL };

		j = fleet(args);
		cr_expect_gt(json_integer_value(json_object_get(json_object_get(j, "source"),
								"requests")), 1, "split queries");
		check(j, "prometheus, split range");
		json_decref(j);
	}
}
