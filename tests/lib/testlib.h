/* testlib — helpers for the BPF and end-to-end tests: start target
 * programs held on a pipe, run the built seep and capture its output,
 * look things up in its JSON reports. */
#ifndef SEEP_TESTLIB_H
#define SEEP_TESTLIB_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define TARGET(name) SEEP_BUILD_DIR "/tests/targets/" name
#define SEEP_BIN SEEP_BUILD_DIR "/seep"

/* A TCP port free on loopback now (the kernel's choice), or -1. */
int free_port(void);

/* In a test's forked child, before exec: the child (a daemon, a target,
 * a server) is killed when the test process ends, even when a failed
 * assertion or criterion's timeout ends it before its teardown, so no
 * test leaves a process holding a port or a cgroup for the next. */
void child_dies_with_parent(void);

/* Starts ARGV[0] with SEEP_WAIT_FD set: the target blocks until
 * target_go(). Returns the pid; *go_fd is the pipe's write end. */
pid_t target_start(char *const argv[], int *go_fd);
void target_go(int go_fd);
/* Waits (up to 10 s, time-scaled) until target PID has done its exec and
 * its loader's work and sits blocked before doing anything: in read() on
 * its SEEP_WAIT_FD, or in pause() (the libc-less noalloc). Then its
 * modules (libc) are mapped and it can be attached. 0, or -ETIMEDOUT, or
 * -ESRCH if it died. */
int target_wait_blocked(pid_t pid);
/* Waits for PID to exit; returns its exit status, or -1. */
int target_wait(pid_t pid);

struct run {
	int status;              /* exit code, or 128 + signal */
	char *out, *err;
};

/* Runs ARGV (NULL-terminated) to completion, capturing stdout and stderr.
 * ENVP entries ("NAME=value") are added to the environment. */
void run_cmd(char *const argv[], char *const envp[], struct run *r);
void run_release(struct run *r);

/* Parses the N-th JSON line of TEXT (0-based); NULL if none. */
json_t *json_line(const char *text, int n);
int json_lines(const char *text);
/* Index of the first frame of STACK whose function is FN, or -1. */
int stack_frame_index(json_t *stack, const char *fn);

/* Starts seep with ARGV in the background, stdout to a temp file; returns
 * once seep says on stderr that it is tracing (or has failed). */
struct bg {
	pid_t pid;
	char out_path[64];
	int err_fd;
	char err[8192];
};
int bg_start(char *const argv[], struct bg *b);
/* Waits for seep to exit; fills R from its stdout file and stderr. */
void bg_finish(struct bg *b, struct run *r);

#endif
