/*
 * test_ack.c -- the ack tracker: the durable position moves only when every
 * delivery of a committed transaction, and of every older one, is durable.
 */
#include <stdlib.h>
#include <string.h>

#include "ack.h"
#include "cu_main.h"

static struct rc_pos
pos_at(uint64_t lsn)
{
	struct rc_pos p = {.lsn = lsn};
	return p;
}

static void
test_in_order(void)
{
	struct rc_ack *ack = rc_ack_new(8);
	struct rc_pos out = {0}, p;
	uint64_t a;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
	a = rc_ack_begin(ack);
	CU_ASSERT_EQUAL(a, 1);
	rc_ack_add(ack, a, 2);
	p = pos_at(100);
	rc_ack_commit(ack, a, &p);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 0);
	CU_ASSERT_EQUAL(rc_ack_done(ack, a, 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 0);
	CU_ASSERT_EQUAL(rc_ack_done(ack, a, 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 100);
	CU_ASSERT_EQUAL(rc_ack_inflight(ack), 0);
	rc_ack_free(ack);
}

/* A younger transaction that is durable first must wait for the older. */
static void
test_out_of_order(void)
{
	struct rc_ack *ack = rc_ack_new(8);
	struct rc_pos out = {0}, p;
	uint64_t a, b;

	a = rc_ack_begin(ack);
	rc_ack_add(ack, a, 1);
	p = pos_at(100);
	rc_ack_commit(ack, a, &p);
	b = rc_ack_begin(ack);
	rc_ack_add(ack, b, 1);
	p = pos_at(200);
	rc_ack_commit(ack, b, &p);

	CU_ASSERT_EQUAL(rc_ack_done(ack, b, 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 0);
	CU_ASSERT_EQUAL(rc_ack_inflight(ack), 2);
	CU_ASSERT_EQUAL(rc_ack_done(ack, a, 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 200);
	rc_ack_free(ack);
}

/* An open (not yet committed) transaction blocks, even when its events are
 * all durable: more may follow. */
static void
test_open_blocks(void)
{
	struct rc_ack *ack = rc_ack_new(8);
	struct rc_pos out = {0}, p;
	uint64_t a;

	a = rc_ack_begin(ack);
	rc_ack_add(ack, a, 1);
	CU_ASSERT_EQUAL(rc_ack_done(ack, a, 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 0);
	p = pos_at(5);
	rc_ack_commit(ack, a, &p);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 5);
	rc_ack_free(ack);
}

/* Empty transactions (keepalive positions) complete at once; an aborted
 * one carries no position but does not block the ones after it. */
static void
test_empty_and_abort(void)
{
	struct rc_ack *ack = rc_ack_new(8);
	struct rc_pos out = {0}, p;
	uint64_t a, b, c;

	a = rc_ack_begin(ack);
	p = pos_at(10);
	rc_ack_commit(ack, a, &p);
	b = rc_ack_begin(ack);
	rc_ack_add(ack, b, 1);
	rc_ack_abort(ack, b);
	c = rc_ack_begin(ack);
	p = pos_at(30);
	rc_ack_commit(ack, c, &p);
	/* b's delivery is still outstanding: c waits behind it */
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 10);
	CU_ASSERT_EQUAL(rc_ack_done(ack, b, 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 30);
	rc_ack_free(ack);
}

static void
test_ring_full_and_bad_reports(void)
{
	struct rc_ack *ack = rc_ack_new(4);
	struct rc_pos out = {0}, p;
	uint64_t s[4];

	for (int i = 0; i < 4; i++) {
		s[i] = rc_ack_begin(ack);
		CU_ASSERT_NOT_EQUAL(s[i], 0);
		rc_ack_add(ack, s[i], 1);
		p = pos_at(100 + (uint64_t)i);
		rc_ack_commit(ack, s[i], &p);
	}
	CU_ASSERT_EQUAL(rc_ack_begin(ack), 0);		/* full */
	CU_ASSERT_EQUAL(rc_ack_done(ack, s[0], 2), -1); /* more than sent */
	CU_ASSERT_EQUAL(rc_ack_done(ack, 999, 1), -1);	/* not in flight */
	CU_ASSERT_EQUAL(rc_ack_done(ack, s[0], 1), 0);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_EQUAL(out.lsn, 100);
	CU_ASSERT_NOT_EQUAL(rc_ack_begin(ack), 0);	/* room again */
	CU_ASSERT_EQUAL(rc_ack_done(ack, s[0], 1), -1); /* retired */
	rc_ack_free(ack);
}

/* gtid strings move with the position and are freed once. */
static void
test_gtid_ownership(void)
{
	struct rc_ack *ack = rc_ack_new(8);
	struct rc_pos out = {0}, p = {.lsn = 1, .offset = 77};
	uint64_t a;

	p.gtid = strdup("0-1-42");
	a = rc_ack_begin(ack);
	rc_ack_commit(ack, a, &p);
	CU_ASSERT_PTR_NULL(p.gtid);
	CU_ASSERT_EQUAL(rc_ack_advance(ack, &out), 1);
	CU_ASSERT_STRING_EQUAL(out.gtid, "0-1-42");
	CU_ASSERT_EQUAL(out.offset, 77);
	rc_pos_clear(&out);
	/* a transaction left in the ring is freed with it */
	p.gtid = strdup("0-1-43");
	a = rc_ack_begin(ack);
	rc_ack_add(ack, a, 1);
	rc_ack_commit(ack, a, &p);
	rc_ack_free(ack);
}

/* Many transactions through a small ring with random report order. */
static void
test_random(void)
{
	struct rc_ack *ack = rc_ack_new(16);
	struct rc_pos out = {0}, p;
	uint64_t pending[16];
	uint64_t last = 0, committed = 0;
	int npending = 0;

	srand(42);
	for (int round = 0; round < 5000; round++) {
		if (npending < 16 && (rand() % 2)) {
			uint64_t s = rc_ack_begin(ack);
			if (s) {
				rc_ack_add(ack, s, 1);
				p = pos_at(s * 10);
				rc_ack_commit(ack, s, &p);
				pending[npending++] = s;
				committed = s;
			}
		} else if (npending > 0) {
			int i = rand() % npending;
			CU_ASSERT_EQUAL(rc_ack_done(ack, pending[i], 1), 0);
			pending[i] = pending[--npending];
		}
		if (rc_ack_advance(ack, &out)) {
			CU_ASSERT(out.lsn > last);
			last = out.lsn;
			/* no pending transaction is at or below the position */
			for (int i = 0; i < npending; i++)
				CU_ASSERT(pending[i] * 10 > last);
		}
	}
	while (npending > 0)
		rc_ack_done(ack, pending[--npending], 1);
	rc_ack_advance(ack, &out);
	CU_ASSERT_EQUAL(out.lsn, committed * 10);
	rc_ack_free(ack);
}

static const struct cu_test tests[] = {
	{"in order", test_in_order},
	{"out of order", test_out_of_order},
	{"open transaction blocks", test_open_blocks},
	{"empty and aborted transactions", test_empty_and_abort},
	{"ring full, bad reports", test_ring_full_and_bad_reports},
	{"gtid ownership", test_gtid_ownership},
	{"random report order", test_random},
	{NULL, NULL},
};

CU_MAIN("ack", tests)
