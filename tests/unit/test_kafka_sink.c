/*
 * test_kafka_sink.c -- the Kafka sink (sinks/kafka) against librdkafka's
 * in-process mock cluster (3 brokers), with the real encoder and
 * configuration loader. Everything the sink produces is consumed back with
 * a librdkafka consumer and checked independently: the single-object
 * header and fingerprint, the Avro value decoded with Avro C, the key,
 * the partition (against this file's own murmur2, Java's algorithm), the
 * headers, tombstones, the schemas topic and the state directory.
 *
 * rc_sink_durable() is defined here and records every report.
 */
#include "config.h"

#include <avro.h>
#include <ftw.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cu_main.h"
#include "encoder.h"
#include "event.h"
#include "sink.h"

extern const struct rc_sink_ops rc_kafka_sink_ops;

#define MAX_TXN 1024
#define MAX_MSG 256
/* Headers read back: the event's, then a dead letter's. */
#define NHDR 10
enum {
	H_OP,
	H_TABLE,
	H_EVENT,
	H_EVENT_ID,
	H_ERR_TOPIC,
	H_ERR_CODE,
	H_ERR_DROPPED,
	H_ERR_VBYTES,
	H_ERR_PART,
	H_ERR_TS
};
static const char *hnames[NHDR] = {
	"op",
	"table",
	"event",
	"event_id",
	"rowcast.error.topic",
	"rowcast.error.code",
	"rowcast.error.value_dropped",
	"rowcast.error.value_bytes",
	"rowcast.error.partition",
	"rowcast.error.ts_ms",
};

/* ------------------------------------------------------------------ */
/* Reports                                                            */
/* ------------------------------------------------------------------ */

static uint64_t durable_txn[MAX_TXN];
static uint64_t durable_total;

static void
reports_reset(void)
{
	memset(durable_txn, 0, sizeof(durable_txn));
	durable_total = 0;
}

void
rc_sink_durable(struct rc_sink *snk, uint64_t txn_seq, uint32_t n)
{
	(void)snk;
	if (txn_seq < MAX_TXN)
		durable_txn[txn_seq] += n;
	durable_total += n;
}

/* ------------------------------------------------------------------ */
/* The mock cluster, configuration, tables and events                 */
/* ------------------------------------------------------------------ */

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mc;
static char bootstraps[512];
static char tmpdir[64];
static struct rc_encoder *enc;
static struct rc_config *cfgs[16];
static int ncfgs;

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The config line of extra is line 12 of this text (bad property test). */
static struct rc_sink *
open_sink(const char *extra, char *err, size_t errlen)
{
	char text[4096];
	const struct rc_conf_section *sec;
	struct rc_config *cfg;

	snprintf(text, sizeof(text),
		 "[rowcast]\n"
		 "state_dir = %s\n"
		 "[source shop]\n"
		 "type = postgresql\n"
		 "conninfo = host=127.0.0.1 port=1 dbname=x\n"
		 "tables = public.t1\n"
		 "topic_prefix = shopx\n"
		 "[sink k]\n"
		 "type = kafka\n"
		 "brokers = %s\n"
		 "kafka.linger.ms = 1\n"
		 "%s\n",
		 tmpdir, bootstraps, extra);
	cfg = rc_config_load_string(text, "test.conf", err, errlen);
	if (!cfg)
		fprintf(stderr, "config: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	cfgs[ncfgs++] = cfg;
	sec = rc_config_section(cfg, RC_SCOPE_SINK, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sec);
	err[0] = 0;
	return rc_kafka_sink_ops.open(cfg, sec, err, errlen);
}

/* A table id bigint key, name text (no key when !key), on topic. */
static struct rc_table *
mk_table(const char *name, const char *topic, int key)
{
	struct rc_table *tbl = rc_table_new("shop", "shop", "public", name, 2);
	char rp[256];

	rc_table_set_column(tbl, 0, "id", RC_T_INT64, "bigint");
	if (key)
		tbl->cols[0].flags = RC_COL_KEY | RC_COL_NOT_NULL;
	rc_table_set_column(tbl, 1, "name", RC_T_STRING, "text");
	rc_table_finish(tbl);
	tbl->topic = strdup(topic);
	snprintf(rp, sizeof(rp), "shop.public.%s", name);
	tbl->record_prefix = strdup(rp);
	return tbl;
}

/* An event op on tbl for row id (truncate: no rows). */
static struct rc_event *
mk_event(struct rc_table *tbl, char op, int64_t id, uint64_t txn,
	 uint64_t order)
{
	struct rc_event *ev = rc_event_new(op, tbl);
	char name[64];
	int64_t *row = op == 'd' ? &ev->before : &ev->after;

	ev->txn_seq = txn;
	ev->txn_order = order;
	ev->ts_ms = 1704164645999LL;
	ev->src.connector = "postgresql";
	ev->src.commit_ts_us = 1704164645123456LL;
	ev->src.txid = 700 + (int64_t)txn;
	ev->src.lsn = 0x1000000 + txn;
	snprintf(ev->txn_id, sizeof(ev->txn_id), "%d:%d", 700 + (int)txn,
		 0x1000000 + (int)txn);
	if (op == 't')
		return ev;
	rc_event_alloc_row(ev, row);
	snprintf(name, sizeof(name), "name %lld", (long long)id);
	rc_event_set_bytes(ev, *row, 1, RC_V_SET, name, strlen(name));
	rc_event_row(ev, *row)[0].kind = RC_V_SET;
	rc_event_row(ev, *row)[0].u.i = id;
	return ev;
}

static int
write_ev(struct rc_sink *snk, struct rc_event *ev)
{
	int rc = rc_kafka_sink_ops.write(snk, ev, enc);

	if (rc < 0)
		fprintf(stderr, "write: %s\n", snk->lasterr);
	rc_event_free(ev);
	return rc;
}

/* Poll the sink until want reports arrived or ms passed. */
static void
wait_reports(struct rc_sink *snk, uint64_t want, int ms)
{
	for (int t = 0; t < ms && durable_total < want; t += 20) {
		CU_ASSERT_EQUAL(rc_kafka_sink_ops.poll(snk), 0);
		sleep_ms(20);
	}
}

/* ------------------------------------------------------------------ */
/* Reading back                                                       */
/* ------------------------------------------------------------------ */

struct msg {
	int32_t partition;
	int64_t offset;
	void *key, *value; /* NULL when null */
	size_t klen, vlen;
	char hdr[NHDR][128]; /* hnames[]; "" when absent */
	int nhdrs;
};

static struct msg msgs[MAX_MSG];
static int nmsgs;

static void
msgs_free(void)
{
	for (int i = 0; i < nmsgs; i++) {
		free(msgs[i].key);
		free(msgs[i].value);
	}
	nmsgs = 0;
}

static void *
dup_bytes(const void *p, size_t n)
{
	void *d;

	if (!p)
		return NULL;
	d = malloc(n ? n : 1);
	memcpy(d, p, n);
	return d;
}

/* Consume every partition of topic from the start until want messages
 * arrived or ms passed; sorted by (partition, offset) per partition. */
static void
consume(const char *topic, int partitions, int want, int ms)
{
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *parts;

	msgs_free();
	rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr,
			  sizeof(errstr));
	rd_kafka_conf_set(conf, "group.id", "test", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rk);
	parts = rd_kafka_topic_partition_list_new(partitions);
	for (int p = 0; p < partitions; p++)
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	for (int t = 0; t < ms && nmsgs < want && nmsgs < MAX_MSG; t += 50) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
		rd_kafka_headers_t *h = NULL;
		struct msg *g;

		if (!m)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		g = &msgs[nmsgs++];
		memset(g, 0, sizeof(*g));
		g->partition = m->partition;
		g->offset = m->offset;
		g->key = dup_bytes(m->key, m->key_len);
		g->klen = m->key_len;
		g->value = dup_bytes(m->payload, m->len);
		g->vlen = m->len;
		if (rd_kafka_message_headers(m, &h) == 0) {
			g->nhdrs = (int)rd_kafka_header_cnt(h);
			for (int i = 0; i < NHDR; i++) {
				const void *v;
				size_t vl;
				if (rd_kafka_header_get_last(h, hnames[i], &v,
							     &vl) == 0)
					snprintf(g->hdr[i], 128, "%.*s",
						 (int)vl, (const char *)v);
			}
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

/* Java's murmur2 (org.apache.kafka.common.utils.Utils.murmur2). */
static int32_t
murmur2(const uint8_t *data, size_t len)
{
	const uint32_t m = 0x5bd1e995, seed = 0x9747b28c;
	const int r = 24;
	uint32_t h = seed ^ (uint32_t)len;
	size_t n4 = len / 4;

	for (size_t i = 0; i < n4; i++) {
		const uint8_t *p = data + 4 * i;
		uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len % 4) {
	case 3:
		h ^= (uint32_t)data[(len & ~3u) + 2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)data[(len & ~3u) + 1] << 8;
		/* fall through */
	case 1:
		h ^= (uint32_t)data[len & ~3u];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return (int32_t)h;
}

static int
java_partition(const void *key, size_t len, int partitions)
{
	return (int)((uint32_t)murmur2(key, len) & 0x7fffffff) % partitions;
}

/* Check the single-object header of p: magic and fp (little-endian). */
static int
so_ok(const uint8_t *p, size_t n, uint64_t fp)
{
	uint64_t got = 0;

	if (n < 10 || p[0] != 0xC3 || p[1] != 0x01)
		return 0;
	for (int i = 0; i < 8; i++)
		got |= (uint64_t)p[2 + i] << (8 * i);
	return got == fp;
}

/* Field name of a record value, through a union (nullable) if any. */
static int
field(avro_value_t *rec, const char *name, avro_value_t *out)
{
	avro_value_t f;

	if (avro_value_get_by_name(rec, name, &f, NULL))
		return -1;
	if (avro_value_get_type(&f) == AVRO_UNION)
		return avro_value_get_current_branch(&f, out);
	*out = f;
	return 0;
}

/*
 * Decode Avro binary p[0..n) with schema json; give op, id (of after, or
 * before for deletes) and the name column. Returns 0 or -1.
 */
static int
decode_env(const char *json, const uint8_t *p, size_t n, char *op, int64_t *id,
	   char *name, size_t namelen)
{
	avro_schema_t s;
	avro_value_iface_t *iface;
	avro_value_t v, f, row, col;
	avro_reader_t rd;
	int rc = -1;
	size_t sl;
	const char *str;
	int e;

	if (avro_schema_from_json_length(json, strlen(json), &s))
		return -1;
	iface = avro_generic_class_from_schema(s);
	avro_generic_value_new(iface, &v);
	rd = avro_reader_memory((const char *)p, (int64_t)n);
	if (avro_value_read(rd, &v))
		goto out;
	if (field(&v, "op", &f))
		goto out;
	if (avro_value_get_type(&f) == AVRO_ENUM) {
		avro_schema_t es = avro_value_get_schema(&f);
		avro_value_get_enum(&f, &e);
		*op = avro_schema_enum_get(es, e)[0];
	} else {
		avro_value_get_string(&f, &str, &sl);
		*op = str[0];
	}
	if (field(&v, *op == 'd' ? "before" : "after", &row))
		goto out;
	if (field(&row, "id", &col) || avro_value_get_long(&col, id))
		goto out;
	if (field(&row, "name", &col) || avro_value_get_string(&col, &str, &sl))
		goto out;
	snprintf(name, namelen, "%s", str);
	rc = 0;
out:
	avro_reader_free(rd);
	avro_value_decref(&v);
	avro_value_iface_decref(iface);
	avro_schema_decref(s);
	return rc;
}

static int
decode_key(const char *json, const uint8_t *p, size_t n, int64_t *id)
{
	avro_schema_t s;
	avro_value_iface_t *iface;
	avro_value_t v, col;
	avro_reader_t rd;
	int rc = -1;

	if (avro_schema_from_json_length(json, strlen(json), &s))
		return -1;
	iface = avro_generic_class_from_schema(s);
	avro_generic_value_new(iface, &v);
	rd = avro_reader_memory((const char *)p, (int64_t)n);
	if (avro_value_read(rd, &v) == 0 && field(&v, "id", &col) == 0 &&
	    avro_value_get_long(&col, id) == 0)
		rc = 0;
	avro_reader_free(rd);
	avro_value_decref(&v);
	avro_value_iface_decref(iface);
	avro_schema_decref(s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_setup(void)
{
	char errstr[512];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rc_kafka_sink.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), errstr,
			       sizeof(errstr));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mock_rk);
	mc = rd_kafka_mock_cluster_new(mock_rk, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mc);
	snprintf(bootstraps, sizeof(bootstraps), "%s",
		 rd_kafka_mock_cluster_bootstraps(mc));
	rd_kafka_mock_topic_create(mc, "t.events", 4, 3);
	rd_kafka_mock_topic_create(mc, "t.nokey", 3, 3);
	rd_kafka_mock_topic_create(mc, "t.notomb", 3, 3);
	rd_kafka_mock_topic_create(mc, "t.down", 3, 3);
	rd_kafka_mock_topic_create(mc, "t.denied", 3, 3);
	rd_kafka_mock_topic_create(mc, "t.dlq", 3, 3);
	rd_kafka_mock_topic_create(mc, "t.big", 3, 3);
	rd_kafka_mock_topic_create(mc, "shopx._dead_letter", 1, 3);
	rd_kafka_mock_topic_create(mc, "t.dead", 1, 3);
	enc = rc_encoder_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(enc);
}

static void
test_teardown(void)
{
	msgs_free();
	while (ncfgs > 0)
		rc_config_free(cfgs[--ncfgs]);
	rc_encoder_free(enc);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mock_rk);
	if (!getenv("RC_TEST_KEEP"))
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * 10 inserts in 2 transactions, an update and a delete: everything read
 * back and checked, reports only after delivery.
 */
static void
test_events(void)
{
	char err[RC_ERRLEN], name[64], path[512];
	struct rc_sink *snk;
	struct rc_table *tbl = mk_table("customers", "t.events", 1);
	const struct rc_schemas *sc;
	int64_t del_key_id = -1;
	void *del_key = NULL;
	size_t del_klen = 0;
	int ntomb = 0, nev = 0, part_of[16];

	reports_reset();
	snk = open_sink("", err, sizeof(err));
	if (!snk)
		fprintf(stderr, "open: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	for (int i = 1; i <= 10; i++)
		CU_ASSERT_EQUAL(
			write_ev(snk, mk_event(tbl, 'c', i, i <= 5 ? 1 : 2,
					       (uint64_t)(i - 1) % 5 + 1)),
			0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'u', 4, 3, 1)), 0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'd', 3, 3, 2)), 0);
	/* nothing is reported before a delivery report was polled */
	CU_ASSERT_EQUAL(durable_total, 0);
	wait_reports(snk, 12, 10000);
	CU_ASSERT_EQUAL(durable_total, 12);
	CU_ASSERT_EQUAL(durable_txn[1], 5);
	CU_ASSERT_EQUAL(durable_txn[2], 5);
	CU_ASSERT_EQUAL(durable_txn[3], 2);
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.flush(snk), 0);
	rc_kafka_sink_ops.close(snk);
	CU_ASSERT_EQUAL(durable_total, 12);

	sc = rc_encoder_schemas(enc, tbl, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc->key_json);
	for (int i = 0; i < 16; i++)
		part_of[i] = -1;

	consume("t.events", 4, 13, 10000);
	CU_ASSERT_EQUAL(nmsgs, 13);
	for (int i = 0; i < nmsgs; i++) {
		struct msg *g = &msgs[i];
		int64_t kid = -1, id = -1;
		char op = 0, want[64];

		CU_ASSERT_PTR_NOT_NULL_FATAL(g->key);
		CU_ASSERT(so_ok(g->key, g->klen, sc->key_fp));
		CU_ASSERT_EQUAL(decode_key(sc->key_json, (uint8_t *)g->key + 10,
					   g->klen - 10, &kid),
				0);
		CU_ASSERT(kid >= 1 && kid <= 10);
		/* the Java client's partition for this key */
		CU_ASSERT_EQUAL(g->partition,
				java_partition(g->key, g->klen, 4));
		if (kid >= 1 && kid <= 10) {
			if (part_of[kid] >= 0)
				CU_ASSERT_EQUAL(part_of[kid], g->partition);
			part_of[kid] = g->partition;
		}
		if (!g->value) {
			ntomb++;
			CU_ASSERT_EQUAL(g->nhdrs, 0);
			CU_ASSERT_EQUAL(kid, 3);
			continue;
		}
		nev++;
		CU_ASSERT(so_ok(g->value, g->vlen, sc->value_fp));
		CU_ASSERT_EQUAL_FATAL(
			decode_env(sc->value_json, (uint8_t *)g->value + 10,
				   g->vlen - 10, &op, &id, name, sizeof(name)),
			0);
		CU_ASSERT_EQUAL(id, kid);
		snprintf(want, sizeof(want), "name %lld", (long long)id);
		CU_ASSERT_STRING_EQUAL(name, want);
		CU_ASSERT_EQUAL(g->nhdrs, 4);
		CU_ASSERT_EQUAL(g->hdr[0][0], op);
		CU_ASSERT_EQUAL(g->hdr[0][1], 0);
		CU_ASSERT_STRING_EQUAL(g->hdr[1], "public.customers");
		snprintf(want, sizeof(want), "customers.%s",
			 op == 'c'   ? "created"
			 : op == 'u' ? "updated"
				     : "deleted");
		CU_ASSERT_STRING_EQUAL(g->hdr[2], want);
		if (op == 'c')
			snprintf(want, sizeof(want), "%d:%d/%lld",
				 id <= 5 ? 701 : 702,
				 id <= 5 ? 0x1000001 : 0x1000002,
				 (long long)((id - 1) % 5 + 1));
		else
			snprintf(want, sizeof(want), "703:%d/%d", 0x1000003,
				 op == 'u' ? 1 : 2);
		CU_ASSERT_STRING_EQUAL(g->hdr[3], want);
		if (op == 'd') {
			del_key_id = kid;
			del_key = g->key;
			del_klen = g->klen;
		}
	}
	CU_ASSERT_EQUAL(nev, 12);
	CU_ASSERT_EQUAL(ntomb, 1);
	CU_ASSERT_EQUAL(del_key_id, 3);
	/* the tombstone comes right after its delete, with the same key */
	for (int i = 0; i + 1 < nmsgs; i++)
		if (msgs[i].key == del_key) {
			CU_ASSERT_PTR_NULL(msgs[i + 1].value);
			CU_ASSERT_EQUAL(msgs[i + 1].partition,
					msgs[i].partition);
			CU_ASSERT_EQUAL(msgs[i + 1].klen, del_klen);
			CU_ASSERT(memcmp(msgs[i + 1].key, del_key, del_klen) ==
				  0);
		}

	/* the schemas topic (topic_prefix shopx) and the state directory */
	consume("shopx._schemas", 4, 2, 5000);
	CU_ASSERT_EQUAL(nmsgs, 2);
	for (int i = 0; i < nmsgs; i++) {
		char hex[17];
		const char *want;

		CU_ASSERT_EQUAL_FATAL(msgs[i].klen, 16);
		memcpy(hex, msgs[i].key, 16);
		hex[16] = 0;
		snprintf(name, sizeof(name), "%016" PRIx64, sc->value_fp);
		want = strcmp(hex, name) == 0 ? sc->value_json : sc->key_json;
		snprintf(name, sizeof(name), "%016" PRIx64,
			 want == sc->value_json ? sc->value_fp : sc->key_fp);
		CU_ASSERT_STRING_EQUAL(hex, name);
		CU_ASSERT_EQUAL(msgs[i].vlen, strlen(want));
		CU_ASSERT(msgs[i].value &&
			  memcmp(msgs[i].value, want, strlen(want)) == 0);
		snprintf(path, sizeof(path), "%s/schemas/%s.avsc", tmpdir, hex);
		CU_ASSERT_EQUAL(access(path, R_OK), 0);
	}
	rc_table_unref(tbl);
}

/* No key: NULL key; a truncate: NULL key too. tombstones = false. */
static void
test_nokey_truncate_notomb(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk;
	struct rc_table *nk = mk_table("nokey", "t.nokey", 0);
	struct rc_table *tt = mk_table("notomb", "t.notomb", 1);

	reports_reset();
	snk = open_sink("tombstones = false", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(nk, 'c', 1, 1, 1)), 0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tt, 'c', 1, 2, 1)), 0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tt, 'd', 1, 2, 2)), 0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tt, 't', 0, 2, 3)), 0);
	wait_reports(snk, 4, 10000);
	CU_ASSERT_EQUAL(durable_total, 4);
	rc_kafka_sink_ops.close(snk);

	consume("t.nokey", 3, 1, 5000);
	CU_ASSERT_EQUAL(nmsgs, 1);
	CU_ASSERT_PTR_NULL(msgs[0].key);
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[2], "nokey.created");

	consume("t.notomb", 3, 4, 1500); /* 3 expected: wait for a 4th */
	CU_ASSERT_EQUAL(nmsgs, 3);
	for (int i = 0; i < nmsgs; i++) {
		CU_ASSERT_PTR_NOT_NULL(msgs[i].value);
		if (msgs[i].hdr[0][0] == 't') {
			CU_ASSERT_PTR_NULL(msgs[i].key);
			CU_ASSERT_STRING_EQUAL(msgs[i].hdr[2],
					       "notomb.truncated");
		} else {
			CU_ASSERT_PTR_NOT_NULL(msgs[i].key);
		}
	}
	rc_table_unref(nk);
	rc_table_unref(tt);
}

static void
test_bad_property(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk =
		open_sink("kafka.no.such.property = 1", err, sizeof(err));

	CU_ASSERT_PTR_NULL(snk);
	fprintf(stderr, "(expected) %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "test.conf:12: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "kafka.no.such.property"));

	snk = open_sink("kafka.acks = sometimes", err, sizeof(err));
	CU_ASSERT_PTR_NULL(snk);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "test.conf:12: kafka.acks: "));
}

/* All brokers down: no report while down, every report once back. */
static void
test_brokers_down(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk;
	struct rc_table *tbl = mk_table("down", "t.down", 1);

	reports_reset();
	snk = open_sink("", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 1, 1, 1)), 0);
	wait_reports(snk, 1, 10000);
	CU_ASSERT_EQUAL_FATAL(durable_total, 1);

	rd_kafka_mock_broker_set_down(mc, -1);
	for (int i = 2; i <= 20; i++)
		CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', i, 2, 1)), 0);
	for (int t = 0; t < 3000; t += 50) {
		CU_ASSERT_EQUAL(rc_kafka_sink_ops.poll(snk), 0);
		sleep_ms(50);
	}
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(durable_total, 1);

	rd_kafka_mock_broker_set_up(mc, -1);
	wait_reports(snk, 20, 15000);
	CU_ASSERT_EQUAL(durable_total, 20);
	CU_ASSERT_EQUAL(durable_txn[2], 19);
	rc_kafka_sink_ops.close(snk);

	consume("t.down", 3, 20, 5000);
	CU_ASSERT_EQUAL(nmsgs, 20);
	rc_table_unref(tbl);
}

/* TOPIC_AUTHORIZATION_FAILED on Produce: poll fails, naming the topic. */
static void
test_permanent_error(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk;
	struct rc_table *tbl = mk_table("denied", "t.denied", 1);
	int rc = 0;

	reports_reset();
	snk = open_sink("", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	/* first event publishes the schemas and goes through */
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 1, 1, 1)), 0);
	wait_reports(snk, 1, 10000);
	CU_ASSERT_EQUAL_FATAL(durable_total, 1);

	rd_kafka_mock_push_request_errors(
		mc, 0 /* Produce */, 1,
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 2, 2, 1)), 0);
	for (int t = 0; t < 10000 && rc == 0; t += 20) {
		rc = rc_kafka_sink_ops.poll(snk);
		sleep_ms(20);
	}
	CU_ASSERT_EQUAL(rc, -1);
	fprintf(stderr, "(expected) %s\n", snk->lasterr);
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr,
				      "kafka: table public.denied, event "
				      "702:16777218/1: the message to t.denied "
				      "failed: TOPIC_AUTHORIZATION_FAILED"));
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, "on_error = stop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, "uthoriz"));
	CU_ASSERT_EQUAL(durable_total, 1);
	/* failed for good: write and flush fail too */
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.flush(snk), -1);
	rc_kafka_sink_ops.close(snk);
	CU_ASSERT_EQUAL(durable_total, 1);
	rc_table_unref(tbl);
}

/* An event of tbl whose name is n bytes of 'x' (a value too large). */
static struct rc_event *
mk_big_event(struct rc_table *tbl, int64_t id, uint64_t txn, size_t n)
{
	struct rc_event *ev = mk_event(tbl, 'c', id, txn, 1);
	char *big = malloc(n);

	memset(big, 'x', n);
	rc_event_set_bytes(ev, ev->after, 1, RC_V_SET, big, n);
	free(big);
	return ev;
}

/*
 * on_error = dead_letter (the sink's), a delivery report with
 * MSG_SIZE_TOO_LARGE (injected on Produce): the event goes to the
 * dead-letter topic with its key, its headers and the error, without its
 * value; it counts as durable once there; the next events go on normally.
 */
static void
test_dead_letter_report(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk;
	struct rc_table *tbl = mk_table("dlq", "t.dlq", 1);
	uint8_t key2[64];
	size_t klen2 = 0;

	reports_reset();
	snk = open_sink("on_error = dead_letter", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 1, 1, 1)), 0);
	wait_reports(snk, 1, 10000);
	CU_ASSERT_EQUAL_FATAL(durable_total, 1);

	rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1,
					  RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 2, 2, 1)), 0);
	wait_reports(snk, 2, 10000);
	CU_ASSERT_EQUAL(durable_total, 2);
	CU_ASSERT_EQUAL(durable_txn[2], 1);
	CU_ASSERT_EQUAL(snk->stats.dead_letters, 1);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 3, 3, 1)), 0);
	wait_reports(snk, 3, 10000);
	CU_ASSERT_EQUAL(durable_total, 3);
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(snk->stats.dead_letters, 1);
	rc_kafka_sink_ops.close(snk);

	consume("t.dlq", 3, 3, 3000); /* 2 expected: wait for a 3rd */
	CU_ASSERT_EQUAL(nmsgs, 2);
	for (int i = 0; i < nmsgs; i++)
		CU_ASSERT(strcmp(msgs[i].hdr[H_EVENT_ID], "702:16777218/1") !=
			  0);

	/* event 2 (key id 2) with its headers and the error, no value */
	consume("shopx._dead_letter", 1, 1, 5000);
	CU_ASSERT_EQUAL_FATAL(nmsgs, 1);
	CU_ASSERT_PTR_NULL(msgs[0].value);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msgs[0].key);
	klen2 = msgs[0].klen;
	CU_ASSERT(klen2 > 10 && klen2 <= sizeof(key2));
	if (klen2 <= sizeof(key2))
		memcpy(key2, msgs[0].key, klen2);
	CU_ASSERT_EQUAL(key2[klen2 - 1], 4); /* Avro long 2: zigzag 4 */
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_EVENT_ID], "702:16777218/1");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_OP], "c");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_TABLE], "public.dlq");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_EVENT], "dlq.created");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_ERR_TOPIC], "t.dlq");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_ERR_CODE], "MSG_SIZE_TOO_LARGE");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_ERR_DROPPED], "true");
	CU_ASSERT(atoi(msgs[0].hdr[H_ERR_VBYTES]) > 10);
	CU_ASSERT(msgs[0].hdr[H_ERR_PART][0] >= '0' &&
		  msgs[0].hdr[H_ERR_PART][0] <= '2');
	CU_ASSERT(atoll(msgs[0].hdr[H_ERR_TS]) > 1700000000000LL);
	rc_table_unref(tbl);
}

/*
 * kafka.message.max.bytes set low: rd_kafka_producev() refuses a big
 * event at once. The table's on_error = dead_letter (sink default stop)
 * sends it to dead_letter_topic; a table without on_error stops the sink
 * with the table, the event id and the error, and reports nothing.
 */
static void
test_dead_letter_produce(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk;
	struct rc_table *big = mk_table("big", "t.big", 1);
	struct rc_table *stop = mk_table("big", "t.big", 1);
	struct rc_event *ev;

	big->on_error = RC_ON_ERROR_DEAD_LETTER;
	reports_reset();
	snk = open_sink("kafka.message.max.bytes = 2000\n"
			"dead_letter_topic = t.dead",
			err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(big, 'c', 1, 1, 1)), 0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_big_event(big, 2, 2, 5000)), 0);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(big, 'd', 3, 3, 1)), 0);
	wait_reports(snk, 3, 10000);
	CU_ASSERT_EQUAL(durable_total, 3);
	CU_ASSERT_EQUAL(snk->stats.dead_letters, 1);

	/* a new shape (another struct rc_table) without on_error: stop */
	ev = mk_big_event(stop, 4, 4, 5000);
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.write(snk, ev, enc), -1);
	rc_event_free(ev);
	fprintf(stderr, "(expected) %s\n", snk->lasterr);
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr,
				      "kafka: table public.big, event "
				      "704:16777220/1: the message to t.big "
				      "failed: MSG_SIZE_TOO_LARGE"));
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.poll(snk), -1);
	CU_ASSERT_EQUAL(durable_total, 3);
	rc_kafka_sink_ops.close(snk);

	consume("t.dead", 1, 1, 5000);
	CU_ASSERT_EQUAL_FATAL(nmsgs, 1);
	CU_ASSERT_PTR_NULL(msgs[0].value);
	CU_ASSERT_PTR_NOT_NULL(msgs[0].key);
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_EVENT_ID], "702:16777218/1");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_ERR_CODE], "MSG_SIZE_TOO_LARGE");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_ERR_TOPIC], "t.big");
	CU_ASSERT_STRING_EQUAL(msgs[0].hdr[H_ERR_PART], ""); /* none chosen */
	CU_ASSERT(atoi(msgs[0].hdr[H_ERR_VBYTES]) > 5000);
	/* the delete and its tombstone went to t.big, after the first */
	consume("t.big", 3, 4, 3000);
	CU_ASSERT_EQUAL(nmsgs, 3);
	rc_table_unref(big);
	rc_table_unref(stop);
}

/*
 * TOPIC_AUTHORIZATION_FAILED under on_error = dead_letter: the dead letter
 * keeps the value (only a size error drops it). Every event counts as
 * durable once its dead letters are delivered.
 */
static void
test_dead_letter_denied(void)
{
	char err[RC_ERRLEN];
	struct rc_sink *snk;
	struct rc_table *tbl = mk_table("denied2", "t.denied2", 1);
	int with_value = 0;

	rd_kafka_mock_topic_create(mc, "t.denied2", 1, 3);
	rd_kafka_mock_topic_create(mc, "t.dead2", 1, 3);
	reports_reset();
	snk = open_sink("on_error = dead_letter\n"
			"dead_letter_topic = t.dead2",
			err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 1, 1, 1)), 0);
	wait_reports(snk, 1, 10000);
	CU_ASSERT_EQUAL_FATAL(durable_total, 1);

	/* the insert's Produce is refused; librdkafka then remembers the
	 * topic's error for a while, so the delete and its tombstone may be
	 * refused at once by producev: dead letters too, either way */
	rd_kafka_mock_push_request_errors(
		mc, 0 /* Produce */, 1,
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'c', 2, 2, 1)), 0);
	wait_reports(snk, 2, 10000);
	CU_ASSERT_EQUAL(write_ev(snk, mk_event(tbl, 'd', 1, 3, 1)), 0);
	wait_reports(snk, 3, 10000);
	CU_ASSERT_EQUAL(durable_total, 3);
	CU_ASSERT(snk->stats.dead_letters >= 1);
	CU_ASSERT_EQUAL(rc_kafka_sink_ops.poll(snk), 0);
	rc_kafka_sink_ops.close(snk);

	consume("t.dead2", 1, 3, 3000);
	CU_ASSERT(nmsgs >= 1);
	for (int i = 0; i < nmsgs; i++) {
		CU_ASSERT_STRING_EQUAL(msgs[i].hdr[H_ERR_CODE],
				       "TOPIC_AUTHORIZATION_FAILED");
		CU_ASSERT_STRING_EQUAL(msgs[i].hdr[H_ERR_TOPIC], "t.denied2");
		CU_ASSERT_STRING_EQUAL(msgs[i].hdr[H_ERR_DROPPED], "");
		if (msgs[i].value)
			with_value++;
	}
	CU_ASSERT(with_value >= 1); /* the insert, value kept */
	rc_table_unref(tbl);
}

/* on_error in [table] and [sink]: values checked at load with file:line. */
static void
test_on_error_config(void)
{
	char err[RC_ERRLEN];
	struct rc_config *cfg = rc_config_load_string(
		"[source s]\ntype = postgresql\nconninfo = x\n"
		"tables = public.t\n[sink k]\ntype = kafka\nbrokers = b\n"
		"[table public.t]\non_error = skip\n",
		"t.conf", err, sizeof(err));

	CU_ASSERT_PTR_NULL(cfg);
	fprintf(stderr, "(expected) %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:9: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "on_error"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dead_letter"));
	cfg = rc_config_load_string(
		"[source s]\ntype = postgresql\nconninfo = x\n"
		"tables = public.t\n[sink k]\ntype = kafka\nbrokers = b\n"
		"on_error = never\n",
		"t.conf", err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.conf:8: "));
	rc_config_free(cfg);
}

static const struct cu_test tests[] = {
	{"setup: mock cluster", test_setup},
	{"events, keys, partitions, headers, tombstone, schemas", test_events},
	{"no key, truncate, tombstones = false", test_nokey_truncate_notomb},
	{"bad kafka.* property names file:line", test_bad_property},
	{"brokers down: no reports until they are back", test_brokers_down},
	{"permanent delivery error stops the sink", test_permanent_error},
	{"dead letter from a delivery report (too large)",
	 test_dead_letter_report},
	{"dead letter from producev, [table] on_error; stop names the event",
	 test_dead_letter_produce},
	{"dead letter keeps the value of a denied topic's message",
	 test_dead_letter_denied},
	{"on_error values checked at load", test_on_error_config},
	{"teardown", test_teardown},
	{NULL, NULL},
};

CU_MAIN("kafka sink", tests)
