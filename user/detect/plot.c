/* plot — SVG of a detection with cairo; see plot.h. */
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detect/plot.h"
#include "lib/cairo_dl.h"

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

/* The frame that holds S and, when it is close above the data, THRESHOLD,
 * with a margin on top. */
static void _frame_fit(struct frame *f, const struct series *s, double threshold)
{
	f->t0 = s->t[0];
	f->t1 = s->n > 1 ? s->t[s->n - 1] : s->t[0] + 1;
	f->v0 = INFINITY;
	f->v1 = -INFINITY;
	for (size_t i = 0; i < s->n; i++) {
		f->v0 = fmin(f->v0, s->v[i]);
		f->v1 = fmax(f->v1, s->v[i]);
	}
	if (threshold > f->v1 && threshold < f->v1 + (f->v1 - f->v0 + 1) * 0.5)
		f->v1 = threshold;
	if (f->v1 - f->v0 < 1e-9) {
		f->v0 -= 1;
		f->v1 += 1;
	}
	f->v1 += (f->v1 - f->v0) * 0.05;
}

/* The anomalous window, shaded. */
static void _draw_window(cairo_t *cr, const struct frame *f, const struct detect_result *r)
{
	cairo_set_source_rgba(cr, 0.9, 0.2, 0.2, 0.18);
	cairo_rectangle(cr, px(f, r->window_start), MT,
			px(f, r->window_end) - px(f, r->window_start), H - MT - MB);
	cairo_fill(cr);
}

/* A dashed line from (X0, Y0) to (X1, Y1) in device units. */
static void _dashed(cairo_t *cr, double on, double off, double x0, double y0, double x1,
		    double y1)
{
	cairo_set_dash(cr, (double[]){ on, off }, 2, 0);
	cairo_move_to(cr, x0, y0);
	cairo_line_to(cr, x1, y1);
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
}

/* The end of Precog's training part: a grey vertical at time T. */
static void _draw_split(cairo_t *cr, const struct frame *f, double t)
{
	cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
	_dashed(cr, 4, 4, px(f, t), MT, px(f, t), H - MB);
}

/* The threshold: an orange horizontal. */
static void _draw_threshold(cairo_t *cr, const struct frame *f, double threshold)
{
	cairo_set_source_rgb(cr, 0.8, 0.5, 0.0);
	_dashed(cr, 6, 3, ML, py(f, threshold), W - MR, py(f, threshold));
}

static void _draw_series(cairo_t *cr, const struct frame *f, const struct series *s)
{
	cairo_set_source_rgb(cr, 0.1, 0.3, 0.7);
	cairo_set_line_width(cr, 1.2);
	for (size_t i = 0; i < s->n; i++)
		(i ? cairo_line_to : cairo_move_to)(cr, px(f, s->t[i]), py(f, s->v[i]));
	cairo_stroke(cr);
}

/* The trend over the window, clipped to the plot area. */
static void _draw_trend(cairo_t *cr, const struct frame *f, const struct detect_result *r)
{
	double hours = (r->window_end - r->window_start) / 3600.0;
	double v_end = r->intercept + r->slope_per_hour * hours;

	cairo_save(cr);
	cairo_rectangle(cr, ML, MT, W - ML - MR, H - MT - MB);
	cairo_clip(cr);
	cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
	cairo_set_line_width(cr, 2);
	/* with restarts, the trend is the leak's growth with every restart
	 * added back: dashed, it runs above the teeth */
	if (r->restarts)
		cairo_set_dash(cr, (double[]){ 8, 4 }, 2, 0);
	cairo_move_to(cr, px(f, r->window_start), py(f, r->intercept));
	cairo_line_to(cr, px(f, r->window_end), py(f, v_end));
	cairo_stroke(cr);
	cairo_restore(cr);
}

/* The verdict as the title line. */
static void _draw_title(cairo_t *cr, const char *title, const struct detect_result *r)
{
	char buf[256];

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
}

static int _is_png(const char *path)
{
	size_t len = strlen(path);

	return len > 4 && !strcmp(path + len - 4, ".png");
}

/* Writes SURF out (PATH for a PNG; an SVG surface writes itself) and frees
 * it: 0 or -EIO. */
static int _surface_close(cairo_surface_t *surf, const char *path, int png)
{
	cairo_status_t st = png ? cairo_surface_write_to_png(surf, path) : CAIRO_STATUS_SUCCESS;

	cairo_surface_finish(surf);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	return st == CAIRO_STATUS_SUCCESS ? 0 : -EIO;
}

int plot__draw(const char *path, const char *title, const struct series *s,
	      const struct detect_result *r, double threshold, size_t split)
{
	int png = _is_png(path);
	cairo_surface_t *surf;
	struct frame f;
	cairo_t *cr;

	if (!s->n)
		return -EINVAL;
	if (cairo_dl__load(NULL, 0))
		return -ENOENT;
	_frame_fit(&f, s, threshold);
	surf = png ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)W, (int)H)
		   : cairo_svg_surface_create(path, W, H);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(surf);
		return -EIO;
	}
	cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	if (r->leak)
		_draw_window(cr, &f, r);
	if (split > 0 && split < s->n)
		_draw_split(cr, &f, s->t[split]);
	if (threshold >= f.v0 && threshold <= f.v1)
		_draw_threshold(cr, &f, threshold);
	_draw_series(cr, &f, s);
	if (r->leak)
		_draw_trend(cr, &f, r);
	axes(cr, &f);
	_draw_title(cr, title, r);
	cairo_destroy(cr);
	return _surface_close(surf, path, png);
}
