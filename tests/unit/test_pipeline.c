/*
 * test_pipeline.c -- the pipeline with a scripted source and a capturing
 * sink: events reach the sink in order, the checkpoint and the confirmed
 * position move only after the sink reported durability, a full queue
 * stops the source instead of growing, and a stop drains and checkpoints.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "cu_main.h"
#include "pipeline.h"
#include "sink.h"
#include "source.h"

static char dir[256];

/* ------------------------------------------------------------------ */
/* A scripted source                                                  */
/* ------------------------------------------------------------------ */

struct fake_source {
	struct rc_source base;
	struct rc_table *tbl;
	int ntxns;	  /* transactions to emit */
	int per_txn;	  /* events per transaction */
	int wait_confirm; /* wait until the last position is confirmed */
	int timeouts;	  /* pushes that found the queue full */
	uint64_t max_confirmed_seen;
	int violations;	 /* confirmed beyond what the sink acked */
	int run_forever; /* until stopped */
};

static _Atomic uint64_t sink_acked_lsn; /* lsn of the newest acked event */

static int
fake_format(const struct rc_pos *pos, struct rc_buf *out)
{
	return rc_buf_printf(out, "n = %llu\n", (unsigned long long)pos->lsn);
}

static int
fake_parse(const char *k, const char *v, struct rc_pos *pos, char *err,
	   size_t errlen)
{
	(void)k;
	(void)err;
	(void)errlen;
	pos->lsn = strtoull(v, NULL, 10);
	return 0;
}

static int
push_retry(struct fake_source *fs, struct rc_pipeline *pl, int kind,
	   struct rc_event *ev, uint64_t lsn)
{
	for (;;) {
		struct rc_pos pos = {.lsn = lsn};
		int r;

		if (kind == 0)
			r = rc_pipeline_begin(pl, 20);
		else if (kind == 1)
			r = rc_pipeline_emit(pl, ev, 20);
		else
			r = rc_pipeline_commit(pl, &pos, 20);
		if (r != 0)
			return r;
		fs->timeouts++;
		{
			uint64_t c = rc_pipeline_confirmed_lsn(pl);
			if (c > sink_acked_lsn)
				fs->violations++;
		}
		if (rc_pipeline_stopping(pl))
			return -1;
	}
}

static int
fake_run(struct rc_source *src, struct rc_pipeline *pl,
	 const struct rc_pos *start)
{
	struct fake_source *fs = (struct fake_source *)src;
	uint64_t lsn = start ? start->lsn : 0;

	for (int t = 0; t < fs->ntxns || fs->run_forever; t++) {
		if (rc_pipeline_stopping(pl))
			break;
		if (push_retry(fs, pl, 0, NULL, 0) < 0)
			break;
		for (int i = 0; i < fs->per_txn; i++) {
			struct rc_event *ev = rc_event_new('c', fs->tbl);
			int64_t row;

			rc_event_alloc_row(ev, &row);
			ev->after = row;
			rc_event_row(ev, row)[0].kind = RC_V_SET;
			rc_event_row(ev, row)[0].u.i = (int64_t)(lsn + 1);
			ev->src.connector = "postgresql";
			ev->src.lsn = lsn + 1;
			if (push_retry(fs, pl, 1, ev, 0) < 0) {
				rc_event_free(ev);
				goto out;
			}
		}
		lsn++;
		if (push_retry(fs, pl, 2, NULL, lsn) < 0)
			break;
		{
			uint64_t c = rc_pipeline_confirmed_lsn(pl);
			if (c > sink_acked_lsn)
				fs->violations++;
			if (c > fs->max_confirmed_seen)
				fs->max_confirmed_seen = c;
		}
	}
out:
	if (fs->wait_confirm)
		while (rc_pipeline_wait_drained(pl, 100) == 0 &&
		       !rc_pipeline_stopping(pl))
			;
	fs->max_confirmed_seen = rc_pipeline_confirmed_lsn(pl);
	return 0;
}

static void
fake_destroy(struct rc_source *src)
{
	struct fake_source *fs = (struct fake_source *)src;
	rc_table_unref(fs->tbl);
	free(fs);
}

static const struct rc_source_ops fake_source_ops = {
	.name = "fake",
	.run = fake_run,
	.format_pos = fake_format,
	.parse_pos = fake_parse,
	.destroy = fake_destroy,
};

/* ------------------------------------------------------------------ */
/* A capturing sink: acks on flush or poll, unless held               */
/* ------------------------------------------------------------------ */

struct fake_sink {
	struct rc_sink base;
	uint64_t *seqs;
	uint64_t *lsns;
	size_t n, cap;
	size_t acked;	   /* prefix already reported */
	int hold;	   /* never report */
	uint64_t received; /* events written */
	int64_t last_value;
	int order_errors;
};

static int
fake_write(struct rc_sink *snk, const struct rc_event *ev,
	   struct rc_encoder *enc)
{
	struct fake_sink *fk = (struct fake_sink *)snk;
	int64_t v = rc_event_row(ev, ev->after)[0].u.i;

	(void)enc;
	if (fk->hold)
		usleep(2000); /* a slow destination that never confirms */
	if (v < fk->last_value)
		fk->order_errors++;
	fk->last_value = v;
	if (fk->n == fk->cap) {
		fk->cap = fk->cap ? fk->cap * 2 : 1024;
		fk->seqs = realloc(fk->seqs, fk->cap * sizeof(uint64_t));
		fk->lsns = realloc(fk->lsns, fk->cap * sizeof(uint64_t));
	}
	fk->seqs[fk->n] = ev->txn_seq;
	fk->lsns[fk->n] = ev->src.lsn;
	fk->n++;
	fk->received++;
	return 0;
}

static int
fake_poll(struct rc_sink *snk)
{
	struct fake_sink *fk = (struct fake_sink *)snk;

	if (fk->hold)
		return 0;
	/* an event's "lsn" is the commit position of its transaction, so
	 * nothing may be confirmed beyond the newest acked one */
	for (; fk->acked < fk->n; fk->acked++) {
		sink_acked_lsn = fk->lsns[fk->acked];
		rc_sink_durable(snk, fk->seqs[fk->acked], 1);
	}
	return 0;
}

static int
fake_flush(struct rc_sink *snk)
{
	return fake_poll(snk);
}

static void
fake_close(struct rc_sink *snk)
{
	struct fake_sink *fk = (struct fake_sink *)snk;
	free(fk->seqs);
	free(fk->lsns);
	free(fk);
}

static const struct rc_sink_ops fake_sink_ops = {
	.name = "fake",
	.write = fake_write,
	.poll = fake_poll,
	.flush = fake_flush,
	.close = fake_close,
};

/* ------------------------------------------------------------------ */
/* Harness                                                            */
/* ------------------------------------------------------------------ */

static struct rc_config *
make_config(const char *queue_bytes, const char *shutdown)
{
	char text[1024], err[512];
	struct rc_config *cfg;

	snprintf(text, sizeof(text),
		 "[rowcast]\nstate_dir = %s\ncheckpoint_interval = 10ms\n"
		 "queue_max_bytes = %s\nshutdown_timeout = %s\n"
		 "[source s]\ntype = postgresql\nconninfo = host=x\n"
		 "tables = public.t\n"
		 "[sink o]\ntype = stdout\n",
		 dir, queue_bytes, shutdown);
	cfg = rc_config_load_string(text, "test.conf", err, sizeof(err));
	if (!cfg)
		fprintf(stderr, "config: %s\n", err);
	return cfg;
}

static struct fake_source *
make_source(const struct rc_config *cfg)
{
	struct fake_source *fs = calloc(1, sizeof(*fs));

	fs->base.ops = &fake_source_ops;
	fs->base.name = "s";
	fs->base.cfg = cfg;
	fs->tbl = rc_table_new("s", "db", "public", "t", 1);
	rc_table_set_column(fs->tbl, 0, "id", RC_T_INT64, "bigint");
	fs->tbl->cols[0].flags = RC_COL_KEY;
	rc_table_finish(fs->tbl);
	return fs;
}

static struct fake_sink *
make_sink(void)
{
	struct fake_sink *fk = calloc(1, sizeof(*fk));

	fk->base.ops = &fake_sink_ops;
	fk->base.name = "o";
	return fk;
}

struct runner {
	struct rc_pipeline *pl;
	int rc;
};

static void *
run_thread(void *arg)
{
	struct runner *r = arg;
	r->rc = rc_pipeline_run(r->pl);
	return NULL;
}

/* Everything arrives in order; the final checkpoint holds the last commit. */
static void
test_end_to_end(void)
{
	struct rc_config *cfg = make_config("16M", "5s");
	struct fake_source *fs = make_source(cfg);
	struct fake_sink *fk = make_sink();
	struct rc_sink **sinks = malloc(sizeof(*sinks));
	struct rc_pos ck = {0};
	struct rc_pipeline *pl;
	struct rc_source probe;
	char err[512];
	int rc;

	sink_acked_lsn = 0;
	fs->ntxns = 500;
	fs->per_txn = 7;
	fs->wait_confirm = 1;
	sinks[0] = &fk->base;
	pl = rc_pipeline_new(cfg, &fs->base, sinks, 1, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	rc = rc_pipeline_run(pl);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(fk->received, 3500);
	CU_ASSERT_EQUAL(fk->order_errors, 0);
	CU_ASSERT_EQUAL(fs->violations, 0);
	CU_ASSERT_EQUAL(fs->max_confirmed_seen, 500);

	probe = fs->base;
	CU_ASSERT_EQUAL(rc_checkpoint_load(dir, &probe, &ck, err, sizeof(err)),
			1);
	CU_ASSERT_EQUAL(ck.lsn, 500);
	rc_pipeline_free(pl);
	rc_config_free(cfg);
}

/*
 * A sink that never reports: the queue fills, the source is held back (its
 * pushes time out) instead of memory growing, nothing is confirmed or
 * checkpointed, and a stop gives up after shutdown_timeout with status 1.
 */
static void
test_backpressure_and_no_confirm(void)
{
	struct rc_config *cfg = make_config("64k", "300ms");
	struct fake_source *fs = make_source(cfg);
	struct fake_sink *fk = make_sink();
	struct rc_sink **sinks = malloc(sizeof(*sinks));
	struct rc_pipeline_stats st;
	struct runner r;
	pthread_t t;
	char err[512], path[512];
	FILE *f;

	unlink(strcat(strcpy(path, dir), "/s.checkpoint"));
	sink_acked_lsn = 0;
	fk->hold = 1;
	fs->run_forever = 1;
	fs->per_txn = 50;
	sinks[0] = &fk->base;
	r.pl = rc_pipeline_new(cfg, &fs->base, sinks, 1, NULL, err,
			       sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.pl);
	pthread_create(&t, NULL, run_thread, &r);
	usleep(600 * 1000);
	rc_pipeline_get_stats(r.pl, &st);
	CU_ASSERT(fs->timeouts > 0);		      /* the source was held */
	CU_ASSERT(st.queue_peak <= 64 * 1024 + 4096); /* bounded */
	CU_ASSERT_EQUAL(rc_pipeline_confirmed_lsn(r.pl), 0);
	rc_pipeline_request_stop(r.pl);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(r.rc, 1);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NULL(f); /* nothing checkpointed */
	if (f)
		fclose(f);
	rc_pipeline_free(r.pl);
	rc_config_free(cfg);
}

/* Resuming from a checkpoint: confirmed starts there. */
static void
test_resume_position(void)
{
	struct rc_config *cfg = make_config("16M", "5s");
	struct fake_source *fs = make_source(cfg);
	struct fake_sink *fk = make_sink();
	struct rc_sink **sinks = malloc(sizeof(*sinks));
	struct rc_pos start = {.lsn = 1000};
	struct rc_pipeline *pl;
	char err[512];

	sink_acked_lsn = 0;
	fs->ntxns = 3;
	fs->per_txn = 1;
	fs->wait_confirm = 1;
	sinks[0] = &fk->base;
	pl = rc_pipeline_new(cfg, &fs->base, sinks, 1, &start, err,
			     sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	CU_ASSERT_EQUAL(rc_pipeline_confirmed_lsn(pl), 1000);
	CU_ASSERT_EQUAL(rc_pipeline_run(pl), 0);
	CU_ASSERT_EQUAL(rc_pipeline_confirmed_lsn(pl), 1003);
	rc_pipeline_free(pl);
	rc_config_free(cfg);
}

static const struct cu_test tests[] = {
	{"events in order, checkpoint after durability", test_end_to_end},
	{"backpressure, nothing confirmed without reports",
	 test_backpressure_and_no_confirm},
	{"resume position", test_resume_position},
	{NULL, NULL},
};

int
main(void)
{
	char cmd[300];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/rowcast-test-pipe-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	rc = cu_run("pipeline", tests);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return rc;
}
