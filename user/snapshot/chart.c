#include "snapshot/chart.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/vec.h"
#include "snapshot/store.h"

#define WIDTH 960
#define PLOT_H 420
#define LEFT 90
#define RIGHT 30
#define TOP 50
#define LEGEND_ROW 20

static const double palette[][3] = {
	{ 0.84, 0.15, 0.16 }, { 0.12, 0.47, 0.71 }, { 0.17, 0.63, 0.17 }, { 1.00, 0.50, 0.05 },
	{ 0.58, 0.40, 0.74 }, { 0.55, 0.34, 0.29 }, { 0.89, 0.47, 0.76 }, { 0.50, 0.50, 0.50 },
};

struct membuf {
	unsigned char *data;
	size_t len, cap;
};

static cairo_status_t _append(void *closure, const unsigned char *data, unsigned int len)
{
	struct membuf *m = closure;

	if (len > SIZE_MAX - m->len || VEC_RESERVE(m->data, m->cap, m->len + len))
		return CAIRO_STATUS_NO_MEMORY;
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return CAIRO_STATUS_SUCCESS;
}

/* A round step giving about N ticks over [0, MAX]; binary steps for bytes. */
static double _step(double max, int n, bool bytes)
{
	double raw = max / n, p;

	if (raw <= 0)
		return 1;
	if (bytes && raw >= 1024) {
		p = pow(2, ceil(log2(raw)));
		return p;
	}
	p = pow(10, floor(log10(raw)));
	if (raw / p > 5)
		return 10 * p;
	if (raw / p > 2)
		return 5 * p;
	return raw / p > 1 ? 2 * p : p;
}

static void _axes(cairo_t *cr, const struct chart *c, double xmax, double ymax, double xstep,
		  double ystep)
{
	char label[32];

	cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
	cairo_set_line_width(cr, 1);
	for (double y = 0; y <= ymax + ystep / 2; y += ystep) {
		double py = TOP + PLOT_H - y / ymax * PLOT_H;

		cairo_move_to(cr, LEFT, py);
		cairo_line_to(cr, WIDTH - RIGHT, py);
	}
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
	cairo_set_font_size(cr, 12);
	for (double y = 0; y <= ymax + ystep / 2; y += ystep) {
		fmt__bytes((int64_t)y, false, label, sizeof(label));
		cairo_move_to(cr, 8, TOP + PLOT_H - y / ymax * PLOT_H + 4);
		cairo_show_text(cr, label);
	}
	for (double x = 0; x <= xmax + xstep / 2; x += xstep) {
		double px = LEFT + x / xmax * (WIDTH - LEFT - RIGHT);

		snprintf(label, sizeof(label), "%g s", x);
		cairo_move_to(cr, px - 10, TOP + PLOT_H + 18);
		cairo_show_text(cr, label);
	}
	cairo_rectangle(cr, LEFT, TOP, WIDTH - LEFT - RIGHT, PLOT_H);
	cairo_stroke(cr);
	cairo_set_font_size(cr, 16);
	cairo_move_to(cr, LEFT, TOP - 20);
	cairo_show_text(cr, c->title ? c->title : "live heap by stack");
}

static void _draw(cairo_t *cr, const struct chart *c)
{
	double xmax = 0, ymax = 0, xstep, ystep;

	for (size_t i = 0; i < c->npoints; i++)
		xmax = fmax(xmax, c->x[i]);
	for (size_t l = 0; l < c->nlines; l++)
		for (size_t i = 0; i < c->npoints; i++)
			ymax = fmax(ymax, c->lines[l].y[i]);
	xstep = _step(xmax > 0 ? xmax : 1, 8, false);
	ystep = _step(ymax > 0 ? ymax : 1024, 6, true);
	xmax = fmax(ceil(xmax / xstep) * xstep, xstep);
	ymax = fmax(ceil(ymax / ystep) * ystep, ystep);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	_axes(cr, c, xmax, ymax, xstep, ystep);
	for (size_t l = 0; l < c->nlines; l++) {
		const double *rgb = palette[l % (sizeof(palette) / sizeof(palette[0]))];
		double ly = TOP + PLOT_H + 45 + (double)l * LEGEND_ROW;

		cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
		cairo_set_line_width(cr, 2.5);
		for (size_t i = 0; i < c->npoints; i++) {
			double px = LEFT + c->x[i] / xmax * (WIDTH - LEFT - RIGHT);
			double py = TOP + PLOT_H - c->lines[l].y[i] / ymax * PLOT_H;

			if (i)
				cairo_line_to(cr, px, py);
			else
				cairo_move_to(cr, px, py);
		}
		cairo_stroke(cr);
		cairo_rectangle(cr, LEFT, ly - 10, 24, 10);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
		cairo_set_font_size(cr, 12);
		cairo_move_to(cr, LEFT + 32, ly);
		cairo_show_text(cr, c->lines[l].label);
	}
}

static bool _ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcasecmp(s + n - k, suffix);
}

int chart__write(const struct chart *c, const char *path)
{
	double height = TOP + PLOT_H + 50 + (double)c->nlines * LEGEND_ROW;
	bool svg = _ends_with(path, ".svg");
	struct membuf m = { 0 };
	cairo_surface_t *surface;
	cairo_status_t st;
	cairo_t *cr;
	int err;

	if (!svg && !_ends_with(path, ".png")) {
		pr_err("cannot write chart '%s': the name must end in .svg or .png", path);
		return -EINVAL;
	}
	surface = svg ? cairo_svg_surface_create_for_stream(_append, &m, WIDTH, height)
		      : cairo_image_surface_create(CAIRO_FORMAT_RGB24, WIDTH, (int)height);
	cr = cairo_create(surface);
	_draw(cr, c);
	cairo_destroy(cr);
	if (svg) {
		cairo_surface_finish(surface);
		st = cairo_surface_status(surface);
	} else {
		st = cairo_surface_write_to_png_stream(surface, _append, &m);
	}
	cairo_surface_destroy(surface);
	if (st != CAIRO_STATUS_SUCCESS || !m.len) {
		pr_err("cannot draw chart '%s': %s", path, cairo_status_to_string(st));
		free(m.data);
		return -EIO;
	}
	err = store__write_file(path, m.data, m.len, true);
	free(m.data);
	return err;
}
