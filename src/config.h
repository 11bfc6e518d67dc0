/*
 * config.h -- rowcast's configuration file (INI, parsed with libinih).
 *
 * Every key is declared once, in a struct rc_conf_key table: the core's
 * tables (config.c: [rowcast], the keys every source and every sink has,
 * [table ...]) and one table per plugin (in the plugin's descriptor).
 * Loading checks the whole file against those tables: an unknown key, a
 * missing required key or a bad value is an error that names the file, the
 * line and what was expected. `rowcast --help` prints the same tables.
 *
 * Secrets: a key flagged RC_CONF_SECRET may instead be given as
 * <key>_file (read from that file, trailing newline removed) or <key>_env
 * (read from that environment variable); the value is resolved at load.
 */
#ifndef RC_CONFIG_H
#define RC_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum rc_conf_type {
	RC_CONF_STRING,	  /* any text */
	RC_CONF_INT,	  /* integer, optional min/max in the key */
	RC_CONF_BOOL,	  /* true/false, yes/no, on/off, 1/0 */
	RC_CONF_SIZE,	  /* bytes: 1048576, 64k, 16M, 1G */
	RC_CONF_DURATION, /* milliseconds: 500ms, 10s, 5m, 1h (bare = ms) */
	RC_CONF_ENUM,	  /* one of choices ("a|b|c") */
	RC_CONF_LIST,	  /* comma-separated list of names */
};

#define RC_CONF_REQUIRED 0x01
#define RC_CONF_SECRET	 0x02 /* also accepted as <key>_file, <key>_env */
/* The name is a prefix: "kafka." accepts any "kafka.<property>", each set at
 * most once; a sink reads them by walking sec->entries. */
#define RC_CONF_PREFIX 0x04

struct rc_conf_key {
	const char *name;
	enum rc_conf_type type;
	const char *def;     /* default as written in the file; NULL = none */
	unsigned flags;	     /* RC_CONF_* */
	const char *help;    /* one line */
	const char *choices; /* RC_CONF_ENUM: "a|b|c" */
	int64_t min, max;    /* RC_CONF_INT/SIZE/DURATION; both 0 = no bounds */
};

enum rc_conf_scope {
	RC_SCOPE_GLOBAL, /* [rowcast] */
	RC_SCOPE_SOURCE, /* [source NAME] */
	RC_SCOPE_SINK,	 /* [sink NAME] */
	RC_SCOPE_TABLE,	 /* [table SCHEMA.TABLE] */
};

struct rc_conf_entry {
	const struct rc_conf_key *key; /* the declaration it matched */
	char *name;		       /* as written (e.g. "password_file") */
	char *value;		       /* resolved value (secret read) */
	int line;
};

struct rc_conf_section {
	enum rc_conf_scope scope;
	char *name; /* "shop", "public.customers"; "" for [rowcast] */
	char *type; /* value of `type` for sources/sinks */
	int line;   /* line of the [header] */
	struct rc_conf_entry *entries;
	int nentries;
	/* keys of this section's plugin (sources/sinks), set at load */
	const struct rc_conf_key *plugin_keys;
};

struct rc_config {
	char *path;
	struct rc_conf_section global; /* always present, maybe empty */
	struct rc_conf_section
		*sections; /* sources, sinks, tables in file order */
	int nsections;
};

/*
 * Load and check path. Returns a config, or NULL with a message in err of
 * the form "FILE:LINE: what is wrong; what was expected".
 * The caller frees the result with rc_config_free().
 */
struct rc_config *rc_config_load(const char *path, char *err, size_t errlen);
/* Same from a string (tests); name is used in messages. */
struct rc_config *rc_config_load_string(const char *text, const char *name,
					char *err, size_t errlen);
void rc_config_free(struct rc_config *cfg);

/* Iterate: the i-th section of a scope, or NULL. */
const struct rc_conf_section *
rc_config_section(const struct rc_config *cfg, enum rc_conf_scope scope, int i);
/* The [table NAME] section, or NULL. */
const struct rc_conf_section *rc_config_table(const struct rc_config *cfg,
					      const char *name);

/*
 * Typed getters. They return the value set in the section, else the key's
 * default; the value was checked at load, so they cannot fail on a key that
 * is declared for the section (asking for an undeclared key is a
 * programming error: they return NULL/0 and log it).
 */
const char *rc_conf_str(const struct rc_conf_section *sec, const char *key);
int64_t rc_conf_int(const struct rc_conf_section *sec, const char *key);
int rc_conf_bool(const struct rc_conf_section *sec, const char *key);
uint64_t rc_conf_size(const struct rc_conf_section *sec, const char *key);
int64_t rc_conf_ms(const struct rc_conf_section *sec, const char *key);
/* List items, trimmed; returns the count, *items is a NULL-terminated
 * malloc'd array of malloc'd strings for the caller to free with
 * rc_conf_list_free(). -1 on out of memory. Unset and no default = 0 items. */
int rc_conf_list(const struct rc_conf_section *sec, const char *key,
		 char ***items);
void rc_conf_list_free(char **items);
/* Line where key was set in sec, or the section's line when unset. */
int rc_conf_line(const struct rc_conf_section *sec, const char *key);
/* Was key set explicitly? */
int rc_conf_is_set(const struct rc_conf_section *sec, const char *key);

/*
 * Check text as a value of key the way loading does (type, bounds,
 * choices): 0, or -1 with "bad value 'TEXT' for NAME; expected ..." in err
 * (TEXT is left out for a secret key). For values from elsewhere and tests.
 */
int rc_conf_check(const struct rc_conf_key *key, const char *text, char *err,
		  size_t errlen);

/* Print every key of every table (core + plugins), for --help. */
void rc_config_print_help(FILE *out);

/*
 * Write the man page rowcast.conf(5) in roff: the file format, then every
 * section and key of the same tables (core + compiled-in plugins), with
 * types, defaults, bounds, choices, secret forms and an example. 0, or -1
 * when out of memory (nothing written).
 */
int rc_config_print_man(FILE *out);

/* The example configuration of rowcast.conf(5) (valid: a unit test loads
 * it). */
extern const char rc_config_example[];

#endif
