/*
 * pg_source.c -- the PostgreSQL source.
 *
 * One session is: a normal libpq connection that checks the server and the
 * tables, brings rowcast's publication in line with the configured tables
 * and creates the logical slot when it is missing; then a replication
 * connection (replication=database) that runs START_REPLICATION with
 * pgoutput proto_version 1 and turns the stream into change events. The
 * normal connection stays open to look up types that are not built in.
 *
 * Positions: the slot's confirmed_flush_lsn only ever moves to a position
 * the pipeline reports as durable and checkpointed (rc_pipeline_confirmed_
 * lsn); the received position is reported as "written" only. A lost
 * connection aborts the open transaction, waits for the pipeline to drain,
 * and reconnects with backoff from the confirmed position, so nothing is
 * lost and nothing is reordered.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "check.h"
#include "checkpoint.h"
#include "encoder.h"
#include "clock.h"
#include "event.h"
#include "log.h"
#include "pg_proto.h"
#include "pg_types.h"
#include "pipeline.h"
#include "snapshot.h"
#include "source.h"
#include "tablecfg.h"

#define PG_COMP	     "postgresql"
#define PUSH_WAIT_MS 100
/* How often the WAL the slot holds back is measured (metrics). */
#define LAG_INTERVAL_MS 5000

/* The walsender formats values with these settings; pg_types.c relies on
 * them (see pg_types.h). */
static const char pg_session_options[] =
	"-c datestyle=ISO -c timezone=UTC -c intervalstyle=iso_8601 "
	"-c extra_float_digits=3 -c bytea_output=hex -c lc_monetary=C "
	"-c client_encoding=UTF8";

/* Session outcomes. */
#define SESS_STOP   RC_SESS_STOP   /* asked to stop, drained */
#define SESS_RETRY  RC_SESS_RETRY  /* connection lost: reconnect with backoff */
#define SESS_CONFIG RC_SESS_CONFIG /* the user must fix something */
#define SESS_FATAL  RC_SESS_FATAL

/* A configured table and what the catalog says about it. */
struct pg_want {
	struct rc_tablecfg c; /* what the configuration says */
	char **pk;	      /* primary key columns from the catalog */
	int npk;
};

/* What a Relation message told us, and the rowcast table built from it. */
struct pg_rel {
	uint32_t relid;
	struct rc_table *tbl;	/* current shape (one reference) */
	int ncols;		/* columns in the Relation message */
	int *colmap;		/* message column -> tbl column or -1 */
	struct pg_mapped *maps; /* per message column */
	struct pg_want *want;
};

struct pg_source {
	struct rc_source base; /* must be first */

	char *conninfo;
	char *password;
	char *slot;
	char *publication;
	char *prefix;
	int64_t status_interval_ms;
	int64_t max_backoff_ms;
	int64_t shutdown_timeout_ms;
	int binary_wanted; /* configuration */
	int force_text;	   /* a column had no binary decoder */
	int binary;	   /* this session streams binary values */
	struct pg_want *want;
	int nwant;
	int tables_line;

	PGconn *sql;  /* normal connection */
	PGconn *repl; /* replication connection */
	char *dbname;
	int server_version; /* server_version_num */
	struct pg_parser parser;
	struct pg_rel *rels;
	int nrels;

	/* stream state */
	uint64_t received;  /* newest WAL end seen */
	uint64_t last_idle; /* last position pushed as idle */
	int in_txn;
	uint32_t xid;
	uint64_t final_lsn;
	int64_t commit_ts_us;
	int64_t last_status_ms;
	uint64_t last_flushed_sent;
	struct rc_pipeline *pl;

	/* the slot's lag in bytes, asked on sql without waiting */
	int lag_pending;
	int64_t last_lag_ms;
	struct rc_check *chk; /* set while `rowcast check` runs (pg_check) */

	/* snapshots (see "Snapshots" below) */
	struct rc_snap *snap;
	struct rc_snap_chunk chunk;
	int messages;	   /* the stream carries logical messages (PG 14+) */
	int streaming;	   /* START_REPLICATION went through */
	int chunk_wait;	   /* a chunk waits for its watermark */
	uint64_t chunk_no; /* watermark number */
	uint64_t snap_xmin, snap_xmax; /* the chunk's transaction snapshot */
	uint64_t *snap_xip;
	int nsnap_xip, snap_xip_cap;
	int cur_invisible; /* the streamed transaction is newer than it */
	uint32_t recent_xids[4096];
	uint64_t nrecent;
	int64_t last_request_ms;
	uint64_t snap_dropped;
	char snapname[64];     /* exported by a slot just created */
	const char **row_vals; /* one row's values (snapshot reads) */
	int *row_lens;
	int row_cap;
	uint64_t snap_lsn; /* its consistent point */
};

/* The source's last error (struct rc_source's lasterr). */
#define set_err(x, ...) rc_source_set_err(&(x)->base, __VA_ARGS__)

/*
 * A problem only the user can fix, with what to change (fix may be NULL).
 * Under `rowcast check` (ps->chk set) it is a FAIL finding; else it is the
 * session's error, "what (fix: fix)". Returns SESS_CONFIG either way.
 */
static int user_fix(struct pg_source *ps, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
user_fix(struct pg_source *ps, const char *fix, const char *fmt, ...)
{
	char what[RC_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ps->chk) {
		rc_check_add(ps->chk, RC_CHECK_FAIL, fix, "%s", what);
		ps->base.lasterr[0] = '\0';
	} else if (fix) {
		set_err(ps, "%s (fix: %s)", what, fix);
	} else {
		set_err(ps, "%s", what);
	}
	return SESS_CONFIG;
}

/* libpq messages end with a newline; drop it for our one-line logs. */
static const char *
pq_msg(PGconn *c)
{
	static __thread char buf[512];
	const char *m = c ? PQerrorMessage(c) : "no connection";
	size_t n;

	snprintf(buf, sizeof(buf), "%s", m);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return buf;
}

static void
free_list(char **l)
{
	rc_conf_list_free(l);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

/* One configured table's strings (its rc_tablecfg was moved in). */
static void
free_want(struct pg_want *w)
{
	free(w->c.schema);
	free(w->c.name);
	free_list(w->c.key);
	free_list(w->c.exclude);
	free_list(w->pk);
}

/* The relation cache (the stream sends the Relations again). */
static void
free_rels(struct pg_source *ps)
{
	for (int i = 0; i < ps->nrels; i++) {
		rc_table_unref(ps->rels[i].tbl);
		free(ps->rels[i].colmap);
		free(ps->rels[i].maps);
	}
	free(ps->rels);
	ps->rels = NULL;
	ps->nrels = 0;
}

static void
pg_destroy(struct rc_source *src)
{
	struct pg_source *ps = (struct pg_source *)src;

	if (!ps)
		return;
	if (ps->repl)
		PQfinish(ps->repl);
	if (ps->sql)
		PQfinish(ps->sql);
	free_rels(ps);
	for (int i = 0; i < ps->nwant; i++)
		free_want(&ps->want[i]);
	free(ps->want); /* the rc_tablecfg entries were moved in here */
	pg_parser_free(&ps->parser);
	rc_snap_chunk_free(&ps->chunk);
	rc_snap_free(ps->snap);
	free(ps->snap_xip);
	free(ps->row_vals);
	free(ps->row_lens);
	free(ps->conninfo);
	free(ps->password);
	free(ps->slot);
	free(ps->publication);
	free(ps->prefix);
	free(ps->dbname);
	free(ps);
}

/* Replication slot and publication names: lower-case letters, digits and
 * underscores (PostgreSQL's rule for slot names). */
static char *
default_object_name(const char *source)
{
	size_t n = strlen(source);
	char *s = malloc(n + 9);

	if (!s)
		return NULL;
	memcpy(s, "rowcast_", 8);
	for (size_t i = 0; i < n; i++) {
		char c = source[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		s[8 + i] = c;
	}
	s[8 + n] = '\0';
	return s;
}

static struct rc_source *
pg_create(const struct rc_config *cfg, const struct rc_conf_section *sec,
	  char *err, size_t errlen)
{
	struct pg_source *ps = calloc(1, sizeof(*ps));
	struct rc_tablecfg *tcs = NULL;
	const char *s;
	int n;

	if (!ps) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ps->base.name = sec->name;
	ps->conninfo = strdup(rc_conf_str(sec, "conninfo"));
	s = rc_conf_str(sec, "password");
	ps->password = s ? strdup(s) : NULL;
	s = rc_conf_str(sec, "slot");
	ps->slot = s ? strdup(s) : default_object_name(sec->name);
	s = rc_conf_str(sec, "publication");
	ps->publication = s ? strdup(s) : default_object_name(sec->name);
	s = rc_conf_str(sec, "topic_prefix");
	ps->prefix = strdup(s ? s : sec->name);
	ps->status_interval_ms = rc_conf_ms(sec, "status_interval");
	ps->max_backoff_ms = rc_conf_ms(sec, "reconnect_max_backoff");
	ps->binary_wanted = rc_conf_bool(sec, "binary");
	ps->shutdown_timeout_ms = rc_conf_ms(&cfg->global, "shutdown_timeout");
	ps->tables_line = rc_conf_line(sec, "tables");
	pg_parser_init(&ps->parser);
	rc_snap_chunk_init(&ps->chunk);
	ps->snap = rc_snap_new(sec->name, sec);
	if (!ps->conninfo || !ps->slot || !ps->publication || !ps->prefix ||
	    !ps->snap)
		goto oom;

	for (const char *p = ps->slot; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_')) {
			snprintf(err, errlen,
				 "%s:%d: slot name '%s' may only "
				 "hold lower-case letters, digits and '_'",
				 cfg->path, rc_conf_line(sec, "slot"),
				 ps->slot);
			goto fail;
		}

	if (rc_tablecfg_load(cfg, sec, "public", &tcs, &n, err, errlen) < 0)
		goto fail;
	ps->want = calloc((size_t)(n ? n : 1), sizeof(*ps->want));
	if (!ps->want) {
		rc_tablecfg_free(tcs, n);
		goto oom;
	}
	for (int i = 0; i < n; i++)
		ps->want[i].c = tcs[i]; /* moved: the strings now belong here */
	ps->nwant = n;
	free(tcs);
	return &ps->base;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	pg_destroy(&ps->base);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Connections                                                        */
/* ------------------------------------------------------------------ */

/* Does a connection error need the user (bad password, no such database,
 * missing privilege) rather than time? */
static int
needs_user(const char *msg)
{
	static const char *const pats[] = {
		"authentication failed",
		"does not exist",
		"no password supplied",
		"permission denied",
		"must be superuser or replication role",
		"no pg_hba.conf entry",
		"invalid connection option",
		"missing \"=\"",
		"invalid URI",
		NULL,
	};

	for (int i = 0; pats[i]; i++)
		if (strstr(msg, pats[i]))
			return 1;
	return 0;
}

static PGconn *
pg_connect(struct pg_source *ps, int replication)
{
	const char *keys[8], *vals[8];
	int n = 0;

	keys[n] = "dbname";
	vals[n++] = ps->conninfo;
	if (ps->password) {
		keys[n] = "password";
		vals[n++] = ps->password;
	}
	if (replication) {
		keys[n] = "replication";
		vals[n++] = "database";
	}
	/* both connections: snapshot rows are read on the normal one */
	keys[n] = "options";
	vals[n++] = pg_session_options;
	keys[n] = "application_name";
	vals[n++] = "rowcast";
	keys[n] = "connect_timeout";
	vals[n++] = "10";
	keys[n] = NULL;
	vals[n] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/* Run a query that returns rows; NULL with lasterr set on failure. */
static PGresult *
query(struct pg_source *ps, PGconn *c, const char *sql, int nparams,
      const char *const *params)
{
	PGresult *r =
		PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(ps, "%s", pq_msg(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Session outcome for a failed query: the connection broke (retry) or the
 * server refused (the user must fix it). */
static int
failed_outcome(struct pg_source *ps, PGconn *c)
{
	if (PQstatus(c) != CONNECTION_OK)
		return SESS_RETRY;
	return needs_user(ps->base.lasterr) ? SESS_CONFIG : SESS_FATAL;
}

/* ------------------------------------------------------------------ */
/* Set-up: server checks, tables, publication, slot                   */
/* ------------------------------------------------------------------ */

/*
 * The [table] section's key and exclude must name columns the table has,
 * and a key column cannot be excluded: checked at start-up, where the
 * message can point at the line to fix.
 */
static int
check_columns(struct pg_source *ps, struct pg_want *w)
{
	static const char sql[] =
		"SELECT a.attname FROM pg_attribute a"
		" JOIN pg_class c ON c.oid = a.attrelid"
		" JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0"
		" AND NOT a.attisdropped";
	const char *params[2] = {w->c.schema, w->c.name};
	const char *keys[2] = {"key", "exclude"};
	PGresult *r;
	int rc = SESS_STOP;

	if (!w->c.key && !w->c.exclude)
		return SESS_STOP;
	r = query(ps, ps->sql, sql, 2, params);
	if (!r)
		return failed_outcome(ps, ps->sql);
	for (int k = 0; k < 2 && rc == SESS_STOP; k++) {
		char **list = k == 0 ? w->c.key : w->c.exclude;

		for (int i = 0; list && list[i] && rc == SESS_STOP; i++) {
			int found = 0;

			for (int row = 0; row < PQntuples(r); row++)
				if (!strcmp(PQgetvalue(r, row, 0), list[i]))
					found = 1;
			if (!found || (k == 0 && rc_name_in_list(w->c.exclude,
								 list[i]))) {
				rc = user_fix(
					ps,
					found ? "take it out of exclude"
					      : "name a column of the table",
					"%s:%d: %s = %s: table %s.%s %s",
					ps->base.cfg->path,
					rc_conf_line(w->c.tsec, keys[k]),
					keys[k], list[i], w->c.schema,
					w->c.name,
					found ? "cannot exclude a key column"
					      : "has no such column");
			}
		}
	}
	PQclear(r);
	return rc;
}

/*
 * Check one configured table in the catalog: it exists, it is a table, and
 * PostgreSQL can publish its updates and deletes (a primary key, or a
 * replica identity index, or REPLICA IDENTITY FULL). Adding a table that
 * cannot to a publication would make the application's own UPDATE and
 * DELETE fail, so such a table is refused with the fix.
 */
static int
check_table(struct pg_source *ps, struct pg_want *w)
{
	static const char sql[] =
		"SELECT c.relkind, c.relreplident,"
		"  (SELECT i.indexrelid <> 0 FROM pg_index i"
		"    WHERE i.indrelid = c.oid AND i.indisreplident),"
		"  ARRAY(SELECT a.attname FROM pg_index i"
		"    JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, "
		"o) ON true"
		"    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = "
		"k.attnum"
		"    WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY "
		"k.o)::text[]"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = $1 AND c.relname = $2";
	const char *params[2] = {w->c.schema, w->c.name};
	PGresult *r = query(ps, ps->sql, sql, 2, params);
	char kind, ident;
	int has_pk, has_ident_index, rc;

	if (!r)
		return failed_outcome(ps, ps->sql);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return user_fix(ps, "create it, or remove it from tables =",
				"table %s.%s (tables = ..., %s:%d) does not "
				"exist in database %s",
				w->c.schema, w->c.name, ps->base.cfg->path,
				ps->tables_line, ps->dbname);
	}
	kind = PQgetvalue(r, 0, 0)[0];
	ident = PQgetvalue(r, 0, 1)[0];
	has_ident_index =
		!PQgetisnull(r, 0, 2) && PQgetvalue(r, 0, 2)[0] == 't';
	if (kind != 'r' && kind != 'p') {
		PQclear(r);
		return user_fix(ps, "list the table(s) behind it instead",
				"%s.%s is not a table (relkind '%c'); only "
				"tables can be published",
				w->c.schema, w->c.name, kind);
	}
	/* primary key columns: text[] literal {a,b} (names are simple or
	 * quoted; quoted ones are unquoted here) */
	{
		const char *lit = PQgetvalue(r, 0, 3);
		char *copy = strdup(lit), *p, *tok;
		int cap = 0;

		free_list(w->pk);
		w->pk = NULL;
		w->npk = 0;
		if (!copy) {
			PQclear(r);
			set_err(ps, "out of memory");
			return SESS_FATAL;
		}
		p = copy;
		if (*p == '{')
			p++;
		if (*p && p[strlen(p) - 1] == '}')
			p[strlen(p) - 1] = '\0';
		while (p && *p && (tok = strsep(&p, ","))) {
			size_t l = strlen(tok);
			char **g;

			if (l >= 2 && tok[0] == '"' && tok[l - 1] == '"') {
				tok[l - 1] = '\0';
				tok++;
			}
			if (w->npk + 2 > cap) {
				cap = cap ? cap * 2 : 4;
				g = realloc(w->pk,
					    sizeof(char *) * (size_t)cap);
				if (!g)
					break;
				w->pk = g;
			}
			w->pk[w->npk++] = strdup(tok);
			w->pk[w->npk] = NULL;
		}
		free(copy);
	}
	has_pk = w->npk > 0;
	PQclear(r);
	if ((rc = check_columns(ps, w)) != SESS_STOP)
		return rc;

	if (ident == 'n' || (ident == 'd' && !has_pk) ||
	    (ident == 'i' && !has_ident_index)) {
		char fix[2 * RC_MAX_NAME + 96];

		snprintf(fix, sizeof(fix),
			 "ALTER TABLE %s.%s REPLICA IDENTITY FULL; or add a "
			 "primary key",
			 w->c.schema, w->c.name);
		return user_fix(
			ps, fix,
			"table %s.%s has %s, so PostgreSQL cannot publish its "
			"UPDATEs and DELETEs (adding it to a publication would "
			"make the application's own UPDATE and DELETE fail)",
			w->c.schema, w->c.name,
			ident == 'n'   ? "REPLICA IDENTITY NOTHING"
			: ident == 'i' ? "a replica identity index that is gone"
				       : "no primary key");
	}
	return SESS_STOP;
}

/* Append a quoted identifier (PQescapeIdentifier) to b. */
static int
append_ident(struct rc_buf *b, PGconn *c, const char *s)
{
	char *q = PQescapeIdentifier(c, s, strlen(s));
	int r;

	if (!q)
		return -1;
	r = rc_buf_puts(b, q);
	PQfreemem(q);
	return r;
}

/* ALTER PUBLICATION ... ADD or DROP TABLE schema.table, logged. */
static int
alter_publication(struct pg_source *ps, const char *verb, const char *schema,
		  const char *table)
{
	struct rc_buf sql;
	PGresult *r;

	rc_buf_init(&sql, 4 * RC_MAX_NAME + 64);
	rc_buf_puts(&sql, "ALTER PUBLICATION ");
	append_ident(&sql, ps->sql, ps->publication);
	rc_buf_printf(&sql, " %s TABLE ", verb);
	append_ident(&sql, ps->sql, schema);
	rc_buf_putc(&sql, '.');
	append_ident(&sql, ps->sql, table);
	r = query(ps, ps->sql, sql.data, 0, NULL);
	rc_buf_free(&sql);
	if (!r)
		return failed_outcome(ps, ps->sql);
	PQclear(r);
	rc_info_c(PG_COMP, RC_LOG_TBL(ps->base.name, schema, table),
		  "%s %s.%s %s publication %s",
		  verb[0] == 'A' ? "added" : "removed (no longer configured)",
		  schema, table, verb[0] == 'A' ? "to" : "from",
		  ps->publication);
	return SESS_STOP;
}

/*
 * Create the publication for exactly the configured tables, or bring an
 * existing one in line (ADD/DROP TABLE) when the list changed.
 */
static int
sync_publication(struct pg_source *ps)
{
	const char *params[1] = {ps->publication};
	struct rc_buf sql;
	PGresult *r;
	int rc = SESS_FATAL, exists, *present = NULL;

	rc_buf_init(&sql, 1024 * 1024);
	r = query(ps, ps->sql,
		  "SELECT puballtables FROM pg_publication WHERE pubname = $1",
		  1, params);
	if (!r)
		return failed_outcome(ps, ps->sql);
	exists = PQntuples(r) > 0;
	if (exists && PQgetvalue(r, 0, 0)[0] == 't') {
		PQclear(r);
		rc_warn(PG_COMP,
			"publication %s is FOR ALL TABLES; rowcast "
			"uses it as it is and skips other tables",
			ps->publication);
		return SESS_STOP;
	}
	PQclear(r);

	if (!exists) {
		rc_buf_puts(&sql, "CREATE PUBLICATION ");
		append_ident(&sql, ps->sql, ps->publication);
		rc_buf_puts(&sql, " FOR TABLE ");
		for (int i = 0; i < ps->nwant; i++) {
			if (i)
				rc_buf_puts(&sql, ", ");
			append_ident(&sql, ps->sql, ps->want[i].c.schema);
			rc_buf_putc(&sql, '.');
			append_ident(&sql, ps->sql, ps->want[i].c.name);
		}
		r = query(ps, ps->sql, sql.data, 0, NULL);
		if (!r) {
			rc = failed_outcome(ps, ps->sql);
			goto out;
		}
		PQclear(r);
		rc_info_c(PG_COMP, RC_LOG_SRC(ps->base.name),
			  "created publication %s for %d "
			  "table(s)",
			  ps->publication, ps->nwant);
		rc = SESS_STOP;
		goto out;
	}

	r = query(ps, ps->sql,
		  "SELECT schemaname, tablename FROM pg_publication_tables "
		  "WHERE pubname = $1",
		  1, params);
	if (!r) {
		rc = failed_outcome(ps, ps->sql);
		goto out;
	}
	present = calloc((size_t)(ps->nwant ? ps->nwant : 1), sizeof(int));
	if (!present) {
		PQclear(r);
		set_err(ps, "out of memory");
		goto out;
	}
	for (int row = 0; row < PQntuples(r); row++) {
		const char *sch = PQgetvalue(r, row, 0),
			   *tab = PQgetvalue(r, row, 1);
		int found = 0;

		for (int i = 0; i < ps->nwant; i++)
			if (!strcmp(ps->want[i].c.schema, sch) &&
			    !strcmp(ps->want[i].c.name, tab)) {
				present[i] = 1;
				found = 1;
			}
		if (!found && (rc = alter_publication(ps, "DROP", sch, tab)) !=
				      SESS_STOP) {
			PQclear(r);
			goto out;
		}
	}
	PQclear(r);
	for (int i = 0; i < ps->nwant; i++)
		if (!present[i] &&
		    (rc = alter_publication(ps, "ADD", ps->want[i].c.schema,
					    ps->want[i].c.name)) != SESS_STOP)
			goto out;
	rc = SESS_STOP;
out:
	free(present);
	rc_buf_free(&sql);
	return rc;
}

/* The slot is gone but a checkpoint says rowcast confirmed up to confirmed:
 * the changes since are no longer on the server. SESS_CONFIG. */
static int
slot_missing(struct pg_source *ps, uint64_t confirmed)
{
	char lsn[32], path[1024], fix[1200];

	rc_lsn_format(confirmed, lsn, sizeof(lsn));
	rc_checkpoint_path(rc_conf_str(&ps->base.cfg->global, "state_dir"),
			   ps->base.name, path, sizeof(path));
	snprintf(fix, sizeof(fix),
		 "to start over from now (the changes since %s are then not "
		 "sent), remove %s",
		 lsn, path);
	return user_fix(ps, fix,
			"replication slot %s does not exist, but the "
			"checkpoint says rowcast confirmed up to %s: the "
			"changes since then are no longer on the server",
			ps->slot, lsn);
}

/*
 * Find or create the slot. A missing slot while a checkpoint exists means
 * the server no longer holds the changes since that checkpoint: stop and
 * say so rather than silently start from now. A slot still held by another
 * connection (often a dying one of ours) is retried.
 */
static int
ensure_slot(struct pg_source *ps, uint64_t confirmed)
{
	const char *params[1] = {ps->slot};
	PGresult *r;

	r = query(ps, ps->sql,
		  "SELECT plugin, database, active_pid, confirmed_flush_lsn "
		  "FROM pg_replication_slots WHERE slot_name = $1",
		  1, params);
	if (!r)
		return failed_outcome(ps, ps->sql);
	if (PQntuples(r) > 0) {
		const char *plugin = PQgetvalue(r, 0, 0);
		const char *db = PQgetvalue(r, 0, 1);

		if (strcmp(plugin, "pgoutput") != 0 ||
		    strcmp(db, ps->dbname) != 0) {
			set_err(ps,
				"replication slot %s exists but is for plugin "
				"'%s' in database '%s' (rowcast needs pgoutput "
				"in "
				"'%s'); choose another slot name",
				ps->slot, plugin, db, ps->dbname);
			PQclear(r);
			return SESS_CONFIG;
		}
		if (!PQgetisnull(r, 0, 2)) {
			set_err(ps,
				"replication slot %s is in use by process %s",
				ps->slot, PQgetvalue(r, 0, 2));
			PQclear(r);
			return SESS_RETRY;
		}
		if (!confirmed)
			rc_warn_c(PG_COMP, RC_LOG_SRC(ps->base.name),
				  "no checkpoint, resuming from "
				  "slot %s at %s",
				  ps->slot, PQgetvalue(r, 0, 3));
		PQclear(r);
		return SESS_STOP;
	}
	PQclear(r);
	if (confirmed && ps->snap->mode == RC_SNAP_WHEN_NEEDED) {
		char lsn[32];

		rc_lsn_format(confirmed, lsn, sizeof(lsn));
		rc_warn_c(PG_COMP, RC_LOG_SRC(ps->base.name),
			  "replication slot %s is gone and the changes since "
			  "%s with it; snapshot = when_needed: creating it "
			  "again and snapshotting every table",
			  ps->slot, lsn);
		rc_snap_restart_all(ps->snap);
		return SESS_STOP + 10;
	}
	if (confirmed)
		return slot_missing(ps, confirmed);
	return SESS_STOP + 10; /* create it on the replication connection */
}

/* CREATE_REPLICATION_SLOT on the replication connection. */
static int
create_slot(struct pg_source *ps)
{
	struct rc_buf sql;
	PGresult *r;

	rc_buf_init(&sql, 4096);
	/* the first start exports its snapshot when tables are to be read */
	rc_buf_printf(&sql,
		      "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput "
		      "(SNAPSHOT '%s')",
		      ps->slot,
		      rc_snap_active(ps->snap) ? "export" : "nothing");
	ps->snapname[0] = '\0';
	r = PQexec(ps->repl, sql.data);
	rc_buf_free(&sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(ps, "cannot create replication slot %s: %s", ps->slot,
			pq_msg(ps->repl));
		PQclear(r);
		return failed_outcome(ps, ps->repl);
	}
	rc_info_c(PG_COMP, RC_LOG_SRC(ps->base.name),
		  "created replication slot %s at %s", ps->slot,
		  PQgetvalue(r, 0, 1));
	if (!PQgetisnull(r, 0, 2) && PQgetlength(r, 0, 2) > 0) {
		snprintf(ps->snapname, sizeof(ps->snapname), "%s",
			 PQgetvalue(r, 0, 2));
		rc_lsn_parse(PQgetvalue(r, 0, 1), &ps->snap_lsn);
	}
	PQclear(r);
	return SESS_STOP;
}

/* The walsender must run with wal_level=logical. */
static int
check_server(struct pg_source *ps)
{
	int rc;
	PGresult *r = query(ps, ps->sql,
			    "SELECT current_setting('wal_level'), "
			    "current_database(), "
			    "current_setting('server_version_num')::int",
			    0, NULL);

	if (!r)
		return failed_outcome(ps, ps->sql);
	free(ps->dbname);
	ps->dbname = strdup(PQgetvalue(r, 0, 1));
	ps->server_version = atoi(PQgetvalue(r, 0, 2));
	if (ps->server_version < 100000) {
		rc = user_fix(ps, "upgrade PostgreSQL",
			      "PostgreSQL %s is too old: pgoutput needs 10 or "
			      "later",
			      PQgetvalue(r, 0, 2));
		PQclear(r);
		return rc;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "logical") != 0) {
		rc = user_fix(ps,
			      "set wal_level = logical in postgresql.conf (or "
			      "ALTER SYSTEM SET wal_level = logical) and "
			      "restart PostgreSQL",
			      "the server runs with wal_level=%s; logical "
			      "decoding needs wal_level=logical",
			      PQgetvalue(r, 0, 0));
		PQclear(r);
		return rc;
	}
	PQclear(r);
	return SESS_STOP;
}

/* ------------------------------------------------------------------ */
/* Types and relations                                                */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Lag in bytes (metrics)                                             */
/* ------------------------------------------------------------------ */

/*
 * How much WAL the server has written past what the slot confirmed:
 * pg_current_wal_lsn() - confirmed_flush_lsn, i.e. what rowcast has still
 * to make durable (and what the slot makes the server keep). Asked on the
 * normal connection every LAG_INTERVAL_MS with PQsendQueryParams and
 * collected by later calls once the answer is there, so the stream never
 * waits for it. A failed query leaves the lag unknown until the next.
 * @locality source thread
 */
static void
lag_poll(struct pg_source *ps)
{
	static const char sql[] =
		"SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::int8 "
		"FROM pg_replication_slots WHERE slot_name = $1";
	const char *params[1] = {ps->slot};
	PGresult *r;

	if (!ps->sql)
		return;
	if (!ps->lag_pending) {
		if (rc_mono_ms() - ps->last_lag_ms < LAG_INTERVAL_MS)
			return;
		ps->last_lag_ms = rc_mono_ms();
		if (PQsendQueryParams(ps->sql, sql, 1, NULL, params, NULL, NULL,
				      0))
			ps->lag_pending = 1;
		return;
	}
	for (;;) {
		if (!PQconsumeInput(ps->sql)) {
			rc_pipeline_set_lag_bytes(ps->pl, -1);
			ps->lag_pending = 0;
			return;
		}
		if (PQisBusy(ps->sql))
			return;
		r = PQgetResult(ps->sql);
		if (!r) {
			ps->lag_pending = 0;
			return;
		}
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		    !PQgetisnull(r, 0, 0))
			rc_pipeline_set_lag_bytes(
				ps->pl, strtoll(PQgetvalue(r, 0, 0), NULL, 10));
		else
			rc_pipeline_set_lag_bytes(ps->pl, -1);
		PQclear(r);
	}
}

/* Wait for a lag query in flight, so that sql can run another query. */
static void
lag_finish(struct pg_source *ps)
{
	PGresult *r;

	if (!ps->lag_pending || !ps->sql)
		return;
	while ((r = PQgetResult(ps->sql)))
		PQclear(r);
	ps->lag_pending = 0;
}

/* pg_type_lookup_fn: ask the catalog about a type that is not built in. */
static int
lookup_type(void *ctx, uint32_t oid, struct pg_type_desc *desc)
{
	struct pg_source *ps = ctx;
	char oidtxt[16];
	const char *params[1] = {oidtxt};
	PGresult *r;

	if (!ps->sql || PQstatus(ps->sql) != CONNECTION_OK)
		return -1;
	lag_finish(ps);
	snprintf(oidtxt, sizeof(oidtxt), "%u", oid);
	r = PQexecParams(
		ps->sql,
		"SELECT typtype, typbasetype, typtypmod, "
		"CASE WHEN typcategory = 'A' THEN typelem ELSE 0 END, "
		"typdelim, format_type(oid, NULL), "
		"coalesce((SELECT prosrc FROM pg_proc p WHERE p.oid = typsend "
		"AND prolang = 12), ''), "
		"coalesce((SELECT prosrc FROM pg_proc p WHERE p.oid = "
		"typoutput "
		"AND prolang = 12), '') "
		"FROM pg_type WHERE oid = $1",
		1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		PQclear(r);
		return -1;
	}
	memset(desc, 0, sizeof(*desc));
	desc->typtype = PQgetvalue(r, 0, 0)[0];
	desc->basetype = (uint32_t)strtoul(PQgetvalue(r, 0, 1), NULL, 10);
	desc->basetypmod = atoi(PQgetvalue(r, 0, 2));
	desc->elem = (uint32_t)strtoul(PQgetvalue(r, 0, 3), NULL, 10);
	desc->delim = PQgetvalue(r, 0, 4)[0];
	snprintf(desc->name, sizeof(desc->name), "%s", PQgetvalue(r, 0, 5));
	snprintf(desc->send_src, sizeof(desc->send_src), "%s",
		 PQgetvalue(r, 0, 6));
	snprintf(desc->out_src, sizeof(desc->out_src), "%s",
		 PQgetvalue(r, 0, 7));
	PQclear(r);
	return 0;
}

static struct pg_want *
find_want(struct pg_source *ps, const char *schema, const char *name)
{
	for (int i = 0; i < ps->nwant; i++)
		if (!strcmp(ps->want[i].c.schema, schema) &&
		    !strcmp(ps->want[i].c.name, name))
			return &ps->want[i];
	return NULL;
}

static struct pg_rel *
find_rel(struct pg_source *ps, uint32_t relid)
{
	for (int i = 0; i < ps->nrels; i++)
		if (ps->rels[i].relid == relid)
			return &ps->rels[i];
	return NULL;
}

/* A new, empty entry in the relation cache; NULL on out of memory. */
static struct pg_rel *
new_rel(struct pg_source *ps, uint32_t relid)
{
	struct pg_rel *g, *rel;

	g = realloc(ps->rels, sizeof(*g) * (size_t)(ps->nrels + 1));
	if (!g)
		return NULL;
	ps->rels = g;
	rel = &ps->rels[ps->nrels++];
	memset(rel, 0, sizeof(*rel));
	rel->relid = relid;
	return rel;
}

/*
 * A Relation message: (re)build the table's shape. The key is the
 * configured key, else the primary key, else the replica identity columns
 * the server flags (REPLICA IDENTITY USING INDEX; with FULL every column is
 * flagged, so a table without a primary key then has no key). Excluded
 * columns are dropped here, so no event ever carries them.
 */
static int
handle_relation(struct pg_source *ps, const struct pg_msg *m)
{
	struct pg_want *w = find_want(
		ps, m->u.rel.nspname[0] ? m->u.rel.nspname : "pg_catalog",
		m->u.rel.relname);
	struct pg_rel *rel = find_rel(ps, m->u.rel.relid);
	struct rc_table *tbl = NULL;
	struct pg_mapped *maps = NULL;
	int *colmap = NULL, nout = 0, nconfkey = 0;

	if (!w) {
		/* a table of a FOR ALL TABLES publication we do not capture */
		rc_debug(PG_COMP, "relation %s.%s is not configured; skipped",
			 m->u.rel.nspname, m->u.rel.relname);
		if (!rel && !(rel = new_rel(ps, m->u.rel.relid))) {
			set_err(ps, "out of memory");
			return -1;
		}
		rc_table_unref(rel->tbl);
		rel->tbl = NULL;
		return 0;
	}
	maps = calloc(m->u.rel.ncols ? m->u.rel.ncols : 1, sizeof(*maps));
	colmap = calloc(m->u.rel.ncols ? m->u.rel.ncols : 1, sizeof(*colmap));
	if (!maps || !colmap)
		goto oom;
	for (int i = 0; i < m->u.rel.ncols; i++)
		colmap[i] = rc_name_in_list(w->c.exclude, m->u.rel.cols[i].name)
				    ? -1
				    : nout++;
	tbl = rc_table_new(ps->base.name, ps->dbname, w->c.schema, w->c.name,
			   nout);
	if (!tbl)
		goto oom;
	tbl->relid = m->u.rel.relid;
	if (rc_tablecfg_name(&w->c, ps->prefix, tbl) < 0)
		goto oom;
	tbl->on_error = w->c.on_error;
	for (int i = 0; w->c.key && w->c.key[i]; i++)
		nconfkey++;
	for (int i = 0; i < m->u.rel.ncols; i++) {
		const struct pg_column_desc *cd = &m->u.rel.cols[i];
		struct rc_column *col;
		int is_key;

		pg_map_type(cd->type_oid, cd->typmod, lookup_type, ps,
			    &maps[i]);
		if (colmap[i] < 0)
			continue;
		if (rc_table_set_column(tbl, colmap[i], cd->name, maps[i].type,
					maps[i].db_type) < 0)
			goto oom;
		col = &tbl->cols[colmap[i]];
		col->elem_type = maps[i].elem_type;
		col->precision = maps[i].precision;
		col->scale = maps[i].scale;
		if (nconfkey)
			is_key = rc_name_in_list(w->c.key, cd->name);
		else if (w->npk)
			is_key = rc_name_in_list(w->pk, cd->name);
		else
			is_key = (cd->flags & 1) && m->u.rel.replident == 'i';
		if (is_key)
			col->flags |= RC_COL_KEY;
	}
	/* keys in the configured / primary key order */
	if (rc_table_finish(tbl) < 0)
		goto oom;
	if (nconfkey || w->npk) {
		char **order = nconfkey ? w->c.key : w->pk;
		int k = 0;

		for (int j = 0; order[j]; j++)
			for (int i = 0; i < tbl->ncols; i++)
				if (!strcmp(tbl->cols[i].name, order[j]) &&
				    (tbl->cols[i].flags & RC_COL_KEY))
					tbl->keys[k++] = i;
		tbl->nkeys = k;
		if (nconfkey && k != nconfkey) {
			set_err(ps,
				"table %s.%s: key = %s names a column the "
				"table does not have (or an excluded one)",
				w->c.schema, w->c.name, w->c.key[0]);
			goto config_err;
		}
	}

	if (!rel && !(rel = new_rel(ps, m->u.rel.relid)))
		goto oom;
	if (rel->tbl && rc_table_same_shape(rel->tbl, tbl) &&
	    !strcmp(rel->tbl->topic, tbl->topic)) {
		rc_table_unref(tbl); /* unchanged: keep the shape events use */
	} else {
		if (rel->tbl) {
			tbl->version = rel->tbl->version + 1;
			rc_info_c(PG_COMP,
				  RC_LOG_TBL(ps->base.name, w->c.schema,
					     w->c.name),
				  "table %s.%s changed shape: schema "
				  "version %u, %d columns",
				  w->c.schema, w->c.name, tbl->version,
				  tbl->ncols);
		}
		rc_table_unref(rel->tbl);
		rel->tbl = tbl;
	}
	free(rel->maps);
	free(rel->colmap);
	rel->maps = maps;
	rel->colmap = colmap;
	rel->ncols = m->u.rel.ncols;
	rel->want = w;
	return 0;
oom:
	set_err(ps, "out of memory");
config_err:
	rc_table_unref(tbl);
	free(maps);
	free(colmap);
	return -1;
}

/*
 * Can every column of every configured table be read in binary form?
 * Asked of the catalog before streaming; 1 yes, 0 no (text mode), -1 on a
 * failed query.
 */
static int
all_binary_ok(struct pg_source *ps)
{
	static const char sql[] =
		"SELECT a.atttypid, a.atttypmod, a.attname FROM pg_attribute a"
		" JOIN pg_class c ON c.oid = a.attrelid"
		" JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0"
		" AND NOT a.attisdropped";

	for (int i = 0; i < ps->nwant; i++) {
		const char *params[2] = {ps->want[i].c.schema,
					 ps->want[i].c.name};
		PGresult *r = query(ps, ps->sql, sql, 2, params);

		if (!r)
			return -1;
		for (int row = 0; row < PQntuples(r); row++) {
			struct pg_mapped m;

			pg_map_type((uint32_t)strtoul(PQgetvalue(r, row, 0),
						      NULL, 10),
				    atoi(PQgetvalue(r, row, 1)), lookup_type,
				    ps, &m);
			if (!pg_binary_ok(&m)) {
				rc_info_c(PG_COMP,
					  RC_LOG_TBL(ps->base.name,
						     ps->want[i].c.schema,
						     ps->want[i].c.name),
					  "column %s.%s.%s (%s) "
					  "has no binary decoder: streaming "
					  "text values",
					  ps->want[i].c.schema,
					  ps->want[i].c.name,
					  PQgetvalue(r, row, 2), m.db_type);
				PQclear(r);
				return 0;
			}
		}
		PQclear(r);
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Row changes                                                        */
/* ------------------------------------------------------------------ */

/*
 * Fill one image of ev from a tuple. An unchanged TOAST column takes its
 * value from the old full image when the server sent one (REPLICA IDENTITY
 * FULL), otherwise it stays RC_V_UNCHANGED.
 */
static int
fill_row(struct pg_source *ps, struct pg_rel *rel, struct rc_event *ev,
	 int64_t row, const struct pg_tuple *tup, const struct pg_tuple *old)
{
	char err[RC_ERRLEN];

	if (tup->ncols != rel->ncols) {
		set_err(ps,
			"table %s.%s: tuple has %u columns, the relation %d",
			rel->tbl->schema, rel->tbl->name, tup->ncols,
			rel->ncols);
		return -1;
	}
	for (int i = 0; i < tup->ncols; i++) {
		const struct pg_tuple_col *c = &tup->cols[i];
		int col = rel->colmap[i];

		if (col < 0)
			continue;
		if (c->kind == 'u' && old && i < old->ncols &&
		    (old->cols[i].kind == 't' || old->cols[i].kind == 'b'))
			c = &old->cols[i];
		switch (c->kind) {
		case 'n':
			break;
		case 'u':
			rc_event_row(ev, row)[col].kind = RC_V_UNCHANGED;
			break;
		case 't':
			if (pg_convert_text(ev, row, col, &rel->maps[i],
					    c->data, c->len, err,
					    sizeof(err)) < 0) {
				set_err(ps, "table %s.%s column %s: %s",
					rel->tbl->schema, rel->tbl->name,
					rel->tbl->cols[col].name, err);
				return -1;
			}
			break;
		case 'b':
			if (!pg_binary_ok(&rel->maps[i])) {
				/* a type we cannot read in binary (a column
				 * added since the session started): go on in
				 * text mode from the last durable position */
				ps->force_text = 1;
				set_err(ps,
					"table %s.%s column %s (%s) has no "
					"binary decoder; switching to text "
					"values",
					rel->tbl->schema, rel->tbl->name,
					rel->tbl->cols[col].name,
					rel->maps[i].db_type);
				return -2;
			}
			if (pg_convert_binary(ev, row, col, &rel->maps[i],
					      c->data, c->len, err,
					      sizeof(err)) < 0) {
				set_err(ps, "table %s.%s column %s: %s",
					rel->tbl->schema, rel->tbl->name,
					rel->tbl->cols[col].name, err);
				return -1;
			}
			break;
		default:
			set_err(ps,
				"table %s.%s: unexpected tuple column kind "
				"'%c'",
				rel->tbl->schema, rel->tbl->name, c->kind);
			return -1;
		}
	}
	return 0;
}

/* Push one item, answering the server while the queue is full. Returns 0,
 * or -1 when the pipeline stopped for good. */
static int send_status(struct pg_source *ps, int reply);

static int
push_event(struct pg_source *ps, struct rc_event *ev)
{
	for (;;) {
		int r = rc_pipeline_emit(ps->pl, ev, PUSH_WAIT_MS);
		if (r == 1)
			return 0;
		if (r < 0) {
			rc_event_free(ev);
			return -1;
		}
		if (send_status(ps, 0) < 0) {
			rc_event_free(ev);
			return -2;
		}
	}
}

static void
fill_source_info(struct pg_source *ps, struct rc_event *ev, uint64_t lsn)
{
	ev->src.connector = "postgresql";
	ev->src.commit_ts_us = ps->commit_ts_us;
	ev->src.txid = ps->xid;
	ev->src.lsn = lsn;
	snprintf(ev->txn_id, sizeof(ev->txn_id), "%u:%" PRIu64, ps->xid,
		 ps->final_lsn);
}

/* I, U, D: one event. Returns 0, -1 fatal, -2 connection lost. */
static int
handle_change(struct pg_source *ps, const struct pg_msg *m, uint64_t lsn)
{
	const struct pg_tuple *newtup = NULL, *oldtup = NULL;
	struct pg_rel *rel;
	struct rc_event *ev;
	uint32_t relid;
	int r = -1;
	char op;

	switch (m->type) {
	case 'I':
		relid = m->u.insert.relid;
		newtup = &m->u.insert.newtup;
		op = 'c';
		break;
	case 'U':
		relid = m->u.update.relid;
		newtup = &m->u.update.newtup;
		if (m->u.update.oldkind)
			oldtup = &m->u.update.oldtup;
		op = 'u';
		break;
	default:
		relid = m->u.del.relid;
		oldtup = &m->u.del.oldtup;
		op = 'd';
		break;
	}
	rel = find_rel(ps, relid);
	if (!rel) {
		set_err(ps,
			"change for relation %u before its Relation message",
			relid);
		return -1;
	}
	if (!rel->tbl)
		return 0; /* not configured */
	if (!ps->in_txn) {
		set_err(ps, "row change outside a transaction");
		return -1;
	}
	ev = rc_event_new(op, rel->tbl);
	if (!ev) {
		set_err(ps, "out of memory");
		return -1;
	}
	fill_source_info(ps, ev, lsn);
	ps->base.lasterr[0] = '\0';
	if (oldtup) {
		if (rc_event_alloc_row(ev, &ev->before) < 0 ||
		    (r = fill_row(ps, rel, ev, ev->before, oldtup, NULL)) < 0)
			goto fail;
	}
	if (newtup) {
		const struct pg_tuple *full_old =
			m->type == 'U' && m->u.update.oldkind == 'O' ? oldtup
								     : NULL;
		if (rc_event_alloc_row(ev, &ev->after) < 0 ||
		    (r = fill_row(ps, rel, ev, ev->after, newtup, full_old)) <
			    0)
			goto fail;
	}
	if (ps->cur_invisible)
		rc_snap_chunk_drop(&ps->chunk, ev);
	return push_event(ps, ev);
fail:
	if (!ps->base.lasterr[0])
		set_err(ps, "out of memory");
	rc_event_free(ev);
	return r == -2 ? -2 : -1;
}

/* T: one 't' event per configured table. */
static int
handle_truncate(struct pg_source *ps, const struct pg_msg *m, uint64_t lsn)
{
	for (uint32_t i = 0; i < m->u.truncate.nrels; i++) {
		struct pg_rel *rel = find_rel(ps, m->u.truncate.relids[i]);
		struct rc_event *ev;
		int r;

		if (!rel || !rel->tbl)
			continue;
		ev = rc_event_new('t', rel->tbl);
		if (!ev) {
			set_err(ps, "out of memory");
			return -1;
		}
		fill_source_info(ps, ev, lsn);
		if (ps->cur_invisible)
			rc_snap_chunk_drop(&ps->chunk, ev);
		if ((r = push_event(ps, ev)) < 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The stream                                                         */
/* ------------------------------------------------------------------ */

/*
 * Standby status update: written = what we received, flushed = applied =
 * what the pipeline made durable and checkpointed. Sent every
 * status_interval, when the server asks, and when the confirmed position
 * moved (so the slot follows promptly).
 */
static int
send_status(struct pg_source *ps, int reply)
{
	unsigned char msg[PG_STATUS_UPDATE_LEN];
	uint64_t flushed = rc_pipeline_confirmed_lsn(ps->pl);
	int64_t now = rc_mono_ms();

	if (!reply && now - ps->last_status_ms < ps->status_interval_ms &&
	    (flushed == ps->last_flushed_sent ||
	     now - ps->last_status_ms < 100))
		return 0;
	if (!ps->repl || !ps->streaming)
		return 0;
	pg_build_status_update(msg,
			       ps->received > flushed ? ps->received : flushed,
			       flushed, flushed, pg_now_us(), 0);
	if (PQputCopyData(ps->repl, (const char *)msg, sizeof(msg)) <= 0 ||
	    PQflush(ps->repl) < 0) {
		set_err(ps, "cannot send status update: %s", pq_msg(ps->repl));
		return -1;
	}
	ps->last_status_ms = now;
	ps->last_flushed_sent = flushed;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Snapshots (snapshot.h)                                             */
/* ------------------------------------------------------------------ */

/*
 * Two ways to read a chunk, one reader:
 *
 * - consistent: on a first start the slot is created with an exported
 *   snapshot, imported into a REPEATABLE READ transaction on the normal
 *   connection; every table is read there, chunk after chunk, before the
 *   stream starts at the slot's consistent point. The rows are exactly the
 *   state the stream continues from; each chunk goes out at once.
 *
 * - online (watermarks): a table added later, a requested snapshot, or the
 *   rest of a snapshot a crash interrupted. Each chunk is read in its own
 *   REPEATABLE READ transaction whose snapshot (pg_current_snapshot())
 *   says which transactions the rows already contain; then a high
 *   watermark goes into the WAL with pg_logical_emit_message (not
 *   transactional, so no table of the user's is written). While the stream
 *   runs on to the watermark, a change made by a transaction the chunk
 *   cannot see (committed after the chunk was read) drops that key's row
 *   from the chunk: the stream carries the newer state. At the watermark
 *   the rows left go out, before anything committed after it. A chunk
 *   whose snapshot misses a transaction the stream has already passed on
 *   (a commit in the WAL a moment before it became visible) is read again.
 */

#define WM_PREFIX   "rowcast"
#define RECENT_XIDS 4096

/* The relation cache entry of a configured table, made from the catalog
 * when the stream has not sent its Relation message yet. */
static struct pg_rel *
snap_rel(struct pg_source *ps, struct pg_want *w)
{
	static const char sql[] =
		"SELECT c.oid, c.relreplident, a.attname, a.atttypid, "
		"a.atttypmod, "
		"coalesce(a.attnum = ANY(i.indkey), false) "
		"FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"JOIN pg_attribute a ON a.attrelid = c.oid "
		"LEFT JOIN pg_index i ON i.indrelid = c.oid AND "
		"(CASE c.relreplident WHEN 'd' THEN i.indisprimary "
		"WHEN 'i' THEN i.indisreplident ELSE false END) "
		"WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 "
		"AND NOT a.attisdropped AND a.attgenerated = '' "
		"ORDER BY a.attnum";
	const char *params[2] = {w->c.schema, w->c.name};
	struct pg_column_desc *cols;
	struct pg_msg m;
	struct pg_rel *rel;
	PGresult *r;
	uint32_t relid;
	int n, rc;

	for (int i = 0; i < ps->nrels; i++)
		if (ps->rels[i].want == w && ps->rels[i].tbl)
			return &ps->rels[i];
	lag_finish(ps);
	if (!(r = query(ps, ps->sql, sql, 2, params)))
		return NULL;
	n = PQntuples(r);
	if (n == 0) {
		set_err(ps, "table %s.%s has no columns or is gone",
			w->c.schema, w->c.name);
		PQclear(r);
		return NULL;
	}
	relid = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	if ((rel = find_rel(ps, relid)) && rel->tbl) {
		PQclear(r);
		return rel;
	}
	if (!(cols = calloc((size_t)n, sizeof(*cols)))) {
		PQclear(r);
		set_err(ps, "out of memory");
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		cols[i].flags = PQgetvalue(r, i, 5)[0] == 't' ||
				PQgetvalue(r, 0, 1)[0] == 'f';
		cols[i].name = PQgetvalue(r, i, 2);
		cols[i].type_oid =
			(uint32_t)strtoul(PQgetvalue(r, i, 3), NULL, 10);
		cols[i].typmod = atoi(PQgetvalue(r, i, 4));
	}
	memset(&m, 0, sizeof(m));
	m.type = 'R';
	m.u.rel.relid = relid;
	m.u.rel.nspname = w->c.schema;
	m.u.rel.relname = w->c.name;
	m.u.rel.replident = PQgetvalue(r, 0, 1)[0];
	m.u.rel.ncols = (uint16_t)n;
	m.u.rel.cols = cols;
	rc = handle_relation(ps, &m);
	free(cols);
	PQclear(r);
	if (rc < 0)
		return NULL;
	return find_rel(ps, relid);
}

/* Key column k of w in a chunk's SELECT: rc_t.<name>, or rc_t.ctid for a
 * table without a primary key. */
static void
append_key(struct rc_buf *sql, struct pg_source *ps, struct pg_want *w, int k)
{
	rc_buf_puts(sql, "rc_t.");
	if (w->npk)
		append_ident(sql, ps->sql, w->pk[k]);
	else
		rc_buf_puts(sql, "ctid");
}

/*
 * The SELECT of one chunk: the Relation's columns, then the key as text
 * (the cursor), in key order, after the cursor ($1..$n). With keybin (nk
 * entries), a key column of a type whose binary value copy_key_text()
 * turns into the same text as ::text is not selected again: keybin[k] is
 * then its column's index and keyoid[k] its type, else keybin[k] = -1.
 */
static int
chunk_sql(struct pg_source *ps, struct pg_want *w, struct pg_rel *rel,
	  int after, int64_t limit, struct rc_buf *sql, int *keybin,
	  uint32_t *keyoid)
{
	PGresult *r;
	static const char types[] =
		"SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
		"a.atttypid "
		"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
		"WHERE c.oid = $1 AND a.attnum > 0 AND NOT a.attisdropped "
		"AND a.attgenerated = '' ORDER BY a.attnum";
	char oid[16];
	const char *params[1] = {oid};
	int nk = w->npk ? w->npk : 1;

	snprintf(oid, sizeof(oid), "%u", rel->relid);
	if (!(r = query(ps, ps->sql, types, 1, params)))
		return -1;
	rc_buf_reset(sql);
	rc_buf_puts(sql, "SELECT ");
	for (int i = 0; i < PQntuples(r); i++) {
		rc_buf_puts(sql, "rc_t.");
		append_ident(sql, ps->sql, PQgetvalue(r, i, 0));
		rc_buf_puts(sql, ", ");
	}
	for (int k = 0, sep = 0; k < nk; k++) {
		if (keybin) {
			keybin[k] = -1;
			for (int i = 0; w->npk && i < PQntuples(r); i++) {
				uint32_t oid = (uint32_t)strtoul(
					PQgetvalue(r, i, 2), NULL, 10);

				if (strcmp(PQgetvalue(r, i, 0), w->pk[k]) ||
				    !pg_key_binary_ok(oid))
					continue;
				keybin[k] = i;
				keyoid[k] = oid;
			}
			if (keybin[k] >= 0)
				continue;
		}
		rc_buf_puts(sql, sep++ ? ", " : "");
		append_key(sql, ps, w, k);
		rc_buf_puts(sql, "::text");
	}
	if (sql->data[sql->len - 2] == ',') { /* no key column as text */
		sql->len -= 2;
		sql->data[sql->len] = '\0';
	}
	rc_buf_puts(sql, " FROM ONLY ");
	append_ident(sql, ps->sql, w->c.schema);
	rc_buf_putc(sql, '.');
	append_ident(sql, ps->sql, w->c.name);
	rc_buf_puts(sql, " AS rc_t");
	if (after) {
		rc_buf_puts(sql, " WHERE (");
		for (int k = 0; k < nk; k++) {
			rc_buf_puts(sql, k ? ", " : "");
			append_key(sql, ps, w, k);
		}
		rc_buf_puts(sql, ") > (");
		for (int k = 0; k < nk; k++) {
			const char *ty = "tid";

			if (w->npk)
				for (int i = 0; i < PQntuples(r); i++)
					if (!strcmp(PQgetvalue(r, i, 0),
						    w->pk[k]))
						ty = PQgetvalue(r, i, 1);
			rc_buf_printf(sql, "%s$%d::%s", k ? ", " : "", k + 1,
				      ty);
		}
		rc_buf_puts(sql, ")");
	}
	rc_buf_puts(sql, " ORDER BY ");
	for (int k = 0; k < nk; k++) {
		rc_buf_puts(sql, k ? ", " : "");
		append_key(sql, ps, w, k);
	}
	if (limit > 0)
		rc_buf_printf(sql, " LIMIT %lld", (long long)limit);
	PQclear(r);
	return 0;
}

/* One 'r' event from a row's values (lens[i] < 0: NULL), in the
 * Relation's column order. */
static struct rc_event *
snap_event(struct pg_source *ps, struct pg_rel *rel, const char *const *vals,
	   const int *lens, int binary, uint64_t lsn, int64_t read_us)
{
	struct rc_event *ev = rc_event_new('r', rel->tbl);
	char err[RC_ERRLEN];

	if (!ev || rc_event_alloc_row(ev, &ev->after) < 0) {
		rc_event_free(ev);
		set_err(ps, "out of memory");
		return NULL;
	}
	ev->src.connector = "postgresql";
	ev->src.commit_ts_us = read_us; /* when the chunk was read */
	ev->src.txid = -1;
	ev->src.lsn = lsn;
	for (int i = 0; i < rel->ncols; i++) {
		int col = rel->colmap[i], rc;

		if (col < 0 || lens[i] < 0)
			continue;
		if (binary)
			rc = pg_convert_binary(
				ev, ev->after, col, &rel->maps[i], vals[i],
				(size_t)lens[i], err, sizeof(err));
		else
			rc = pg_convert_text(ev, ev->after, col, &rel->maps[i],
					     vals[i], (size_t)lens[i], err,
					     sizeof(err));
		if (rc < 0) {
			set_err(ps, "snapshot of %s.%s, column %s: %s",
				rel->tbl->schema, rel->tbl->name,
				rel->tbl->cols[col].name, err);
			rc_event_free(ev);
			return NULL;
		}
	}
	return ev;
}

/* pg_current_snapshot() text "xmin:xmax:xip,..." into ps. */
static int
parse_txn_snapshot(struct pg_source *ps, const char *s)
{
	char *end;

	ps->nsnap_xip = 0;
	ps->snap_xmin = strtoull(s, &end, 10);
	if (*end != ':')
		return -1;
	ps->snap_xmax = strtoull(end + 1, &end, 10);
	if (*end != ':')
		return -1;
	s = end + 1;
	while (*s) {
		uint64_t x = strtoull(s, &end, 10);
		if (end == s)
			return -1;
		if (ps->nsnap_xip == ps->snap_xip_cap) {
			int nc = ps->snap_xip_cap ? ps->snap_xip_cap * 2 : 64;
			uint64_t *g =
				realloc(ps->snap_xip, sizeof(*g) * (size_t)nc);
			if (!g)
				return -1;
			ps->snap_xip = g;
			ps->snap_xip_cap = nc;
		}
		ps->snap_xip[ps->nsnap_xip++] = x;
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* Did the chunk's snapshot see top-level transaction xid (32 bits, as the
 * stream gives it; the snapshot's are 64-bit with the epoch)? */
static int
xid_visible(const struct pg_source *ps, uint32_t xid)
{
	/* the stream's xids are within 2^31 of the snapshot's xmax */
	int32_t diff = (int32_t)(xid - (uint32_t)ps->snap_xmax);
	uint64_t full = ps->snap_xmax + (uint64_t)(int64_t)diff;

	if (full < ps->snap_xmin)
		return 1;
	if (full >= ps->snap_xmax)
		return 0;
	for (int i = 0; i < ps->nsnap_xip; i++)
		if (ps->snap_xip[i] == full)
			return 0;
	return 1;
}

/* Did the stream already pass on a transaction the snapshot misses? */
static int
snapshot_misses_seen(const struct pg_source *ps)
{
	int n = ps->nrecent < RECENT_XIDS ? ps->nrecent : RECENT_XIDS;

	for (int i = 0; i < n; i++)
		if (!xid_visible(ps, ps->recent_xids[i]))
			return 1;
	return 0;
}

static int
emit_cb(void *ctx, struct rc_event *ev)
{
	return push_event(ctx, ev);
}

/*
 * Open a transaction in the pipeline, keeping the server's connection
 * alive while the queue is full. 0, -1 when the pipeline is closed, -2
 * when the connection is lost.
 */
static int
pipeline_begin(struct pg_source *ps)
{
	int r;

	while ((r = rc_pipeline_begin(ps->pl, PUSH_WAIT_MS)) != 1) {
		if (r < 0)
			return -1;
		if (send_status(ps, 0) < 0)
			return -2;
	}
	return 0;
}

/* Push the chunk (open, waiting or read in the consistent pass) as one
 * transaction at lsn, with the snapshot state after it. 0, -1, -2. */
static int
push_chunk(struct pg_source *ps, uint64_t lsn)
{
	struct rc_snap_chunk *c = &ps->chunk;
	struct rc_snap_table *t = c->t;
	struct rc_pos pos = {.lsn = lsn};
	size_t live = c->live;
	int r, oom;

	if (!live) {
		/* nothing to send: the state rides on the next position */
		if (rc_snap_advance(ps->snap, t, 0, c->last_key, c->nlast_key,
				    c->last) < 0) {
			set_err(ps, "out of memory");
			return -1;
		}
		rc_snap_chunk_reset(c);
		return 0;
	}
	if ((r = pipeline_begin(ps)) < 0)
		return r;
	ps->in_txn = 1;
	/* the same id when the chunk is read again after a crash */
	{
		char id[sizeof(c->ev[0]->txn_id)];

		snprintf(id, sizeof(id), "snapshot:%s.%s:%llu", t->schema,
			 t->name, (unsigned long long)t->rows);
		for (size_t i = 0; i < c->n; i++)
			if (c->ev[i]) {
				c->ev[i]->src.lsn = lsn;
				memcpy(c->ev[i]->txn_id, id, sizeof(id));
			}
	}
	if ((r = rc_snap_chunk_emit(c, emit_cb, ps)) < 0)
		return r;
	if (c->dropped)
		rc_debug(PG_COMP,
			 "snapshot chunk of %s.%s: %llu rows dropped, the "
			 "stream had newer changes",
			 t->schema, t->name, (unsigned long long)c->dropped);
	ps->snap_dropped += c->dropped;
	if (rc_snap_advance(ps->snap, t, live, c->last_key, c->nlast_key,
			    c->last) < 0 ||
	    (pos.snap = rc_snap_take_text(ps->snap, &oom), oom)) {
		set_err(ps, "out of memory");
		return -1;
	}
	for (;;) {
		r = rc_pipeline_commit(ps->pl, &pos, PUSH_WAIT_MS);
		if (r == 1)
			break;
		if (r < 0) {
			rc_pos_clear(&pos);
			return -1;
		}
		if (send_status(ps, 0) < 0) {
			rc_pos_clear(&pos);
			return -2;
		}
	}
	ps->in_txn = 0;
	rc_snap_chunk_reset(c);
	rc_snap_report(ps->snap, 0);
	return 0;
}

/* Room for n values of one row (ps->row_vals/row_lens). 0 or -1. */
static int
row_scratch(struct pg_source *ps, int n)
{
	const char **v;
	int *l;

	if (n <= ps->row_cap)
		return 0;
	v = realloc(ps->row_vals, sizeof(*v) * (size_t)n);
	if (v)
		ps->row_vals = v;
	l = v ? realloc(ps->row_lens, sizeof(*l) * (size_t)n) : NULL;
	if (!l) {
		set_err(ps, "out of memory");
		return -1;
	}
	ps->row_lens = l;
	ps->row_cap = n;
	return 0;
}

/* The chunk so far goes out: its cursor is the last row's key text. */
static int
copy_push(struct pg_source *ps, char *const *key, int nk, int last,
	  uint64_t lsn)
{
	int rc;

	if (rc_snap_chunk_set_end(&ps->chunk, key, nk, last) < 0) {
		set_err(ps, "out of memory");
		return -1;
	}
	if ((rc = push_chunk(ps, lsn)) < 0)
		return rc;
	rc_snap_throttle(ps->snap, (uint64_t)ps->snap->chunk_rows, 1000);
	return 0;
}

/* Big-endian integers of the binary COPY format. */
static uint32_t
copy_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/*
 * The cursor of a chunk from its last row's key bytes: text columns as
 * they are, binary ones (keybin[k] >= 0) rendered into keytxt[k]. 0, or -1
 * with lasterr.
 */
static int
copy_key_texts(struct pg_source *ps, int nk, const int *keybin,
	       const uint32_t *keyoid, char **prevkey, const int *prevlen,
	       char (*keytxt)[24], char **key)
{
	for (int k = 0; k < nk; k++) {
		key[k] = prevkey[k];
		if (keybin[k] < 0 || keyoid[k] == 25 || keyoid[k] == 1043)
			continue; /* text already (NUL-terminated) */
		if (pg_key_binary_text(
			    keyoid[k], (const unsigned char *)prevkey[k],
			    prevlen[k], keytxt[k], sizeof(keytxt[k])) < 0) {
			set_err(ps, "snapshot: malformed binary key value");
			return -1;
		}
		key[k] = keytxt[k];
	}
	return 0;
}

/*
 * The consistent pass reads a whole table with one
 * COPY (SELECT ... ORDER BY key) TO STDOUT (FORMAT binary): the server
 * streams while the rows are converted (no query per chunk), the values
 * are in the same send format as pgoutput's binary mode, and the rows are
 * still pushed chunk by chunk with the key as cursor. A chunk goes out when
 * the row after it arrives, so the table's last row is known and marked.
 * Memory: one chunk and one row. 0, -1 fatal, -2 connection lost.
 */
static int
copy_table(struct pg_source *ps, struct rc_snap_table *t, struct pg_want *w,
	   uint64_t lsn)
{
	static const unsigned char sig[11] = "PGCOPY\n\377\r\n";
	struct rc_snap_chunk *c = &ps->chunk;
	struct pg_rel *rel;
	struct rc_buf sql;
	PGresult *r;
	char *buf = NULL, *key[64], *prevkey[64] = {NULL};
	size_t keycap[64] = {0};
	int prevlen[64] = {0}, keybin[64], keycol[64], ntext = 0, stopped = 0;
	char keytxt[64][24]; /* integer keys as text */
	uint32_t keyoid[64];
	int nk = w->npk ? w->npk : 1, header = 0, rc = -1, n, ncols;
	int64_t inchunk = 0, read_us = rc_wall_ms() * 1000;

	if (nk > 64) {
		set_err(ps, "a key of more than 64 columns");
		return -1;
	}
	if (!(rel = snap_rel(ps, w)))
		return -1;
	rc_buf_init(&sql, 1 << 20);
	if (chunk_sql(ps, w, rel, 0, 0, &sql, keybin, keyoid) < 0) {
		rc_buf_free(&sql);
		return -1;
	}
	/* where each key's bytes are: its own column (binary, rendered at a
	 * chunk's end) or a text column after the Relation's */
	for (int k = 0; k < nk; k++)
		keycol[k] = keybin[k] >= 0 ? keybin[k] : rel->ncols + ntext++;
	ncols = rel->ncols + ntext;
	if (row_scratch(ps, ncols) < 0) {
		rc_buf_free(&sql);
		return -1;
	}
	{
		/* the COPY around the SELECT */
		char *select = strdup(sql.data);

		rc_buf_reset(&sql);
		if (!select || rc_buf_printf(&sql,
					     "COPY (%s) TO STDOUT (FORMAT "
					     "binary)",
					     select) < 0) {
			free(select);
			rc_buf_free(&sql);
			set_err(ps, "out of memory");
			return -1;
		}
		free(select);
	}
	r = PQexec(ps->sql, sql.data);
	rc_buf_free(&sql);
	if (PQresultStatus(r) != PGRES_COPY_OUT) {
		set_err(ps, "snapshot of %s.%s: %s", t->schema, t->name,
			pq_msg(ps->sql));
		PQclear(r);
		return PQstatus(ps->sql) != CONNECTION_OK ? -2 : -1;
	}
	PQclear(r);
	/* no key set: nothing is dropped from a chunk of the consistent pass */
	rc_snap_chunk_begin(c, t, NULL, 0);
	while ((n = PQgetCopyData(ps->sql, &buf, 0)) > 0) {
		const unsigned char *p = (const unsigned char *)buf,
				    *end = p + n;
		struct rc_event *ev;
		int16_t nf;

		if (!header) {
			/* signature, flags, header extension */
			if (n < 19 || memcmp(p, sig, sizeof(sig)) != 0 ||
			    copy_u32(p + 15) > (uint32_t)(n - 19))
				goto bad;
			p += 19 + copy_u32(p + 15);
			header = 1;
			if (p == end) {
				PQfreemem(buf);
				continue;
			}
		}
		if (end - p < 2)
			goto bad;
		nf = (int16_t)(p[0] << 8 | p[1]);
		p += 2;
		if (nf == -1) { /* trailer */
			PQfreemem(buf);
			buf = NULL;
			continue;
		}
		if (nf != ncols)
			goto bad;
		for (int i = 0; i < ncols; i++) {
			int32_t len;

			if (end - p < 4)
				goto bad;
			len = (int32_t)copy_u32(p);
			p += 4;
			if (len < -1 || (len > 0 && end - p < len))
				goto bad;
			ps->row_vals[i] = (const char *)p;
			ps->row_lens[i] = len;
			if (len > 0)
				p += len;
		}
		if (p != end)
			goto bad;
		/* the row after a full chunk: the chunk goes out first */
		if (inchunk == ps->snap->chunk_rows) {
			if (copy_key_texts(ps, nk, keybin, keyoid, prevkey,
					   prevlen, keytxt, key) < 0)
				goto out;
			if ((rc = copy_push(ps, key, nk, 0, lsn)) < 0)
				goto out;
			rc = -1;
			rc_snap_chunk_begin(c, t, NULL, 0);
			inchunk = 0;
			if (rc_pipeline_stopping(ps->pl)) {
				/* stop now, not at the end of the table: the
				 * rest is read at the next start, from the
				 * cursor just checkpointed */
				rc_info_c(PG_COMP, RC_LOG_SRC(ps->base.name),
					  "snapshot of %s.%s stopped after "
					  "%llu rows; it resumes there",
					  t->schema, t->name,
					  (unsigned long long)t->rows);
				stopped = 1;
				rc = 0;
				goto out;
			}
		}
		ev = snap_event(ps, rel, ps->row_vals, ps->row_lens, 1, lsn,
				read_us);
		if (!ev || rc_snap_chunk_add(c, ev) < 0) {
			if (ev && !ps->base.lasterr[0])
				set_err(ps, "out of memory");
			goto out;
		}
		inchunk++;
		/* the key of this row: the cursor if it ends a chunk */
		for (int k = 0; k < nk; k++) {
			int len = ps->row_lens[keycol[k]];

			if (len < 0)
				len = 0;
			if ((size_t)len >= keycap[k]) {
				char *g = realloc(prevkey[k], (size_t)len + 64);

				if (!g) {
					set_err(ps, "out of memory");
					goto out;
				}
				prevkey[k] = g;
				keycap[k] = (size_t)len + 64;
			}
			memcpy(prevkey[k], ps->row_vals[keycol[k]],
			       (size_t)len);
			prevkey[k][len] = '\0';
			prevlen[k] = len;
		}
		PQfreemem(buf);
		buf = NULL;
	}
	if (n == -2) {
		set_err(ps, "snapshot of %s.%s: %s", t->schema, t->name,
			pq_msg(ps->sql));
		rc = PQstatus(ps->sql) != CONNECTION_OK ? -2 : -1;
		goto out;
	}
	r = PQgetResult(ps->sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(ps, "snapshot of %s.%s: %s", t->schema, t->name,
			pq_msg(ps->sql));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	if (inchunk && copy_key_texts(ps, nk, keybin, keyoid, prevkey, prevlen,
				      keytxt, key) < 0)
		goto out;
	rc = copy_push(ps, key, inchunk ? nk : 0, 1, lsn);
	goto out;
bad:
	set_err(ps, "snapshot of %s.%s: malformed binary COPY data", t->schema,
		t->name);
out:
	PQfreemem(buf);
	for (int k = 0; k < nk; k++)
		free(prevkey[k]);
	if (rc < 0 || stopped) {
		rc_snap_chunk_reset(c);
		if (stopped) { /* the server stops sending, with an error */
			PGcancel *cn = PQgetCancel(ps->sql);
			char eb[256];

			if (cn) {
				PQcancel(cn, eb, sizeof(eb));
				PQfreeCancel(cn);
			}
		}
		/* drain what the server still sends, so the connection can
		 * be used (or closed) cleanly */
		while ((n = PQgetCopyData(ps->sql, &buf, 0)) > 0)
			PQfreemem(buf);
		while ((r = PQgetResult(ps->sql)))
			PQclear(r);
	}
	return rc;
}

/*
 * Read the next chunk of t into ps->chunk, in the transaction already open
 * on ps->sql. 0, or -1 with lasterr (connection state tells retry/fatal).
 */
static int
read_chunk(struct pg_source *ps, struct rc_snap_table *t, struct pg_want *w,
	   uint64_t lsn)
{
	struct rc_snap_chunk *c = &ps->chunk;
	const char **params = NULL;
	struct pg_rel *rel;
	struct rc_buf sql;
	PGresult *r;
	int nk = w->npk ? w->npk : 1, n, ncols, more, rc = -1;
	int64_t read_us;

	if (!(rel = snap_rel(ps, w)))
		return -1;
	rc_buf_init(&sql, 1 << 20);
	/* one row more: tells whether the chunk ends the table, so that its
	 * last row can be marked "last" */
	if (chunk_sql(ps, w, rel, t->ncursor > 0, ps->snap->chunk_rows + 1,
		      &sql, NULL, NULL) < 0)
		goto out;
	if (t->ncursor > 0) {
		if (t->ncursor != nk) {
			set_err(ps,
				"snapshot cursor of %s.%s has %d values, the "
				"key %d columns",
				t->schema, t->name, t->ncursor, nk);
			goto out;
		}
		params = (const char **)t->cursor;
	}
	r = PQexecParams(ps->sql, sql.data, t->ncursor > 0 ? nk : 0, NULL,
			 params, NULL, NULL, ps->binary);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		set_err(ps, "snapshot of %s.%s: %s", t->schema, t->name,
			pq_msg(ps->sql));
		PQclear(r);
		goto out;
	}
	n = PQntuples(r);
	more = n > ps->snap->chunk_rows;
	if (more)
		n = (int)ps->snap->chunk_rows;
	ncols = PQnfields(r);
	if (ncols != rel->ncols + nk) {
		set_err(ps,
			"snapshot of %s.%s: %d columns read, the relation has "
			"%d (a concurrent ALTER TABLE?)",
			t->schema, t->name, ncols - nk, rel->ncols);
		PQclear(r);
		goto out;
	}
	rc_snap_chunk_begin(c, t, w->pk, w->npk);
	read_us = rc_wall_ms() * 1000;
	if (row_scratch(ps, ncols) < 0) {
		PQclear(r);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct rc_event *ev;

		for (int j = 0; j < rel->ncols; j++) {
			ps->row_vals[j] = PQgetvalue(r, i, j);
			ps->row_lens[j] = PQgetisnull(r, i, j)
						  ? -1
						  : PQgetlength(r, i, j);
		}
		ev = snap_event(ps, rel, ps->row_vals, ps->row_lens, ps->binary,
				lsn, read_us);
		if (!ev || rc_snap_chunk_add(c, ev) < 0) {
			if (ev && !ps->base.lasterr[0])
				set_err(ps, "out of memory");
			PQclear(r);
			rc_snap_chunk_reset(c);
			goto out;
		}
	}
	{
		char *key[64];
		int ok = nk <= 64;

		for (int k = 0; ok && k < nk && n > 0; k++)
			key[k] = PQgetvalue(r, n - 1, rel->ncols + k);
		if (!ok ||
		    rc_snap_chunk_set_end(c, key, n > 0 ? nk : 0, !more) < 0) {
			set_err(ps, "out of memory (or a key of more than "
				    "64 columns)");
			PQclear(r);
			goto out;
		}
	}
	PQclear(r);
	rc_snap_throttle(ps->snap, (uint64_t)n, 1000);
	rc = 0;
out:
	rc_buf_free(&sql);
	return rc;
}

/* A table's snapshot begins here: its estimate (pg_class.reltuples,
 * -1 before the first ANALYZE) and the log line. */
static void
snap_start_table(struct pg_source *ps, struct rc_snap_table *t)
{
	const char *params[2] = {t->schema, t->name};
	int64_t est = -1;
	PGresult *r;

	if (rc_snap_begun(t))
		return;
	r = query(ps, ps->sql,
		  "SELECT CASE WHEN c.reltuples < 0 THEN -1 ELSE "
		  "c.reltuples::bigint END FROM pg_class c "
		  "JOIN pg_namespace n ON n.oid = c.relnamespace "
		  "WHERE n.nspname = $1 AND c.relname = $2",
		  2, params);
	if (r && PQntuples(r) == 1)
		est = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	rc_snap_begin(ps->snap, t, est);
}

/* A table the online reader cannot chunk (no primary key): said once,
 * and marked done. */
static void
snap_skip_table(struct pg_source *ps, struct rc_snap_table *t)
{
	rc_warn_c(PG_COMP, RC_LOG_TBL(ps->base.name, t->schema, t->name),
		  "table %s.%s has no primary key: its rows can only be "
		  "snapshotted on a first start (snapshot of a new slot); "
		  "skipped",
		  t->schema, t->name);
	rc_snap_advance(ps->snap, t, 0, NULL, 0, 1);
}

/*
 * The consistent pass: every table to snapshot, read in the transaction
 * that imported the slot's exported snapshot, pushed at the slot's
 * consistent point. SESS_STOP when done (the transaction is closed).
 */
static int
consistent_snapshot(struct pg_source *ps, const char *snapname, uint64_t lsn)
{
	struct rc_snap_table *t;
	struct rc_buf sql;
	PGresult *r;
	int rc;

	rc_buf_init(&sql, 4096);
	rc_buf_puts(&sql, "SET TRANSACTION SNAPSHOT ");
	{
		char *lit =
			PQescapeLiteral(ps->sql, snapname, strlen(snapname));
		if (lit) {
			rc_buf_puts(&sql, lit);
			PQfreemem(lit);
		}
	}
	r = query(ps, ps->sql,
		  "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL);
	PQclear(r);
	if (!r || !(r = query(ps, ps->sql, sql.data, 0, NULL))) {
		rc_buf_free(&sql);
		return failed_outcome(ps, ps->sql);
	}
	PQclear(r);
	rc_buf_free(&sql);
	rc_info_c(PG_COMP, RC_LOG_SRC(ps->base.name),
		  "snapshot: reading the tables in the slot's exported "
		  "snapshot %s",
		  snapname);
	while ((t = rc_snap_next(ps->snap))) {
		struct pg_want *w = find_want(ps, t->schema, t->name);

		if (rc_pipeline_stopping(ps->pl))
			break;
		if (!w) {
			rc_snap_advance(ps->snap, t, 0, NULL, 0, 1);
			continue;
		}
		snap_start_table(ps, t);
		if (ps->binary && t->ncursor == 0) {
			if ((rc = copy_table(ps, t, w, lsn)) < 0)
				return rc == -2 ? SESS_RETRY
						: failed_outcome(ps, ps->sql);
			continue;
		}
		if (read_chunk(ps, t, w, lsn) < 0)
			return failed_outcome(ps, ps->sql);
		if ((rc = push_chunk(ps, lsn)) < 0)
			return rc == -2 ? SESS_RETRY : SESS_FATAL;
	}
	if (!(r = query(ps, ps->sql, "COMMIT", 0, NULL)))
		return failed_outcome(ps, ps->sql);
	PQclear(r);
	return SESS_STOP;
}

/*
 * Online: when no chunk waits, read the next one and write its watermark.
 * Called between transactions. 0, -1 fatal, -2 connection lost.
 */
static int
snap_step(struct pg_source *ps)
{
	struct rc_snap_table *t;
	struct pg_want *w;
	struct rc_buf wm;
	PGresult *r;
	int64_t now = rc_mono_ms();

	if (now - ps->last_request_ms >= 1000) {
		ps->last_request_ms = now;
		rc_snap_poll_requests(ps->snap, rc_pipeline_state_dir(ps->pl));
		rc_snap_report(ps->snap, 0);
	}
	if (ps->chunk_wait || ps->in_txn || !ps->messages ||
	    !(t = rc_snap_next(ps->snap)))
		return 0;
	if (!(w = find_want(ps, t->schema, t->name))) {
		rc_snap_advance(ps->snap, t, 0, NULL, 0, 1);
		return 0;
	}
	if (!w->npk) {
		snap_skip_table(ps, t);
		return 0;
	}
	lag_finish(ps);
	snap_start_table(ps, t);
	r = query(ps, ps->sql,
		  "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL);
	if (!r)
		goto failed;
	PQclear(r);
	if (!(r = query(ps, ps->sql, "SELECT pg_current_snapshot()::text", 0,
			NULL)))
		goto failed;
	if (parse_txn_snapshot(ps, PQgetvalue(r, 0, 0)) < 0) {
		set_err(ps, "cannot read the transaction snapshot '%s'",
			PQgetvalue(r, 0, 0));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (read_chunk(ps, t, w, 0) < 0) {
		PQclear(PQexec(ps->sql, "ROLLBACK"));
		goto failed;
	}
	if (!(r = query(ps, ps->sql, "COMMIT", 0, NULL)))
		goto failed;
	PQclear(r);
	if (snapshot_misses_seen(ps)) {
		/* rare: read it again */
		rc_debug(PG_COMP, "snapshot chunk of %s.%s read again",
			 t->schema, t->name);
		rc_snap_chunk_reset(&ps->chunk);
		return 0;
	}
	/* the watermark, in a transaction that has an id and commits with
	 * synchronous_commit on: its commit flushes the WAL, so the walsender
	 * sends the message at once (PG 15 has no flush argument; the empty
	 * transaction itself is not decoded) */
	ps->chunk_no++;
	rc_buf_init(&wm, 4096);
	rc_buf_printf(&wm,
		      "BEGIN; SET LOCAL synchronous_commit = on; "
		      "SELECT pg_logical_emit_message(false, '%s', ",
		      WM_PREFIX);
	{
		char content[RC_MAX_NAME + 32], *lit;

		snprintf(content, sizeof(content), "%s:%" PRIu64, ps->slot,
			 ps->chunk_no);
		lit = PQescapeLiteral(ps->sql, content, strlen(content));
		if (lit) {
			rc_buf_puts(&wm, lit);
			PQfreemem(lit);
		}
	}
	rc_buf_puts(&wm, "), pg_current_xact_id(); COMMIT");
	r = PQexec(ps->sql, wm.data);
	rc_buf_free(&wm);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		set_err(ps, "cannot write a snapshot watermark: %s",
			pq_msg(ps->sql));
		PQclear(r);
		PQclear(PQexec(ps->sql, "ROLLBACK"));
		rc_snap_chunk_reset(&ps->chunk);
		goto failed;
	}
	PQclear(r);
	ps->chunk_wait = 1;
	ps->cur_invisible = 0;
	return 0;
failed:
	return PQstatus(ps->sql) != CONNECTION_OK ? -2 : -1;
}

/* A logical decoding message: our watermark closes the waiting chunk. */
static int
handle_watermark(struct pg_source *ps, const struct pg_msg *m)
{
	char want[RC_MAX_NAME + 32];
	int n;

	if (strcmp(m->u.message.prefix, WM_PREFIX) != 0 || !ps->chunk_wait)
		return 0;
	n = snprintf(want, sizeof(want), "%s:%" PRIu64, ps->slot, ps->chunk_no);
	if ((uint32_t)n != m->u.message.len ||
	    memcmp(want, m->u.message.content, (size_t)n) != 0)
		return 0; /* an older chunk's, or another agent's */
	if (ps->in_txn) {
		set_err(ps, "snapshot watermark inside a transaction");
		return -1;
	}
	ps->chunk_wait = 0;
	return push_chunk(ps, m->u.message.lsn);
}

/* Remember a committed transaction the stream passed on. */
static void
note_xid(struct pg_source *ps, uint32_t xid)
{
	ps->recent_xids[ps->nrecent++ % RECENT_XIDS] = xid;
}

/* A configuration reload: capture the tables added to `tables`. */
static int
add_tables(struct pg_source *ps, const struct rc_config *cfg,
	   const struct rc_conf_section *sec)
{
	struct rc_tablecfg *tcs = NULL;
	char err[RC_ERRLEN];
	int n, rc = SESS_STOP;

	if (rc_tablecfg_load(cfg, sec, "public", &tcs, &n, err, sizeof(err)) <
	    0) {
		rc_error_c(PG_COMP, RC_LOG_SRC(ps->base.name),
			   "reloaded configuration: %s", err);
		return SESS_STOP;
	}
	for (int i = 0; i < n; i++) {
		struct pg_want *g, *w;

		if (find_want(ps, tcs[i].schema, tcs[i].name))
			continue;
		g = realloc(ps->want, sizeof(*g) * (size_t)(ps->nwant + 1));
		if (!g) {
			set_err(ps, "out of memory");
			rc = SESS_FATAL;
			break;
		}
		ps->want = g;
		for (int j = 0; j < ps->nrels; j++)
			if (ps->rels[j].tbl)
				ps->rels[j].want =
					find_want(ps, ps->rels[j].tbl->schema,
						  ps->rels[j].tbl->name);
		w = &ps->want[ps->nwant];
		memset(w, 0, sizeof(*w));
		w->c = tcs[i];
		memset(&tcs[i], 0, sizeof(tcs[i]));
		ps->nwant++;
		lag_finish(ps);
		if ((rc = check_table(ps, w)) != SESS_STOP) {
			rc_error_c(PG_COMP,
				   RC_LOG_TBL(ps->base.name, w->c.schema,
					      w->c.name),
				   "cannot add table %s.%s: %s", w->c.schema,
				   w->c.name, ps->base.lasterr);
			free_want(w);
			ps->nwant--;
			ps->base.lasterr[0] = '\0';
			rc = SESS_STOP;
			continue;
		}
		if ((rc = alter_publication(ps, "ADD", w->c.schema,
					    w->c.name)) != SESS_STOP)
			break;
		rc_pipeline_declare_table(ps->pl, w->c.schema, w->c.name);
		if (!rc_snap_add_table(ps->snap, w->c.schema, w->c.name)) {
			set_err(ps, "out of memory");
			rc = SESS_FATAL;
			break;
		}
		rc_info_c(PG_COMP,
			  RC_LOG_TBL(ps->base.name, w->c.schema, w->c.name),
			  "table %s.%s added (configuration reloaded)",
			  w->c.schema, w->c.name);
	}
	rc_tablecfg_free(tcs, n);
	return rc;
}

/* One pgoutput message. Returns 0, -1 fatal, -2 connection lost. */
static int
handle_message(struct pg_source *ps, const struct pg_copy *cp)
{
	char err[RC_ERRLEN];
	struct pg_msg m;
	int r;

	if (pg_parse(&ps->parser, cp->data, cp->len, &m, err, sizeof(err)) <
	    0) {
		set_err(ps, "malformed pgoutput message at %X/%X: %s",
			(unsigned)(cp->wal_start >> 32),
			(unsigned)cp->wal_start, err);
		return -1;
	}
	switch (m.type) {
	case 'B':
		if (ps->in_txn) {
			set_err(ps, "BEGIN inside a transaction");
			return -1;
		}
		ps->in_txn = 1;
		ps->xid = m.u.begin.xid;
		ps->cur_invisible = ps->chunk_wait && !xid_visible(ps, ps->xid);
		ps->final_lsn = m.u.begin.final_lsn;
		ps->commit_ts_us = m.u.begin.commit_time + PG_EPOCH_OFFSET_US;
		return pipeline_begin(ps);
	case 'C': {
		struct rc_pos pos = {.lsn = m.u.commit.end_lsn};
		int oom;

		if (!ps->in_txn) {
			set_err(ps, "COMMIT outside a transaction");
			return -1;
		}
		if (ps->snap->dirty)
			pos.snap = rc_snap_take_text(ps->snap, &oom);
		for (;;) {
			r = rc_pipeline_commit(ps->pl, &pos, PUSH_WAIT_MS);
			if (r == 1)
				break;
			if (r < 0 || send_status(ps, 0) < 0) {
				rc_pos_clear(&pos);
				ps->snap->dirty = 1;
				return r < 0 ? -1 : -2;
			}
		}
		ps->in_txn = 0;
		note_xid(ps, ps->xid);
		if (m.u.commit.end_lsn > ps->received)
			ps->received = m.u.commit.end_lsn;
		return 0;
	}
	case 'R':
		return handle_relation(ps, &m);
	case 'I':
	case 'U':
	case 'D':
		return handle_change(ps, &m, cp->wal_start);
	case 'T':
		return handle_truncate(ps, &m, cp->wal_start);
	case 'Y':
	case 'O':
		return 0;
	case 'M':
		if (!strcmp(m.u.message.prefix, WM_PREFIX))
			return handle_watermark(ps, &m);
		rc_debug(PG_COMP,
			 "logical decoding message, prefix '%s', %u "
			 "bytes (not captured)",
			 m.u.message.prefix, m.u.message.len);
		return 0;
	default:
		set_err(ps, "unexpected pgoutput message '%c'", m.type);
		return -1;
	}
}

/* A keepalive while no transaction is open: the server has sent us
 * everything up to wal_end, so once the pipeline is durable up to here,
 * wal_end may be confirmed (an idle table must not hold WAL forever). */
static void
note_idle(struct pg_source *ps, uint64_t wal_end)
{
	struct rc_pos pos = {.lsn = wal_end};
	int oom;

	if (wal_end > ps->received)
		ps->received = wal_end;
	if (ps->in_txn || (wal_end <= ps->last_idle && !ps->snap->dirty))
		return;
	pos.snap = rc_snap_take_text(ps->snap, &oom);
	if (rc_pipeline_idle(ps->pl, &pos, 0) == 1) {
		ps->last_idle = wal_end;
	} else if (pos.snap) {
		rc_pos_clear(&pos);
		ps->snap->dirty = 1; /* with the next one */
	}
}

/* Wait for the socket to be readable, or timeout_ms. */
static void
wait_socket(PGconn *c, int timeout_ms)
{
	int fd = PQsocket(c);
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	fd_set rfds;

	if (fd < 0)
		return;
	FD_ZERO(&rfds);
	FD_SET(fd, &rfds);
	select(fd + 1, &rfds, NULL, NULL, &tv);
}

/*
 * Leave COPY mode cleanly: tell the server we are done, drain what it still
 * sends (LAB.md: PQgetResult() spins while COPY_OUT data is pending), then
 * collect the results. A walsender in the middle of a large transaction
 * goes on sending it after CopyDone, for as long as the transaction is:
 * after END_COPY_MS the connection is closed instead (the caller has
 * already confirmed the position; the session ends anyway). A stop once
 * hung here, in PQgetResult, until the process was killed.
 */
#define END_COPY_MS 2000

static void
end_copy(struct pg_source *ps)
{
	PGresult *r;
	char *buf;
	int n;
	int64_t deadline = rc_mono_ms() + END_COPY_MS;

	if (!ps->repl || PQstatus(ps->repl) != CONNECTION_OK)
		return;
	PQputCopyEnd(ps->repl, NULL);
	PQflush(ps->repl);
	for (;;) {
		if (rc_mono_ms() > deadline) {
			rc_info_c(PG_COMP, RC_LOG_SRC(ps->base.name),
				  "the server still sends a transaction after "
				  "the end of the stream: closing the "
				  "replication connection");
			PQfinish(ps->repl);
			ps->repl = NULL;
			return;
		}
		n = PQgetCopyData(ps->repl, &buf, 1);
		if (n > 0) {
			PQfreemem(buf);
			continue;
		}
		if (n == 0) {
			wait_socket(ps->repl, 10);
			if (PQconsumeInput(ps->repl) == 0)
				break;
			continue;
		}
		break;
	}
	while ((r = PQgetResult(ps->repl)))
		PQclear(r);
}

/*
 * Stop: abort the open transaction (it will be sent again), wait until the
 * pipeline has made everything else durable and checkpointed, confirm that
 * position to the server, and leave COPY mode.
 */
static int
stop_stream(struct pg_source *ps)
{
	if (ps->in_txn) {
		while (rc_pipeline_abort(ps->pl, PUSH_WAIT_MS) == 0)
			send_status(ps, 0);
		ps->in_txn = 0;
	}
	while (rc_pipeline_wait_drained(ps->pl, 200) == 0)
		if (send_status(ps, 0) < 0)
			break;
	ps->last_status_ms = 0;
	send_status(ps, 1);
	end_copy(ps);
	return SESS_STOP;
}

/* START_REPLICATION and the receive loop. */
/* Between transactions: a reloaded configuration, snapshot chunks. */
static int
between_txns(struct pg_source *ps)
{
	const struct rc_config *cfg;
	const struct rc_conf_section *sec;
	int r;

	if (ps->in_txn)
		return SESS_STOP;
	if ((sec = rc_pipeline_take_reload(ps->pl, &cfg)) &&
	    (r = add_tables(ps, cfg, sec)) != SESS_STOP)
		return r;
	r = snap_step(ps);
	if (r == -1)
		return rc_pipeline_stopping(ps->pl) && !ps->base.lasterr[0]
			       ? stop_stream(ps)
			       : SESS_FATAL;
	if (r == -2)
		return SESS_RETRY;
	return SESS_STOP;
}

static int
stream(struct pg_source *ps, uint64_t start_lsn)
{
	struct rc_buf cmd;
	PGresult *r;
	char *pubq;
	int rc;

	pubq = PQescapeLiteral(ps->repl, ps->publication,
			       strlen(ps->publication));
	rc_buf_init(&cmd, 4096);
	rc_buf_printf(&cmd,
		      "START_REPLICATION SLOT %s LOGICAL %X/%X (proto_version "
		      "'1', publication_names %s%s%s)",
		      ps->slot, (unsigned)(start_lsn >> 32),
		      (unsigned)start_lsn, pubq ? pubq : "''",
		      ps->binary ? ", binary 'true'" : "",
		      ps->messages ? ", messages 'true'" : "");
	PQfreemem(pubq);
	r = PQexec(ps->repl, cmd.data);
	rc_buf_free(&cmd);
	if (PQresultStatus(r) != PGRES_COPY_BOTH) {
		set_err(ps, "START_REPLICATION failed: %s", pq_msg(ps->repl));
		PQclear(r);
		return failed_outcome(ps, ps->repl);
	}
	PQclear(r);
	ps->streaming = 1;
	rc_pipeline_set_state(ps->pl, RC_SRC_STREAMING);
	ps->last_lag_ms = 0; /* measure at once */
	rc_info_c(PG_COMP, RC_LOG_SRC(ps->base.name),
		  "streaming from slot %s at %X/%X (%s values)", ps->slot,
		  (unsigned)(start_lsn >> 32), (unsigned)start_lsn,
		  ps->binary ? "binary" : "text");
	ps->last_status_ms = rc_mono_ms();

	for (;;) {
		struct pg_copy cp;
		char err[RC_ERRLEN];
		char *buf = NULL;
		int n;

		if (rc_pipeline_stopping(ps->pl))
			return stop_stream(ps);
		n = PQgetCopyData(ps->repl, &buf, 1);
		if (n == 0) {
			if ((rc = between_txns(ps)) != SESS_STOP)
				return rc;
			if (send_status(ps, 0) < 0)
				return SESS_RETRY;
			lag_poll(ps);
			wait_socket(ps->repl, 100);
			if (PQconsumeInput(ps->repl) == 0) {
				set_err(ps, "connection lost: %s",
					pq_msg(ps->repl));
				return SESS_RETRY;
			}
			continue;
		}
		if (n == -1) {
			/* the server ended the stream: read why */
			r = PQgetResult(ps->repl);
			{
				const char *why =
					r && PQresultStatus(
						     r) == PGRES_FATAL_ERROR
						? PQresultErrorMessage(r)
						: pq_msg(ps->repl);
				set_err(ps,
					"the server ended the replication "
					"stream: %s",
					why[0] ? why
					       : "it is shutting down or "
						 "restarting");
				for (char *p = ps->base.lasterr; *p; p++)
					if (*p == '\n')
						*p = ' ';
			}
			rc = r && PQresultStatus(r) == PGRES_FATAL_ERROR &&
					     needs_user(PQresultErrorMessage(r))
				     ? SESS_CONFIG
				     : SESS_RETRY;
			PQclear(r);
			while ((r = PQgetResult(ps->repl)))
				PQclear(r);
			return rc;
		}
		if (n < 0) {
			set_err(ps, "connection lost: %s", pq_msg(ps->repl));
			return SESS_RETRY;
		}
		if (pg_parse_copy(buf, (size_t)n, &cp, err, sizeof(err)) < 0) {
			set_err(ps, "malformed replication frame: %s", err);
			PQfreemem(buf);
			return SESS_FATAL;
		}
		if (cp.kind == 'k') {
			note_idle(ps, cp.wal_end);
			if (cp.reply_requested) {
				ps->last_status_ms = 0;
				if (send_status(ps, 1) < 0) {
					PQfreemem(buf);
					return SESS_RETRY;
				}
			}
		} else {
			rc = handle_message(ps, &cp);
			if (rc == -1) {
				PQfreemem(buf);
				return rc_pipeline_stopping(ps->pl) &&
						       !ps->base.lasterr[0]
					       ? stop_stream(ps)
					       : SESS_FATAL;
			}
			if (rc == -2) {
				PQfreemem(buf);
				return SESS_RETRY;
			}
		}
		PQfreemem(buf);
		if (!ps->in_txn && (rc = between_txns(ps)) != SESS_STOP)
			return rc;
		if (send_status(ps, 0) < 0)
			return SESS_RETRY;
		lag_poll(ps);
	}
}

/* One session: connect, set up, stream. */
static int
session(struct pg_source *ps)
{
	uint64_t start_lsn;
	int rc, need_slot;

	ps->base.lasterr[0] = '\0';
	rc_pipeline_set_state(ps->pl, RC_SRC_CONNECTING);
	ps->sql = pg_connect(ps, 0);
	if (PQstatus(ps->sql) != CONNECTION_OK) {
		set_err(ps, "cannot connect: %s", pq_msg(ps->sql));
		return needs_user(ps->base.lasterr) ? SESS_CONFIG : SESS_RETRY;
	}
	if ((rc = check_server(ps)) != SESS_STOP)
		return rc;
	for (int i = 0; i < ps->nwant; i++)
		if ((rc = check_table(ps, &ps->want[i])) != SESS_STOP)
			return rc;
	if ((rc = sync_publication(ps)) != SESS_STOP)
		return rc;
	/* the pipeline starts out confirmed at the checkpoint, and later holds
	 * what this run confirmed: either way the slot must still exist */
	rc = ensure_slot(ps, rc_pipeline_confirmed_lsn(ps->pl));
	if (rc != SESS_STOP && rc != SESS_STOP + 10)
		return rc;
	need_slot = rc == SESS_STOP + 10;

	ps->repl = pg_connect(ps, 1);
	if (PQstatus(ps->repl) != CONNECTION_OK) {
		const char *msg = pq_msg(ps->repl);

		if (strstr(msg, "replication role"))
			set_err(ps,
				"cannot open a replication connection: %s "
				"(fix: ALTER ROLE %s REPLICATION)",
				msg, PQuser(ps->repl));
		else
			set_err(ps, "cannot open a replication connection: %s",
				msg);
		return needs_user(ps->base.lasterr) ? SESS_CONFIG : SESS_RETRY;
	}
	if (need_slot && (rc = create_slot(ps)) != SESS_STOP)
		return rc;

	ps->binary = 0;
	if (ps->binary_wanted && !ps->force_text) {
		rc = all_binary_ok(ps);
		if (rc < 0)
			return failed_outcome(ps, ps->sql);
		ps->binary = rc;
	}

	ps->messages = ps->server_version >= 140000;
	if (!ps->messages && rc_snap_active(ps->snap) && !ps->snapname[0])
		rc_warn_c(PG_COMP, RC_LOG_SRC(ps->base.name),
			  "PostgreSQL %d cannot carry snapshot watermarks "
			  "(logical messages need 14): tables are "
			  "snapshotted only on a first start",
			  ps->server_version / 10000);
	if (ps->snapname[0]) {
		/* a slot just created exported its snapshot: read the tables
		 * there, before the stream starts at its consistent point */
		rc = consistent_snapshot(ps, ps->snapname, ps->snap_lsn);
		ps->snapname[0] = '\0';
		if (rc != SESS_STOP)
			return rc;
		if (rc_pipeline_stopping(ps->pl))
			return SESS_STOP;
	}

	/* resume from what the pipeline confirmed (or the checkpoint) */
	start_lsn = rc_pipeline_confirmed_lsn(ps->pl);
	if (!start_lsn)
		start_lsn = ps->snap_lsn;
	ps->received = start_lsn;
	ps->last_idle = start_lsn;
	ps->last_flushed_sent = 0;
	ps->in_txn = 0;
	return stream(ps, start_lsn);
}

static void
close_session(struct pg_source *ps)
{
	if (ps->repl)
		PQfinish(ps->repl);
	if (ps->sql)
		PQfinish(ps->sql);
	ps->repl = NULL;
	ps->sql = NULL;
	ps->lag_pending = 0;
	rc_snap_chunk_reset(&ps->chunk);
	ps->streaming = 0;
	ps->chunk_wait = 0;
	ps->cur_invisible = 0;
	ps->snapname[0] = '\0';
	free_rels(ps); /* sent again on the next stream */
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

/*
 * The source thread: sessions until asked to stop. A lost connection
 * aborts the open transaction, lets the pipeline drain (so that what was
 * received is durable before we ask for the rest again), and reconnects
 * with exponential backoff.
 */
static int
pg_run(struct rc_source *src, struct rc_pipeline *pl,
       const struct rc_pos *start)
{
	struct pg_source *ps = (struct pg_source *)src;

	struct rc_tablecfg *tcs;
	char err[RC_ERRLEN];
	int r;

	/* the pipeline starts confirmed at the checkpoint */
	ps->pl = pl;
	for (int i = 0; i < ps->nwant; i++)
		rc_pipeline_declare_table(pl, ps->want[i].c.schema,
					  ps->want[i].c.name);
	tcs = calloc((size_t)(ps->nwant ? ps->nwant : 1), sizeof(*tcs));
	if (!tcs) {
		set_err(ps, "out of memory");
		return -1;
	}
	for (int i = 0; i < ps->nwant; i++)
		tcs[i] = ps->want[i].c; /* borrowed */
	r = rc_snap_plan(ps->snap, start ? start->snap : NULL, start != NULL,
			 tcs, ps->nwant, err, sizeof(err));
	free(tcs);
	if (r < 0) {
		set_err(ps, "checkpoint: %s", err);
		return RC_SOURCE_CONFIG;
	}
	rc_snap_set_metrics(ps->snap, rc_pipeline_metrics(pl));
	return rc_pipeline_run_sessions(pl, src, PG_COMP, ps->max_backoff_ms,
					session_cb, close_cb, ps, &ps->in_txn);
}

/* ------------------------------------------------------------------ */
/* Checkpoint position                                                */
/* ------------------------------------------------------------------ */

static int
pg_format_pos(const struct rc_pos *pos, struct rc_buf *out)
{
	char lsn[32];

	rc_lsn_format(pos->lsn, lsn, sizeof(lsn));
	return rc_buf_printf(out, "lsn = %s\n", lsn);
}

static int
pg_parse_pos(const char *key, const char *value, struct rc_pos *pos, char *err,
	     size_t errlen)
{
	if (strcmp(key, "lsn") != 0) {
		snprintf(err, errlen,
			 "unknown key '%s' in a postgresql checkpoint "
			 "(expected lsn)",
			 key);
		return -1;
	}
	if (rc_lsn_parse(value, &pos->lsn) < 0) {
		snprintf(err, errlen, "bad lsn '%s' (expected X/Y in hex)",
			 value);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* rowcast check                                                      */
/* ------------------------------------------------------------------ */

/*
 * Replication slots and WAL senders: is there room for rowcast's? The
 * role's REPLICATION right; max_slot_wal_keep_size. Needs ps->sql.
 */
static void
check_capacity(struct pg_source *ps, struct rc_check *chk, int *can_repl)
{
	const char *params[1] = {ps->slot};
	PGresult *r =
		query(ps, ps->sql,
		      "SELECT current_setting('max_replication_slots')::int,"
		      " (SELECT count(*) FROM pg_replication_slots),"
		      " (SELECT count(*) FROM pg_replication_slots"
		      "   WHERE slot_name = $1),"
		      " current_setting('max_wal_senders')::int,"
		      " (SELECT count(*) FROM pg_stat_activity"
		      "   WHERE backend_type = 'walsender'),"
		      " r.rolreplication, r.rolsuper, current_user,"
		      " (SELECT setting FROM pg_settings"
		      "   WHERE name = 'max_slot_wal_keep_size')"
		      " FROM pg_roles r WHERE r.rolname = current_user",
		      1, params);
	char fix[RC_ERRLEN];
	int max_slots, used, own, max_send, senders;
	const char *keep, *role;

	*can_repl = 0;
	if (!r || PQntuples(r) != 1) {
		rc_check_add(chk, RC_CHECK_FAIL, NULL,
			     "cannot read the server's settings: %s",
			     r ? "no row for the current role"
			       : ps->base.lasterr);
		PQclear(r);
		return;
	}
	max_slots = atoi(PQgetvalue(r, 0, 0));
	used = atoi(PQgetvalue(r, 0, 1));
	own = atoi(PQgetvalue(r, 0, 2));
	max_send = atoi(PQgetvalue(r, 0, 3));
	senders = atoi(PQgetvalue(r, 0, 4));
	role = PQgetvalue(r, 0, 7);
	keep = PQgetisnull(r, 0, 8) ? NULL : PQgetvalue(r, 0, 8);

	if (PQgetvalue(r, 0, 5)[0] == 't' || PQgetvalue(r, 0, 6)[0] == 't') {
		rc_check_ok(chk, "role %s has the REPLICATION right%s", role,
			    PQgetvalue(r, 0, 6)[0] == 't' ? " (superuser)"
							  : "");
		*can_repl = 1;
	} else {
		snprintf(fix, sizeof(fix), "ALTER ROLE %s REPLICATION", role);
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "role %s has no REPLICATION right: it cannot "
			     "open a replication connection",
			     role);
	}

	if (own)
		rc_check_ok(chk,
			    "replication slots: %d of %d in use (%s is "
			    "one of them)",
			    used, max_slots, ps->slot);
	else if (used >= max_slots)
		rc_check_add(chk, RC_CHECK_FAIL,
			     "raise max_replication_slots in postgresql.conf "
			     "and restart PostgreSQL, or drop a slot nobody "
			     "uses (SELECT pg_drop_replication_slot('name'))",
			     "no free replication slot for %s: %d of %d in "
			     "use",
			     ps->slot, used, max_slots);
	else
		rc_check_ok(chk,
			    "replication slots: %d of %d in use, room for "
			    "%s",
			    used, max_slots, ps->slot);

	if (senders >= max_send)
		rc_check_add(chk, RC_CHECK_FAIL,
			     "raise max_wal_senders in postgresql.conf and "
			     "restart PostgreSQL",
			     "no free WAL sender: %d of max_wal_senders = %d "
			     "busy",
			     senders, max_send);
	else
		rc_check_ok(chk, "WAL senders: %d of %d busy", senders,
			    max_send);

	if (!keep) {
		/* PostgreSQL before 13: no limit at all */
		rc_check_add(chk, RC_CHECK_WARN,
			     "watch the slot's retained WAL (pg_replication_"
			     "slots) and the disk; PostgreSQL 13 and later can "
			     "cap it with max_slot_wal_keep_size",
			     "PostgreSQL keeps every WAL file the slot needs: "
			     "a rowcast stopped for long can fill the disk");
	} else if (atoll(keep) < 0) {
		rc_check_add(chk, RC_CHECK_WARN,
			     "set max_slot_wal_keep_size in postgresql.conf "
			     "(e.g. 50GB, sized for the longest outage to ride "
			     "out) and reload",
			     "max_slot_wal_keep_size = -1 (no limit): while "
			     "rowcast is stopped or behind, its slot keeps "
			     "every WAL file until the disk is full");
	} else if (atoll(keep) < 1024) {
		rc_check_add(chk, RC_CHECK_WARN,
			     "raise max_slot_wal_keep_size in postgresql.conf "
			     "to cover the longest outage to ride out",
			     "max_slot_wal_keep_size = %s MB: a rowcast "
			     "stopped for a while loses its slot (invalidated) "
			     "and must start over",
			     keep);
	} else {
		rc_check_ok(chk, "max_slot_wal_keep_size = %s MB", keep);
	}
	PQclear(r);
}

/*
 * Beyond check_table: SELECT right, ownership (to add the table to the
 * publication), TOASTable columns under REPLICA IDENTITY DEFAULT, and a
 * table without primary key. in_pub: the table is in the publication.
 */
static void
check_table_more(struct pg_source *ps, struct pg_want *w, int in_pub,
		 struct rc_check *chk)
{
	static const char sql[] =
		"SELECT c.relreplident,"
		"  has_table_privilege(c.oid, 'SELECT'),"
		"  pg_has_role(c.relowner, 'USAGE'),"
		"  (SELECT string_agg(quote_ident(a.attname), ', '"
		"     ORDER BY a.attnum) FROM pg_attribute a"
		"    WHERE a.attrelid = c.oid AND a.attnum > 0"
		"    AND NOT a.attisdropped AND a.attstorage <> 'p')"
		" FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = $1 AND c.relname = $2";
	const char *params[2] = {w->c.schema, w->c.name};
	PGresult *r = query(ps, ps->sql, sql, 2, params);
	char fix[RC_ERRLEN];
	char ident;
	int warned = 0;

	if (!r || PQntuples(r) != 1) {
		rc_check_add(chk, RC_CHECK_FAIL, NULL,
			     "table %s.%s: cannot read the catalog: %s",
			     w->c.schema, w->c.name,
			     r ? "gone" : ps->base.lasterr);
		PQclear(r);
		return;
	}
	ident = PQgetvalue(r, 0, 0)[0];
	if (PQgetvalue(r, 0, 1)[0] != 't') {
		snprintf(fix, sizeof(fix), "GRANT SELECT ON %s.%s TO %s",
			 w->c.schema, w->c.name, PQuser(ps->sql));
		rc_check_add(chk, RC_CHECK_WARN, fix,
			     "table %s.%s: role %s has no SELECT on it "
			     "(streaming works without, but nothing else "
			     "can read the table as rowcast)",
			     w->c.schema, w->c.name, PQuser(ps->sql));
		warned = 1;
	}
	if (!in_pub && PQgetvalue(r, 0, 2)[0] != 't') {
		snprintf(fix, sizeof(fix),
			 "as the table's owner: ALTER PUBLICATION %s ADD TABLE "
			 "%s.%s (or CREATE PUBLICATION %s FOR TABLE ...), or "
			 "run rowcast as the owner",
			 ps->publication, w->c.schema, w->c.name,
			 ps->publication);
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "table %s.%s is not in publication %s, and only "
			     "its owner can add it (role %s does not own it)",
			     w->c.schema, w->c.name, ps->publication,
			     PQuser(ps->sql));
		warned = 1;
	}
	if (ident != 'f' && !PQgetisnull(r, 0, 3)) {
		snprintf(fix, sizeof(fix),
			 "ALTER TABLE %s.%s REPLICA IDENTITY FULL, for "
			 "complete before images (more WAL per update)",
			 w->c.schema, w->c.name);
		rc_check_add(chk, RC_CHECK_WARN, fix,
			     "table %s.%s has TOASTable columns (%s) and "
			     "REPLICA IDENTITY %s: before images of updates "
			     "and deletes carry only the key, and an update "
			     "does not carry the unchanged TOASTed values",
			     w->c.schema, w->c.name, PQgetvalue(r, 0, 3),
			     ident == 'd' ? "DEFAULT" : "USING INDEX");
		warned = 1;
	}
	if (w->npk == 0 && !w->c.key) {
		snprintf(fix, sizeof(fix),
			 "add a primary key, or name the key columns in "
			 "[table %s.%s] key = ...",
			 w->c.schema, w->c.name);
		rc_check_add(chk, RC_CHECK_WARN, fix,
			     "table %s.%s has no primary key: its events have "
			     "no key (Kafka spreads them over partitions "
			     "without order)",
			     w->c.schema, w->c.name);
		warned = 1;
	}
	if (!warned) {
		char pk[512] = "";

		for (int i = 0; i < w->npk; i++)
			snprintf(pk + strlen(pk), sizeof(pk) - strlen(pk),
				 "%s%s", i ? ", " : "", w->pk[i]);
		rc_check_ok(chk, "table %s.%s: %s%s%s, replica identity %s",
			    w->c.schema, w->c.name,
			    w->npk ? "primary key (" : "key from [table]", pk,
			    w->npk ? ")" : "",
			    ident == 'f'   ? "full"
			    : ident == 'i' ? "index"
					   : "default");
	}
	PQclear(r);
}

/* Which tables are in the publication: present[i] for ps->want[i]. The
 * publication's state as a finding. */
static void
check_publication(struct pg_source *ps, int *present, struct rc_check *chk)
{
	const char *params[1] = {ps->publication};
	PGresult *r = query(ps, ps->sql,
			    "SELECT puballtables,"
			    " has_database_privilege(current_database(), "
			    "'CREATE')"
			    " FROM pg_publication WHERE pubname = $1",
			    1, params);
	int in = 0;

	if (!r) {
		rc_check_add(chk, RC_CHECK_FAIL, NULL,
			     "cannot read publication %s: %s", ps->publication,
			     ps->base.lasterr);
		return;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		r = query(ps, ps->sql,
			  "SELECT has_database_privilege(current_database(), "
			  "'CREATE')",
			  0, NULL);
		if (r && PQgetvalue(r, 0, 0)[0] == 't') {
			rc_check_ok(chk,
				    "publication %s does not exist yet: "
				    "rowcast creates it for %d table(s)",
				    ps->publication, ps->nwant);
		} else {
			char fix[RC_ERRLEN];

			snprintf(fix, sizeof(fix),
				 "GRANT CREATE ON DATABASE %s TO %s, or create "
				 "it as the tables' owner: CREATE PUBLICATION "
				 "%s FOR TABLE ...",
				 ps->dbname, PQuser(ps->sql), ps->publication);
			rc_check_add(chk, RC_CHECK_FAIL, fix,
				     "publication %s does not exist, and role "
				     "%s may not create it (no CREATE on "
				     "database %s)",
				     ps->publication, PQuser(ps->sql),
				     ps->dbname);
		}
		PQclear(r);
		return;
	}
	if (PQgetvalue(r, 0, 0)[0] == 't') {
		PQclear(r);
		for (int i = 0; i < ps->nwant; i++)
			present[i] = 1;
		rc_check_add(chk, RC_CHECK_WARN,
			     "nothing, if that is meant; else drop it and let "
			     "rowcast create its own",
			     "publication %s is FOR ALL TABLES: rowcast uses "
			     "it as it is",
			     ps->publication);
		return;
	}
	PQclear(r);
	r = query(ps, ps->sql,
		  "SELECT schemaname, tablename FROM pg_publication_tables "
		  "WHERE pubname = $1",
		  1, params);
	for (int row = 0; r && row < PQntuples(r); row++)
		for (int i = 0; i < ps->nwant; i++)
			if (!strcmp(ps->want[i].c.schema,
				    PQgetvalue(r, row, 0)) &&
			    !strcmp(ps->want[i].c.name, PQgetvalue(r, row, 1)))
				present[i] = 1;
	PQclear(r);
	for (int i = 0; i < ps->nwant; i++)
		in += present[i];
	rc_check_ok(chk, "publication %s exists with %d of the %d table(s)%s",
		    ps->publication, in, ps->nwant,
		    in < ps->nwant ? "; rowcast adds the others at start" : "");
}

/* The slot: exists (for a checkpoint it must), its plugin and database,
 * who holds it, whether it was invalidated. */
static void
check_slot(struct pg_source *ps, const struct rc_pos *start,
	   struct rc_check *chk)
{
	const char *params[1] = {ps->slot};
	PGresult *r = query(ps, ps->sql,
			    ps->server_version >= 130000
				    ? "SELECT plugin, database, active_pid, "
				      "wal_status, confirmed_flush_lsn FROM "
				      "pg_replication_slots WHERE slot_name = "
				      "$1"
				    : "SELECT plugin, database, active_pid, "
				      "NULL, confirmed_flush_lsn FROM "
				      "pg_replication_slots WHERE slot_name = "
				      "$1",
			    1, params);
	char fix[RC_ERRLEN];
	const char *plugin, *db, *status;

	if (!r) {
		rc_check_add(chk, RC_CHECK_FAIL, NULL,
			     "cannot read replication slot %s: %s", ps->slot,
			     ps->base.lasterr);
		return;
	}
	if (PQntuples(r) == 0) {
		PQclear(r);
		if (start && start->lsn)
			slot_missing(ps, start->lsn);
		else
			rc_check_ok(chk,
				    "replication slot %s does not exist "
				    "yet: rowcast creates it at the first "
				    "start",
				    ps->slot);
		return;
	}
	plugin = PQgetvalue(r, 0, 0);
	db = PQgetvalue(r, 0, 1);
	status = PQgetisnull(r, 0, 3) ? "" : PQgetvalue(r, 0, 3);
	if (strcmp(plugin, "pgoutput") != 0 || strcmp(db, ps->dbname) != 0) {
		snprintf(fix, sizeof(fix),
			 "give this source its own slot = in [source %s] "
			 "(%s:%d)",
			 ps->base.name, ps->base.cfg->path, ps->base.sec->line);
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "replication slot %s is for plugin '%s' in "
			     "database '%s'; rowcast needs pgoutput in '%s'",
			     ps->slot, plugin, db, ps->dbname);
	} else if (strcmp(status, "lost") == 0) {
		snprintf(fix, sizeof(fix),
			 "drop it (SELECT pg_drop_replication_slot('%s')) and "
			 "remove the checkpoint to start over from now; raise "
			 "max_slot_wal_keep_size so that it does not happen "
			 "again",
			 ps->slot);
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "replication slot %s was invalidated (wal_status "
			     "lost): the WAL since its position was removed",
			     ps->slot);
	} else if (strcmp(status, "unreserved") == 0) {
		rc_check_add(chk, RC_CHECK_WARN,
			     "start rowcast soon, or raise "
			     "max_slot_wal_keep_size",
			     "replication slot %s is about to be invalidated "
			     "(wal_status unreserved)",
			     ps->slot);
	} else if (!PQgetisnull(r, 0, 2)) {
		snprintf(fix, sizeof(fix),
			 "nothing if it is this source's rowcast; else stop "
			 "the other reader, or give this source its own slot "
			 "= in [source %s]",
			 ps->base.name);
		rc_check_add(chk, RC_CHECK_WARN, fix,
			     "replication slot %s is in use by process %s "
			     "(a running rowcast?)",
			     ps->slot, PQgetvalue(r, 0, 2));
	} else {
		rc_check_ok(chk,
			    "replication slot %s exists (pgoutput, "
			    "confirmed up to %s%s%s)",
			    ps->slot, PQgetvalue(r, 0, 4),
			    status[0] ? ", wal_status " : "", status);
	}
	PQclear(r);
}

/* Can a replication connection open (pg_hba.conf, the right, a free WAL
 * sender)? Opens one and closes it at once. */
static void
check_replication_connection(struct pg_source *ps, struct rc_check *chk)
{
	PGconn *c = pg_connect(ps, 1);

	if (PQstatus(c) == CONNECTION_OK) {
		rc_check_ok(chk, "a replication connection opens");
	} else {
		const char *msg = pq_msg(c);
		char fix[RC_ERRLEN];

		if (strstr(msg, "pg_hba.conf"))
			snprintf(fix, sizeof(fix),
				 "allow it in pg_hba.conf (a line with "
				 "database \"replication\" or the database "
				 "name for role %s) and reload",
				 PQuser(c));
		else if (strstr(msg, "max_wal_senders"))
			snprintf(fix, sizeof(fix),
				 "raise max_wal_senders in postgresql.conf and "
				 "restart PostgreSQL");
		else if (strstr(msg, "replication role") ||
			 strstr(msg, "permission denied"))
			snprintf(fix, sizeof(fix), "ALTER ROLE %s REPLICATION",
				 PQuser(c));
		else
			snprintf(fix, sizeof(fix),
				 "see the server's log for the reason");
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "cannot open a replication connection: %s", msg);
	}
	PQfinish(c);
}

/*
 * rowcast check for one PostgreSQL source: what session() would meet, told
 * as findings, and more (room for the slot, TOAST, the slot's state). Only
 * reads: the publication and the slot are left as they are.
 */
static void
pg_check(struct rc_source *src, const struct rc_pos *start,
	 struct rc_check *chk)
{
	struct pg_source *ps = (struct pg_source *)src;
	int *present = NULL, can_repl = 0, rc;

	for (int i = 0; i < ps->nwant; i++) {
		char topic[3 * RC_MAX_NAME + 4];

		if (ps->want[i].c.topic)
			snprintf(topic, sizeof(topic), "%s",
				 ps->want[i].c.topic);
		else
			snprintf(topic, sizeof(topic), "%s.%s.%s", ps->prefix,
				 ps->want[i].c.schema, ps->want[i].c.name);
		rc_check_topic(chk, src->name, topic);
	}

	ps->chk = chk;
	ps->sql = pg_connect(ps, 0);
	if (PQstatus(ps->sql) != CONNECTION_OK) {
		const char *msg = pq_msg(ps->sql);

		rc_check_add(chk, RC_CHECK_FAIL,
			     needs_user(msg)
				     ? "check conninfo (user, dbname) and the "
				       "password, and the server's pg_hba.conf"
				     : "check that the server runs and that "
				       "conninfo's host and port reach it",
			     "cannot connect: %s; conninfo %s", msg,
			     ps->conninfo);
		goto out;
	}
	rc_check_ok(chk, "connected as %s to PostgreSQL %s; conninfo %s",
		    PQuser(ps->sql),
		    PQparameterStatus(ps->sql, "server_version"), ps->conninfo);

	rc = check_server(ps);
	if (rc == SESS_STOP)
		rc_check_ok(chk, "wal_level = logical");
	else if (rc != SESS_CONFIG) {
		rc_check_add(chk, RC_CHECK_FAIL, NULL, "%s", src->lasterr);
		goto out;
	}
	if (!ps->dbname)
		goto out; /* too old a server: nothing more to ask */
	check_capacity(ps, chk, &can_repl);

	present = calloc((size_t)ps->nwant + 1, sizeof(*present));
	if (!present) {
		chk->oom = 1;
		goto out;
	}
	check_publication(ps, present, chk);
	for (int i = 0; i < ps->nwant; i++) {
		rc = check_table(ps, &ps->want[i]);
		if (rc == SESS_STOP)
			check_table_more(ps, &ps->want[i], present[i], chk);
		else if (rc != SESS_CONFIG)
			rc_check_add(chk, RC_CHECK_FAIL, NULL,
				     "table %s.%s: %s", ps->want[i].c.schema,
				     ps->want[i].c.name, src->lasterr);
	}
	check_slot(ps, start, chk);
	if (can_repl)
		check_replication_connection(ps, chk);
out:
	free(present);
	ps->chk = NULL;
	if (ps->sql)
		PQfinish(ps->sql);
	ps->sql = NULL;
}

/* ------------------------------------------------------------------ */
/* Descriptor                                                         */
/* ------------------------------------------------------------------ */

static const struct rc_conf_key pg_keys[] = {
	{"conninfo", RC_CONF_STRING, NULL, RC_CONF_REQUIRED,
	 "libpq connection string of the database (a password here is allowed, "
	 "but see password)",
	 NULL, 0, 0},
	{"password", RC_CONF_STRING, NULL, RC_CONF_SECRET,
	 "password for conninfo's user; better as password_file or "
	 "password_env",
	 NULL, 0, 0},
	{"slot", RC_CONF_STRING, NULL, 0,
	 "replication slot name (default rowcast_<source name>)", NULL, 0, 0},
	{"publication", RC_CONF_STRING, NULL, 0,
	 "publication name (default rowcast_<source name>)", NULL, 0, 0},
	{"status_interval", RC_CONF_DURATION, "10s", 0,
	 "interval of standby status updates to the server", NULL, 100,
	 3600000},
	{"binary", RC_CONF_BOOL, "true", 0,
	 "ask for column values in binary form (less work for the server); "
	 "text is used when a column's type has no binary decoder",
	 NULL, 0, 0},
	{"reconnect_max_backoff", RC_CONF_DURATION, "30s", 0,
	 "longest wait between two reconnection attempts", NULL, 100, 3600000},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

const struct rc_source_ops rc_pg_source_ops = {
	.name = "postgresql",
	.description = "PostgreSQL logical replication (pgoutput) over libpq",
	.conf_keys = pg_keys,
	.create = pg_create,
	.run = pg_run,
	.format_pos = pg_format_pos,
	.parse_pos = pg_parse_pos,
	.destroy = pg_destroy,
	.check = pg_check,
};
