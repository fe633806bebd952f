/* httpsink — a loopback HTTP receiver for the tests of what seep sends
 * (remote_write, profile push): it records every request (method, path,
 * decoded query arguments, headers, body) and answers each with the next
 * status of a script (the last one repeats; 200 when none).
 * httpsink__new() listens on 127.0.0.1 on a free port (httpsink__port).
 * The server runs in its own thread (libmicrohttpd's); the accessors
 * lock: a request is visible once it has been answered.
 * Ownership: requests belong to the sink until httpsink__free().
 */
#ifndef SEEP_TEST_HTTPSINK_H
#define SEEP_TEST_HTTPSINK_H

#include <stddef.h>

#define HTTPSINK_MAX_KV 64

struct httpsink_req {
	char method[16];
	char path[512];
	char *args[HTTPSINK_MAX_KV][2];	/* decoded query arguments */
	size_t nargs;
	char *headers[HTTPSINK_MAX_KV][2];
	size_t nheaders;
	char *body;
	size_t len;
	unsigned status;		/* the answer it got */
};

struct httpsink;

struct httpsink *httpsink__new(const unsigned *statuses, size_t nstatuses);
void httpsink__free(struct httpsink *s);
int httpsink__port(const struct httpsink *s);
size_t httpsink__count(struct httpsink *s);
/* Request I (0: the first), or NULL; valid until httpsink__free(). */
const struct httpsink_req *httpsink__req(struct httpsink *s, size_t i);
/* Waits up to TIMEOUT_S for N requests: the count. */
size_t httpsink__wait(struct httpsink *s, size_t n, double timeout_s);
/* The value of argument or header NAME (headers: case-insensitive), or NULL. */
const char *httpsink__arg(const struct httpsink_req *r, const char *name);
const char *httpsink__header(const struct httpsink_req *r, const char *name);

#endif
