/*
 * metrics.h -- what rowcast counts, and the Prometheus text it is read as.
 *
 * Each pipeline owns one struct rc_metrics_source: its source's state, the
 * events per table and operation, errors, reconnects, latency histograms,
 * lag, and its sinks' state. The threads that do the work write it with
 * relaxed atomics (never a lock), and the HTTP thread (http.h) reads it
 * whenever it is scraped: a scrape never blocks a pipeline, and a pipeline
 * never waits for a scrape. Values read in one scrape are each current but
 * not taken at one instant, which Prometheus' counters tolerate.
 *
 * struct rc_metrics is the registry main builds: the process-wide values
 * (start time, version) and the list of sources, fixed before the HTTP
 * server starts and left alone until it has stopped.
 *
 * The exposition is the Prometheus text format 0.0.4: "# HELP" and
 * "# TYPE" once per family, counters ending in _total, units in the names
 * (_seconds, _bytes), label values escaped (\\, \", \n). No secret is ever
 * a label or a value: labels are section names, table names, operations,
 * states and kinds only.
 */
#ifndef RC_METRICS_H
#define RC_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct rc_queue;

/* ------------------------------------------------------------------ */
/* States and kinds                                                   */
/* ------------------------------------------------------------------ */

/* What a source is doing; the source sets it (pipeline.h), the pipeline
 * sets the last two. Only STREAMING is ready. */
enum rc_src_state {
	RC_SRC_STARTING = 0, /* created, not connected yet */
	RC_SRC_CONNECTING,   /* connecting, checking, setting up */
	RC_SRC_STREAMING,    /* reading the change stream */
	RC_SRC_RECONNECTING, /* lost the server; waiting to try again */
	RC_SRC_STOPPED,	     /* stopped cleanly */
	RC_SRC_FAILED,	     /* stopped by an error */
	RC_SRC_NSTATES
};

/* Kinds of the errors counter. */
enum rc_err_kind {
	RC_ERR_CONNECTION = 0, /* a connection to the database failed or
				* was lost (it is retried) */
	RC_ERR_SOURCE,	       /* the source stopped for good */
	RC_ERR_SINK,	       /* a sink failed (the pipeline stops) */
	RC_ERR_CHECKPOINT,     /* a checkpoint could not be written */
	RC_ERR_NKINDS
};

const char *rc_src_state_name(enum rc_src_state st);
const char *rc_err_kind_name(enum rc_err_kind kind);

/* The operation codes of events, in counter order (c u d r t). */
#define RC_METRICS_NOPS 5
/* Index of op ('c', 'u', ...) in the counters, -1 for an unknown one. */
int rc_metrics_op_index(char op);
/* "create", "update", "delete", "read", "truncate". */
const char *rc_metrics_op_name(int idx);

/* ------------------------------------------------------------------ */
/* Histograms                                                         */
/* ------------------------------------------------------------------ */

#define RC_HIST_MAX_BOUNDS 16

/* Counts per bucket (not cumulative: the exposition adds them up), and the
 * sum in microseconds so that it can be an integer atomic. */
struct rc_histogram {
	const double *bounds; /* upper bounds, ascending, in seconds */
	int nbounds;	      /* <= RC_HIST_MAX_BOUNDS; +Inf is implicit */
	atomic_uint_fast64_t counts[RC_HIST_MAX_BOUNDS + 1];
	atomic_uint_fast64_t sum_us;
};

/* The latency buckets, 5 ms to 5 min. */
extern const double rc_latency_bounds[];
extern const int rc_latency_nbounds;

void rc_hist_init(struct rc_histogram *h, const double *bounds, int nbounds);
/* n observations of seconds each. @locality any thread */
void rc_hist_observe(struct rc_histogram *h, double seconds, uint64_t n);

/* ------------------------------------------------------------------ */
/* Per source                                                         */
/* ------------------------------------------------------------------ */

/* Events and bytes of one table, per operation. */
struct rc_metrics_table {
	char name[2 * 256 + 2]; /* "schema.table" (RC_MAX_NAME each) */
	atomic_uint_fast64_t events[RC_METRICS_NOPS];
	atomic_uint_fast64_t bytes[RC_METRICS_NOPS];
	/* snapshot (snapshot.h): 0 no snapshot state, else 1 + enum
	 * rc_snap_state; rows emitted; estimated total (-1 unknown) */
	atomic_int snap_state;
	atomic_uint_fast64_t snap_rows;
	atomic_int_fast64_t snap_estimate;
};

/* Most tables per source that get their own series; events of further
 * tables are counted under the table label "(other)". */
#define RC_METRICS_MAX_TABLES 1024

struct rc_metrics_sink {
	const char *name; /* borrowed: the [sink] section's name */
	atomic_int failed;
	atomic_uint_fast64_t dead_letters;
};

struct rc_metrics_source {
	char *name;	       /* the [source] section's name */
	const char *connector; /* "postgresql", "mysql" (static) */
	struct rc_queue *q;    /* its queue, read for queue bytes; may be
				* NULL */
	uint64_t queue_max_bytes;

	atomic_int state; /* enum rc_src_state */
	atomic_uint_fast64_t reconnects;
	atomic_uint_fast64_t errors[RC_ERR_NKINDS];

	/* bumped for every event by the source thread: a cache line of its
	 * own, away from what the pipeline thread writes */
	char pad_emitted[64];
	atomic_uint_fast64_t emitted; /* events pushed by the source */
	char pad_settled[64];
	atomic_uint_fast64_t settled; /* events made durable or dropped */
	atomic_uint_fast64_t txns;
	atomic_uint_fast64_t checkpoints;
	atomic_int_fast64_t last_checkpoint_ms; /* wall clock, 0 = none */

	/* commit time (microseconds since 1970) of the oldest transaction
	 * read but not yet durable (0: none in flight), and of the newest
	 * durable one (0: none yet) */
	atomic_int_fast64_t oldest_inflight_commit_us;
	atomic_int_fast64_t last_durable_commit_us;
	/* bytes the server holds beyond the confirmed position, -1 unknown */
	atomic_int_fast64_t lag_bytes;

	/* read by the source -> durable in every sink, and commit -> durable */
	struct rc_histogram delivery;
	struct rc_histogram commit;

	struct rc_metrics_table *tables;     /* RC_METRICS_MAX_TABLES + 1 */
	atomic_uint ntables;		     /* published entries */
	const struct rc_metrics_table *last; /* writer's lookup cache */

	struct rc_metrics_sink *sinks;
	int nsinks;
};

/*
 * A source's metrics with room for nsinks sinks (named later with
 * rc_metrics_sink_name). NULL on out of memory. Free with
 * rc_metrics_source_free().
 */
struct rc_metrics_source *rc_metrics_source_new(const char *name, int nsinks);
void rc_metrics_source_free(struct rc_metrics_source *ms);

/*
 * The counters of table schema.name, added on first use. Returns NULL only
 * when out of room (the caller then counts under "(other)", which
 * rc_metrics_count does by itself).
 * @locality one writer thread per source (the pipeline thread; the source
 *           thread before the pipeline runs); readers any thread
 */
struct rc_metrics_table *rc_metrics_table(struct rc_metrics_source *ms,
					  const char *schema, const char *name);

/* One event of op and bytes for schema.name. @locality as above */
void rc_metrics_count(struct rc_metrics_source *ms, const char *schema,
		      const char *name, char op, uint64_t bytes);

/* ------------------------------------------------------------------ */
/* The registry and the exposition                                    */
/* ------------------------------------------------------------------ */

#define RC_METRICS_MAX_SOURCES 256

struct rc_metrics {
	const char *version;
	int64_t start_ms; /* wall clock */
	struct rc_metrics_source *sources[RC_METRICS_MAX_SOURCES];
	int nsources;
};

/* A registry for version, started now. Sources are added with
 * rc_metrics_add (borrowed: they stay owned by their pipelines). */
void rc_metrics_init(struct rc_metrics *m, const char *version);
/* 0, or -1 when RC_METRICS_MAX_SOURCES are registered already.
 * @locality before the HTTP server starts */
int rc_metrics_add(struct rc_metrics *m, struct rc_metrics_source *ms);

/*
 * Append the whole exposition (Prometheus text 0.0.4) to out, with now_ms
 * as the wall clock for the values computed at scrape time (lag seconds).
 * 0, or -1 when out is full.
 * @locality any thread
 */
int rc_metrics_render(const struct rc_metrics *m, int64_t now_ms,
		      struct rc_buf *out);

/*
 * Readiness: 1 when every source is streaming and no sink has failed, 0
 * otherwise. Appends a short JSON body to out: {"status":"ready"|
 * "not ready","sources":{name:state,...},"sinks":{...}}.
 * @locality any thread
 */
int rc_metrics_health(const struct rc_metrics *m, struct rc_buf *out);

/* Exposition helpers (used by rc_metrics_render, tested on their own). */

/* "# HELP name help\n# TYPE name type\n" (help escaped: \\ and \n). */
int rc_prom_family(struct rc_buf *b, const char *name, const char *type,
		   const char *help);
/* A label value, escaped: backslash, double quote and newline. */
int rc_prom_label_value(struct rc_buf *b, const char *s);
/*
 * One sample: name{k1="v1",...} value\n. labels holds nlabels pairs
 * (key, value, key, value...). The value is printed as an integer when it
 * is one, else with the fewest digits (15 or 17) that read back exactly; NaN
 * and infinities as Prometheus spells them.
 */
int rc_prom_sample(struct rc_buf *b, const char *name,
		   const char *const *labels, int nlabels, double value);
/* Buckets (cumulative, with le="+Inf"), _sum and _count of h. The family
 * line is the caller's. */
int rc_prom_histogram(struct rc_buf *b, const char *name,
		      const char *const *labels, int nlabels,
		      const struct rc_histogram *h);

/* ------------------------------------------------------------------ */
/* The listen address                                                 */
/* ------------------------------------------------------------------ */

/*
 * Split "HOST:PORT" ("127.0.0.1:9187", "localhost:9187", "[::1]:9187",
 * ":9187" for every address) into host (empty for every address) and port
 * (1..65535). 0, or -1 with what was expected in err.
 */
int rc_metrics_parse_listen(const char *text, char *host, size_t hostlen,
			    uint16_t *port, char *err, size_t errlen);

#endif
