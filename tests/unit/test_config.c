/*
 * test_config.c -- the configuration file (src/config.c): loading a full
 * file, defaults, value forms, every kind of error with its file, line and
 * expected text, secrets, --help, and the man page rowcast.conf(5).
 *
 * The configurations use the postgresql source and the file and stdout
 * sinks; tests skip (with a note) in a build without them, and
 * plugins_compiled_in fails when a build has no source or no sink at all.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* mkdtemp, setenv, open_memstream */
#endif

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_main.h"
#include "limits.h"
#include "manpage.h"
#include "plugins.h"

#define NAME "rowcast.conf"

/* ---------------------------------------------------------------------
 * Helpers
 * --------------------------------------------------------------------- */

/* Are the plugins these configurations use compiled in? Says so once when
 * not, and the test returns without asserting anything. */
static int
have_plugins(void)
{
	static int said;

	if (rc_source_plugin("postgresql") && rc_sink_plugin("file") &&
	    rc_sink_plugin("stdout"))
		return 1;
	if (!said++)
		fprintf(stderr,
			"\nnote: the postgresql source or the file/stdout "
			"sink is not compiled in: tests skipped\n");
	return 0;
}

static struct rc_config *
load(const char *text, char *err, size_t errlen)
{
	return rc_config_load_string(text, NAME, err, errlen);
}

/* Loading text fails with a message holding every one of the NULL-ended
 * fragments (the first is usually "rowcast.conf:LINE: "). */
static void
expect_error(const char *text, ...)
{
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;
	const char *frag;
	va_list ap;

	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NULL(cfg);
	rc_config_free(cfg);
	va_start(ap, text);
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (!strstr(err, frag)) {
			fprintf(stderr, "\n  message: %s\n  lacks:   %s\n", err,
				frag);
			CU_FAIL("error message lacks an expected fragment");
		}
	}
	va_end(ap);
}

/* A directory for the files of one test. */
struct tmp {
	char dir[64];
	char files[8][128];
	int nfiles;
};

static void
tmp_init(struct tmp *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/rc_test_config.XXXXXX");
	if (!mkdtemp(t->dir))
		CU_FAIL_FATAL("mkdtemp");
}

/* Write data into dir/name; returns the path (owned by t). */
static const char *
tmp_write(struct tmp *t, const char *name, const char *data)
{
	char *path = t->files[t->nfiles++];
	char buf[sizeof(t->files[0])];
	FILE *fp;

	snprintf(buf, sizeof(buf), "%s/%s", t->dir, name);
	memcpy(path, buf, sizeof(buf));
	fp = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	fputs(data, fp);
	fclose(fp);
	return path;
}

static void
tmp_cleanup(struct tmp *t)
{
	for (int i = 0; i < t->nfiles; i++)
		unlink(t->files[i]);
	rmdir(t->dir);
}

/* The help text of a postgresql key, as the plugin declares it. */
static const char *
pg_help(const char *key)
{
	const struct rc_source_ops *ops = rc_source_plugin("postgresql");

	for (const struct rc_conf_key *k = ops->conf_keys; k->name; k++)
		if (strcmp(k->name, key) == 0)
			return k->help;
	return "(no such key)";
}

/* ---------------------------------------------------------------------
 * Loading and getters
 * --------------------------------------------------------------------- */

static void
test_plugins_compiled_in(void)
{
	/* a rowcast without a source or a sink can load no configuration;
	 * this fails when plugins.c did not see the ENABLE_* macros */
	CU_ASSERT_PTR_NOT_NULL(rc_source_plugins[0]);
	CU_ASSERT_PTR_NOT_NULL(rc_sink_plugins[0]);
}

static void
test_full_file(void)
{
	static const char text[] =
		"; rowcast test configuration\n"		       /* 1 */
		"[rowcast]\n"					       /* 2 */
		"state_dir = /tmp/state\n"			       /* 3 */
		"log_level = DEBUG\n"				       /* 4 */
		"queue_max_bytes = 32MiB\n"			       /* 5 */
		"checkpoint_interval = 250\n"			       /* 6 */
		"shutdown_timeout = 1m\n"			       /* 7 */
		"\n"						       /* 8 */
		"[source shop]\n"				       /* 9 */
		"type = postgresql\n"				       /* 10 */
		"conninfo = host=127.0.0.1 dbname=shop user=rowcast\n" /* 11 */
		"password_file = pw\n"				       /* 12 */
		"tables = public.customers ,public.orders\n"	       /* 13 */
		"sinks = local\n"				       /* 14 */
		"status_interval = 2s\n"			       /* 15 */
		"\n"						       /* 16 */
		"[source crm]\n"				       /* 17 */
		"  tables = crm.contacts\n"			       /* 18 */
		"  type = postgresql\n"				       /* 19 */
		"  conninfo = dbname=crm\n"			       /* 20 */
		"  topic_prefix = legacy\n"			       /* 21 */
		"\n"						       /* 22 */
		"[sink local]\n"				       /* 23 */
		"type = file ; Avro container files\n"		       /* 24 */
		"path = /tmp/out\n"				       /* 25 */
		"rotate_bytes = 1G\n"				       /* 26 */
		"flush_interval = 1h\n"				       /* 27 */
		"\n"						       /* 28 */
		"[sink screen]\n"				       /* 29 */
		"type = stdout\n"				       /* 30 */
		"\n"						       /* 31 */
		"[table public.customers]\n"			       /* 32 */
		"key = id, region\n"				       /* 33 */
		"exclude = ssn\n"				       /* 34 */
		"topic = customers\n";				       /* 35 */
	const struct rc_conf_section *g, *shop, *crm, *local, *screen, *tbl;
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;
	struct tmp t;
	char **items;
	int n;

	if (!have_plugins())
		return;
	tmp_init(&t);
	tmp_write(&t, "pw", "s3cret pass\n"); /* relative to the file's dir */
	cfg = rc_config_load(tmp_write(&t, NAME, text), err, sizeof(err));
	tmp_cleanup(&t); /* read at load: before any fatal assertion */
	if (!cfg)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);

	g = rc_config_section(cfg, RC_SCOPE_GLOBAL, 0);
	CU_ASSERT_PTR_EQUAL(g, &cfg->global);
	CU_ASSERT_PTR_NULL(rc_config_section(cfg, RC_SCOPE_GLOBAL, 1));
	CU_ASSERT_EQUAL(g->line, 2);
	CU_ASSERT_STRING_EQUAL(rc_conf_str(g, "state_dir"), "/tmp/state");
	CU_ASSERT_STRING_EQUAL(rc_conf_str(g, "log_level"), "debug");
	CU_ASSERT_EQUAL(rc_conf_size(g, "queue_max_bytes"), 32u << 20);
	CU_ASSERT_EQUAL(rc_conf_ms(g, "checkpoint_interval"), 250);
	CU_ASSERT_EQUAL(rc_conf_ms(g, "shutdown_timeout"), 60000);
	CU_ASSERT_EQUAL(rc_conf_line(g, "queue_max_bytes"), 5);
	CU_ASSERT_TRUE(rc_conf_is_set(g, "shutdown_timeout"));

	CU_ASSERT_EQUAL(cfg->nsections, 5);
	shop = rc_config_section(cfg, RC_SCOPE_SOURCE, 0);
	crm = rc_config_section(cfg, RC_SCOPE_SOURCE, 1);
	CU_ASSERT_PTR_NULL(rc_config_section(cfg, RC_SCOPE_SOURCE, 2));
	CU_ASSERT_PTR_NOT_NULL_FATAL(shop);
	CU_ASSERT_PTR_NOT_NULL_FATAL(crm);
	CU_ASSERT_STRING_EQUAL(shop->name, "shop");
	CU_ASSERT_STRING_EQUAL(shop->type, "postgresql");
	CU_ASSERT_EQUAL(shop->line, 9);
	CU_ASSERT_PTR_EQUAL(shop->plugin_keys,
			    rc_source_plugin("postgresql")->conf_keys);
	CU_ASSERT_STRING_EQUAL(rc_conf_str(shop, "conninfo"),
			       "host=127.0.0.1 dbname=shop user=rowcast");
	CU_ASSERT_STRING_EQUAL(rc_conf_str(shop, "password"), "s3cret pass");
	CU_ASSERT_TRUE(rc_conf_is_set(shop, "password"));
	CU_ASSERT_EQUAL(rc_conf_line(shop, "password"), 12);
	n = rc_conf_list(shop, "tables", &items);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(items[0], "public.customers");
	CU_ASSERT_STRING_EQUAL(items[1], "public.orders");
	CU_ASSERT_PTR_NULL(items[2]);
	rc_conf_list_free(items);
	n = rc_conf_list(shop, "sinks", &items);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(items[0], "local");
	rc_conf_list_free(items);
	CU_ASSERT_EQUAL(rc_conf_ms(shop, "status_interval"), 2000);
	CU_ASSERT_EQUAL(rc_conf_ms(shop, "reconnect_max_backoff"), 30000);
	CU_ASSERT_PTR_NULL(rc_conf_str(shop, "topic_prefix"));
	CU_ASSERT_FALSE(rc_conf_is_set(shop, "topic_prefix"));
	CU_ASSERT_EQUAL(rc_conf_line(shop, "topic_prefix"), 9);

	CU_ASSERT_STRING_EQUAL(crm->name, "crm");
	CU_ASSERT_STRING_EQUAL(rc_conf_str(crm, "topic_prefix"), "legacy");
	CU_ASSERT_EQUAL(rc_conf_line(crm, "conninfo"), 20);
	CU_ASSERT_PTR_NULL(rc_conf_str(crm, "password"));
	n = rc_conf_list(crm, "sinks", &items); /* unset: every sink */
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NOT_NULL(items);
	CU_ASSERT_PTR_NULL(items ? items[0] : NULL);
	rc_conf_list_free(items);

	local = rc_config_section(cfg, RC_SCOPE_SINK, 0);
	screen = rc_config_section(cfg, RC_SCOPE_SINK, 1);
	CU_ASSERT_PTR_NULL(rc_config_section(cfg, RC_SCOPE_SINK, 2));
	CU_ASSERT_PTR_NOT_NULL_FATAL(local);
	CU_ASSERT_PTR_NOT_NULL_FATAL(screen);
	CU_ASSERT_STRING_EQUAL(local->type, "file");
	CU_ASSERT_STRING_EQUAL(rc_conf_str(local, "path"), "/tmp/out");
	CU_ASSERT_EQUAL(rc_conf_size(local, "rotate_bytes"), 1u << 30);
	CU_ASSERT_EQUAL(rc_conf_size(local, "block_bytes"), 1u << 20);
	CU_ASSERT_EQUAL(rc_conf_ms(local, "flush_interval"), 3600000);
	CU_ASSERT_EQUAL(rc_conf_ms(local, "rotate_interval"), 3600000);
	CU_ASSERT_STRING_EQUAL(screen->type, "stdout");
	CU_ASSERT_EQUAL(screen->line, 29);

	tbl = rc_config_table(cfg, "public.customers");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tbl);
	CU_ASSERT_PTR_EQUAL(tbl, rc_config_section(cfg, RC_SCOPE_TABLE, 0));
	CU_ASSERT_PTR_NULL(rc_config_table(cfg, "public.orders"));
	n = rc_conf_list(tbl, "key", &items);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(items[0], "id");
	CU_ASSERT_STRING_EQUAL(items[1], "region");
	rc_conf_list_free(items);
	n = rc_conf_list(tbl, "exclude", &items);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(items[0], "ssn");
	rc_conf_list_free(items);
	CU_ASSERT_STRING_EQUAL(rc_conf_str(tbl, "topic"), "customers");
	CU_ASSERT_PTR_NULL(rc_conf_str(tbl, "source"));

	rc_config_free(cfg);
}

static void
test_defaults(void)
{
	static const char text[] = "[source s]\n"
				   "type = postgresql\n"
				   "conninfo = dbname=x\n"
				   "tables = public.t\n"
				   "[sink out]\n"
				   "type = file\n"
				   "path = /tmp/out\n";
	const struct rc_conf_section *g, *out;
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;

	if (!have_plugins())
		return;
	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	g = &cfg->global;
	CU_ASSERT_EQUAL(g->line, 0);
	CU_ASSERT_EQUAL(g->nentries, 0);
	CU_ASSERT_STRING_EQUAL(rc_conf_str(g, "state_dir"), "/var/lib/rowcast");
	CU_ASSERT_STRING_EQUAL(rc_conf_str(g, "log_level"), "info");
	CU_ASSERT_EQUAL(rc_conf_size(g, "queue_max_bytes"),
			RC_DEFAULT_QUEUE_BYTES);
	CU_ASSERT_EQUAL(rc_conf_ms(g, "checkpoint_interval"), 1000);
	CU_ASSERT_EQUAL(rc_conf_ms(g, "shutdown_timeout"), 30000);
	CU_ASSERT_FALSE(rc_conf_is_set(g, "state_dir"));
	CU_ASSERT_EQUAL(rc_conf_line(g, "state_dir"), 0);
	out = rc_config_section(cfg, RC_SCOPE_SINK, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(rc_conf_size(out, "rotate_bytes"), 64u << 20);
	CU_ASSERT_EQUAL(rc_conf_ms(out, "flush_interval"), 200);
	CU_ASSERT_STRING_EQUAL(cfg->path, NAME);
	rc_config_free(cfg);
}

/* Sizes and durations in all their forms, through a file sink's keys. */
static void
test_value_forms(void)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {
		{"4096", 4096},	       {"512k", 512u << 10},
		{"512K", 512u << 10},  {"64kB", 64u << 10},
		{"16M", 16u << 20},    {"16MiB", 16u << 20},
		{"16MB", 16u << 20},   {"1G", 1u << 30},
		{"2 GiB", 2ull << 30}, {"8192B", 8192},
	};
	static const struct {
		const char *text;
		int64_t ms;
	} durations[] = {
		{"1", 1},	 {"500ms", 500},  {"10s", 10000},
		{"5m", 300000},	 {"1h", 3600000}, {"10 s", 10000},
		{"2H", 7200000},
	};
	char text[512], err[RC_ERRLEN];
	struct rc_config *cfg;

	if (!have_plugins())
		return;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(text, sizeof(text),
			 "[source s]\ntype=postgresql\nconninfo=x\ntables=a.b\n"
			 "[sink f]\ntype=file\npath=/x\nrotate_bytes=%s\n",
			 sizes[i].text);
		cfg = load(text, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(cfg);
		if (!cfg) {
			fprintf(stderr, "\n  %s: %s\n", sizes[i].text, err);
			continue;
		}
		CU_ASSERT_EQUAL(
			rc_conf_size(rc_config_section(cfg, RC_SCOPE_SINK, 0),
				     "rotate_bytes"),
			sizes[i].bytes);
		rc_config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		snprintf(text, sizeof(text),
			 "[source s]\ntype=postgresql\nconninfo=x\ntables=a.b\n"
			 "[sink f]\ntype=file\npath=/x\nflush_interval=%s\n",
			 durations[i].text);
		cfg = load(text, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL(cfg);
		if (!cfg) {
			fprintf(stderr, "\n  %s: %s\n", durations[i].text, err);
			continue;
		}
		CU_ASSERT_EQUAL(
			rc_conf_ms(rc_config_section(cfg, RC_SCOPE_SINK, 0),
				   "flush_interval"),
			durations[i].ms);
		rc_config_free(cfg);
	}
}

/* Types that no compiled table uses yet (BOOL, INT) and the edges of the
 * others, through rc_conf_check(), which loading uses too. */
static void
test_check_values(void)
{
	static const struct rc_conf_key flag = {
		"flag", RC_CONF_BOOL, NULL, 0, "a switch", NULL, 0, 0};
	static const struct rc_conf_key count = {
		"count", RC_CONF_INT, NULL, 0, "a count", NULL, 1, 10};
	static const struct rc_conf_key offset = {
		"offset", RC_CONF_INT, NULL, 0, "an offset", NULL, 0, 0};
	static const struct rc_conf_key size = {
		"size", RC_CONF_SIZE, NULL, 0, "a size", NULL, 0, 0};
	static const struct rc_conf_key wait = {
		"wait", RC_CONF_DURATION, NULL, 0, "a wait", NULL, 0, 0};
	static const struct rc_conf_key mode = {
		"mode", RC_CONF_ENUM, NULL, 0, "a mode", "fast|safe", 0, 0};
	static const struct rc_conf_key names = {
		"names", RC_CONF_LIST, NULL, 0, "names", NULL, 0, 0};
	static const char *const good_bools[] = {"true", "FALSE", "Yes", "no",
						 "on",	 "OFF",	  "1",	 "0"};
	char err[RC_ERRLEN];

	for (size_t i = 0; i < sizeof(good_bools) / sizeof(good_bools[0]); i++)
		CU_ASSERT_EQUAL(
			rc_conf_check(&flag, good_bools[i], err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(rc_conf_check(&flag, "maybe", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "bad value 'maybe' for flag; expected true "
				    "or false (also yes/no, on/off, 1/0)");
	CU_ASSERT_EQUAL(rc_conf_check(&flag, "", err, sizeof(err)), -1);

	CU_ASSERT_EQUAL(rc_conf_check(&count, "1", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_conf_check(&count, "10", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_conf_check(&count, "11", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "bad value '11' for count; expected from 1 "
				    "to 10");
	CU_ASSERT_EQUAL(rc_conf_check(&count, "0", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&count, "5x", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expected an integer"));
	CU_ASSERT_EQUAL(rc_conf_check(&offset, "-3", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_conf_check(&offset, " 3", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&offset, "99999999999999999999", err,
				      sizeof(err)),
			-1);

	CU_ASSERT_EQUAL(rc_conf_check(&size, "8G", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(
		rc_conf_check(&size, "9999999999999G", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&size, "-1", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&size, "1.5M", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&size, "16iB", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&size, "M", err, sizeof(err)), -1);

	CU_ASSERT_EQUAL(rc_conf_check(&wait, "5d", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "bad value '5d' for wait; expected a "
				    "duration such as 500ms, 10s, 5m or 1h");
	CU_ASSERT_EQUAL(rc_conf_check(&wait, "-1s", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&wait, "s", err, sizeof(err)), -1);

	CU_ASSERT_EQUAL(rc_conf_check(&mode, "Safe", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_conf_check(&mode, "fas", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "bad value 'fas' for mode; expected one "
				    "of: fast, safe");

	CU_ASSERT_EQUAL(rc_conf_check(&names, "a, b ,c", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(rc_conf_check(&names, "a,,b", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "an item is empty"));
	CU_ASSERT_EQUAL(rc_conf_check(&names, "a,", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&names, "", err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(rc_conf_check(&names, "a b", err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "a comma is missing"));
}

/* Indented keys are keys (not continuations), CRLF and a BOM are fine,
 * ':' separates like '=' and an empty [rowcast] is fine. */
static void
test_file_forms(void)
{
	static const char text[] = "\xEF\xBB\xBF[rowcast]\r\n"
				   "\r\n"
				   "[source s]\r\n"
				   "    type = postgresql\r\n"
				   "    conninfo : dbname=x\r\n"
				   "\ttables = public.t   ; comment\r\n"
				   "# comment\r\n"
				   "  [sink out]  \r\n"
				   "    type = stdout\r\n";
	const struct rc_conf_section *s;
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;

	if (!have_plugins())
		return;
	cfg = load(text, err, sizeof(err));
	if (!cfg)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(cfg->global.line, 1);
	s = rc_config_section(cfg, RC_SCOPE_SOURCE, 0);
	CU_ASSERT_STRING_EQUAL(rc_conf_str(s, "conninfo"), "dbname=x");
	CU_ASSERT_STRING_EQUAL(rc_conf_str(s, "tables"), "public.t");
	CU_ASSERT_EQUAL(rc_conf_line(s, "tables"), 6);
	s = rc_config_section(cfg, RC_SCOPE_SINK, 0);
	CU_ASSERT_EQUAL(s->line, 8);
	CU_ASSERT_STRING_EQUAL(s->type, "stdout");
	rc_config_free(cfg);
}

/* A 300-byte line (longer than libinih's default buffer) is read whole and
 * does not shift the line numbers of what follows. */
static void
test_long_line(void)
{
	char text[RC_MAX_CONFIG_LINE * 2], info[301], err[RC_ERRLEN] = "";
	struct rc_config *cfg;

	if (!have_plugins())
		return;
	memset(info, 'x', sizeof(info) - 1);
	info[sizeof(info) - 1] = 0;
	snprintf(text, sizeof(text),
		 "[source s]\ntype = postgresql\nconninfo = dbname=%s\n"
		 "tables = public.t\n[sink out]\ntype = stdout\n",
		 info);
	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_EQUAL(
		strlen(rc_conf_str(rc_config_section(cfg, RC_SCOPE_SOURCE, 0),
				   "conninfo")),
		strlen("dbname=") + 300);
	rc_config_free(cfg);

	snprintf(text, sizeof(text),
		 "[source s]\ntype = postgresql\nconninfo = dbname=%s\n"
		 "tables = public.t\nbogus = 1\n[sink out]\ntype = stdout\n",
		 info);
	expect_error(text, NAME ":5: unknown key 'bogus'", NULL);

	/* past RC_MAX_CONFIG_LINE: an error at that line, not two lines */
	memset(text, 0, sizeof(text));
	strcpy(text, "[source s]\ntype = postgresql\nconninfo = ");
	memset(text + strlen(text), 'y', RC_MAX_CONFIG_LINE);
	strcat(text, "\ntables = public.t\n[sink out]\ntype = stdout\n");
	expect_error(text, NAME ":3: line is longer than", NULL);
}

/* ---------------------------------------------------------------------
 * Errors: file, line and what was expected
 * --------------------------------------------------------------------- */

static void
test_err_unknown_key(void)
{
	if (!have_plugins())
		return;
	expect_error("[source shop]\n"
		     "type = postgresql\n"
		     "tables = public.t\n"
		     "conninfoo = dbname=x\n"
		     "[sink out]\ntype = stdout\n",
		     NAME
		     ":4: unknown key 'conninfoo' in [source shop] (type "
		     "postgresql); expected one of: type, tables, "
		     "topic_prefix, sinks, snapshot, snapshot_chunk_size, "
		     "snapshot_max_rows_per_sec, snapshot_progress_interval, "
		     "conninfo, password, ",
		     NULL);
	expect_error("[rowcast]\nstatedir = /x\n",
		     NAME
		     ":2: unknown key 'statedir' in [rowcast]; expected one "
		     "of: state_dir, log_level, ",
		     NULL);
	/* a _file form of a key that is not secret is just unknown */
	expect_error("[source shop]\ntype = postgresql\ntables = public.t\n"
		     "conninfo_file = /x\n[sink out]\ntype = stdout\n",
		     NAME ":4: unknown key 'conninfo_file'", NULL);
}

static void
test_err_bad_size(void)
{
	expect_error("[rowcast]\n"
		     "state_dir = /x\n"
		     "queue_max_bytes = lots\n",
		     NAME
		     ":3: bad value 'lots' for queue_max_bytes; expected a "
		     "size such as 16M, 512k or 1048576",
		     NULL);
	expect_error("[rowcast]\nqueue_max_bytes = 1k\n",
		     NAME ":2: bad value '1k' for queue_max_bytes; expected at "
			  "least 64k",
		     NULL);
}

static void
test_err_bad_duration(void)
{
	expect_error("[rowcast]\n\nshutdown_timeout = 5 minutes\n",
		     NAME ":3: bad value '5 minutes' for shutdown_timeout; "
			  "expected a duration such as 500ms, 10s, 5m or 1h",
		     NULL);
	if (!have_plugins())
		return;
	expect_error(
		"[source s]\ntype = postgresql\nconninfo = x\n"
		"tables = a.b\nstatus_interval = 2h\n[sink o]\ntype=stdout\n",
		NAME ":5: bad value '2h' for status_interval; expected from "
		     "100ms to 1h",
		NULL);
}

/* No compiled table has a BOOL key yet: the file-level message is the
 * same check as rc_conf_check() behind "FILE:LINE: " (see
 * test_check_values); here the prefix, with an ENUM. */
static void
test_err_bad_enum(void)
{
	expect_error("[rowcast]\nlog_level = verbose\n",
		     NAME ":2: bad value 'verbose' for log_level; expected one "
			  "of: error, warn, info, debug",
		     NULL);
}

static void
test_err_missing_required(void)
{
	if (!have_plugins())
		return;
	expect_error("[rowcast]\n"
		     "\n"
		     "[source shop]\n"
		     "type = postgresql\n"
		     "tables = public.t\n"
		     "[sink out]\ntype = stdout\n",
		     NAME ":3: [source shop] has no 'conninfo'; expected: ",
		     pg_help("conninfo"), NULL);
	expect_error("[source shop]\n"
		     "type = postgresql\n"
		     "conninfo = x\n"
		     "[sink out]\ntype = stdout\n",
		     NAME
		     ":1: [source shop] has no 'tables'; expected: tables to "
		     "capture, schema-qualified, comma-separated",
		     NULL);
	/* an empty section still has a header line */
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = a.b\n\n[sink out]\n",
		     NAME ":6: [sink out] has no 'type'; expected: ",
		     "one of: kafka, file, stdout", NULL);
	expect_error("[source shop]\ntype = postgresql\nconninfo =\n"
		     "tables = a.b\n[sink out]\ntype = stdout\n",
		     NAME ":3: 'conninfo' is empty in [source shop]", NULL);
}

static void
test_err_duplicate_key(void)
{
	if (!have_plugins())
		return;
	expect_error("[source shop]\n"
		     "type = postgresql\n"
		     "tables = public.a\n"
		     "conninfo = x\n"
		     "\n"
		     "tables = public.b\n"
		     "[sink out]\ntype = stdout\n",
		     NAME ":6: 'tables' is set twice in [source shop] (lines 3 "
			  "and 6); expected it once",
		     NULL);
}

static void
test_err_sections(void)
{
	expect_error("[sorce shop]\ntype = postgresql\n",
		     NAME
		     ":1: unknown section [sorce shop]; expected [rowcast], "
		     "[source NAME], [sink NAME] or [table SCHEMA.TABLE]",
		     NULL);
	expect_error("[rowcast]\n[rowcast main]\n",
		     NAME ":2: unknown section [rowcast main]", NULL);
	expect_error("[rowcast]\nstate_dir = /x\n[rowcast]\n",
		     NAME ":3: duplicate section [rowcast] (first at line 1)",
		     NULL);
	expect_error("\n[source]\ntype = postgresql\n",
		     NAME ":2: section [source] has no name; expected [source "
			  "NAME]",
		     NULL);
	expect_error("[source my shop]\n",
		     NAME ":1: section name 'my shop' has a space", NULL);
	expect_error("[table customers]\n",
		     NAME ":1: table name 'customers' has no schema; expected "
			  "[table SCHEMA.TABLE]",
		     NULL);
	expect_error("[sink out\ntype = stdout\n",
		     NAME ":1: section header has no closing ']'", NULL);
	expect_error("state_dir = /x\n[rowcast]\n",
		     NAME ":1: 'state_dir' is outside of any section", NULL);
	if (!have_plugins())
		return;
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = a.b\n[sink out]\ntype = stdout\n"
		     "[sink out]\ntype = file\npath = /x\n",
		     NAME ":7: duplicate section [sink out] (first at line 5); "
			  "expected each section once",
		     NULL);
}

static void
test_err_syntax(void)
{
	expect_error("[rowcast]\nstate_dir = /x\njust some words\n",
		     NAME ":3: cannot parse this line; expected KEY = VALUE",
		     NULL);
	/* reading the file, the first error in it wins, whoever finds it
	 * (keys are checked against the tables only after reading) */
	expect_error("[rowcast]\nno equals sign\nstate_dir = /a\n"
		     "state_dir = /b\n",
		     NAME ":2: cannot parse", NULL);
	expect_error("[rowcast]\nstate_dir = /a\nstate_dir = /b\n"
		     "no equals sign\n",
		     NAME ":3: 'state_dir' is set twice", NULL);
	expect_error("[rowcast]\nbogus = 1\nno equals sign\n",
		     NAME ":3: cannot parse", NULL);
	/* a value on the next line is not a continuation */
	expect_error("[rowcast]\nstate_dir =\n   /var/lib/x\n",
		     NAME ":3: cannot parse this line", NULL);
	expect_error("[rowcast]\n= value\n", NAME ":2: no key before '='",
		     NULL);
}

static void
test_err_source_type(void)
{
	expect_error("[source legacy]\n"
		     "type = oracle\n"
		     "tables = crm.contacts\n",
		     NAME
		     ":2: unknown source type 'oracle' in [source legacy]; "
		     "expected one of: ",
		     have_plugins() ? "postgresql" : "", NULL);
	if (!have_plugins())
		return;
	expect_error("[source s]\ntype = postgresql\nconninfo = x\n"
		     "tables = a.b\n[sink out]\ntype = kinesis\n",
		     NAME
		     ":6: unknown sink type 'kinesis' in [sink out]; expected "
		     "one of: kafka, file, stdout",
		     NULL);
}

static void
test_err_links(void)
{
	if (!have_plugins())
		return;
	expect_error("[source shop]\n"
		     "type = postgresql\n"
		     "conninfo = x\n"
		     "tables = public.a\n"
		     "sinks = out, kafka\n"
		     "[sink out]\ntype = stdout\n",
		     NAME
		     ":5: [source shop] sends to sink 'kafka', but there is "
		     "no [sink kafka]; expected one of: out",
		     NULL);
	expect_error("[sink out]\ntype = stdout\n",
		     NAME ": no [source NAME] section; expected at least one "
			  "[source NAME]",
		     NULL);
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = public.a\n",
		     NAME ": no [sink NAME] section; expected at least one "
			  "[sink NAME]",
		     NULL);
	expect_error(
		"[source shop]\ntype = postgresql\nconninfo = x\n"
		"tables = public.a, customers\n[sink out]\ntype = stdout\n",
		NAME ":4: table 'customers' in [source shop] has no schema; "
		     "expected SCHEMA.TABLE",
		NULL);
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = public.a,,public.b\n[sink out]\ntype = stdout\n",
		     NAME ":4: bad value 'public.a,,public.b' for tables; "
			  "expected a comma-separated list",
		     NULL);
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = public.a, public.a\n[sink out]\ntype = stdout\n",
		     NAME ":4: table 'public.a' is listed twice", NULL);
	/* [table] sections refine tables that a source captures */
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = public.customers\n[sink out]\ntype = stdout\n"
		     "[table public.custmers]\nkey = id\n",
		     NAME ":7: [table public.custmers] is a table no source "
			  "captures; expected one of the tables listed: "
			  "public.customers",
		     NULL);
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = public.customers\n[sink out]\ntype = stdout\n"
		     "[table public.customers]\nsource = shopp\n",
		     NAME
		     ":8: [table public.customers] applies to source "
		     "'shopp', but there is no [source shopp]; expected one "
		     "of: shop",
		     NULL);
	expect_error("[source shop]\ntype = postgresql\nconninfo = x\n"
		     "tables = public.customers\n"
		     "[source crm]\ntype = postgresql\nconninfo = y\n"
		     "tables = crm.contacts\n[sink out]\ntype = stdout\n"
		     "[table public.customers]\nsource = crm\n",
		     NAME
		     ":12: [table public.customers] applies to [source crm], "
		     "which does not capture it",
		     NULL);
}

/* ---------------------------------------------------------------------
 * Secrets
 * --------------------------------------------------------------------- */

static void
test_secret_file_errors(void)
{
	char text[512], err[RC_ERRLEN] = "";
	struct rc_config *cfg;
	struct tmp t;
	const char *pw;

	if (!have_plugins())
		return;
	expect_error("[source shop]\n"
		     "type = postgresql\n"
		     "conninfo = dbname=x\n"
		     "password_file = /nonexistent/rowcast/pw\n"
		     "tables = public.t\n"
		     "[sink out]\ntype = stdout\n",
		     NAME
		     ":4: cannot read /nonexistent/rowcast/pw (password_file)",
		     strerror(ENOENT), NULL);
	expect_error("[source shop]\n"
		     "type = postgresql\n"
		     "conninfo = dbname=x\n"
		     "password = hunter2\n"
		     "password_file = /etc/rowcast/pw\n"
		     "tables = public.t\n"
		     "[sink out]\ntype = stdout\n",
		     NAME
		     ":5: 'password' is given twice in [source shop] (type "
		     "postgresql), as 'password' (line 4) and "
		     "'password_file' (line 5); expected only one of "
		     "password, password_file, password_env",
		     NULL);

	/* CRLF is stripped, inner spaces are kept; an empty file is an error */
	tmp_init(&t);
	pw = tmp_write(&t, "pw", " two words\r\n");
	snprintf(text, sizeof(text),
		 "[source shop]\ntype = postgresql\nconninfo = x\n"
		 "password_file = %s\ntables = a.b\n[sink o]\ntype = stdout\n",
		 pw);
	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(cfg);
	if (cfg)
		CU_ASSERT_STRING_EQUAL(
			rc_conf_str(rc_config_section(cfg, RC_SCOPE_SOURCE, 0),
				    "password"),
			" two words");
	rc_config_free(cfg);
	pw = tmp_write(&t, "empty", "");
	snprintf(text, sizeof(text),
		 "[source shop]\ntype = postgresql\nconninfo = x\n"
		 "password_file = %s\ntables = a.b\n[sink o]\ntype = stdout\n",
		 pw);
	expect_error(text, NAME ":4: ", "is empty", NULL);
	tmp_cleanup(&t);
}

static void
test_secret_env(void)
{
	static const char text[] = "[source shop]\n"
				   "type = postgresql\n"
				   "conninfo = dbname=x\n"
				   "password_env = RC_TEST_CONFIG_PW\n"
				   "tables = public.t\n"
				   "[sink out]\ntype = stdout\n";
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;

	if (!have_plugins())
		return;
	setenv("RC_TEST_CONFIG_PW", "from-env", 1);
	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	CU_ASSERT_STRING_EQUAL(
		rc_conf_str(rc_config_section(cfg, RC_SCOPE_SOURCE, 0),
			    "password"),
		"from-env");
	CU_ASSERT_EQUAL(rc_conf_line(rc_config_section(cfg, RC_SCOPE_SOURCE, 0),
				     "password"),
			4);
	rc_config_free(cfg);
	unsetenv("RC_TEST_CONFIG_PW");
	expect_error(text,
		     NAME ":4: environment variable RC_TEST_CONFIG_PW "
			  "(password_env) is not set",
		     NULL);
}

/* The secret itself never appears in a message, wherever it came from. */
static void
test_secret_never_in_errors(void)
{
	static const char *const secret = "Hunter2-TopSecret";
	static const char *const later_errors[] = {
		"bogus = 1\n",			    /* unknown key */
		"password = again\n",		    /* set twice */
		"password_file = /nonexistent/x\n", /* two forms */
		"status_interval = soon\n",	    /* bad value */
		"tables = a.b\n",		    /* duplicate key */
	};
	static const struct rc_conf_key pin = {
		"pin", RC_CONF_INT, NULL, RC_CONF_SECRET, "a pin", NULL, 0, 0};
	char text[1024], err[RC_ERRLEN];
	struct rc_config *cfg;
	struct tmp t;
	const char *pwfile;

	if (!have_plugins())
		return;
	tmp_init(&t);
	pwfile = tmp_write(&t, "pw", "Hunter2-TopSecret\n");
	setenv("RC_TEST_CONFIG_SECRET", secret, 1);
	for (int form = 0; form < 3; form++) {
		for (size_t i = 0;
		     i < sizeof(later_errors) / sizeof(later_errors[0]); i++) {
			char line[256];

			if (form == 0)
				snprintf(line, sizeof(line), "password = %s\n",
					 secret);
			else if (form == 1)
				snprintf(line, sizeof(line),
					 "password_file = %s\n", pwfile);
			else
				snprintf(line, sizeof(line),
					 "password_env = "
					 "RC_TEST_CONFIG_SECRET\n");
			snprintf(text, sizeof(text),
				 "[source shop]\ntype = postgresql\n"
				 "conninfo = x\ntables = a.b\n%s%s"
				 "[sink out]\ntype = stdout\n",
				 line, later_errors[i]);
			err[0] = 0;
			cfg = load(text, err, sizeof(err));
			CU_ASSERT_PTR_NULL(cfg);
			rc_config_free(cfg);
			CU_ASSERT(err[0] != 0);
			CU_ASSERT_PTR_NULL(strstr(err, "Hunter2"));
			if (strstr(err, "Hunter2"))
				fprintf(stderr, "\n  leaked: %s\n", err);
		}
	}
	/* a secret on a line too long to read */
	{
		char *big = malloc(RC_MAX_CONFIG_LINE * 2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		snprintf(big, RC_MAX_CONFIG_LINE * 2,
			 "[source shop]\npassword = %s", secret);
		memset(big + strlen(big), 'z', RC_MAX_CONFIG_LINE);
		big[strlen("[source shop]\npassword = ") + strlen(secret) +
		    RC_MAX_CONFIG_LINE] = 0;
		err[0] = 0;
		cfg = load(big, err, sizeof(err));
		CU_ASSERT_PTR_NULL(cfg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, NAME ":2: line is longer"));
		CU_ASSERT_PTR_NULL(strstr(err, "Hunter2"));
		free(big);
	}
	/* a bad value of a secret key: the message leaves the value out */
	CU_ASSERT_EQUAL(
		rc_conf_check(&pin, "Hunter2-TopSecret", err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "bad value for pin; expected an integer "
				    "such as 42");
	unsetenv("RC_TEST_CONFIG_SECRET");
	tmp_cleanup(&t);
}

/* ---------------------------------------------------------------------
 * Odds and ends
 * --------------------------------------------------------------------- */

static void
test_missing_file(void)
{
	char err[RC_ERRLEN] = "";

	CU_ASSERT_PTR_NULL(
		rc_config_load("/nonexistent/rowcast.conf", err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/rowcast.conf: cannot "
					   "open"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ENOENT)));
}

/* Getters asked for what a section does not declare return NULL/0 (and
 * log); free functions take NULL. */
static void
test_getter_misuse(void)
{
	static const char text[] = "[source s]\ntype = postgresql\n"
				   "conninfo = x\ntables = a.b\n"
				   "[sink out]\ntype = stdout\n";
	const struct rc_conf_section *s;
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;
	char **items = NULL;
	int saved, devnull;

	rc_config_free(NULL);
	rc_conf_list_free(NULL);
	CU_ASSERT_PTR_NULL(rc_config_section(NULL, RC_SCOPE_SOURCE, 0));
	CU_ASSERT_PTR_NULL(rc_config_table(NULL, "a.b"));
	if (!have_plugins())
		return;
	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	s = rc_config_section(cfg, RC_SCOPE_SOURCE, 0);
	CU_ASSERT_PTR_NULL(rc_config_section(cfg, RC_SCOPE_SOURCE, -1));

	/* the log lines of the misuse go to /dev/null */
	fflush(stderr);
	saved = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 2);
	CU_ASSERT_PTR_NULL(rc_conf_str(s, "nope"));
	CU_ASSERT_EQUAL(rc_conf_ms(s, "nope"), 0);
	CU_ASSERT_EQUAL(rc_conf_ms(s, "conninfo"), 0); /* not a duration */
	CU_ASSERT_EQUAL(rc_conf_size(s, "status_interval"), 0);
	CU_ASSERT_EQUAL(rc_conf_bool(s, "conninfo"), 0);
	CU_ASSERT_EQUAL(rc_conf_int(s, "conninfo"), 0);
	CU_ASSERT_EQUAL(rc_conf_list(s, "nope", &items), 0);
	CU_ASSERT_PTR_NOT_NULL(items);
	rc_conf_list_free(items);
	/* a sink's keys are not a source's */
	CU_ASSERT_PTR_NULL(rc_conf_str(s, "path"));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(devnull);

	CU_ASSERT_EQUAL(rc_conf_line(s, "nope"), s->line);
	CU_ASSERT_FALSE(rc_conf_is_set(s, "nope"));
	rc_config_free(cfg);
}

static void
test_print_help(void)
{
	char *text = NULL, *line;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	rc_config_print_help(out);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n[rowcast]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "queue_max_bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "size, default 16M, at least 64k"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n[source NAME]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n[sink NAME]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n[table SCHEMA.TABLE]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "columns left out of events"));
	if (have_plugins()) {
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "[source NAME] type = "
						    "postgresql\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "  conninfo "));
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "(secret: also "
						    "password_file, "
						    "password_env)"));
		CU_ASSERT_PTR_NOT_NULL(
			strstr(text, "[sink NAME] type = file\n"));
		CU_ASSERT_PTR_NOT_NULL(
			strstr(text, "[sink NAME] type = stdout\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(text, "one of kafka|file|stdout "
						    "(required)"));
	}
	/* readable in 80 columns */
	for (line = text; *line;) {
		size_t n = strcspn(line, "\n");

		CU_ASSERT(n < 80);
		line += n + (line[n] == '\n');
	}
	free(text);
}

/* A prefix key ("kafka.") takes any property under it, each once; the bare
 * prefix is not a key. */
static void
test_prefix_keys(void)
{
	static const char base[] =
		"[source s]\ntype = postgresql\nconninfo = x\ntables = a.b\n"
		"[sink k]\ntype = kafka\nbrokers = 127.0.0.1:9092\n";
	char text[1024], err[RC_ERRLEN] = "";
	const struct rc_conf_section *sec;
	struct rc_config *cfg;
	int n = 0;

	if (!rc_sink_plugin("kafka"))
		return;
	snprintf(text, sizeof(text),
		 "%skafka.compression.type = zstd\n"
		 "kafka.linger.ms = 1\n",
		 base);
	cfg = load(text, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	sec = rc_config_section(cfg, RC_SCOPE_SINK, 0);
	for (int i = 0; i < sec->nentries; i++)
		if (sec->entries[i].key &&
		    (sec->entries[i].key->flags & RC_CONF_PREFIX)) {
			n++;
			CU_ASSERT(strncmp(sec->entries[i].name, "kafka.", 6) ==
				  0);
		}
	CU_ASSERT_EQUAL(n, 2);
	rc_config_free(cfg);

	snprintf(text, sizeof(text), "%skafka. = 1\n", base);
	expect_error(text, NAME ":8: unknown key 'kafka.'", NULL);
	snprintf(text, sizeof(text), "%skafka.acks = 1\nkafka.acks = all\n",
		 base);
	expect_error(text, NAME ":9: 'kafka.acks' is set twice", NULL);
}

/* ---------------------------------------------------------------------
 * The man page
 * --------------------------------------------------------------------- */

/* Text that out's writer fn produced, for the caller to free. */
static char *
capture(void (*fn)(FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	fn(out);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	return text;
}

static void
write_help(FILE *out)
{
	rc_config_print_help(out);
}

static void
write_man5(FILE *out)
{
	CU_ASSERT_EQUAL(rc_config_print_man(out), 0);
}

static void
write_roff(FILE *out)
{
	rc_roff_lines(out, RC_ROFF_PROSE,
		      ".starts with a dot\n'starts with a quote\n"
		      "  a back\\slash, a well-known -c option, ~^");
	rc_roff_lines(out, RC_ROFF_LITERAL, "a-b 'q'\n\n.x");
	rc_roff_inline(out, RC_ROFF_LITERAL, ".not at line start\n-x");
}

/* Text is escaped for roff: no line may start a request by accident,
 * backslashes are \e, options and literal text use the minus \-. */
static void
test_roff_escape(void)
{
	char *text = capture(write_roff);

	CU_ASSERT_STRING_EQUAL(text,
			       "\\&.starts with a dot\n"
			       "\\&'starts with a quote\n"
			       "a back\\eslash, a well-known \\-c option, "
			       "\\(ti\\(ha\n"
			       "a\\-b \\(aqq\\(aq\n"
			       "\\&\n"
			       "\\&.x\n"
			       ".not at line start \\-x");
	free(text);
}

/*
 * rowcast.conf(5) documents every key that --help lists: a key line of the
 * help is "  NAME" followed by blanks up to column 24 (or a line of its
 * own when the name is longer), and the page must hold "\fBNAME".
 */
static void
test_man_lists_every_key(void)
{
	char *help = capture(write_help), *man = capture(write_man5);
	int nkeys = 0, fill = 1;

	for (const char *line = help; *line;) {
		size_t n = strcspn(line, "\n"), name = 0;

		if (n > 2 && line[0] == ' ' && line[1] == ' ' &&
		    line[2] != ' ') {
			name = strcspn(line + 2, " \n");
			if (2 + name < n && 2 + name < 23 &&
			    strspn(line + 2 + name, " ") != 22 - name)
				name = 0; /* a description, not a key */
			if (name && strncmp(line + 2, "(no", 3) == 0)
				name = 0;
		}
		if (name) {
			char want[RC_MAX_NAME + 8];

			snprintf(want, sizeof(want), "\n\\fB%.*s\\f", (int)name,
				 line + 2);
			nkeys++;
			if (!strstr(man, want)) {
				fprintf(stderr,
					"\n  not in the man page: %.*s\n",
					(int)name, line + 2);
				CU_FAIL("a key of --help is missing from "
					"rowcast.conf(5)");
			}
		}
		line += n + (line[n] == '\n');
	}
	CU_ASSERT(nkeys >= 10);
	CU_ASSERT_PTR_NOT_NULL(strstr(man, ".TH \"ROWCAST.CONF\" 5 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(man, "\n.SH EXAMPLE\n"));
	if (have_plugins()) {
		CU_ASSERT_PTR_NOT_NULL(strstr(man, "\\fBpassword_file\\fR"));
		CU_ASSERT_PTR_NOT_NULL(strstr(man, "\\fBpassword_env\\fR"));
		CU_ASSERT_PTR_NOT_NULL(
			strstr(man, "\\fBerror\\fR|\\fBwarn\\fR|\\fBinfo\\fR|"
				    "\\fBdebug\\fR"));
	}
	/* every line is a request, or text that cannot be one; filled text
	 * stays within 80 bytes where it has a blank to break at */
	for (const char *line = man; *line;) {
		size_t n = strcspn(line, "\n");

		CU_ASSERT(line[0] != '\'');
		if (strncmp(line, ".nf", 3) == 0)
			fill = 0;
		else if (strncmp(line, ".fi", 3) == 0)
			fill = 1;
		if (fill && n > 80 && memchr(line, ' ', n)) {
			fprintf(stderr, "\n  long line: %.*s\n", (int)n, line);
			CU_FAIL("a long text line");
		}
		line += n + (line[n] == '\n');
	}
	free(help);
	free(man);
}

/* The example of rowcast.conf(5) is a valid configuration. */
static void
test_man_example_loads(void)
{
	char err[RC_ERRLEN] = "";
	struct rc_config *cfg;
	struct tmp t;
	const char *path;

	if (!have_plugins() || !rc_sink_plugin("kafka"))
		return;
	tmp_init(&t);
	tmp_write(&t, "shop.password", "s3cret\n");
	path = tmp_write(&t, "rowcast.conf", rc_config_example);
	cfg = rc_config_load(path, err, sizeof(err));
	if (!cfg)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	if (cfg) {
		const struct rc_conf_section *sec =
			rc_config_section(cfg, RC_SCOPE_SOURCE, 0);

		CU_ASSERT_STRING_EQUAL(rc_conf_str(sec, "password"), "s3cret");
	}
	rc_config_free(cfg);
	tmp_cleanup(&t);
}

static const struct cu_test tests[] = {
	{"plugins_compiled_in", test_plugins_compiled_in},
	{"full_file", test_full_file},
	{"defaults", test_defaults},
	{"value_forms", test_value_forms},
	{"check_values", test_check_values},
	{"file_forms", test_file_forms},
	{"long_line", test_long_line},
	{"err_unknown_key", test_err_unknown_key},
	{"err_bad_size", test_err_bad_size},
	{"err_bad_duration", test_err_bad_duration},
	{"err_bad_enum", test_err_bad_enum},
	{"err_missing_required", test_err_missing_required},
	{"err_duplicate_key", test_err_duplicate_key},
	{"err_sections", test_err_sections},
	{"err_syntax", test_err_syntax},
	{"err_source_type", test_err_source_type},
	{"err_links", test_err_links},
	{"secret_file_errors", test_secret_file_errors},
	{"secret_env", test_secret_env},
	{"secret_never_in_errors", test_secret_never_in_errors},
	{"missing_file", test_missing_file},
	{"getter_misuse", test_getter_misuse},
	{"print_help", test_print_help},
	{"prefix_keys", test_prefix_keys},
	{"roff_escape", test_roff_escape},
	{"man_lists_every_key", test_man_lists_every_key},
	{"man_example_loads", test_man_example_loads},
	{NULL, NULL},
};

CU_MAIN("config", tests)
