/* html — a diagnosis as one self-contained HTML page: what `seep diagnose
 * --html OUT` writes and the daemon serves for a collection.
 *
 * The page needs nothing from the network: its CSS, its script and the
 * data it draws are inline, the charts inline SVG drawn by the script:
 *  - the live heap over the series, the leak window shaded (from the
 *    first interval in which the leaking stacks together grew to the last
 *    one), the leaks' own sum drawn under it;
 *  - per-stack lines of the top stacks (HTML_LINES at most) by verdict rank;
 *  - a flame graph of the growth: each stack's growth (last - first live
 *    bytes, positive only) on its frames, outermost at the bottom, widths
 *    by bytes, a hover title per frame with its bytes and share;
 * and as HTML: the process-level verdict, the contrast patterns
 * (stackcontrast.h), the evidence table (verdict, confidence, function and
 * site, live bytes, slope with its interval, tail slope, R^2, the
 * Mann-Kendall p, intervals grown, age slope, turnover, reason).
 * Every string from the snapshots (functions, files, process names) is
 * escaped for where it goes: HTML text and attributes (& < > " '), and
 * the script's JSON data, where '<', '>' and '&' are \u escapes, so no
 * name closes the script element or opens markup. The script sets
 * data-rendered="1" on <body> when the charts are drawn, and
 * data-js-error on <html> with the message if anything throws.
 *
 * Ownership: nothing is kept; the caller's diagnosis and patterns are only
 * read. Errors: 0 or -errno (-EIO when writing fails).
 */
#ifndef SEEP_DIAGNOSE_HTML_H
#define SEEP_DIAGNOSE_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HTML_LINES 8

struct diagnosis;
struct stackcontrast;

struct html_input {
	const struct diagnosis *d;
	const struct stackcontrast *sc;   /* may be NULL: no patterns */
	const char *title;                /* the series (a directory, a collection) */
	size_t top;                       /* rows of the evidence table */
};

int html__write(const struct html_input *in, FILE *out);

/* Loads the series in DIR, diagnoses it, finds its patterns and renders
 * the page into *BODY (malloc'd, *LEN bytes) under TITLE. A series too
 * short for verdicts still renders (no verdicts). On failure, a message
 * in MSG. */
int html__render_dir(const char *dir, const char *title, char **body, size_t *len,
		     char *msg, size_t mlen);

/* 0 and *ID when PATH is "/api/collections/ID/report.html" (the daemon's
 * address of a collection's page, ID decimal), else -ENOENT. */
int html__route(const char *path, uint64_t *id);

/* Writes S escaped for HTML text or a quoted attribute. */
void html__escape(FILE *out, const char *s);

#endif
