/* plot — SVG of a detection with cairo; see plot.h. */
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detect/plot.h"

#define W 960.0
#define H 420.0
#define ML 60.0
#define MR 20.0
#define MT 36.0
#define MB 40.0

struct frame {
	double t0, t1, v0, v1;
};

static double px(const struct frame *f, double t)
{
	return ML + (t - f->t0) / (f->t1 - f->t0) * (W - ML - MR);
}

static double py(const struct frame *f, double v)
{
	return H - MB - (v - f->v0) / (f->v1 - f->v0) * (H - MT - MB);
}

static void axes(cairo_t *cr, const struct frame *f)
{
	char buf[64];

	cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
	cairo_stroke(cr);
	cairo_set_font_size(cr, 11);
	for (int k = 0; k <= 4; k++) {
		double v = f->v0 + (f->v1 - f->v0) * k / 4.0;
		double t = f->t0 + (f->t1 - f->t0) * k / 4.0;
		time_t tt = (time_t)t;
		struct tm tm;

		snprintf(buf, sizeof(buf), "%.3g", v);
		cairo_move_to(cr, 4, py(f, v) + 4);
		cairo_show_text(cr, buf);
		gmtime_r(&tt, &tm);
		strftime(buf, sizeof(buf), "%m-%d %H:%M", &tm);
		cairo_move_to(cr, px(f, t) - (k == 4 ? 60 : k ? 30 : 0), H - MB + 16);
		cairo_show_text(cr, buf);
	}
}

int plot__draw(const char *path, const char *title, const struct series *s,
	      const struct detect_result *r, double threshold, size_t split)
{
	struct frame f = { .v0 = INFINITY, .v1 = -INFINITY };
	cairo_surface_t *surf;
	cairo_status_t st;
	cairo_t *cr;
	char buf[256];
	int png;

	if (!s->n)
		return -EINVAL;
	f.t0 = s->t[0];
	f.t1 = s->n > 1 ? s->t[s->n - 1] : s->t[0] + 1;
	for (size_t i = 0; i < s->n; i++) {
		f.v0 = fmin(f.v0, s->v[i]);
		f.v1 = fmax(f.v1, s->v[i]);
	}
	if (threshold > f.v1 && threshold < f.v1 + (f.v1 - f.v0 + 1) * 0.5)
		f.v1 = threshold;
	if (f.v1 - f.v0 < 1e-9) {
		f.v0 -= 1;
		f.v1 += 1;
	}
	f.v1 += (f.v1 - f.v0) * 0.05;
	png = strlen(path) > 4 && !strcmp(path + strlen(path) - 4, ".png");
	surf = png ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)W, (int)H)
		   : cairo_svg_surface_create(path, W, H);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surf);
		return -EIO;
	}
	cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	if (r->leak) {
		cairo_set_source_rgba(cr, 0.9, 0.2, 0.2, 0.18);
		cairo_rectangle(cr, px(&f, r->window_start), MT,
				px(&f, r->window_end) - px(&f, r->window_start), H - MT - MB);
		cairo_fill(cr);
	}
	if (split > 0 && split < s->n) {
		cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
		cairo_set_dash(cr, (double[]){ 4, 4 }, 2, 0);
		cairo_move_to(cr, px(&f, s->t[split]), MT);
		cairo_line_to(cr, px(&f, s->t[split]), H - MB);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
	}
	if (threshold >= f.v0 && threshold <= f.v1) {
		cairo_set_source_rgb(cr, 0.8, 0.5, 0.0);
		cairo_set_dash(cr, (double[]){ 6, 3 }, 2, 0);
		cairo_move_to(cr, ML, py(&f, threshold));
		cairo_line_to(cr, W - MR, py(&f, threshold));
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
	}
	cairo_set_source_rgb(cr, 0.1, 0.3, 0.7);
	cairo_set_line_width(cr, 1.2);
	for (size_t i = 0; i < s->n; i++)
		(i ? cairo_line_to : cairo_move_to)(cr, px(&f, s->t[i]), py(&f, s->v[i]));
	cairo_stroke(cr);
	if (r->leak) {
		double hours = (r->window_end - r->window_start) / 3600.0;
		double v_end = r->intercept + r->slope_per_hour * hours;

		cairo_save(cr);
		cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
		cairo_clip(cr);
		cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
		cairo_set_line_width(cr, 2);
		/* with restarts, the trend is the leak's growth with every
		 * restart added back: dashed, it runs above the teeth */
		if (r->restarts)
			cairo_set_dash(cr, (double[]){ 8, 4 }, 2, 0);
		cairo_move_to(cr, px(&f, r->window_start), py(&f, r->intercept));
		cairo_line_to(cr, px(&f, r->window_end), py(&f, v_end));
		cairo_stroke(cr);
		cairo_restore(cr);
	}
	axes(cr, &f);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_font_size(cr, 13);
	if (r->leak)
		snprintf(buf, sizeof(buf), "%s — %s: leak, %s%s, slope %.3g/h, R² %.2f",
			 title, detect__algo_name(r->algo), detect__pattern_name(r->pattern),
			 r->restarts ? " (trend with restarts added back)" : "",
			 r->slope_per_hour, r->r2);
	else
		snprintf(buf, sizeof(buf), "%s — %s: no leak (%s)", title,
			 detect__algo_name(r->algo), detect__pattern_name(r->pattern));
	cairo_move_to(cr, ML, 22);
	cairo_show_text(cr, buf);
	cairo_destroy(cr);
	st = png ? cairo_surface_write_to_png(surf, path) : CAIRO_STATUS_SUCCESS;
	cairo_surface_finish(surf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	return st == CAIRO_STATUS_SUCCESS ? 0 : -EIO;
}
