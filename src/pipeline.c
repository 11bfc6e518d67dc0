/*
 * pipeline.c -- moves events from one source to its sinks (see pipeline.h).
 *
 * Two threads per source. The source thread runs the source's run()
 * callback, which pushes items (transaction markers and events) into the
 * bounded queue. The pipeline thread pops them, assigns each transaction a
 * slot in the ack tracker, hands events to every sink, collects the sinks'
 * durability reports, and writes the checkpoint. The position the source
 * may confirm to its database is published under a mutex (and, for
 * PostgreSQL, in an atomic LSN) only after the checkpoint file holds it.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ack.h"
#include "checkpoint.h"
#include "clock.h"
#include "encoder.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "queue.h"
#include "sink.h"
#include "source.h"

#define POP_BATCH	     256
#define STAGE_ITEMS	     64
#define POLL_INTERVAL_MS     50
#define PROGRESS_INTERVAL_MS 60000

/* Events of one table so far in the open transaction (Debezium's
 * data_collection_order). Tables are told apart by schema and name, not by
 * shape: a schema change inside a transaction keeps counting. */
struct rc_table_count {
	struct rc_table *tbl; /* a reference, dropped at the next BEGIN */
	uint64_t n;
};

/* What the metrics need of one transaction in the ack ring, in a ring of
 * the same size (index seq & (RC_ACK_RING_SLOTS - 1)). */
struct rc_txn_meta {
	int64_t commit_us; /* commit time from its first event, 0 unknown */
	int64_t read_ms;   /* monotonic time its commit was read, 0 = not
			    * committed (aborted, or still open) */
	uint32_t nevents;  /* events handed to the sinks */
};

struct rc_pipeline {
	const struct rc_config *cfg;
	struct rc_source *src;
	struct rc_sink **sinks;
	int nsinks;
	struct rc_encoder *enc;
	struct rc_queue *q;
	struct rc_ack *ack;
	char *state_dir;
	int64_t checkpoint_interval_ms;
	int64_t shutdown_timeout_ms;
	struct rc_pos start;
	int have_start;
	/* a reloaded configuration for the source (under lock) */
	const struct rc_config *reload_cfg;
	const struct rc_conf_section *reload_sec;
	atomic_int reload_pending;
	int64_t batch_wall_ms; /* when the current batch was popped */

	/* source thread only: events not yet in the queue (push() says
	 * why) */
	struct rc_item stage[STAGE_ITEMS];
	int nstage;

	/* pipeline thread only */
	uint64_t cur_seq; /* open transaction, 0 = none */
	uint64_t cur_order;
	struct rc_table_count *counts; /* events per table in the open txn */
	size_t ncounts, counts_cap;
	struct rc_pos durable; /* newest durable position */
	int durable_dirty;     /* durable is newer than the checkpoint */
	int64_t last_checkpoint_ms;
	int64_t last_poll_ms;
	int64_t last_progress_ms;
	uint64_t last_progress_events;
	int sink_failed;
	struct rc_txn_meta *meta; /* RC_ACK_RING_SLOTS */
	uint64_t retired_upto;	  /* seqs below are accounted in metrics */

	/* written by both threads with atomics, read by the HTTP thread */
	struct rc_metrics_source *ms;

	/* shared; the counters each thread bumps for every batch or item
	 * sit on cache lines of their own (no false sharing) */
	pthread_t src_thread;
	int src_rc;
	atomic_int stopping;
	atomic_int failed;
	atomic_int config_error;
	char pad_pushed[64];
	atomic_uint_fast64_t pushed; /* items pushed by the source */
	char pad_handled[64];
	atomic_uint_fast64_t handled; /* items fully handled */
	char pad_after[64];
	atomic_uint_fast64_t confirmed_lsn;
	pthread_mutex_t lock;
	pthread_cond_t drained_cv;
	uint64_t drained_upto;	 /* items known drained (under lock) */
	int drain_waiters;	 /* under lock */
	struct rc_pos confirmed; /* under lock */
	int have_confirmed;	 /* under lock */

	/* stats (pipeline thread writes, others read roughly) */
	atomic_uint_fast64_t n_events;
	atomic_uint_fast64_t n_txns;
	atomic_uint_fast64_t n_checkpoints;
};

/* ------------------------------------------------------------------ */
/* Source side                                                        */
/* ------------------------------------------------------------------ */

/*
 * Events are staged and go into the queue STAGE_ITEMS at a time: one lock
 * and one touch of the queue's shared state per batch instead of per
 * event, which on two cores was a cache-line transfer per event. Staged
 * events belong to an open transaction, which nothing acknowledges before
 * its commit; every other item goes in at once, after the stage. Returns
 * 1 when the stage is empty, 0 when the queue had no room within
 * timeout_ms, -1 when the pipeline is closed.
 */
static int
flush_stage(struct rc_pipeline *pl, int timeout_ms)
{
	int n;

	if (pl->nstage == 0)
		return 1;
	n = rc_queue_push_many(pl->q, pl->stage, pl->nstage, timeout_ms);
	if (n < 0)
		return -1;
	if (n > 0) {
		atomic_fetch_add(&pl->pushed, (uint64_t)n);
		memmove(pl->stage, pl->stage + n,
			(size_t)(pl->nstage - n) * sizeof(pl->stage[0]));
		pl->nstage -= n;
	}
	return pl->nstage == 0;
}

static int
push(struct rc_pipeline *pl, struct rc_item *it, size_t bytes, int timeout_ms)
{
	int r;

	if (atomic_load(&pl->stopping) && atomic_load(&pl->failed))
		return -1;
	r = flush_stage(pl, timeout_ms);
	if (r != 1)
		return r;
	/* only a commit's read time is used (delivery latency) */
	it->read_ms = it->kind == RC_ITEM_COMMIT ? rc_mono_ms() : 0;
	r = rc_queue_push(pl->q, it, bytes, timeout_ms);
	if (r == 1)
		atomic_fetch_add(&pl->pushed, 1);
	return r;
}

int
rc_pipeline_begin(struct rc_pipeline *pl, int timeout_ms)
{
	struct rc_item it = {.kind = RC_ITEM_BEGIN};
	return push(pl, &it, sizeof(it), timeout_ms);
}

int
rc_pipeline_emit(struct rc_pipeline *pl, struct rc_event *ev, int timeout_ms)
{
	struct rc_item *it;

	if (atomic_load_explicit(&pl->stopping, memory_order_relaxed) &&
	    atomic_load(&pl->failed))
		return -1;
	if (pl->nstage == STAGE_ITEMS) {
		int r = flush_stage(pl, timeout_ms);
		if (r < 0)
			return -1;
		if (pl->nstage == STAGE_ITEMS)
			return 0;
	}
	it = &pl->stage[pl->nstage++];
	memset(it, 0, sizeof(*it));
	it->kind = RC_ITEM_EVENT;
	it->ev = ev;
	it->bytes = rc_event_size(ev);
	atomic_fetch_add_explicit(&pl->ms->emitted, 1, memory_order_relaxed);
	if (pl->nstage == STAGE_ITEMS)
		flush_stage(pl, 0); /* early, without waiting */
	return 1;
}

int
rc_pipeline_commit(struct rc_pipeline *pl, struct rc_pos *pos, int timeout_ms)
{
	struct rc_item it = {.kind = RC_ITEM_COMMIT, .pos = *pos};
	int r = push(pl, &it, sizeof(it), timeout_ms);

	if (r == 1)
		rc_pos_disown(pos); /* the queue owns it now */
	return r;
}

int
rc_pipeline_abort(struct rc_pipeline *pl, int timeout_ms)
{
	struct rc_item it = {.kind = RC_ITEM_ABORT};
	return push(pl, &it, sizeof(it), timeout_ms);
}

int
rc_pipeline_idle(struct rc_pipeline *pl, struct rc_pos *pos, int timeout_ms)
{
	struct rc_item it = {.kind = RC_ITEM_IDLE, .pos = *pos};
	int r = push(pl, &it, sizeof(it), timeout_ms);

	if (r == 1)
		rc_pos_disown(pos);
	return r;
}

int
rc_pipeline_confirmed(struct rc_pipeline *pl, struct rc_pos *pos)
{
	int r = 1;

	memset(pos, 0, sizeof(*pos));
	pthread_mutex_lock(&pl->lock);
	if (pl->have_confirmed && rc_pos_copy(pos, &pl->confirmed) == 0)
		r = 0;
	pthread_mutex_unlock(&pl->lock);
	return r;
}

uint64_t
rc_pipeline_confirmed_lsn(struct rc_pipeline *pl)
{
	return atomic_load(&pl->confirmed_lsn);
}

int
rc_pipeline_stopping(struct rc_pipeline *pl)
{
	return atomic_load(&pl->stopping);
}

const char *
rc_pipeline_state_dir(struct rc_pipeline *pl)
{
	return pl->state_dir;
}

void
rc_pipeline_request_stop(struct rc_pipeline *pl)
{
	atomic_store(&pl->stopping, 1);
}

void
rc_pipeline_offer_reload(struct rc_pipeline *pl, const struct rc_config *cfg,
			 const struct rc_conf_section *sec)
{
	pthread_mutex_lock(&pl->lock);
	pl->reload_cfg = cfg;
	pl->reload_sec = sec;
	pthread_mutex_unlock(&pl->lock);
	atomic_store(&pl->reload_pending, 1);
}

const struct rc_conf_section *
rc_pipeline_take_reload(struct rc_pipeline *pl, const struct rc_config **cfg)
{
	const struct rc_conf_section *sec;

	if (!atomic_load_explicit(&pl->reload_pending, memory_order_relaxed))
		return NULL;
	pthread_mutex_lock(&pl->lock);
	sec = pl->reload_sec;
	*cfg = pl->reload_cfg;
	pl->reload_sec = NULL;
	pl->reload_cfg = NULL;
	atomic_store(&pl->reload_pending, 0);
	pthread_mutex_unlock(&pl->lock);
	return sec;
}

void
rc_pipeline_source_failed(struct rc_pipeline *pl)
{
	atomic_store(&pl->failed, 1);
	atomic_store(&pl->stopping, 1);
}

/*
 * Wait until every item pushed so far has been handled, every transaction
 * is durable and the checkpoint holds the newest durable position.
 */
int
rc_pipeline_wait_drained(struct rc_pipeline *pl, int timeout_ms)
{
	uint64_t target = atomic_load(&pl->pushed);
	int64_t deadline = rc_mono_ms() + timeout_ms;
	int r = 0;

	pthread_mutex_lock(&pl->lock);
	pl->drain_waiters++;
	while (pl->drained_upto < target) {
		struct timespec ts;
		int64_t left = deadline - rc_mono_ms();

		if (left <= 0 ||
		    (atomic_load(&pl->failed) && atomic_load(&pl->stopping)))
			break;
		if (left > 100)
			left = 100;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += left * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&pl->drained_cv, &pl->lock, &ts);
	}
	if (pl->drained_upto >= target)
		r = 1;
	else if (atomic_load(&pl->failed))
		r = -1;
	pl->drain_waiters--;
	pthread_mutex_unlock(&pl->lock);
	return r;
}

/* ------------------------------------------------------------------ */
/* Metrics                                                            */
/* ------------------------------------------------------------------ */

void
rc_pipeline_set_state(struct rc_pipeline *pl, enum rc_src_state st)
{
	atomic_store(&pl->ms->state, (int)st);
}

void
rc_pipeline_count_reconnect(struct rc_pipeline *pl)
{
	atomic_fetch_add(&pl->ms->reconnects, 1);
}

void
rc_pipeline_count_error(struct rc_pipeline *pl, enum rc_err_kind kind)
{
	if (kind >= 0 && kind < RC_ERR_NKINDS)
		atomic_fetch_add(&pl->ms->errors[kind], 1);
}

void
rc_pipeline_set_lag_bytes(struct rc_pipeline *pl, int64_t bytes)
{
	atomic_store(&pl->ms->lag_bytes, bytes < 0 ? -1 : bytes);
}

void
rc_pipeline_declare_table(struct rc_pipeline *pl, const char *schema,
			  const char *name)
{
	rc_metrics_table(pl->ms, schema, name);
}

struct rc_metrics_source *
rc_pipeline_metrics(struct rc_pipeline *pl)
{
	return pl->ms;
}

/*
 * Account for the transactions the ack tracker retired since the last
 * call: their events leave the in-flight gauge, and committed ones are
 * observed in the latency histograms. Then publish the commit time of the
 * oldest transaction still in flight, for the lag in seconds.
 * @locality pipeline thread
 */
static void
account_retired(struct rc_pipeline *pl)
{
	uint64_t head = rc_ack_head(pl->ack), next;
	int64_t now_mono = 0, now_wall = 0, oldest = 0;
	uint64_t settled = 0;

	if (!pl->retired_upto)
		pl->retired_upto = head;
	for (; pl->retired_upto < head; pl->retired_upto++) {
		struct rc_txn_meta *t =
			&pl->meta[pl->retired_upto & (RC_ACK_RING_SLOTS - 1)];

		if (!t->nevents)
			continue;
		settled += t->nevents;
		if (t->read_ms) {
			if (!now_mono) {
				now_mono = rc_mono_ms();
				now_wall = rc_wall_ms();
			}
			rc_hist_observe(&pl->ms->delivery,
					(double)(now_mono - t->read_ms) / 1e3,
					t->nevents);
			if (t->commit_us) {
				rc_hist_observe(&pl->ms->commit,
						(double)now_wall / 1e3 -
							(double)t->commit_us /
								1e6,
						t->nevents);
				atomic_store_explicit(
					&pl->ms->last_durable_commit_us,
					t->commit_us, memory_order_relaxed);
			}
		}
		t->nevents = 0;
	}
	if (settled)
		atomic_fetch_add_explicit(&pl->ms->settled, settled,
					  memory_order_relaxed);
	/* the first of (at most 64) in-flight transactions that has events */
	next = head + rc_ack_inflight(pl->ack);
	for (uint64_t s = head; s < next && s < head + 64; s++) {
		const struct rc_txn_meta *t =
			&pl->meta[s & (RC_ACK_RING_SLOTS - 1)];

		if (t->nevents && t->commit_us) {
			oldest = t->commit_us;
			break;
		}
	}
	atomic_store_explicit(&pl->ms->oldest_inflight_commit_us, oldest,
			      memory_order_relaxed);
}

void
rc_pipeline_get_stats(struct rc_pipeline *pl, struct rc_pipeline_stats *st)
{
	st->events = atomic_load(&pl->n_events);
	st->txns = atomic_load(&pl->n_txns);
	st->checkpoints = atomic_load(&pl->n_checkpoints);
	st->queue_bytes = rc_queue_bytes(pl->q);
	st->queue_peak = rc_queue_peak_bytes(pl->q);
}

/* ------------------------------------------------------------------ */
/* Sink side                                                          */
/* ------------------------------------------------------------------ */

void
rc_pipeline_durable(struct rc_pipeline *pl, struct rc_sink *snk,
		    uint64_t txn_seq, uint32_t n)
{
	if (rc_ack_done(pl->ack, txn_seq, n) < 0) {
		rc_error("pipeline",
			 "sink %s reported an unknown delivery; "
			 "stopping to stay safe",
			 snk->name);
		atomic_store(&pl->failed, 1);
		atomic_store(&pl->stopping, 1);
	}
}

static void
fail_sink(struct rc_pipeline *pl, struct rc_sink *snk)
{
	rc_error("sink", "%s: %s", snk->name,
		 snk->lasterr[0] ? snk->lasterr : "failed");
	for (int i = 0; i < pl->nsinks && i < pl->ms->nsinks; i++)
		if (pl->sinks[i] == snk)
			atomic_store(&pl->ms->sinks[i].failed, 1);
	rc_pipeline_count_error(pl, RC_ERR_SINK);
	pl->sink_failed = 1;
	atomic_store(&pl->failed, 1);
	atomic_store(&pl->stopping, 1);
}

/* ------------------------------------------------------------------ */
/* Pipeline thread                                                    */
/* ------------------------------------------------------------------ */

/*
 * Write the checkpoint for the durable position and only then publish it
 * as confirmed, so that the database is never told about a position the
 * checkpoint file does not hold.
 */
static void
maybe_checkpoint(struct rc_pipeline *pl, int force)
{
	char err[RC_ERRLEN];
	int64_t now;

	if (!pl->durable_dirty)
		return;
	now = rc_mono_ms();
	if (!force && now - pl->last_checkpoint_ms < pl->checkpoint_interval_ms)
		return;
	if (rc_checkpoint_save(pl->state_dir, pl->src, &pl->durable, err,
			       sizeof(err)) < 0) {
		rc_error("checkpoint",
			 "%s (will retry; the database keeps "
			 "the changes meanwhile)",
			 err);
		rc_pipeline_count_error(pl, RC_ERR_CHECKPOINT);
		pl->last_checkpoint_ms = now;
		return;
	}
	pl->last_checkpoint_ms = now;
	pl->durable_dirty = 0;
	atomic_fetch_add(&pl->n_checkpoints, 1);
	atomic_fetch_add(&pl->ms->checkpoints, 1);
	atomic_store(&pl->ms->last_checkpoint_ms, rc_wall_ms());
	pthread_mutex_lock(&pl->lock);
	rc_pos_copy(&pl->confirmed, &pl->durable);
	pl->have_confirmed = 1;
	pthread_mutex_unlock(&pl->lock);
	atomic_store(&pl->confirmed_lsn, pl->durable.lsn);
}

static void
advance(struct rc_pipeline *pl)
{
	struct rc_pos pos = {0};

	if (rc_ack_advance(pl->ack, &pos)) {
		if (!pos.snap) { /* unchanged snapshot state */
			pos.snap = pl->durable.snap;
			pl->durable.snap = NULL;
		}
		rc_pos_clear(&pl->durable);
		pl->durable = pos;
		pl->durable_dirty = 1;
	} else {
		rc_pos_clear(&pos);
	}
	account_retired(pl);
}

static void
poll_sinks(struct rc_pipeline *pl)
{
	for (int i = 0; i < pl->nsinks && !pl->sink_failed; i++)
		if (pl->sinks[i]->ops->poll(pl->sinks[i]) < 0)
			fail_sink(pl, pl->sinks[i]);
	/* the sinks' counters are theirs (this thread); copy for readers */
	for (int i = 0; i < pl->nsinks && i < pl->ms->nsinks; i++)
		atomic_store_explicit(&pl->ms->sinks[i].dead_letters,
				      pl->sinks[i]->stats.dead_letters,
				      memory_order_relaxed);
	pl->last_poll_ms = rc_mono_ms();
}

static void
flush_sinks(struct rc_pipeline *pl)
{
	for (int i = 0; i < pl->nsinks && !pl->sink_failed; i++)
		if (pl->sinks[i]->ops->flush(pl->sinks[i]) < 0)
			fail_sink(pl, pl->sinks[i]);
}

/* Begin a transaction in the ack ring, waiting for room when it is full
 * (every slot holds a transaction the sinks have not made durable yet). */
static uint64_t
begin_txn(struct rc_pipeline *pl)
{
	uint64_t seq;

	while ((seq = rc_ack_begin(pl->ack)) == 0) {
		struct timespec ts = {0, 1000000L};

		if (pl->sink_failed)
			return 0;
		flush_sinks(pl);
		poll_sinks(pl);
		advance(pl);
		maybe_checkpoint(pl, 0);
		nanosleep(&ts, NULL);
	}
	return seq;
}

static uint64_t
next_table_order(struct rc_pipeline *pl, const struct rc_table *tbl)
{
	struct rc_table_count *c;

	for (size_t i = 0; i < pl->ncounts; i++) {
		c = &pl->counts[i];
		if (c->tbl == tbl || (!strcmp(c->tbl->name, tbl->name) &&
				      !strcmp(c->tbl->schema, tbl->schema)))
			return ++c->n;
	}
	if (pl->ncounts == pl->counts_cap) {
		size_t cap = pl->counts_cap ? pl->counts_cap * 2 : 8;
		c = realloc(pl->counts, cap * sizeof(*c));
		if (!c)
			return 0;
		pl->counts = c;
		pl->counts_cap = cap;
	}
	c = &pl->counts[pl->ncounts++];
	c->tbl = rc_table_ref((struct rc_table *)tbl);
	c->n = 1;
	return 1;
}

static void
reset_table_counts(struct rc_pipeline *pl)
{
	for (size_t i = 0; i < pl->ncounts; i++)
		rc_table_unref(pl->counts[i].tbl);
	pl->ncounts = 0;
}

static void
handle_event(struct rc_pipeline *pl, struct rc_event *ev)
{
	struct rc_txn_meta *t;

	if (pl->sink_failed || pl->cur_seq == 0)
		atomic_fetch_add(&pl->ms->settled, 1); /* dropped */
	if (pl->sink_failed)
		return;
	if (pl->cur_seq == 0) {
		rc_error("pipeline",
			 "source %s emitted an event outside a "
			 "transaction; stopping",
			 pl->src->name);
		atomic_store(&pl->failed, 1);
		atomic_store(&pl->stopping, 1);
		pl->sink_failed = 1;
		return;
	}
	if (ev->fin) {
		char err[RC_ERRLEN];

		if (ev->fin->finish(ev->fin, ev, err, sizeof(err)) < 0) {
			rc_error("source", "%s: %s", pl->src->name, err);
			rc_pipeline_count_error(pl, RC_ERR_SOURCE);
			atomic_store(&pl->failed, 1);
			atomic_store(&pl->stopping, 1);
			pl->sink_failed = 1; /* nothing more goes out */
			return;
		}
		ev->fin = NULL;
	}
	ev->txn_seq = pl->cur_seq;
	ev->txn_order = ++pl->cur_order;
	ev->table_order = next_table_order(pl, ev->tbl);
	ev->ts_ms = pl->batch_wall_ms;
	rc_ack_add(pl->ack, pl->cur_seq, (uint32_t)pl->nsinks);
	t = &pl->meta[pl->cur_seq & (RC_ACK_RING_SLOTS - 1)];
	t->nevents++;
	if (!t->commit_us)
		t->commit_us = ev->src.commit_ts_us;
	for (int i = 0; i < pl->nsinks; i++) {
		if (pl->sinks[i]->ops->write(pl->sinks[i], ev, pl->enc) < 0) {
			fail_sink(pl, pl->sinks[i]);
			return;
		}
	}
	atomic_fetch_add(&pl->n_events, 1);
	rc_metrics_count(pl->ms, ev->tbl->schema, ev->tbl->name, ev->op,
			 rc_event_size(ev));
}

static void
handle_item(struct rc_pipeline *pl, struct rc_item *it)
{
	switch (it->kind) {
	case RC_ITEM_BEGIN:
		if (pl->cur_seq)
			rc_ack_abort(pl->ack, pl->cur_seq);
		pl->cur_seq = begin_txn(pl);
		if (pl->cur_seq)
			pl->meta[pl->cur_seq & (RC_ACK_RING_SLOTS - 1)] =
				(struct rc_txn_meta){0};
		pl->cur_order = 0;
		reset_table_counts(pl);
		break;
	case RC_ITEM_EVENT:
		handle_event(pl, it->ev);
		rc_event_free(it->ev);
		break;
	case RC_ITEM_COMMIT:
		if (pl->cur_seq) {
			pl->meta[pl->cur_seq & (RC_ACK_RING_SLOTS - 1)]
				.read_ms = it->read_ms ? it->read_ms : 1;
			rc_ack_commit(pl->ack, pl->cur_seq, &it->pos);
			atomic_fetch_add(&pl->n_txns, 1);
			atomic_fetch_add(&pl->ms->txns, 1);
		}
		pl->cur_seq = 0;
		break;
	case RC_ITEM_ABORT:
		if (pl->cur_seq)
			rc_ack_abort(pl->ack, pl->cur_seq);
		pl->cur_seq = 0;
		break;
	case RC_ITEM_IDLE:
		if (!pl->cur_seq) {
			uint64_t seq = begin_txn(pl);
			if (seq) {
				pl->meta[seq & (RC_ACK_RING_SLOTS - 1)] =
					(struct rc_txn_meta){0};
				rc_ack_commit(pl->ack, seq, &it->pos);
			}
		}
		break;
	}
	rc_pos_clear(&it->pos);
	atomic_fetch_add(&pl->handled, 1);
}

/* Publish "drained up to handled" when nothing is in flight and the
 * checkpoint is current; wakes rc_pipeline_wait_drained(). */
static void
update_drained(struct rc_pipeline *pl)
{
	uint64_t handled = atomic_load(&pl->handled);
	int waiters;

	pthread_mutex_lock(&pl->lock);
	waiters = pl->drain_waiters;
	pthread_mutex_unlock(&pl->lock);
	if (waiters && (rc_ack_inflight(pl->ack) > 0 || pl->durable_dirty)) {
		/* somebody waits: make it happen now rather than on a timer */
		flush_sinks(pl);
		advance(pl);
		maybe_checkpoint(pl, 1);
	}
	if (pl->cur_seq || rc_ack_inflight(pl->ack) > 0 || pl->durable_dirty)
		return;
	pthread_mutex_lock(&pl->lock);
	if (handled > pl->drained_upto) {
		pl->drained_upto = handled;
		pthread_cond_broadcast(&pl->drained_cv);
	}
	pthread_mutex_unlock(&pl->lock);
}

/*
 * One line a minute while events flow, so that an operator reading the log
 * sees the agent is alive and how far it got.
 */
static void
log_progress(struct rc_pipeline *pl)
{
	uint64_t events = atomic_load(&pl->n_events);
	int64_t now = rc_mono_ms();
	char lsn[32];

	if (now - pl->last_progress_ms < PROGRESS_INTERVAL_MS)
		return;
	if (events != pl->last_progress_events) {
		rc_lsn_format(atomic_load(&pl->confirmed_lsn), lsn,
			      sizeof(lsn));
		rc_info("pipeline",
			"source %s: %llu events in the last %llds (%llu in "
			"all), %u transactions in flight, queue %zu bytes, "
			"confirmed %s",
			pl->src->name,
			(unsigned long long)(events - pl->last_progress_events),
			(long long)((now - pl->last_progress_ms) / 1000),
			(unsigned long long)events, rc_ack_inflight(pl->ack),
			rc_queue_bytes(pl->q), lsn);
	}
	pl->last_progress_ms = now;
	pl->last_progress_events = events;
}

static void *
source_thread(void *arg)
{
	struct rc_pipeline *pl = arg;
	int rc;

	rc_log_set_thread_source(pl->src->name);
	pthread_setname_np(pthread_self(), "rc-source");
	rc_event_credit_refs();
	rc = pl->src->ops->run(pl->src, pl, pl->have_start ? &pl->start : NULL);
	rc_event_flush_credits();
	pl->src_rc = rc;
	rc_pipeline_set_state(pl, rc == 0 ? RC_SRC_STOPPED : RC_SRC_FAILED);
	if (rc != 0) {
		rc_pipeline_count_error(pl, RC_ERR_SOURCE);
		rc_error("source", "%s: %s", pl->src->name,
			 pl->src->lasterr[0] ? pl->src->lasterr : "failed");
		if (rc == RC_SOURCE_CONFIG)
			atomic_store(&pl->config_error, 1);
		atomic_store(&pl->failed, 1);
		atomic_store(&pl->stopping, 1);
	}
	rc_queue_close(pl->q);
	return NULL;
}

int
rc_pipeline_run(struct rc_pipeline *pl)
{
	struct rc_item items[POP_BATCH];
	int64_t stop_deadline = 0;
	int n;

	rc_log_set_thread_source(pl->src->name);
	rc_event_defer_unrefs();
	if (pthread_create(&pl->src_thread, NULL, source_thread, pl) != 0) {
		rc_error("pipeline", "cannot start the source thread");
		return 1;
	}
	for (;;) {
		n = rc_queue_pop(pl->q, items, POP_BATCH, POLL_INTERVAL_MS);
		if (n < 0)
			break;
		/* the envelope's ts_ms: one clock read per batch popped */
		if (n > 0)
			pl->batch_wall_ms = rc_wall_ms();
		for (int i = 0; i < n; i++)
			handle_item(pl, &items[i]);
		rc_event_flush_unrefs();
		if (n == 0 ||
		    rc_mono_ms() - pl->last_poll_ms >= POLL_INTERVAL_MS) {
			/* n == 0: nothing came for a whole poll interval.
			 * The source has caught up, so there is no load to
			 * batch for: flush the sinks and checkpoint now rather
			 * than on the next flush and checkpoint ticks, which
			 * lets the database release what was read at once. */
			int idle = n == 0 && (rc_ack_inflight(pl->ack) > 0 ||
					      pl->durable_dirty);

			if (n == 0 && (idle || atomic_load(&pl->stopping)))
				flush_sinks(pl);
			poll_sinks(pl);
			advance(pl);
			maybe_checkpoint(pl,
					 idle || atomic_load(&pl->stopping));
			update_drained(pl);
			log_progress(pl);
		}
		if (atomic_load(&pl->stopping)) {
			if (!stop_deadline)
				stop_deadline =
					rc_mono_ms() + pl->shutdown_timeout_ms;
			else if (rc_mono_ms() > stop_deadline) {
				rc_error("pipeline",
					 "shutdown took longer than "
					 "shutdown_timeout; stopping "
					 "without draining (changes "
					 "not checkpointed will be "
					 "sent again)");
				atomic_store(&pl->failed, 1);
				rc_queue_close(pl->q);
			}
		}
	}
	rc_event_flush_unrefs();
	/* the source has returned and the queue is empty: final flush */
	if (pl->cur_seq)
		rc_ack_abort(pl->ack, pl->cur_seq);
	pl->cur_seq = 0;
	flush_sinks(pl);
	poll_sinks(pl);
	advance(pl);
	maybe_checkpoint(pl, 1);
	update_drained(pl);
	pthread_join(pl->src_thread, NULL);

	if (rc_ack_inflight(pl->ack) > 0) {
		rc_warn("pipeline",
			"source %s: %u transaction(s) were not made "
			"durable by the sinks before the stop; they "
			"will be sent again on the next start",
			pl->src->name, rc_ack_inflight(pl->ack));
		atomic_store(&pl->failed, 1);
	}
	if (atomic_load(&pl->config_error))
		return 2;
	if (atomic_load(&pl->failed) || pl->src_rc != 0)
		return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */
/* ------------------------------------------------------------------ */

struct rc_pipeline *
rc_pipeline_new(const struct rc_config *cfg, struct rc_source *src,
		struct rc_sink **sinks, int nsinks, const struct rc_pos *start,
		char *err, size_t errlen)
{
	struct rc_pipeline *pl = calloc(1, sizeof(*pl));

	if (!pl) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	pl->cfg = cfg;
	pl->src = src;
	pl->sinks = sinks;
	pl->nsinks = nsinks;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->drained_cv, NULL);
	pl->state_dir = strdup(rc_conf_str(&cfg->global, "state_dir"));
	pl->checkpoint_interval_ms =
		rc_conf_ms(&cfg->global, "checkpoint_interval");
	pl->shutdown_timeout_ms = rc_conf_ms(&cfg->global, "shutdown_timeout");
	pl->q = rc_queue_new(
		65536, (size_t)rc_conf_size(&cfg->global, "queue_max_bytes"));
	pl->ack = rc_ack_new(RC_ACK_RING_SLOTS);
	pl->enc = rc_encoder_new();
	pl->meta = calloc(RC_ACK_RING_SLOTS, sizeof(*pl->meta));
	pl->ms = rc_metrics_source_new(src->name, nsinks);
	if (!pl->state_dir || !pl->q || !pl->ack || !pl->enc || !pl->meta ||
	    !pl->ms) {
		snprintf(err, errlen, "out of memory");
		rc_pipeline_free(pl);
		return NULL;
	}
	for (int i = 0; i < nsinks; i++) {
		sinks[i]->pl = pl;
		pl->ms->sinks[i].name = sinks[i]->name;
	}
	pl->ms->connector = src->ops ? src->ops->name : NULL;
	pl->ms->q = pl->q;
	pl->ms->queue_max_bytes = rc_conf_size(&cfg->global, "queue_max_bytes");
	if (start) {
		rc_pos_copy(&pl->start, start);
		rc_pos_copy(&pl->confirmed, start);
		rc_pos_copy(&pl->durable, start);
		pl->have_start = 1;
		pl->have_confirmed = 1;
		atomic_store(&pl->confirmed_lsn, start->lsn);
	}
	pl->last_checkpoint_ms = rc_mono_ms();
	pl->last_progress_ms = pl->last_checkpoint_ms;
	return pl;
fail:
	if (src)
		src->ops->destroy(src);
	for (int i = 0; i < nsinks; i++)
		sinks[i]->ops->close(sinks[i]);
	free(sinks);
	return NULL;
}

void
rc_pipeline_free(struct rc_pipeline *pl)
{
	if (!pl)
		return;
	for (int i = 0; i < pl->nsinks; i++)
		if (pl->sinks[i])
			pl->sinks[i]->ops->close(pl->sinks[i]);
	free(pl->sinks);
	if (pl->src)
		pl->src->ops->destroy(pl->src);
	rc_queue_free(pl->q);
	for (int i = 0; i < pl->nstage; i++)
		rc_event_free(pl->stage[i].ev);
	rc_ack_free(pl->ack);
	rc_encoder_free(pl->enc);
	rc_pos_clear(&pl->start);
	rc_pos_clear(&pl->durable);
	rc_pos_clear(&pl->confirmed);
	reset_table_counts(pl);
	free(pl->counts);
	free(pl->meta);
	rc_metrics_source_free(pl->ms);
	free(pl->state_dir);
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->drained_cv);
	free(pl);
}

/* ------------------------------------------------------------------ */
/* The sessions of a source                                           */
/* ------------------------------------------------------------------ */

/* Sleep ms in small steps, returning early when asked to stop. */
static void
backoff_sleep(struct rc_pipeline *pl, int64_t ms)
{
	int64_t end = rc_mono_ms() + ms;

	while (!rc_pipeline_stopping(pl) && rc_mono_ms() < end) {
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int
rc_pipeline_run_sessions(struct rc_pipeline *pl, struct rc_source *src,
			 const char *comp, int64_t max_backoff_ms,
			 int (*session)(void *ctx),
			 void (*close_session)(void *ctx), void *ctx,
			 int *in_txn)
{
	int64_t backoff = 1000;

	for (;;) {
		int64_t began = rc_mono_ms();
		int rc = session(ctx);

		if (rc == RC_SESS_STOP) {
			close_session(ctx);
			return 0;
		}
		if (rc == RC_SESS_CONFIG || rc == RC_SESS_FATAL) {
			close_session(ctx);
			return rc == RC_SESS_CONFIG ? RC_SOURCE_CONFIG : -1;
		}
		rc_pipeline_set_state(pl, RC_SRC_RECONNECTING);
		rc_pipeline_count_error(pl, RC_ERR_CONNECTION);
		rc_pipeline_set_lag_bytes(pl, -1);
		if (*in_txn) {
			while (rc_pipeline_abort(pl, 100) == 0)
				;
			*in_txn = 0;
		}
		close_session(ctx);
		if (rc_pipeline_stopping(pl))
			return 0;
		while (rc_pipeline_wait_drained(pl, 1000) == 0 &&
		       !rc_pipeline_stopping(pl))
			;
		if (rc_mono_ms() - began > 60000)
			backoff = 1000;
		rc_warn_c(comp, RC_LOG_SRC(src->name),
			  "%s; reconnecting in %.1fs", src->lasterr,
			  (double)backoff / 1000.0);
		backoff_sleep(pl, backoff);
		backoff *= 2;
		if (backoff > max_backoff_ms)
			backoff = max_backoff_ms;
		if (rc_pipeline_stopping(pl))
			return 0;
		rc_pipeline_count_reconnect(pl);
	}
}
