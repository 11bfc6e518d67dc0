/*
 * tablecfg.h -- the tables a source captures, and what their [table]
 * sections say (key, exclude, topic, event_name), shared by every source.
 *
 * A source lists its tables in `tables = a.b, c.d`; each may have a
 * [table a.b] section (for this source, or for any source when the section
 * names none). The source reads the list once at create time, then names
 * its rc_table shapes from it (topic, record prefix, event name) and keeps
 * or drops columns by it.
 */
#ifndef RC_TABLECFG_H
#define RC_TABLECFG_H

#include "config.h"
#include "event.h"

struct rc_tablecfg {
	char *schema; /* PostgreSQL schema, MySQL database */
	char *name;
	char **key;		/* configured key columns, or NULL */
	char **exclude;		/* configured excluded columns, or NULL */
	const char *topic;	/* configured topic, or NULL */
	const char *event_name; /* configured event name, or NULL */
	int on_error;		/* enum rc_on_error from [table] on_error */
	const struct rc_conf_section *tsec; /* its [table] section, or NULL */
};

/*
 * Read `tables` of source section sec. A name without a dot gets
 * default_schema ("public" for PostgreSQL), or is an error when
 * default_schema is NULL (MySQL needs database.table). On success *out is
 * an array of *n entries (free with rc_tablecfg_free); -1 with err naming
 * the file and line on a bad or repeated name.
 */
int rc_tablecfg_load(const struct rc_config *cfg,
		     const struct rc_conf_section *sec,
		     const char *default_schema, struct rc_tablecfg **out,
		     int *n, char *err, size_t errlen);
void rc_tablecfg_free(struct rc_tablecfg *t, int n);

/* The entry for schema.name, or NULL. */
struct rc_tablecfg *rc_tablecfg_find(struct rc_tablecfg *t, int n,
				     const char *schema, const char *name);

/* s in the NULL-terminated list l? */
int rc_name_in_list(char **l, const char *s);

/*
 * Name a new shape: tbl->topic (configured, else
 * <prefix>.<schema>.<table>), tbl->record_prefix (Avro-sanitised) and
 * tbl->event_name. 0, or -1 on out of memory.
 */
int rc_tablecfg_name(const struct rc_tablecfg *tc, const char *prefix,
		     struct rc_table *tbl);

#endif
