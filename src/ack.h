/*
 * ack.h -- the ack tracker: a ring of in-flight transactions.
 *
 * Each transaction the source begins gets a sequence number and a slot in
 * the ring. Events of the transaction are counted as they go to the sinks
 * (rc_ack_add) and as the sinks report them durable (rc_ack_done). A
 * transaction is complete when it has committed and every delivery is
 * durable; the durable position is the commit position of the newest
 * transaction such that it and every older one are complete. Aborted
 * transactions (never to commit) complete at once and carry no position.
 *
 * Sequence numbers start at 1 and grow by one per transaction, so the slot
 * of seq is seq & (slots-1).
 *
 * @locality pipeline thread only (no locks).
 */
#ifndef RC_ACK_H
#define RC_ACK_H

#include <stdint.h>

#include "position.h"

struct rc_ack;

/* slots: a power of two. NULL on out of memory. */
struct rc_ack *rc_ack_new(uint32_t slots);
void rc_ack_free(struct rc_ack *ack);

/* Open a transaction; returns its seq (>0), or 0 when the ring is full. */
uint64_t rc_ack_begin(struct rc_ack *ack);

/* n more deliveries pending for seq. */
void rc_ack_add(struct rc_ack *ack, uint64_t seq, uint32_t n);

/* n deliveries of seq are durable. Returns 0, or -1 when seq is not in
 * flight or more were acknowledged than sent (a sink bug: logged). */
int rc_ack_done(struct rc_ack *ack, uint64_t seq, uint32_t n);

/* seq committed at *pos; takes ownership of pos->gtid (pos is cleared). */
void rc_ack_commit(struct rc_ack *ack, uint64_t seq, struct rc_pos *pos);

/* seq will never commit. */
void rc_ack_abort(struct rc_ack *ack, uint64_t seq);

/*
 * Retire complete transactions from the head of the ring. When the durable
 * position moved, returns 1 and moves the newest position into *pos
 * (clearing what *pos held); else returns 0.
 */
int rc_ack_advance(struct rc_ack *ack, struct rc_pos *pos);

/* Transactions in the ring (begun, not yet retired). */
uint32_t rc_ack_inflight(const struct rc_ack *ack);

/* The oldest seq still in flight (or the next to begin when none is):
 * every seq below it is retired. */
uint64_t rc_ack_head(const struct rc_ack *ack);

#endif
