/*
 * queue.h -- the bounded queue between the source thread and the pipeline
 * thread.
 *
 * Bounded twice: in items (a fixed ring) and in bytes (the sum of the sizes
 * the producer declares, i.e. rc_event_size()). A push waits while either
 * bound would be crossed; an item larger than the byte bound still goes in
 * when the queue is empty, so a huge row never deadlocks.
 *
 * @locality one producer thread, one consumer thread.
 */
#ifndef RC_QUEUE_H
#define RC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "position.h"

enum rc_item_kind {
	RC_ITEM_EVENT = 1, /* ev */
	RC_ITEM_BEGIN,	   /* a transaction starts */
	RC_ITEM_COMMIT,	   /* the open transaction committed at pos */
	RC_ITEM_ABORT,	   /* the open transaction will never commit */
	RC_ITEM_IDLE,	   /* nothing open; the source has seen up to pos */
};

struct rc_item {
	int kind;
	struct rc_event *ev;
	struct rc_pos pos;
	size_t bytes;	 /* filled by rc_queue_push */
	int64_t read_ms; /* monotonic time a COMMIT was pushed (metrics); 0 else
			  */
};

struct rc_queue;

struct rc_queue *rc_queue_new(uint32_t max_items, size_t max_bytes);
/* Frees the queue and whatever items are still in it. */
void rc_queue_free(struct rc_queue *q);

/*
 * Push *item (counted as bytes). Returns 1 when queued (ownership of the
 * event and pos->gtid passes to the queue), 0 after timeout_ms with no
 * room, -1 when the queue is closed.
 */
int rc_queue_push(struct rc_queue *q, const struct rc_item *item, size_t bytes,
		  int timeout_ms);

/*
 * Push items[0..n) in order (each counted as items[i].bytes), waiting up to
 * timeout_ms in all for room. Returns how many were queued from the start
 * (ownership of those passes to the queue; the rest stay the caller's), or
 * -1 when the queue is closed before the first.
 */
int rc_queue_push_many(struct rc_queue *q, const struct rc_item *items, int n,
		       int timeout_ms);

/*
 * Pop up to max items into out[], waiting up to timeout_ms for the first.
 * Returns the count (0 on timeout), or -1 when closed and empty.
 */
int rc_queue_pop(struct rc_queue *q, struct rc_item *out, int max,
		 int timeout_ms);

/* Wake everybody; later pushes fail, pops drain what is left. */
void rc_queue_close(struct rc_queue *q);

size_t rc_queue_bytes(struct rc_queue *q);
size_t rc_queue_peak_bytes(struct rc_queue *q);

#endif
