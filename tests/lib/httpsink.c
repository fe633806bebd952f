/* httpsink — a recording loopback HTTP receiver; see httpsink.h. */
#include "httpsink.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/vec.h"

#define MAX_REQS 1024

struct conn {
	char *body;
	size_t len, cap;
};

struct httpsink {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	unsigned statuses[16];
	size_t nstatuses;
	struct httpsink_req *reqs[MAX_REQS];
	size_t n;
};

static enum MHD_Result _kv(void *ctx, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct httpsink_req *r = ctx;

	if (kind == MHD_GET_ARGUMENT_KIND && r->nargs < HTTPSINK_MAX_KV) {
		r->args[r->nargs][0] = strdup(k);
		r->args[r->nargs++][1] = strdup(v ? v : "");
	} else if (kind == MHD_HEADER_KIND && r->nheaders < HTTPSINK_MAX_KV) {
		r->headers[r->nheaders][0] = strdup(k);
		r->headers[r->nheaders++][1] = strdup(v ? v : "");
	}
	return MHD_YES;
}

static enum MHD_Result _on(void *cls, struct MHD_Connection *c, const char *url,
			   const char *method, const char *version, const char *data,
			   size_t *size, void **ptr)
{
	struct httpsink *s = cls;
	struct conn *k = *ptr;
	struct httpsink_req *r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	(void)version;
	if (!k) {
		*ptr = calloc(1, sizeof(struct conn));
		return *ptr ? MHD_YES : MHD_NO;
	}
	if (*size) {
		if (VEC_RESERVE(k->body, k->cap, k->len + *size + 1))
			return MHD_NO;
		memcpy(k->body + k->len, data, *size);
		k->len += *size;
		*size = 0;
		return MHD_YES;
	}
	r = calloc(1, sizeof(*r));
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, _kv, r);
	MHD_get_connection_values(c, MHD_HEADER_KIND, _kv, r);
	r->body = k->body ? k->body : calloc(1, 1);
	r->len = k->len;
	k->body = NULL;
	pthread_mutex_lock(&s->mu);
	r->status = s->nstatuses ? s->statuses[s->n < s->nstatuses ? s->n : s->nstatuses - 1]
				 : 200;
	pthread_mutex_unlock(&s->mu);
	resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	pthread_mutex_lock(&s->mu);
	if (s->n < MAX_REQS)
		s->reqs[s->n++] = r;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

static void _done(void *cls, struct MHD_Connection *c, void **ptr,
		  enum MHD_RequestTerminationCode toe)
{
	struct conn *k = *ptr;

	(void)cls, (void)c, (void)toe;
	if (k) {
		free(k->body);
		free(k);
	}
	*ptr = NULL;
}

struct httpsink *httpsink__new(const unsigned *statuses, size_t nstatuses)
{
	struct httpsink *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const union MHD_DaemonInfo *info;

	if (!s)
		return NULL;
	pthread_mutex_init(&s->mu, NULL);
	for (size_t i = 0; i < nstatuses && i < 16; i++)
		s->statuses[s->nstatuses++] = statuses[i];
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, _on, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_NOTIFY_COMPLETED, _done, s, MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return NULL;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	return s;
}

void httpsink__free(struct httpsink *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	for (size_t i = 0; i < s->n; i++) {
		struct httpsink_req *r = s->reqs[i];

		for (size_t k = 0; k < r->nargs; k++)
			free(r->args[k][0]), free(r->args[k][1]);
		for (size_t k = 0; k < r->nheaders; k++)
			free(r->headers[k][0]), free(r->headers[k][1]);
		free(r->body);
		free(r);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int httpsink__port(const struct httpsink *s)
{
	return s->port;
}

size_t httpsink__count(struct httpsink *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}

const struct httpsink_req *httpsink__req(struct httpsink *s, size_t i)
{
	const struct httpsink_req *r;

	pthread_mutex_lock(&s->mu);
	r = i < s->n ? s->reqs[i] : NULL;
	pthread_mutex_unlock(&s->mu);
	return r;
}

size_t httpsink__wait(struct httpsink *s, size_t n, double timeout_s)
{
	for (double t = 0; t < timeout_s && httpsink__count(s) < n; t += 0.01)
		usleep(10000);
	return httpsink__count(s);
}

const char *httpsink__arg(const struct httpsink_req *r, const char *name)
{
	for (size_t i = 0; i < r->nargs; i++)
		if (!strcmp(r->args[i][0], name))
			return r->args[i][1];
	return NULL;
}

const char *httpsink__header(const struct httpsink_req *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i][0], name))
			return r->headers[i][1];
	return NULL;
}
