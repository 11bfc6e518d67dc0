/*
 * test_metrics.c -- the Prometheus exposition: label escaping, sample
 * values, cumulative histogram buckets with +Inf, _sum and _count, a whole
 * registry's text (families declared once, counters ending in _total), the
 * health body, and the metrics_listen address.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "limits.h"
#include "metrics.h"

#define CU_ASSERT_CONTAINS(hay, needle)                                        \
	do {                                                                   \
		const char *h_ = (hay), *n_ = (needle);                        \
		if (!strstr(h_ ? h_ : "", n_))                                 \
			fprintf(stderr, "\n  missing: %s\n", n_);              \
		CU_ASSERT_PTR_NOT_NULL(strstr(h_ ? h_ : "", n_));              \
	} while (0)

static void
test_label_escaping(void)
{
	struct rc_buf b;
	const char *labels[] = {"table", "we\\ird\"name\nx", "op", "create"};

	rc_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(rc_prom_label_value(&b, "a\\b\"c\nd"), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "a\\\\b\\\"c\\nd");
	rc_buf_reset(&b);
	CU_ASSERT_EQUAL(rc_prom_sample(&b, "x_total", labels, 2, 3), 0);
	CU_ASSERT_STRING_EQUAL(
		b.data,
		"x_total{table=\"we\\\\ird\\\"name\\nx\",op=\"create\"} 3\n");
	rc_buf_free(&b);
}

static void
test_sample_values(void)
{
	struct rc_buf b;

	rc_buf_init(&b, 4096);
	rc_prom_sample(&b, "a", NULL, 0, 0);
	rc_prom_sample(&b, "b", NULL, 0, 12345678901234.0);
	rc_prom_sample(&b, "c", NULL, 0, 0.25);
	rc_prom_sample(&b, "d", NULL, 0, NAN);
	rc_prom_sample(&b, "e", NULL, 0, INFINITY);
	rc_prom_sample(&b, "f", NULL, 0, -INFINITY);
	rc_prom_sample(&b, "g", NULL, 0, -7);
	CU_ASSERT_STRING_EQUAL(b.data, "a 0\n"
				       "b 12345678901234\n"
				       "c 0.25\n"
				       "d NaN\n"
				       "e +Inf\n"
				       "f -Inf\n"
				       "g -7\n");
	rc_buf_reset(&b);
	CU_ASSERT_EQUAL(
		rc_prom_family(&b, "x_total", "counter", "one\\two\nthree"), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "# HELP x_total one\\\\two\\nthree\n"
				       "# TYPE x_total counter\n");
	rc_buf_free(&b);
}

static void
test_histogram(void)
{
	static const double bounds[] = {0.1, 1, 10};
	struct rc_histogram h;
	struct rc_buf b;
	const char *labels[] = {"source", "shop"};

	rc_hist_init(&h, bounds, 3);
	rc_hist_observe(&h, 0.05, 2); /* <= 0.1 */
	rc_hist_observe(&h, 0.1, 1);  /* le is inclusive */
	rc_hist_observe(&h, 0.5, 3);  /* <= 1 */
	rc_hist_observe(&h, 100, 1);  /* +Inf only */
	rc_hist_observe(&h, -3, 1);   /* clock skew counts as 0 */
	rc_hist_observe(&h, 5, 0);    /* nothing */
	rc_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(rc_prom_histogram(&b, "lat_seconds", labels, 1, &h), 0);
	CU_ASSERT_STRING_EQUAL(
		b.data, "lat_seconds_bucket{source=\"shop\",le=\"0.1\"} 4\n"
			"lat_seconds_bucket{source=\"shop\",le=\"1\"} 7\n"
			"lat_seconds_bucket{source=\"shop\",le=\"10\"} 7\n"
			"lat_seconds_bucket{source=\"shop\",le=\"+Inf\"} 8\n"
			"lat_seconds_sum{source=\"shop\"} 101.7\n"
			"lat_seconds_count{source=\"shop\"} 8\n");
	rc_buf_free(&b);

	/* the default buckets are ascending and fit */
	CU_ASSERT(rc_latency_nbounds <= RC_HIST_MAX_BOUNDS);
	for (int i = 1; i < rc_latency_nbounds; i++)
		CU_ASSERT(rc_latency_bounds[i] > rc_latency_bounds[i - 1]);
}

/* A registry with one source, as a pipeline would fill it. */
static struct rc_metrics_source *
sample_source(void)
{
	struct rc_metrics_source *ms = rc_metrics_source_new("shop", 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	ms->sinks[0].name = "files";
	ms->sinks[1].name = "kafka";
	ms->queue_max_bytes = 16777216;
	CU_ASSERT_PTR_NOT_NULL(rc_metrics_table(ms, "public", "idle"));
	for (int i = 0; i < 1000; i++)
		rc_metrics_count(ms, "public", "customers", 'c', 100);
	for (int i = 0; i < 200; i++)
		rc_metrics_count(ms, "public", "customers", 'u', 150);
	rc_metrics_count(ms, "public", "orders", 'd', 80);
	rc_metrics_count(ms, "public", "orders", 'x', 80); /* unknown op */
	atomic_store(&ms->state, RC_SRC_STREAMING);
	atomic_store(&ms->emitted, 1210);
	atomic_store(&ms->settled, 1201);
	atomic_store(&ms->reconnects, 2);
	atomic_store(&ms->errors[RC_ERR_CONNECTION], 3);
	atomic_store(&ms->last_checkpoint_ms, 1700000000000);
	atomic_store(&ms->oldest_inflight_commit_us, 1700000000000000);
	atomic_store(&ms->lag_bytes, 4096);
	atomic_store(&ms->sinks[1].dead_letters, 5);
	rc_hist_observe(&ms->delivery, 0.02, 1201);
	return ms;
}

/* Every sample's family is declared once with HELP and TYPE before it,
 * counters end in _total, and every line is a comment or a sample. */
static void
check_exposition(const char *text)
{
	char fam[64][96];
	int nfam = 0;
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96], type[32];

		if (sscanf(line, "# TYPE %95s %31s", name, type) == 2) {
			for (int i = 0; i < nfam; i++)
				CU_ASSERT(strcmp(fam[i], name) != 0);
			CU_ASSERT(strncmp(name, "rowcast_", 8) == 0);
			if (strcmp(type, "counter") == 0) {
				size_t n = strlen(name);
				CU_ASSERT(n > 6 &&
					  !strcmp(name + n - 6, "_total"));
			}
			if (nfam < 64)
				snprintf(fam[nfam++], sizeof(fam[0]), "%s",
					 name);
			continue;
		}
		if (line[0] == '#') {
			CU_ASSERT(strncmp(line, "# HELP rowcast_", 15) == 0);
			continue;
		}
		/* a sample: its name starts with the last declared family */
		CU_ASSERT_FATAL(nfam > 0);
		CU_ASSERT(strncmp(line, fam[nfam - 1], strlen(fam[nfam - 1])) ==
			  0);
		CU_ASSERT_PTR_NOT_NULL(strrchr(line, ' '));
	}
	free(copy);
}

static void
test_render(void)
{
	struct rc_metrics m;
	struct rc_metrics_source *ms = sample_source();
	struct rc_buf b;

	rc_metrics_init(&m, "9.9.9");
	m.start_ms = 1600000000500;
	CU_ASSERT_EQUAL(rc_metrics_add(&m, ms), 0);
	rc_buf_init(&b, RC_MAX_METRICS_TEXT);
	CU_ASSERT_EQUAL(rc_metrics_render(&m, 1700000002500, &b), 0);
	check_exposition(b.data);

	CU_ASSERT_CONTAINS(b.data, "rowcast_build_info{version=\"9.9.9\"} 1\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_start_time_seconds 1600000000.5\n");
	CU_ASSERT_CONTAINS(b.data, "# TYPE rowcast_events_total counter\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_events_total{source=\"shop\",table=\""
			   "public.customers\",op=\"create\"} 1000\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_events_total{source=\"shop\",table=\""
			   "public.customers\",op=\"update\"} 200\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_events_total{source=\"shop\",table=\""
			   "public.orders\",op=\"delete\"} 1\n");
	/* a declared table has its series before its first event */
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_events_total{source=\"shop\",table=\""
			   "public.idle\",op=\"truncate\"} 0\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_event_bytes_total{source=\"shop\",table=\""
			   "public.customers\",op=\"update\"} 30000\n");
	CU_ASSERT_PTR_NULL(strstr(b.data, "(other)"));
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_source_state{source=\"shop\",state=\""
			   "streaming\"} 1\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_source_state{source=\"shop\",state=\""
			   "reconnecting\"} 0\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_events_in_flight{source=\"shop\"} 9\n");
	CU_ASSERT_CONTAINS(
		b.data,
		"rowcast_queue_limit_bytes{source=\"shop\"} 16777216\n");
	CU_ASSERT_CONTAINS(b.data, "# TYPE rowcast_delivery_latency_seconds "
				   "histogram\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_delivery_latency_seconds_bucket{"
				   "source=\"shop\",le=\"0.025\"} 1201\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_delivery_latency_seconds_bucket{"
				   "source=\"shop\",le=\"0.01\"} 0\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_delivery_latency_seconds_bucket{"
				   "source=\"shop\",le=\"+Inf\"} 1201\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_delivery_latency_seconds_count{"
				   "source=\"shop\"} 1201\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_commit_latency_seconds_count{"
				   "source=\"shop\"} 0\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_last_checkpoint_timestamp_seconds{"
				   "source=\"shop\"} 1700000000\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_checkpoint_age_seconds{"
				   "source=\"shop\"} 2.5\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_source_lag_seconds{source=\"shop\"} 2.5\n");
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_source_lag_bytes{source=\"shop\"} 4096\n");
	/* never durable yet: the family is declared, the sample absent */
	CU_ASSERT_CONTAINS(b.data, "# TYPE rowcast_last_durable_commit_"
				   "timestamp_seconds gauge\n");
	CU_ASSERT_PTR_NULL(strstr(b.data, "rowcast_last_durable_commit_"
					  "timestamp_seconds{"));
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_reconnects_total{source=\"shop\"} 2\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_errors_total{source=\"shop\","
				   "kind=\"connection\"} 3\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_errors_total{source=\"shop\","
				   "kind=\"checkpoint\"} 0\n");
	CU_ASSERT_CONTAINS(
		b.data, "rowcast_sink_up{source=\"shop\",sink=\"files\"} 1\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_dead_letters_total{source=\"shop\","
				   "sink=\"kafka\"} 5\n");

	/* nothing in flight: the lag in seconds is 0; unknown bytes: absent */
	atomic_store(&ms->oldest_inflight_commit_us, 0);
	atomic_store(&ms->lag_bytes, -1);
	rc_buf_reset(&b);
	CU_ASSERT_EQUAL(rc_metrics_render(&m, 1700000002500, &b), 0);
	CU_ASSERT_CONTAINS(b.data,
			   "rowcast_source_lag_seconds{source=\"shop\"} 0\n");
	CU_ASSERT_PTR_NULL(strstr(b.data, "rowcast_source_lag_bytes{"));

	/* a buffer too small fails cleanly */
	{
		struct rc_buf small;

		rc_buf_init(&small, 512);
		CU_ASSERT_EQUAL(rc_metrics_render(&m, 0, &small), -1);
		rc_buf_free(&small);
	}
	rc_buf_free(&b);
	rc_metrics_source_free(ms);
}

static void
test_table_overflow(void)
{
	struct rc_metrics_source *ms = rc_metrics_source_new("many", 0);
	struct rc_metrics m;
	struct rc_buf b;
	char name[32];

	CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
	for (int i = 0; i < RC_METRICS_MAX_TABLES + 3; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		rc_metrics_count(ms, "s", name, 'c', 1);
	}
	rc_metrics_count(ms, "s", "t0", 'c', 1);
	CU_ASSERT_EQUAL(atomic_load(&ms->ntables), RC_METRICS_MAX_TABLES);
	rc_metrics_init(&m, "1");
	rc_metrics_add(&m, ms);
	rc_buf_init(&b, RC_MAX_METRICS_TEXT);
	CU_ASSERT_EQUAL(rc_metrics_render(&m, 0, &b), 0);
	CU_ASSERT_CONTAINS(b.data, "rowcast_events_total{source=\"many\",table="
				   "\"s.t0\",op=\"create\"} 2\n");
	CU_ASSERT_CONTAINS(b.data, "rowcast_events_total{source=\"many\",table="
				   "\"(other)\",op=\"create\"} 3\n");
	rc_buf_free(&b);
	rc_metrics_source_free(ms);
}

static void
test_health(void)
{
	struct rc_metrics m;
	struct rc_metrics_source *a = rc_metrics_source_new("shop", 1);
	struct rc_metrics_source *c = rc_metrics_source_new("crm", 0);
	struct rc_buf b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	a->sinks[0].name = "files";
	rc_metrics_init(&m, "1");
	rc_buf_init(&b, 4096);
	CU_ASSERT_EQUAL(rc_metrics_health(&m, &b), 0); /* no source */
	rc_metrics_add(&m, a);
	rc_metrics_add(&m, c);
	atomic_store(&a->state, RC_SRC_STREAMING);
	atomic_store(&c->state, RC_SRC_RECONNECTING);
	rc_buf_reset(&b);
	CU_ASSERT_EQUAL(rc_metrics_health(&m, &b), 0);
	CU_ASSERT_STRING_EQUAL(
		b.data,
		"{\"status\":\"not ready\",\"sources\":{\"shop\":{"
		"\"state\":\"streaming\",\"sinks\":{\"files\":\"ok\"}},"
		"\"crm\":{\"state\":\"reconnecting\",\"sinks\":{}}}}\n");
	atomic_store(&c->state, RC_SRC_STREAMING);
	rc_buf_reset(&b);
	CU_ASSERT_EQUAL(rc_metrics_health(&m, &b), 1);
	CU_ASSERT_CONTAINS(b.data, "{\"status\":\"ready\"");
	atomic_store(&a->sinks[0].failed, 1);
	rc_buf_reset(&b);
	CU_ASSERT_EQUAL(rc_metrics_health(&m, &b), 0);
	CU_ASSERT_CONTAINS(b.data, "\"files\":\"failed\"");
	rc_buf_free(&b);
	rc_metrics_source_free(a);
	rc_metrics_source_free(c);
}

static void
test_listen(void)
{
	char host[64], err[RC_ERRLEN];
	uint16_t port = 0;

	CU_ASSERT_EQUAL(rc_metrics_parse_listen("127.0.0.1:9187", host,
						sizeof(host), &port, err,
						sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
	CU_ASSERT_EQUAL(port, 9187);
	CU_ASSERT_EQUAL(rc_metrics_parse_listen("[::1]:80", host, sizeof(host),
						&port, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(host, "::1");
	CU_ASSERT_EQUAL(port, 80);
	CU_ASSERT_EQUAL(rc_metrics_parse_listen(":9187", host, sizeof(host),
						&port, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(host, "");
	CU_ASSERT_EQUAL(rc_metrics_parse_listen("localhost:65535", host,
						sizeof(host), &port, err,
						sizeof(err)),
			0);
	CU_ASSERT_EQUAL(port, 65535);

	static const char *const bad[] = {
		"9187",	       "127.0.0.1",	  "127.0.0.1:",
		"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:91x7",
		"::1:9187",    "[::1]9187",	  "[::1",
		"host:123456",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(rc_metrics_parse_listen(bad[i], host,
							sizeof(host), &port,
							err, sizeof(err)),
				-1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "HOST:PORT"));
	}
}

static const struct cu_test tests[] = {
	{"label values are escaped", test_label_escaping},
	{"sample values and HELP text", test_sample_values},
	{"histogram buckets are cumulative, with +Inf, _sum, _count",
	 test_histogram},
	{"a whole exposition", test_render},
	{"tables past the cap count as (other)", test_table_overflow},
	{"health: ready only when every source streams, every sink works",
	 test_health},
	{"metrics_listen HOST:PORT", test_listen},
	{NULL, NULL},
};

CU_MAIN("metrics", tests)
