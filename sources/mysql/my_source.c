/*
 * my_source.c -- the MySQL/MariaDB source.
 *
 * One session is: a client connection (my_conn.c) that checks the server
 * (binlog_format=ROW, binlog_row_image=FULL, binlog_row_metadata=FULL,
 * grants) and the configured tables, then registers as a replica and asks
 * for the binlog from the confirmed position; the events (my_binlog.c) are
 * turned into change events:
 *
 *   MySQL:   GTID  QUERY(BEGIN)  [TABLE_MAP  ROWS...]...  XID
 *            GTID  TRANSACTION_PAYLOAD{same, compressed}
 *            GTID  QUERY(DDL)
 *   MariaDB: GTID  [ANNOTATE  TABLE_MAP  ROWS...]...  XID
 *            GTID(standalone)  QUERY(DDL)
 *
 * A transaction goes to the pipeline as begin, events, commit; its commit
 * position is the binlog file and the end offset of the event that ends it
 * (XID, COMMIT, the DDL, or the whole TRANSACTION_PAYLOAD), with the GTID
 * set that includes it. Positions are checkpointed only once the sinks made
 * everything before them durable (the pipeline), and the next session
 * starts from the confirmed one, so nothing is lost or skipped. A binlog
 * that was purged before rowcast read it is an error that says so: rowcast
 * never skips ahead by itself.
 *
 * No DDL parser: binlog_row_metadata=FULL puts column names, the primary
 * key and signedness in every TABLE_MAP, and a changed table map makes a
 * new schema version.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "check.h"
#include "clock.h"
#include "event.h"
#include "limits.h"
#include "log.h"
#include "my_binlog.h"
#include "my_conn.h"
#include "my_gtid.h"
#include "my_snapshot.h"
#include "pipeline.h"
#include "snapshot.h"
#include "source.h"
#include "tablecfg.h"

#define MY_COMP	     "mysql"
#define PUSH_WAIT_MS 100

/* Session outcomes (as in the PostgreSQL source). */
#define SESS_STOP   RC_SESS_STOP
#define SESS_RETRY  RC_SESS_RETRY
#define SESS_CONFIG RC_SESS_CONFIG
#define SESS_FATAL  RC_SESS_FATAL

/* The checkpoint's binlog file is gone from the server: why, and what to
 * do. */
#define MY_PURGED                                                              \
	"is no longer on the server: it was purged before rowcast read it, "   \
	"so the changes in it cannot be streamed"
#define MY_FIX_PURGED                                                          \
	"keep binlogs longer with binlog_expire_logs_seconds / "               \
	"expire_logs_days; to go on, re-snapshot the tables or remove the "    \
	"checkpoint in state_dir to start from the current position"

/* What to do about a configured table that does not exist. */
#define MY_FIX_NO_TABLE "create it, or remove it from tables ="

/* ER_MASTER_FATAL_ERROR_READING_BINLOG: the server cannot send from there */
#define MY_ER_BINLOG_READ 1236

/* A table map seen in the stream, and the shape built from it. */
struct my_tmap {
	uint64_t table_id;
	struct my_tablemap *tm;
	struct rc_table *tbl; /* NULL: a table we do not capture */
	int *colmap;	      /* tm column -> tbl column or -1 */
};

/* The current shape of a captured table (schema versions). */
struct my_shape {
	struct rc_tablecfg *tc;
	struct rc_table *tbl;
};

struct my_source {
	struct rc_source base; /* must be first */

	struct my_conn_opts opts;
	char *host, *socket, *user, *password;
	char *ssl_mode, *ssl_ca, *ssl_cert, *ssl_key;
	char *prefix;
	int use_gtid; /* resume by GTID set rather than file/offset */
	int64_t max_backoff_ms;
	struct rc_tablecfg *tables;
	int ntables;
	struct my_shape *shapes; /* one per table, parallel to tables */

	struct my_conn *conn;
	struct rc_pipeline *pl;

	/* stream state */
	struct my_fde fde;
	char file[256];		   /* current binlog file */
	uint64_t pos;		   /* end of the last event read in file */
	struct my_gtid_set *gtids; /* executed set, through the last commit */
	struct my_tmap *maps;
	int nmaps;
	int in_txn;   /* a transaction is open in the pipeline */
	int in_group; /* a GTID/BEGIN was seen, its end not yet */
	int maria_standalone;
	uint64_t txn_start; /* position of the transaction's first event */
	char txn_id[96];
	char gtid_one[96]; /* this transaction's GTID as text, or "" */
	int64_t commit_ts_us;
	uint8_t pending_uuid[16];
	char pending_tag[33];
	int64_t pending_gno; /* MySQL GTID to add at commit, 0 = none */
	struct my_maria_gtid pending_maria;
	int have_pending_maria;
	uint64_t payload_pos; /* outer position while in a payload, or 0 */
	uint32_t txn_events;

	/* snapshots (see "Snapshots" below) */
	struct rc_snap *snap;
	struct my_conn *qconn;	    /* query connection for chunks */
	int snap_mariadb;	    /* consistent snapshot, not LOCK TABLES */
	uint32_t snap_server_id;    /* the server's @@server_id */
	struct rc_snap_chunk chunk; /* read, waiting for the stream */
	struct rc_table *chunk_tbl; /* its shape (a reference) */
	char chunk_file[256];	    /* the binlog position it is */
	uint64_t chunk_pos;	    /* consistent with */
	int64_t snap_poll_ms;	    /* last requests/reload poll */
	/* the description of the table being read, kept across its chunks
	 * while the columns of each chunk's result hash the same
	 * (snap_describe) */
	struct my_snap_desc sd;	  /* while it is described */
	struct my_snap_fin *fin;  /* then: its finisher owns it */
	struct my_snap_fin *fins; /* every finisher queued events may use */
	struct rc_table *sd_tbl;  /* its shape (a reference) */
	int *sd_colmap;
	const struct rc_tablecfg *sd_tc;
	uint64_t sd_shape; /* my_result_shape() of its chunks, 0 = none yet */
	int sd_valid;

	/* the lag thread (metrics): measures binlog bytes behind */
	pthread_t lag_thread;
	int lag_started;
	atomic_int lag_stop;
};

/* The source's last error (struct rc_source's lasterr). */
#define set_err(x, ...) rc_source_set_err(&(x)->base, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

static char *
dup_opt(const struct rc_conf_section *sec, const char *key, int *oom)
{
	const char *s = rc_conf_str(sec, key);
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = 1;
	return d;
}

static void
free_maps(struct my_source *ms)
{
	for (int i = 0; i < ms->nmaps; i++) {
		my_tablemap_free(ms->maps[i].tm);
		rc_table_unref(ms->maps[i].tbl);
		free(ms->maps[i].colmap);
	}
	free(ms->maps);
	ms->maps = NULL;
	ms->nmaps = 0;
}

static void snap_forget_desc(struct my_source *ms);

static void snap_forget_desc(struct my_source *ms);
static void snap_free_fins(struct my_source *ms, int all);

static void
my_destroy(struct rc_source *src)
{
	struct my_source *ms = (struct my_source *)src;

	if (!ms)
		return;
	my_conn_close(ms->conn);
	my_conn_close(ms->qconn);
	rc_snap_chunk_free(&ms->chunk);
	rc_table_unref(ms->chunk_tbl);
	snap_forget_desc(ms);
	snap_free_fins(ms, 1);
	rc_snap_free(ms->snap);
	free_maps(ms);
	for (int i = 0; ms->shapes && i < ms->ntables; i++)
		rc_table_unref(ms->shapes[i].tbl);
	free(ms->shapes);
	rc_tablecfg_free(ms->tables, ms->ntables);
	my_gtid_set_free(ms->gtids);
	free(ms->host);
	free(ms->socket);
	free(ms->user);
	if (ms->password) {
		memset(ms->password, 0, strlen(ms->password));
		free(ms->password);
	}
	free(ms->ssl_mode);
	free(ms->ssl_ca);
	free(ms->ssl_cert);
	free(ms->ssl_key);
	free(ms->prefix);
	free(ms);
}

static struct rc_source *
my_create(const struct rc_config *cfg, const struct rc_conf_section *sec,
	  char *err, size_t errlen)
{
	struct my_source *ms = calloc(1, sizeof(*ms));
	const char *s;
	int oom = 0;

	if (!ms) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->base.name = sec->name;
	ms->host = dup_opt(sec, "host", &oom);
	ms->socket = dup_opt(sec, "socket", &oom);
	ms->user = dup_opt(sec, "user", &oom);
	ms->password = dup_opt(sec, "password", &oom);
	ms->ssl_mode = dup_opt(sec, "ssl_mode", &oom);
	ms->ssl_ca = dup_opt(sec, "ssl_ca", &oom);
	ms->ssl_cert = dup_opt(sec, "ssl_cert", &oom);
	ms->ssl_key = dup_opt(sec, "ssl_key", &oom);
	s = rc_conf_str(sec, "topic_prefix");
	ms->prefix = strdup(s ? s : sec->name);
	if (oom || !ms->prefix) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ms->opts.host = ms->host;
	ms->opts.port = (unsigned)rc_conf_int(sec, "port");
	ms->opts.socket = ms->socket;
	ms->opts.user = ms->user;
	ms->opts.password = ms->password;
	ms->opts.ssl_mode = ms->ssl_mode;
	ms->opts.ssl_ca = ms->ssl_ca;
	ms->opts.ssl_cert = ms->ssl_cert;
	ms->opts.ssl_key = ms->ssl_key;
	ms->opts.server_id = (uint32_t)rc_conf_int(sec, "server_id");
	ms->opts.connect_timeout_s =
		(int)(rc_conf_ms(sec, "connect_timeout") / 1000);
	ms->opts.heartbeat_ms = (int)rc_conf_ms(sec, "heartbeat_interval");
	ms->use_gtid = rc_conf_bool(sec, "gtid_resume");
	ms->max_backoff_ms = rc_conf_ms(sec, "reconnect_max_backoff");

	if (rc_tablecfg_load(cfg, sec, NULL, &ms->tables, &ms->ntables, err,
			     errlen) < 0)
		goto fail;
	ms->shapes = calloc((size_t)(ms->ntables ? ms->ntables : 1),
			    sizeof(*ms->shapes));
	if (!ms->shapes) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int i = 0; i < ms->ntables; i++)
		ms->shapes[i].tc = &ms->tables[i];
	rc_snap_chunk_init(&ms->chunk);
	if (!(ms->snap = rc_snap_new(sec->name, sec))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return &ms->base;
fail:
	my_destroy(&ms->base);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Positions                                                          */
/* ------------------------------------------------------------------ */

/* The number at the end of a binlog file name ("mysql-bin.000042"). */
static uint64_t
file_seq(const char *file)
{
	const char *dot = strrchr(file, '.');

	return dot ? strtoull(dot + 1, NULL, 10) : 0;
}

/* The position after the current event, with the GTID set: what a
 * commit or an idle point pushes. 0, or -1 on out of memory. */
static int
make_pos(struct my_source *ms, uint64_t offset, struct rc_pos *pos)
{
	struct rc_buf b;

	memset(pos, 0, sizeof(*pos));
	pos->lsn = file_seq(ms->file);
	pos->offset = offset;
	if (!(pos->file = strdup(ms->file)))
		return -1;
	if (ms->gtids && !my_gtid_set_empty(ms->gtids)) {
		rc_buf_init(&b, 1024 * 1024);
		if (my_gtid_set_format(ms->gtids, &b) < 0 ||
		    rc_buf_putc(&b, '\0') < 0) {
			rc_buf_free(&b);
			rc_pos_clear(pos);
			return -1;
		}
		pos->gtid = strdup(b.data);
		rc_buf_free(&b);
		if (!pos->gtid) {
			rc_pos_clear(pos);
			return -1;
		}
	}
	return 0;
}

static int
my_format_pos(const struct rc_pos *pos, struct rc_buf *out)
{
	if (pos->file && rc_buf_printf(out, "file = %s\n", pos->file) < 0)
		return -1;
	if (rc_buf_printf(out, "pos = %" PRIu64 "\n", pos->offset) < 0)
		return -1;
	if (pos->gtid && rc_buf_printf(out, "gtid = %s\n", pos->gtid) < 0)
		return -1;
	return 0;
}

static int
my_parse_pos(const char *key, const char *value, struct rc_pos *pos, char *err,
	     size_t errlen)
{
	char *end;

	if (strcmp(key, "file") == 0) {
		if (!*value || strchr(value, '/') || strlen(value) >= 256) {
			snprintf(err, errlen, "bad binlog file name '%s'",
				 value);
			return -1;
		}
		free(pos->file);
		if (!(pos->file = strdup(value)))
			goto oom;
		pos->lsn = file_seq(value);
		return 0;
	}
	if (strcmp(key, "pos") == 0) {
		pos->offset = strtoull(value, &end, 10);
		if (!*value || *end || pos->offset < 4) {
			snprintf(err, errlen,
				 "bad binlog position '%s' (expected a "
				 "number >= 4)",
				 value);
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "gtid") == 0) {
		struct my_gtid_set *set = my_gtid_set_parse(value, err, errlen);

		if (!set)
			return -1;
		my_gtid_set_free(set);
		free(pos->gtid);
		if (!(pos->gtid = strdup(value)))
			goto oom;
		return 0;
	}
	snprintf(err, errlen,
		 "unknown key '%s' in a mysql checkpoint (expected file, pos "
		 "or gtid)",
		 key);
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ------------------------------------------------------------------ */
/* Pushing to the pipeline                                            */
/* ------------------------------------------------------------------ */

/*
 * The push calls block while the queue is full; the binlog stream needs no
 * answer meanwhile (the server waits on TCP; if it gives up, the session
 * reconnects after draining). Returns 0, or -1 when the pipeline stopped.
 */
static int
push_begin(struct my_source *ms)
{
	for (;;) {
		int r = rc_pipeline_begin(ms->pl, PUSH_WAIT_MS);

		if (r == 1)
			return 0;
		if (r < 0)
			return -1;
	}
}

static int
push_event(struct my_source *ms, struct rc_event *ev)
{
	for (;;) {
		int r = rc_pipeline_emit(ms->pl, ev, PUSH_WAIT_MS);

		if (r == 1)
			return 0;
		if (r < 0) {
			rc_event_free(ev);
			return -1;
		}
	}
}

static int
push_commit(struct my_source *ms, struct rc_pos *pos)
{
	for (;;) {
		int r = rc_pipeline_commit(ms->pl, pos, PUSH_WAIT_MS);

		if (r == 1)
			return 0;
		if (r < 0) {
			rc_pos_clear(pos);
			return -1;
		}
	}
}

/* Open the transaction in the pipeline if it is not yet. */
static int
ensure_txn(struct my_source *ms)
{
	if (ms->in_txn)
		return 0;
	if (push_begin(ms) < 0)
		return -1;
	ms->in_txn = 1;
	ms->txn_events = 0;
	return 0;
}

/*
 * The transaction ended at end_pos: fold its GTID into the set, push the
 * commit with the new position. A group that carried no captured change
 * still commits (an empty transaction), so the position moves on.
 */
static int
end_group(struct my_source *ms, uint64_t end_pos)
{
	struct rc_pos pos;

	if (ms->pending_gno > 0) {
		if (!ms->gtids && !(ms->gtids = my_gtid_set_new(MY_GTID_MYSQL)))
			goto oom;
		if (my_gtid_set_add_mysql(ms->gtids, ms->pending_uuid,
					  ms->pending_tag, ms->pending_gno) < 0)
			goto oom;
	}
	if (ms->have_pending_maria) {
		if (!ms->gtids &&
		    !(ms->gtids = my_gtid_set_new(MY_GTID_MARIADB)))
			goto oom;
		if (my_gtid_set_add_maria(ms->gtids, ms->pending_maria.domain,
					  ms->pending_maria.server_id,
					  ms->pending_maria.seq) < 0)
			goto oom;
	}
	ms->pending_gno = 0;
	ms->have_pending_maria = 0;
	ms->in_group = 0;
	ms->gtid_one[0] = '\0';
	/* table maps live for a statement; the shapes (and their schema
	 * versions) stay in ms->shapes */
	free_maps(ms);
	if (ensure_txn(ms) < 0)
		return -1;
	if (make_pos(ms, end_pos, &pos) < 0)
		goto oom;
	if (push_commit(ms, &pos) < 0)
		return -1;
	ms->in_txn = 0;
	return 0;
oom:
	set_err(ms, "out of memory");
	return -1;
}

/* A transaction starts (GTID or BEGIN) at start_pos. */
static void
start_group(struct my_source *ms, uint64_t start_pos, uint32_t ts)
{
	ms->in_group = 1;
	ms->txn_start = start_pos;
	ms->commit_ts_us = (int64_t)ts * 1000000;
	if (ms->gtid_one[0])
		snprintf(ms->txn_id, sizeof(ms->txn_id), "%s", ms->gtid_one);
	else
		snprintf(ms->txn_id, sizeof(ms->txn_id), "%" PRIu64 ":%" PRIu64,
			 file_seq(ms->file), start_pos);
}

/* ------------------------------------------------------------------ */
/* Table maps                                                         */
/* ------------------------------------------------------------------ */

static struct my_tmap *
find_map(struct my_source *ms, uint64_t table_id)
{
	for (int i = 0; i < ms->nmaps; i++)
		if (ms->maps[i].table_id == table_id)
			return &ms->maps[i];
	return NULL;
}

/*
 * The shape of captured table tc from a table map (a TABLE_MAP event's, or
 * one a snapshot built from information_schema): columns, key, topic, in
 * *tbl (a reference) with the tm column -> tbl column map in *colmap. An
 * unchanged shape is the table's current rc_table (and schema version); a
 * changed one (DDL) makes version+1. Returns 0, -1 fatal, SESS_CONFIG for
 * a configuration problem (lasterr set).
 */
static int
build_shape(struct my_source *ms, const struct my_tablemap *tm,
	    const struct rc_tablecfg *tc, struct rc_table **tblp, int **colmapp)
{
	char err[RC_ERRLEN];
	struct my_shape *shape = &ms->shapes[tc - ms->tables];
	struct rc_table *tbl = NULL;
	int *colmap = NULL, nout = 0, nconfkey = 0;

	if (!tm->has_names) {
		set_err(ms,
			"table %s.%s: the TABLE_MAP event carries no column "
			"names (fix: SET GLOBAL binlog_row_metadata=FULL and "
			"put binlog_row_metadata=FULL in my.cnf)",
			tm->db, tm->table);
		return SESS_CONFIG;
	}
	colmap = calloc((size_t)(tm->ncols ? tm->ncols : 1), sizeof(*colmap));
	if (!colmap)
		goto oom;
	for (int i = 0; i < tm->ncols; i++)
		colmap[i] = rc_name_in_list(tc->exclude, tm->cols[i].name)
				    ? -1
				    : nout++;
	tbl = rc_table_new(ms->base.name, tm->db, tm->db, tm->table, nout);
	if (!tbl || rc_tablecfg_name(tc, ms->prefix, tbl) < 0)
		goto oom;
	tbl->relid = (uint32_t)tm->table_id;
	tbl->on_error = tc->on_error;
	if (my_table_describe(tm, colmap, tbl, err, sizeof(err)) < 0) {
		set_err(ms, "table %s.%s: %s", tm->db, tm->table, err);
		goto fail;
	}
	/* a configured key replaces the primary key */
	for (int i = 0; tc->key && tc->key[i]; i++)
		nconfkey++;
	if (nconfkey) {
		int k = 0;

		for (int i = 0; i < tbl->ncols; i++)
			tbl->cols[i].flags &= ~(unsigned)RC_COL_KEY;
		for (int j = 0; tc->key[j]; j++)
			for (int i = 0; i < tbl->ncols; i++)
				if (!strcmp(tbl->cols[i].name, tc->key[j])) {
					tbl->cols[i].flags |= RC_COL_KEY;
					tbl->keys[k++] = i;
				}
		tbl->nkeys = k;
		if (k != nconfkey) {
			set_err(ms,
				"table %s.%s: key = %s names a column the "
				"table does not have (or an excluded one)",
				tm->db, tm->table, tc->key[0]);
			rc_table_unref(tbl);
			free(colmap);
			return SESS_CONFIG;
		}
	}
	if (shape->tbl && rc_table_same_shape(shape->tbl, tbl)) {
		rc_table_unref(tbl);
		tbl = rc_table_ref(shape->tbl);
	} else {
		if (shape->tbl) {
			tbl->version = shape->tbl->version + 1;
			rc_info_c(MY_COMP,
				  RC_LOG_TBL(ms->base.name, tm->db, tm->table),
				  "table %s.%s changed shape: schema "
				  "version %u, %d columns",
				  tm->db, tm->table, tbl->version, tbl->ncols);
		}
		rc_table_unref(shape->tbl);
		shape->tbl = rc_table_ref(tbl);
	}
	*tblp = tbl;
	*colmapp = colmap;
	return 0;
oom:
	set_err(ms, "out of memory");
fail:
	rc_table_unref(tbl);
	free(colmap);
	return -1;
}

/*
 * A TABLE_MAP: remember it under its table id, and for a captured table
 * build the shape (columns, key, topic). An unchanged shape keeps the
 * table's current rc_table (and schema version); a changed one (DDL) makes
 * version+1. Returns 0, -1 fatal, SESS_CONFIG for a configuration problem.
 */
static int
handle_table_map(struct my_source *ms, const struct my_event *ev)
{
	char err[RC_ERRLEN];
	struct my_tablemap *tm =
		my_tablemap_parse(&ms->fde, ev, err, sizeof(err));
	struct rc_tablecfg *tc;
	struct my_tmap *m;
	struct rc_table *tbl = NULL;
	int *colmap = NULL, r;

	if (!tm) {
		set_err(ms,
			"malformed TABLE_MAP event in %s at %" PRIu64 ": %s",
			ms->file, ms->pos, err);
		return -1;
	}
	m = find_map(ms, tm->table_id);
	if (!m) {
		struct my_tmap *g =
			realloc(ms->maps, sizeof(*g) * (size_t)(ms->nmaps + 1));
		if (!g)
			goto oom;
		ms->maps = g;
		m = &ms->maps[ms->nmaps++];
		memset(m, 0, sizeof(*m));
		m->table_id = tm->table_id;
	}
	my_tablemap_free(m->tm);
	rc_table_unref(m->tbl);
	free(m->colmap);
	m->tm = tm;
	m->tbl = NULL;
	m->colmap = NULL;

	tc = rc_tablecfg_find(ms->tables, ms->ntables, tm->db, tm->table);
	if (!tc)
		return 0;
	r = build_shape(ms, tm, tc, &tbl, &colmap);
	if (r != 0)
		return r;
	m->tbl = tbl;
	m->colmap = colmap;
	return 0;
oom:
	set_err(ms, "out of memory");
	return -1;
}

/* ------------------------------------------------------------------ */
/* Rows                                                               */
/* ------------------------------------------------------------------ */

/* Copy the binlog file name and the GTID into the event's arena once its
 * values are final, in ONE allocation, and point at them: a second copy
 * could move the arena (realloc) under the first pointer. */
static void
arena_src_strings(struct rc_event *ev, const char *file, const char *gtid)
{
	size_t lf = file && *file ? strlen(file) + 1 : 0;
	size_t lg = gtid && *gtid ? strlen(gtid) + 1 : 0;
	int64_t off;
	char *p;

	ev->src.file = NULL;
	ev->src.gtid = NULL;
	if (!lf && !lg)
		return;
	off = rc_event_alloc(ev, lf + lg);
	if (off < 0)
		return;
	p = rc_event_ptr(ev, off);
	if (lf) {
		memcpy(p, file, lf);
		ev->src.file = p;
	}
	if (lg) {
		memcpy(p + lf, gtid, lg);
		ev->src.gtid = p + lf;
	}
}

static int
handle_rows(struct my_source *ms, const struct my_event *ev, uint64_t at)
{
	char err[RC_ERRLEN];
	struct my_rows rows;
	struct my_tmap *m;

	if (my_rows_parse(&ms->fde, ev, &rows, err, sizeof(err)) < 0) {
		set_err(ms, "malformed %s event in %s at %" PRIu64 ": %s",
			my_event_type_name(ev->type), ms->file, at, err);
		return -1;
	}
	m = find_map(ms, rows.table_id);
	if (!m) {
		set_err(ms,
			"%s event in %s at %" PRIu64 " for table id %" PRIu64
			" without its TABLE_MAP",
			my_event_type_name(ev->type), ms->file, at,
			rows.table_id);
		return -1;
	}
	if (!m->tbl)
		return 0;
	if (!ms->in_group) /* rows outside a GTID/BEGIN (old servers) */
		start_group(ms, at, ev->timestamp);
	if (ensure_txn(ms) < 0)
		return -1;
	for (;;) {
		struct rc_event *rev = rc_event_new(rows.op, m->tbl);
		int r;

		if (!rev) {
			set_err(ms, "out of memory");
			return -1;
		}
		r = my_rows_next(&rows, m->tm, m->colmap, rev, err,
				 sizeof(err));
		if (r <= 0) {
			rc_event_free(rev);
			if (r == 0)
				return 0;
			set_err(ms,
				"table %s.%s: cannot decode row %u of the %s "
				"event in %s at %" PRIu64 ": %s",
				m->tm->db, m->tm->table, rows.row + 1,
				my_event_type_name(ev->type), ms->file, at,
				err);
			return -1;
		}
		rev->src.connector = "mysql";
		rev->src.commit_ts_us =
			ms->commit_ts_us ? ms->commit_ts_us
					 : (int64_t)ev->timestamp * 1000000;
		rev->src.txid = -1;
		rev->src.server_id = ev->server_id;
		rev->src.pos = at;
		rev->src.row = rows.row - 1;
		memcpy(rev->txn_id, ms->txn_id, sizeof(rev->txn_id));
		arena_src_strings(rev, ms->file, ms->gtid_one);
		ms->txn_events++;
		if (push_event(ms, rev) < 0)
			return -1;
	}
}

/* ------------------------------------------------------------------ */
/* Statements                                                         */
/* ------------------------------------------------------------------ */

static int
sql_is(const char *sql, size_t len, const char *word)
{
	size_t n = strlen(word);

	while (len > 0 && isspace((unsigned char)*sql)) {
		sql++;
		len--;
	}
	return len >= n && strncasecmp(sql, word, n) == 0 &&
	       (len == n || !isalnum((unsigned char)sql[n]));
}

/*
 * TRUNCATE [TABLE] [db.]name of a captured table: a 't' event. The
 * statement is the only trace of a truncate in a row-based binlog.
 */
static int
handle_truncate(struct my_source *ms, const struct my_query *q,
		const struct my_event *ev, uint64_t at)
{
	char db[RC_MAX_NAME], name[RC_MAX_NAME], word[2 * RC_MAX_NAME + 4];
	const char *p = q->sql, *end = q->sql + q->sql_len;
	struct rc_tablecfg *tc;
	struct rc_event *rev;
	size_t n = 0;

	while (p < end && isspace((unsigned char)*p))
		p++;
	p += 8; /* TRUNCATE */
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (end - p >= 5 && strncasecmp(p, "TABLE", 5) == 0 &&
	    (end - p == 5 || isspace((unsigned char)p[5]))) {
		p += 5;
		while (p < end && isspace((unsigned char)*p))
			p++;
	}
	while (p < end && !isspace((unsigned char)*p) && *p != ';' &&
	       n < sizeof(word) - 1)
		if (*p++ != '`')
			word[n++] = p[-1];
	word[n] = '\0';
	{
		char *dot = strchr(word, '.');

		if (dot) {
			*dot = '\0';
			snprintf(db, sizeof(db), "%.*s", (int)sizeof(db) - 1,
				 word);
			snprintf(name, sizeof(name), "%.*s",
				 (int)sizeof(name) - 1, dot + 1);
		} else {
			snprintf(db, sizeof(db), "%.*s", (int)q->db_len, q->db);
			snprintf(name, sizeof(name), "%.*s",
				 (int)sizeof(name) - 1, word);
		}
	}
	tc = rc_tablecfg_find(ms->tables, ms->ntables, db, name);
	if (!tc || !ms->shapes[tc - ms->tables].tbl)
		return 0; /* not captured, or no shape seen yet */
	if (ensure_txn(ms) < 0)
		return -1;
	rev = rc_event_new('t', ms->shapes[tc - ms->tables].tbl);
	if (!rev) {
		set_err(ms, "out of memory");
		return -1;
	}
	rev->src.connector = "mysql";
	rev->src.commit_ts_us = (int64_t)ev->timestamp * 1000000;
	rev->src.txid = -1;
	rev->src.server_id = ev->server_id;
	rev->src.pos = at;
	memcpy(rev->txn_id, ms->txn_id, sizeof(rev->txn_id));
	arena_src_strings(rev, ms->file, ms->gtid_one);
	return push_event(ms, rev);
}

/*
 * QUERY: BEGIN opens a group; COMMIT ends it (non-transactional engines);
 * anything else is DDL (or a statement-logged change, which a ROW binlog
 * does not have for data) and ends its group by itself.
 */
static int
handle_query(struct my_source *ms, const struct my_event *ev, uint64_t at,
	     uint64_t end)
{
	char err[RC_ERRLEN];
	struct my_query q;

	if (my_query_parse(&ms->fde, ev, &q, err, sizeof(err)) < 0) {
		set_err(ms, "malformed QUERY event in %s at %" PRIu64 ": %s",
			ms->file, at, err);
		return -1;
	}
	if (sql_is(q.sql, q.sql_len, "BEGIN") ||
	    sql_is(q.sql, q.sql_len, "XA START")) {
		if (!ms->in_group)
			start_group(ms, at, ev->timestamp);
		return 0;
	}
	if (sql_is(q.sql, q.sql_len, "COMMIT") ||
	    sql_is(q.sql, q.sql_len, "XA END") ||
	    sql_is(q.sql, q.sql_len, "XA COMMIT"))
		return ms->in_group || ms->in_txn ? end_group(ms, end) : 0;
	if (sql_is(q.sql, q.sql_len, "ROLLBACK")) {
		/* a group that was rolled back (non-transactional mix) */
		if (ms->in_txn) {
			while (rc_pipeline_abort(ms->pl, PUSH_WAIT_MS) == 0)
				;
			ms->in_txn = 0;
		}
		ms->in_group = 0;
		return 0;
	}
	/* DDL */
	rc_info_c(MY_COMP, RC_LOG_SRC(ms->base.name),
		  "DDL in %s at %" PRIu64 ": %.*s", ms->file, at,
		  (int)(q.sql_len > 200 ? 200 : q.sql_len), q.sql);
	if (!ms->in_group)
		start_group(ms, at, ev->timestamp);
	if (sql_is(q.sql, q.sql_len, "TRUNCATE") &&
	    handle_truncate(ms, &q, ev, at) < 0)
		return -1;
	/* a DDL statement commits on its own (and the transaction before
	 * it); in MariaDB a standalone group ends here too */
	return end_group(ms, end);
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                          */
/* ------------------------------------------------------------------ */

/*
 * The rows already in the tables, read online while the binlog streams
 * (see my_snapshot.h). The stream thread does everything, between
 * transactions:
 *
 *   1. read a chunk on the query connection: the next snapshot_chunk_size
 *      rows after the table's cursor, consistent with binlog position P;
 *      keep them as 'r' events (struct rc_snap_chunk);
 *   2. stream on until the stream's position reaches P (at once when it
 *      is there already): the transactions up to P are in the chunk and
 *      went to the pipeline before it, none after P has;
 *   3. push the chunk as a transaction of its own, committed at the
 *      stream's position with the snapshot state (the cursor after the
 *      chunk) in it, then read the next chunk.
 *
 * So memory is one chunk, the events of a row are never older than a
 * snapshot row that precedes them, and a restart resumes after the last
 * durable chunk (the cursor only moves in the position pushed with it).
 */

/* The query connection, opened and set up on first use. SESS_STOP, or a
 * session outcome with lasterr. */
static int
snap_conn(struct my_source *ms)
{
	char err[RC_ERRLEN], **row;
	unsigned long *lens;
	struct my_result *r;
	int transient = 1;

	if (ms->qconn)
		return SESS_STOP;
	ms->qconn = my_conn_open(&ms->opts, &transient, err, sizeof(err));
	if (!ms->qconn) {
		set_err(ms, "snapshot: cannot connect: %s", err);
		return transient ? SESS_RETRY : SESS_CONFIG;
	}
	if (my_snap_session(ms->qconn, err, sizeof(err)) < 0) {
		set_err(ms, "snapshot: cannot set up the session: %s", err);
		my_conn_close(ms->qconn);
		ms->qconn = NULL;
		return SESS_RETRY;
	}
	ms->snap_mariadb = my_conn_is_mariadb(ms->qconn);
	ms->snap_server_id = 0;
	if ((r = my_conn_query(ms->qconn, "SELECT @@server_id", err,
			       sizeof(err)))) {
		if (my_result_next(r, &row, &lens) == 1 && row[0])
			ms->snap_server_id =
				(uint32_t)strtoul(row[0], NULL, 10);
		my_result_free(r);
	}
	return SESS_STOP;
}

/* Free the finishers queued events can no longer use (all when the
 * pipeline thread is done, else all but the current one: a session starts
 * once the pipeline drained what the one before pushed). */
static void
snap_free_fins(struct my_source *ms, int all)
{
	struct my_snap_fin **pp = &ms->fins;

	while (*pp) {
		struct my_snap_fin *f = *pp;

		if (!all && f == ms->fin) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		my_snap_fin_free(f);
	}
	if (all)
		ms->fin = NULL;
}

/* Forget the kept table description (snap_describe); its finisher stays
 * until the pipeline drained the events that point at it. */
static void
snap_forget_desc(struct my_source *ms)
{
	my_snap_desc_clear(&ms->sd);
	ms->fin = NULL;
	rc_table_unref(ms->sd_tbl);
	ms->sd_tbl = NULL;
	free(ms->sd_colmap);
	ms->sd_colmap = NULL;
	ms->sd_tc = NULL;
	ms->sd_shape = 0;
	ms->sd_valid = 0;
}

/* Forget the open chunk (it will be read again). */
static void
snap_drop_chunk(struct my_source *ms)
{
	rc_snap_chunk_reset(&ms->chunk);
	rc_table_unref(ms->chunk_tbl);
	ms->chunk_tbl = NULL;
}

/* A failed query on the query connection: retry the session when that may
 * help (the connection is closed), else the user must fix it. */
static int
snap_fail(struct my_source *ms, int transient)
{
	snap_drop_chunk(ms);
	my_conn_close(ms->qconn);
	ms->qconn = NULL;
	return transient ? SESS_RETRY : SESS_CONFIG;
}

/* Step 1: read the next chunk of t. SESS_STOP or an outcome. */
static int
snap_read_chunk(struct my_source *ms, struct rc_snap_table *t)
{
	char err[RC_ERRLEN], **row, **key = NULL, txn_id[96];
	unsigned long *lens;
	struct my_snap_desc *d = &ms->sd;
	struct my_result *res = NULL;
	struct rc_tablecfg *tc;
	struct rc_table *tbl = NULL;
	struct rc_buf sql;
	int *colmap = NULL, r, rc = SESS_STOP, last = 1, opened = 0, got;
	int64_t limit = ms->snap->chunk_rows, n = 0;
	uint64_t shape;
	struct timespec now;

	rc_buf_init(&sql, RC_MAX_EVENT_BYTES);
	if ((rc = snap_conn(ms)) != SESS_STOP)
		return rc;
	tc = rc_tablecfg_find(ms->tables, ms->ntables, t->schema, t->name);
	if (!tc) /* not captured (any more): nothing to read */
		return rc_snap_advance(ms->snap, t, 0, NULL, 0, 1) < 0
			       ? SESS_FATAL
			       : SESS_STOP;
	if (my_snap_chunk_open(ms->qconn, ms->snap_mariadb, t->schema, t->name,
			       ms->chunk_file, sizeof(ms->chunk_file),
			       &ms->chunk_pos, err, sizeof(err)) < 0) {
		set_err(ms, "snapshot of %s.%s: %s", t->schema, t->name, err);
		rc = snap_fail(ms, my_conn_error_is_transient(
					   my_conn_errno(ms->qconn)));
		goto out;
	}
	opened = 1;
	/*
	 * The table's description from information_schema (a query per
	 * chunk was a tenth of a snapshot's time) is kept while the same
	 * table is read and the columns of SELECT * ... LIMIT 0 hash the
	 * same. That probe runs in the chunk's transaction, whose metadata
	 * lock on the table keeps DDL out until the chunk is read; on a
	 * change, the table is described again, in the same transaction.
	 */
	shape = 0;
	if (rc_buf_puts(&sql, "SELECT * FROM ") < 0 ||
	    my_snap_quote_ident(&sql, t->schema) < 0 ||
	    rc_buf_putc(&sql, '.') < 0 ||
	    my_snap_quote_ident(&sql, t->name) < 0 ||
	    rc_buf_puts(&sql, " LIMIT 0") < 0 || rc_buf_putc(&sql, 0) < 0)
		goto oom;
	if ((res = my_conn_query(ms->qconn, sql.data, err, sizeof(err)))) {
		shape = my_result_shape(res);
		my_result_free(res);
		res = NULL;
	}
	rc_buf_reset(&sql);
	if (ms->sd_valid &&
	    (!shape || shape != ms->sd_shape || ms->sd_tc != tc ||
	     strcmp(ms->fin->d.tm->db, t->schema) ||
	     strcmp(ms->fin->d.tm->table, t->name)))
		snap_forget_desc(ms);
	if (!ms->sd_valid) {
		struct my_snap_fin *f;

		d = &ms->sd;
		r = my_snap_describe(ms->qconn, t->schema, t->name, d, err,
				     sizeof(err));
		if (r != 0) {
			set_err(ms, "snapshot of %s.%s: %s", t->schema, t->name,
				err);
			rc = r > 0 ? SESS_CONFIG
				   : snap_fail(ms, my_conn_error_is_transient(
							   my_conn_errno(
								   ms->qconn)));
			goto out;
		}
		if ((r = build_shape(ms, d->tm, tc, &ms->sd_tbl,
				     &ms->sd_colmap)) != 0) {
			rc = r == -1 ? SESS_FATAL : r;
			goto out;
		}
		/* the description goes to the finisher of the chunks' rows
		 * (made into values in the pipeline thread) */
		if (!(f = my_snap_fin_new(d, ms->sd_colmap, ms->sd_tbl->ncols)))
			goto oom;
		f->next = ms->fins;
		ms->fins = ms->fin = f;
		ms->sd_tc = tc;
		ms->sd_shape = shape; /* 0: described again next time */
		ms->sd_valid = 1;
	}
	d = &ms->fin->d;
	tbl = rc_table_ref(ms->sd_tbl);
	colmap = ms->sd_colmap;
	if (!rc_snap_begun(t))
		rc_snap_begin(ms->snap, t,
			      my_snap_estimate(ms->qconn, t->schema, t->name));
	if (my_snap_select_sql(d, t->cursor, t->ncursor, limit + 1, &sql) < 0) {
		set_err(ms,
			"snapshot of %s.%s: cannot build the query (a "
			"cursor that does not fit the key?)",
			t->schema, t->name);
		rc = SESS_FATAL;
		goto out;
	}
	/* streamed: the server sends while the rows are converted; the
	 * chunk's transaction ends once they are all read */
	res = my_conn_query_stream(ms->qconn, sql.data, err, sizeof(err));
	if (!res) {
		set_err(ms, "snapshot of %s.%s: %s", t->schema, t->name, err);
		rc = snap_fail(ms, my_conn_error_is_transient(
					   my_conn_errno(ms->qconn)));
		goto out;
	}
	if (my_result_ncols(res) != (unsigned)(d->tm->ncols + d->nextra)) {
		set_err(ms,
			"snapshot of %s.%s: the table changed while it "
			"was read",
			t->schema, t->name);
		rc = SESS_RETRY;
		goto out;
	}
	/*
	 * No key set: the chunk is the table at its binlog position and
	 * goes out when the stream is exactly there, so no change of the
	 * stream ever overtakes it and no row is dropped from it (the
	 * watermark chunks of PostgreSQL need one; hashing every row's key
	 * was a twentieth of the snapshot's time).
	 */
	snap_drop_chunk(ms);
	if (rc_snap_chunk_begin(&ms->chunk, t, NULL, 0) < 0)
		goto oom;
	ms->chunk_tbl = rc_table_ref(tbl);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(txn_id, sizeof(txn_id), "snapshot:%s.%s:%llu", t->schema,
		 t->name, (unsigned long long)(t->rows / (uint64_t)limit + 1));
	while ((got = my_result_next(res, &row, &lens)) == 1) {
		struct rc_event *ev;

		if (n == limit) {
			last = 0; /* one row more than a chunk: not the end */
			break;
		}
		if (!(ev = rc_event_new('r', tbl)))
			goto oom;
		if (my_snap_row_raw(ev, ms->fin, colmap, row, lens, err,
				    sizeof(err)) < 0) {
			rc_event_free(ev);
			set_err(ms, "snapshot of %s.%s: %s", t->schema, t->name,
				err);
			rc = SESS_FATAL;
			goto out;
		}
		ev->src.connector = "mysql";
		ev->src.commit_ts_us =
			(int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
		ev->src.txid = -1;
		ev->src.server_id = ms->snap_server_id;
		ev->src.pos = ms->chunk_pos;
		ev->src.row = 0;
		memcpy(ev->txn_id, txn_id, sizeof(ev->txn_id));
		arena_src_strings(ev, ms->chunk_file, NULL);
		if (rc_snap_chunk_add(&ms->chunk, ev) < 0)
			goto oom;
		n++;
		if (n == limit) {
			for (int k = 0; key && k < d->npk; k++)
				free(key[k]);
			free(key);
			key = NULL;
			if (my_snap_cursor(d, row, lens, &key) < 0)
				goto oom;
		}
	}
	if (got < 0) {
		set_err(ms, "snapshot of %s.%s: %s", t->schema, t->name,
			my_result_error(res));
		my_result_free(res);
		res = NULL;
		rc = snap_fail(ms, 1);
		goto out;
	}
	my_result_free(res); /* reads what is left */
	res = NULL;
	if (my_snap_chunk_close(ms->qconn, ms->snap_mariadb, err, sizeof(err)) <
	    0) {
		set_err(ms, "snapshot of %s.%s: %s", t->schema, t->name, err);
		rc = snap_fail(ms, my_conn_error_is_transient(
					   my_conn_errno(ms->qconn)));
		goto out;
	}
	opened = 0;
	if (last && n > 0) {
		/* the table's last rows: the cursor no longer matters */
	}
	if (rc_snap_chunk_set_end(&ms->chunk, key, key ? d->npk : 0, last) < 0)
		goto oom;
	rc_snap_throttle(ms->snap, (uint64_t)n, 500);
	goto out;
oom:
	set_err(ms, "out of memory");
	rc = SESS_FATAL;
out:
	if (rc != SESS_STOP)
		snap_drop_chunk(ms);
	my_result_free(res); /* before anything else is sent */
	if (opened && ms->qconn)
		my_snap_chunk_close(ms->qconn, ms->snap_mariadb, NULL, 0);
	for (int k = 0; key && k < d->npk; k++)
		free(key[k]);
	free(key);
	rc_buf_free(&sql);
	rc_table_unref(tbl);
	(void)colmap; /* borrowed from ms->sd_colmap */
	if (rc != SESS_STOP)
		snap_forget_desc(ms);
	return rc;
}

static int
snap_emit(void *ctx, struct rc_event *ev)
{
	return push_event(ctx, ev);
}

/* Step 3: the chunk as a transaction of its own, at the stream's
 * position, carrying the snapshot state. SESS_STOP or an outcome. */
static int
snap_push_chunk(struct my_source *ms)
{
	struct rc_snap_table *t = ms->chunk.t;
	uint64_t rows = ms->chunk.live;
	struct rc_pos pos;
	int oom = 0;

	if (ensure_txn(ms) < 0)
		return SESS_FATAL;
	if (rc_snap_chunk_emit(&ms->chunk, snap_emit, ms) != 0)
		return SESS_FATAL;
	if (rc_snap_advance(ms->snap, t, rows, ms->chunk.last_key,
			    ms->chunk.nlast_key, ms->chunk.last) < 0 ||
	    make_pos(ms, ms->pos, &pos) < 0)
		goto oom;
	pos.snap = rc_snap_take_text(ms->snap, &oom);
	if (oom) {
		rc_pos_clear(&pos);
		goto oom;
	}
	snap_drop_chunk(ms);
	if (push_commit(ms, &pos) < 0)
		return SESS_FATAL;
	ms->in_txn = 0;
	rc_snap_report(ms->snap, 0);
	return SESS_STOP;
oom:
	set_err(ms, "out of memory");
	return SESS_FATAL;
}

/*
 * Configuration reloaded (SIGHUP) with more tables: capture them from
 * here on, and snapshot them (unless snapshot = never). Tables that do
 * not exist or have no primary key are left out with a warning; other
 * changes need a restart. SESS_STOP or an outcome.
 */
static int
snap_reload(struct my_source *ms)
{
	const struct rc_config *cfg = NULL;
	const struct rc_conf_section *sec =
		rc_pipeline_take_reload(ms->pl, &cfg);
	struct rc_tablecfg *nt = NULL;
	char err[RC_ERRLEN];
	int nn = 0, rc;

	if (!sec)
		return SESS_STOP;
	snap_forget_desc(ms); /* the tables may move */
	if (rc_tablecfg_load(cfg, sec, NULL, &nt, &nn, err, sizeof(err)) < 0) {
		rc_warn_c(MY_COMP, RC_LOG_SRC(ms->base.name),
			  "configuration reloaded: tables not changed: %s",
			  err);
		return SESS_STOP;
	}
	if ((rc = snap_conn(ms)) != SESS_STOP) {
		rc_tablecfg_free(nt, nn);
		return rc;
	}
	for (int i = 0; i < nn; i++) {
		struct rc_tablecfg *g;
		struct my_shape *sh;
		int ex, pk = 0;

		if (rc_tablecfg_find(ms->tables, ms->ntables, nt[i].schema,
				     nt[i].name))
			continue;
		ex = my_conn_table_exists(ms->qconn, nt[i].schema, nt[i].name,
					  err, sizeof(err));
		if (ex == 1)
			pk = my_conn_table_has_pk(ms->qconn, nt[i].schema,
						  nt[i].name, err, sizeof(err));
		if (ex != 1 || (pk != 1 && !nt[i].key)) {
			rc_warn_c(MY_COMP, RC_LOG_SRC(ms->base.name),
				  "configuration reloaded: table %s.%s is not "
				  "captured: %s",
				  nt[i].schema, nt[i].name,
				  ex < 0 || pk < 0 ? err
				  : ex == 0	   ? "it does not exist"
						   : "it has no primary key");
			continue;
		}
		g = realloc(ms->tables, sizeof(*g) * (size_t)(ms->ntables + 1));
		if (!g)
			goto oom;
		ms->tables = g;
		sh = realloc(ms->shapes,
			     sizeof(*sh) * (size_t)(ms->ntables + 1));
		if (!sh)
			goto oom;
		ms->shapes = sh;
		ms->tables[ms->ntables] = nt[i];
		memset(&nt[i], 0, sizeof(nt[i])); /* moved */
		ms->shapes[ms->ntables].tbl = NULL;
		ms->ntables++;
		for (int k = 0; k < ms->ntables; k++)
			ms->shapes[k].tc = &ms->tables[k];
		/* the open chunk points into the snapshot's table array */
		snap_drop_chunk(ms);
		if (!rc_snap_add_table(ms->snap,
				       ms->tables[ms->ntables - 1].schema,
				       ms->tables[ms->ntables - 1].name))
			goto oom;
		rc_pipeline_declare_table(ms->pl,
					  ms->tables[ms->ntables - 1].schema,
					  ms->tables[ms->ntables - 1].name);
		rc_info_c(MY_COMP, RC_LOG_SRC(ms->base.name),
			  "configuration reloaded: capturing table %s.%s%s",
			  ms->tables[ms->ntables - 1].schema,
			  ms->tables[ms->ntables - 1].name,
			  ms->snap->mode == RC_SNAP_NEVER
				  ? ""
				  : " (its rows are snapshotted)");
	}
	rc_tablecfg_free(nt, nn);
	return SESS_STOP;
oom:
	rc_tablecfg_free(nt, nn);
	set_err(ms, "out of memory");
	return SESS_FATAL;
}

/*
 * Between transactions of the stream: about once a second the requests
 * (`rowcast snapshot`), a reloaded configuration and the progress; then
 * at most one unit of snapshot work: push the open chunk once the stream
 * reached its position, or read the next one. *worked says whether it did
 * something (the caller goes on with snapshot work while the stream is
 * quiet). SESS_STOP or an outcome.
 */
static int
snap_step(struct my_source *ms, int *worked)
{
	int64_t now = rc_mono_ms();
	struct rc_snap_table *t;
	int rc;

	*worked = 0;
	if (now - ms->snap_poll_ms >= 1000) {
		ms->snap_poll_ms = now;
		if ((rc = snap_reload(ms)) != SESS_STOP)
			return rc;
		if (rc_snap_poll_requests(ms->snap,
					  rc_pipeline_state_dir(ms->pl)) > 0) {
			/* a table asked for again may be the open chunk's */
			snap_drop_chunk(ms);
		}
		rc_snap_report(ms->snap, 0);
	}
	if (!rc_snap_chunk_open(&ms->chunk)) {
		if (!(t = rc_snap_next(ms->snap)))
			return SESS_STOP;
		*worked = 1;
		if ((rc = snap_read_chunk(ms, t)) != SESS_STOP ||
		    !rc_snap_chunk_open(&ms->chunk))
			return rc;
		if (my_snap_pos_cmp(ms->file, ms->pos, ms->chunk_file,
				    ms->chunk_pos) > 0) {
			/* the stream already passed on transactions the
			 * chunk does not contain (written to the binlog but
			 * not yet visible when it was read): read it again */
			snap_drop_chunk(ms);
			return SESS_STOP;
		}
	}
	/* checked again right after the read: when the stream is already at
	 * the chunk's position, the chunk must go out before the next event
	 * (which is past that position) */
	if (my_snap_pos_cmp(ms->file, ms->pos, ms->chunk_file, ms->chunk_pos) <
	    0)
		return SESS_STOP; /* the stream is not there yet */
	*worked = 1;
	return snap_push_chunk(ms);
}

/* ------------------------------------------------------------------ */
/* The event loop                                                     */
/* ------------------------------------------------------------------ */

static int handle_event(struct my_source *ms, const struct my_event *ev,
			uint64_t at, uint64_t end);

/* TRANSACTION_PAYLOAD: the inner events, positioned at the outer event. */
static int
handle_payload(struct my_source *ms, const struct my_event *ev, uint64_t at,
	       uint64_t end)
{
	char err[RC_ERRLEN];
	struct my_payload pl;
	struct my_event inner;
	int r, rc = 0;

	if (my_payload_open(ev, &pl, err, sizeof(err)) < 0) {
		set_err(ms,
			"malformed TRANSACTION_PAYLOAD event in %s at %" PRIu64
			": %s",
			ms->file, at, err);
		return -1;
	}
	while ((r = my_payload_next(&pl, &ms->fde, &inner, err, sizeof(err))) ==
	       1) {
		rc = handle_event(ms, &inner, at, end);
		my_event_clear(&inner);
		if (rc != 0)
			break;
	}
	if (r < 0 && rc == 0) {
		set_err(ms,
			"malformed event inside the TRANSACTION_PAYLOAD in %s "
			"at %" PRIu64 ": %s",
			ms->file, at, err);
		rc = -1;
	}
	my_payload_close(&pl);
	return rc;
}

/*
 * One event. at = where it starts in the current file, end = where the
 * next one starts (the position a transaction ending here commits at).
 * Returns 0, -1 fatal (lasterr), SESS_CONFIG.
 */
static int
handle_event(struct my_source *ms, const struct my_event *ev, uint64_t at,
	     uint64_t end)
{
	char err[RC_ERRLEN];

	switch (ev->type) {
	case MY_FORMAT_DESCRIPTION:
		if (my_fde_parse(ev, &ms->fde, err, sizeof(err)) < 0) {
			set_err(ms, "malformed FORMAT_DESCRIPTION event: %s",
				err);
			return -1;
		}
		return 0;
	case MY_ROTATE: {
		char name[256];
		uint64_t pos;

		if (my_rotate_parse(ev, &pos, name, sizeof(name), err,
				    sizeof(err)) < 0) {
			set_err(ms, "malformed ROTATE event: %s", err);
			return -1;
		}
		if (strcmp(name, ms->file) != 0)
			rc_info_c(MY_COMP, RC_LOG_SRC(ms->base.name),
				  "binlog %s at %" PRIu64, name, pos);
		snprintf(ms->file, sizeof(ms->file), "%s", name);
		ms->pos = pos;
		return 0;
	}
	case MY_GTID:
	case MY_ANONYMOUS_GTID:
	case MY_GTID_TAGGED: {
		struct my_gtid g;

		if (my_gtid_parse(ev, &g, err, sizeof(err)) < 0) {
			set_err(ms, "malformed GTID event: %s", err);
			return -1;
		}
		ms->pending_gno = g.anonymous ? 0 : g.gno;
		if (!g.anonymous) {
			memcpy(ms->pending_uuid, g.uuid, 16);
			snprintf(ms->pending_tag, sizeof(ms->pending_tag), "%s",
				 g.tag);
			my_gtid_format_one_mysql(g.uuid, g.tag, g.gno,
						 ms->gtid_one,
						 sizeof(ms->gtid_one));
		} else {
			ms->gtid_one[0] = '\0';
		}
		start_group(ms, at, ev->timestamp);
		if (g.commit_ts_us)
			ms->commit_ts_us = g.commit_ts_us;
		return 0;
	}
	case MY_MARIA_GTID: {
		struct my_maria_gtid g;

		if (my_maria_gtid_parse(ev, &g, err, sizeof(err)) < 0) {
			set_err(ms, "malformed MariaDB GTID event: %s", err);
			return -1;
		}
		ms->pending_maria = g;
		ms->have_pending_maria = 1;
		snprintf(ms->gtid_one, sizeof(ms->gtid_one),
			 "%" PRIu32 "-%" PRIu32 "-%" PRIu64, g.domain,
			 g.server_id, g.seq);
		ms->maria_standalone = (g.flags & MY_MARIA_FL_STANDALONE) != 0;
		start_group(ms, at, ev->timestamp);
		return 0;
	}
	case MY_QUERY:
		return handle_query(ms, ev, at, end);
	case MY_XID:
		return end_group(ms, end);
	case MY_TABLE_MAP:
		return handle_table_map(ms, ev);
	case MY_WRITE_ROWS_V1:
	case MY_UPDATE_ROWS_V1:
	case MY_DELETE_ROWS_V1:
	case MY_WRITE_ROWS_V2:
	case MY_UPDATE_ROWS_V2:
	case MY_DELETE_ROWS_V2:
	case MY_PARTIAL_UPDATE_ROWS:
		return handle_rows(ms, ev, at);
	case MY_TRANSACTION_PAYLOAD:
		return handle_payload(ms, ev, at, end);
	default:
		/* HEARTBEAT, PREVIOUS_GTIDS, GTID_LIST, BINLOG_CHECKPOINT,
		 * ROWS_QUERY, ANNOTATE_ROWS, STOP, and events rowcast has no
		 * use for: skipped by their length */
		return 0;
	}
}

/* Nothing is open and the stream is at the current position: once what
 * came before is durable, this position is too (an idle server must not
 * leave the checkpoint behind). */
static void
note_idle(struct my_source *ms)
{
	struct rc_pos pos;

	if (ms->in_txn || ms->in_group || !ms->file[0])
		return;
	if (make_pos(ms, ms->pos, &pos) < 0)
		return;
	if (rc_pipeline_idle(ms->pl, &pos, 0) != 1)
		rc_pos_clear(&pos);
}

/* Abort the open transaction (it will be read again) and drain. */
static int
stop_stream(struct my_source *ms)
{
	if (ms->in_txn) {
		while (rc_pipeline_abort(ms->pl, PUSH_WAIT_MS) == 0)
			;
		ms->in_txn = 0;
	}
	while (rc_pipeline_wait_drained(ms->pl, 200) == 0)
		;
	return SESS_STOP;
}

static int
stream(struct my_source *ms)
{
	int64_t last_idle = rc_mono_ms();

	for (;;) {
		char err[RC_ERRLEN];
		const uint8_t *buf;
		struct my_event ev;
		unsigned server_errno = 0;
		size_t len;
		uint64_t at, end;
		int r;

		if (rc_pipeline_stopping(ms->pl))
			return stop_stream(ms);
		if (!ms->in_txn && !ms->in_group) {
			int worked;

			r = snap_step(ms, &worked);
			if (r != SESS_STOP) {
				if (r == SESS_FATAL &&
				    rc_pipeline_stopping(ms->pl))
					return stop_stream(ms);
				return r;
			}
			/* more snapshot work while the stream is quiet */
			if (worked && !my_conn_stream_pending(ms->conn))
				continue;
		}
		r = my_conn_read_event(ms->conn, &buf, &len, &server_errno, err,
				       sizeof(err));
		if (r == 0) {
			set_err(ms, "the server ended the binlog stream");
			return SESS_RETRY;
		}
		if (r < 0) {
			if (server_errno == MY_ER_BINLOG_READ) {
				set_err(ms,
					"the server cannot send the binlog "
					"from %s at %" PRIu64 ": %s (if the "
					"binlog was purged, the changes in it "
					"are lost to rowcast: re-snapshot the "
					"tables, or remove the checkpoint to "
					"start from the current position)",
					ms->file, ms->pos, err);
				return SESS_CONFIG;
			}
			set_err(ms, "binlog stream: %s", err);
			return my_conn_error_is_transient(server_errno)
				       ? SESS_RETRY
				       : SESS_CONFIG;
		}
		if (my_event_parse(&ms->fde, buf, len, &ev, err, sizeof(err)) <
		    0) {
			set_err(ms,
				"malformed binlog event in %s after %" PRIu64
				": %s",
				ms->file, ms->pos, err);
			return SESS_FATAL;
		}
		/* where the event starts and ends in the current file */
		end = ev.log_pos ? ev.log_pos : ms->pos;
		at = ev.log_pos >= ev.event_len ? ev.log_pos - ev.event_len
						: ms->pos;
		r = handle_event(ms, &ev, at, end);
		my_event_clear(&ev);
		if (r != 0) {
			if (r == -1 && rc_pipeline_stopping(ms->pl) &&
			    !ms->base.lasterr[0])
				return stop_stream(ms);
			return r == SESS_CONFIG ? SESS_CONFIG : SESS_FATAL;
		}
		if (ev.type != MY_ROTATE && ev.type != MY_HEARTBEAT &&
		    ev.type != MY_HEARTBEAT_V2 && ev.log_pos &&
		    !(ev.flags & MY_EVENT_F_ARTIFICIAL))
			ms->pos = ev.log_pos;
		/* a heartbeat, the end of a file (ROTATE, STOP) or a second
		 * of events outside any captured transaction: the position
		 * is worth confirming once what came before is durable */
		if (ev.type == MY_HEARTBEAT || ev.type == MY_HEARTBEAT_V2 ||
		    ev.type == MY_STOP ||
		    (ev.type == MY_ROTATE &&
		     !(ev.flags & MY_EVENT_F_ARTIFICIAL)) ||
		    rc_mono_ms() - last_idle > 1000) {
			note_idle(ms);
			last_idle = rc_mono_ms();
		}
	}
}

/* ------------------------------------------------------------------ */
/* Sessions                                                           */
/* ------------------------------------------------------------------ */

static int
check_server(struct my_source *ms)
{
	struct my_finding f[16];
	char err[RC_ERRLEN];
	size_t n = 0;
	int r = my_conn_check(ms->conn, ms->use_gtid, f, 16, &n, err,
			      sizeof(err));

	if (r < 0) {
		set_err(ms, "cannot check the server: %s", err);
		return SESS_RETRY;
	}
	for (size_t i = 0; i < n && i < 16; i++)
		if (!f[i].fatal && !f[i].advice)
			rc_warn_c(MY_COMP, RC_LOG_SRC(ms->base.name), "%s (%s)",
				  f[i].what, f[i].fix);
	if (r == 1) {
		struct rc_buf b;

		rc_buf_init(&b, sizeof(ms->base.lasterr));
		for (size_t i = 0; i < n && i < 16; i++)
			if (f[i].fatal)
				rc_buf_printf(&b, "%s%s (fix: %s)",
					      b.len ? "; " : "", f[i].what,
					      f[i].fix);
		set_err(ms, "%s", b.data ? b.data : "server check failed");
		rc_buf_free(&b);
		return SESS_CONFIG;
	}
	for (int i = 0; i < ms->ntables; i++) {
		r = my_conn_table_exists(ms->conn, ms->tables[i].schema,
					 ms->tables[i].name, err, sizeof(err));
		if (r < 0) {
			set_err(ms, "cannot look up table %s.%s: %s",
				ms->tables[i].schema, ms->tables[i].name, err);
			return SESS_RETRY;
		}
		if (r == 0) {
			set_err(ms, "table %s.%s does not exist (fix: %s)",
				ms->tables[i].schema, ms->tables[i].name,
				MY_FIX_NO_TABLE);
			return SESS_CONFIG;
		}
	}
	return SESS_STOP;
}

/*
 * Where to start: the confirmed position (checkpoint or this run), else the
 * server's current head, made durable at once so that a restart before the
 * first change cannot start later than this run did.
 */
static int
start_position(struct my_source *ms)
{
	struct rc_pos pos = {0};
	char err[RC_ERRLEN];
	int r;

	my_gtid_set_free(ms->gtids);
	ms->gtids = NULL;
	if (rc_pipeline_confirmed(ms->pl, &pos) == 0 && pos.file) {
		snprintf(ms->file, sizeof(ms->file), "%s", pos.file);
		ms->pos = pos.offset;
		if (pos.gtid && !(ms->gtids = my_gtid_set_parse(pos.gtid, err,
								sizeof(err)))) {
			set_err(ms, "checkpoint GTID set: %s", err);
			rc_pos_clear(&pos);
			return SESS_CONFIG;
		}
		rc_pos_clear(&pos);
		r = my_conn_binlog_exists(ms->conn, ms->file, err, sizeof(err));
		if (r < 0) {
			set_err(ms, "cannot list the binlogs: %s", err);
			return SESS_RETRY;
		}
		if (r == 0 && ms->snap->mode == RC_SNAP_WHEN_NEEDED) {
			rc_warn_c(MY_COMP, RC_LOG_SRC(ms->base.name),
				  "binlog %s, where rowcast stopped (offset "
				  "%" PRIu64 "), %s; snapshot = when_needed: "
				  "streaming from the current position and "
				  "snapshotting every table again",
				  ms->file, ms->pos, MY_PURGED);
			rc_snap_restart_all(ms->snap);
			my_gtid_set_free(ms->gtids);
			ms->gtids = NULL;
			goto head;
		}
		if (r == 0) {
			set_err(ms,
				"binlog %s, where rowcast stopped (offset "
				"%" PRIu64 "), %s (fix: %s)",
				ms->file, ms->pos, MY_PURGED, MY_FIX_PURGED);
			return SESS_CONFIG;
		}
		return SESS_STOP;
	}
	rc_pos_clear(&pos);
head:
	if (my_conn_binlog_head(ms->conn, ms->file, sizeof(ms->file), &ms->pos,
				err, sizeof(err)) < 0) {
		set_err(ms, "cannot read the current binlog position: %s", err);
		return SESS_RETRY;
	}
	ms->gtids = my_conn_gtid_executed(ms->conn, err, sizeof(err));
	rc_info_c(MY_COMP, RC_LOG_SRC(ms->base.name),
		  "no checkpoint: streaming from the current binlog "
		  "position %s:%" PRIu64,
		  ms->file, ms->pos);
	if (make_pos(ms, ms->pos, &pos) < 0) {
		set_err(ms, "out of memory");
		return SESS_FATAL;
	}
	/* with the snapshot state (tables pending), so that a restart
	 * before the first chunk still snapshots them */
	{
		int oom = 0;

		pos.snap = rc_snap_take_text(ms->snap, &oom);
		if (oom) {
			rc_pos_clear(&pos);
			set_err(ms, "out of memory");
			return SESS_FATAL;
		}
	}
	for (;;) {
		r = rc_pipeline_idle(ms->pl, &pos, PUSH_WAIT_MS);
		if (r == 1)
			break;
		if (r < 0) {
			rc_pos_clear(&pos);
			return SESS_STOP;
		}
	}
	while ((r = rc_pipeline_wait_drained(ms->pl, 200)) == 0)
		;
	return SESS_STOP;
}

static int
session(struct my_source *ms)
{
	char err[RC_ERRLEN];
	int transient = 1, rc;

	ms->base.lasterr[0] = '\0';
	snap_free_fins(ms, 0);
	rc_pipeline_set_state(ms->pl, RC_SRC_CONNECTING);
	ms->conn = my_conn_open(&ms->opts, &transient, err, sizeof(err));
	if (!ms->conn) {
		set_err(ms, "cannot connect: %s", err);
		return transient ? SESS_RETRY : SESS_CONFIG;
	}
	if ((rc = check_server(ms)) != SESS_STOP)
		return rc;
	if ((rc = start_position(ms)) != SESS_STOP)
		return rc;
	if (rc_pipeline_stopping(ms->pl))
		return SESS_STOP;
	my_fde_init(&ms->fde);
	free_maps(ms);
	ms->in_txn = ms->in_group = 0;
	ms->pending_gno = 0;
	ms->have_pending_maria = 0;
	ms->gtid_one[0] = '\0';
	if (my_conn_start_dump(ms->conn, ms->file, ms->pos,
			       ms->use_gtid ? ms->gtids : NULL, &transient, err,
			       sizeof(err)) < 0) {
		set_err(ms, "cannot start the binlog stream: %s", err);
		return transient ? SESS_RETRY : SESS_CONFIG;
	}
	rc_pipeline_set_state(ms->pl, RC_SRC_STREAMING);
	rc_info_c(MY_COMP, RC_LOG_SRC(ms->base.name),
		  "streaming %s %s from %s:%" PRIu64 "%s%s",
		  my_conn_is_mariadb(ms->conn) ? "MariaDB" : "MySQL",
		  my_conn_server_version(ms->conn), ms->file, ms->pos,
		  ms->use_gtid ? " by GTID" : "", "");
	return stream(ms);
}

static void
close_session(struct my_source *ms)
{
	my_conn_close(ms->conn);
	ms->conn = NULL;
	my_conn_close(ms->qconn);
	ms->qconn = NULL;
	snap_drop_chunk(ms); /* read again at the next session */
	free_maps(ms);
}

static int
session_cb(void *ctx)
{
	return session(ctx);
}

static void
close_cb(void *ctx)
{
	close_session(ctx);
}

/* ------------------------------------------------------------------ */
/* Lag in bytes (metrics)                                             */
/* ------------------------------------------------------------------ */

/* How often the binlog distance is measured. */
#define LAG_INTERVAL_MS 5000

/*
 * The lag thread: every LAG_INTERVAL_MS, a short connection of its own
 * (the stream's connection is busy with the dump) asks SHOW BINARY LOGS
 * how many binlog bytes follow the confirmed position, across files. It
 * never touches the stream, so a slow answer delays nothing. Unknown (-1)
 * while nothing is confirmed or the server cannot be reached.
 * @locality its own thread; reads ms->opts (constant) and the pipeline's
 *           confirmed position (thread-safe)
 */
static void *
lag_main(void *arg)
{
	struct my_source *ms = arg;
	int64_t next = 0;

	pthread_setname_np(pthread_self(), "rc-mysql-lag");

	while (!atomic_load(&ms->lag_stop) && !rc_pipeline_stopping(ms->pl)) {
		struct timespec ts = {0, 100 * 1000000L};
		char err[RC_ERRLEN];
		struct rc_pos pos;
		struct my_conn *c;
		int64_t behind = -1;
		int transient;

		if (rc_mono_ms() < next) {
			nanosleep(&ts, NULL);
			continue;
		}
		next = rc_mono_ms() + LAG_INTERVAL_MS;
		if (rc_pipeline_confirmed(ms->pl, &pos) != 0 || !pos.file) {
			rc_pos_clear(&pos);
			rc_pipeline_set_lag_bytes(ms->pl, -1);
			continue;
		}
		c = my_conn_open(&ms->opts, &transient, err, sizeof(err));
		if (c) {
			behind = my_conn_binlog_behind(c, pos.file, pos.offset,
						       err, sizeof(err));
			my_conn_close(c);
		}
		if (behind == -1)
			rc_debug(MY_COMP, "source %s: binlog lag unknown: %s",
				 ms->base.name, err);
		rc_pipeline_set_lag_bytes(ms->pl, behind < 0 ? -1 : behind);
		rc_pos_clear(&pos);
	}
	return NULL;
}

static void
lag_start(struct my_source *ms)
{
	atomic_store(&ms->lag_stop, 0);
	ms->lag_started =
		pthread_create(&ms->lag_thread, NULL, lag_main, ms) == 0;
	if (!ms->lag_started)
		rc_warn(MY_COMP,
			"source %s: cannot start the lag thread; "
			"rowcast_source_lag_bytes stays unknown",
			ms->base.name);
}

static void
lag_join(struct my_source *ms)
{
	if (!ms->lag_started)
		return;
	atomic_store(&ms->lag_stop, 1);
	pthread_join(ms->lag_thread, NULL);
	ms->lag_started = 0;
}

/*
 * The source thread: sessions until asked to stop (rc_pipeline_run_
 * sessions: a lost connection aborts the open transaction, lets the
 * pipeline drain, and reconnects with backoff from the confirmed
 * position), with the lag thread of the metrics beside it.
 */
static int
my_run(struct rc_source *src, struct rc_pipeline *pl,
       const struct rc_pos *start)
{
	struct my_source *ms = (struct my_source *)src;
	int rc;

	char err[RC_ERRLEN];

	/* the pipeline starts confirmed at the checkpoint; its snapshot
	 * lines say which tables still need a snapshot */
	ms->pl = pl;
	if (rc_snap_plan(ms->snap, start ? start->snap : NULL, start != NULL,
			 ms->tables, ms->ntables, err, sizeof(err)) < 0) {
		set_err(ms, "checkpoint: %s", err);
		return RC_SOURCE_CONFIG;
	}
	rc_snap_set_metrics(ms->snap, rc_pipeline_metrics(pl));
	for (int i = 0; i < ms->ntables; i++)
		rc_pipeline_declare_table(pl, ms->tables[i].schema,
					  ms->tables[i].name);
	lag_start(ms);
	rc = rc_pipeline_run_sessions(pl, &ms->base, MY_COMP,
				      ms->max_backoff_ms, session_cb, close_cb,
				      ms, &ms->in_txn);
	lag_join(ms);
	return rc;
}

/* ------------------------------------------------------------------ */
/* rowcast check                                                      */
/* ------------------------------------------------------------------ */

/* Findings of my_conn_check in area, or an OK line when there are none. */
static void
check_area(struct rc_check *chk, const struct my_finding *f, size_t n,
	   const char *area, const char *ok)
{
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i].area, area) != 0)
			continue;
		rc_check_add(chk, f[i].fatal ? RC_CHECK_FAIL : RC_CHECK_WARN,
			     f[i].fix, "%s", f[i].what);
		found = 1;
	}
	if (!found && ok)
		rc_check_ok(chk, "%s", ok);
}

/*
 * rowcast check for one MySQL/MariaDB source: what session() would meet
 * (my_conn_check, the tables, the checkpoint's binlog), told as findings,
 * plus advice (binlog retention, tables without primary key). Registers no
 * replica and reads no binlog.
 */
static void
my_check(struct rc_source *src, const struct rc_pos *start,
	 struct rc_check *chk)
{
	struct my_source *ms = (struct my_source *)src;
	struct my_finding f[32];
	char err[RC_ERRLEN], fix[RC_ERRLEN], where[RC_MAX_NAME + 16];
	struct my_conn *c;
	size_t n = 0;
	int transient = 1, r;

	for (int i = 0; i < ms->ntables; i++) {
		char topic[3 * RC_MAX_NAME + 4];

		if (ms->tables[i].topic)
			snprintf(topic, sizeof(topic), "%s",
				 ms->tables[i].topic);
		else
			snprintf(topic, sizeof(topic), "%s.%s.%s", ms->prefix,
				 ms->tables[i].schema, ms->tables[i].name);
		rc_check_topic(chk, src->name, topic);
	}
	if (ms->socket && (!ms->host || !strcmp(ms->host, "localhost")))
		snprintf(where, sizeof(where), "%s", ms->socket);
	else
		snprintf(where, sizeof(where), "%s:%u",
			 ms->host ? ms->host : "127.0.0.1", ms->opts.port);

	c = my_conn_open(&ms->opts, &transient, err, sizeof(err));
	if (!c) {
		rc_check_add(chk, RC_CHECK_FAIL,
			     transient ? "check that the server runs and that "
					 "host and port reach it"
				       : "check user and password "
					 "(password_file), the user's host in "
					 "the server's grants, and ssl_mode",
			     "cannot connect to %s as %s: %s", where, ms->user,
			     err);
		return;
	}
	rc_check_ok(chk, "connected to %s %s at %s as %s",
		    my_conn_is_mariadb(c) ? "MariaDB" : "MySQL",
		    my_conn_server_version(c), where, ms->user);

	r = my_conn_check(c, ms->use_gtid, f, sizeof(f) / sizeof(*f), &n, err,
			  sizeof(err));
	if (r < 0) {
		rc_check_add(chk, RC_CHECK_FAIL, NULL,
			     "cannot check the server: %s", err);
		goto out;
	}
	if (n > sizeof(f) / sizeof(*f))
		n = sizeof(f) / sizeof(*f);
	check_area(chk, f, n, "binlog",
		   "binlog: log_bin on, binlog_format ROW, binlog_row_image "
		   "FULL, binlog_row_metadata FULL");
	check_area(chk, f, n, "gtid",
		   ms->use_gtid ? "GTIDs are on (gtid_resume)" : NULL);
	check_area(chk, f, n, "retention",
		   "binlogs are kept for a day or more before they are "
		   "purged");
	check_area(chk, f, n, "grants",
		   "the user has REPLICATION SLAVE, REPLICATION CLIENT (BINLOG "
		   "MONITOR) and SELECT");

	for (int i = 0; i < ms->ntables; i++) {
		const struct rc_tablecfg *tc = &ms->tables[i];

		r = my_conn_table_exists(c, tc->schema, tc->name, err,
					 sizeof(err));
		if (r == 1)
			r = my_conn_table_has_pk(c, tc->schema, tc->name, err,
						 sizeof(err)) == 1
				    ? 1
				    : 2;
		if (r < 0) {
			rc_check_add(chk, RC_CHECK_FAIL, NULL,
				     "cannot look up table %s.%s: %s",
				     tc->schema, tc->name, err);
		} else if (r == 0) {
			rc_check_add(chk, RC_CHECK_FAIL, MY_FIX_NO_TABLE,
				     "table %s.%s does not exist (or the user "
				     "has no right on it)",
				     tc->schema, tc->name);
		} else if (r == 2 && !tc->key) {
			snprintf(fix, sizeof(fix),
				 "add a primary key, or name the key columns "
				 "in [table %s.%s] key = ...",
				 tc->schema, tc->name);
			rc_check_add(chk, RC_CHECK_WARN, fix,
				     "table %s.%s has no primary key: its "
				     "events have no key (Kafka spreads them "
				     "over partitions without order)",
				     tc->schema, tc->name);
		} else {
			rc_check_ok(
				chk, "table %s.%s: %s", tc->schema, tc->name,
				r == 1 ? "primary key" : "key from [table]");
		}
	}

	/* snapshots read the tables: SELECT, and on MySQL LOCK TABLES */
	for (int i = 0; ms->snap->mode != RC_SNAP_NEVER && i < ms->ntables;
	     i++) {
		const struct rc_tablecfg *tc = &ms->tables[i];
		struct my_result *res;
		struct rc_buf sql;
		const char *what = "SELECT";

		rc_buf_init(&sql, 1u << 16);
		if (rc_buf_puts(&sql, "SELECT 1 FROM ") < 0 ||
		    my_snap_quote_ident(&sql, tc->schema) < 0 ||
		    rc_buf_putc(&sql, '.') < 0 ||
		    my_snap_quote_ident(&sql, tc->name) < 0 ||
		    rc_buf_puts(&sql, " LIMIT 0") < 0 ||
		    rc_buf_putc(&sql, 0) < 0) {
			rc_buf_free(&sql);
			continue;
		}
		res = my_conn_query(c, sql.data, err, sizeof(err));
		if (res && !my_conn_is_mariadb(c)) {
			/* a lock for no time: LOCK TABLES ... READ */
			my_result_free(res);
			rc_buf_reset(&sql);
			what = "LOCK TABLES";
			if (rc_buf_puts(&sql, "LOCK TABLES ") == 0 &&
			    my_snap_quote_ident(&sql, tc->schema) == 0 &&
			    rc_buf_putc(&sql, '.') == 0 &&
			    my_snap_quote_ident(&sql, tc->name) == 0 &&
			    rc_buf_puts(&sql, " READ") == 0 &&
			    rc_buf_putc(&sql, 0) == 0)
				res = my_conn_query(c, sql.data, err,
						    sizeof(err));
			my_result_free(
				my_conn_query(c, "UNLOCK TABLES", NULL, 0));
		}
		rc_buf_free(&sql);
		if (!res) {
			snprintf(fix, sizeof(fix),
				 "GRANT SELECT%s ON %s.* TO the user, or set "
				 "snapshot = never",
				 my_conn_is_mariadb(c) ? "" : ", LOCK TABLES",
				 tc->schema);
			rc_check_add(chk, RC_CHECK_FAIL, fix,
				     "snapshot: the user cannot %s table "
				     "%s.%s: %s",
				     !strcmp(what, "SELECT")
					     ? "read"
					     : "lock (LOCK TABLES)",
				     tc->schema, tc->name, err);
		} else {
			rc_check_ok(chk, "snapshot: table %s.%s can be read%s",
				    tc->schema, tc->name,
				    my_conn_is_mariadb(c)
					    ? " (MariaDB: consistent snapshot, "
					      "no lock)"
					    : " and locked (LOCK TABLES)");
		}
		my_result_free(res);
	}

	if (start && start->file) {
		r = my_conn_binlog_exists(c, start->file, err, sizeof(err));
		if (r < 0)
			rc_check_add(chk, RC_CHECK_FAIL, NULL,
				     "cannot list the binlogs: %s", err);
		else if (r == 0)
			rc_check_add(chk, RC_CHECK_FAIL, MY_FIX_PURGED,
				     "binlog %s of the checkpoint (offset "
				     "%" PRIu64 ") %s",
				     start->file, start->offset, MY_PURGED);
		else
			rc_check_ok(chk,
				    "binlog %s of the checkpoint is on "
				    "the server",
				    start->file);
	}
out:
	my_conn_close(c);
}

/* ------------------------------------------------------------------ */
/* Descriptor                                                         */
/* ------------------------------------------------------------------ */

static const struct rc_conf_key my_keys[] = {
	{"host", RC_CONF_STRING, "127.0.0.1", 0,
	 "server host name or address (\"localhost\" with socket: the Unix "
	 "socket)",
	 NULL, 0, 0},
	{"port", RC_CONF_INT, "3306", 0, "server TCP port", NULL, 1, 65535},
	{"socket", RC_CONF_STRING, NULL, 0, "Unix socket path (host localhost)",
	 NULL, 0, 0},
	{"user", RC_CONF_STRING, NULL, RC_CONF_REQUIRED,
	 "user with REPLICATION SLAVE, REPLICATION CLIENT (BINLOG MONITOR) and "
	 "SELECT",
	 NULL, 0, 0},
	{"password", RC_CONF_STRING, NULL, RC_CONF_SECRET,
	 "the user's password; better as password_file or password_env", NULL,
	 0, 0},
	{"server_id", RC_CONF_INT, NULL, RC_CONF_REQUIRED,
	 "rowcast's replica id: unique among the server's replicas and readers",
	 NULL, 1, 4294967295LL},
	{"ssl_mode", RC_CONF_ENUM, "preferred", 0, "TLS to the server",
	 "disabled|preferred|required|verify_ca|verify_identity", 0, 0},
	{"ssl_ca", RC_CONF_STRING, NULL, 0, "CA certificate file (PEM)", NULL,
	 0, 0},
	{"ssl_cert", RC_CONF_STRING, NULL, 0, "client certificate file (PEM)",
	 NULL, 0, 0},
	{"ssl_key", RC_CONF_STRING, NULL, 0, "client key file (PEM)", NULL, 0,
	 0},
	{"gtid_resume", RC_CONF_BOOL, "false", 0,
	 "resume from the checkpoint's GTID set instead of its binlog file and "
	 "offset (needs GTIDs on the server; survives a failover to a replica)",
	 NULL, 0, 0},
	{"heartbeat_interval", RC_CONF_DURATION, "1s", 0,
	 "server heartbeat period: an idle stream is told apart from a dead "
	 "one",
	 NULL, 100, 600000},
	{"connect_timeout", RC_CONF_DURATION, "10s", 0,
	 "longest wait for a connection", NULL, 1000, 600000},
	{"reconnect_max_backoff", RC_CONF_DURATION, "30s", 0,
	 "longest wait between two reconnection attempts", NULL, 100, 3600000},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_source_ops rc_my_source_ops = {
	.name = "mysql",
	.description = "MySQL 8 / MariaDB 10.5+ binlog (row events) over "
		       "MariaDB Connector/C",
	.conf_keys = my_keys,
	.create = my_create,
	.run = my_run,
	.format_pos = my_format_pos,
	.parse_pos = my_parse_pos,
	.destroy = my_destroy,
	.check = my_check,
};
