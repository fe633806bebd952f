/* procmaps — a process's memory mappings, from /proc/PID/maps.
 *
 * Entries are kept in address order (as the kernel lists them). Paths are
 * the kernel's text, with a trailing " (deleted)" removed and `deleted` set.
 * procmaps__open_path() names a path through which the mapped file can be
 * opened from this mount namespace even if the process runs in another one
 * or the file was deleted: /proc/PID/root/PATH or /proc/PID/map_files/A-B.
 * Ownership: the procmaps owns its entries and strings; release frees them.
 */
#ifndef SEEP_PROCMAPS_H
#define SEEP_PROCMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct procmap {
	uint64_t start, end, offset;
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char perms[5];
	bool deleted;
	char *path;              /* NULL for anonymous mappings */
};

struct procmaps {
	struct procmap *v;
	size_t n;
};

int procmaps__read(pid_t pid, struct procmaps *maps);
int procmaps__parse(FILE *in, struct procmaps *maps);
void procmaps__release(struct procmaps *maps);

/* The mapping containing ADDR, or NULL. */
const struct procmap *procmaps__find(const struct procmaps *maps, uint64_t addr);
/* True if the mapping is backed by a regular file. */
bool procmap__is_file(const struct procmap *m);
/* Writes into BUF a path that opens M's file; returns 0 or -ENAMETOOLONG. */
int procmaps__open_path(pid_t pid, const struct procmap *m, char *buf, size_t len);

#endif
