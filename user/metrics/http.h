/* http — the daemon's HTTP server (libmicrohttpd), run from its main loop.
 *
 * http__new() listens on ADDR:PORT (an IPv4 or IPv6 address, default
 * 127.0.0.1; whether a non-loopback address is allowed is the caller's
 * policy: http__is_loopback()) and
 * does no work by itself: the caller polls http__fd() and calls
 * http__run() when it is readable (or at least every http__timeout_ms()).
 * Each GET, HEAD or POST (its body, if any, is ignored: POST takes its
 * arguments from the query string) is answered by the HANDLER: it returns
 * a body it malloc'ed (the server frees it), a content type and a status
 * (200 unless it sets another), or -ENOENT (404), -errno (500). Other
 * methods get 405. Single-threaded: the handler runs inside
 * http__run(), so it may read the caller's state without locks.
 * Returns 0 or -errno; http__new writes a message into ERR on failure.
 */
#ifndef SEEP_HTTP_H
#define SEEP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct http_request {
	const char *method;	/* "GET", "HEAD", "POST" */
	const char *path;	/* without the query string */
	void *conn;		/* for http__arg() */
};

/* The query argument NAME of REQ, or NULL. */
const char *http__arg(const struct http_request *req, const char *name);

typedef int http_handler_fn(const struct http_request *req, char **body, size_t *len,
			    const char **type, unsigned *status, void *ctx);

struct http;

int http__new(const char *addr, uint16_t port, http_handler_fn *fn, void *ctx, struct http **out,
	      char *err, size_t errlen);
void http__free(struct http *h);
int http__fd(const struct http *h);
int http__run(struct http *h);
/* Parses "A.B.C.D:PORT", "[IPv6]:PORT", ":PORT" or "PORT" (ADDR 127.0.0.1)
 * into ADDR (without brackets) and *PORT; -EINVAL otherwise (a bare IPv6
 * address without brackets, a port out of 1..65535, a host name). */
int http__parse_listen(const char *s, char *addr, size_t addrlen, uint16_t *port);
/* The socket address of a numeric IPv4 or IPv6 ADDR. */
int http__sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len);
/* ADDR is 127.0.0.0/8 or ::1. */
bool http__is_loopback(const char *addr);
/* "A.B.C.D:PORT" or "[IPv6]:PORT", for messages. */
void http__format_addr(const char *addr, uint16_t port, char *out, size_t outlen);

#endif
