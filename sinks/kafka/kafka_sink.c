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
 * it reaches 0, in runs of one transaction. A permanent delivery failure
 * fails the sink: its event is never reported and the next call returns
 * -1 with "kafka: <topic>: <error>". Retriable errors are retried by
 * librdkafka itself (idempotence keeps order and drops duplicates), for
 * ever with message.timeout.ms = 0: while the brokers are away, the
 * producer queue fills, write() waits for room, and the pipeline stops
 * reading the source.
 *
 * Memory: librdkafka's queue (queue.buffering.max.kbytes) plus one pooled
 * 16-byte record per event in flight, plus the two reused encode buffers.
 *
 * @locality pipeline thread only: no librdkafka callback is served from
 * another thread (no background queue), except log_cb, which only calls
 * rc_log().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
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

extern const struct rc_sink_ops rc_kafka_sink_ops;

/* The delivery state of one event (its message and its tombstone). */
struct kafka_dr {
	uint64_t txn_seq;
	uint32_t pending; /* messages without a delivery report yet */
	uint32_t failed;  /* a message of it failed: never report */
	struct kafka_dr *next_free;
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

/* The schemas topic of one source. */
struct kafka_stopic {
	struct kafka_stopic *next;
	char *source; /* source name; NULL for the fallback entries */
	char *name;   /* the schemas topic */
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
	memset(dr, 0, sizeof(*dr));
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

/* Poll librdkafka (serves delivery reports and errors), then report. */
static void
kafka_serve(struct kafka_sink *ks, int timeout_ms)
{
	rd_kafka_poll(ks->rk, timeout_ms);
	run_flush(ks);
}

static int
stopping(const struct kafka_sink *ks)
{
	return ks->base.pl && rc_pipeline_stopping(ks->base.pl);
}

/* ------------------------------------------------------------------ */
/* librdkafka callbacks (pipeline thread, from rd_kafka_poll)         */
/* ------------------------------------------------------------------ */

static void
kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
	struct kafka_sink *ks = opaque;
	struct kafka_dr *dr = msg->_private;

	(void)rk;
	if (msg->err)
		kafka_fail(ks, "kafka: %s: %s", rd_kafka_topic_name(msg->rkt),
			   rd_kafka_err2str(msg->err));
	if (msg->_private == &ks->schema_mark) {
		ks->schema_inflight--;
		return;
	}
	if (!dr)
		return;
	if (msg->err)
		dr->failed = 1;
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
	{"linger.ms", "5"},
};

static void kafka_close(struct rc_sink *snk);

/* The schemas topic of each [source], from schemas_topic or topic_prefix. */
static int
kafka_stopics_load(struct kafka_sink *ks, const struct rc_config *cfg)
{
	const struct rc_conf_section *src;

	for (int i = 0; (src = rc_config_section(cfg, RC_SCOPE_SOURCE, i));
	     i++) {
		const char *prefix = rc_conf_str(src, "topic_prefix");
		struct kafka_stopic *st = calloc(1, sizeof(*st));
		size_t n;

		if (!st)
			return -1;
		st->next = ks->stopics;
		ks->stopics = st;
		if (!prefix || !prefix[0])
			prefix = src->name;
		n = strlen(prefix) + sizeof("._schemas");
		st->source = strdup(src->name);
		st->name = ks->schemas_topic ? strdup(ks->schemas_topic)
					     : malloc(n);
		if (!st->source || !st->name)
			return -1;
		if (!ks->schemas_topic)
			snprintf(st->name, n, "%s._schemas", prefix);
	}
	return 0;
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
	rc_buf_init(&ks->key, RC_MAX_ENCODED_BYTES);
	rc_buf_init(&ks->value, RC_MAX_ENCODED_BYTES);
	st = rc_conf_str(sec, "schemas_topic");
	ks->state_dir = strdup(rc_conf_str(&cfg->global, "state_dir"));
	if (st && st[0] && !(ks->schemas_topic = strdup(st)))
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

	conf = rd_kafka_conf_new();
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
	size_t n;

	for (st = ks->stopics; st; st = st->next)
		if (st->source && strcmp(st->source, tbl->source) == 0)
			return st;
	/* a source that is not in the configuration (tests) */
	if (!(st = calloc(1, sizeof(*st))))
		return NULL;
	n = strlen(tbl->source) + sizeof("._schemas");
	st->source = strdup(tbl->source);
	st->name = ks->schemas_topic ? strdup(ks->schemas_topic) : malloc(n);
	if (!st->source || !st->name) {
		free(st->source);
		free(st->name);
		free(st);
		return NULL;
	}
	if (!ks->schemas_topic)
		snprintf(st->name, n, "%s._schemas", tbl->source);
	st->next = ks->stopics;
	ks->stopics = st;
	return st;
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

static const char *
op_event_suffix(char op)
{
	switch (op) {
	case 'c':
		return "created";
	case 'u':
		return "updated";
	case 'd':
		return "deleted";
	case 'r':
		return "read";
	case 't':
		return "truncated";
	}
	return "changed";
}

/*
 * Produce one message, waiting for room in a full queue (polling, so that
 * delivery reports free room) until the pipeline stops. headers may be
 * NULL; its ownership passes to librdkafka on success only. The key and
 * value are copied (RD_KAFKA_MSG_F_COPY): librdkafka allocates one buffer
 * per message anyway, and copying lets rowcast reuse its two encode
 * buffers, so the sink itself allocates nothing per event.
 */
static int
kafka_produce(struct kafka_sink *ks, const char *topic, const void *key,
	      size_t keylen, const void *value, size_t valuelen,
	      rd_kafka_headers_t *hdrs, struct kafka_dr *dr)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		if (hdrs)
			err = rd_kafka_producev(
				ks->rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY((void *)key, keylen),
				RD_KAFKA_V_VALUE((void *)value, valuelen),
				RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(dr),
				RD_KAFKA_V_END);
		else
			err = rd_kafka_producev(
				ks->rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY((void *)key, keylen),
				RD_KAFKA_V_VALUE((void *)value, valuelen),
				RD_KAFKA_V_OPAQUE(dr), RD_KAFKA_V_END);
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
	if (err) {
		kafka_fail(ks, "kafka: %s: %s", topic, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

static int
kafka_write(struct rc_sink *snk, const struct rc_event *ev,
	    struct rc_encoder *enc)
{
	struct kafka_sink *ks = (struct kafka_sink *)snk;
	struct rc_table *tbl = ev->tbl;
	const struct rc_schemas *sc;
	rd_kafka_headers_t *hdrs = NULL;
	struct kafka_dr *dr;
	char err[RC_ERRLEN], name[2 * RC_MAX_NAME + 16];
	char op[2] = {ev->op, 0}, event_id[sizeof(ev->txn_id) + 24];
	int haskey, tomb;

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

	if (ks->reg) {
		if (kafka_registry_ids(ks, tbl->topic, sc, haskey) < 0)
			return -1;
	} else {
		if (kafka_publish_schema(ks, tbl, sc->value_fp,
					 sc->value_json) < 0 ||
		    (haskey && kafka_publish_schema(ks, tbl, sc->key_fp,
						    sc->key_json) < 0))
			return -1;
	}

	if (!(dr = dr_get(ks))) {
		kafka_fail(ks, "kafka: out of memory");
		return -1;
	}
	dr->txn_seq = ev->txn_seq;
	dr->pending = tomb ? 2 : 1;

	hdrs = rd_kafka_headers_new(4);
	snprintf(name, sizeof(name), "%s.%s", tbl->schema, tbl->name);
	snprintf(event_id, sizeof(event_id), "%.*s/%" PRIu64,
		 (int)strnlen(ev->txn_id, sizeof(ev->txn_id)), ev->txn_id,
		 ev->txn_order);
	rd_kafka_header_add(hdrs, "op", -1, op, 1);
	rd_kafka_header_add(hdrs, "table", -1, name, -1);
	snprintf(name, sizeof(name), "%s.%s",
		 tbl->event_name ? tbl->event_name : tbl->name,
		 op_event_suffix(ev->op));
	rd_kafka_header_add(hdrs, "event", -1, name, -1);
	rd_kafka_header_add(hdrs, "event_id", -1, event_id, -1);

	if (kafka_produce(ks, tbl->topic, haskey ? ks->key.data : NULL,
			  haskey ? ks->key.len : 0, ks->value.data,
			  ks->value.len, hdrs, dr) < 0) {
		rd_kafka_headers_destroy(hdrs);
		dr_put(ks, dr);
		return -1;
	}
	if (tomb &&
	    kafka_produce(ks, tbl->topic, haskey ? ks->key.data : NULL,
			  haskey ? ks->key.len : 0, NULL, 0, NULL, dr) < 0) {
		/* the event's own report may have come while waiting for
		 * room; either way it must never count */
		dr->failed = 1;
		if (--dr->pending == 0)
			dr_put(ks, dr);
		return -1;
	}
	return 0;

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
		free(st);
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
	free(ks->state_dir);
	free(ks);
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
};
