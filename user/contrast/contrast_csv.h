/* contrast_csv — loading CONAN instances from a CSV file.
 *
 * The file has a header row. One column holds the class: rows equal to the
 * target value are the target class, the others the background (or only the
 * rows equal to the background value, when one is given; the rest are
 * skipped). An optional count column makes each row stand for that many
 * instances (the aggregated format); an optional metric column carries the
 * instances' metric, a number or a bucket label (contrast__parse_metric).
 * The attributes are the listed columns, or every other column.
 *
 * Errors are -errno with a message in ERR naming the file, the line and the
 * column: a missing column, a malformed record, a bad count or metric, an
 * empty target or background class. Ownership: *OUT (finalized) belongs to
 * the caller, free it with contrast_data__free().
 */
#ifndef SEEP_CONTRAST_CSV_H
#define SEEP_CONTRAST_CSV_H

#include <stddef.h>

struct contrast_data;

struct contrast_csv_opts {
	const char *class_col;           /* required */
	const char *target;              /* required */
	const char *background;          /* NULL: every other class value */
	const char *count_col;           /* NULL: each row is one instance */
	const char *metric_col;          /* NULL: no metric */
	const char *const *attrs;        /* NULL: every other column */
	size_t nattrs;
	const char *const *ignore;       /* columns left out of the attributes */
	size_t nignore;
	char delim;                      /* 0: ',' */
};

int contrast_csv__load(const char *path, const struct contrast_csv_opts *o,
		       struct contrast_data **out, char *err, size_t errlen);

#endif
