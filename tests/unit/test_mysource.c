/*
 * test_mysource.c -- the MySQL source (my_source.c) on real MySQL 8/9 and
 * MariaDB binlog files, through the real pipeline, with a fake of its
 * neighbour: the replication connection (my_conn.h) is replaced by one
 * that serves a fixture file as the dump stream. This covers what the
 * MariaDB integration tests cannot: MySQL's GTID, tagged GTID and
 * TRANSACTION_PAYLOAD events as the source turns them into transactions,
 * positions and GTID sets.
 *
 * The fake defines every function of my_conn.h, so the linker never takes
 * my_conn.o from librowcast.a (a new my_conn function used by my_source.c
 * must be faked here too).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "cu_main.h"
#include "encoder.h"
#include "my_conn.h"
#include "my_gtid.h"
#include "pipeline.h"
#include "plugins.h"
#include "sink.h"
#include "source.h"

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR must be defined"
#endif

/* ------------------------------------------------------------------ */
/* The fake connection: a binlog file as the dump stream               */
/* ------------------------------------------------------------------ */

static char fake_name[256]; /* the file's name (no directory) */
static uint8_t *fake_buf;
static size_t fake_len, fake_off;
static int fake_skip_to;       /* 0, or the offset to jump to after the FDE */
static volatile int fake_eofs; /* times the end of the file was reached */
static int fake_dumps;

struct my_conn {
	int unused;
};

static int
fake_load(const char *name)
{
	char path[1024];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, name);
	snprintf(fake_name, sizeof(fake_name), "%s", name);
	free(fake_buf);
	fake_buf = NULL;
	f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	fake_buf = malloc((size_t)n);
	fake_len = fread(fake_buf, 1, (size_t)n, f);
	fclose(f);
	fake_eofs = fake_dumps = 0;
	return fake_len == (size_t)n ? 0 : -1;
}

struct my_conn *
my_conn_open(const struct my_conn_opts *opts, int *transient, char *err,
	     size_t errlen)
{
	(void)opts;
	(void)transient;
	(void)err;
	(void)errlen;
	return calloc(1, sizeof(struct my_conn));
}

void
my_conn_close(struct my_conn *c)
{
	free(c);
}

int
my_conn_is_mariadb(const struct my_conn *c)
{
	(void)c;
	return strstr(fake_name, "mariadb") != NULL;
}

const char *
my_conn_server_version(const struct my_conn *c)
{
	(void)c;
	return "fake";
}

int
my_conn_error_is_transient(unsigned server_errno)
{
	return server_errno == 0;
}

int
my_conn_check(struct my_conn *c, int want_gtid, struct my_finding *out,
	      size_t max, size_t *n, char *err, size_t errlen)
{
	(void)c;
	(void)want_gtid;
	(void)out;
	(void)max;
	(void)err;
	(void)errlen;
	*n = 0;
	return 0;
}

int
my_conn_table_exists(struct my_conn *c, const char *db, const char *table,
		     char *err, size_t errlen)
{
	(void)c;
	(void)db;
	(void)table;
	(void)err;
	(void)errlen;
	return 1;
}

int
my_conn_table_has_pk(struct my_conn *c, const char *db, const char *table,
		     char *err, size_t errlen)
{
	(void)c;
	(void)db;
	(void)table;
	(void)err;
	(void)errlen;
	return 1;
}

int
my_conn_binlog_head(struct my_conn *c, char *file, size_t filelen,
		    uint64_t *pos, char *err, size_t errlen)
{
	(void)c;
	(void)err;
	(void)errlen;
	snprintf(file, filelen, "%s", fake_name);
	*pos = 4;
	return 0;
}

int
my_conn_binlog_exists(struct my_conn *c, const char *file, char *err,
		      size_t errlen)
{
	(void)c;
	(void)err;
	(void)errlen;
	return 1; /* a rotated-to file "exists" and is empty */
	(void)file;
}

int64_t
my_conn_binlog_behind(struct my_conn *c, const char *file, uint64_t pos,
		      char *err, size_t errlen)
{
	(void)c;
	(void)file;
	(void)pos;
	(void)err;
	(void)errlen;
	return 0;
}

struct my_gtid_set *
my_conn_gtid_executed(struct my_conn *c, char *err, size_t errlen)
{
	(void)c;
	return my_gtid_set_parse("", err, errlen);
}

int
my_conn_start_dump(struct my_conn *c, const char *file, uint64_t pos,
		   const struct my_gtid_set *gtids, int *transient, char *err,
		   size_t errlen)
{
	(void)c;
	(void)gtids;
	(void)transient;
	(void)err;
	(void)errlen;
	fake_dumps++;
	fake_off = 4;
	/* another file (rotated to): nothing more to send */
	fake_skip_to = strcmp(file, fake_name) == 0 ? (int)pos : -1;
	return 0;
}

/* Queries: the fake has no tables to snapshot (the runs say snapshot =
 * never), so a query is an error. */
struct my_result *
my_conn_query(struct my_conn *c, const char *sql, char *err, size_t errlen)
{
	(void)c;
	snprintf(err, errlen, "fake: no query (%.40s)", sql);
	return NULL;
}

int
my_result_next(struct my_result *r, char ***row, unsigned long **lens)
{
	(void)r;
	(void)row;
	(void)lens;
	return 0;
}

unsigned
my_result_ncols(const struct my_result *r)
{
	(void)r;
	return 0;
}

struct my_result *
my_conn_query_stream(struct my_conn *c, const char *sql, char *err,
		     size_t errlen)
{
	return my_conn_query(c, sql, err, errlen);
}

void
my_conn_set_rcvbuf(struct my_conn *c, int bytes)
{
	(void)c;
	(void)bytes;
}

uint64_t
my_result_shape(const struct my_result *r)
{
	(void)r;
	return 0;
}

const char *
my_result_error(const struct my_result *r)
{
	(void)r;
	return "fake";
}

void
my_result_free(struct my_result *r)
{
	(void)r;
}

unsigned
my_conn_errno(struct my_conn *c)
{
	(void)c;
	return 0;
}

int
my_conn_stream_pending(struct my_conn *c)
{
	(void)c;
	return 1;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int
my_conn_read_event(struct my_conn *c, const uint8_t **ev, size_t *len,
		   unsigned *server_errno, char *err, size_t errlen)
{
	uint32_t n;

	(void)c;
	if (fake_skip_to < 0 || fake_off + 19 > fake_len) {
		fake_eofs++;
		usleep(20000);
		*server_errno = 0;
		snprintf(err, errlen, "fake: end of the file");
		return -1;
	}
	n = le32(fake_buf + fake_off + 9);
	if (n < 19 || fake_off + n > fake_len) {
		snprintf(err, errlen, "fake: bad event length");
		return -1;
	}
	*ev = fake_buf + fake_off;
	*len = n;
	/* the FDE first, then from the asked position (as a server does) */
	if (fake_off == 4 && fake_skip_to > 4)
		fake_off = (size_t)fake_skip_to;
	else
		fake_off += n;
	*server_errno = 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* A capturing sink: every event as a JSON line, durable at once       */
/* ------------------------------------------------------------------ */

struct cap_sink {
	struct rc_sink base;
	char **lines;
	int n, cap;
	uint64_t *seqs;
	int acked;
};

static int
cap_write(struct rc_sink *snk, const struct rc_event *ev,
	  struct rc_encoder *enc)
{
	struct cap_sink *cs = (struct cap_sink *)snk;
	struct rc_buf b;
	char err[RC_ERRLEN];

	rc_buf_init(&b, RC_MAX_ENCODED_BYTES);
	/* the Avro encoding must succeed too */
	if (rc_encode_value(enc, ev, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "encode: %s\n", err);
		rc_buf_free(&b);
		return -1;
	}
	rc_buf_reset(&b);
	if (rc_encode_json(ev, &b) < 0) {
		rc_buf_free(&b);
		return -1;
	}
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? 2 * cs->cap : 16;
		cs->lines =
			realloc(cs->lines, sizeof(char *) * (size_t)cs->cap);
		cs->seqs =
			realloc(cs->seqs, sizeof(uint64_t) * (size_t)cs->cap);
	}
	cs->lines[cs->n] = strdup(b.data);
	cs->seqs[cs->n] = ev->txn_seq;
	cs->n++;
	rc_buf_free(&b);
	return 0;
}

static int
cap_poll(struct rc_sink *snk)
{
	struct cap_sink *cs = (struct cap_sink *)snk;

	for (; cs->acked < cs->n; cs->acked++)
		rc_sink_durable(snk, cs->seqs[cs->acked], 1);
	return 0;
}

static void
cap_close(struct rc_sink *snk)
{
	(void)snk; /* the test reads the lines after the pipeline is gone */
}

static const struct rc_sink_ops cap_ops = {
	.name = "capture",
	.write = cap_write,
	.poll = cap_poll,
	.flush = cap_poll,
	.close = cap_close,
};

/* ------------------------------------------------------------------ */
/* Harness                                                            */
/* ------------------------------------------------------------------ */

struct run {
	struct rc_config *cfg;
	struct rc_source *src;
	struct cap_sink *cs;
	struct rc_pipeline *pl;
	struct rc_pos confirmed;
	int rc;
	char lasterr[RC_ERRLEN];
	char dir[64]; /* the state directory, removed by run_free() */
};

static void *
run_thread(void *arg)
{
	struct run *r = arg;

	r->rc = rc_pipeline_run(r->pl);
	return NULL;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Stream fixture `name` capturing `tables` until the file was served to
 * its end and the confirmed position stopped moving (or the source
 * failed), then stop. The caller frees with run_free().
 */
static void
run_file(struct run *r, const char *name, const char *tables)
{
	char text[1024], err[RC_ERRLEN];
	char *dir = r->dir;
	const struct rc_source_ops *ops = rc_source_plugin("mysql");
	struct rc_sink **sinks = malloc(sizeof(*sinks));
	pthread_t t;
	int64_t deadline;

	memset(r, 0, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
	CU_ASSERT_EQUAL_FATAL(fake_load(name), 0);
	snprintf(r->dir, sizeof(r->dir), "/tmp/rc-test-mysource.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(text, sizeof(text),
		 "[rowcast]\nstate_dir = %s\ncheckpoint_interval = 10ms\n"
		 "[source s]\ntype = mysql\nuser = x\nserver_id = 9\n"
		 "reconnect_max_backoff = 100ms\nsnapshot = never\n"
		 "tables = %s\n"
		 "[sink o]\ntype = stdout\n",
		 dir, tables);
	r->cfg = rc_config_load_string(text, "test.conf", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->cfg);
	r->src = ops->create(r->cfg,
			     rc_config_section(r->cfg, RC_SCOPE_SOURCE, 0), err,
			     sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->src);
	r->src->ops = ops;
	r->src->name = "s";
	r->src->cfg = r->cfg;
	r->src->sec = rc_config_section(r->cfg, RC_SCOPE_SOURCE, 0);
	r->cs = calloc(1, sizeof(*r->cs));
	r->cs->base.ops = &cap_ops;
	r->cs->base.name = "o";
	sinks[0] = &r->cs->base;
	r->pl = rc_pipeline_new(r->cfg, r->src, sinks, 1, NULL, err,
				sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->pl);
	pthread_create(&t, NULL, run_thread, r);
	deadline = now_ms() + 10000;
	while (now_ms() < deadline && !rc_pipeline_stopping(r->pl)) {
		struct rc_pos a = {0}, b = {0};

		if (fake_eofs >= 2 && rc_pipeline_confirmed(r->pl, &a) == 0) {
			usleep(100000);
			if (rc_pipeline_confirmed(r->pl, &b) == 0 &&
			    a.offset == b.offset && a.file && b.file &&
			    strcmp(a.file, b.file) == 0) {
				rc_pos_clear(&a);
				rc_pos_clear(&b);
				break;
			}
		}
		rc_pos_clear(&a);
		rc_pos_clear(&b);
		usleep(20000);
	}
	rc_pipeline_request_stop(r->pl);
	pthread_join(t, NULL);
	rc_pipeline_confirmed(r->pl, &r->confirmed);
	snprintf(r->lasterr, sizeof(r->lasterr), "%s", r->src->lasterr);
}

static void
run_free(struct run *r)
{
	rc_pipeline_free(r->pl);
	for (int i = 0; i < r->cs->n; i++)
		free(r->cs->lines[i]);
	free(r->cs->lines);
	free(r->cs->seqs);
	free(r->cs);
	rc_pos_clear(&r->confirmed);
	rc_config_free(r->cfg);
	if (r->dir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", r->dir);
	}
}

#define HAS(line, s)                                                           \
	do {                                                                   \
		if (!strstr((line), (s)))                                      \
			printf("\n  missing %s in %s\n", (s), (line));         \
		CU_ASSERT_PTR_NOT_NULL(strstr((line), (s)));                   \
	} while (0)

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* MySQL 8.0.28, GTIDs, insert/update/delete of ENUM, SET and long
 * strings: three events in three transactions, positions and the GTID
 * set in the confirmed position. */
static void
test_mysql_gtids(void)
{
	struct run r;

	run_file(&r, "mysql-8.0.28_enum-set-strings.000001", "mysql.t");
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL_FATAL(r.cs->n, 3);
	HAS(r.cs->lines[0], "\"op\":\"c\"");
	HAS(r.cs->lines[0], "\"f3\":\"var1\"");
	HAS(r.cs->lines[0], "\"f4\":\"one,three\"");
	HAS(r.cs->lines[0], "\"f5\":\"0123456789\"");
	HAS(r.cs->lines[0], "\"connector\":\"mysql\"");
	HAS(r.cs->lines[0],
	    "\"gtid\":\"93e95066-a2f4-11ec-9b69-9657f0ae95e2:3\"");
	HAS(r.cs->lines[0],
	    "\"file\":\"mysql-8.0.28_enum-set-strings.000001\"");
	HAS(r.cs->lines[0], "\"row\":0");
	HAS(r.cs->lines[0],
	    "\"id\":\"93e95066-a2f4-11ec-9b69-9657f0ae95e2:3\"");
	HAS(r.cs->lines[1], "\"op\":\"u\"");
	HAS(r.cs->lines[1], "\"f3\":\"variant2\"");
	HAS(r.cs->lines[1], "\"f4\":\"two,four\"");
	HAS(r.cs->lines[1], "\"f1\":\"field1\"");
	HAS(r.cs->lines[2], "\"op\":\"d\"");
	HAS(r.cs->lines[2], "\"after\":null");
	CU_ASSERT_PTR_NOT_NULL(r.confirmed.file);
	if (r.confirmed.file)
		CU_ASSERT_STRING_EQUAL(r.confirmed.file,
				       "mysql-8.0.28_enum-set-strings.000001");
	CU_ASSERT_EQUAL(r.confirmed.offset, fake_len);
	CU_ASSERT_PTR_NOT_NULL(r.confirmed.gtid);
	if (r.confirmed.gtid)
		CU_ASSERT_STRING_EQUAL(
			r.confirmed.gtid,
			"93e95066-a2f4-11ec-9b69-9657f0ae95e2:1-5");
	run_free(&r);
}

/* MariaDB 10.5: GTIDs domain-server-seq, v1 rows, ANNOTATE_ROWS. */
static void
test_mariadb_gtids(void)
{
	struct run r;

	run_file(&r, "mariadb-10.5.15_gtid-full-metadata.000001",
		 "toddy_test.outbox");
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL_FATAL(r.cs->n, 2);
	HAS(r.cs->lines[0], "\"id\":62");
	HAS(r.cs->lines[0], "\"topic\":\"foo\"");
	HAS(r.cs->lines[0], "\"event_type\":\"JSON\"");
	HAS(r.cs->lines[0], "\"gtid\":\"0-1-1\"");
	HAS(r.cs->lines[1], "\"id\":63");
	HAS(r.cs->lines[1], "\"gtid\":\"0-1-2\"");
	CU_ASSERT_PTR_NOT_NULL(r.confirmed.gtid);
	if (r.confirmed.gtid)
		CU_ASSERT_STRING_EQUAL(r.confirmed.gtid, "0-1-2");
	CU_ASSERT_EQUAL(r.confirmed.offset, fake_len);
	run_free(&r);
}

/* Invisible columns are captured; BIGINT UNSIGNED stays positive; the
 * file ends with STOP. A table not in `tables` gives no event. */
static void
test_invisible_columns(void)
{
	struct run r;

	run_file(&r, "mysql-8.0.26_invisible-columns.000001", "mysql.t1");
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL_FATAL(r.cs->n, 3);
	HAS(r.cs->lines[0], "\"f1\":1,\"f2\":2,\"f3\":-3,\"f4\":\"4\"");
	HAS(r.cs->lines[0], "\"f6\":\"6000000000\"");
	HAS(r.cs->lines[2], "\"op\":\"u\"");
	HAS(r.cs->lines[2], "\"f1\":111,\"f2\":222,\"f3\":-333");
	run_free(&r);

	run_file(&r, "mysql-8.0.26_invisible-columns.000001", "mysql.other");
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.cs->n, 0);
	CU_ASSERT_EQUAL(r.confirmed.offset, fake_len);
	run_free(&r);
}

/* MySQL 9.6 tagged GTIDs; the file ends with ROTATE: the position moves
 * to the next file. */
static void
test_tagged_gtid_and_rotate(void)
{
	struct run r;

	run_file(&r, "mysql-9.6.0_gtid-tagged.000001", "test.orders");
	if (r.rc == 2 && strstr(r.lasterr, "binlog_row_metadata")) {
		/* no column names in this file: the clear refusal */
		CU_ASSERT_EQUAL(r.cs->n, 0);
		run_free(&r);
		return;
	}
	if (r.rc)
		printf("\n  rc %d: %s\n", r.rc, r.lasterr);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL_FATAL(r.cs->n, 1);
	HAS(r.cs->lines[0], "55778904-0299-11f1-b1b8-4ef0c4956feb:mytag:3");
	CU_ASSERT_PTR_NOT_NULL(r.confirmed.gtid);
	if (r.confirmed.gtid)
		CU_ASSERT_PTR_NOT_NULL(strstr(r.confirmed.gtid, "mytag:3"));
	run_free(&r);
}

/* A TRANSACTION_PAYLOAD whose table maps carry no column names: the
 * source stops with the fix (binlog_row_metadata=FULL) instead of
 * inventing names, and confirms nothing past the previous transaction. */
static void
test_payload_without_names(void)
{
	struct run r;

	run_file(&r, "mysql-8.0.31_trx-payload-gtid-rowsquery.000057",
		 "a.b, a.test_table_3");
	if (r.rc != 2)
		printf("\n  rc %d: %s\n", r.rc, r.lasterr);
	CU_ASSERT_EQUAL(r.rc, 2); /* exit status 2: the user must fix it */
	CU_ASSERT_PTR_NOT_NULL(strstr(r.lasterr, "binlog_row_metadata=FULL"));
	CU_ASSERT_EQUAL(r.cs->n, 0);
	/* the DDL transaction before the payload did commit */
	CU_ASSERT(r.confirmed.offset < fake_len);
	run_free(&r);
}

/* A table the configuration does not list, in a compressed payload: the
 * payload is walked and skipped, and the position moves past it. */
static void
test_payload_skipped(void)
{
	struct run r;

	run_file(&r, "mysql-8.0.32_trx-payload-zstd-small.000001",
		 "other.table");
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_EQUAL(r.cs->n, 0);
	/* ends with ROTATE to binlog.000043 */
	CU_ASSERT_PTR_NOT_NULL(r.confirmed.file);
	if (r.confirmed.file)
		CU_ASSERT_STRING_EQUAL(r.confirmed.file, "binlog.000043");
	run_free(&r);
}

static const struct cu_test tests[] = {
	{"mysql_gtids", test_mysql_gtids},
	{"mariadb_gtids", test_mariadb_gtids},
	{"invisible_columns", test_invisible_columns},
	{"tagged_gtid_and_rotate", test_tagged_gtid_and_rotate},
	{"payload_without_names", test_payload_without_names},
	{"payload_skipped", test_payload_skipped},
	{NULL, NULL},
};

CU_MAIN("mysource", tests)
