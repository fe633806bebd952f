/* seep_version.h — the one version string: `seep --version`, and the
 * User-Agent of what the daemon sends (remote_write, profile push). */
#ifndef SEEP_VERSION_H
#define SEEP_VERSION_H

#ifndef SEEP_VERSION
#define SEEP_VERSION "0.1.0"
#endif

#endif
