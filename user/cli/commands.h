/* commands — the subcommands of the seep program.
 *
 * Each subcommand is `int cmd_<name>(int argc, char **argv)`, with argv[0]
 * the subcommand's name. Returns the process exit code: EXIT_OK (0) success,
 * EXIT_FAIL (1) runtime failure, EXIT_USAGE (2) usage error; `trace -c`:
 * EXIT_COMMAND (3) when the command it started failed by itself (exited
 * with a status other than 0, or was killed by a signal seep did not send:
 * the final report says how).
 */
#ifndef SEEP_COMMANDS_H
#define SEEP_COMMANDS_H

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_COMMAND = 3 };

int cmd_trace(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_contrast(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_fingerprint(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fleet(int argc, char **argv);

#endif
