/*
 * queue.c -- the bounded queue (see queue.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "queue.h"

struct rc_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	struct rc_item *ring;
	uint32_t cap;
	uint32_t head; /* next to pop */
	uint32_t count;
	size_t bytes;
	size_t max_bytes;
	size_t peak;
	int closed;
	int consumer_waiting;
	int producer_waiting;
};

struct rc_queue *
rc_queue_new(uint32_t max_items, size_t max_bytes)
{
	struct rc_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->ring = calloc(max_items, sizeof(*q->ring));
	if (!q->ring) {
		free(q);
		return NULL;
	}
	q->cap = max_items;
	q->max_bytes = max_bytes;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return q;
}

void
rc_queue_free(struct rc_queue *q)
{
	if (!q)
		return;
	while (q->count > 0) {
		struct rc_item *it = &q->ring[q->head];
		rc_event_free(it->ev);
		rc_pos_clear(&it->pos);
		q->head = (q->head + 1) % q->cap;
		q->count--;
	}
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	free(q->ring);
	free(q);
}

static void
deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
full_for(const struct rc_queue *q, size_t bytes)
{
	if (q->count == q->cap)
		return 1;
	return q->count > 0 && q->bytes + bytes > q->max_bytes;
}

int
rc_queue_push(struct rc_queue *q, const struct rc_item *item, size_t bytes,
	      int timeout_ms)
{
	struct timespec dl;
	int have_dl = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && full_for(q, bytes)) {
		if (!have_dl) {
			deadline_in(&dl, timeout_ms);
			have_dl = 1;
		}
		q->producer_waiting = 1;
		if (pthread_cond_timedwait(&q->not_full, &q->lock, &dl) ==
		    ETIMEDOUT) {
			q->producer_waiting = 0;
			if (!q->closed && full_for(q, bytes)) {
				pthread_mutex_unlock(&q->lock);
				return 0;
			}
			break;
		}
		q->producer_waiting = 0;
	}
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	q->ring[(q->head + q->count) % q->cap] = *item;
	q->ring[(q->head + q->count) % q->cap].bytes = bytes;
	q->count++;
	q->bytes += bytes;
	if (q->bytes > q->peak)
		q->peak = q->bytes;
	if (q->consumer_waiting)
		pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->lock);
	return 1;
}

int
rc_queue_push_many(struct rc_queue *q, const struct rc_item *items, int n,
		   int timeout_ms)
{
	struct timespec dl;
	int have_dl = 0, done = 0;

	pthread_mutex_lock(&q->lock);
	while (done < n && !q->closed) {
		if (full_for(q, items[done].bytes)) {
			if (q->consumer_waiting && q->count > 0)
				pthread_cond_signal(&q->not_empty);
			if (!have_dl) {
				deadline_in(&dl, timeout_ms);
				have_dl = 1;
			}
			q->producer_waiting = 1;
			if (pthread_cond_timedwait(&q->not_full, &q->lock,
						   &dl) == ETIMEDOUT &&
			    full_for(q, items[done].bytes)) {
				q->producer_waiting = 0;
				break;
			}
			q->producer_waiting = 0;
			continue;
		}
		q->ring[(q->head + q->count) % q->cap] = items[done];
		q->count++;
		q->bytes += items[done].bytes;
		if (q->bytes > q->peak)
			q->peak = q->bytes;
		done++;
	}
	if (done > 0 && q->consumer_waiting)
		pthread_cond_signal(&q->not_empty);
	if (done == 0 && q->closed)
		done = -1;
	pthread_mutex_unlock(&q->lock);
	return done;
}

int
rc_queue_pop(struct rc_queue *q, struct rc_item *out, int max, int timeout_ms)
{
	struct timespec dl;
	int n = 0;

	pthread_mutex_lock(&q->lock);
	if (q->count == 0 && !q->closed && timeout_ms > 0) {
		deadline_in(&dl, timeout_ms);
		q->consumer_waiting = 1;
		while (q->count == 0 && !q->closed)
			if (pthread_cond_timedwait(&q->not_empty, &q->lock,
						   &dl) == ETIMEDOUT)
				break;
		q->consumer_waiting = 0;
	}
	if (q->count == 0 && q->closed) {
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	while (n < max && q->count > 0) {
		out[n] = q->ring[q->head];
		q->bytes -= out[n].bytes;
		q->head = (q->head + 1) % q->cap;
		q->count--;
		n++;
	}
	if (n > 0 && q->producer_waiting)
		pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
rc_queue_close(struct rc_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

size_t
rc_queue_bytes(struct rc_queue *q)
{
	size_t b;

	pthread_mutex_lock(&q->lock);
	b = q->bytes;
	pthread_mutex_unlock(&q->lock);
	return b;
}

size_t
rc_queue_peak_bytes(struct rc_queue *q)
{
	size_t b;

	pthread_mutex_lock(&q->lock);
	b = q->peak;
	pthread_mutex_unlock(&q->lock);
	return b;
}
