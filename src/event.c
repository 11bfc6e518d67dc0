/*
 * event.c -- tables, values and events (see event.h).
 */
#include "event.h"
#include "limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const rc_type_names[RC_T__COUNT] = {
	[RC_T_BOOLEAN] = "boolean",
	[RC_T_INT32] = "int32",
	[RC_T_INT64] = "int64",
	[RC_T_FLOAT] = "float",
	[RC_T_DOUBLE] = "double",
	[RC_T_STRING] = "string",
	[RC_T_BYTES] = "bytes",
	[RC_T_DECIMAL] = "decimal",
	[RC_T_DATE] = "date",
	[RC_T_TIME_MICROS] = "time-micros",
	[RC_T_DURATION_MICROS] = "duration-micros",
	[RC_T_TIMESTAMP_MICROS] = "timestamp-micros",
	[RC_T_LOCAL_TIMESTAMP_MICROS] = "local-timestamp-micros",
	[RC_T_UUID] = "uuid",
	[RC_T_JSON] = "json",
	[RC_T_ARRAY] = "array",
};

const char *
rc_type_name(enum rc_type t)
{
	return (unsigned)t < RC_T__COUNT ? rc_type_names[t] : "?";
}

/* ------------------------------------------------------------------ */
/* Tables                                                             */
/* ------------------------------------------------------------------ */

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

struct rc_table *
rc_table_new(const char *source, const char *db, const char *schema,
	     const char *name, int ncols)
{
	struct rc_table *tbl;

	if (ncols < 0 || ncols > RC_MAX_COLUMNS)
		return NULL;
	tbl = calloc(1, sizeof(*tbl));
	if (!tbl)
		return NULL;
	atomic_init(&tbl->refs, 1);
	tbl->source = dup_or_empty(source);
	tbl->db = dup_or_empty(db);
	tbl->schema = dup_or_empty(schema);
	tbl->name = dup_or_empty(name);
	tbl->ncols = ncols;
	tbl->cols = calloc((size_t)(ncols ? ncols : 1), sizeof(*tbl->cols));
	tbl->version = 1;
	if (!tbl->source || !tbl->db || !tbl->schema || !tbl->name ||
	    !tbl->cols) {
		rc_table_unref(tbl);
		return NULL;
	}
	return tbl;
}

int
rc_table_set_column(struct rc_table *tbl, int i, const char *name,
		    enum rc_type type, const char *db_type)
{
	struct rc_column *col = &tbl->cols[i];

	free(col->name);
	free(col->db_type);
	col->name = strdup(name);
	col->db_type = strdup(db_type ? db_type : "");
	col->type = type;
	return col->name && col->db_type ? 0 : -1;
}

int
rc_table_finish(struct rc_table *tbl)
{
	int n = 0;

	free(tbl->keys);
	tbl->keys = calloc((size_t)(tbl->ncols ? tbl->ncols : 1), sizeof(int));
	if (!tbl->keys)
		return -1;
	for (int i = 0; i < tbl->ncols; i++)
		if (tbl->cols[i].flags & RC_COL_KEY)
			tbl->keys[n++] = i;
	tbl->nkeys = n;
	return 0;
}

struct rc_table *
rc_table_ref(struct rc_table *tbl)
{
	if (tbl)
		atomic_fetch_add(&tbl->refs, 1);
	return tbl;
}

/* Drop n references at once. */
static void
table_unref_n(struct rc_table *tbl, int n)
{
	if (!tbl || n <= 0 || atomic_fetch_sub(&tbl->refs, n) != n)
		return;
	if (tbl->enc_free)
		tbl->enc_free(tbl->enc_priv);
	for (int i = 0; tbl->cols && i < tbl->ncols; i++) {
		free(tbl->cols[i].name);
		free(tbl->cols[i].db_type);
	}
	free(tbl->cols);
	free(tbl->keys);
	free(tbl->source);
	free(tbl->db);
	free(tbl->schema);
	free(tbl->name);
	free(tbl->topic);
	free(tbl->event_name);
	free(tbl->record_prefix);
	free(tbl);
}

void
rc_table_unref(struct rc_table *tbl)
{
	table_unref_n(tbl, 1);
}

/* Drop the n references held in (*tbl, *n) and forget them. */
static void
drop_held(struct rc_table **tbl, int *n)
{
	struct rc_table *t = *tbl;
	int k = *n;

	*tbl = NULL;
	*n = 0;
	table_unref_n(t, k);
}

int
rc_table_same_shape(const struct rc_table *a, const struct rc_table *b)
{
	if (a->ncols != b->ncols || strcmp(a->schema, b->schema) ||
	    strcmp(a->name, b->name))
		return 0;
	for (int i = 0; i < a->ncols; i++) {
		const struct rc_column *x = &a->cols[i], *y = &b->cols[i];
		if (strcmp(x->name, y->name) || x->type != y->type ||
		    x->elem_type != y->elem_type ||
		    x->precision != y->precision || x->scale != y->scale ||
		    x->flags != y->flags || strcmp(x->db_type, y->db_type))
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Events                                                             */
/* ------------------------------------------------------------------ */

/*
 * An event and the first RC_EVENT_INLINE bytes of its arena are one
 * allocation (most rows fit): half the malloc/free pairs per event, which
 * the pipeline thread pays for every event the source thread made.
 */
#define RC_EVENT_INLINE 256
_Static_assert(sizeof(struct rc_event) % 8 == 0,
	       "the inline arena after struct rc_event must be 8-byte aligned");

static inline char *
inline_arena(const struct rc_event *ev)
{
	return (char *)(ev + 1);
}

/*
 * Recycling. Events are made by a source thread and freed by the pipeline
 * thread; with malloc, each free of a block from the other thread's arena
 * takes that arena's lock, which the source thread takes too for every
 * malloc. So a freed event (with only its inline arena) goes to the
 * freeing thread's list; a full list (RC_EVENT_POOL_BATCH events) joins a
 * process-wide pool as one batch, and a thread with no events left takes
 * one batch back. A batch is handed over whole, by its first event, so no
 * thread walks events that another core touched last. The pool holds at
 * most RC_EVENT_POOL_MAX events; a thread's lists join it when the thread
 * exits (a pthread key's destructor), so no event is ever only reachable
 * from a dead thread.
 */
#define RC_EVENT_POOL_BATCH 256
#define POOL_BATCHES	    (RC_EVENT_POOL_MAX / RC_EVENT_POOL_BATCH)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rc_event *pool[POOL_BATCHES]; /* batches, linked by ev->tbl */
static int pool_n;
static atomic_int pool_avail; /* pool_n, for a look without the lock */
static pthread_key_t pool_key;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static __thread struct rc_event *tl_free; /* events to reuse */
static __thread struct rc_event *tl_rel;  /* events freed here */
static __thread size_t tl_rel_n;
static __thread int tl_keyed;

static void
free_list(struct rc_event *ev)
{
	while (ev) {
		struct rc_event *next = (struct rc_event *)ev->tbl;
		free(ev);
		ev = next;
	}
}

/* Give the list at *head to the pool (or free it when the pool is full). */
static void
pool_give(struct rc_event **head)
{
	struct rc_event *ev = *head;

	if (!ev)
		return;
	*head = NULL;
	pthread_mutex_lock(&pool_lock);
	if (pool_n < POOL_BATCHES) {
		pool[pool_n++] = ev;
		ev = NULL;
		atomic_store_explicit(&pool_avail, pool_n,
				      memory_order_relaxed);
	}
	pthread_mutex_unlock(&pool_lock);
	free_list(ev);
}

static void
tl_exit(void *unused)
{
	(void)unused;
	rc_event_flush_credits();
	pool_give(&tl_rel);
	pool_give(&tl_free);
	tl_rel_n = 0;
}

static void
pool_init(void)
{
	pthread_key_create(&pool_key, tl_exit);
}

/* The thread's lists are given back at thread exit (once it holds any). */
static void
tl_key(void)
{
	if (!tl_keyed) {
		pthread_once(&pool_once, pool_init);
		pthread_setspecific(pool_key, (void *)1);
		tl_keyed = 1;
	}
}

static struct rc_event *
event_alloc(void)
{
	struct rc_event *ev;

	if (!tl_free && tl_rel) { /* reuse what this thread freed */
		tl_free = tl_rel;
		tl_rel = NULL;
		tl_rel_n = 0;
	}
	if (!tl_free &&
	    atomic_load_explicit(&pool_avail, memory_order_relaxed) > 0) {
		tl_key();
		pthread_mutex_lock(&pool_lock);
		if (pool_n > 0) {
			tl_free = pool[--pool_n];
			atomic_store_explicit(&pool_avail, pool_n,
					      memory_order_relaxed);
		}
		pthread_mutex_unlock(&pool_lock);
	}
	if (tl_free) {
		ev = tl_free;
		tl_free = (struct rc_event *)ev->tbl;
		return ev;
	}
	return malloc(sizeof(*ev) + RC_EVENT_INLINE);
}

static void
event_release(struct rc_event *ev)
{
	tl_key();
	ev->tbl = (struct rc_table *)tl_rel;
	tl_rel = ev;
	if (++tl_rel_n >= RC_EVENT_POOL_BATCH) {
		pool_give(&tl_rel);
		tl_rel_n = 0;
	}
}

/*
 * On a thread that makes many events (a source thread), the references
 * its events take on their table come from a credit of RC_REF_CREDIT taken
 * with one atomic add: a locked add per event waited for the event's
 * stores to cold cache lines every time.
 */
#define RC_REF_CREDIT 1024
static __thread int tl_credit_on;
static __thread struct rc_table *tl_credit_tbl;
static __thread int tl_credit_n;

void
rc_event_credit_refs(void)
{
	tl_credit_on = 1;
	tl_key(); /* the credit is given back at thread exit */
}

void
rc_event_flush_credits(void)
{
	drop_held(&tl_credit_tbl, &tl_credit_n);
}

static struct rc_table *
event_ref_table(struct rc_table *tbl)
{
	if (!tl_credit_on || !tbl)
		return rc_table_ref(tbl);
	if (tbl != tl_credit_tbl || tl_credit_n == 0) {
		rc_event_flush_credits();
		atomic_fetch_add(&tbl->refs, RC_REF_CREDIT);
		tl_credit_tbl = tbl;
		tl_credit_n = RC_REF_CREDIT;
	}
	tl_credit_n--;
	return tbl;
}

struct rc_event *
rc_event_new(char op, struct rc_table *tbl)
{
	struct rc_event *ev = event_alloc();

	if (!ev)
		return NULL;
	memset(ev, 0, sizeof(*ev));
	ev->arena = inline_arena(ev);
	ev->arena_cap = RC_EVENT_INLINE;
	ev->op = op;
	ev->tbl = event_ref_table(tbl);
	ev->before = -1;
	ev->after = -1;
	ev->src.txid = -1;
	return ev;
}

static __thread int tl_defer;
static __thread struct rc_table *tl_unref_tbl;
static __thread int tl_unref_n;

void
rc_event_defer_unrefs(void)
{
	tl_defer = 1;
}

void
rc_event_flush_unrefs(void)
{
	drop_held(&tl_unref_tbl, &tl_unref_n);
}

static void
event_unref_table(struct rc_table *tbl)
{
	if (!tl_defer || !tbl) {
		rc_table_unref(tbl);
		return;
	}
	if (tbl != tl_unref_tbl) {
		rc_event_flush_unrefs();
		tl_unref_tbl = tbl;
	}
	if (++tl_unref_n >= 4096)
		rc_event_flush_unrefs();
}

void
rc_event_free(struct rc_event *ev)
{
	if (!ev)
		return;
	event_unref_table(ev->tbl);
	if (ev->arena != inline_arena(ev)) {
		free(ev->arena);
		free(ev);
		return;
	}
	event_release(ev);
}

size_t
rc_event_size(const struct rc_event *ev)
{
	return sizeof(*ev) + ev->arena_cap +
	       (ev->arena != inline_arena(ev) ? RC_EVENT_INLINE : 0);
}

int64_t
rc_event_alloc(struct rc_event *ev, size_t n)
{
	size_t off = (ev->arena_len + 7) & ~(size_t)7;
	size_t need;

	if (n > RC_MAX_EVENT_BYTES || off > RC_MAX_EVENT_BYTES - n)
		return -1;
	need = off + n;
	if (need > ev->arena_cap) {
		size_t cap = ev->arena_cap ? ev->arena_cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		if (ev->arena == inline_arena(ev)) {
			p = malloc(cap);
			if (p)
				memcpy(p, ev->arena, ev->arena_len);
		} else {
			p = realloc(ev->arena, cap);
		}
		if (!p)
			return -1;
		ev->arena = p;
		ev->arena_cap = cap;
	}
	ev->arena_len = need;
	return (int64_t)off;
}

int64_t
rc_event_copy(struct rc_event *ev, const void *p, size_t n)
{
	int64_t off = rc_event_alloc(ev, n ? n : 1);

	if (off >= 0 && n)
		memcpy(ev->arena + off, p, n);
	return off;
}

int
rc_event_alloc_row(struct rc_event *ev, int64_t *row)
{
	size_t n = (size_t)(ev->tbl->ncols ? ev->tbl->ncols : 1);
	int64_t off = rc_event_alloc(ev, n * sizeof(struct rc_value));

	if (off < 0)
		return -1;
	memset(ev->arena + off, 0, n * sizeof(struct rc_value));
	*row = off;
	return 0;
}

int
rc_event_set_bytes(struct rc_event *ev, int64_t row, int col,
		   enum rc_value_kind kind, const void *p, size_t n)
{
	int64_t off;
	struct rc_value *v;

	if (n > UINT32_MAX)
		return -1;
	off = rc_event_copy(ev, p, n);
	if (off < 0 || (uint64_t)off > UINT32_MAX)
		return -1;
	v = rc_event_row(ev, row) + col;
	v->kind = (uint8_t)kind;
	v->u.s.off = (uint32_t)off;
	v->u.s.len = (uint32_t)n;
	return 0;
}
