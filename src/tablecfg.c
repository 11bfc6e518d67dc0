/*
 * tablecfg.c -- the tables a source captures and their [table] settings
 * (tablecfg.h).
 */
#include "tablecfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "limits.h"

int
rc_name_in_list(char **l, const char *s)
{
	for (int i = 0; l && l[i]; i++)
		if (strcmp(l[i], s) == 0)
			return 1;
	return 0;
}

/* Split "schema.table" (or "table" = default_schema.table). 0 or -1. */
static int
split_name(const char *full, const char *default_schema, char **schema,
	   char **name)
{
	const char *dot = strchr(full, '.');

	*schema = *name = NULL;
	if (!dot) {
		if (!default_schema)
			return -1;
		*schema = strdup(default_schema);
		*name = strdup(full);
	} else {
		if (dot == full || dot[1] == '\0' || strchr(dot + 1, '.'))
			return -1;
		*schema = strndup(full, (size_t)(dot - full));
		*name = strdup(dot + 1);
	}
	return *schema && *name ? 0 : -1;
}

void
rc_tablecfg_free(struct rc_tablecfg *t, int n)
{
	if (!t)
		return;
	for (int i = 0; i < n; i++) {
		free(t[i].schema);
		free(t[i].name);
		rc_conf_list_free(t[i].key);
		rc_conf_list_free(t[i].exclude);
	}
	free(t);
}

int
rc_tablecfg_load(const struct rc_config *cfg, const struct rc_conf_section *sec,
		 const char *default_schema, struct rc_tablecfg **out,
		 int *nout, char *err, size_t errlen)
{
	struct rc_tablecfg *t = NULL;
	char **tables = NULL;
	int line = rc_conf_line(sec, "tables");
	int n, nt = 0;

	*out = NULL;
	*nout = 0;
	n = rc_conf_list(sec, "tables", &tables);
	if (n < 0)
		goto oom;
	t = calloc((size_t)(n ? n : 1), sizeof(*t));
	if (!t)
		goto oom;
	for (int i = 0; i < n; i++) {
		struct rc_tablecfg *w = &t[nt];
		const struct rc_conf_section *tsec;
		char full[2 * RC_MAX_NAME + 2];

		if (split_name(tables[i], default_schema, &w->schema,
			       &w->name) < 0) {
			snprintf(err, errlen,
				 "%s:%d: table '%s' in [source %s]: "
				 "expected %s",
				 cfg->path, line, tables[i], sec->name,
				 default_schema ? "schema.table"
						: "database.table");
			free(w->schema);
			free(w->name);
			w->schema = w->name = NULL;
			goto fail;
		}
		nt++;
		snprintf(full, sizeof(full), "%s.%s", w->schema, w->name);
		for (int j = 0; j < nt - 1; j++)
			if (strcmp(t[j].schema, w->schema) == 0 &&
			    strcmp(t[j].name, w->name) == 0) {
				snprintf(err, errlen,
					 "%s:%d: table %s is listed "
					 "twice in [source %s]",
					 cfg->path, line, full, sec->name);
				goto fail;
			}
		tsec = rc_config_table(cfg, full);
		if (!tsec && !strchr(tables[i], '.'))
			tsec = rc_config_table(cfg, tables[i]);
		if (tsec) {
			const char *owner = rc_conf_str(tsec, "source");

			if (!owner || strcmp(owner, sec->name) == 0) {
				if (rc_conf_list(tsec, "key", &w->key) < 0 ||
				    rc_conf_list(tsec, "exclude", &w->exclude) <
					    0)
					goto oom;
				w->topic = rc_conf_str(tsec, "topic");
				w->event_name = rc_conf_str(tsec, "event_name");
				w->on_error = rc_on_error_parse(
					rc_conf_str(tsec, "on_error"));
				w->tsec = tsec;
			}
		}
	}
	rc_conf_list_free(tables);
	*out = t;
	*nout = nt;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	rc_conf_list_free(tables);
	rc_tablecfg_free(t, nt);
	return -1;
}

struct rc_tablecfg *
rc_tablecfg_find(struct rc_tablecfg *t, int n, const char *schema,
		 const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i].schema, schema) && !strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

int
rc_tablecfg_name(const struct rc_tablecfg *tc, const char *prefix,
		 struct rc_table *tbl)
{
	char a[RC_MAX_NAME], b[RC_MAX_NAME], c[RC_MAX_NAME];
	size_t n;

	if (tc->topic) {
		tbl->topic = strdup(tc->topic);
	} else {
		n = strlen(prefix) + strlen(tc->schema) + strlen(tc->name) + 3;
		if ((tbl->topic = malloc(n)))
			snprintf(tbl->topic, n, "%s.%s.%s", prefix, tc->schema,
				 tc->name);
	}
	rc_avro_name(prefix, a, sizeof(a));
	rc_avro_name(tc->schema, b, sizeof(b));
	rc_avro_name(tc->name, c, sizeof(c));
	n = strlen(a) + strlen(b) + strlen(c) + 3;
	if ((tbl->record_prefix = malloc(n)))
		snprintf(tbl->record_prefix, n, "%s.%s.%s", a, b, c);
	if (tc->event_name && !(tbl->event_name = strdup(tc->event_name)))
		return -1;
	return tbl->topic && tbl->record_prefix ? 0 : -1;
}
