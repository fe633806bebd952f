/* cairo_dl — cairo loaded at first use; see cairo_dl.h. */
#include <cairo.h>
#include <cairo-svg.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "lib/cairo_dl.h"

#define CAIRO_SONAME "libcairo.so.2"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *handle;
static char load_error[256];

static void _load(void)
{
	const char *why;

	handle = dlopen(CAIRO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (handle)
		return;
	why = dlerror();
	snprintf(load_error, sizeof(load_error), "cannot load '%s': %s", CAIRO_SONAME,
		 why ? why : "unknown error");
}

int cairo_dl__load(char *err, size_t len)
{
	pthread_once(&load_once, _load);
	if (handle)
		return 0;
	if (err && len)
		snprintf(err, len, "%s", load_error);
	return -ENOENT;
}

int cairo_dl__loaded(void)
{
	return __atomic_load_n(&handle, __ATOMIC_ACQUIRE) != NULL;
}

/* The real NAME from libcairo, resolved once into *SLOT; NULL when
 * libcairo or the symbol is missing. */
static void *_sym(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (fn)
		return fn;
	if (cairo_dl__load(NULL, 0))
		return NULL;
	fn = dlsym(handle, name);
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

/* A forwarded function returning RET (FAIL when cairo is missing). */
#define FORWARD(ret, fail, name, params, args)                                   \
	ret name params                                                          \
	{                                                                        \
		static void *slot;                                               \
		ret (*fn) params = (ret (*) params)_sym(&slot, #name);           \
		return fn ? fn args : (fail);                                    \
	}

/* A forwarded function returning nothing. */
#define FORWARD_VOID(name, params, args)                                         \
	void name params                                                         \
	{                                                                        \
		static void *slot;                                               \
		void (*fn) params = (void (*) params)_sym(&slot, #name);         \
		if (fn)                                                          \
			fn args;                                                 \
	}

/* surfaces */
FORWARD(cairo_surface_t *, NULL, cairo_image_surface_create,
	(cairo_format_t format, int width, int height), (format, width, height))
FORWARD(cairo_surface_t *, NULL, cairo_svg_surface_create,
	(const char *filename, double width, double height), (filename, width, height))
FORWARD(cairo_surface_t *, NULL, cairo_svg_surface_create_for_stream,
	(cairo_write_func_t write_func, void *closure, double width, double height),
	(write_func, closure, width, height))
FORWARD(cairo_status_t, CAIRO_STATUS_NULL_POINTER, cairo_surface_status,
	(cairo_surface_t *surface), (surface))
FORWARD(cairo_status_t, CAIRO_STATUS_NULL_POINTER, cairo_surface_write_to_png,
	(cairo_surface_t *surface, const char *filename), (surface, filename))
FORWARD(cairo_status_t, CAIRO_STATUS_NULL_POINTER, cairo_surface_write_to_png_stream,
	(cairo_surface_t *surface, cairo_write_func_t write_func, void *closure),
	(surface, write_func, closure))
FORWARD_VOID(cairo_surface_finish, (cairo_surface_t *surface), (surface))
FORWARD_VOID(cairo_surface_destroy, (cairo_surface_t *surface), (surface))

/* contexts */
FORWARD(cairo_t *, NULL, cairo_create, (cairo_surface_t *target), (target))
FORWARD_VOID(cairo_destroy, (cairo_t *cr), (cr))
FORWARD_VOID(cairo_save, (cairo_t *cr), (cr))
FORWARD_VOID(cairo_restore, (cairo_t *cr), (cr))

/* drawing */
FORWARD_VOID(cairo_set_source_rgb, (cairo_t *cr, double red, double green, double blue),
	     (cr, red, green, blue))
FORWARD_VOID(cairo_set_source_rgba,
	     (cairo_t *cr, double red, double green, double blue, double alpha),
	     (cr, red, green, blue, alpha))
FORWARD_VOID(cairo_set_line_width, (cairo_t *cr, double width), (cr, width))
FORWARD_VOID(cairo_set_dash, (cairo_t *cr, const double *dashes, int num_dashes, double offset),
	     (cr, dashes, num_dashes, offset))
FORWARD_VOID(cairo_move_to, (cairo_t *cr, double x, double y), (cr, x, y))
FORWARD_VOID(cairo_line_to, (cairo_t *cr, double x, double y), (cr, x, y))
FORWARD_VOID(cairo_rectangle, (cairo_t *cr, double x, double y, double width, double height),
	     (cr, x, y, width, height))
FORWARD_VOID(cairo_stroke, (cairo_t *cr), (cr))
FORWARD_VOID(cairo_fill, (cairo_t *cr), (cr))
FORWARD_VOID(cairo_paint, (cairo_t *cr), (cr))
FORWARD_VOID(cairo_clip, (cairo_t *cr), (cr))

/* text */
FORWARD_VOID(cairo_select_font_face,
	     (cairo_t *cr, const char *family, cairo_font_slant_t slant,
	      cairo_font_weight_t weight),
	     (cr, family, slant, weight))
FORWARD_VOID(cairo_set_font_size, (cairo_t *cr, double size), (cr, size))
FORWARD_VOID(cairo_show_text, (cairo_t *cr, const char *utf8), (cr, utf8))

/* Names the load failure when libcairo is missing. */
const char *cairo_status_to_string(cairo_status_t status)
{
	static void *slot;
	const char *(*fn)(cairo_status_t) = (const char *(*)(cairo_status_t))_sym(&slot,
										 "cairo_status_to_string");

	return fn ? fn(status) : load_error;
}
