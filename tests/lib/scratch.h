/* scratch — throw-away directories and files for tests.
 *
 * scratch__mkdir() creates a fresh /tmp/seep-<tag>-XXXXXX directory into DIR;
 * scratch__put() writes TEXT to DIR/NAME and returns its path in PATH;
 * scratch__rmrf() removes the directory and everything in it.
 * Functions return 0 or -errno.
 */
#ifndef SEEP_TEST_SCRATCH_H
#define SEEP_TEST_SCRATCH_H

#include <stddef.h>

int scratch__mkdir(char *dir, size_t len, const char *tag);
int scratch__put(char *path, size_t len, const char *dir, const char *name, const char *text);
int scratch__rmrf(const char *dir);

#endif
