/*
 * pipeline.h -- moves events from one source to its sinks.
 *
 *   source thread                    pipeline thread
 *   rc_pipeline_begin()   ─┐
 *   rc_pipeline_emit()     ├─ queue ─▶ ack tracker, encoder, sinks ──▶ durable
 *   rc_pipeline_commit()  ─┘  (bounded in bytes)        │
 *   rc_pipeline_confirmed() ◀── checkpoint store ◀──────┘
 *
 * The source pushes transaction markers and events in commit order. The
 * pipeline thread tags each event with its transaction, hands it to every
 * sink, and advances the durable position only when every sink has
 * reported every event of a committed transaction durable; then, at most
 * every checkpoint_interval, it writes the checkpoint and publishes the
 * position the source may confirm to its database.
 */
#ifndef RC_PIPELINE_H
#define RC_PIPELINE_H

#include <stdint.h>

#include "event.h"
#include "metrics.h"
#include "position.h"

struct rc_config;
struct rc_conf_section;
struct rc_pipeline;

/*
 * Push calls. They block while the queue is full, up to timeout_ms. They
 * return 1 when queued (ownership of ev / pos->gtid passes to the
 * pipeline), 0 on timeout (nothing taken: call again after housekeeping
 * such as answering the server), -1 when the pipeline is stopping or has
 * failed (nothing taken).
 * @locality source thread
 */
int rc_pipeline_begin(struct rc_pipeline *pl, int timeout_ms);
int rc_pipeline_emit(struct rc_pipeline *pl, struct rc_event *ev,
		     int timeout_ms);
int rc_pipeline_commit(struct rc_pipeline *pl, struct rc_pos *pos,
		       int timeout_ms);
/* The open transaction will never commit (connection lost mid-way). */
int rc_pipeline_abort(struct rc_pipeline *pl, int timeout_ms);
/* No transaction is open and the source has seen everything up to pos
 * (e.g. a keepalive): once everything before is durable, pos is too. */
int rc_pipeline_idle(struct rc_pipeline *pl, struct rc_pos *pos,
		     int timeout_ms);

/*
 * The newest position that is durable in every sink and written to the
 * checkpoint store: what the source may confirm to the database.
 * Returns 0 and a copy in *pos (caller clears it), or 1 when nothing has
 * been confirmed yet.
 * @locality any thread
 */
int rc_pipeline_confirmed(struct rc_pipeline *pl, struct rc_pos *pos);
/* Cheap version for PostgreSQL: the confirmed lsn, 0 when none. */
uint64_t rc_pipeline_confirmed_lsn(struct rc_pipeline *pl);

/* True once a stop was asked (signal) or the pipeline failed.
 * @locality any thread */
int rc_pipeline_stopping(struct rc_pipeline *pl);

/*
 * Wait until everything pushed so far is durable and checkpointed, up to
 * timeout_ms. Returns 1 when drained, 0 on timeout, -1 on failure.
 * @locality source thread (e.g. before a reconnect or at shutdown)
 */
int rc_pipeline_wait_drained(struct rc_pipeline *pl, int timeout_ms);

/*
 * The loop of a source that connects, streams and reconnects. session()
 * runs one session and returns RC_SESS_*; after RC_SESS_RETRY the loop
 * aborts the open transaction (when *in_txn), calls close_session(),
 * waits until the pipeline has made everything received durable (so the
 * next session asks the server for the rest only), logs src->lasterr and
 * waits 1 s, doubling up to max_backoff_ms (back to 1 s after a session
 * that lasted a minute). Returns 0 on a stop, RC_SOURCE_CONFIG or -1 as a
 * source's run() does; close_session() has been called on every return.
 * @locality source thread
 */
enum rc_session_outcome {
	RC_SESS_STOP = 0,    /* asked to stop, drained */
	RC_SESS_RETRY = 1,   /* connection lost: reconnect with backoff */
	RC_SESS_FATAL = -1,  /* an error no retry will fix */
	RC_SESS_CONFIG = -2, /* the user must fix something */
};
struct rc_source;
int rc_pipeline_run_sessions(struct rc_pipeline *pl, struct rc_source *src,
			     const char *comp, int64_t max_backoff_ms,
			     int (*session)(void *ctx),
			     void (*close_session)(void *ctx), void *ctx,
			     int *in_txn);

/*
 * Configuration reload (SIGHUP): main offers the reloaded configuration
 * and this source's section in it (both stay valid until the pipeline is
 * freed); the source takes it from its own thread, between transactions,
 * and starts capturing the tables added to `tables` (snapshotting them
 * unless snapshot = never). Other changes need a restart.
 * take returns NULL when nothing new was offered (one atomic load).
 */
void rc_pipeline_offer_reload(struct rc_pipeline *pl,
			      const struct rc_config *cfg,
			      const struct rc_conf_section *sec);
const struct rc_conf_section *
rc_pipeline_take_reload(struct rc_pipeline *pl, const struct rc_config **cfg);
/* The pipeline's state directory (checkpoints, snapshot requests). */
const char *rc_pipeline_state_dir(struct rc_pipeline *pl);

/* The source failed for good: stop the pipeline. @locality any thread */
void rc_pipeline_source_failed(struct rc_pipeline *pl);

/* A sink's durability report (see rc_sink_durable in sink.h).
 * @locality pipeline thread */
struct rc_sink;
void rc_pipeline_durable(struct rc_pipeline *pl, struct rc_sink *snk,
			 uint64_t txn_seq, uint32_t n);

/* Counters for logs and tests. */
struct rc_pipeline_stats {
	uint64_t events;      /* events handed to the sinks */
	uint64_t txns;	      /* transactions committed */
	uint64_t checkpoints; /* checkpoint files written */
	uint64_t queue_bytes; /* bytes in the queue now */
	uint64_t queue_peak;  /* most bytes ever in the queue */
};
void rc_pipeline_get_stats(struct rc_pipeline *pl,
			   struct rc_pipeline_stats *st);

/* ------------------------------------------------------------------ */
/* Metrics and health (metrics.h)                                     */
/* ------------------------------------------------------------------ */

/*
 * What the source is doing: CONNECTING when a session starts, STREAMING
 * once the change stream flows, RECONNECTING while it waits to try again.
 * The pipeline sets STOPPED or FAILED when run() returns. /health/ready is
 * 200 only while every source is STREAMING.
 * @locality source thread
 */
void rc_pipeline_set_state(struct rc_pipeline *pl, enum rc_src_state st);
/* One more attempt to connect after the server was lost or unreachable. */
void rc_pipeline_count_reconnect(struct rc_pipeline *pl);
/* One error of kind (metrics.h). @locality any thread */
void rc_pipeline_count_error(struct rc_pipeline *pl, enum rc_err_kind kind);
/* Bytes the server has written beyond the confirmed position, measured
 * by the source now and then (-1: unknown). @locality source thread */
void rc_pipeline_set_lag_bytes(struct rc_pipeline *pl, int64_t bytes);
/* A configured table, so that its counters exist (at 0) before its first
 * event. @locality source thread, before it emits events */
void rc_pipeline_declare_table(struct rc_pipeline *pl, const char *schema,
			       const char *name);
/* The pipeline's metrics, for the registry (owned by the pipeline: valid
 * until rc_pipeline_free). */
struct rc_metrics_source *rc_pipeline_metrics(struct rc_pipeline *pl);

/* ------------------------------------------------------------------ */
/* Used by main                                                       */
/* ------------------------------------------------------------------ */

struct rc_config;
struct rc_source;
struct rc_sink;

/*
 * A pipeline for src and its sinks. Takes ownership of src and of the sinks
 * array and its sinks (even on failure). start is the checkpointed position
 * (NULL: none); it is copied.
 */
struct rc_pipeline *rc_pipeline_new(const struct rc_config *cfg,
				    struct rc_source *src,
				    struct rc_sink **sinks, int nsinks,
				    const struct rc_pos *start, char *err,
				    size_t errlen);

/*
 * Run: start the source thread and move events until the source stops and
 * everything is drained. Returns 0 on a clean stop, 2 when the source
 * reported a problem only the user can fix, 1 on any other failure.
 * @locality the calling thread becomes the pipeline thread
 */
int rc_pipeline_run(struct rc_pipeline *pl);

/* Ask for a graceful stop. @locality any thread (not a signal handler) */
void rc_pipeline_request_stop(struct rc_pipeline *pl);

void rc_pipeline_free(struct rc_pipeline *pl);
#endif
