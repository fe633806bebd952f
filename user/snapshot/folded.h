/* folded — collapsed stacks, the input of flame graphs.
 *
 * One line per stack: its frames outermost first, joined by ';', a space,
 * and its value: "main;handle_request;xstrdup;malloc 307200". flamegraph.pl,
 * speedscope and inferno read it. A frame is named by its function, else
 * "MODULE+0xOFFSET" (module's base name), else "??"; ';' and line breaks in
 * names become ':' and ' '. Stacks that fold to the same line are summed;
 * lines come largest value first (then by name), and values <= 0 are left
 * out (a flame graph has no negative widths).
 * Ownership: the accumulator owns its lines; folded__free() accepts NULL.
 */
#ifndef SEEP_FOLDED_H
#define SEEP_FOLDED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "snapshot/report.h"

struct folded;

struct folded *folded__new(void);
void folded__free(struct folded *f);
/* Adds VALUE to the stack of N FRAMES (innermost first, as in reports). */
int folded__add(struct folded *f, const struct stack_frame *frames, size_t n, int64_t value);
int folded__write(const struct folded *f, FILE *out);

/* The live bytes of each stack of R, folded. */
int folded__write_report(const struct report *r, FILE *out);

#endif
