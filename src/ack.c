/*
 * ack.c -- the ack tracker (see ack.h).
 */
#include <stdlib.h>

#include "ack.h"
#include "log.h"

#define TXN_OPEN      0
#define TXN_COMMITTED 1
#define TXN_ABORTED   2

struct rc_ack_txn {
	uint64_t seq;
	uint64_t sent; /* deliveries handed to sinks */
	uint64_t done; /* deliveries reported durable */
	int state;
	struct rc_pos pos; /* commit position (TXN_COMMITTED) */
};

struct rc_ack {
	struct rc_ack_txn *ring;
	uint32_t mask;
	uint64_t head; /* oldest seq in flight */
	uint64_t next; /* next seq to hand out */
};

struct rc_ack *
rc_ack_new(uint32_t slots)
{
	struct rc_ack *ack;

	if (slots == 0 || (slots & (slots - 1)) != 0)
		return NULL;
	ack = calloc(1, sizeof(*ack));
	if (!ack)
		return NULL;
	ack->ring = calloc(slots, sizeof(*ack->ring));
	if (!ack->ring) {
		free(ack);
		return NULL;
	}
	ack->mask = slots - 1;
	ack->head = 1;
	ack->next = 1;
	return ack;
}

void
rc_ack_free(struct rc_ack *ack)
{
	if (!ack)
		return;
	for (uint64_t s = ack->head; s < ack->next; s++)
		rc_pos_clear(&ack->ring[s & ack->mask].pos);
	free(ack->ring);
	free(ack);
}

static struct rc_ack_txn *
ack_slot(struct rc_ack *ack, uint64_t seq)
{
	if (seq < ack->head || seq >= ack->next)
		return NULL;
	return &ack->ring[seq & ack->mask];
}

uint64_t
rc_ack_begin(struct rc_ack *ack)
{
	struct rc_ack_txn *t;

	if (ack->next - ack->head > ack->mask)
		return 0;
	t = &ack->ring[ack->next & ack->mask];
	t->seq = ack->next;
	t->sent = 0;
	t->done = 0;
	t->state = TXN_OPEN;
	rc_pos_clear(&t->pos);
	return ack->next++;
}

void
rc_ack_add(struct rc_ack *ack, uint64_t seq, uint32_t n)
{
	struct rc_ack_txn *t = ack_slot(ack, seq);

	if (t)
		t->sent += n;
}

int
rc_ack_done(struct rc_ack *ack, uint64_t seq, uint32_t n)
{
	struct rc_ack_txn *t = ack_slot(ack, seq);

	if (!t) {
		rc_error("ack",
			 "delivery report for transaction %llu, which is "
			 "not in flight",
			 (unsigned long long)seq);
		return -1;
	}
	if (t->done + n > t->sent) {
		rc_error("ack",
			 "transaction %llu: %llu deliveries reported "
			 "durable, only %llu were sent",
			 (unsigned long long)seq,
			 (unsigned long long)(t->done + n),
			 (unsigned long long)t->sent);
		return -1;
	}
	t->done += n;
	return 0;
}

void
rc_ack_commit(struct rc_ack *ack, uint64_t seq, struct rc_pos *pos)
{
	struct rc_ack_txn *t = ack_slot(ack, seq);

	if (!t) {
		rc_pos_clear(pos);
		return;
	}
	rc_pos_clear(&t->pos);
	t->pos = *pos;
	rc_pos_disown(pos);
	rc_pos_clear(pos);
	t->state = TXN_COMMITTED;
}

void
rc_ack_abort(struct rc_ack *ack, uint64_t seq)
{
	struct rc_ack_txn *t = ack_slot(ack, seq);

	if (t)
		t->state = TXN_ABORTED;
}

/*
 * Walk from the head while transactions are complete. A committed one moves
 * the durable position to its commit position; an aborted one carries no
 * position and is retired once its deliveries are all reported (sinks report
 * every event they accepted, durable or failed), so no report ever arrives
 * for a transaction that has left the ring.
 */
int
rc_ack_advance(struct rc_ack *ack, struct rc_pos *pos)
{
	int moved = 0;
	char *keep;

	while (ack->head < ack->next) {
		struct rc_ack_txn *t = &ack->ring[ack->head & ack->mask];

		if (t->state == TXN_OPEN)
			break;
		if (t->state == TXN_COMMITTED) {
			if (t->done < t->sent)
				break;
			/* a position without snapshot lines keeps the
			 * previous ones (snapshot.h) */
			keep = t->pos.snap ? NULL : pos->snap;
			if (keep)
				pos->snap = NULL;
			rc_pos_clear(pos);
			*pos = t->pos;
			rc_pos_disown(&t->pos);
			if (keep)
				pos->snap = keep;
			moved = 1;
		} else if (t->done < t->sent) {
			break;
		}
		rc_pos_clear(&t->pos);
		ack->head++;
	}
	return moved;
}

uint32_t
rc_ack_inflight(const struct rc_ack *ack)
{
	return (uint32_t)(ack->next - ack->head);
}

uint64_t
rc_ack_head(const struct rc_ack *ack)
{
	return ack->head;
}
