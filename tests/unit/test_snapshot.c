/*
 * test_snapshot.c -- the snapshot core: which tables a checkpoint says need
 * a snapshot, the checkpoint lines round trip (percent-encoded names and
 * keys), a chunk drops the rows the stream changed and marks the table's
 * last row, and positions without snapshot lines keep the previous ones in
 * the ack tracker.
 */
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "cu_main.h"
#include "event.h"
#include "snapshot.h"
#include "tablecfg.h"

static struct rc_tablecfg *
tables(const char *const *names, int n)
{
	struct rc_tablecfg *t = calloc((size_t)n, sizeof(*t));

	for (int i = 0; i < n; i++) {
		const char *dot = strchr(names[i], '.');
		t[i].schema = strndup(names[i], (size_t)(dot - names[i]));
		t[i].name = strdup(dot + 1);
	}
	return t;
}

static char *
format(struct rc_snap *s)
{
	int oom;
	s->dirty = 1;
	return rc_snap_take_text(s, &oom);
}

static void
test_plan_first_start(void)
{
	const char *names[] = {"public.a", "public.b"};
	struct rc_tablecfg *t = tables(names, 2);
	struct rc_snap *s = rc_snap_new("src", NULL);
	char err[256], *text;

	CU_ASSERT_EQUAL_FATAL(rc_snap_plan(s, NULL, 0, t, 2, err, sizeof(err)),
			      0);
	CU_ASSERT(rc_snap_active(s));
	CU_ASSERT_PTR_EQUAL(rc_snap_next(s), &s->t[0]);
	text = format(s);
	CU_ASSERT_STRING_EQUAL(text, "snapshot = pending public.a 0\n"
				     "snapshot = pending public.b 0\n");
	free(text);
	/* nothing changed: no text */
	{
		int oom;
		CU_ASSERT_PTR_NULL(rc_snap_take_text(s, &oom));
	}
	rc_snap_free(s);
	rc_tablecfg_free(t, 2);
}

static void
test_plan_checkpoint(void)
{
	const char *names[] = {"public.a", "public.b", "public.new"};
	struct rc_tablecfg *t = tables(names, 3);
	struct rc_snap *s = rc_snap_new("src", NULL);
	char err[256], *text;

	/* a: done; b: running with a two-column key that needs escapes;
	 * new: not in the checkpoint, so added since */
	CU_ASSERT_EQUAL_FATAL(
		rc_snap_plan(s,
			     "snapshot = done public.a\n"
			     "snapshot = running public.b 120 x%2Cy%20z,42\n"
			     "snapshot = done public.gone\n",
			     1, t, 3, err, sizeof(err)),
		0);
	CU_ASSERT_EQUAL(s->n, 3);
	CU_ASSERT_EQUAL(s->t[0].state, RC_SNAP_DONE);
	CU_ASSERT_EQUAL(s->t[1].state, RC_SNAP_RUNNING);
	CU_ASSERT_EQUAL(s->t[1].rows, 120);
	CU_ASSERT_EQUAL_FATAL(s->t[1].ncursor, 2);
	CU_ASSERT_STRING_EQUAL(s->t[1].cursor[0], "x,y z");
	CU_ASSERT_STRING_EQUAL(s->t[1].cursor[1], "42");
	CU_ASSERT_EQUAL(s->t[2].state, RC_SNAP_PENDING);
	/* running first */
	CU_ASSERT_PTR_EQUAL(rc_snap_next(s), &s->t[1]);
	text = format(s);
	CU_ASSERT_STRING_EQUAL(text,
			       "snapshot = done public.a\n"
			       "snapshot = running public.b 120 x%2Cy%20z,42\n"
			       "snapshot = pending public.new 0\n");
	free(text);

	/* b finishes: done, cursor gone */
	{
		char *key[] = {"zz", "1"};
		CU_ASSERT_EQUAL(rc_snap_advance(s, &s->t[1], 10, key, 2, 1), 0);
		CU_ASSERT_EQUAL(s->t[1].state, RC_SNAP_DONE);
		CU_ASSERT_EQUAL(s->t[1].rows, 130);
		CU_ASSERT_EQUAL(s->t[1].ncursor, 0);
	}
	/* a request puts a back */
	CU_ASSERT_EQUAL(rc_snap_request(s, "public", "a"), 0);
	CU_ASSERT_EQUAL(rc_snap_request(s, "public", "nope"), -1);
	CU_ASSERT_EQUAL(s->t[0].state, RC_SNAP_PENDING);
	rc_snap_free(s);
	rc_tablecfg_free(t, 3);
}

static void
test_plan_legacy_and_never(void)
{
	const char *names[] = {"public.a"};
	struct rc_tablecfg *t = tables(names, 1);
	struct rc_snap *s = rc_snap_new("src", NULL);
	char err[256];

	/* a checkpoint from before snapshots: nothing to read */
	CU_ASSERT_EQUAL(rc_snap_plan(s, NULL, 1, t, 1, err, sizeof(err)), 0);
	CU_ASSERT(!rc_snap_active(s));
	rc_snap_free(s);

	s = rc_snap_new("src", NULL);
	s->mode = RC_SNAP_NEVER;
	CU_ASSERT_EQUAL(rc_snap_plan(s, NULL, 0, t, 1, err, sizeof(err)), 0);
	CU_ASSERT(!rc_snap_active(s));
	rc_snap_free(s);

	/* corrupt lines are errors, not a silent fresh start */
	s = rc_snap_new("src", NULL);
	CU_ASSERT_EQUAL(rc_snap_plan(s, "snapshot = maybe public.a\n", 1, t, 1,
				     err, sizeof(err)),
			-1);
	rc_snap_free(s);
	s = rc_snap_new("src", NULL);
	CU_ASSERT_EQUAL(rc_snap_plan(s, "snapshot = running public.a 5\n", 1, t,
				     1, err, sizeof(err)),
			-1); /* running needs its cursor */
	CU_ASSERT_EQUAL(rc_snap_plan(s, "snapshot = done public.a%zz\n", 1, t,
				     1, err, sizeof(err)),
			-1);
	rc_snap_free(s);
	rc_tablecfg_free(t, 1);
}

/* A table (id int key, v string) and an event of it. */
static struct rc_table *
kv_table(void)
{
	struct rc_table *tbl = rc_table_new("src", "db", "public", "kv", 2);

	rc_table_set_column(tbl, 0, "id", RC_T_INT32, "integer");
	rc_table_set_column(tbl, 1, "v", RC_T_STRING, "text");
	tbl->cols[0].flags |= RC_COL_KEY;
	rc_table_finish(tbl);
	return tbl;
}

static struct rc_event *
kv_event(struct rc_table *tbl, char op, int before, int after)
{
	struct rc_event *ev = rc_event_new(op, tbl);

	if (before >= 0) {
		rc_event_alloc_row(ev, &ev->before);
		rc_event_row(ev, ev->before)[0].kind = RC_V_SET;
		rc_event_row(ev, ev->before)[0].u.i = before;
	}
	if (after >= 0) {
		rc_event_alloc_row(ev, &ev->after);
		rc_event_row(ev, ev->after)[0].kind = RC_V_SET;
		rc_event_row(ev, ev->after)[0].u.i = after;
		rc_event_set_bytes(ev, ev->after, 1, RC_V_SET, "x", 1);
	}
	return ev;
}

struct sink {
	int ids[4096];
	int flags[4096];
	int n;
};

static int
collect(void *ctx, struct rc_event *ev)
{
	struct sink *k = ctx;

	k->ids[k->n] = (int)rc_event_row(ev, ev->after)[0].u.i;
	k->flags[k->n++] = ev->src.snapshot;
	rc_event_free(ev);
	return 0;
}

static void
test_chunk_drop_and_emit(void)
{
	struct rc_table *tbl = kv_table();
	struct rc_snap *s = rc_snap_new("src", NULL);
	struct rc_snap_chunk c;
	char *pk[] = {"id", NULL};
	struct sink k = {0};
	const char *names[] = {"public.kv"};
	struct rc_tablecfg *t = tables(names, 1);
	char err[256];

	rc_snap_plan(s, NULL, 0, t, 1, err, sizeof(err));
	rc_snap_chunk_init(&c);
	rc_snap_chunk_begin(&c, &s->t[0], pk, 1);
	for (int i = 1; i <= 3000; i++) /* grows the hash set */
		CU_ASSERT_EQUAL(
			rc_snap_chunk_add(&c, kv_event(tbl, 'r', -1, i)), 0);
	CU_ASSERT_EQUAL(c.live, 3000);

	/* the stream: an update of 7, a delete of 3000 (the last row), a key
	 * change 10 -> 5000, an insert of a row the chunk lacks, a change of
	 * another table */
	{
		struct rc_event *u = kv_event(tbl, 'u', 7, 7),
				*d = kv_event(tbl, 'd', 3000, -1),
				*m = kv_event(tbl, 'u', 10, 5000),
				*i = kv_event(tbl, 'c', -1, 9999);
		struct rc_table *other =
			rc_table_new("src", "db", "public", "other", 2);
		struct rc_event *o;

		rc_table_set_column(other, 0, "id", RC_T_INT32, "integer");
		rc_table_set_column(other, 1, "v", RC_T_STRING, "text");
		rc_table_finish(other);
		o = kv_event(other, 'u', 11, 11);
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, u), 1);
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, u), 0); /* gone */
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, d), 1);
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, m), 1);
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, i), 0);
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, o), 0);
		rc_event_free(u);
		rc_event_free(d);
		rc_event_free(m);
		rc_event_free(i);
		rc_event_free(o);
		rc_table_unref(other);
	}
	CU_ASSERT_EQUAL(c.live, 2997);
	CU_ASSERT_EQUAL(c.dropped, 3);
	{
		char *key[] = {"3000"};
		rc_snap_chunk_set_end(&c, key, 1, 1);
	}
	CU_ASSERT_EQUAL(rc_snap_chunk_emit(&c, collect, &k), 0);
	CU_ASSERT_EQUAL_FATAL(k.n, 2997);
	CU_ASSERT_EQUAL(k.ids[0], 1);
	CU_ASSERT_EQUAL(k.ids[k.n - 1], 2999); /* 3000 was deleted */
	CU_ASSERT_EQUAL(k.flags[k.n - 1], 2);  /* "last" */
	CU_ASSERT_EQUAL(k.flags[0], 1);
	for (int j = 0; j < k.n; j++)
		CU_ASSERT(k.ids[j] != 7 && k.ids[j] != 10);

	/* a truncate empties the next chunk */
	rc_snap_chunk_begin(&c, &s->t[0], pk, 1);
	for (int i = 1; i <= 5; i++)
		rc_snap_chunk_add(&c, kv_event(tbl, 'r', -1, i));
	{
		struct rc_event *tr = rc_event_new('t', tbl);
		CU_ASSERT_EQUAL(rc_snap_chunk_drop(&c, tr), 5);
		rc_event_free(tr);
	}
	CU_ASSERT_EQUAL(c.live, 0);
	rc_snap_chunk_free(&c);
	rc_snap_free(s);
	rc_table_unref(tbl);
	rc_tablecfg_free(t, 1);
}

/* Positions without snapshot lines keep the ones before (ack.c). */
static void
test_ack_keeps_lines(void)
{
	struct rc_ack *ack = rc_ack_new(8);
	struct rc_pos out = {0}, p = {0};
	uint64_t a, b;

	a = rc_ack_begin(ack);
	p.lsn = 10;
	p.snap = strdup("snapshot = running public.a 5 5\n");
	rc_ack_commit(ack, a, &p);
	b = rc_ack_begin(ack);
	memset(&p, 0, sizeof(p));
	p.lsn = 20;
	rc_ack_commit(ack, b, &p);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out.snap);
	CU_ASSERT_STRING_EQUAL(out.snap, "snapshot = running public.a 5 5\n");
	rc_pos_clear(&out);
	rc_ack_free(ack);
}

static void
test_encode(void)
{
	struct rc_buf b;
	char s[64];

	rc_buf_init(&b, 1024);
	CU_ASSERT_EQUAL(rc_snap_encode(&b, "a b,c.d%\xc3\xa9"), 0);
	CU_ASSERT_EQUAL(rc_buf_putc(&b, '\0'), 0);
	CU_ASSERT_STRING_EQUAL(b.data, "a%20b%2Cc%2Ed%25%C3%A9");
	snprintf(s, sizeof(s), "%s", b.data);
	CU_ASSERT_EQUAL(rc_snap_decode(s), 0);
	CU_ASSERT_STRING_EQUAL(s, "a b,c.d%\xc3\xa9");
	snprintf(s, sizeof(s), "bad%%4");
	CU_ASSERT_EQUAL(rc_snap_decode(s), -1);
	rc_buf_free(&b);
	CU_ASSERT_EQUAL(rc_snap_mode_parse("when_needed"), RC_SNAP_WHEN_NEEDED);
	CU_ASSERT_EQUAL(rc_snap_mode_parse("sometimes"), -1);
}

static const struct cu_test tests[] = {
	{"plan on a first start", test_plan_first_start},
	{"plan from a checkpoint", test_plan_checkpoint},
	{"legacy checkpoint, never, corrupt lines", test_plan_legacy_and_never},
	{"chunk drops changed rows, marks the last", test_chunk_drop_and_emit},
	{"ack keeps snapshot lines", test_ack_keeps_lines},
	{"percent-encoding", test_encode},
	{NULL, NULL},
};

CU_MAIN("snapshot", tests)
