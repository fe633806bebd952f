/* http — libmicrohttpd without threads of its own; see http.h. */
#include "metrics/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http {
	struct MHD_Daemon *d;
	http_handler_fn *fn;
	void *ctx;
};

static enum MHD_Result _answer(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_len, void **state)
{
	struct http *h = cls;
	struct MHD_Response *r;
	const char *type = "text/plain; charset=utf-8";
	char *body = NULL;
	size_t len = 0;
	unsigned status = MHD_HTTP_OK;
	enum MHD_Result ret;
	int err;

	struct http_request req = { .method = method, .path = url, .conn = conn };
	static int posted;

	(void)version, (void)upload;
	if (!strcmp(method, "POST")) {
		/* the first call only announces the request; a body is skipped */
		if (!*state) {
			*state = &posted;
			return MHD_YES;
		}
		if (*upload_len) {
			*upload_len = 0;
			return MHD_YES;
		}
	} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		static const char msg[] = "{\"error\":\"method not allowed\"}\n";

		r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
						    MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		type = "application/json";
		goto send;
	}
	err = h->fn(&req, &body, &len, &type, &status, h->ctx);
	if (err) {
		/* the same {"error"} object as every other error of the API */
		static const char nf[] = "{\"error\":\"not found\"}\n",
				  fail[] = "{\"error\":\"internal error\"}\n";
		const char *msg = err == -ENOENT ? nf : fail;

		status = err == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR;
		r = MHD_create_response_from_buffer(strlen(msg), (void *)msg,
						    MHD_RESPMEM_PERSISTENT);
		type = "application/json";
	} else {
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	}
send:
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

const char *http__arg(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int http__parse_listen(const char *s, char *addr, size_t addrlen, uint16_t *port)
{
	const char *colon, *p, *host = s;
	size_t hostlen;
	char *end;
	unsigned long v;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (s[0] == '[') {
		/* [IPv6]:PORT */
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon && memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;	/* a bare IPv6 address: brackets needed */
		hostlen = colon ? (size_t)(colon - s) : 0;
	}
	p = colon ? colon + 1 : s;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (end == p || *end || *p == '-' || *p == '+' || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	if (!hostlen) {
		if (s[0] == '[')
			return -EINVAL;
		snprintf(addr, addrlen, "127.0.0.1");
		return 0;
	}
	if (hostlen >= addrlen)
		return -EINVAL;
	memcpy(addr, host, hostlen);
	addr[hostlen] = '\0';
	if (http__sockaddr(addr, *port, &ss, &sl))
		return -EINVAL;
	/* IPv6 only in brackets, IPv4 only without */
	return (ss.ss_family == AF_INET6) == (s[0] == '[') ? 0 : -EINVAL;
}

int http__sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

bool http__is_loopback(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (http__sockaddr(addr, 0, &ss, &len))
		return false;
	if (ss.ss_family == AF_INET)
		return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

void http__format_addr(const char *addr, uint16_t port, char *out, size_t outlen)
{
	snprintf(out, outlen, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

int http__new(const char *addr, uint16_t port, http_handler_fn *fn, void *ctx, struct http **out,
	      char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned flags = MHD_USE_EPOLL;
	char shown[96];

	*out = NULL;
	if (!h)
		return -ENOMEM;
	if (!addr)
		addr = "127.0.0.1";
	http__format_addr(addr, port, shown, sizeof(shown));
	if (http__sockaddr(addr, port, &ss, &sl)) {
		snprintf(err, errlen, "cannot listen on '%s': not an IPv4 or IPv6 address", shown);
		free(h);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->fn = fn;
	h->ctx = ctx;
	errno = 0;
	h->d = MHD_start_daemon(flags, port, NULL, NULL, _answer, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, 64u,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!h->d) {
		int e = errno ? errno : EADDRINUSE;

		snprintf(err, errlen, "cannot listen on '%s': %s", shown, strerror(e));
		free(h);
		return -e;
	}
	*out = h;
	return 0;
}

void http__free(struct http *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	free(h);
}

int http__fd(const struct http *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

int http__run(struct http *h)
{
	return MHD_run(h->d) == MHD_YES ? 0 : -EIO;
}
