/* Unit tests: tsdb__read_victoriametrics() reads the export as it streams
 * in. A loopback server sends the answer in small pieces with pauses, cut
 * inside lines, keys and numbers: every series arrives whole, the last line
 * may lack its '\n', a bad line is named by its number in the whole
 * answer, and a 5xx answer's body is the message. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleet/fleetset.h"
#include "fleet/tsdb.h"

struct server {
	int fd, port;
	const char *status, *body;
	size_t piece;		/* bytes a write */
	pthread_t tid;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	char req[4096], head[256];
	int c = accept(s->fd, NULL, NULL);
	size_t len = strlen(s->body);
	int n;

	if (c < 0)
		return NULL;
	(void)!read(c, req, sizeof(req));
	n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: application/json\r\n\r\n",
		     s->status);
	if (write(c, head, (size_t)n) == n)
		for (size_t o = 0; o < len; o += s->piece) {
			size_t k = len - o < s->piece ? len - o : s->piece;

			if (send(c, s->body + o, k, MSG_NOSIGNAL) != (ssize_t)k)
				break;
			usleep(2000);	/* one piece a read on the other side */
		}
	close(c);
	return NULL;
}

static void start(struct server *s, const char *status, const char *body, size_t piece)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);

	s->status = status, s->body = body, s->piece = piece;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(s->fd, 0);
	cr_assert_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s->fd, 4), 0);
	cr_assert_eq(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	cr_assert_eq(pthread_create(&s->tid, NULL, serve, s), 0);
}

static void stop(struct server *s)
{
	pthread_join(s->tid, NULL);
	close(s->fd);
}

static int read_vm(struct server *srv, struct fleet_set *set, struct tsdb_source *src, char *err,
		   size_t errlen)
{
	static char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv->port);
	*src = (struct tsdb_source){ .url = url, .selector = "{}", .start = 1.7e9, .end = 1.7e9 + 600,
				     .timeout_s = 20 };
	return tsdb__read_victoriametrics(src, set, err, errlen);
}

#define LINE(h, v1, v2)                                                                        \
	"{\"metric\":{\"__name__\":\"seep_process_memory_bytes\",\"host\":\"" h "\","          \
	"\"component\":\"c\",\"comm\":\"x\",\"pid\":\"1\",\"type\":\"anon\"},\"values\":[" v1 \
	"," v2 "],\"timestamps\":[1700000000000,1700000300000]}"

Test(tsdb_stream, pieces_cut_anywhere)
{
	static const char body[] = LINE("h1", "1048576", "2097152") "\n\n" LINE("h2", "3", "4") "\n"
		LINE("h3", "123456789012", "5.5e6");	/* no final '\n' */
	static const size_t pieces[] = { 1, 7, 64, 4096 };

	for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
		struct fleet_set *set = fleet_set__new();
		struct tsdb_source src;
		struct server srv;
		char err[512] = "";

		cr_assert(set);
		start(&srv, "200 OK", body, pieces[p]);
		cr_assert_eq(read_vm(&srv, set, &src, err, sizeof(err)), 0, "pieces of %zu: %s",
			     pieces[p], err);
		stop(&srv);
		cr_assert_eq(set->nchunks, 3, "pieces of %zu", pieces[p]);
		cr_expect_eq(set->nsamples, 6);
		cr_expect_str_eq(fleet_set__label(set, &set->chunks[2], FLEET_HOST), "h3");
		cr_expect_float_eq(fleet_set__value(set, &set->chunks[2], 0), 123456789012.0, 1e5);
		cr_expect_float_eq(fleet_set__value(set, &set->chunks[2], 1), 5.5e6, 1);
		cr_expect_eq(src.bytes, strlen(body), "pieces of %zu: %zu bytes", pieces[p], src.bytes);
		cr_expect_eq(src.requests, 1);
		fleet_set__free(set);
	}
}

Test(tsdb_stream, bad_line_named_in_the_whole_answer)
{
	static const char body[] = LINE("h1", "1", "2") "\n" LINE("h2", "3", "4") "\n{\"metric\":{\"host\"";
	struct fleet_set *set = fleet_set__new();
	struct tsdb_source src;
	struct server srv;
	char err[512] = "";

	cr_assert(set);
	start(&srv, "200 OK", body, 5);
	cr_expect_eq(read_vm(&srv, set, &src, err, sizeof(err)), -EINVAL);
	stop(&srv);
	cr_expect(strstr(err, "cannot read the answer of") && strstr(err, "line 3: invalid JSON"),
		  "%s", err);
	fleet_set__free(set);
}

Test(tsdb_stream, error_status_gives_its_body)
{
	struct fleet_set *set = fleet_set__new();
	struct tsdb_source src;
	struct server srv;
	char err[512] = "";

	cr_assert(set);
	start(&srv, "503 Service Unavailable", "too many concurrent requests", 4);
	cr_expect_eq(read_vm(&srv, set, &src, err, sizeof(err)), -EPROTO);
	stop(&srv);
	cr_expect(strstr(err, "HTTP 503: too many concurrent requests"), "%s", err);
	cr_expect_eq(set->nchunks, 0, "an error body is not read as series");
	fleet_set__free(set);
}
