/* launch — start a command stopped at its entry point.
 *
 * `seep trace -c CMD` must attach before the command runs any code of its
 * own, yet the allocator lives in a library that is mapped only once the
 * dynamic loader has run. launch__start() forks, execs CMD under ptrace and
 * stops it on a breakpoint at the program's entry point (AT_ENTRY): the
 * loader has mapped and initialised every needed library, main() has not run.
 * The caller attaches its probes, then launch__release() removes the
 * breakpoint and lets the program run untraced by ptrace.
 * The command leads a process group of its own (its pid is the group's
 * id: what the caller stops at the end, with the children it forked) and
 * is killed by the kernel if seep dies first (PR_SET_PDEATHSIG, SIGKILL).
 */
#ifndef SEEP_LAUNCH_H
#define SEEP_LAUNCH_H

#include <sys/types.h>

/* Starts ARGV with the NAME=value strings of ENV (NULL: none) added to its
 * environment. Returns 0 and the stopped child's pid, or -errno (with a
 * message logged): -ENOENT / -EACCES when the command cannot be executed. */
int launch__start(char *const argv[], char *const env[], pid_t *pid);
int launch__release(pid_t pid);

#endif
