/* consolidate — keep the most specific of near-equal patterns. See consolidate.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "contrast/consolidate.h"
#include "contrast/contrast.h"
#include "contrast/hierarchy.h"

static bool _covers(const struct hierarchy *h, const struct contrast_pattern *spec,
		    uint32_t gen_avp)
{
	for (uint32_t i = 0; i < spec->len; i++) {
		if (spec->avp[i] == gen_avp)
			return true;
		/* The AVP's attribute is looked up through the hierarchy's own
		 * copy, so this works without the data. */
		if (h && hierarchy__parent(h, spec->avp[i], hierarchy__avp_attr(h, gen_avp)) == gen_avp)
			return true;
	}
	return false;
}

bool consolidate__more_specific(const struct hierarchy *h, const struct contrast_pattern *spec,
				const struct contrast_pattern *gen)
{
	if (contrast_pattern__same(spec, gen))
		return false;
	for (uint32_t i = 0; i < gen->len; i++)
		if (!_covers(h, spec, gen->avp[i]))
			return false;
	return true;
}

static bool _comparable(double a, double b, double tolerance)
{
	double m = fmax(fabs(a), fabs(b));

	return fabs(a - b) <= tolerance * m;
}

static uint64_t _instances(const struct contrast_pattern *p)
{
	return p->count[0] + p->count[1];
}

int consolidate__run(const struct hierarchy *h, double tolerance, struct contrast_top *top)
{
	size_t n = contrast_top__len(top);
	bool *keep = malloc((n ? n : 1) * sizeof(*keep));

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		keep[i] = true;
	for (size_t i = 0; i < n; i++) {
		const struct contrast_pattern *a = contrast_top__get(top, i);

		for (size_t j = i + 1; j < n && keep[i]; j++) {
			const struct contrast_pattern *b = contrast_top__get(top, j);

			if (!keep[j] || !_comparable(a->score, b->score, tolerance))
				continue;
			if (consolidate__more_specific(h, a, b) && _instances(a) <= _instances(b))
				keep[j] = false;
			else if (consolidate__more_specific(h, b, a) && _instances(b) <= _instances(a))
				keep[i] = false;
		}
	}
	contrast_top__filter(top, keep);
	free(keep);
	return 0;
}
