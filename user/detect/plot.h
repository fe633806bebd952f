/* plot — an SVG picture of a detection: the analysed series, the anomalous
 * window (shaded), the trend line over it, the threshold and, for Precog, the
 * end of the training part. Drawn with cairo: an SVG surface, or a PNG
 * image when PATH ends in ".png".
 *
 * cairo is loaded at the first plot (lib/cairo_dl), not at start-up.
 * Returns 0 or -errno (-ENOENT when libcairo cannot be loaded, -EIO when
 * cairo fails to write PATH).
 */
#ifndef SEEP_PLOT_H
#define SEEP_PLOT_H

#include "detect/detect.h"
#include "detect/series.h"

int plot__draw(const char *path, const char *title, const struct series *s,
	      const struct detect_result *r, double threshold, size_t split);

#endif
