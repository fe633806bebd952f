/* exe — what executable a process runs: path and GNU build ID.
 *
 * exe__build_id() reads the ELF notes of a file (through /proc/PID/exe on
 * a live host, so it works across mount namespaces and for deleted
 * files) and writes the build ID as lower-case hex. ELF64 and ELF32,
 * either byte order. Returns 0, -ENOENT when the file has no build ID
 * note, -ENOEXEC when it is not ELF, or -errno.
 */
#ifndef SEEP_EXE_H
#define SEEP_EXE_H

#include <stddef.h>

/* BUF needs 2 * 20 + 1 bytes for a SHA-1 build ID; longer ones (up to 64
 * bytes) need more: -ENAMETOOLONG when BUF is short. */
int exe__build_id(const char *path, char *buf, size_t len);

#endif
