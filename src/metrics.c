/*
 * metrics.c -- counters, histograms and their Prometheus exposition
 * (metrics.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "limits.h"
#include "metrics.h"
#include "queue.h"

/* The table label of events past RC_METRICS_MAX_TABLES tables. */
#define RC_METRICS_NAME_OTHER "(other)"

/* ------------------------------------------------------------------ */
/* Names                                                              */
/* ------------------------------------------------------------------ */

static const char *const rc_state_names[RC_SRC_NSTATES] = {
	"starting",	"connecting", "streaming",
	"reconnecting", "stopped",    "failed",
};

static const char *const rc_err_names[RC_ERR_NKINDS] = {
	"connection",
	"source",
	"sink",
	"checkpoint",
};

static const char rc_op_codes[RC_METRICS_NOPS] = {'c', 'u', 'd', 'r', 't'};
static const char *const rc_op_names[RC_METRICS_NOPS] = {
	"create", "update", "delete", "read", "truncate",
};

const char *
rc_src_state_name(enum rc_src_state st)
{
	return st >= 0 && st < RC_SRC_NSTATES ? rc_state_names[st] : "unknown";
}

const char *
rc_err_kind_name(enum rc_err_kind kind)
{
	return kind >= 0 && kind < RC_ERR_NKINDS ? rc_err_names[kind]
						 : "unknown";
}

int
rc_metrics_op_index(char op)
{
	for (int i = 0; i < RC_METRICS_NOPS; i++)
		if (rc_op_codes[i] == op)
			return i;
	return -1;
}

const char *
rc_metrics_op_name(int idx)
{
	return idx >= 0 && idx < RC_METRICS_NOPS ? rc_op_names[idx] : "unknown";
}

/* ------------------------------------------------------------------ */
/* Histograms                                                         */
/* ------------------------------------------------------------------ */

const double rc_latency_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
				    1,	   2.5,	 5,	10,   30,  60,	 300};
const int rc_latency_nbounds =
	(int)(sizeof(rc_latency_bounds) / sizeof(rc_latency_bounds[0]));

void
rc_hist_init(struct rc_histogram *h, const double *bounds, int nbounds)
{
	if (nbounds > RC_HIST_MAX_BOUNDS)
		nbounds = RC_HIST_MAX_BOUNDS;
	h->bounds = bounds;
	h->nbounds = nbounds;
	for (int i = 0; i <= RC_HIST_MAX_BOUNDS; i++)
		atomic_init(&h->counts[i], 0);
	atomic_init(&h->sum_us, 0);
}

void
rc_hist_observe(struct rc_histogram *h, double seconds, uint64_t n)
{
	int i = 0;

	if (n == 0)
		return;
	if (!(seconds >= 0)) /* negative (clock skew) or NaN */
		seconds = 0;
	while (i < h->nbounds && seconds > h->bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->counts[i], n, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us,
				  (uint64_t)(seconds * 1e6 + 0.5) * n,
				  memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Per source                                                         */
/* ------------------------------------------------------------------ */

struct rc_metrics_source *
rc_metrics_source_new(const char *name, int nsinks)
{
	struct rc_metrics_source *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return NULL;
	ms->name = strdup(name ? name : "");
	ms->tables = calloc(RC_METRICS_MAX_TABLES + 1, sizeof(*ms->tables));
	ms->sinks =
		nsinks > 0 ? calloc((size_t)nsinks, sizeof(*ms->sinks)) : NULL;
	if (!ms->name || !ms->tables || (nsinks > 0 && !ms->sinks)) {
		rc_metrics_source_free(ms);
		return NULL;
	}
	ms->nsinks = nsinks > 0 ? nsinks : 0;
	snprintf(ms->tables[RC_METRICS_MAX_TABLES].name,
		 sizeof(ms->tables[0].name), "%s", RC_METRICS_NAME_OTHER);
	atomic_init(&ms->state, RC_SRC_STARTING);
	atomic_init(&ms->lag_bytes, -1);
	rc_hist_init(&ms->delivery, rc_latency_bounds, rc_latency_nbounds);
	rc_hist_init(&ms->commit, rc_latency_bounds, rc_latency_nbounds);
	return ms;
}

void
rc_metrics_source_free(struct rc_metrics_source *ms)
{
	if (!ms)
		return;
	free(ms->name);
	free(ms->tables);
	free(ms->sinks);
	free(ms);
}

/* t names schema.name? */
static int
table_is(const struct rc_metrics_table *t, const char *schema, const char *name)
{
	size_t n = strlen(schema);

	return strncmp(t->name, schema, n) == 0 && t->name[n] == '.' &&
	       strcmp(t->name + n + 1, name) == 0;
}

struct rc_metrics_table *
rc_metrics_table(struct rc_metrics_source *ms, const char *schema,
		 const char *name)
{
	unsigned n = atomic_load_explicit(&ms->ntables, memory_order_relaxed);
	size_t ls = strlen(schema), ln = strlen(name);
	struct rc_metrics_table *t;

	for (unsigned i = 0; i < n; i++)
		if (table_is(&ms->tables[i], schema, name))
			return &ms->tables[i];
	if (n >= RC_METRICS_MAX_TABLES || ls + ln + 2 > sizeof(t->name))
		return NULL;
	t = &ms->tables[n];
	memcpy(t->name, schema, ls);
	t->name[ls] = '.';
	memcpy(t->name + ls + 1, name, ln + 1);
	/* the name is written before readers can see the entry */
	atomic_store_explicit(&ms->ntables, n + 1, memory_order_release);
	return t;
}

void
rc_metrics_count(struct rc_metrics_source *ms, const char *schema,
		 const char *name, char op, uint64_t bytes)
{
	struct rc_metrics_table *t = (struct rc_metrics_table *)ms->last;
	int i = rc_metrics_op_index(op);

	if (i < 0)
		return;
	if (!t || !table_is(t, schema, name)) {
		t = rc_metrics_table(ms, schema, name);
		if (!t)
			t = &ms->tables[RC_METRICS_MAX_TABLES];
		ms->last = t;
	}
	atomic_fetch_add_explicit(&t->events[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&t->bytes[i], bytes, memory_order_relaxed);
}

/* ------------------------------------------------------------------ */
/* Exposition helpers                                                 */
/* ------------------------------------------------------------------ */

int
rc_prom_family(struct rc_buf *b, const char *name, const char *type,
	       const char *help)
{
	int r = rc_buf_printf(b, "# HELP %s ", name);

	for (const char *p = help; *p && r == 0; p++) {
		if (*p == '\\')
			r = rc_buf_puts(b, "\\\\");
		else if (*p == '\n')
			r = rc_buf_puts(b, "\\n");
		else
			r = rc_buf_putc(b, *p);
	}
	if (r == 0)
		r = rc_buf_printf(b, "\n# TYPE %s %s\n", name, type);
	return r;
}

int
rc_prom_label_value(struct rc_buf *b, const char *s)
{
	int r = 0;

	for (const char *p = s; *p && r == 0; p++) {
		if (*p == '\\')
			r = rc_buf_puts(b, "\\\\");
		else if (*p == '"')
			r = rc_buf_puts(b, "\\\"");
		else if (*p == '\n')
			r = rc_buf_puts(b, "\\n");
		else
			r = rc_buf_putc(b, *p);
	}
	return r;
}

static int
put_labels(struct rc_buf *b, const char *const *labels, int nlabels,
	   const char *le)
{
	int r = 0;

	if (nlabels == 0 && !le)
		return 0;
	r = rc_buf_putc(b, '{');
	for (int i = 0; i < nlabels && r == 0; i++) {
		r = rc_buf_printf(b, "%s%s=\"", i ? "," : "", labels[2 * i]);
		if (r == 0)
			r = rc_prom_label_value(b, labels[2 * i + 1]);
		if (r == 0)
			r = rc_buf_putc(b, '"');
	}
	if (r == 0 && le)
		r = rc_buf_printf(b, "%sle=\"%s\"", nlabels ? "," : "", le);
	if (r == 0)
		r = rc_buf_putc(b, '}');
	return r;
}

static int
put_value(struct rc_buf *b, double v)
{
	char txt[32];

	if (v != v)
		return rc_buf_puts(b, "NaN");
	if (v > 1.7976931348623157e308)
		return rc_buf_puts(b, "+Inf");
	if (v < -1.7976931348623157e308)
		return rc_buf_puts(b, "-Inf");
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    (double)(int64_t)v == v)
		return rc_buf_printf(b, "%" PRId64, (int64_t)v);
	/* the shortest of 15 or 17 digits that reads back the same */
	snprintf(txt, sizeof(txt), "%.15g", v);
	if (strtod(txt, NULL) != v)
		snprintf(txt, sizeof(txt), "%.17g", v);
	return rc_buf_puts(b, txt);
}

int
rc_prom_sample(struct rc_buf *b, const char *name, const char *const *labels,
	       int nlabels, double value)
{
	if (rc_buf_puts(b, name) < 0 ||
	    put_labels(b, labels, nlabels, NULL) < 0 ||
	    rc_buf_putc(b, ' ') < 0 || put_value(b, value) < 0)
		return -1;
	return rc_buf_putc(b, '\n');
}

int
rc_prom_histogram(struct rc_buf *b, const char *name, const char *const *labels,
		  int nlabels, const struct rc_histogram *h)
{
	uint64_t cum = 0;
	char le[32];
	int r = 0;

	for (int i = 0; i <= h->nbounds && r == 0; i++) {
		cum += atomic_load_explicit(&h->counts[i],
					    memory_order_relaxed);
		if (i < h->nbounds)
			snprintf(le, sizeof(le), "%g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		r = rc_buf_printf(b, "%s_bucket", name);
		if (r == 0)
			r = put_labels(b, labels, nlabels, le);
		if (r == 0)
			r = rc_buf_printf(b, " %" PRIu64 "\n", cum);
	}
	if (r == 0)
		r = rc_buf_printf(b, "%s_sum", name);
	if (r == 0)
		r = put_labels(b, labels, nlabels, NULL);
	if (r == 0)
		r = rc_buf_putc(b, ' ');
	if (r == 0)
		r = put_value(b, (double)atomic_load_explicit(
					 &h->sum_us, memory_order_relaxed) /
					 1e6);
	if (r == 0)
		r = rc_buf_printf(b, "\n%s_count", name);
	if (r == 0)
		r = put_labels(b, labels, nlabels, NULL);
	if (r == 0)
		r = rc_buf_printf(b, " %" PRIu64 "\n", cum);
	return r;
}

/* ------------------------------------------------------------------ */
/* The registry                                                       */
/* ------------------------------------------------------------------ */

void
rc_metrics_init(struct rc_metrics *m, const char *version)
{
	memset(m, 0, sizeof(*m));
	m->version = version;
	m->start_ms = rc_wall_ms();
}

int
rc_metrics_add(struct rc_metrics *m, struct rc_metrics_source *ms)
{
	if (m->nsources >= RC_METRICS_MAX_SOURCES)
		return -1;
	m->sources[m->nsources++] = ms;
	return 0;
}

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* One gauge or counter family with one sample per source; value() gives a
 * source's value, or returns 0 to leave the source out. */
typedef int (*rc_src_value_fn)(const struct rc_metrics_source *ms,
			       int64_t now_ms, double *v);

static int
family_per_source(struct rc_buf *b, const struct rc_metrics *m, int64_t now_ms,
		  const char *name, const char *type, const char *help,
		  rc_src_value_fn value)
{
	if (rc_prom_family(b, name, type, help) < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++) {
		const struct rc_metrics_source *ms = m->sources[i];
		const char *labels[] = {"source", ms->name};
		double v;

		if (value(ms, now_ms, &v) &&
		    rc_prom_sample(b, name, labels, 1, v) < 0)
			return -1;
	}
	return 0;
}

static int
v_txns(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	(void)now;
	*v = (double)LD(ms->txns);
	return 1;
}

static int
v_inflight(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	uint64_t e = LD(ms->emitted), s = LD(ms->settled);

	(void)now;
	*v = e > s ? (double)(e - s) : 0;
	return 1;
}

static int
v_queue_bytes(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	(void)now;
	*v = ms->q ? (double)rc_queue_bytes(ms->q) : 0;
	return 1;
}

static int
v_queue_limit(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	(void)now;
	*v = (double)ms->queue_max_bytes;
	return 1;
}

static int
v_checkpoints(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	(void)now;
	*v = (double)LD(ms->checkpoints);
	return 1;
}

static int
v_checkpoint_ts(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	int64_t t = LD(ms->last_checkpoint_ms);

	(void)now;
	*v = (double)t / 1000.0;
	return t > 0;
}

static int
v_checkpoint_age(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	int64_t t = LD(ms->last_checkpoint_ms);

	*v = t > 0 && now > t ? (double)(now - t) / 1000.0 : 0;
	return t > 0;
}

static int
v_lag_seconds(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	int64_t c = LD(ms->oldest_inflight_commit_us);
	double d = (double)now / 1000.0 - (double)c / 1e6;

	*v = c > 0 && d > 0 ? d : 0;
	return 1;
}

static int
v_durable_commit_ts(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	int64_t c = LD(ms->last_durable_commit_us);

	(void)now;
	*v = (double)c / 1e6;
	return c > 0;
}

static int
v_lag_bytes(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	int64_t l = LD(ms->lag_bytes);

	(void)now;
	*v = (double)l;
	return l >= 0;
}

static int
v_reconnects(const struct rc_metrics_source *ms, int64_t now, double *v)
{
	(void)now;
	*v = (double)LD(ms->reconnects);
	return 1;
}

/* events_total or event_bytes_total: one sample per table and operation */
static int
family_tables(struct rc_buf *b, const struct rc_metrics *m, const char *name,
	      const char *help, int bytes)
{
	if (rc_prom_family(b, name, "counter", help) < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++) {
		const struct rc_metrics_source *ms = m->sources[i];
		unsigned n = atomic_load_explicit(&ms->ntables,
						  memory_order_acquire);

		for (unsigned t = 0; t <= RC_METRICS_MAX_TABLES; t++) {
			const struct rc_metrics_table *tb;
			uint64_t any = 0;

			if (t >= n && t < RC_METRICS_MAX_TABLES)
				t = RC_METRICS_MAX_TABLES;
			tb = &ms->tables[t];
			if (t == RC_METRICS_MAX_TABLES) {
				for (int o = 0; o < RC_METRICS_NOPS; o++)
					any += LD(tb->events[o]);
				if (!any)
					break;
			}
			for (int o = 0; o < RC_METRICS_NOPS; o++) {
				const char *labels[] = {
					"source", ms->name,
					"table",  tb->name,
					"op",	  rc_metrics_op_name(o),
				};
				double v = (double)(bytes ? LD(tb->bytes[o])
							  : LD(tb->events[o]));

				if (rc_prom_sample(b, name, labels, 3, v) < 0)
					return -1;
			}
		}
	}
	return 0;
}

/* The snapshot gauges of every table that has a snapshot state. */
static int
family_snapshot(struct rc_buf *b, const struct rc_metrics *m, const char *name,
		const char *help, int what)
{
	if (rc_prom_family(b, name, "gauge", help) < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++) {
		const struct rc_metrics_source *ms = m->sources[i];
		unsigned n = atomic_load_explicit(&ms->ntables,
						  memory_order_acquire);

		for (unsigned t = 0; t < n && t < RC_METRICS_MAX_TABLES; t++) {
			const struct rc_metrics_table *tb = &ms->tables[t];
			const char *labels[] = {"source", ms->name, "table",
						tb->name};
			int st = atomic_load(&tb->snap_state);
			double v;

			if (!st)
				continue;
			if (what == 0)
				v = (double)atomic_load(&tb->snap_rows);
			else if (what == 1)
				v = (double)atomic_load(&tb->snap_estimate);
			else
				v = st - 1 != 0; /* not done */
			if (rc_prom_sample(b, name, labels, 2, v) < 0)
				return -1;
		}
	}
	return 0;
}

int
rc_metrics_render(const struct rc_metrics *m, int64_t now_ms, struct rc_buf *b)
{
	const char *lbl[6];

	/* process */
	lbl[0] = "version";
	lbl[1] = m->version ? m->version : "unknown";
	if (rc_prom_family(b, "rowcast_build_info", "gauge",
			   "rowcast's version (always 1)") < 0 ||
	    rc_prom_sample(b, "rowcast_build_info", lbl, 1, 1) < 0 ||
	    rc_prom_family(b, "rowcast_start_time_seconds", "gauge",
			   "when rowcast started, in seconds since 1970") < 0 ||
	    rc_prom_sample(b, "rowcast_start_time_seconds", NULL, 0,
			   (double)m->start_ms / 1000.0) < 0)
		return -1;

	/* source state: one sample per state, 1 for the current one */
	if (rc_prom_family(b, "rowcast_source_state", "gauge",
			   "1 for the state the source is in (starting, "
			   "connecting, streaming, reconnecting, stopped, "
			   "failed), 0 for the others") < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++) {
		const struct rc_metrics_source *ms = m->sources[i];
		int st = atomic_load_explicit(&ms->state, memory_order_relaxed);

		for (int s = 0; s < RC_SRC_NSTATES; s++) {
			lbl[0] = "source";
			lbl[1] = ms->name;
			lbl[2] = "state";
			lbl[3] = rc_state_names[s];
			if (rc_prom_sample(b, "rowcast_source_state", lbl, 2,
					   s == st) < 0)
				return -1;
		}
	}

	if (family_tables(b, m, "rowcast_events_total",
			  "change events handed to the sinks, per table "
			  "and operation",
			  0) < 0 ||
	    family_tables(b, m, "rowcast_event_bytes_total",
			  "bytes of the decoded change events (their size "
			  "in the queue), per table and operation",
			  1) < 0)
		return -1;

	if (family_snapshot(b, m, "rowcast_snapshot_rows",
			    "rows the table's current (or last) snapshot "
			    "emitted",
			    0) < 0 ||
	    family_snapshot(b, m, "rowcast_snapshot_rows_estimated",
			    "rows in the table by the database's statistics "
			    "when its snapshot started (-1: unknown)",
			    1) < 0 ||
	    family_snapshot(b, m, "rowcast_snapshot_running",
			    "1 while the table is being snapshotted or waits "
			    "for it, 0 when its snapshot is done",
			    2) < 0)
		return -1;

	if (family_per_source(b, m, now_ms, "rowcast_transactions_total",
			      "counter",
			      "source transactions committed through the "
			      "pipeline",
			      v_txns) < 0 ||
	    family_per_source(b, m, now_ms, "rowcast_events_in_flight", "gauge",
			      "events read from the source and not yet "
			      "durable in every sink",
			      v_inflight) < 0 ||
	    family_per_source(b, m, now_ms, "rowcast_queue_bytes", "gauge",
			      "bytes of events in the queue between the "
			      "source and the sinks",
			      v_queue_bytes) < 0 ||
	    family_per_source(b, m, now_ms, "rowcast_queue_limit_bytes",
			      "gauge",
			      "most bytes the queue holds before the source "
			      "waits (queue_max_bytes)",
			      v_queue_limit) < 0)
		return -1;

	if (rc_prom_family(b, "rowcast_delivery_latency_seconds", "histogram",
			   "per event, from the moment the source read its "
			   "transaction's commit to the moment every sink "
			   "reported it durable") < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++) {
		lbl[0] = "source";
		lbl[1] = m->sources[i]->name;
		if (rc_prom_histogram(b, "rowcast_delivery_latency_seconds",
				      lbl, 1, &m->sources[i]->delivery) < 0)
			return -1;
	}
	if (rc_prom_family(b, "rowcast_commit_latency_seconds", "histogram",
			   "per event, from its commit in the database to "
			   "the moment every sink reported it durable "
			   "(includes any backlog)") < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++) {
		lbl[0] = "source";
		lbl[1] = m->sources[i]->name;
		if (rc_prom_histogram(b, "rowcast_commit_latency_seconds", lbl,
				      1, &m->sources[i]->commit) < 0)
			return -1;
	}

	if (family_per_source(b, m, now_ms, "rowcast_checkpoints_total",
			      "counter", "checkpoint files written",
			      v_checkpoints) < 0 ||
	    family_per_source(
		    b, m, now_ms, "rowcast_last_checkpoint_timestamp_seconds",
		    "gauge",
		    "when this run last wrote the checkpoint, in seconds "
		    "since 1970 (absent until the first)",
		    v_checkpoint_ts) < 0 ||
	    family_per_source(b, m, now_ms, "rowcast_checkpoint_age_seconds",
			      "gauge",
			      "seconds since this run last wrote the "
			      "checkpoint (absent until the first)",
			      v_checkpoint_age) < 0 ||
	    family_per_source(b, m, now_ms, "rowcast_source_lag_seconds",
			      "gauge",
			      "seconds since the commit of the oldest "
			      "transaction read and not yet durable; 0 when "
			      "nothing is in flight",
			      v_lag_seconds) < 0 ||
	    family_per_source(
		    b, m, now_ms,
		    "rowcast_last_durable_commit_timestamp_seconds", "gauge",
		    "commit time of the newest transaction durable in every "
		    "sink, in seconds since 1970",
		    v_durable_commit_ts) < 0 ||
	    family_per_source(
		    b, m, now_ms, "rowcast_source_lag_bytes", "gauge",
		    "bytes the server has written beyond the position "
		    "rowcast confirmed (PostgreSQL: WAL the slot holds back "
		    "from confirmed_flush_lsn; MySQL: binlog bytes after "
		    "the confirmed position); absent until measured",
		    v_lag_bytes) < 0 ||
	    family_per_source(b, m, now_ms, "rowcast_reconnects_total",
			      "counter",
			      "times the source connected again after losing "
			      "its server",
			      v_reconnects) < 0)
		return -1;

	if (rc_prom_family(b, "rowcast_errors_total", "counter",
			   "errors by kind: connection (retried), source "
			   "(the source stopped), sink, checkpoint") < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++)
		for (int k = 0; k < RC_ERR_NKINDS; k++) {
			lbl[0] = "source";
			lbl[1] = m->sources[i]->name;
			lbl[2] = "kind";
			lbl[3] = rc_err_names[k];
			if (rc_prom_sample(
				    b, "rowcast_errors_total", lbl, 2,
				    (double)LD(m->sources[i]->errors[k])) < 0)
				return -1;
		}

	if (rc_prom_family(b, "rowcast_sink_up", "gauge",
			   "1 while the sink works, 0 once it has failed") < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++)
		for (int k = 0; k < m->sources[i]->nsinks; k++) {
			const struct rc_metrics_sink *sk =
				&m->sources[i]->sinks[k];

			lbl[0] = "source";
			lbl[1] = m->sources[i]->name;
			lbl[2] = "sink";
			lbl[3] = sk->name ? sk->name : "";
			if (rc_prom_sample(b, "rowcast_sink_up", lbl, 2,
					   !atomic_load(&sk->failed)) < 0)
				return -1;
		}
	if (rc_prom_family(b, "rowcast_dead_letters_total", "counter",
			   "messages sent to a dead-letter topic instead of "
			   "their own ([table] on_error = dead_letter)") < 0)
		return -1;
	for (int i = 0; i < m->nsources; i++)
		for (int k = 0; k < m->sources[i]->nsinks; k++) {
			const struct rc_metrics_sink *sk =
				&m->sources[i]->sinks[k];

			lbl[0] = "source";
			lbl[1] = m->sources[i]->name;
			lbl[2] = "sink";
			lbl[3] = sk->name ? sk->name : "";
			if (rc_prom_sample(b, "rowcast_dead_letters_total", lbl,
					   2, (double)LD(sk->dead_letters)) < 0)
				return -1;
		}
	return 0;
}

int
rc_metrics_health(const struct rc_metrics *m, struct rc_buf *out)
{
	struct rc_buf body;
	int ready = 1, r = 0;

	rc_buf_init(&body, out->max);
	for (int i = 0; i < m->nsources && r == 0; i++) {
		const struct rc_metrics_source *ms = m->sources[i];
		int st = atomic_load(&ms->state);

		if (st != RC_SRC_STREAMING)
			ready = 0;
		r |= rc_buf_puts(&body, i ? "," : "");
		r |= rc_buf_json_string(&body, ms->name, strlen(ms->name));
		r |= rc_buf_printf(&body, ":{\"state\":\"%s\",\"sinks\":{",
				   rc_src_state_name(st));
		for (int k = 0; k < ms->nsinks && r == 0; k++) {
			const char *name =
				ms->sinks[k].name ? ms->sinks[k].name : "";
			int failed = atomic_load(&ms->sinks[k].failed);

			if (failed)
				ready = 0;
			r |= rc_buf_puts(&body, k ? "," : "");
			r |= rc_buf_json_string(&body, name, strlen(name));
			r |= rc_buf_puts(&body,
					 failed ? ":\"failed\"" : ":\"ok\"");
		}
		r |= rc_buf_puts(&body, "}}");
	}
	if (m->nsources == 0)
		ready = 0;
	r |= rc_buf_printf(out, "{\"status\":\"%s\",\"sources\":{%s}}\n",
			   ready ? "ready" : "not ready",
			   body.data ? body.data : "");
	rc_buf_free(&body);
	return r ? -1 : ready;
}

/* ------------------------------------------------------------------ */
/* The listen address                                                 */
/* ------------------------------------------------------------------ */

int
rc_metrics_parse_listen(const char *text, char *host, size_t hostlen,
			uint16_t *port, char *err, size_t errlen)
{
	static const char expected[] =
		"expected HOST:PORT such as 127.0.0.1:9187, [::1]:9187 or "
		":9187 (every address)";
	const char *colon, *h = text, *hend;
	unsigned long p = 0;

	if (text[0] == '[') {
		hend = strchr(text, ']');
		if (!hend || hend[1] != ':') {
			snprintf(err, errlen, "%s", expected);
			return -1;
		}
		h = text + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || memchr(text, ':', (size_t)(colon - text))) {
			snprintf(err, errlen, "%s", expected);
			return -1;
		}
		hend = colon;
	}
	if (!colon[1] || strlen(colon + 1) > 5) {
		snprintf(err, errlen, "%s", expected);
		return -1;
	}
	for (const char *c = colon + 1; *c; c++) {
		if (*c < '0' || *c > '9') {
			snprintf(err, errlen, "%s", expected);
			return -1;
		}
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p < 1 || p > 65535) {
		snprintf(err, errlen, "port %lu is out of range; %s", p,
			 expected);
		return -1;
	}
	if ((size_t)(hend - h) >= hostlen) {
		snprintf(err, errlen, "host name too long; %s", expected);
		return -1;
	}
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	*port = (uint16_t)p;
	return 0;
}
