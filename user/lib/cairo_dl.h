/* cairo_dl — cairo loaded at first use, not at program start.
 *
 * seep draws plots (detect/plot) and charts (snapshot/chart) with cairo,
 * which pulls in some fifty shared libraries (X11, fontconfig, freetype,
 * pixman, png…). Most runs never draw, so the program is not linked with
 * libcairo: this module defines the cairo functions seep calls, with
 * cairo.h's own prototypes, and each one dlopens "libcairo.so.2" on its
 * first call and forwards to the real function. Callers include
 * <cairo.h> as usual and change nothing.
 *
 * Invariants: libcairo is opened at most once (pthread_once) and never
 * closed; a function pointer is resolved once (atomically published).
 * Using a cairo function that is not defined here is a link error: add it
 * to cairo_dl.c. When libcairo cannot be loaded, the constructors return
 * NULL, the drawing calls do nothing, cairo_surface_status() and the PNG
 * writers return CAIRO_STATUS_NULL_POINTER and cairo_status_to_string()
 * names the load failure, so callers' existing status checks report it.
 */
#ifndef SEEP_LIB_CAIRO_DL_H
#define SEEP_LIB_CAIRO_DL_H

#include <stddef.h>

/* Loads libcairo now: 0, or -ENOENT with the loader's message in
 * ERR[LEN] ("cannot load 'libcairo.so.2': …"). Optional: every forwarded
 * function loads on first use; this lets a caller report the cause first. */
int cairo_dl__load(char *err, size_t len);

/* Whether libcairo has been loaded (1) or not yet/failed (0); for tests. */
int cairo_dl__loaded(void);

#endif
