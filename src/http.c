/*
 * http.c -- the metrics and health endpoint over libmicrohttpd (http.h).
 */
#include "config.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "clock.h"
#include "http.h"
#include "limits.h"
#include "log.h"
#include "metrics.h"

#define HTTP_COMP "metrics"

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON	   "application/json"
#define CT_TEXT	   "text/plain; charset=utf-8"

struct rc_http {
	struct MHD_Daemon *d;
	const struct rc_metrics *m;
};

static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char line[RC_ERRLEN];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	rc_warn(HTTP_COMP, "%s", line);
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
      const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(len, (void *)body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-store");
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return reply(conn, status, CT_TEXT, text, strlen(text));
}

/*
 * One request. Only GET and HEAD; the body of every answer is built in a
 * buffer of its own and copied into the response.
 * @locality libmicrohttpd's thread
 */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **con_cls)
{
	struct rc_http *h = cls;
	struct rc_buf b;
	enum MHD_Result r;
	int ready;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	if (*upload_data_size)
		return reply_text(conn, MHD_HTTP_BAD_REQUEST,
				  "no request body expected\n");

	if (strcmp(url, "/metrics") == 0) {
		rc_buf_init(&b, RC_MAX_METRICS_TEXT);
		if (rc_metrics_render(h->m, rc_wall_ms(), &b) < 0) {
			rc_buf_free(&b);
			return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "the exposition is too large\n");
		}
		r = reply(conn, MHD_HTTP_OK, CT_METRICS, b.data ? b.data : "",
			  b.len);
		rc_buf_free(&b);
		return r;
	}
	if (strcmp(url, "/health/live") == 0)
		return reply(conn, MHD_HTTP_OK, CT_JSON,
			     "{\"status\":\"alive\"}\n", 19);
	if (strcmp(url, "/health") == 0 || strcmp(url, "/health/") == 0 ||
	    strcmp(url, "/health/ready") == 0) {
		rc_buf_init(&b, RC_MAX_METRICS_TEXT);
		ready = rc_metrics_health(h->m, &b);
		if (ready < 0) {
			rc_buf_free(&b);
			return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
					  "the answer is too large\n");
		}
		r = reply(conn,
			  ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			  CT_JSON, b.data, b.len);
		rc_buf_free(&b);
		return r;
	}
	if (strcmp(url, "/") == 0)
		return reply_text(conn, MHD_HTTP_OK,
				  "rowcast\n"
				  "  /metrics       Prometheus metrics\n"
				  "  /health/live   200 while running\n"
				  "  /health/ready  200 when every source "
				  "streams and every sink works (also "
				  "/health)\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND,
			  "not found; try /metrics or /health\n");
}

struct rc_http *
rc_http_start(const char *listen, const struct rc_metrics *m, char *err,
	      size_t errlen)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], portstr[8], why[RC_ERRLEN];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct rc_http *h;
	uint16_t port;
	int g;

	if (rc_metrics_parse_listen(listen, host, sizeof(host), &port, why,
				    sizeof(why)) < 0) {
		snprintf(err, errlen, "metrics_listen '%s': %s", listen, why);
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->m = m;
	if (host[0]) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
		snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
		g = getaddrinfo(host, portstr, &hints, &ai);
		if (g != 0 || !ai) {
			snprintf(err, errlen,
				 "metrics_listen '%s': cannot resolve %s: %s",
				 listen, host, gai_strerror(g));
			free(h);
			return NULL;
		}
		if (ai->ai_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		h->d = MHD_start_daemon(flags, port, NULL, NULL, handle, h,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
					NULL, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
					MHD_OPTION_CONNECTION_LIMIT,
					(unsigned)16,
					MHD_OPTION_CONNECTION_TIMEOUT,
					(unsigned)10, MHD_OPTION_END);
	} else {
		h->d = MHD_start_daemon(flags, port, NULL, NULL, handle, h,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
					NULL, MHD_OPTION_CONNECTION_LIMIT,
					(unsigned)16,
					MHD_OPTION_CONNECTION_TIMEOUT,
					(unsigned)10, MHD_OPTION_END);
	}
	if (ai)
		freeaddrinfo(ai);
	if (!h->d) {
		snprintf(err, errlen,
			 "metrics_listen '%s': cannot listen there (%s)",
			 listen, errno ? strerror(errno) : "see above");
		free(h);
		return NULL;
	}
	rc_info(HTTP_COMP, "serving /metrics and /health on %s", listen);
	return h;
}

void
rc_http_stop(struct rc_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
