/*
 * test_stdout_sink.c -- the stdout sink: one JSON object per line, written
 * in batches, each event reported durable only once its line was written,
 * and a closed stdout is an error, not a crash.
 *
 * Standard output is redirected to a temporary file (or a pipe) for the
 * test; rc_sink_durable() is this file's own and records the reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cu_main.h"
#include "encoder.h"
#include "event.h"
#include "sink.h"

extern const struct rc_sink_ops rc_stdout_sink_ops;

static uint64_t reported[64];
static uint64_t reported_total;

void
rc_sink_durable(struct rc_sink *snk, uint64_t txn_seq, uint32_t n)
{
	(void)snk;
	if (txn_seq < 64)
		reported[txn_seq] += n;
	reported_total += n;
}

static struct rc_config *
config(void)
{
	char err[512];
	struct rc_config *cfg = rc_config_load_string(
		"[rowcast]\n[source s]\ntype = postgresql\nconninfo = x\n"
		"tables = public.t\n[sink o]\ntype = stdout\n",
		"test.conf", err, sizeof(err));
	if (!cfg)
		fprintf(stderr, "config: %s\n", err);
	return cfg;
}

static struct rc_table *
table(void)
{
	struct rc_table *tbl = rc_table_new("s", "db", "public", "t", 2);

	rc_table_set_column(tbl, 0, "id", RC_T_INT64, "bigint");
	rc_table_set_column(tbl, 1, "name", RC_T_STRING, "text");
	tbl->cols[0].flags = RC_COL_KEY;
	rc_table_finish(tbl);
	tbl->topic = strdup("s.public.t");
	return tbl;
}

static struct rc_event *
event(struct rc_table *tbl, int64_t id, const char *name, uint64_t seq)
{
	struct rc_event *ev = rc_event_new('c', tbl);
	int64_t row;

	rc_event_alloc_row(ev, &row);
	ev->after = row;
	rc_event_row(ev, row)[0].kind = RC_V_SET;
	rc_event_row(ev, row)[0].u.i = id;
	rc_event_set_bytes(ev, row, 1, RC_V_SET, name, strlen(name));
	ev->src.connector = "postgresql";
	ev->txn_seq = seq;
	ev->txn_order = 1;
	ev->table_order = 1;
	snprintf(ev->txn_id, sizeof(ev->txn_id), "%llu:1",
		 (unsigned long long)seq);
	return ev;
}

/* Point fd 1 at a new temporary file; returns the saved fd 1. */
static int
redirect_stdout(char *path, size_t len)
{
	int saved, fd;

	fflush(stdout); /* CUnit's own output stays on the terminal */
	saved = dup(1);
	snprintf(path, len, "/tmp/rowcast-test-stdout-XXXXXX");
	fd = mkstemp(path);
	dup2(fd, 1);
	close(fd);
	return saved;
}

static void
restore_stdout(int saved)
{
	dup2(saved, 1);
	close(saved);
}

static void
test_lines_and_reports(void)
{
	struct rc_config *cfg = config();
	struct rc_table *tbl = table();
	struct rc_encoder *enc = rc_encoder_new();
	struct rc_sink *snk;
	char path[64], err[512], line[4096];
	int saved, n = 0;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	memset(reported, 0, sizeof(reported));
	reported_total = 0;
	saved = redirect_stdout(path, sizeof(path));
	snk = rc_stdout_sink_ops.open(cfg,
				      rc_config_section(cfg, RC_SCOPE_SINK, 0),
				      err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	snk->ops = &rc_stdout_sink_ops;
	for (int i = 1; i <= 100; i++) {
		struct rc_event *ev = event(tbl, i, i % 2 ? "odd \"q\"" : "é",
					    (uint64_t)(1 + i / 10));
		CU_ASSERT_EQUAL(snk->ops->write(snk, ev, enc), 0);
		rc_event_free(ev);
	}
	/* batched: nothing is reported before the lines are written */
	CU_ASSERT_EQUAL(reported_total, 0);
	CU_ASSERT_EQUAL(snk->ops->flush(snk), 0);
	CU_ASSERT_EQUAL(reported_total, 100);
	CU_ASSERT_EQUAL(reported[1], 9);  /* i = 1..9 */
	CU_ASSERT_EQUAL(reported[11], 1); /* i = 100 */
	snk->ops->close(snk);
	fflush(stdout);
	restore_stdout(saved);

	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		json_error_t jerr;
		json_t *o = json_loads(line, 0, &jerr);

		n++;
		CU_ASSERT_PTR_NOT_NULL(o);
		if (!o)
			continue;
		CU_ASSERT_STRING_EQUAL(
			json_string_value(json_object_get(o, "op")), "c");
		CU_ASSERT_EQUAL(json_integer_value(json_object_get(
					json_object_get(o, "after"), "id")),
				n);
		CU_ASSERT_STRING_EQUAL(
			json_string_value(json_object_get(
				json_object_get(o, "after"), "name")),
			n % 2 ? "odd \"q\"" : "é");
		json_decref(o);
	}
	fclose(f);
	unlink(path);
	CU_ASSERT_EQUAL(n, 100);
	rc_encoder_free(enc);
	rc_table_unref(tbl);
	rc_config_free(cfg);
}

/* A reader that went away: write or flush fails with a message, and the
 * events are not reported durable. */
static void
test_closed_stdout(void)
{
	struct rc_config *cfg = config();
	struct rc_table *tbl = table();
	struct rc_encoder *enc = rc_encoder_new();
	struct rc_sink *snk;
	char err[512];
	int saved, fds[2], r = 0;

	fflush(stdout);
	saved = dup(1);
	signal(SIGPIPE, SIG_IGN);
	reported_total = 0;
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	dup2(fds[1], 1);
	close(fds[1]);
	close(fds[0]); /* nobody reads */
	snk = rc_stdout_sink_ops.open(cfg,
				      rc_config_section(cfg, RC_SCOPE_SINK, 0),
				      err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(snk);
	snk->ops = &rc_stdout_sink_ops;
	{
		struct rc_event *ev = event(tbl, 1, "x", 1);
		r = snk->ops->write(snk, ev, enc);
		rc_event_free(ev);
	}
	if (r == 0)
		r = snk->ops->flush(snk);
	restore_stdout(saved);
	CU_ASSERT_EQUAL(r, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(snk->lasterr, "stdout"));
	CU_ASSERT_EQUAL(reported_total, 0);
	snk->ops->close(snk);
	rc_encoder_free(enc);
	rc_table_unref(tbl);
	rc_config_free(cfg);
}

static const struct cu_test tests[] = {
	{"one JSON line per event, reported after writing",
	 test_lines_and_reports},
	{"closed stdout is an error", test_closed_stdout},
	{NULL, NULL},
};

CU_MAIN("stdout sink", tests)
