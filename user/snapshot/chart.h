/* chart — a line chart of live bytes over time, as an SVG or PNG image.
 *
 * Drawn with cairo: one line per series (the top stacks of a snapshot
 * series), time in seconds on x, bytes on y (binary units), a legend under
 * the plot. The format follows the file name: ".svg" or ".png". The image
 * is written through store__write_file(), so it appears whole or not at all.
 * Pure drawing over plain data; the caller owns everything it passes in.
 */
#ifndef SEEP_CHART_H
#define SEEP_CHART_H

#include <stddef.h>

struct chart_line {
	const char *label;
	const double *y;         /* [npoints] */
};

struct chart {
	const char *title;
	size_t npoints;
	const double *x;         /* [npoints], seconds, increasing */
	size_t nlines;
	const struct chart_line *lines;
};

/* -EINVAL (logged) if PATH ends in neither .svg nor .png. */
int chart__write(const struct chart *c, const char *path);

#endif
