/*
 * http.h -- the metrics and health endpoint (libmicrohttpd).
 *
 *   GET /metrics        Prometheus text format 0.0.4 (metrics.h)
 *   GET /health/live    200 while the process runs
 *   GET /health/ready   200 when every source streams and every sink works,
 *   GET /health         else 503; a short JSON body says which is not
 *
 * Off unless [rowcast] metrics_listen is set. The server answers from
 * libmicrohttpd's own thread, one request at a time, reading the metrics'
 * atomics only: a scrape never blocks a pipeline.
 */
#ifndef RC_HTTP_H
#define RC_HTTP_H

#include <stddef.h>

struct rc_metrics;
struct rc_http;

/*
 * Listen on listen ("HOST:PORT", see rc_metrics_parse_listen) and serve m,
 * which must outlive the server (stop it first). NULL with err set when the
 * address is bad or cannot be bound.
 * @locality start-up (main thread)
 */
struct rc_http *rc_http_start(const char *listen, const struct rc_metrics *m,
			      char *err, size_t errlen);

/* Stop serving and free; waits for a request in progress. NULL is fine. */
void rc_http_stop(struct rc_http *h);

#endif
