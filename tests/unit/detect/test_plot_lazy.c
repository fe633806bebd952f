/* plot draws through lib/cairo_dl: libcairo is not in the process until the
 * first plot, and is there (and works) after it. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "detect/detect.h"
#include "detect/plot.h"
#include "detect/series.h"
#include "lib/cairo_dl.h"

/* Whether libcairo is mapped in this process (RTLD_NOLOAD opens nothing). */
static int cairo_mapped(void)
{
	void *h = dlopen("libcairo.so.2", RTLD_NOW | RTLD_NOLOAD);

	if (h)
		dlclose(h);
	return h != NULL;
}

Test(plot_lazy, cairo_loads_at_the_first_plot)
{
	char path[] = "/tmp/seep-plot-lazy-XXXXXX.svg", head[6] = { 0 };
	struct detect_result r = { 0 };
	struct series s;
	FILE *f;
	int fd;

	cr_assert_not(cairo_mapped(), "libcairo is linked into the test: it should load lazily");
	cr_assert_not(cairo_dl__loaded());
	cr_assert_eq(series__init(&s, 100), 0);
	for (size_t i = 0; i < s.n; i++) {
		s.t[i] = 1.3e9 + 300.0 * (double)i;
		s.v[i] = 40 + 0.1 * (double)i;
	}
	r.pattern = PATTERN_STEADY;
	fd = mkstemps(path, 4);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(plot__draw(path, "lazy", &s, &r, 100, 0), 0);
	cr_assert(cairo_dl__loaded());
	cr_assert(cairo_mapped());
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_eq(fread(head, 1, 5, f), 5);
	fclose(f);
	cr_assert_str_eq(head, "<?xml", "not an SVG: '%s'", head);
	unlink(path);
	series__release(&s);
}
