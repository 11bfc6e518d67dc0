/*
 * test_file_sink.c -- the file sink (sinks/file) with the real encoder and
 * configuration loader: durability reports, file names, rotation, schema
 * changes, crash recovery and write errors. Files are read back by an
 * independent Avro implementation (tests/lib/read_ocf.py on Debian's
 * /usr/bin/python3); that part is skipped when it is missing.
 *
 * rc_sink_durable() (src/sink.c) forwards reports to the pipeline; this
 * file defines its own, which records every report and checks, at each
 * one, that the reported events are already in complete blocks on disk.
 * fdatasync is linked with -Wl,--wrap=fdatasync: the syncer thread's goes
 * through a gate the tests can hold shut or make fail.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cu_main.h"
#include "encoder.h"
#include "event.h"
#include "file_ocf.h"
#include "pipeline.h"
#include "sink.h"

extern const struct rc_sink_ops rc_file_sink_ops;

#define PY	"/usr/bin/python3"
#define MAX_TXN 4096

/* ------------------------------------------------------------------ */
/* The durability reports                                             */
/* ------------------------------------------------------------------ */

static uint64_t durable_txn[MAX_TXN]; /* events reported, per txn_seq */
static uint64_t durable_total;
static unsigned durable_calls;
static const char *check_dir; /* when set: verify against disk */
static int durable_bad;	      /* a report was not backed by disk */

static void
reports_reset(void)
{
	memset(durable_txn, 0, sizeof(durable_txn));
	durable_total = 0;
	durable_calls = 0;
	durable_bad = 0;
	check_dir = NULL;
}

static uint64_t disk_records(const char *dir);

void
rc_sink_durable(struct rc_sink *snk, uint64_t txn_seq, uint32_t n)
{
	(void)snk;
	if (txn_seq < MAX_TXN)
		durable_txn[txn_seq] += n;
	durable_total += n;
	durable_calls++;
	if (check_dir && disk_records(check_dir) < durable_total)
		durable_bad++;
}

/* ------------------------------------------------------------------ */
/* The syncer's fdatasync                                             */
/* ------------------------------------------------------------------ */

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

static pthread_t main_thread; /* the tests' (the pipeline) thread */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_shut;	 /* hold the syncer's fdatasync */
static int gate_fail;	 /* make it fail with EIO */
static int gate_waiting; /* syncer calls held now */
static int gate_passed;	 /* syncer calls that returned */

/* fdatasync of the main thread goes straight through; the syncer's waits
 * while gate_shut and fails when gate_fail. */
int
__wrap_fdatasync(int fd)
{
	int fail;

	if (pthread_equal(pthread_self(), main_thread))
		return __real_fdatasync(fd);
	pthread_mutex_lock(&gate_mu);
	gate_waiting++;
	pthread_cond_broadcast(&gate_cv);
	while (gate_shut)
		pthread_cond_wait(&gate_cv, &gate_mu);
	gate_waiting--;
	fail = gate_fail;
	pthread_mutex_unlock(&gate_mu);
	if (fail)
		errno = EIO;
	fail = fail ? -1 : __real_fdatasync(fd);
	pthread_mutex_lock(&gate_mu);
	gate_passed++;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	return fail;
}

static void
gate_set(int shut, int fail)
{
	pthread_mutex_lock(&gate_mu);
	gate_shut = shut;
	gate_fail = fail;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
}

/* Wait (up to 10 s) until n syncer calls are held at the gate. */
static int
gate_wait_held(int n)
{
	struct timespec ts;
	int ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&gate_mu);
	while (gate_waiting < n &&
	       pthread_cond_timedwait(&gate_cv, &gate_mu, &ts) == 0)
		;
	ok = gate_waiting >= n;
	pthread_mutex_unlock(&gate_mu);
	return ok;
}

static int
gate_count(void)
{
	int n;

	pthread_mutex_lock(&gate_mu);
	n = gate_passed;
	pthread_mutex_unlock(&gate_mu);
	return n;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* Remove a test directory; RC_TEST_KEEP=1 keeps it for a look. */
static void
rm_rf(const char *dir)
{
	if (getenv("RC_TEST_KEEP")) {
		fprintf(stderr, "test_file_sink: kept %s\n", dir);
		return;
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
mktemp_dir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/rc_file_sink.XXXXXX");
	return mkdtemp(dir);
}

/* Records in complete blocks of every .avro and .avro.part under dir. */
static uint64_t
disk_records(const char *dir)
{
	uint64_t total = 0;
	struct dirent *de, *fe;
	DIR *d = opendir(dir), *f;
	char sub[1024], path[2048];

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (!(f = opendir(sub)))
			continue;
		while ((fe = readdir(f))) {
			struct rc_ocf_scan sc;
			int fd;

			if (!strstr(fe->d_name, ".avro") ||
			    strstr(fe->d_name, ".corrupt"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, fe->d_name);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				continue;
			if (rc_ocf_scan(fd, &sc) == 0)
				total += sc.records;
			close(fd);
		}
		closedir(f);
	}
	closedir(d);
	return total;
}

/* The names in dir that end with suffix, sorted; returns the count. */
static int
list_dir(const char *dir, const char *suffix, char names[][256], int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;
	size_t sl = strlen(suffix);

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < sl || strcmp(de->d_name + l - sl, suffix) != 0 ||
		    n == max)
			continue;
		snprintf(names[n++], 256, "%s", de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, 256,
	      (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Does name look like "<topic>-yyyymmddTHHMMSSZ-nnnnnn.avro"? Returns the
 * seq, or -1. */
static long
check_name(const char *topic, const char *name)
{
	size_t tl = strlen(topic);
	const char *p = name + tl;

	if (strncmp(name, topic, tl) != 0 || strlen(p) != 1 + 16 + 1 + 6 + 5 ||
	    p[0] != '-' || p[9] != 'T' || p[16] != 'Z' || p[17] != '-' ||
	    strcmp(p + 24, ".avro") != 0)
		return -1;
	for (int i = 1; i < 24; i++)
		if (i != 9 && i != 16 && i != 17 && (p[i] < '0' || p[i] > '9'))
			return -1;
	return strtol(p + 18, NULL, 10);
}

static off_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

static int
have_python(void)
{
	static int warned;

	if (access(PY, X_OK) == 0)
		return 1;
	if (!warned++)
		fprintf(stderr,
			"test_file_sink: %s missing: skipping the "
			"read-back checks\n",
			PY);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading the files back with python3-avro                           */
/* ------------------------------------------------------------------ */

#define MAX_RECS 4096

struct rec {
	char topic[256];
	char file[256];
	json_t *j; /* "record" or "schema" */
};

static struct rec recs[MAX_RECS];
static int nrecs;

static void
recs_free(void)
{
	for (int i = 0; i < nrecs; i++)
		json_decref(recs[i].j);
	nrecs = 0;
}

/* Run read_ocf.py on dir (with --schema when schema) into recs[].
 * Returns the exit status of the script. */
static int
read_back(const char *dir, int schema)
{
	const char *top = getenv("top_srcdir");
	char cmd[2048], line[1 << 16];
	FILE *p;
	int st;

	recs_free();
	snprintf(cmd, sizeof(cmd), PY " %s/tests/lib/read_ocf.py %s %s",
		 top ? top : ".", dir, schema ? "--schema" : "");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		if (nrecs == MAX_RECS) {
			json_decref(o);
			continue;
		}
		snprintf(recs[nrecs].topic, 256, "%s",
			 json_string_value(json_object_get(o, "topic")));
		snprintf(recs[nrecs].file, 256, "%s",
			 json_string_value(json_object_get(o, "file")));
		recs[nrecs].j = json_incref(
			json_object_get(o, schema ? "schema" : "record"));
		json_decref(o);
		nrecs++;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* record.after.<col> (or record.<col> when col starts with '.') */
static json_t *
after_col(const struct rec *r, const char *col)
{
	return json_object_get(json_object_get(r->j, "after"), col);
}

/* ------------------------------------------------------------------ */
/* Tables and events                                                  */
/* ------------------------------------------------------------------ */

/* public.customers: id bigint key, name text, amount numeric(10,2),
 * created timestamptz, day date, uid uuid. Shape 1 adds vip boolean;
 * shape 2 has amount numeric(12,3): the same Parsing Canonical Form (and
 * fingerprint) as shape 0, another schema text. */
static struct rc_table *
customers(int shape)
{
	struct rc_table *tbl = rc_table_new("shop", "shop", "public",
					    "customers", shape == 1 ? 7 : 6);

	rc_table_set_column(tbl, 0, "id", RC_T_INT64, "bigint");
	tbl->cols[0].flags = RC_COL_KEY | RC_COL_NOT_NULL;
	rc_table_set_column(tbl, 1, "name", RC_T_STRING, "text");
	if (shape == 2) {
		rc_table_set_column(tbl, 2, "amount", RC_T_DECIMAL,
				    "numeric(12,3)");
		tbl->cols[2].precision = 12;
		tbl->cols[2].scale = 3;
	} else {
		rc_table_set_column(tbl, 2, "amount", RC_T_DECIMAL,
				    "numeric(10,2)");
		tbl->cols[2].precision = 10;
		tbl->cols[2].scale = 2;
	}
	rc_table_set_column(tbl, 3, "created", RC_T_TIMESTAMP_MICROS,
			    "timestamptz");
	rc_table_set_column(tbl, 4, "day", RC_T_DATE, "date");
	rc_table_set_column(tbl, 5, "uid", RC_T_UUID, "uuid");
	if (shape == 1)
		rc_table_set_column(tbl, 6, "vip", RC_T_BOOLEAN, "boolean");
	tbl->version = (uint32_t)shape + 1;
	rc_table_finish(tbl);
	tbl->topic = strdup("shop.public.customers");
	tbl->record_prefix = strdup("shop.public.customers");
	return tbl;
}

/* public.orders: id int key, note text */
static struct rc_table *
orders(void)
{
	struct rc_table *tbl =
		rc_table_new("shop", "shop", "public", "orders", 2);

	rc_table_set_column(tbl, 0, "id", RC_T_INT32, "integer");
	tbl->cols[0].flags = RC_COL_KEY | RC_COL_NOT_NULL;
	rc_table_set_column(tbl, 1, "note", RC_T_STRING, "text");
	rc_table_finish(tbl);
	tbl->topic = strdup("shop.public.orders");
	tbl->record_prefix = strdup("shop.public.orders");
	return tbl;
}

/* public.items: sku text key; no topic set (the sink falls back to
 * <source>.<schema>.<name>) */
static struct rc_table *
items(void)
{
	struct rc_table *tbl =
		rc_table_new("shop", "shop", "public", "items", 1);

	rc_table_set_column(tbl, 0, "sku", RC_T_STRING, "text");
	tbl->cols[0].flags = RC_COL_KEY | RC_COL_NOT_NULL;
	rc_table_finish(tbl);
	tbl->record_prefix = strdup("shop.public.items");
	return tbl;
}

/* Minimal big-endian two's complement of v into p; returns its length. */
static size_t
be_twos(int64_t v, uint8_t *p)
{
	uint8_t tmp[8];
	size_t n = 8, i = 0;

	for (int k = 7; k >= 0; k--)
		tmp[7 - k] = (uint8_t)((uint64_t)v >> (8 * k));
	while (n > 1 && ((tmp[i] == 0x00 && !(tmp[i + 1] & 0x80)) ||
			 (tmp[i] == 0xff && (tmp[i + 1] & 0x80)))) {
		i++;
		n--;
	}
	memcpy(p, tmp + i, n);
	return n;
}

#define TS0  1704164645123456LL /* 2024-01-02T03:04:05.123456Z */
#define DAY0 19724		/* 2024-01-02 */

static void
event_common(struct rc_event *ev, uint64_t txn, uint64_t order)
{
	ev->txn_seq = txn;
	ev->txn_order = order;
	ev->ts_ms = 1704164645999LL;
	ev->src.connector = "postgresql";
	ev->src.commit_ts_us = TS0;
	ev->src.txid = 700 + (int64_t)txn;
	ev->src.lsn = 0x1000000 + txn;
	snprintf(ev->txn_id, sizeof(ev->txn_id), "%d:%d", 700 + (int)txn,
		 0x1000000 + (int)txn);
}

/* An insert into customers: id, amount = id * 1.01 - 5 (unscaled
 * id * 101 - 500), created = TS0 + id us, day = DAY0 + id. */
static struct rc_event *
customer_event(struct rc_table *tbl, int64_t id, uint64_t txn, uint64_t order)
{
	struct rc_event *ev = rc_event_new('c', tbl);
	char name[64], uid[40];
	uint8_t dec[8];
	size_t dl = be_twos(id * 101 - 500, dec);
	struct rc_value *row;

	event_common(ev, txn, order);
	rc_event_alloc_row(ev, &ev->after);
	snprintf(name, sizeof(name), "customer \"%lld\" é", (long long)id);
	snprintf(uid, sizeof(uid), "6f1c0000-0000-4000-8000-%012lld",
		 (long long)id);
	rc_event_set_bytes(ev, ev->after, 1, RC_V_SET, name, strlen(name));
	rc_event_set_bytes(ev, ev->after, 2, RC_V_SET, dec, dl);
	rc_event_set_bytes(ev, ev->after, 5, RC_V_SET, uid, strlen(uid));
	row = rc_event_row(ev, ev->after);
	row[0].kind = RC_V_SET;
	row[0].u.i = id;
	row[3].kind = RC_V_SET;
	row[3].u.i = TS0 + id;
	row[4].kind = RC_V_SET;
	row[4].u.i = DAY0 + id;
	if (tbl->ncols > 6) {
		row[6].kind = RC_V_SET;
		row[6].u.i = 1;
	}
	return ev;
}

/* An insert into orders; the note is NULL for odd ids. */
static struct rc_event *
order_event(struct rc_table *tbl, int64_t id, uint64_t txn, uint64_t order)
{
	struct rc_event *ev = rc_event_new('c', tbl);
	char note[64];
	struct rc_value *row;

	event_common(ev, txn, order);
	rc_event_alloc_row(ev, &ev->after);
	snprintf(note, sizeof(note), "order %lld", (long long)id);
	if (id % 2 == 0)
		rc_event_set_bytes(ev, ev->after, 1, RC_V_SET, note,
				   strlen(note));
	row = rc_event_row(ev, ev->after);
	row[0].kind = RC_V_SET;
	row[0].u.i = id;
	return ev;
}

static struct rc_event *
item_event(struct rc_table *tbl, int64_t id, uint64_t txn, uint64_t order)
{
	struct rc_event *ev = rc_event_new('c', tbl);
	char sku[32];

	event_common(ev, txn, order);
	rc_event_alloc_row(ev, &ev->after);
	snprintf(sku, sizeof(sku), "SKU-%lld", (long long)id);
	rc_event_set_bytes(ev, ev->after, 0, RC_V_SET, sku, strlen(sku));
	return ev;
}

/* Check a decoded customers record against customer_event(id). */
static void
check_customer(const struct rec *r, int64_t id)
{
	char want[64];
	int64_t u = id * 101 - 500;

	CU_ASSERT_EQUAL(json_integer_value(after_col(r, "id")), id);
	snprintf(want, sizeof(want), "customer \"%lld\" é", (long long)id);
	CU_ASSERT_STRING_EQUAL(json_string_value(after_col(r, "name")), want);
	snprintf(want, sizeof(want), "%s%lld.%02lld", u < 0 ? "-" : "",
		 (long long)(u < 0 ? -u : u) / 100,
		 (long long)(u < 0 ? -u : u) % 100);
	CU_ASSERT_STRING_EQUAL(json_string_value(after_col(r, "amount")), want);
	snprintf(want, sizeof(want), "2024-01-02T03:04:05.%06lld+00:00",
		 (long long)(123456 + id));
	CU_ASSERT_STRING_EQUAL(json_string_value(after_col(r, "created")),
			       want);
	{
		struct tm tm = {0};
		time_t t = (time_t)(DAY0 + id) * 86400;
		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "%Y-%m-%d", &tm);
	}
	CU_ASSERT_STRING_EQUAL(json_string_value(after_col(r, "day")), want);
	snprintf(want, sizeof(want), "6f1c0000-0000-4000-8000-%012lld",
		 (long long)id);
	CU_ASSERT_STRING_EQUAL(json_string_value(after_col(r, "uid")), want);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r->j, "op")),
			       "c");
	CU_ASSERT(json_is_null(json_object_get(r->j, "before")));
}

/* ------------------------------------------------------------------ */
/* Opening a sink                                                     */
/* ------------------------------------------------------------------ */

static struct rc_config *cfgs[64]; /* kept alive while sinks use them */
static int ncfgs;
static struct rc_encoder *enc;

/* Load a configuration whose [sink f] writes to out with extra keys, and
 * open the sink; NULL (with err) when open fails. */
static struct rc_sink *
open_sink(const char *tmp, const char *out, const char *extra, char *err,
	  size_t errlen)
{
	char text[2048];
	const struct rc_conf_section *sec;
	struct rc_config *cfg;

	CU_ASSERT_FATAL(ncfgs < 64);
	snprintf(text, sizeof(text),
		 "[rowcast]\n"
		 "state_dir = %s\n"
		 "\n"
		 "[source x]\n"
		 "type = postgresql\n"
		 "conninfo = host=127.0.0.1 port=1 dbname=x\n"
		 "tables = public.customers, public.orders, public.items\n"
		 "\n"
		 "[sink f]\n"
		 "type = file\n"
		 "path = %s\n"
		 "%s\n",
		 tmp, out, extra);
	cfg = rc_config_load_string(text, "test.conf", err, errlen);
	if (!cfg)
		fprintf(stderr, "config: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	cfgs[ncfgs++] = cfg;
	sec = rc_config_section(cfg, RC_SCOPE_SINK, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sec);
	CU_ASSERT_STRING_EQUAL_FATAL(sec->type, "file");
	err[0] = 0;
	return rc_file_sink_ops.open(cfg, sec, err, errlen);
}

static int
sink_write(struct rc_sink *snk, struct rc_event *ev)
{
	int rc = rc_file_sink_ops.write(snk, ev, enc);

	if (rc < 0)
		fprintf(stderr, "write: %s\n", snk->lasterr);
	rc_event_free(ev);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/*
 * Big blocks, long flush_interval: nothing is reported before flush(),
 * and flush() reports every event of every transaction exactly once. The
 * files are closed and renamed on close and read back value for value.
 */
static void
test_durable_after_flush(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256];
	char names[8][256];
	struct rc_table *tc = customers(0), *to = orders(), *ti = items();
	struct rc_sink *snk;
	int n;

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snk = open_sink(tmp, out, "block_bytes = 1M\nflush_interval = 1h", err,
			sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_PTR_EQUAL(snk->ops, &rc_file_sink_ops);
	CU_ASSERT_STRING_EQUAL(snk->name, "f");
	check_dir = out;

	/* 6 transactions of 5 events over 3 tables */
	for (int i = 0; i < 30; i++) {
		uint64_t txn = 1 + (uint64_t)i / 5, ord = 1 + (uint64_t)i % 5;
		struct rc_event *ev =
			i % 3 == 0   ? customer_event(tc, i, txn, ord)
			: i % 3 == 1 ? order_event(to, i, txn, ord)
				     : item_event(ti, i, txn, ord);
		CU_ASSERT_EQUAL(sink_write(snk, ev), 0);
	}
	CU_ASSERT_EQUAL(durable_calls, 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), 0);
	CU_ASSERT_EQUAL(durable_calls, 0);
	/* one .part per table, nothing complete yet */
	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro.part", names, 8), 1);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 0);
	snprintf(dir, sizeof(dir), "%s/shop.public.items",
		 out); /* fallback name */
	CU_ASSERT_EQUAL(list_dir(dir, ".avro.part", names, 8), 1);

	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(durable_total, 30);
	for (uint64_t t = 1; t <= 6; t++)
		CU_ASSERT_EQUAL(durable_txn[t], 5);
	CU_ASSERT_EQUAL(durable_txn[7], 0);
	/* runs: one report per (block, transaction), never per event */
	CU_ASSERT(durable_calls <= 18);
	CU_ASSERT_EQUAL(durable_bad, 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), 0); /* nothing new */
	CU_ASSERT_EQUAL(durable_total, 30);

	rc_file_sink_ops.close(snk);
	check_dir = NULL;
	const char *topics[] = {"shop.public.customers", "shop.public.items",
				"shop.public.orders"};
	for (int t = 0; t < 3; t++) {
		snprintf(dir, sizeof(dir), "%s/%s", out, topics[t]);
		CU_ASSERT_EQUAL(list_dir(dir, ".part", names, 8), 0);
		n = list_dir(dir, ".avro", names, 8);
		CU_ASSERT_EQUAL(n, 1);
		if (n == 1)
			CU_ASSERT_EQUAL(check_name(topics[t], names[0]), 1);
	}

	if (have_python()) {
		int seen[3] = {0};

		CU_ASSERT_EQUAL(read_back(out, 0), 0);
		CU_ASSERT_EQUAL(nrecs, 30);
		for (int i = 0; i < nrecs; i++) {
			const struct rec *r = &recs[i];
			json_t *src = json_object_get(r->j, "source");
			if (strcmp(r->topic, "shop.public.customers") == 0) {
				check_customer(r, 3 * seen[0]++);
				CU_ASSERT_STRING_EQUAL(
					json_string_value(
						json_object_get(src, "table")),
					"customers");
			} else if (strcmp(r->topic, "shop.public.items") == 0) {
				char want[32];
				snprintf(want, sizeof(want), "SKU-%d",
					 3 * seen[1]++ + 2);
				CU_ASSERT_STRING_EQUAL(
					json_string_value(after_col(r, "sku")),
					want);
			} else {
				int id = 3 * seen[2]++ + 1;
				CU_ASSERT_STRING_EQUAL(r->topic,
						       "shop.public.orders");
				CU_ASSERT_EQUAL(
					json_integer_value(after_col(r, "id")),
					id);
				if (id % 2) {
					CU_ASSERT(json_is_null(
						after_col(r, "note")));
				} else {
					CU_ASSERT_PTR_NOT_NULL(
						json_string_value(
							after_col(r, "note")));
				}
			}
		}
		CU_ASSERT(seen[0] == 10 && seen[1] == 10 && seen[2] == 10);

		/* the header has rowcast's schema, logical types included */
		CU_ASSERT_EQUAL(read_back(out, 1), 0);
		CU_ASSERT_EQUAL(nrecs, 3);
		if (nrecs >= 1) {
			char *s = json_dumps(recs[0].j, JSON_COMPACT);
			CU_ASSERT_STRING_EQUAL(recs[0].topic,
					       "shop.public.customers");
			CU_ASSERT_PTR_NOT_NULL(
				strstr(s, "\"logicalType\":\"decimal\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(
				s, "\"logicalType\":\"timestamp-micros\""));
			CU_ASSERT_PTR_NOT_NULL(
				strstr(s, "\"logicalType\":\"date\""));
			CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"precision\":10"));
			free(s);
		}
		recs_free();
	}
	rc_table_unref(tc);
	rc_table_unref(to);
	rc_table_unref(ti);
	rm_rf(tmp);
}

/*
 * Small blocks and rotate_bytes: blocks are reported as they fill (each
 * report backed by a complete block on disk), files rotate past 8 KiB,
 * their seqs run 1, 2, 3... and the records come back in write order.
 */
static void
test_blocks_and_rotation(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256], path[512];
	static char names[64][256];
	struct rc_table *tc = customers(0), *to = orders();
	struct rc_sink *snk;
	const int N = 400;
	int n;

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snk = open_sink(tmp, out,
			"block_bytes = 1024\nrotate_bytes = 8192\n"
			"flush_interval = 1h",
			err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	check_dir = out;
	for (int i = 0; i < N; i++) {
		uint64_t txn = 1 + (uint64_t)i / 7;
		struct rc_event *ev =
			i % 4 ? customer_event(tc, i, txn, 1 + (uint64_t)i % 7)
			      : order_event(to, i, txn, 1 + (uint64_t)i % 7);
		CU_ASSERT_EQUAL_FATAL(sink_write(snk, ev), 0);
	}
	/* full blocks were written and reported along the way, not all */
	CU_ASSERT(durable_total > 0);
	CU_ASSERT(durable_total < (uint64_t)N);
	CU_ASSERT_EQUAL(durable_bad, 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(durable_total, (uint64_t)N);
	for (int t = 1; t <= (N - 1) / 7 + 1; t++)
		CU_ASSERT_EQUAL(durable_txn[t],
				t <= N / 7 ? 7 : (uint64_t)(N % 7));
	CU_ASSERT_EQUAL(durable_bad, 0);
	rc_file_sink_ops.close(snk);
	check_dir = NULL;

	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	n = list_dir(dir, ".avro", names, 64);
	CU_ASSERT(n >= 3);
	for (int i = 0; i < n; i++) {
		struct rc_ocf_scan sc;
		int fd;

		CU_ASSERT_EQUAL(check_name("shop.public.customers", names[i]),
				i + 1);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fd = open(path, O_RDONLY);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(rc_ocf_scan(fd, &sc), 0);
		close(fd);
		CU_ASSERT(sc.header_ok && sc.blocks >= 1);
		CU_ASSERT_EQUAL(sc.good_end, sc.file_size);
		/* closed past 8 KiB, at the first block boundary after it:
		 * less than one block (1 KiB + one event) beyond */
		if (i < n - 1) {
			CU_ASSERT(sc.blocks >= 2);
			CU_ASSERT(sc.file_size >= 8192 &&
				  sc.file_size < 8192 + 2048);
		}
	}
	if (have_python()) {
		int next_c = 1, next_o = 0;

		CU_ASSERT_EQUAL(read_back(out, 0), 0);
		CU_ASSERT_EQUAL(nrecs, N);
		for (int i = 0; i < nrecs; i++) {
			if (strcmp(recs[i].topic, "shop.public.customers") ==
			    0) {
				check_customer(&recs[i], next_c);
				next_c += next_c % 4 == 3 ? 2 : 1;
			} else {
				CU_ASSERT_EQUAL(json_integer_value(after_col(
							&recs[i], "id")),
						next_o);
				next_o += 4;
			}
		}
		CU_ASSERT_EQUAL(next_c, N + 1);
		CU_ASSERT_EQUAL(next_o, N);
		recs_free();
	}
	rc_table_unref(tc);
	rc_table_unref(to);
	rm_rf(tmp);
}

/*
 * A new table shape starts a new file: a container file has one schema.
 * A column added (v2), going back (a new struct for the old shape, v1b,
 * shares its file with v1: same schema text), and a decimal's scale
 * changed (v3), whose canonical form and fingerprint are v1's.
 */
static void
test_schema_change(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256];
	char names[8][256];
	struct rc_table *v1 = customers(0), *v2 = customers(1);
	struct rc_table *v1b = customers(0), *v3 = customers(2);
	const struct rc_schemas *s1, *s3;
	struct rc_sink *snk;
	int n, id = 0;

	reports_reset();
	s1 = rc_encoder_schemas(enc, v1, err, sizeof(err));
	s3 = rc_encoder_schemas(enc, v3, err, sizeof(err));
	CU_ASSERT_FATAL(s1 && s3);
	if (s1->value_fp != s3->value_fp)
		fprintf(stderr, "note: the encoder's fingerprint covers the "
				"decimal scale\n");
	snprintf(out, sizeof(out), "%s/out", tmp);
	snk = open_sink(tmp, out, "", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(sink_write(snk, customer_event(v1, id++, 1, 1)),
				0);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(sink_write(snk, customer_event(v2, id++, 2, 1)),
				0);
	/* the change wrote and reported the old file's block */
	CU_ASSERT_EQUAL(durable_txn[1], 3);
	CU_ASSERT_EQUAL(durable_txn[2], 0);
	CU_ASSERT_EQUAL(sink_write(snk, customer_event(v1b, id++, 3, 1)), 0);
	CU_ASSERT_EQUAL(durable_txn[2], 4);
	CU_ASSERT_EQUAL(sink_write(snk, customer_event(v1, id++, 3, 2)), 0);
	CU_ASSERT_EQUAL(durable_txn[3], 0); /* same file, same block */
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(sink_write(snk, customer_event(v3, id++, 4, 1)),
				0);
	CU_ASSERT_EQUAL(durable_txn[3], 2);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(durable_txn[4], 2);
	CU_ASSERT_EQUAL(durable_total, 11);
	rc_file_sink_ops.close(snk);

	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	n = list_dir(dir, ".avro", names, 8);
	CU_ASSERT_EQUAL(n, 4);
	if (have_python() && n == 4) {
		CU_ASSERT_EQUAL(read_back(out, 0), 0);
		CU_ASSERT_EQUAL(nrecs, 11);
		for (int i = 0; i < nrecs; i++) {
			int file = i < 3 ? 0 : i < 7 ? 1 : i < 9 ? 2 : 3;
			json_t *vip = after_col(&recs[i], "vip");

			CU_ASSERT_STRING_EQUAL(recs[i].file, names[file]);
			if (file < 3)
				check_customer(&recs[i], i);
			CU_ASSERT(file == 1 ? json_is_true(vip) : vip == NULL);
		}
		if (nrecs == 11) {
			/* scale 3: unscaled 9 * 101 - 500 = 409 */
			CU_ASSERT_STRING_EQUAL(json_string_value(after_col(
						       &recs[9], "amount")),
					       "0.409");
			CU_ASSERT_STRING_EQUAL(json_string_value(after_col(
						       &recs[10], "amount")),
					       "0.510");
		}
		CU_ASSERT_EQUAL(read_back(out, 1), 0);
		CU_ASSERT_EQUAL(nrecs, 4);
		if (nrecs == 4) {
			char *s = json_dumps(recs[1].j, JSON_COMPACT);
			CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"vip\""));
			free(s);
			s = json_dumps(recs[3].j, JSON_COMPACT);
			CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"scale\":3"));
			free(s);
		}
		recs_free();
	}
	rc_table_unref(v1);
	rc_table_unref(v1b);
	rc_table_unref(v2);
	rc_table_unref(v3);
	rm_rf(tmp);
}

/* flush_interval and rotate_interval act through poll(). */
static void
test_time_based(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256];
	char names[8][256];
	struct rc_table *tc = customers(0);
	struct rc_sink *snk;
	struct timespec ms20 = {0, 20000000L}, s11 = {1, 100000000L};

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snk = open_sink(tmp, out, "flush_interval = 10ms\nrotate_interval = 1s",
			err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	CU_ASSERT_EQUAL(sink_write(snk, customer_event(tc, 1, 1, 1)), 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), 0);
	CU_ASSERT_EQUAL(durable_total, 0); /* not 10 ms old yet */
	nanosleep(&ms20, NULL);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), 0);
	CU_ASSERT_EQUAL(durable_txn[1], 1);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro.part", names, 8), 1);

	nanosleep(&s11, NULL);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), 0); /* rotates */
	CU_ASSERT_EQUAL(list_dir(dir, ".avro.part", names, 8), 0);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 1);
	CU_ASSERT_EQUAL(sink_write(snk, customer_event(tc, 2, 2, 1)), 0);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro.part", names, 8), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(names[0], "-000002.avro.part"));
	rc_file_sink_ops.close(snk);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 2);
	CU_ASSERT_EQUAL(check_name("shop.public.customers", names[1]), 2);
	rc_table_unref(tc);
	rm_rf(tmp);
}

/* Encode events and frame them as one block: prefix, objects, sync. */
static void
append_block(struct rc_buf *file, struct rc_table *tbl, int from, int count,
	     const uint8_t *sync)
{
	struct rc_buf objs;
	uint8_t prefix[RC_OCF_PREFIX_MAX];
	char err[RC_ERRLEN];
	size_t pl;

	rc_buf_init(&objs, 1 << 20);
	for (int i = from; i < from + count; i++) {
		struct rc_event *ev = customer_event(tbl, i, 1, 1);
		CU_ASSERT_EQUAL(
			rc_encode_value(enc, ev, &objs, err, sizeof(err)), 0);
		rc_event_free(ev);
	}
	pl = rc_ocf_block_prefix(prefix, count, (int64_t)objs.len);
	rc_buf_append(file, prefix, pl);
	rc_buf_append(file, objs.data, objs.len);
	rc_buf_append(file, sync, RC_OCF_SYNC_LEN);
	rc_buf_free(&objs);
}

static void
put_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(p, 1, n, f), n);
	fclose(f);
}

/*
 * Crash recovery at open: a .part with 2 complete blocks and half a third
 * is cut after the second and renamed .avro; garbage becomes .corrupt; an
 * empty file and a header-only file go away; new files continue the seq.
 */
static void
test_recovery(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256], path[512];
	char names[8][256];
	const char *topic = "shop.public.customers";
	struct rc_table *tc = customers(0);
	const struct rc_schemas *sch;
	struct rc_buf file;
	struct rc_sink *snk;
	uint8_t sync[RC_OCF_SYNC_LEN];
	size_t two_blocks, hdr_len;
	static const char garbage[] = "this is not an Avro container file\n";

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(dir, sizeof(dir), "%s/%s", out, topic);
	mkdir(out, 0755);
	mkdir(dir, 0755);
	sch = rc_encoder_schemas(enc, tc, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sch);
	for (int i = 0; i < RC_OCF_SYNC_LEN; i++)
		sync[i] = (uint8_t)(0xa0 + i);

	/* 2 blocks (3 + 2 records) + half of a third (4 records) */
	rc_buf_init(&file, 1 << 22);
	CU_ASSERT_EQUAL(rc_ocf_write_header(&file, sch->value_json,
					    sch->value_fp, sync),
			0);
	hdr_len = file.len;
	append_block(&file, tc, 0, 3, sync);
	append_block(&file, tc, 3, 2, sync);
	two_blocks = file.len;
	append_block(&file, tc, 5, 4, sync);
	snprintf(path, sizeof(path), "%s/%s-20240101T000000Z-000007.avro.part",
		 dir, topic);
	put_file(path, file.data, two_blocks + (file.len - two_blocks) / 2);
	/* header only, plus a few bytes of a block */
	snprintf(path, sizeof(path), "%s/%s-20240101T000000Z-000005.avro.part",
		 dir, topic);
	put_file(path, file.data, hdr_len + 7);
	/* empty (a crash right after creating it) */
	snprintf(path, sizeof(path), "%s/%s-20240101T000000Z-000006.avro.part",
		 dir, topic);
	put_file(path, "", 0);
	/* garbage, in another topic's directory */
	snprintf(path, sizeof(path), "%s/other", out);
	mkdir(path, 0755);
	snprintf(path, sizeof(path),
		 "%s/other/other-20240101T000000Z-000001.avro.part", out);
	put_file(path, garbage, sizeof(garbage) - 1);
	/* a header cut short in the metadata */
	snprintf(path, sizeof(path),
		 "%s/other/other-20240101T000000Z-000002.avro.part", out);
	put_file(path, file.data, 40);

	snk = open_sink(tmp, out, "", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(list_dir(dir, ".part", names, 8), 0);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 1);
	CU_ASSERT_STRING_EQUAL(
		names[0], "shop.public.customers-20240101T000000Z-000007.avro");
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	CU_ASSERT_EQUAL(file_size(path), (off_t)two_blocks);

	snprintf(path, sizeof(path), "%s/other", out);
	CU_ASSERT_EQUAL(list_dir(path, ".part", names, 8), 0);
	CU_ASSERT_EQUAL(list_dir(path, ".corrupt", names, 8), 2);
	CU_ASSERT_STRING_EQUAL(names[0],
			       "other-20240101T000000Z-000001.avro.corrupt");
	CU_ASSERT_STRING_EQUAL(names[1],
			       "other-20240101T000000Z-000002.avro.corrupt");
	snprintf(path, sizeof(path), "%s/other/%s", out, names[0]);
	CU_ASSERT_EQUAL(file_size(path),
			(off_t)(sizeof(garbage) - 1)); /* untouched */

	/* the next file of the topic continues after seq 7 */
	CU_ASSERT_EQUAL(sink_write(snk, customer_event(tc, 100, 1, 1)), 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(durable_txn[1], 1);
	rc_file_sink_ops.close(snk);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 2);
	CU_ASSERT_EQUAL(check_name(topic, names[1]), 8);

	if (have_python()) {
		CU_ASSERT_EQUAL(read_back(out, 0), 0);
		CU_ASSERT_EQUAL(nrecs, 6);
		for (int i = 0; i < nrecs && i < 5; i++) {
			CU_ASSERT_STRING_EQUAL(recs[i].file,
					       "shop.public.customers-"
					       "20240101T000000Z-000007.avro");
			check_customer(&recs[i], i);
		}
		if (nrecs == 6)
			check_customer(&recs[5], 100);
		recs_free();
	}
	rc_buf_free(&file);
	rc_table_unref(tc);
	rm_rf(tmp);
}

/*
 * The path lock. Sinks of one process share it (rowcast opens one instance
 * of a [sink] per source): the second one must not "recover" the first
 * one's open .part files. Another process holding it is refused.
 */
static void
test_lock(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], part[512],
	     lock[256];
	struct rc_sink *a, *b;
	struct stat st;
	int fds[2];
	pid_t child;
	char c;
	FILE *f;

	snprintf(out, sizeof(out), "%s/out", tmp);
	a = open_sink(tmp, out, "", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* a live file of sink a (here: a stand-in) */
	snprintf(part, sizeof(part), "%s/t", out);
	mkdir(part, 0755);
	snprintf(part, sizeof(part), "%s/t/t-20260101T000000Z-000001.avro.part",
		 out);
	f = fopen(part, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs("live data of sink a", f);
	fclose(f);
	b = open_sink(tmp, out, "", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(b);
	CU_ASSERT_EQUAL(stat(part, &st), 0); /* untouched: no recovery */
	if (b)
		rc_file_sink_ops.close(b);
	rc_file_sink_ops.close(a);
	unlink(part);

	/* another process holds the lock */
	snprintf(lock, sizeof(lock), "%s/.rowcast.lock", out);
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		int fd = open(lock, O_RDWR | O_CREAT, 0644);

		close(fds[0]);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(fds[1], "x", 1) != 1) /* the lock is held */
			_exit(1);
		sleep(30); /* until the parent kills it */
		_exit(0);
	}
	close(fds[1]);
	fds[1] = -1;
	CU_ASSERT_EQUAL(read(fds[0], &c, 1), 1);
	b = open_sink(tmp, out, "", err, sizeof(err));
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(err, "in use by another rowcast process"));
	if (b)
		rc_file_sink_ops.close(b);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fds[0]);
	b = open_sink(tmp, out, "", err, sizeof(err)); /* free again */
	CU_ASSERT_PTR_NOT_NULL(b);
	if (b)
		rc_file_sink_ops.close(b);
	rm_rf(tmp);
}

/*
 * A write error (here EFBIG from RLIMIT_FSIZE, standing in for ENOSPC):
 * flush and poll fail with the path and the reason, nothing is reported,
 * later writes fail, and the .part left behind is cleaned at the next open.
 */
static void
test_write_error(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256], path[512];
	char names[8][256];
	struct rc_table *tc = customers(0);
	struct rc_sink *snk;
	struct rlimit old, lim;
	off_t hdr;

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	snk = open_sink(tmp, out, "flush_interval = 1h", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(sink_write(snk, customer_event(tc, 1, 1, 1)), 0);
	CU_ASSERT_EQUAL_FATAL(list_dir(dir, ".avro.part", names, 8), 1);
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	hdr = file_size(path);

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)hdr + 10;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, "file: write "));
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, strerror(EFBIG)));
	CU_ASSERT_EQUAL(durable_total, 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), -1);
	{
		struct rc_event *ev = customer_event(tc, 2, 2, 1);
		CU_ASSERT_EQUAL(rc_file_sink_ops.write(snk, ev, enc), -1);
		rc_event_free(ev);
	}
	CU_ASSERT_EQUAL(durable_total, 0);
	rc_file_sink_ops.close(snk);
	/* left as .part (header + 10 bytes of a block): removed at open */
	CU_ASSERT_EQUAL(list_dir(dir, ".avro.part", names, 8), 1);
	snk = open_sink(tmp, out, "", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	CU_ASSERT_EQUAL(list_dir(dir, ".part", names, 8), 0);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 0);
	rc_file_sink_ops.close(snk);
	signal(SIGXFSZ, SIG_DFL);
	rc_table_unref(tc);
	rm_rf(tmp);
}

/* The size of the one .avro.part in dir, -1 when there is none. */
static off_t
part_size(const char *dir)
{
	char names[8][256], path[1024];

	if (list_dir(dir, ".avro.part", names, 8) != 1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	return file_size(path);
}

/* Write customers events *id.. (transactions of 10000) until the file in
 * dir is past 8 MiB, the size at which its sync goes to the syncer. */
static void
write_past_8m(struct rc_sink *snk, struct rc_table *tc, const char *dir,
	      int64_t *id)
{
	off_t start = part_size(dir) > 0 ? part_size(dir) : 0;

	do {
		for (int i = 0; i < 1000; i++, (*id)++)
			CU_ASSERT_EQUAL_FATAL(
				sink_write(snk,
					   customer_event(
						   tc, *id,
						   1 + (uint64_t)*id / 10000,
						   1 + (uint64_t)*id % 10000)),
				0);
	} while (part_size(dir) - start < 8 * 1024 * 1024 + 4096);
}

static void *
open_gate_later(void *arg)
{
	struct timespec ms50 = {0, 50000000L};

	(void)arg;
	nanosleep(&ms50, NULL);
	gate_set(0, 0);
	return NULL;
}

/*
 * Past 8 MiB the sync goes to the syncer and writing goes on while it
 * runs; its events are reported only after it returned, by poll() on this
 * thread, and flush() reports the rest. close() waits for a sync in flight
 * before it closes the file.
 */
static void
test_background_sync(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256];
	char names[8][256];
	struct rc_table *tc = customers(0);
	struct rc_sink *snk;
	struct timespec ms1 = {0, 1000000L};
	pthread_t opener;
	int64_t id = 0;
	int passed;

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	snk = open_sink(tmp, out, "flush_interval = 1h\nrotate_bytes = 1G", err,
			sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	check_dir = out;
	gate_set(1, 0);
	passed = gate_count();
	write_past_8m(snk, tc, dir, &id);
	CU_ASSERT_FATAL(gate_wait_held(1));
	/* the sync is held: more blocks are written, nothing is reported */
	for (int i = 0; i < 5000; i++, id++)
		CU_ASSERT_EQUAL(
			sink_write(snk,
				   customer_event(tc, id,
						  1 + (uint64_t)id / 10000,
						  1 + (uint64_t)id % 10000)),
			0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), 0);
	CU_ASSERT_EQUAL(durable_total, 0);

	/* it returns: the next poll reports its events, and only those */
	gate_set(0, 0);
	for (int i = 0; i < 10000 && durable_total == 0; i++) {
		CU_ASSERT_EQUAL_FATAL(rc_file_sink_ops.poll(snk), 0);
		if (durable_total == 0)
			nanosleep(&ms1, NULL);
	}
	CU_ASSERT_EQUAL(gate_count(), passed + 1);
	CU_ASSERT(durable_total > 0);
	CU_ASSERT(durable_total < (uint64_t)id - 5000);
	CU_ASSERT_EQUAL(durable_bad, 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), 0);
	CU_ASSERT_EQUAL(durable_total, (uint64_t)id);
	for (int64_t t = 1; t <= (id - 1) / 10000 + 1; t++)
		CU_ASSERT_EQUAL(durable_txn[t],
				t <= id / 10000 ? 10000
						: (uint64_t)(id % 10000));
	CU_ASSERT_EQUAL(durable_bad, 0);

	/* close() with a sync held: it waits, then renames the file */
	gate_set(1, 0);
	passed = gate_count();
	write_past_8m(snk, tc, dir, &id);
	CU_ASSERT_FATAL(gate_wait_held(1));
	CU_ASSERT_EQUAL_FATAL(
		pthread_create(&opener, NULL, open_gate_later, NULL), 0);
	rc_file_sink_ops.close(snk);
	pthread_join(opener, NULL);
	CU_ASSERT_EQUAL(gate_count(), passed + 1);
	CU_ASSERT_EQUAL(list_dir(dir, ".part", names, 8), 0);
	CU_ASSERT_EQUAL(list_dir(dir, ".avro", names, 8), 1);
	CU_ASSERT_EQUAL(disk_records(out), (uint64_t)id);
	check_dir = NULL;
	rc_table_unref(tc);
	rm_rf(tmp);
}

/*
 * A failed sync of the syncer: poll() fails with the path and the reason,
 * nothing of it or after it is reported, and every later call fails.
 */
static void
test_background_sync_error(void)
{
	char *tmp = mktemp_dir(), out[128], err[RC_ERRLEN], dir[256];
	struct rc_table *tc = customers(0);
	struct rc_sink *snk;
	struct timespec ms1 = {0, 1000000L};
	int64_t id = 0;
	int rc = 0;

	reports_reset();
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(dir, sizeof(dir), "%s/shop.public.customers", out);
	snk = open_sink(tmp, out, "flush_interval = 1h\nrotate_bytes = 1G", err,
			sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	gate_set(0, 1);
	write_past_8m(snk, tc, dir, &id);
	for (int i = 0; i < 10000 && rc == 0; i++) {
		rc = rc_file_sink_ops.poll(snk);
		if (rc == 0)
			nanosleep(&ms1, NULL);
	}
	gate_set(0, 0);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, "file: fdatasync "));
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, dir));
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, strerror(EIO)));
	CU_ASSERT_EQUAL(durable_total, 0);
	CU_ASSERT_EQUAL(rc_file_sink_ops.flush(snk), -1);
	CU_ASSERT_EQUAL(rc_file_sink_ops.poll(snk), -1);
	{
		struct rc_event *ev = customer_event(tc, id, 1, 1);
		CU_ASSERT_EQUAL(rc_file_sink_ops.write(snk, ev, enc), -1);
		rc_event_free(ev);
	}
	CU_ASSERT_EQUAL(durable_total, 0);
	rc_file_sink_ops.close(snk);
	rc_table_unref(tc);
	rm_rf(tmp);
}

static void
test_suite_end(void)
{
	recs_free();
	while (ncfgs > 0)
		rc_config_free(cfgs[--ncfgs]);
	rc_encoder_free(enc);
	enc = NULL;
}

static void
test_suite_begin(void)
{
	main_thread = pthread_self();
	enc = rc_encoder_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(enc);
}

static const struct cu_test tests[] = {
	{"setup", test_suite_begin},
	{"durable only after flush, values read back",
	 test_durable_after_flush},
	{"small blocks, rotation by size", test_blocks_and_rotation},
	{"schema change starts a new file", test_schema_change},
	{"flush and rotation by time", test_time_based},
	{"crash recovery", test_recovery},
	{"one sink per path", test_lock},
	{"write error", test_write_error},
	{"sync in the background, reported after it", test_background_sync},
	{"failed sync in the background", test_background_sync_error},
	{"teardown", test_suite_end},
	{NULL, NULL},
};

CU_MAIN("file_sink", tests)
