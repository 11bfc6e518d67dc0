/*
 * my_snapshot.h -- internal to sources/mysql: reading the rows already in
 * a table, chunk by chunk, as the same values the binlog decoder makes.
 *
 * A table is described from information_schema as the TABLE_MAP event
 * with binlog_row_metadata=FULL would describe it (struct my_tablemap:
 * wire type, metadata, signedness, nullability, primary key, collation,
 * ENUM/SET values, geometry type), so my_table_describe() gives the same
 * rc_table shape as the stream, and each value the SELECT returns is put
 * into the binlog's own cell layout and decoded by my_cell_decode(): a
 * snapshot row and a binlog row of the same data are the same values by
 * construction. The common types take a shorter way, my_text_decode(),
 * which makes the same values (test_mybinlog holds the two ways against
 * each other) and hands the unusual values to the cell layout.
 *
 * What the SELECT asks for, per column (text protocol, with
 * character_set_results = binary and time_zone = '+00:00'):
 *   integers, DECIMAL, DATE, DATETIME, TIME, YEAR   the text
 *   TIMESTAMP       the text in UTC (turned into epoch seconds here)
 *   FLOAT           CAST(c AS DOUBLE): the float's exact double (the
 *                   server prints a FLOAT with 6 digits only)
 *   DOUBLE          the text (the server prints the shortest exact form)
 *   BIT, CHAR..BLOB, GEOMETRY, MariaDB JSON   the stored bytes
 *   ENUM, SET       c+0: the index / bitmap (names from the column type)
 *   MySQL JSON      the server's JSON text (set as is: the binary JSON of
 *                   the binlog is printed the same way by my_json.c)
 * then, as the cursor, the primary-key columns whose value is not their
 * text again: HEX() of character and binary columns (a key value may
 * hold any byte); the others' cursor is their value's text.
 *
 * Consistency of a chunk with the binlog (my_snap_chunk_open):
 *   MariaDB    START TRANSACTION WITH CONSISTENT SNAPSHOT, then
 *              SHOW STATUS LIKE 'binlog_snapshot_%': the binlog position
 *              the snapshot is consistent with, without any lock.
 *   MySQL 8    LOCK TABLES t READ (waits for the writers of t, blocks new
 *              ones until the chunk is read), SHOW BINARY LOG STATUS / SHOW
 *              MASTER STATUS for the position, then UNLOCK TABLES.
 */
#ifndef RC_MY_SNAPSHOT_H
#define RC_MY_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "event.h"
#include "my_binlog.h"

struct my_conn;

/* A table as a snapshot reads it. */
struct my_snap_desc {
	struct my_tablemap *tm; /* as the TABLE_MAP would describe it */
	char **charset;		/* per column: character set name of a
				 * character column, else NULL */
	int *pkcol;		/* tm columns of the primary key, in order */
	int npk;
	int *curcol;   /* per key column: the result column of its cursor */
	int nextra;    /* result columns after the values (cursors) */
	uint8_t *plan; /* per column: my_text_plan() */
};

/* Set up a query connection for snapshots (isolation, time zone, binary
 * results). 0, or -1 with err. */
int my_snap_session(struct my_conn *c, char *err, size_t errlen);

/* Describe db.table from information_schema. 0, 1 when the table does
 * not exist or has no primary key (err says which), -1 with err. */
int my_snap_describe(struct my_conn *c, const char *db, const char *table,
		     struct my_snap_desc *d, char *err, size_t errlen);
void my_snap_desc_clear(struct my_snap_desc *d);

/* TABLE_ROWS of db.table (an estimate), -1 when unknown. */
int64_t my_snap_estimate(struct my_conn *c, const char *db, const char *table);

/*
 * The SELECT of a chunk: the values (see above), then the d->nextra cursor
 * columns;
 * rows after cursor (ncursor values as my_snap_cursor gave them, or none
 * from the start) in key order, at most limit.
 */
int my_snap_select_sql(const struct my_snap_desc *d, char *const *cursor,
		       int ncursor, int64_t limit, struct rc_buf *sql);

/*
 * One row of the chunk's result into ev's after image, with the making of
 * values left to the pipeline thread: the server's sends keep waking the
 * source thread, and Linux then runs it on the server's CPU in turns with
 * the server thread, so every microsecond the source thread spends per
 * row is added to the whole read's time (perf sched: the two alternate on
 * one CPU while the other idles). my_snap_row_raw puts the row's values
 * (vals/lens: the row's first tm->ncols values; colmap as for
 * my_table_describe) into the event as the server sent them (RC_V_RAW)
 * and points the event at f, whose finisher makes them into the values
 * the binlog decoder makes of the same data (my_text_decode, else
 * my_snap_cell), in the pipeline thread. A struct my_snap_fin owns the
 * table's description while queued events may point at it.
 */
struct my_snap_fin {
	struct rc_finisher base;  /* what events point at */
	struct my_snap_desc d;	  /* owned */
	int ncols;		  /* event columns */
	int *tmcol;		  /* per event column: its d.tm column, or -1 */
	struct my_snap_fin *next; /* the source's list of them */
};

/* A finisher that takes over d (*d is zeroed) for events of ncols columns;
 * colmap as for my_snap_row_raw (copied). NULL on out of memory (d is left
 * as it was). */
struct my_snap_fin *my_snap_fin_new(struct my_snap_desc *d, const int *colmap,
				    int ncols);
void my_snap_fin_free(struct my_snap_fin *f);
int my_snap_row_raw(struct rc_event *ev, const struct my_snap_fin *f,
		    const int *colmap, char **vals, const unsigned long *lens,
		    char *err, size_t errlen);

/* One value (not NULL) of column c as the binlog decoder would make it,
 * into value col of image row of ev. 0, or -1 with err. */
int my_snap_cell(struct rc_event *ev, int64_t row, int col,
		 const struct my_col *c, const char *text, size_t len,
		 char *err, size_t errlen);

/* The cursor of a row: its key columns (d->curcol) as strings;
 * *key is an array of d->npk malloc'd strings. 0 or -1 (out of memory). */
int my_snap_cursor(const struct my_snap_desc *d, char **vals,
		   const unsigned long *lens, char ***key);

/*
 * Start reading a chunk of db.table consistently with the binlog: the
 * position it is consistent with goes to file/pos. mariadb selects the
 * method (see above). 0, or -1 with err.
 */
int my_snap_chunk_open(struct my_conn *c, int mariadb, const char *db,
		       const char *table, char *file, size_t filelen,
		       uint64_t *pos, char *err, size_t errlen);
/* End it (COMMIT, or UNLOCK TABLES). 0 or -1 with err. */
int my_snap_chunk_close(struct my_conn *c, int mariadb, char *err,
			size_t errlen);

/* Does the binlog position (file a, offset pa) come before (b, pb)?
 * Compares the files' sequence numbers, then the offsets: <0, 0, >0. */
int my_snap_pos_cmp(const char *a, uint64_t pa, const char *b, uint64_t pb);

/* Backtick-quote an identifier into b. */
int my_snap_quote_ident(struct rc_buf *b, const char *name);

#endif
