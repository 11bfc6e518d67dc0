/*
 * kafka_sink.c -- Avro events on Kafka through librdkafka.
 *
 * One idempotent producer (enable.idempotence, acks=all by default; every
 * `kafka.<property>` of the sink's section is handed to rd_kafka_conf_set
 * and overrides the defaults). Per event, on topic ev->tbl->topic:
 *
 *   key    = single-object(Key record)       NULL without a key / truncate
 *   value  = single-object(Envelope record)
 *   headers op, table, event, event_id       (not on tombstones)
 *   a delete is followed by a tombstone (same key, NULL value) unless
 *   `tombstones = false`.
 *
 * Avro single-object encoding (Avro specification, "Single object
 * encoding"):
 *
 *   +------+------+----------------------------+---------------------+
 *   | 0xC3 | 0x01 | CRC-64-AVRO fingerprint of | Avro binary of the  |
 *   |      |      | the schema's Parsing       | datum               |
 *   |      |      | Canonical Form, 8 bytes LE |                     |
 *   +------+------+----------------------------+---------------------+
 *
 * With `schema_registry` set, key and value are instead in the Confluent
 * wire format, and no schemas topic is written (the registry is the source
 * of truth; kafka_registry.c registers and caches the ids):
 *
 *   +------+-----------------------------+------------------------------+
 *   | 0x00 | schema id, 4 bytes, big-    | Avro binary of the datum     |
 *   |      | endian, from the registry   |                              |
 *   +------+-----------------------------+------------------------------+
 *
 * under the subjects <topic>-key and <topic>-value (TopicNameStrategy),
 * with rowcast's own schema text (logical types included). A registry
 * that refuses a schema (409 incompatible, 422 invalid) fails the sink:
 * the pipeline stops there and nothing is skipped; one that cannot be
 * reached is retried until it answers or the pipeline stops.
 *
 * Schemas (without a registry). Before the first message that uses a schema,
 * the schema JSON text (rowcast's own, never Avro C's print, LAB.md section 4)
 * is written to <state_dir>/schemas/<fp>.avsc and produced to the compacted
 * schemas topic (key = the fingerprint as 16 lower-case hex digits), and the
 * sink waits for its delivery report, so a consumer that sees an event can
 * always resolve its fingerprint. The schemas topic is created with
 * cleanup.policy=compact through the Admin API when it does not exist
 * (best effort).
 *
 * Durability. Every event gets a pooled struct kafka_dr {txn_seq,
 * pending}, passed as the message opaque of the event and of its
 * tombstone. The delivery report callback (served by rd_kafka_poll() on
 * the pipeline thread) counts it down and reports the event durable when
 * it reaches 0, in runs of one transaction. Retriable errors are retried
 * by librdkafka itself (idempotence keeps order and drops duplicates), for
 * ever with message.timeout.ms = 0: while the brokers are away, the
 * producer queue fills, write() waits for room, and the pipeline stops
 * reading the source.
 *
 * Undeliverable messages (kafka_undeliverable(): too large, topic not
 * authorised, unknown topic, invalid record), refused in a delivery report
 * or at once by rd_kafka_producev(), follow the table's on_error ([table]
 * on_error, else the sink's):
 *   stop         the sink fails with "kafka: table T, event E: ...", the
 *                event is never reported (the checkpoint stays before
 *                it, a restart retries it), the pipeline stops;
 *   dead_letter  a copy goes to the dead-letter topic (dead_letter_topic,
 *                default <topic_prefix>._dead_letter): the original key,
 *                the original value (left out when it was the size that
 *                failed), the original headers plus rowcast.error.* ones
 *                (kafka_dead_send()). The event keeps its delivery record
 *                and counts as durable only when the dead letter's own
 *                report says delivered; a dead letter that fails in turn
 *                fails the sink. stats.dead_letters counts them.
 * Any other failure (a fatal idempotence error, a timeout set by
 * kafka.message.timeout.ms) fails the sink whatever on_error says.
 *
 * Memory: librdkafka's queue (queue.buffering.max.kbytes of keys and
 * values, at most queue.buffering.max.messages messages, each with its
 * headers), one pooled ~100-byte delivery record per event in flight, the
 * per-table header values, the two reused encode buffers, and dead letters
 * waiting to be produced (copies; rare).
 *
 * @locality pipeline thread only: no librdkafka callback is served from
 * another thread (no background queue), except log_cb, which only calls
 * rc_log().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "check.h"
#include "clock.h"
#include "encoder.h"
#include "kafka_registry.h"
#include "limits.h"
#include "log.h"
#include "pipeline.h"
#include "fsutil.h"
#include "sink.h"

#define KAFKA_LOG "kafka"
/* Delivery records are allocated this many at a time, never freed before
 * close: their number is bounded by the messages librdkafka holds. */
#define KAFKA_DR_CHUNK 1024
/* How long write() waits for room in a full producer queue per try. */
#define KAFKA_FULL_WAIT_MS 100
/* How long a first schema waits for metadata and the Admin API. */
#define KAFKA_ADMIN_WAIT_MS 2000
/* One warning per error code per this many ms. */
#define KAFKA_WARN_EVERY_MS 10000
#define KAFKA_WARN_CODES    16
/* The single-object header: 2 magic bytes + 8 fingerprint bytes. */
#define KAFKA_SO_HEADER 10
/* The Confluent header: magic byte 0 + 4-byte big-endian schema id. */
#define KAFKA_CF_HEADER 5
#define KAFKA_PATH_BUF	4096
/* Per-table header values: one per operation (kafka_op_index). */
#define KAFKA_NOPS 6
/* "<txn_id>/<order>": txn_id (32 bytes at most), '/', 20 digits, NUL. */
#define KAFKA_EVENT_ID_MAX  56
#define KAFKA_TINFO_BUCKETS 64

extern const struct rc_sink_ops rc_kafka_sink_ops;

/* What a message's opaque points to: a struct kafka_dr (an event's
 * message or tombstone), a struct kafka_dead (a dead letter), or
 * ks->schema_mark (a schema). kind tells the first two apart. */
enum { KAFKA_OPQ_EVENT = 1, KAFKA_OPQ_DEAD = 2 };

struct kafka_tinfo;

/* The delivery state of one event (its message and its tombstone). */
struct kafka_dr {
	uint8_t kind;	  /* KAFKA_OPQ_EVENT; first member */
	uint8_t failed;	  /* a message of it failed: never report */
	uint8_t eid_len;  /* strlen(event_id) */
	uint32_t pending; /* messages without a delivery report yet */
	uint64_t txn_seq;
	struct kafka_tinfo *ti; /* its table's cached settings */
	struct kafka_dr *next_free;
	char event_id[KAFKA_EVENT_ID_MAX]; /* the event_id header */
};

/*
 * What the sink keeps per table shape, keyed by the struct rc_table (one
 * reference held): the header values formatted once, so the produce path
 * formats only the event id, and the table's on_error policy. A newer shape
 * of the same table retires the entry: the reference is dropped at once,
 * the few bytes stay (delivery records may still point here) until close.
 */
struct kafka_tinfo {
	struct kafka_tinfo *next;
	struct rc_table *tbl;  /* NULL once retired */
	int on_error;	       /* RC_ON_ERROR_STOP or RC_ON_ERROR_DEAD_LETTER */
	const char *dlq_topic; /* a kafka_stopic's dlq */
	char *table_hdr;       /* "schema.table" */
	size_t table_len;
	char *event_hdr[KAFKA_NOPS]; /* "<event_name>.created", ... */
	size_t event_len[KAFKA_NOPS];
	/* the encoder's schemas of tbl, once published (schemas topic) or
	 * registered (registry ids) */
	const struct rc_schemas *sc;
	int value_ok, key_ok;
	int32_t value_id, key_id;
};

/* A dead letter: an undeliverable event message on its way to the
 * dead-letter topic. Waits in ks->dead_head until produced (delivery
 * reports cannot produce from inside rd_kafka_poll), then is the opaque
 * of its message until its report. */
struct kafka_dead {
	uint8_t kind; /* KAFKA_OPQ_DEAD; first member */
	struct kafka_dead *next;
	struct kafka_dr *dr; /* the event's record: stays pending meanwhile */
	char *topic;	     /* the original topic */
	int32_t partition;   /* RD_KAFKA_PARTITION_UA: never assigned */
	rd_kafka_resp_err_t err;
	int64_t ts_ms;	   /* when it failed */
	void *key, *value; /* copies; value NULL when left out */
	size_t klen, vlen, orig_vlen;
	int tombstone;		  /* the original was a tombstone */
	rd_kafka_headers_t *hdrs; /* the original headers (copy) or NULL */
};

struct kafka_dr_chunk {
	struct kafka_dr_chunk *next;
	struct kafka_dr recs[KAFKA_DR_CHUNK];
};

/* A schema already published: (schemas topic, fingerprint). */
struct kafka_known {
	struct kafka_known *next;
	uint64_t fp;
	const char *topic; /* a kafka_stopic's name */
};

/* The registry ids a topic used last (registry mode): its texts, copied. */
struct kafka_memo {
	struct kafka_memo *next;
	char *topic;
	char *value_json, *key_json; /* NULL: not known yet */
	int32_t value_id, key_id;
};

/* The schemas and dead-letter topics of one source. */
struct kafka_stopic {
	struct kafka_stopic *next;
	char *source; /* source name; NULL for the fallback entries */
	char *name;   /* the schemas topic */
	char *dlq;    /* the dead-letter topic */
	int ensured;  /* Admin API create was tried */
};

#define KAFKA_KNOWN_BUCKETS 256

struct kafka_sink {
	struct rc_sink base; /* first member */
	rd_kafka_t *rk;
	int tombstones;
	int failed;  /* permanent error: lasterr says which */
	int closing; /* in close(): report nothing */
	char *state_dir;
	char *schemas_topic;	    /* configured, or NULL */
	struct kafka_registry *reg; /* schema_registry set, else NULL */
	struct kafka_memo *memo[KAFKA_KNOWN_BUCKETS];
	struct kafka_stopic *stopics;
	struct kafka_known *known[KAFKA_KNOWN_BUCKETS];

	/* the sink-wide on_error, for tables that do not set theirs */
	int on_error;
	char *dlq_topic; /* dead_letter_topic, or NULL: per source */

	/* per table shape (kafka_tinfo_of) */
	struct kafka_tinfo *tinfo[KAFKA_TINFO_BUCKETS];
	struct kafka_tinfo *retired;
	struct kafka_tinfo *last_ti;

	/* dead letters not produced yet, in failure order */
	struct kafka_dead *dead_head, **dead_tail;
	int in_dead; /* kafka_dead_flush() runs: do not nest */

	/* encode buffers, reused for every event */
	struct rc_buf key, value;

	/* delivery records */
	struct kafka_dr_chunk *chunks;
	struct kafka_dr *free_dr;

	/* the run of durable events not yet reported */
	uint64_t run_txn;
	uint32_t run_n;

	/* schema messages in flight (their opaque is &schema_mark) */
	int schema_mark;
	unsigned schema_inflight;

	/* rate limit of error_cb warnings */
	struct {
		int code;
		int64_t at_ms;
	} warned[KAFKA_WARN_CODES];
};

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

/* Fail the sink for good; the first error is the one kept. */
static void kafka_fail(struct kafka_sink *ks, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
kafka_fail(struct kafka_sink *ks, const char *fmt, ...)
{
	va_list ap;

	if (!ks->failed) {
		va_start(ap, fmt);
		vsnprintf(ks->base.lasterr, sizeof(ks->base.lasterr), fmt, ap);
		va_end(ap);
	}
	ks->failed = 1;
}

static struct kafka_dr *
dr_get(struct kafka_sink *ks)
{
	struct kafka_dr *dr;

	if (!ks->free_dr) {
		struct kafka_dr_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = ks->chunks;
		ks->chunks = c;
		for (int i = KAFKA_DR_CHUNK - 1; i >= 0; i--) {
			c->recs[i].next_free = ks->free_dr;
			ks->free_dr = &c->recs[i];
		}
	}
	dr = ks->free_dr;
	ks->free_dr = dr->next_free;
	dr->kind = KAFKA_OPQ_EVENT;
	dr->failed = 0;
	dr->pending = 0;
	return dr;
}

static void
dr_put(struct kafka_sink *ks, struct kafka_dr *dr)
{
	dr->next_free = ks->free_dr;
	ks->free_dr = dr;
}

/* Report the pending run of durable events. */
static void
run_flush(struct kafka_sink *ks)
{
	if (ks->run_n && !ks->closing)
		rc_sink_durable(&ks->base, ks->run_txn, ks->run_n);
	ks->run_n = 0;
}

static void
run_add(struct kafka_sink *ks, uint64_t txn_seq)
{
	if (ks->run_n && (ks->run_txn != txn_seq || ks->run_n == UINT32_MAX))
		run_flush(ks);
	ks->run_txn = txn_seq;
	ks->run_n++;
}

static void kafka_dead_flush(struct kafka_sink *ks);

/* Poll librdkafka (serves delivery reports and errors), produce the dead
 * letters those reports queued, then report. */
static void
kafka_serve(struct kafka_sink *ks, int timeout_ms)
{
	rd_kafka_poll(ks->rk, timeout_ms);
	kafka_dead_flush(ks);
	run_flush(ks);
}

static int
stopping(const struct kafka_sink *ks)
{
	return ks->base.pl && rc_pipeline_stopping(ks->base.pl);
}

/*
 * Can this message never be delivered, whatever the wait? These are the
 * errors on_error applies to: the message itself (too large, invalid) or
 * its topic (not authorised, unknown with auto-creation off). Anything
 * else (brokers away, timeouts, a fatal producer error) is not the
 * message's fault and never sends it to a dead-letter topic.
 */
static int
kafka_undeliverable(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
	case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
		return 1;
	default:
		return 0;
	}
}

/* Is err about the message's size (so a dead letter leaves the value out)? */
static int
kafka_size_error(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
	       err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
}

/* ------------------------------------------------------------------ */
/* Per-table settings and header values                               */
/* ------------------------------------------------------------------ */

static const char *const kafka_op_suffix[KAFKA_NOPS] = {
	"created", "updated", "deleted", "read", "truncated", "changed",
};

static int
kafka_op_index(char op)
{
	switch (op) {
	case 'c':
		return 0;
	case 'u':
		return 1;
	case 'd':
		return 2;
	case 'r':
		return 3;
	case 't':
		return 4;
	}
	return 5;
}

static void
tinfo_free(struct kafka_tinfo *ti)
{
	if (!ti)
		return;
	rc_table_unref(ti->tbl);
	free(ti->table_hdr);
	for (int i = 0; i < KAFKA_NOPS; i++)
		free(ti->event_hdr[i]);
	free(ti);
}

static unsigned
tinfo_bucket(const struct rc_table *tbl)
{
	uintptr_t u = (uintptr_t)tbl;

	return (unsigned)((u >> 4) ^ (u >> 12)) % KAFKA_TINFO_BUCKETS;
}

static struct kafka_stopic *kafka_stopic_of(struct kafka_sink *ks,
					    const struct rc_table *tbl);

/*
 * The cached settings of tbl's shape, made on its first event: one
 * reference on tbl, the header values, the policy. A previous shape of
 * the same table is retired (see struct kafka_tinfo). NULL on out of
 * memory.
 */
static struct kafka_tinfo *
kafka_tinfo_of(struct kafka_sink *ks, struct rc_table *tbl)
{
	struct kafka_tinfo *ti, **pp;
	struct kafka_stopic *st;
	unsigned b = tinfo_bucket(tbl);
	const char *ename;
	size_t n;

	if (ks->last_ti && ks->last_ti->tbl == tbl)
		return ks->last_ti;
	for (ti = ks->tinfo[b]; ti; ti = ti->next)
		if (ti->tbl == tbl)
			return ks->last_ti = ti;

	/* a new shape: retire the old shapes of this table */
	for (int i = 0; i < KAFKA_TINFO_BUCKETS; i++)
		for (pp = &ks->tinfo[i]; *pp;) {
			struct kafka_tinfo *old = *pp;

			if (strcmp(old->tbl->source, tbl->source) != 0 ||
			    strcmp(old->tbl->schema, tbl->schema) != 0 ||
			    strcmp(old->tbl->name, tbl->name) != 0) {
				pp = &old->next;
				continue;
			}
			*pp = old->next;
			rc_table_unref(old->tbl);
			old->tbl = NULL;
			old->next = ks->retired;
			ks->retired = old;
		}
	ks->last_ti = NULL;

	if (!(st = kafka_stopic_of(ks, tbl)) || !(ti = calloc(1, sizeof(*ti))))
		return NULL;
	ti->on_error = tbl->on_error != RC_ON_ERROR_UNSET ? tbl->on_error
							  : ks->on_error;
	ti->dlq_topic = st->dlq;
	n = strlen(tbl->schema) + strlen(tbl->name) + 2;
	if (!(ti->table_hdr = malloc(n)))
		goto oom;
	ti->table_len = (size_t)snprintf(ti->table_hdr, n, "%s.%s", tbl->schema,
					 tbl->name);
	ename = tbl->event_name ? tbl->event_name : tbl->name;
	for (int i = 0; i < KAFKA_NOPS; i++) {
		n = strlen(ename) + strlen(kafka_op_suffix[i]) + 2;
		if (!(ti->event_hdr[i] = malloc(n)))
			goto oom;
		ti->event_len[i] =
			(size_t)snprintf(ti->event_hdr[i], n, "%s.%s", ename,
					 kafka_op_suffix[i]);
	}
	ti->tbl = rc_table_ref(tbl);
	ti->next = ks->tinfo[b];
	ks->tinfo[b] = ti;
	return ks->last_ti = ti;
oom:
	tinfo_free(ti);
	return NULL;
}

/* "<txn_id>/<txn_order>" into out (KAFKA_EVENT_ID_MAX bytes) without
 * snprintf: this runs for every event. Returns the length. */
static size_t
format_event_id(char *out, const struct rc_event *ev)
{
	size_t n = strnlen(ev->txn_id, sizeof(ev->txn_id));
	char digits[20];
	int k = 0;
	uint64_t v = ev->txn_order;

	memcpy(out, ev->txn_id, n);
	out[n++] = '/';
	do {
		digits[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		out[n++] = digits[--k];
	out[n] = 0;
	return n;
}

/* Fail the sink for event dr's undeliverable message on topic. */
static void
kafka_fail_event(struct kafka_sink *ks, const struct kafka_dr *dr,
		 const char *topic, int tombstone, rd_kafka_resp_err_t err,
		 const char *why)
{
	const struct kafka_tinfo *ti = dr->ti;

	kafka_fail(ks, "kafka: table %s, event %s: %s to %s failed: %s (%s)%s",
		   ti->table_hdr, dr->event_id,
		   tombstone ? "the tombstone" : "the message", topic,
		   rd_kafka_err2name(err), rd_kafka_err2str(err), why);
}

/* ------------------------------------------------------------------ */
/* Dead letters                                                       */
/* ------------------------------------------------------------------ */

static void
dead_free(struct kafka_dead *d)
{
	if (!d)
		return;
	free(d->topic);
	free(d->key);
	free(d->value);
	if (d->hdrs)
		rd_kafka_headers_destroy(d->hdrs);
	free(d);
}

static void *
memdup(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

/*
 * Queue a dead letter for event dr's message that failed with err:
 * copies of topic, key, value (not when the size failed) and headers;
 * hdrs, when given, is taken over (also on failure). It is produced by
 * the next kafka_dead_flush(). 0, or -1 on out of memory (sink failed).
 */
static int
kafka_dead_queue(struct kafka_sink *ks, struct kafka_dr *dr, const char *topic,
		 int32_t partition, rd_kafka_resp_err_t err, const void *key,
		 size_t klen, const void *value, size_t vlen,
		 rd_kafka_headers_t *hdrs)
{
	struct kafka_dead *d = calloc(1, sizeof(*d));

	if (!d) {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		goto oom;
	}
	d->kind = KAFKA_OPQ_DEAD;
	d->dr = dr;
	d->partition = partition;
	d->err = err;
	d->ts_ms = rc_wall_ms();
	d->hdrs = hdrs;
	d->tombstone = value == NULL;
	d->orig_vlen = vlen;
	if (!(d->topic = strdup(topic)) ||
	    (key && !(d->key = memdup(key, klen))))
		goto oom_d;
	d->klen = key ? klen : 0;
	if (value && !kafka_size_error(err)) {
		if (!(d->value = memdup(value, vlen)))
			goto oom_d;
		d->vlen = vlen;
	}
	*ks->dead_tail = d;
	ks->dead_tail = &d->next;
	return 0;
oom_d:
	dead_free(d);
oom:
	kafka_fail(ks, "kafka: out of memory");
	return -1;
}

/*
 * Produce dead letter d to its table's dead-letter topic: the original key
 * and value (none when d->value is NULL), the original headers, and
 *   rowcast.error.topic       the topic it was meant for
 *   rowcast.error.partition   its partition, when one was chosen
 *   rowcast.error.code        librdkafka's name of the error
 *                             (MSG_SIZE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED)
 *   rowcast.error.message     the error's text
 *   rowcast.error.ts_ms       when it failed, ms since 1970 (UTC)
 *   rowcast.error.value_dropped  "true" when the value is left out, with
 *   rowcast.error.value_bytes    the size of the value left out
 *   rowcast.error.tombstone   "true" when the original was a tombstone
 * On success d belongs to the message until its report. -1 with the sink
 * failed when it cannot be produced (d freed).
 */
static int kafka_produce(struct kafka_sink *ks, const char *topic,
			 const void *key, size_t keylen, const void *value,
			 size_t valuelen, rd_kafka_headers_t *hdrs,
			 void *opaque, rd_kafka_resp_err_t *errp);

static int
kafka_dead_send(struct kafka_sink *ks, struct kafka_dead *d)
{
	const struct kafka_dr *dr = d->dr;
	rd_kafka_headers_t *h = d->hdrs ? d->hdrs : rd_kafka_headers_new(8);
	rd_kafka_resp_err_t err;
	char num[32];

	d->hdrs = NULL;
	rd_kafka_header_add(h, "rowcast.error.topic", -1, d->topic, -1);
	if (d->partition != RD_KAFKA_PARTITION_UA) {
		snprintf(num, sizeof(num), "%" PRId32, d->partition);
		rd_kafka_header_add(h, "rowcast.error.partition", -1, num, -1);
	}
	rd_kafka_header_add(h, "rowcast.error.code", -1,
			    rd_kafka_err2name(d->err), -1);
	rd_kafka_header_add(h, "rowcast.error.message", -1,
			    rd_kafka_err2str(d->err), -1);
	snprintf(num, sizeof(num), "%" PRId64, d->ts_ms);
	rd_kafka_header_add(h, "rowcast.error.ts_ms", -1, num, -1);
	if (d->tombstone) {
		rd_kafka_header_add(h, "rowcast.error.tombstone", -1, "true",
				    -1);
	} else if (!d->value) {
		rd_kafka_header_add(h, "rowcast.error.value_dropped", -1,
				    "true", -1);
		snprintf(num, sizeof(num), "%zu", d->orig_vlen);
		rd_kafka_header_add(h, "rowcast.error.value_bytes", -1, num,
				    -1);
	}
	if (kafka_produce(ks, dr->ti->dlq_topic, d->key, d->klen, d->value,
			  d->vlen, h, d, &err) < 0) {
		rd_kafka_headers_destroy(h);
		if (err)
			kafka_fail_event(ks, dr, dr->ti->dlq_topic,
					 d->tombstone, err,
					 "; it was a dead letter already: "
					 "stopping");
		dead_free(d);
		return -1;
	}
	/* librdkafka copied what it needs */
	free(d->key);
	free(d->value);
	d->key = d->value = NULL;
	return 0;
}

/* Produce the queued dead letters (outside rd_kafka_poll, never nested). */
static void
kafka_dead_flush(struct kafka_sink *ks)
{
	if (ks->in_dead)
		return;
	ks->in_dead = 1;
	while (ks->dead_head && !ks->failed) {
		struct kafka_dead *d = ks->dead_head;

		ks->dead_head = d->next;
		if (!ks->dead_head)
			ks->dead_tail = &ks->dead_head;
		d->next = NULL;
		kafka_dead_send(ks, d);
	}
	ks->in_dead = 0;
}

/* A dead letter's delivery report: the event is durable now, or the sink
 * fails. */
static void
kafka_dead_report(struct kafka_sink *ks, const rd_kafka_message_t *msg,
		  struct kafka_dead *d)
{
	struct kafka_dr *dr = d->dr;

	if (msg->err) {
		if (!ks->closing)
			kafka_fail_event(ks, dr, rd_kafka_topic_name(msg->rkt),
					 d->tombstone, msg->err,
					 "; it was a dead letter already: "
					 "stopping");
		dr->failed = 1;
	} else {
		ks->base.stats.dead_letters++;
		rc_warn(KAFKA_LOG,
			"%s: table %s, event %s: %s %s to %s (%s); sent to "
			"the dead-letter topic %s (on_error = dead_letter; "
			"%" PRIu64 " so far)",
			ks->base.name, dr->ti->table_hdr, dr->event_id,
			rd_kafka_err2name(d->err),
			d->tombstone ? "for the tombstone" : "for the message",
			d->topic, rd_kafka_err2str(d->err),
			rd_kafka_topic_name(msg->rkt),
			ks->base.stats.dead_letters);
	}
	dead_free(d);
	if (--dr->pending > 0)
		return;
	if (!dr->failed)
		run_add(ks, dr->txn_seq);
	dr_put(ks, dr);
}

/* ------------------------------------------------------------------ */
/* librdkafka callbacks (pipeline thread, from rd_kafka_poll)         */
/* ------------------------------------------------------------------ */

/*
 * An event's message (or tombstone) failed: queue a dead letter when its
 * table says so and the error is the message's own (the record stays
 * pending: the dead letter's report settles it), else fail the sink.
 * Returns 1 when a dead letter took over.
 */
static int
kafka_event_failed(struct kafka_sink *ks, const rd_kafka_message_t *msg,
		   struct kafka_dr *dr)
{
	const char *topic = rd_kafka_topic_name(msg->rkt);
	int tomb = msg->payload == NULL;

	if (ks->closing || ks->failed)
		return 0;
	if (kafka_undeliverable(msg->err) &&
	    dr->ti->on_error == RC_ON_ERROR_DEAD_LETTER) {
		rd_kafka_headers_t *h = NULL, *copy = NULL;

		if (rd_kafka_message_headers(msg, &h) ==
			    RD_KAFKA_RESP_ERR_NO_ERROR &&
		    h)
			copy = rd_kafka_headers_copy(h);
		return kafka_dead_queue(ks, dr, topic, msg->partition, msg->err,
					msg->key, msg->key_len, msg->payload,
					msg->len, copy) == 0;
	}
	kafka_fail_event(ks, dr, topic, tomb, msg->err,
			 kafka_undeliverable(msg->err)
				 ? "; on_error = stop: stopping here, a "
				   "restart retries it (on_error = "
				   "dead_letter would set it aside)"
				 : "");
	return 0;
}

static void
kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka_sink *ks = opaque;
	struct kafka_dr *dr = msg->_private;

	(void)rk;
	if (msg->_private == &ks->schema_mark) {
		if (msg->err)
			kafka_fail(ks, "kafka: schemas topic %s: %s",
				   rd_kafka_topic_name(msg->rkt),
				   rd_kafka_err2str(msg->err));
		ks->schema_inflight--;
		return;
	}
	if (!dr)
		return;
	if (dr->kind == KAFKA_OPQ_DEAD) {
		kafka_dead_report(ks, msg, (struct kafka_dead *)msg->_private);
		return;
	}
	if (msg->err) {
		if (kafka_event_failed(ks, msg, dr))
			return;
		dr->failed = 1;
	}
	if (--dr->pending > 0)
		return;
	if (!dr->failed)
		run_add(ks, dr->txn_seq);
	dr_put(ks, dr);
}

/*
 * Brokers down, connection refused...: librdkafka retries those itself, so
 * they are only logged, at most once per KAFKA_WARN_EVERY_MS per code. A
 * fatal error (the idempotent producer lost its guarantees) fails the sink.
 */
static void
kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink *ks = opaque;
	int64_t now = rc_mono_ms();
	int slot = -1, oldest = 0;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char why[RC_ERRLEN];
		rd_kafka_resp_err_t ferr =
			rd_kafka_fatal_error(rk, why, sizeof(why));

		rc_error(KAFKA_LOG, "%s: fatal error: %s: %s", ks->base.name,
			 rd_kafka_err2name(ferr), why);
		kafka_fail(ks, "kafka: fatal error: %s: %s",
			   rd_kafka_err2name(ferr), why);
		return;
	}
	for (int i = 0; i < KAFKA_WARN_CODES; i++) {
		if (ks->warned[i].code == err && ks->warned[i].at_ms) {
			slot = i;
			break;
		}
		if (ks->warned[i].at_ms < ks->warned[oldest].at_ms)
			oldest = i;
	}
	if (slot >= 0 && now - ks->warned[slot].at_ms < KAFKA_WARN_EVERY_MS)
		return;
	if (slot < 0)
		slot = oldest;
	ks->warned[slot].code = err;
	ks->warned[slot].at_ms = now;
	rc_warn(KAFKA_LOG, "%s: %s: %s (retrying)", ks->base.name,
		rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* librdkafka's own log lines, through rowcast's log. @locality any */
static void
kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	/* FAIL (connection refused, disconnected) also reaches error_cb,
	 * which logs it rate-limited */
	if (strcmp(fac, "FAIL") == 0)
		rc_debug(KAFKA_LOG, "librdkafka %s: %s", fac, buf);
	else if (level <= 4)
		rc_warn(KAFKA_LOG, "librdkafka %s: %s", fac, buf);
	else if (level <= 6)
		rc_info(KAFKA_LOG, "librdkafka %s: %s", fac, buf);
	else
		rc_debug(KAFKA_LOG, "librdkafka %s: %s", fac, buf);
}

/* ------------------------------------------------------------------ */
/* Open                                                               */
/* ------------------------------------------------------------------ */

/* Producer defaults (DESIGN.md section 4): every `kafka.*` key overrides. */
static const char *const kafka_defaults[][2] = {
	{"enable.idempotence", "true"},
	{"acks", "all"},
	/* the Java client's default: murmur2 of the key, random if none */
	{"partitioner", "murmur2_random"},
	/* never give up on a message: rowcast holds the source back */
	{"message.timeout.ms", "0"},
	{"queue.buffering.max.kbytes", "65536"},
	/* librdkafka's own default is 100000, and its kbytes limit counts
	 * keys and values only: with the message structs and the four header
	 * allocations per message, 100000 messages in flight took up to 80
	 * MiB more (peak RSS 123 MiB draining a backlog into the mock);
	 * 20000 keep it near 16 MiB and drained as fast. */
	{"queue.buffering.max.messages", "20000"},
	{"linger.ms", "5"},
};

static void kafka_close(struct rc_sink *snk);

/* A topic name "<prefix><suffix>" (malloc'd), or a copy of configured. */
static char *
topic_name(const char *configured, const char *prefix, const char *suffix)
{
	size_t n = strlen(prefix) + strlen(suffix) + 1;
	char *s;

	if (configured)
		return strdup(configured);
	if ((s = malloc(n)))
		snprintf(s, n, "%s%s", prefix, suffix);
	return s;
}

/* The schemas and dead-letter topics of source (topic prefix prefix),
 * added to ks->stopics. NULL on out of memory. */
static struct kafka_stopic *
kafka_stopic_new(struct kafka_sink *ks, const char *source, const char *prefix)
{
	struct kafka_stopic *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->source = strdup(source);
	st->name = topic_name(ks->schemas_topic, prefix, "._schemas");
	st->dlq = topic_name(ks->dlq_topic, prefix, "._dead_letter");
	if (!st->source || !st->name || !st->dlq) {
		free(st->source);
		free(st->name);
		free(st->dlq);
		free(st);
		return NULL;
	}
	st->next = ks->stopics;
	ks->stopics = st;
	return st;
}

/* The schemas topic of each [source], from schemas_topic or topic_prefix. */
static int
kafka_stopics_load(struct kafka_sink *ks, const struct rc_config *cfg)
{
	const struct rc_conf_section *src;

	for (int i = 0; (src = rc_config_section(cfg, RC_SCOPE_SOURCE, i));
	     i++) {
		const char *prefix = rc_conf_str(src, "topic_prefix");
		struct kafka_stopic *st;

		if (!prefix || !prefix[0])
			prefix = src->name;
		if (!(st = kafka_stopic_new(ks, src->name, prefix)))
			return -1;
	}
	return 0;
}

/*
 * The producer configuration of section sec: rowcast's defaults, brokers,
 * then every kafka.* property. NULL with err set (FILE:LINE of the bad
 * property); the caller owns the result (rd_kafka_new takes it, or
 * rd_kafka_conf_destroy).
 */
static rd_kafka_conf_t *
kafka_conf_new(const struct rc_config *cfg, const struct rc_conf_section *sec,
	       char *err, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[RC_ERRLEN];

	if (!conf) {
		snprintf(err, errlen, "kafka: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(kafka_defaults) / sizeof(*kafka_defaults);
	     i++)
		if (rd_kafka_conf_set(conf, kafka_defaults[i][0],
				      kafka_defaults[i][1], errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			snprintf(err, errlen, "kafka: default %s=%s: %s",
				 kafka_defaults[i][0], kafka_defaults[i][1],
				 errstr);
			goto fail;
		}
	if (rd_kafka_conf_set(conf, "bootstrap.servers",
			      rc_conf_str(sec, "brokers"), errstr,
			      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "%s:%d: brokers: %s", cfg->path,
			 rc_conf_line(sec, "brokers"), errstr);
		goto fail;
	}
	for (int i = 0; i < sec->nentries; i++) {
		const struct rc_conf_entry *e = &sec->entries[i];
		const char *prop;

		if (!e->key || !(e->key->flags & RC_CONF_PREFIX))
			continue;
		prop = e->name + strlen(e->key->name);
		if (rd_kafka_conf_set(conf, prop, e->value, errstr,
				      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			snprintf(err, errlen, "%s:%d: %s: %s", cfg->path,
				 e->line, e->name, errstr);
			goto fail;
		}
	}
	return conf;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static struct rc_sink *
kafka_open(const struct rc_config *cfg, const struct rc_conf_section *sec,
	   char *err, size_t errlen)
{
	struct kafka_sink *ks = calloc(1, sizeof(*ks));
	rd_kafka_conf_t *conf = NULL;
	char errstr[RC_ERRLEN];
	const char *st;

	if (!ks) {
		snprintf(err, errlen, "kafka: out of memory");
		return NULL;
	}
	ks->base.ops = &rc_kafka_sink_ops;
	ks->base.name = sec->name;
	ks->tombstones = rc_conf_bool(sec, "tombstones");
	ks->on_error = rc_on_error_parse(rc_conf_str(sec, "on_error"));
	ks->dead_tail = &ks->dead_head;
	rc_buf_init(&ks->key, RC_MAX_ENCODED_BYTES);
	rc_buf_init(&ks->value, RC_MAX_ENCODED_BYTES);
	st = rc_conf_str(sec, "schemas_topic");
	ks->state_dir = strdup(rc_conf_str(&cfg->global, "state_dir"));
	if (st && st[0] && !(ks->schemas_topic = strdup(st)))
		goto oom;
	st = rc_conf_str(sec, "dead_letter_topic");
	if (st && st[0] && !(ks->dlq_topic = strdup(st)))
		goto oom;
	if (!ks->state_dir || kafka_stopics_load(ks, cfg) < 0)
		goto oom;
	if (rc_conf_is_set(sec, "schema_registry")) {
		struct kafka_registry_opts o = {
			.url = rc_conf_str(sec, "schema_registry"),
			.user = rc_conf_str(sec, "schema_registry_user"),
			.password =
				rc_conf_str(sec, "schema_registry_password"),
			.ca = rc_conf_str(sec, "schema_registry_ca"),
			.state_dir = ks->state_dir,
			.timeout_ms =
				rc_conf_ms(sec, "schema_registry_timeout"),
			.log_name = sec->name,
		};

		ks->reg = kafka_registry_new(&o, errstr, sizeof(errstr));
		if (!ks->reg) {
			snprintf(err, errlen, "%s:%d: %s", cfg->path,
				 rc_conf_line(sec, "schema_registry"), errstr);
			goto fail;
		}
	}

	if (!(conf = kafka_conf_new(cfg, sec, err, errlen)))
		goto fail;
	rd_kafka_conf_set_opaque(conf, ks);
	rd_kafka_conf_set_dr_msg_cb(conf, kafka_dr_cb);
	rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_log_cb);

	/* rd_kafka_new takes conf only when it succeeds */
	ks->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!ks->rk) {
		snprintf(err, errlen, "%s:%d: kafka: %s", cfg->path, sec->line,
			 errstr);
		goto fail;
	}
	return &ks->base;

oom:
	snprintf(err, errlen, "kafka: out of memory");
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	kafka_close(&ks->base);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Schemas                                                            */
/* ------------------------------------------------------------------ */

/* The schemas topic of tbl's source (created on first use). */
static struct kafka_stopic *
kafka_stopic_of(struct kafka_sink *ks, const struct rc_table *tbl)
{
	struct kafka_stopic *st;

	for (st = ks->stopics; st; st = st->next)
		if (st->source && strcmp(st->source, tbl->source) == 0)
			return st;
	/* a source that is not in the configuration (tests) */
	return kafka_stopic_new(ks, tbl->source, tbl->source);
}

/* Does topic exist in the cluster? 1, 0, or -1 when unknown. */
static int
kafka_topic_exists(struct kafka_sink *ks, const char *name)
{
	const struct rd_kafka_metadata *md = NULL;
	int found = 0;

	/* all topics: asking for one would auto-create it */
	if (rd_kafka_metadata(ks->rk, 1, NULL, &md, KAFKA_ADMIN_WAIT_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		return -1;
	for (int i = 0; i < md->topic_cnt && !found; i++)
		found = strcmp(md->topics[i].topic, name) == 0 &&
			md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR;
	rd_kafka_metadata_destroy(md);
	return found;
}

/*
 * Create the schemas topic, compacted, unless it exists. Best effort: a
 * failure is a warning (the topic is then auto-created by the first
 * schema, without compaction, which loses nothing). Takes at most about
 * 2 * KAFKA_ADMIN_WAIT_MS, once per schemas topic and sink.
 * Note: librdkafka 2.0.2's mock cluster answers ControllerId 0 while its
 * brokers are 1..3, so CreateTopics always times out against it.
 */
static void
kafka_ensure_topic(struct kafka_sink *ks, const char *name)
{
	char errstr[RC_ERRLEN];
	rd_kafka_NewTopic_t *nt;
	rd_kafka_AdminOptions_t *opts;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *rkev = NULL;
	const char *why = NULL;
	rd_kafka_resp_err_t rerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (kafka_topic_exists(ks, name) == 1)
		return;
	nt = rd_kafka_NewTopic_new(name, 1, -1, errstr, sizeof(errstr));
	if (!nt) {
		rc_warn(KAFKA_LOG, "%s: cannot create topic %s: %s",
			ks->base.name, name, errstr);
		return;
	}
	rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	opts = rd_kafka_AdminOptions_new(ks->rk,
					 RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opts, KAFKA_ADMIN_WAIT_MS,
						  errstr, sizeof(errstr));
	q = rd_kafka_queue_new(ks->rk);
	rd_kafka_CreateTopics(ks->rk, &nt, 1, opts, q);
	rkev = rd_kafka_queue_poll(q, KAFKA_ADMIN_WAIT_MS + 1000);
	if (!rkev) {
		why = "no answer in time";
	} else if (rd_kafka_event_error(rkev)) {
		rerr = rd_kafka_event_error(rkev);
		why = rd_kafka_event_error_string(rkev);
	} else {
		const rd_kafka_CreateTopics_result_t *res =
			rd_kafka_event_CreateTopics_result(rkev);
		size_t n = 0;
		const rd_kafka_topic_result_t **tr =
			res ? rd_kafka_CreateTopics_result_topics(res, &n)
			    : NULL;

		if (n == 1) {
			rerr = rd_kafka_topic_result_error(tr[0]);
			why = rd_kafka_topic_result_error_string(tr[0]);
			if (!why)
				why = rd_kafka_err2str(rerr);
		}
		if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
			rc_info(KAFKA_LOG, "%s: created topic %s (compacted)",
				ks->base.name, name);
			why = NULL;
		} else if (rerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			why = NULL;
		}
	}
	if (why)
		rc_warn(KAFKA_LOG,
			"%s: cannot create the compacted topic %s: %s; going "
			"on without",
			ks->base.name, name, why);
	if (rkev)
		rd_kafka_event_destroy(rkev);
	rd_kafka_queue_destroy(q);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_NewTopic_destroy(nt);
}

/* Write json to <state_dir>/schemas/<hex>.avsc: temporary file, fsync,
 * rename, fsync the directory. 0, or -1 with lasterr set. */
static int
kafka_save_schema(struct kafka_sink *ks, const char *hex, const char *json)
{
	char dir[KAFKA_PATH_BUF], name[32], path[KAFKA_PATH_BUF + 40];
	char err[RC_ERRLEN] = "";

	if (strlen(ks->state_dir) > KAFKA_PATH_BUF - 64) {
		kafka_fail(ks, "kafka: state_dir too long: %s", ks->state_dir);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/schemas", ks->state_dir);
	snprintf(name, sizeof(name), "%.16s.avsc", hex);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, F_OK) == 0)
		return 0;
	if (mkdir(ks->state_dir, 0750) < 0 && errno != EEXIST) {
		kafka_fail(ks, "kafka: mkdir %s: %s", ks->state_dir,
			   strerror(errno));
		return -1;
	}
	if (rc_write_file_atomic(dir, name, json, strlen(json), err,
				 sizeof(err)) < 0) {
		kafka_fail(ks, "kafka: schema %.16s: %s", hex, err);
		return -1;
	}
	return 0;
}

/*
 * Publish one schema (fingerprint fp, text json) for tbl's source unless
 * already done: to the state directory, then to the schemas topic, and
 * wait for its delivery report. The wait ends with the report, a failure,
 * or a stop of the pipeline (the bound: brokers that are away make the
 * wait as long as they are away, as for any event). 0 or -1.
 */
static int
kafka_publish_schema(struct kafka_sink *ks, const struct rc_table *tbl,
		     uint64_t fp, const char *json)
{
	struct kafka_stopic *st = kafka_stopic_of(ks, tbl);
	struct kafka_known *kn;
	unsigned b = (unsigned)(fp % KAFKA_KNOWN_BUCKETS);
	rd_kafka_resp_err_t err;
	char hex[17];
	int64_t since = rc_mono_ms(), warned = since;

	if (!st) {
		kafka_fail(ks, "kafka: out of memory");
		return -1;
	}
	for (kn = ks->known[b]; kn; kn = kn->next)
		if (kn->fp == fp && kn->topic == st->name)
			return 0;
	snprintf(hex, sizeof(hex), "%016" PRIx64, fp);
	if (kafka_save_schema(ks, hex, json) < 0)
		return -1;
	if (!st->ensured) {
		st->ensured = 1;
		kafka_ensure_topic(ks, st->name);
	}
	for (;;) {
		err = rd_kafka_producev(
			ks->rk, RD_KAFKA_V_TOPIC(st->name),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_KEY(hex, 16),
			RD_KAFKA_V_VALUE((void *)json, strlen(json)),
			RD_KAFKA_V_OPAQUE(&ks->schema_mark), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		if (stopping(ks)) {
			kafka_fail(ks,
				   "kafka: %s: producer queue full while "
				   "stopping",
				   st->name);
			return -1;
		}
		kafka_serve(ks, KAFKA_FULL_WAIT_MS);
	}
	if (err) {
		kafka_fail(ks, "kafka: %s: %s", st->name,
			   rd_kafka_err2str(err));
		return -1;
	}
	ks->schema_inflight++;
	while (ks->schema_inflight > 0 && !ks->failed) {
		int64_t now;

		if (stopping(ks)) {
			kafka_fail(ks,
				   "kafka: %s: schema %s not delivered before "
				   "the stop",
				   st->name, hex);
			return -1;
		}
		kafka_serve(ks, KAFKA_FULL_WAIT_MS);
		now = rc_mono_ms();
		if (now - warned >= KAFKA_WARN_EVERY_MS) {
			warned = now;
			rc_warn(KAFKA_LOG,
				"%s: waiting %" PRId64
				" s for schema %s to reach %s",
				ks->base.name, (now - since) / 1000, hex,
				st->name);
		}
	}
	if (ks->failed)
		return -1;
	if (!(kn = malloc(sizeof(*kn)))) {
		kafka_fail(ks, "kafka: out of memory");
		return -1;
	}
	kn->fp = fp;
	kn->topic = st->name;
	kn->next = ks->known[b];
	ks->known[b] = kn;
	rc_debug(KAFKA_LOG, "%s: published schema %s to %s", ks->base.name, hex,
		 st->name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Write                                                              */
/* ------------------------------------------------------------------ */

/* The single-object header of fingerprint fp into b (reset first). */
static int
so_header(struct rc_buf *b, uint64_t fp)
{
	uint8_t h[KAFKA_SO_HEADER] = {0xC3, 0x01};

	for (int i = 0; i < 8; i++)
		h[2 + i] = (uint8_t)(fp >> (8 * i)); /* little-endian */
	rc_buf_reset(b);
	return rc_buf_append(b, h, sizeof(h));
}

/* A Confluent header with a zero id into b (reset first); cf_set_id()
 * writes the id once it is known, after encoding. */
static int
cf_header(struct rc_buf *b)
{
	static const uint8_t h[KAFKA_CF_HEADER] = {0};

	rc_buf_reset(b);
	return rc_buf_append(b, h, sizeof(h));
}

static int32_t
cf_get_id(const struct rc_buf *b)
{
	const uint8_t *p = (const uint8_t *)b->data;

	return (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 8 | (uint32_t)p[4]);
}

static void
cf_set_id(struct rc_buf *b, int32_t id)
{
	uint8_t *p = (uint8_t *)b->data;
	uint32_t u = (uint32_t)id;

	p[1] = (uint8_t)(u >> 24); /* big-endian */
	p[2] = (uint8_t)(u >> 16);
	p[3] = (uint8_t)(u >> 8);
	p[4] = (uint8_t)u;
}

/* The registry client's stop callback, called between retries: serve
 * delivery reports meanwhile (what was produced before the registry went
 * away still becomes durable), and give up only when the pipeline stops. */
static int
reg_stop(void *arg)
{
	struct kafka_sink *ks = arg;

	kafka_serve(ks, 0);
	return stopping(ks);
}

/*
 * The registry id of json under <topic>-<suffix> into *id: cached, else
 * registered (retrying while the registry is away, until the pipeline
 * stops). 0, or -1 with the sink failed (a refusal stops the pipeline:
 * the table's events are never skipped).
 */
static int
kafka_registry_lookup(struct kafka_sink *ks, const char *topic,
		      const char *suffix, const char *json, int32_t *id)
{
	char subject[2 * RC_MAX_NAME + 64], err[RC_ERRLEN];
	int n = snprintf(subject, sizeof(subject), "%s-%s", topic, suffix);

	if (n < 0 || (size_t)n >= sizeof(subject)) {
		kafka_fail(ks, "kafka: %s: topic name too long for a subject",
			   topic);
		return -1;
	}
	if (kafka_registry_id(ks->reg, subject, json, reg_stop, ks, id, err,
			      sizeof(err)) != KAFKA_REGISTRY_OK) {
		kafka_fail(ks, "%s", err);
		return -1;
	}
	return 0;
}

/*
 * Put the registry ids of sc's schemas into the Confluent headers of the
 * encoded value (and key, with haskey). The ids of the last schemas each
 * topic used are kept in ks->memo, checked by comparing the texts (a
 * memcmp, cheaper per event than the client's fingerprint and lookup);
 * anything else goes to the client. 0, or -1 with the sink failed.
 */
static int
kafka_registry_ids(struct kafka_sink *ks, const char *topic,
		   const struct rc_schemas *sc, int haskey)
{
	unsigned b = 5381;
	struct kafka_memo *m;

	for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
		b = b * 33 + *p;
	b %= KAFKA_KNOWN_BUCKETS;
	for (m = ks->memo[b]; m; m = m->next)
		if (strcmp(m->topic, topic) == 0)
			break;
	if (m && m->value_json && strcmp(m->value_json, sc->value_json) == 0 &&
	    (!haskey ||
	     (m->key_json && strcmp(m->key_json, sc->key_json) == 0))) {
		cf_set_id(&ks->value, m->value_id);
		if (haskey)
			cf_set_id(&ks->key, m->key_id);
		return 0;
	}
	if (!m) {
		if (!(m = calloc(1, sizeof(*m))) ||
		    !(m->topic = strdup(topic))) {
			free(m);
			kafka_fail(ks, "kafka: out of memory");
			return -1;
		}
		m->next = ks->memo[b];
		ks->memo[b] = m;
	}
	if (strcmp(m->value_json ? m->value_json : "", sc->value_json) != 0) {
		free(m->value_json);
		m->value_json = NULL;
		if (kafka_registry_lookup(ks, topic, "value", sc->value_json,
					  &m->value_id) < 0)
			return -1;
		if (!(m->value_json = strdup(sc->value_json))) {
			kafka_fail(ks, "kafka: out of memory");
			return -1;
		}
	}
	if (haskey &&
	    (!m->key_json || strcmp(m->key_json, sc->key_json) != 0)) {
		free(m->key_json);
		m->key_json = NULL;
		if (kafka_registry_lookup(ks, topic, "key", sc->key_json,
					  &m->key_id) < 0)
			return -1;
		if (!(m->key_json = strdup(sc->key_json))) {
			kafka_fail(ks, "kafka: out of memory");
			return -1;
		}
	}
	cf_set_id(&ks->value, m->value_id);
	if (haskey)
		cf_set_id(&ks->key, m->key_id);
	return 0;
}

/*
 * Produce one message, waiting for room in a full queue (polling, so that
 * delivery reports free room) until the pipeline stops. headers may be
 * NULL; its ownership passes to librdkafka on success only. The key and
 * value are copied (RD_KAFKA_MSG_F_COPY): librdkafka allocates one buffer
 * per message anyway, and copying lets rowcast reuse its two encode
 * buffers. Returns 0, or -1 with *errp set to librdkafka's refusal (the
 * caller decides: on_error), or with *errp = 0 and the sink failed (a
 * stop while the queue was full, an earlier failure).
 */
static int
kafka_produce(struct kafka_sink *ks, const char *topic, const void *key,
	      size_t keylen, const void *value, size_t valuelen,
	      rd_kafka_headers_t *hdrs, void *opaque, rd_kafka_resp_err_t *errp)
{
	rd_kafka_resp_err_t err;

	*errp = RD_KAFKA_RESP_ERR_NO_ERROR;
	for (;;) {
		if (hdrs)
			err = rd_kafka_producev(
				ks->rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY((void *)key, keylen),
				RD_KAFKA_V_VALUE((void *)value, valuelen),
				RD_KAFKA_V_HEADERS(hdrs),
				RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
		else
			err = rd_kafka_producev(
				ks->rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY((void *)key, keylen),
				RD_KAFKA_V_VALUE((void *)value, valuelen),
				RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		if (stopping(ks)) {
			kafka_fail(ks,
				   "kafka: %s: producer queue full (brokers "
				   "unreachable?) while stopping",
				   topic);
			return -1;
		}
		kafka_serve(ks, KAFKA_FULL_WAIT_MS);
		if (ks->failed)
			return -1;
	}
	*errp = err;
	return err ? -1 : 0;
}

/*
 * Produce an event's message (value NULL: its tombstone) with opaque dr.
 * A refusal by rd_kafka_producev() follows the table's on_error like a
 * failed delivery report: a dead letter is queued and produced at once, or
 * the sink fails. hdrs is taken over in every case. Returns 0 when a
 * report will settle the message (its own or its dead letter's; the sink
 * may have failed meanwhile), -1 when none will (the caller takes the
 * message out of dr->pending).
 */
static int
kafka_produce_event(struct kafka_sink *ks, struct kafka_dr *dr,
		    const char *topic, const void *key, size_t keylen,
		    const void *value, size_t valuelen,
		    rd_kafka_headers_t *hdrs)
{
	rd_kafka_resp_err_t err;

	if (kafka_produce(ks, topic, key, keylen, value, valuelen, hdrs, dr,
			  &err) == 0)
		return 0;
	if (!err) {
		if (hdrs)
			rd_kafka_headers_destroy(hdrs);
		return -1;
	}
	if (kafka_undeliverable(err) &&
	    dr->ti->on_error == RC_ON_ERROR_DEAD_LETTER) {
		if (kafka_dead_queue(ks, dr, topic, RD_KAFKA_PARTITION_UA, err,
				     key, keylen, value, valuelen, hdrs) < 0)
			return -1;
		kafka_dead_flush(ks);
		return 0;
	}
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	kafka_fail_event(ks, dr, topic, value == NULL, err,
			 kafka_undeliverable(err)
				 ? "; on_error = stop: stopping here, a "
				   "restart retries it (on_error = "
				   "dead_letter would set it aside)"
				 : "");
	return -1;
}

static int
kafka_write(struct rc_sink *snk, const struct rc_event *ev,
	    struct rc_encoder *enc)
{
	struct kafka_sink *ks = (struct kafka_sink *)snk;
	struct rc_table *tbl = ev->tbl;
	const struct rc_schemas *sc;
	struct kafka_tinfo *ti;
	rd_kafka_headers_t *hdrs;
	struct kafka_dr *dr;
	char err[RC_ERRLEN];
	int haskey, tomb, opi;

	if (ks->failed)
		return -1;
	if (!(sc = rc_encoder_schemas(enc, tbl, err, sizeof(err)))) {
		kafka_fail(ks, "kafka: %s.%s: %s", tbl->schema, tbl->name, err);
		return -1;
	}

	/* encode first: a bad event fails before anything is produced */
	if ((ks->reg ? cf_header(&ks->value)
		     : so_header(&ks->value, sc->value_fp)) < 0 ||
	    rc_encode_value(enc, ev, &ks->value, err, sizeof(err)) < 0)
		goto encode_error;
	haskey = 0;
	if (sc->key_json) {
		if ((ks->reg ? cf_header(&ks->key)
			     : so_header(&ks->key, sc->key_fp)) < 0)
			goto encode_error;
		haskey = rc_encode_key(enc, ev, &ks->key, err, sizeof(err));
		if (haskey < 0)
			goto encode_error;
		haskey = haskey == 0;
	}
	tomb = ev->op == 'd' && ks->tombstones;

	if (!(ti = kafka_tinfo_of(ks, tbl))) {
		kafka_fail(ks, "kafka: out of memory");
		return -1;
	}
	/* the schemas (published, or their registry ids) are settled once
	 * per table shape; sc stays the same while tbl lives */
	if (ti->sc != sc) {
		ti->sc = sc;
		ti->value_ok = ti->key_ok = 0;
	}
	if (!ti->value_ok || (haskey && !ti->key_ok)) {
		if (ks->reg) {
			if (kafka_registry_ids(ks, tbl->topic, sc, haskey) < 0)
				return -1;
			ti->value_id = cf_get_id(&ks->value);
			if (haskey)
				ti->key_id = cf_get_id(&ks->key);
		} else if (kafka_publish_schema(ks, tbl, sc->value_fp,
						sc->value_json) < 0 ||
			   (haskey && kafka_publish_schema(ks, tbl, sc->key_fp,
							   sc->key_json) < 0)) {
			return -1;
		}
		ti->value_ok = 1;
		ti->key_ok |= haskey;
	} else if (ks->reg) {
		cf_set_id(&ks->value, ti->value_id);
		if (haskey)
			cf_set_id(&ks->key, ti->key_id);
	}

	if (!(dr = dr_get(ks))) {
		kafka_fail(ks, "kafka: out of memory");
		return -1;
	}
	dr->txn_seq = ev->txn_seq;
	dr->ti = ti;
	dr->pending = tomb ? 2 : 1;
	dr->eid_len = (uint8_t)format_event_id(dr->event_id, ev);

	/* the header values were formatted once per table (kafka_tinfo_of),
	 * except the event id */
	opi = kafka_op_index(ev->op);
	hdrs = rd_kafka_headers_new(4);
	rd_kafka_header_add(hdrs, "op", 2, &ev->op, 1);
	rd_kafka_header_add(hdrs, "table", 5, ti->table_hdr,
			    (ssize_t)ti->table_len);
	rd_kafka_header_add(hdrs, "event", 5, ti->event_hdr[opi],
			    (ssize_t)ti->event_len[opi]);
	rd_kafka_header_add(hdrs, "event_id", 8, dr->event_id, dr->eid_len);

	if (kafka_produce_event(ks, dr, tbl->topic,
				haskey ? ks->key.data : NULL,
				haskey ? ks->key.len : 0, ks->value.data,
				ks->value.len, hdrs) < 0) {
		/* its report may not come: never count it */
		dr->failed = 1;
		if (--dr->pending == 0)
			dr_put(ks, dr);
		if (tomb && --dr->pending == 0)
			dr_put(ks, dr);
		return -1;
	}
	if (tomb && (ks->failed ||
		     kafka_produce_event(
			     ks, dr, tbl->topic, haskey ? ks->key.data : NULL,
			     haskey ? ks->key.len : 0, NULL, 0, NULL) < 0)) {
		/* the event's own report may have come while waiting for
		 * room; either way it must never count */
		dr->failed = 1;
		if (--dr->pending == 0)
			dr_put(ks, dr);
		return -1;
	}
	return ks->failed ? -1 : 0;

encode_error:
	kafka_fail(ks, "kafka: %s.%s: cannot encode the event: %s", tbl->schema,
		   tbl->name, err);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Poll, flush, close                                                 */
/* ------------------------------------------------------------------ */

static int
kafka_poll(struct rc_sink *snk)
{
	struct kafka_sink *ks = (struct kafka_sink *)snk;

	if (ks->failed)
		return -1;
	kafka_serve(ks, 0);
	return ks->failed ? -1 : 0;
}

/* Wait up to 1 s for what is in flight; the rest is reported by later
 * polls. */
static int
kafka_flush(struct rc_sink *snk)
{
	struct kafka_sink *ks = (struct kafka_sink *)snk;

	if (ks->failed)
		return -1;
	rd_kafka_flush(ks->rk, 1000);
	kafka_serve(ks, 0);
	return ks->failed ? -1 : 0;
}

/*
 * Give librdkafka 5 s to deliver what is in flight, then free everything.
 * Nothing is reported from here: the pipeline reports through flush()
 * before it closes, and what is not reported is replayed.
 */
static void
kafka_close(struct rc_sink *snk)
{
	struct kafka_sink *ks = (struct kafka_sink *)snk;

	if (!ks)
		return;
	ks->closing = 1;
	if (ks->rk) {
		rd_kafka_flush(ks->rk, 5000);
		rd_kafka_destroy(ks->rk);
	}
	if (ks->base.stats.dead_letters)
		rc_warn(KAFKA_LOG,
			"%s: %" PRIu64 " message(s) went to dead-letter topics "
			"(on_error = dead_letter)",
			ks->base.name, ks->base.stats.dead_letters);
	for (int i = 0; i < KAFKA_KNOWN_BUCKETS; i++)
		while (ks->known[i]) {
			struct kafka_known *kn = ks->known[i];
			ks->known[i] = kn->next;
			free(kn);
		}
	while (ks->stopics) {
		struct kafka_stopic *st = ks->stopics;
		ks->stopics = st->next;
		free(st->source);
		free(st->name);
		free(st->dlq);
		free(st);
	}
	while (ks->dead_head) {
		struct kafka_dead *d = ks->dead_head;
		ks->dead_head = d->next;
		dead_free(d);
	}
	for (int i = 0; i < KAFKA_TINFO_BUCKETS; i++)
		while (ks->tinfo[i]) {
			struct kafka_tinfo *ti = ks->tinfo[i];
			ks->tinfo[i] = ti->next;
			tinfo_free(ti);
		}
	while (ks->retired) {
		struct kafka_tinfo *ti = ks->retired;
		ks->retired = ti->next;
		tinfo_free(ti);
	}
	while (ks->chunks) {
		struct kafka_dr_chunk *c = ks->chunks;
		ks->chunks = c->next;
		free(c);
	}
	rc_buf_free(&ks->key);
	rc_buf_free(&ks->value);
	for (int i = 0; i < KAFKA_KNOWN_BUCKETS; i++)
		while (ks->memo[i]) {
			struct kafka_memo *m = ks->memo[i];
			ks->memo[i] = m->next;
			free(m->topic);
			free(m->value_json);
			free(m->key_json);
			free(m);
		}
	kafka_registry_free(ks->reg);
	free(ks->schemas_topic);
	free(ks->dlq_topic);
	free(ks->state_dir);
	free(ks);
}

/* ------------------------------------------------------------------ */
/* rowcast check                                                      */
/* ------------------------------------------------------------------ */

/* How long a check waits for the brokers' metadata. */
#define KAFKA_CHECK_WAIT_MS 5000

/* The last error librdkafka reported while checking. @locality any */
struct kafka_probe {
	pthread_mutex_t lock;
	char err[RC_ERRLEN];
};

static void
kafka_probe_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_probe *p = opaque;

	(void)rk;
	pthread_mutex_lock(&p->lock);
	snprintf(p->err, sizeof(p->err), "%s: %s",
		 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
	pthread_mutex_unlock(&p->lock);
}

static void
kafka_probe_log_cb(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	(void)rk;
	(void)level;
	(void)fac;
	(void)buf; /* the findings say what matters */
}

/* The registry answers and takes the credentials? */
static void
kafka_check_registry(const struct rc_config *cfg,
		     const struct rc_conf_section *sec, struct rc_check *chk)
{
	struct kafka_registry_opts o = {
		.url = rc_conf_str(sec, "schema_registry"),
		.user = rc_conf_str(sec, "schema_registry_user"),
		.password = rc_conf_str(sec, "schema_registry_password"),
		.ca = rc_conf_str(sec, "schema_registry_ca"),
		.state_dir = NULL,
		.timeout_ms = rc_conf_ms(sec, "schema_registry_timeout"),
		.log_name = sec->name,
	};
	struct kafka_registry *reg;
	char err[RC_ERRLEN], fix[RC_ERRLEN];
	int n = 0, rc;

	reg = kafka_registry_new(&o, err, sizeof(err));
	if (!reg) {
		snprintf(fix, sizeof(fix), "correct schema_registry (%s:%d)",
			 cfg->path, rc_conf_line(sec, "schema_registry"));
		rc_check_add(chk, RC_CHECK_FAIL, fix, "schema registry: %s",
			     err);
		return;
	}
	rc = kafka_registry_ping(reg, &n, err, sizeof(err));
	if (rc == 0) {
		rc_check_ok(chk, "schema registry %s answers (%d subject(s))%s",
			    o.url, n,
			    o.user ? " and takes the credentials" : "");
	} else if (rc == -2) {
		snprintf(fix, sizeof(fix),
			 "check schema_registry_user and "
			 "schema_registry_password (%s:%d)",
			 cfg->path,
			 rc_conf_line(sec, o.user ? "schema_registry_user"
						  : "schema_registry"));
		rc_check_add(chk, RC_CHECK_FAIL, fix, "schema registry %s: %s",
			     o.url, err);
	} else {
		snprintf(fix, sizeof(fix),
			 "check that the registry runs and that "
			 "schema_registry (%s:%d) is its base URL",
			 cfg->path, rc_conf_line(sec, "schema_registry"));
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "schema registry %s does not answer: %s", o.url,
			     err);
	}
	kafka_registry_free(reg);
}

/*
 * rowcast check for a Kafka sink: a producer built from the section (so
 * TLS and SASL properties count) asks for the cluster's metadata; the
 * sources' topics should exist (or the brokers create them); the schema
 * registry, when set, answers and takes the credentials.
 */
static void
kafka_check(const struct rc_config *cfg, const struct rc_conf_section *sec,
	    const char *const *topics, struct rc_check *chk)
{
	struct kafka_probe probe = {PTHREAD_MUTEX_INITIALIZER, ""};
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_resp_err_t rerr;
	char err[RC_ERRLEN], fix[RC_ERRLEN];
	struct rc_buf missing;
	int nmissing = 0, ntopics = 0;

	if (!(conf = kafka_conf_new(cfg, sec, err, sizeof(err)))) {
		rc_check_add(chk, RC_CHECK_FAIL, "correct the property", "%s",
			     err);
		return;
	}
	rd_kafka_conf_set_opaque(conf, &probe);
	rd_kafka_conf_set_error_cb(conf, kafka_probe_error_cb);
	rd_kafka_conf_set_log_cb(conf, kafka_probe_log_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		rc_check_add(chk, RC_CHECK_FAIL,
			     "correct the kafka.* properties",
			     "%s:%d: kafka: %s", cfg->path, sec->line, err);
		return;
	}
	/* all topics: asking for some would auto-create them */
	rerr = rd_kafka_metadata(rk, 1, NULL, &md, KAFKA_CHECK_WAIT_MS);
	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		pthread_mutex_lock(&probe.lock);
		snprintf(fix, sizeof(fix),
			 "check brokers (%s:%d): the brokers must run and be "
			 "reachable from here; with TLS or SASL, the "
			 "kafka.security.protocol, kafka.ssl.* and "
			 "kafka.sasl.* properties",
			 cfg->path, rc_conf_line(sec, "brokers"));
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "brokers %s do not answer in %d s: %s%s%s",
			     rc_conf_str(sec, "brokers"),
			     KAFKA_CHECK_WAIT_MS / 1000, rd_kafka_err2str(rerr),
			     probe.err[0] ? "; last error " : "", probe.err);
		pthread_mutex_unlock(&probe.lock);
		goto done;
	}
	rc_check_ok(chk, "brokers %s answer (%d broker(s), %d topic(s))",
		    rc_conf_str(sec, "brokers"), md->broker_cnt, md->topic_cnt);

	rc_buf_init(&missing, 64 * 1024);
	for (int i = 0; topics && topics[i]; i++) {
		int found = 0;

		ntopics++;
		for (int t = 0; t < md->topic_cnt && !found; t++) {
			if (strcmp(md->topics[t].topic, topics[i]) != 0)
				continue;
			found = 1;
			if (md->topics[t].err ==
			    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
				rc_check_add(chk, RC_CHECK_FAIL,
					     "grant the producer's principal "
					     "WRITE and DESCRIBE on it",
					     "topic %s: not authorised",
					     topics[i]);
		}
		if (!found) {
			rc_buf_printf(&missing, "%s%s", nmissing ? ", " : "",
				      topics[i]);
			nmissing++;
		}
	}
	if (nmissing) {
		rc_buf_putc(&missing, '\0');
		rc_check_add(chk, RC_CHECK_WARN,
			     "create them (kafka-topics.sh --create), or let "
			     "the brokers create topics "
			     "(auto.create.topics.enable=true)",
			     "%d of %d topic(s) do not exist yet: %s; the "
			     "first event creates them only if the brokers "
			     "allow it",
			     nmissing, ntopics,
			     missing.data ? missing.data : "?");
	} else if (ntopics) {
		rc_check_ok(chk, "the %d topic(s) exist", ntopics);
	}
	rc_buf_free(&missing);
	rd_kafka_metadata_destroy(md);
done:
	rd_kafka_destroy(rk);
	if (rc_conf_is_set(sec, "schema_registry"))
		kafka_check_registry(cfg, sec, chk);
}

static const struct rc_conf_key kafka_keys[] = {
	{"brokers", RC_CONF_STRING, NULL, RC_CONF_REQUIRED,
	 "bootstrap brokers, host:port[,host:port...]", NULL, 0, 0},
	{"kafka.", RC_CONF_STRING, NULL, RC_CONF_PREFIX,
	 "any librdkafka property, e.g. kafka.compression.type = zstd", NULL, 0,
	 0},
	{"tombstones", RC_CONF_BOOL, "true", 0,
	 "follow each delete with a tombstone (null value) for log compaction",
	 NULL, 0, 0},
	{"schemas_topic", RC_CONF_STRING, NULL, 0,
	 "compacted topic of the Avro schemas by fingerprint (default "
	 "<topic_prefix>._schemas)",
	 NULL, 0, 0},
	{"schema_registry", RC_CONF_STRING, NULL, 0,
	 "Confluent schema registry base URL (http(s)://host:port); set: "
	 "Confluent wire format, no schemas topic",
	 NULL, 0, 0},
	{"schema_registry_user", RC_CONF_STRING, NULL, 0,
	 "schema registry basic auth user", NULL, 0, 0},
	{"schema_registry_password", RC_CONF_STRING, NULL, RC_CONF_SECRET,
	 "schema registry basic auth password", NULL, 0, 0},
	{"schema_registry_ca", RC_CONF_STRING, NULL, 0,
	 "CA file to verify an https schema registry", NULL, 0, 0},
	{"schema_registry_timeout", RC_CONF_DURATION, "10s", 0,
	 "timeout of one schema registry request (retried)", NULL, 1, 0},
	{"on_error", RC_CONF_ENUM, "stop", 0,
	 "a message Kafka can never take (too large, topic not authorised) "
	 "of a table without its own on_error: stop, or dead_letter",
	 "stop|dead_letter", 0, 0},
	{"dead_letter_topic", RC_CONF_STRING, NULL, 0,
	 "topic of the messages set aside by on_error = dead_letter (default "
	 "<topic_prefix>._dead_letter)",
	 NULL, 0, 0},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_sink_ops rc_kafka_sink_ops = {
	.name = "kafka",
	.description = "Kafka through librdkafka: Avro key and value, headers, "
		       "delivery reports",
	.conf_keys = kafka_keys,
	.open = kafka_open,
	.write = kafka_write,
	.poll = kafka_poll,
	.flush = kafka_flush,
	.close = kafka_close,
	.check = kafka_check,
};
