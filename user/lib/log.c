/* log — diagnostics on stderr, or errors kept for the command; see log.h. */
#include "lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vec.h"

static int verbosity;

/* The kept errors: "msg; msg; ...", KEPT_LEN bytes plus a NUL. */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static bool keep;
static char *kept;
static size_t kept_len, kept_cap;

void log__set_verbosity(int v)
{
	verbosity = v;
}

int log__verbosity(void)
{
	return verbosity;
}

void log__keep_errors(bool on)
{
	pthread_mutex_lock(&kept_lock);
	keep = on;
	pthread_mutex_unlock(&kept_lock);
}

bool log__keeping_errors(void)
{
	bool on;

	pthread_mutex_lock(&kept_lock);
	on = keep;
	pthread_mutex_unlock(&kept_lock);
	return on;
}

/* Appends the message to the kept errors; 0, or -errno when it cannot be
 * kept (not keeping, no memory, a bad format). Called with the lock held. */
static int _keep(const char *fmt, va_list ap)
{
	size_t sep = kept_len ? 2 : 0;
	va_list aq;
	int n, err;

	if (!keep)
		return -EAGAIN;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return -EINVAL;
	if ((err = VEC_RESERVE(kept, kept_cap, kept_len + sep + (size_t)n + 1)))
		return err;
	memcpy(kept + kept_len, "; ", sep);
	vsnprintf(kept + kept_len + sep, (size_t)n + 1, fmt, ap);
	kept_len += sep + (size_t)n;
	return 0;
}

void log__vmsg(enum log_level level, const char *fmt, va_list ap)
{
	va_list aq;
	int kept_it;

	if ((int)level > LOG_WARN + verbosity)
		return;
	if (level == LOG_ERROR) {
		va_copy(aq, ap);
		pthread_mutex_lock(&kept_lock);
		kept_it = !_keep(fmt, aq);
		pthread_mutex_unlock(&kept_lock);
		va_end(aq);
		if (kept_it)
			return;
	}
	flockfile(stderr);
	fputs("seep: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

void log__msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vmsg(level, fmt, ap);
	va_end(ap);
}

char *log__take_errors(void)
{
	char *out = NULL;

	pthread_mutex_lock(&kept_lock);
	if (kept_len) {
		out = kept;
		kept = NULL;
		kept_len = kept_cap = 0;
	}
	pthread_mutex_unlock(&kept_lock);
	return out;
}
