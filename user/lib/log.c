#include "lib/log.h"

#include <stdio.h>

static int verbosity;

void log__set_verbosity(int v)
{
	verbosity = v;
}

int log__verbosity(void)
{
	return verbosity;
}

void log__vmsg(enum log_level level, const char *fmt, va_list ap)
{
	if ((int)level > LOG_WARN + verbosity)
		return;
	fputs("seep: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log__msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vmsg(level, fmt, ap);
	va_end(ap);
}
