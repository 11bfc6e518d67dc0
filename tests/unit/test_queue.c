/*
 * test_queue.c -- the bounded queue: bounded in bytes and items, FIFO,
 * a producer blocks while it is full and resumes when it drains.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "queue.h"

static struct rc_item
begin_item(void)
{
	struct rc_item it = {.kind = RC_ITEM_BEGIN};
	return it;
}

static void
test_bytes_bound(void)
{
	struct rc_queue *q = rc_queue_new(100, 1000);
	struct rc_item it = begin_item(), out[10];

	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 600, 10), 1);
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 300, 10), 1);
	CU_ASSERT_EQUAL(rc_queue_bytes(q), 900);
	/* 900 + 200 > 1000: times out, nothing taken */
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 200, 20), 0);
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 1, 10), 1);
	CU_ASSERT_EQUAL(rc_queue_bytes(q), 300);
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 200, 10), 1);
	CU_ASSERT_EQUAL(rc_queue_peak_bytes(q), 900);
	rc_queue_free(q);
}

static void
test_oversized_item_when_empty(void)
{
	struct rc_queue *q = rc_queue_new(10, 100);
	struct rc_item it = begin_item(), out[2];

	/* larger than the whole bound: accepted only into an empty queue */
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 5000, 10), 1);
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 1, 10), 0);
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 2, 10), 1);
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 1, 10), 1);
	rc_queue_free(q);
}

static void
test_items_bound_and_order(void)
{
	struct rc_queue *q = rc_queue_new(4, 1 << 20);
	struct rc_item out[8];

	for (int i = 0; i < 4; i++) {
		struct rc_item it = {.kind = RC_ITEM_COMMIT};
		it.pos.lsn = (uint64_t)i;
		CU_ASSERT_EQUAL(rc_queue_push(q, &it, 1, 10), 1);
	}
	{
		struct rc_item it = begin_item();
		CU_ASSERT_EQUAL(rc_queue_push(q, &it, 1, 10), 0);
	}
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 8, 10), 4);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(out[i].pos.lsn, (uint64_t)i);
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 8, 10), 0);
	rc_queue_free(q);
}

struct producer {
	struct rc_queue *q;
	int n;
	int pushed;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < p->n; i++) {
		struct rc_item it = {.kind = RC_ITEM_COMMIT};
		int r;
		it.pos.lsn = (uint64_t)i;
		while ((r = rc_queue_push(p->q, &it, 100, 50)) == 0)
			;
		if (r < 0)
			break;
		p->pushed++;
	}
	return NULL;
}

/* A producer faster than the consumer never exceeds the bound, and the
 * consumer sees every item once, in order. */
static void
test_threads(void)
{
	struct rc_queue *q = rc_queue_new(1024, 1000);
	struct producer p = {q, 20000, 0};
	struct rc_item out[16];
	pthread_t t;
	uint64_t expect = 0;
	int bad = 0;

	pthread_create(&t, NULL, produce, &p);
	while (expect < 20000) {
		int n = rc_queue_pop(q, out, 16, 100);
		for (int i = 0; i < n; i++)
			if (out[i].pos.lsn != expect++)
				bad++;
		if (rc_queue_bytes(q) > 1000)
			bad++;
	}
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(p.pushed, 20000);
	CU_ASSERT(rc_queue_peak_bytes(q) <= 1000);
	rc_queue_close(q);
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 16, 10), -1);
	rc_queue_free(q);
}

/*
 * Events made on one thread and freed on another are recycled through the
 * process-wide pool in batches: the maker also frees some of its own (the
 * pattern that once made it walk the whole pool on each free), more
 * events pass than the pool holds, and every event it hands out is clean.
 */
struct event_maker {
	struct rc_queue *q;
	struct rc_table *tbl;
	int n;
	int dirty; /* events handed out with leftovers of their last use */
};

static void *
make_events(void *arg)
{
	struct event_maker *m = arg;

	rc_event_credit_refs(); /* as a source thread does; given back at exit
				 */
	for (int i = 0; i < m->n; i++) {
		struct rc_event *ev = rc_event_new('c', m->tbl);
		struct rc_item it = {.kind = RC_ITEM_EVENT};
		int r;

		if (!ev)
			break;
		if (ev->arena_len != 0 || ev->before != -1 || ev->after != -1 ||
		    ev->src.txid != -1 || ev->txn_id[0] || ev->op != 'c')
			m->dirty++;
		if (i % 7 == 0) { /* one of its own, freed here */
			rc_event_free(ev);
			continue;
		}
		if (rc_event_copy(ev, &i, sizeof(i)) < 0) {
			rc_event_free(ev);
			break;
		}
		snprintf(ev->txn_id, sizeof(ev->txn_id), "%d", i);
		ev->before = 0;
		it.ev = ev;
		while ((r = rc_queue_push(m->q, &it, rc_event_size(ev), 50)) ==
		       0)
			;
		if (r < 0) {
			rc_event_free(ev);
			break;
		}
	}
	return NULL;
}

static void
test_event_recycling(void)
{
	struct rc_table *tbl = rc_table_new("src", "db", "s", "t", 1);
	struct event_maker m = {rc_queue_new(64, 1 << 20), tbl, 60000, 0};
	struct rc_item out[16];
	pthread_t t;
	int got = 0, bad = 0, expect = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(tbl);
	rc_event_defer_unrefs(); /* as the pipeline thread does */
	pthread_create(&t, NULL, make_events, &m);
	while (expect < m.n) {
		int n = rc_queue_pop(m.q, out, 16, 100);
		for (int i = 0; i < n; i++) {
			int v;
			memcpy(&v, rc_event_ptr(out[i].ev, 0), sizeof(v));
			if (v != expect || atoi(out[i].ev->txn_id) != v)
				bad++;
			rc_event_free(out[i].ev);
			got++;
			if (++expect % 7 == 0)
				expect++;
		}
	}
	pthread_join(t, NULL); /* its lists go back to the pool */
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m.dirty, 0);
	CU_ASSERT_EQUAL(got, m.n - (m.n + 6) / 7);
	/* every event let go of its table, the deferred ones once flushed */
	CU_ASSERT(atomic_load(&tbl->refs) > 1);
	rc_event_flush_unrefs();
	CU_ASSERT_EQUAL(atomic_load(&tbl->refs), 1);
	rc_table_unref(tbl);
	rc_queue_free(m.q);
}

static void
test_close(void)
{
	struct rc_queue *q = rc_queue_new(4, 100);
	struct rc_item it = begin_item(), out[4];

	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 1, 10), 1);
	rc_queue_close(q);
	CU_ASSERT_EQUAL(rc_queue_push(q, &it, 1, 10), -1);
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 4, 10), 1); /* drains */
	CU_ASSERT_EQUAL(rc_queue_pop(q, out, 4, 10), -1);
	rc_queue_free(q);
}

static const struct cu_test tests[] = {
	{"bounded in bytes", test_bytes_bound},
	{"oversized item into an empty queue", test_oversized_item_when_empty},
	{"bounded in items, FIFO", test_items_bound_and_order},
	{"producer and consumer threads", test_threads},
	{"events recycled across threads", test_event_recycling},
	{"close", test_close},
	{NULL, NULL},
};

CU_MAIN("queue", tests)
