/* expo — the Prometheus text exposition (0.0.4) read back into series, the
 * form remote_write sends: what /metrics shows is what leaves the host.
 *
 * expo__parse() reads TEXT (as metrics/prom.h writes it: comment lines,
 * then `name{k="v",...} value` lines with \\, \" and \n escapes) into
 * series whose labels are sorted by name, __name__ among them. EXTRA
 * labels (e.g. host, and the [remote_write] labels) are added to every
 * series that does not already carry one of that name; a series keeps
 * its own. Series are in the order of the text.
 * Each series' key (its labels as "name\0value\0..." back to back) and
 * the key's hash identify it across calls (the stale-marker bookkeeping).
 * Ownership: the set owns its series and strings; expo__release() frees
 * them and accepts a zeroed set. Returns 0, -ENOMEM, or -EINVAL with the
 * offending line's number in ERR.
 */
#ifndef SEEP_FLEET_EXPO_H
#define SEEP_FLEET_EXPO_H

#include <stddef.h>
#include <stdint.h>

struct expo_label {
	const char *name, *value;
};

struct expo_series {
	struct expo_label *labels;	/* sorted by name */
	size_t nlabels;
	double value;
	char *key;			/* the labels, "name\0value\0" each */
	size_t keylen;
	uint64_t hash;			/* of key */
};

struct expo_set {
	struct expo_series *s;
	size_t n, cap;
};

int expo__parse(const char *text, const struct expo_label *extra, size_t nextra,
		struct expo_set *out, char *err, size_t errlen);
void expo__release(struct expo_set *set);
/* Labels of a key (as expo_series.key) into a new series with VALUE. */
int expo__from_key(const char *key, size_t keylen, double value, struct expo_series *out);
void expo_series__release(struct expo_series *s);

#endif
