/*
 * snapshot.h -- reading the rows already in the tables, for every source.
 *
 * A snapshot emits each existing row of a table as an `r` event
 * (source.snapshot = "true", "last" on the table's last row). Tables are
 * read in primary-key order, in chunks of snapshot_chunk_size rows, and
 * the cursor (the key of the last row emitted) travels with the position
 * into the checkpoint, so a crash or a restart resumes a snapshot at its
 * last durable chunk instead of starting over.
 *
 * The source decides how a chunk is made consistent with its change
 * stream (PostgreSQL: an exported snapshot before streaming, or the
 * transaction snapshot of the chunk plus a watermark message in the WAL;
 * MariaDB: the binlog position of the chunk's consistent snapshot). This
 * module holds what is common: which tables need a snapshot and how far
 * each got (struct rc_snap), the rows of one chunk waiting for the stream
 * to reach the chunk's watermark with the keys the stream changed in the
 * meantime dropped from it (struct rc_snap_chunk), progress reporting
 * (log, metrics, a live line on a terminal) and throttling.
 *
 * Checkpoint lines (the text rides in rc_pos.snap; one per table):
 *
 *   snapshot = done public.customers
 *   snapshot = running public.orders 120000 1200345
 *   snapshot = pending public.items 0
 *
 * names and key values are percent-encoded; a key of several columns is
 * its values joined by commas. A checkpoint without any snapshot line was
 * written before snapshots existed: its tables count as done.
 */
#ifndef RC_SNAPSHOT_H
#define RC_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"

struct rc_metrics_source;
struct rc_tablecfg;

enum rc_snap_mode {
	RC_SNAP_INITIAL = 0, /* new tables (all of them on a first start) */
	RC_SNAP_NEVER,	     /* stream only */
	RC_SNAP_WHEN_NEEDED, /* initial, and everything again when the
			      * stream position was lost */
};

/* "initial" ... into the enum; -1 for anything else. */
int rc_snap_mode_parse(const char *s);

enum rc_snap_state {
	RC_SNAP_DONE = 0, /* read completely (or never to be read) */
	RC_SNAP_PENDING,  /* to be read, nothing emitted yet */
	RC_SNAP_RUNNING,  /* some chunks durable, cursor set */
};

struct rc_snap_table {
	char *schema;
	char *name;
	enum rc_snap_state state;
	char **cursor; /* key values (text) of the last row emitted, NULL
			* before the first chunk */
	int ncursor;
	uint64_t rows;	  /* rows emitted by this snapshot of the table */
	int64_t estimate; /* rows, from the database's statistics; -1 */
	/* progress of this process (rate and time left) */
	int64_t run_start_ms;
	uint64_t run_start_rows;
	struct rc_metrics_table *mt; /* its metrics entry, or NULL */
};

struct rc_snap {
	char *source;
	enum rc_snap_mode mode;
	int64_t chunk_rows;	  /* rows per chunk */
	int64_t max_rows_per_sec; /* 0: no throttle */
	int64_t progress_ms;	  /* log interval */
	struct rc_snap_table *t;
	int n;
	int dirty; /* state changed since rc_snap_take_text() */

	/* reporting */
	int tty;	      /* stderr is a terminal: live line */
	int line_shown;	      /* a live line is on the terminal */
	int64_t last_log_ms;  /* last progress log line */
	int64_t last_line_ms; /* last live line */
	struct rc_metrics_source *ms;

	/* throttle */
	int64_t thr_start_ms;
	uint64_t thr_rows;
};

/*
 * The snapshot state of source (section sec: snapshot, snapshot_chunk_size,
 * snapshot_max_rows_per_sec, snapshot_progress_interval). No tables yet.
 * NULL on out of memory.
 */
struct rc_conf_section;
struct rc_snap *rc_snap_new(const char *source,
			    const struct rc_conf_section *sec);
void rc_snap_free(struct rc_snap *s);

/*
 * Decide which of the configured tables need a snapshot: text is the
 * checkpoint's snapshot lines (rc_pos.snap, NULL when none) and
 * have_checkpoint says whether the source ever ran. A table the lines
 * name keeps its state; one they do not name is new: pending (unless the
 * mode is never); without any line at all (a checkpoint from before
 * snapshots) every table is done. Lines of tables no longer configured are
 * dropped. Returns 0, or -1 with err on a corrupt line.
 */
int rc_snap_plan(struct rc_snap *s, const char *text, int have_checkpoint,
		 const struct rc_tablecfg *tables, int ntables, char *err,
		 size_t errlen);

/* Add one more configured table (configuration reloaded) as pending,
 * or as done when the mode is never. Returns its entry, NULL on OOM. */
struct rc_snap_table *rc_snap_add_table(struct rc_snap *s, const char *schema,
					const char *name);

/* The stream position was lost (when_needed): every table again. */
void rc_snap_restart_all(struct rc_snap *s);

/* Read schema.name again from the start (a request). 0, -1 not known. */
int rc_snap_request(struct rc_snap *s, const char *schema, const char *name);

/*
 * Requests written by `rowcast snapshot` into
 * <state_dir>/<source>.snapshot-request (one schema.table per line): read,
 * remove the file, and rc_snap_request() each. Cheap when there is none.
 * Returns the number of tables requested.
 */
int rc_snap_poll_requests(struct rc_snap *s, const char *state_dir);
/* Write such a request for the tables (atomically; appends to a request
 * not yet picked up). 0, or -1 with err. */
int rc_snap_write_request(const char *state_dir, const char *source,
			  char *const *tables, int n, char *err, size_t errlen);

/* The table to read next (running ones first, then pending in
 * configuration order), or NULL when every table is done. */
struct rc_snap_table *rc_snap_next(struct rc_snap *s);
struct rc_snap_table *rc_snap_find(struct rc_snap *s, const char *schema,
				   const char *name);

/* Any table not done? */
int rc_snap_active(const struct rc_snap *s);

/*
 * A chunk of t is durable-bound: rows more rows were emitted, the cursor
 * is now key[0..nkey) (copied), and last says the table is finished.
 * Marks the state dirty (the next position carries it).
 */
int rc_snap_advance(struct rc_snap *s, struct rc_snap_table *t, uint64_t rows,
		    char *const *key, int nkey, int last);

/* The state as checkpoint lines (every table), into out. */
int rc_snap_format(const struct rc_snap *s, struct rc_buf *out);
/* When the state changed since the last call: the lines as a malloc'd
 * string (for rc_pos.snap); else NULL. Sets *oom on allocation failure. */
char *rc_snap_take_text(struct rc_snap *s, int *oom);

/* Progress: a log line every progress interval (force: now), the metrics,
 * and a live line on a terminal. @locality source thread */
void rc_snap_report(struct rc_snap *s, int force);
/*
 * t's snapshot begins (or resumes) in this process: note the time and
 * rows for the rate, set the estimate (database statistics, -1 unknown)
 * and log "started" or "resumes after N rows". Does nothing when t is
 * already under way here (rc_snap_begun()).
 */
void rc_snap_begin(struct rc_snap *s, struct rc_snap_table *t,
		   int64_t estimate);
static inline int
rc_snap_begun(const struct rc_snap_table *t)
{
	return t->run_start_ms != 0;
}
/* Set t's row estimate (database statistics). */
void rc_snap_set_estimate(struct rc_snap *s, struct rc_snap_table *t,
			  int64_t rows);
/* Attach the source's metrics (per-table snapshot gauges). */
void rc_snap_set_metrics(struct rc_snap *s, struct rc_metrics_source *ms);

/* Sleep as needed so that no more than max_rows_per_sec rows are read;
 * rows were just read. Returns at once without a throttle. Sleeps at most
 * max_ms in one call (the caller must keep its connections alive). */
void rc_snap_throttle(struct rc_snap *s, uint64_t rows, int64_t max_ms);

/* Percent-encoding of names and key values in checkpoint lines. */
int rc_snap_encode(struct rc_buf *out, const char *s);
/* Decode in place; returns 0, -1 on a bad escape. */
int rc_snap_decode(char *s);

/* ------------------------------------------------------------------ */
/* A chunk waiting for its watermark                                  */
/* ------------------------------------------------------------------ */

struct rc_snap_chunk {
	struct rc_snap_table *t;
	char **pk; /* primary-key column names (borrowed) */
	int npk;
	struct rc_event **ev; /* NULL where dropped */
	size_t n, cap;
	size_t live; /* not dropped */
	uint64_t *hash;
	uint32_t *slots; /* open addressing: index + 1, 0 empty */
	size_t nslots;
	int last;	 /* the table ends with this chunk */
	char **last_key; /* cursor after the chunk (text values) */
	int nlast_key;
	uint64_t dropped; /* rows dropped because the stream changed them */

	/* lookup cache: pk column indexes in a table shape */
	const struct rc_table *ktbl;
	int *kidx;
	struct rc_buf kbuf, kbuf2;
};

void rc_snap_chunk_init(struct rc_snap_chunk *c);
/* Start a chunk of t keyed by pk (borrowed, must outlive the chunk). */
int rc_snap_chunk_begin(struct rc_snap_chunk *c, struct rc_snap_table *t,
			char **pk, int npk);
/* Take ownership of a read row (op 'r'). 0, or -1 (the event is freed). */
int rc_snap_chunk_add(struct rc_snap_chunk *c, struct rc_event *ev);
/* The cursor after this chunk (copied), and whether it ends the table. */
int rc_snap_chunk_set_end(struct rc_snap_chunk *c, char *const *key, int nkey,
			  int last);
/*
 * The stream changed a row of the chunk's table: drop the chunk's row
 * with ev's key (before and after image). A truncate drops every row.
 * Returns the number of rows dropped.
 */
size_t rc_snap_chunk_drop(struct rc_snap_chunk *c, const struct rc_event *ev);
/* Is a chunk open? */
static inline int
rc_snap_chunk_open(const struct rc_snap_chunk *c)
{
	return c->t != NULL;
}
/* Hand the rows on in order: calls emit(ctx, ev) for each row left (the
 * callee owns it), marking the table's last row "last". Stops at the first
 * failure (the rest are freed) and returns its result; 0 when all went. */
int rc_snap_chunk_emit(struct rc_snap_chunk *c,
		       int (*emit)(void *ctx, struct rc_event *ev), void *ctx);
/* Free the rows and forget the chunk (the chunk can be begun again). */
void rc_snap_chunk_reset(struct rc_snap_chunk *c);
void rc_snap_chunk_free(struct rc_snap_chunk *c);

/* The key of row (an image of ev) as bytes into out (for tests). */
int rc_snap_key_bytes(struct rc_snap_chunk *c, const struct rc_event *ev,
		      int64_t row, struct rc_buf *out);

#endif
