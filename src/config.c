/*
 * config.c -- rowcast's configuration file: parse, check, read (config.h).
 *
 * Loading happens in two passes. The first reads the file through libinih
 * with our own line reader (Debian's libinih gives the handler no line
 * numbers, so the reader counts them); it records the sections and their
 * raw entries, and rejects what needs no key table: a bad section header, a
 * duplicate section, a key set twice, a key outside any section. The second
 * pass runs once the whole file is read (a section's `type`, which selects
 * its plugin's keys, may come after the plugin's keys) and checks every
 * entry against the key tables, resolves secrets, then checks what links
 * sections together (a source's sinks, a [table] section's source).
 *
 * Only the first error is reported, as "FILE:LINE: problem; expected what".
 * A secret value never appears in a message.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* strdup, explicit_bzero */
#endif

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "limits.h"
#include "log.h"
#include "manpage.h"
#include "metrics.h"
#include "plugins.h"

#define RC_LOG_COMP "config"

/* ---------------------------------------------------------------------
 * The core's key tables
 * --------------------------------------------------------------------- */

static const struct rc_conf_key rc_global_keys[] = {
	{"state_dir", RC_CONF_STRING, "/var/lib/rowcast", 0,
	 "directory of the checkpoint files (created if missing)", NULL, 0, 0},
	{"log_level", RC_CONF_ENUM, "info", 0,
	 "least severe level of the messages logged", "error|warn|info|debug",
	 0, 0},
	{"log_format", RC_CONF_ENUM, "text", 0,
	 "log lines as text (time, level, [component], message) or as JSON "
	 "objects (ts, level, component, source, table, msg), one per line",
	 "text|json", 0, 0},
	{"queue_max_bytes", RC_CONF_SIZE, "16M", 0,
	 "bytes of events held between a source and its sinks", NULL, 65536, 0},
	{"checkpoint_interval", RC_CONF_DURATION, "1s", 0,
	 "how often, at most, the durable position is written to state_dir "
	 "while events flow (at once when the source has caught up)",
	 NULL, 10, 0},
	{"shutdown_timeout", RC_CONF_DURATION, "30s", 0,
	 "longest wait for the sinks to make everything durable on stop", NULL,
	 100, 0},
	{"metrics_listen", RC_CONF_STRING, NULL, 0,
	 "HOST:PORT of the /metrics and /health HTTP endpoint, e.g. "
	 "127.0.0.1:9187 (keep it on loopback); empty: off",
	 NULL, 0, 0},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

/* `type` has no choices here: they are the plugins compiled in
 * (rc_key_choices()). */
static const struct rc_conf_key rc_source_keys[] = {
	{"type", RC_CONF_ENUM, NULL, RC_CONF_REQUIRED,
	 "kind of database, one of the source types below", NULL, 0, 0},
	{"tables", RC_CONF_LIST, NULL, RC_CONF_REQUIRED,
	 "tables to capture, schema-qualified, comma-separated", NULL, 0, 0},
	{"topic_prefix", RC_CONF_STRING, NULL, 0,
	 "first part of topic names (default: the source's name)", NULL, 0, 0},
	{"sinks", RC_CONF_LIST, NULL, 0,
	 "sinks that receive this source's events (default: every sink)", NULL,
	 0, 0},
	{"snapshot", RC_CONF_ENUM, "initial", 0,
	 "rows already in the tables: initial (read every table on the first "
	 "start, and a table added to `tables` later), never (changes only), "
	 "when_needed (initial, and every table again when the stream "
	 "position was lost: slot dropped, binlog purged)",
	 "initial|never|when_needed", 0, 0},
	{"snapshot_chunk_size", RC_CONF_INT, "10000", 0,
	 "rows per snapshot chunk, read in primary-key order; a chunk is the "
	 "unit of resumption and bounds the memory a snapshot uses",
	 NULL, 1, 1000000},
	{"snapshot_max_rows_per_sec", RC_CONF_INT, "0", 0,
	 "throttle: most rows a snapshot reads per second (0: no limit)", NULL,
	 0, 1000000000},
	{"snapshot_progress_interval", RC_CONF_DURATION, "10s", 0,
	 "how often a running snapshot logs its progress", NULL, 100, 86400000},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

static const struct rc_conf_key rc_sink_keys[] = {
	{"type", RC_CONF_ENUM, NULL, RC_CONF_REQUIRED,
	 "kind of destination, one of the sink types below", NULL, 0, 0},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

static const struct rc_conf_key rc_table_keys[] = {
	{"key", RC_CONF_LIST, NULL, 0,
	 "columns that form the event key instead of the primary key", NULL, 0,
	 0},
	{"exclude", RC_CONF_LIST, NULL, 0, "columns left out of events", NULL,
	 0, 0},
	{"topic", RC_CONF_STRING, NULL, 0,
	 "topic (and file stream) name instead of <prefix>.<schema>.<table>",
	 NULL, 0, 0},
	{"event_name", RC_CONF_STRING, NULL, 0,
	 "name in the Kafka event header: <event_name>.created, .updated, "
	 ".deleted, .read, .truncated (default: the table's name)",
	 NULL, 0, 0},
	{"on_error", RC_CONF_ENUM, NULL, 0,
	 "a message the sink can never deliver (too large, topic not "
	 "authorised): stop, or dead_letter (Kafka: to the dead-letter topic); "
	 "default: the sink's on_error",
	 "stop|dead_letter", 0, 0},
	{"source", RC_CONF_STRING, NULL, 0,
	 "the source this section applies to, when several sources list the "
	 "table",
	 NULL, 0, 0},
	{NULL, 0, NULL, 0, NULL, NULL, 0, 0},
};

static const char rc_sections_expected[] =
	"[rowcast], [source NAME], [sink NAME] or [table SCHEMA.TABLE]";

/* ---------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

/* Overwrite a string that may hold a secret, then free it. NULL is fine. */
static void
rc_str_wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static const char *
rc_scope_word(enum rc_conf_scope scope)
{
	switch (scope) {
	case RC_SCOPE_GLOBAL:
		return "rowcast";
	case RC_SCOPE_SOURCE:
		return "source";
	case RC_SCOPE_SINK:
		return "sink";
	case RC_SCOPE_TABLE:
		return "table";
	}
	return "?";
}

/* "[rowcast]", "[source shop]", ... into buf; returns buf. */
static const char *
rc_label(const struct rc_conf_section *sec, char *buf, size_t len)
{
	if (sec->scope == RC_SCOPE_GLOBAL)
		snprintf(buf, len, "[rowcast]");
	else
		snprintf(buf, len, "[%s %s]", rc_scope_word(sec->scope),
			 sec->name);
	return buf;
}

/* The core table of a scope. */
static const struct rc_conf_key *
rc_scope_keys(enum rc_conf_scope scope)
{
	switch (scope) {
	case RC_SCOPE_GLOBAL:
		return rc_global_keys;
	case RC_SCOPE_SOURCE:
		return rc_source_keys;
	case RC_SCOPE_SINK:
		return rc_sink_keys;
	case RC_SCOPE_TABLE:
		return rc_table_keys;
	}
	return NULL;
}

static const struct rc_conf_key *
rc_find_key(const struct rc_conf_key *tab, const char *name)
{
	const struct rc_conf_key *k;

	for (k = tab; k && k->name; k++)
		if (!(k->flags & RC_CONF_PREFIX) && strcmp(k->name, name) == 0)
			return k;
	/* "kafka.compression.type" under a declared prefix "kafka." */
	for (k = tab; k && k->name; k++)
		if ((k->flags & RC_CONF_PREFIX) &&
		    strncmp(name, k->name, strlen(k->name)) == 0 &&
		    name[strlen(k->name)] != '\0')
			return k;
	return NULL;
}

/* The declaration of name among the keys of sec (core, then plugin). */
static const struct rc_conf_key *
rc_sec_decl(const struct rc_conf_section *sec, const char *name)
{
	const struct rc_conf_key *k =
		rc_find_key(rc_scope_keys(sec->scope), name);

	return k ? k : rc_find_key(sec->plugin_keys, name);
}

/* The entry of sec that sets the key called name (also when it was given
 * as name_file or name_env), or NULL. */
static const struct rc_conf_entry *
rc_sec_entry(const struct rc_conf_section *sec, const char *name)
{
	for (int i = 0; i < sec->nentries; i++)
		if (sec->entries[i].key &&
		    strcmp(sec->entries[i].key->name, name) == 0)
			return &sec->entries[i];
	return NULL;
}

/*
 * The choices of an ENUM key as "a|b|c" copied into buf: the key's own, or,
 * for the `type` of sources and sinks, the names of the plugins compiled
 * in. Returns buf, "" when there are none.
 */
static const char *
rc_key_choices(const struct rc_conf_key *key, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (key->choices) {
		snprintf(buf, len, "%s", key->choices);
		return buf;
	}
	if (key == &rc_source_keys[0]) {
		for (int i = 0; rc_source_plugins[i]; i++) {
			int r = snprintf(buf + n, len - n, "%s%s", i ? "|" : "",
					 rc_source_plugins[i]->name);
			if (r < 0 || (size_t)r >= len - n)
				break;
			n += (size_t)r;
		}
	} else if (key == &rc_sink_keys[0]) {
		for (int i = 0; rc_sink_plugins[i]; i++) {
			int r = snprintf(buf + n, len - n, "%s%s", i ? "|" : "",
					 rc_sink_plugins[i]->name);
			if (r < 0 || (size_t)r >= len - n)
				break;
			n += (size_t)r;
		}
	}
	return buf;
}

/* "a|b|c" as "a, b, c" into buf, for messages. */
static const char *
rc_choices_text(const char *choices, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *c = choices; *c && n + 3 < len; c++) {
		if (*c == '|') {
			buf[n++] = ',';
			buf[n++] = ' ';
		} else {
			buf[n++] = *c;
		}
	}
	buf[n] = 0;
	return buf;
}

/*
 * Find text among choices ("a|b|c"), ignoring case; copies the choice as
 * declared into canon. Returns 0, or -1 when it is not one of them.
 */
static int
rc_choice_match(const char *choices, const char *text, char *canon,
		size_t canonlen)
{
	size_t tlen = strlen(text);
	const char *c = choices;

	while (*c) {
		size_t clen = strcspn(c, "|");

		if (clen == tlen && tlen > 0 &&
		    strncasecmp(c, text, clen) == 0) {
			if (clen >= canonlen)
				return -1;
			memcpy(canon, c, clen);
			canon[clen] = 0;
			return 0;
		}
		c += clen;
		if (*c == '|')
			c++;
	}
	return -1;
}

/* ---------------------------------------------------------------------
 * Values
 * --------------------------------------------------------------------- */

/* A decimal integer with an optional sign, nothing around it. */
static int
rc_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!(isdigit((unsigned char)s[0]) ||
	      ((s[0] == '-' || s[0] == '+') && isdigit((unsigned char)s[1]))))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Leading decimal digits of s into *out (no sign, overflow checked);
 * returns the rest of s, or NULL when there is no digit or it overflows. */
static const char *
rc_parse_digits(const char *s, int64_t *out)
{
	int64_t v = 0;

	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		int d = *s - '0';

		if (v > (INT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int
rc_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/*
 * A size in bytes: digits, then optionally k, M or G (1024 multiples, any
 * case), then optionally B or iB: "1048576", "512k", "16M", "16MiB", "1GB".
 */
static int
rc_parse_size(const char *s, int64_t *out)
{
	int64_t v, mult = 1;

	s = rc_parse_digits(s, &v);
	if (!s)
		return -1;
	switch (*s) {
	case 'k':
	case 'K':
		mult = INT64_C(1) << 10;
		s++;
		break;
	case 'm':
	case 'M':
		mult = INT64_C(1) << 20;
		s++;
		break;
	case 'g':
	case 'G':
		mult = INT64_C(1) << 30;
		s++;
		break;
	}
	if (mult > 1 && (*s == 'i' || *s == 'I') &&
	    (s[1] == 'b' || s[1] == 'B'))
		s += 2;
	else if (*s == 'b' || *s == 'B')
		s++;
	if (*s || v > INT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* A duration in milliseconds: digits, then optionally ms, s, m or h (any
 * case); a bare number is milliseconds. */
static int
rc_parse_duration(const char *s, int64_t *out)
{
	int64_t v, mult;

	s = rc_parse_digits(s, &v);
	if (!s)
		return -1;
	if (*s == 0 || strcasecmp(s, "ms") == 0)
		mult = 1;
	else if (strcasecmp(s, "s") == 0)
		mult = 1000;
	else if (strcasecmp(s, "m") == 0)
		mult = 60 * 1000;
	else if (strcasecmp(s, "h") == 0)
		mult = 3600 * 1000;
	else
		return -1;
	if (v > INT64_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

struct rc_unit {
	int64_t mult;
	const char *unit;
};

/* Bound v of a key of type as users write it: 65536 -> "64k", 100 -> "100ms".
 */
static const char *
rc_amount_text(enum rc_conf_type type, int64_t v, char *buf, size_t len)
{
	static const struct rc_unit sizes[] = {{INT64_C(1) << 30, "G"},
					       {INT64_C(1) << 20, "M"},
					       {INT64_C(1) << 10, "k"},
					       {1, ""}};
	static const struct rc_unit durations[] = {
		{3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
	const struct rc_unit *u;

	if (type != RC_CONF_SIZE && type != RC_CONF_DURATION) {
		snprintf(buf, len, "%" PRId64, v);
		return buf;
	}
	u = type == RC_CONF_SIZE ? sizes : durations;
	while (u->mult > 1 && (v == 0 || v % u->mult != 0))
		u++;
	snprintf(buf, len, "%" PRId64 "%s", v / u->mult, u->unit);
	return buf;
}

/* What a value of key must look like, for "expected ..." (no bounds). */
static const char *
rc_type_expected(const struct rc_conf_key *key, char *buf, size_t len)
{
	char choices[RC_ERRLEN], text[RC_ERRLEN];

	switch (key->type) {
	case RC_CONF_STRING:
		return "text";
	case RC_CONF_INT:
		return "an integer such as 42";
	case RC_CONF_BOOL:
		return "true or false (also yes/no, on/off, 1/0)";
	case RC_CONF_SIZE:
		return "a size such as 16M, 512k or 1048576";
	case RC_CONF_DURATION:
		return "a duration such as 500ms, 10s, 5m or 1h";
	case RC_CONF_ENUM:
		rc_key_choices(key, choices, sizeof(choices));
		snprintf(buf, len, "one of: %s",
			 choices[0]
				 ? rc_choices_text(choices, text, sizeof(text))
				 : "(none compiled in)");
		return buf;
	case RC_CONF_LIST:
		return "a comma-separated list of names such as a, b, c";
	}
	return "?";
}

/*
 * Check text as a value of key. On success fills *num for INT, SIZE and
 * DURATION (bytes, milliseconds) and canon for ENUM (the choice as
 * declared). On failure writes "bad value 'TEXT' for NAME; expected ..."
 * into err, leaving TEXT out for a secret key, and returns -1.
 */
static int
rc_value_check(const struct rc_conf_key *key, const char *text, int64_t *num,
	       char *canon, size_t canonlen, char *err, size_t errlen)
{
	char what[RC_ERRLEN + 64], bound[2][64], choices[RC_ERRLEN];
	const char *why = NULL;
	int64_t v = 0;
	int b, ok = 0;

	switch (key->type) {
	case RC_CONF_STRING:
		ok = 1;
		break;
	case RC_CONF_INT:
		ok = rc_parse_int(text, &v) == 0;
		break;
	case RC_CONF_BOOL:
		ok = rc_parse_bool(text, &b) == 0;
		break;
	case RC_CONF_SIZE:
		ok = rc_parse_size(text, &v) == 0;
		break;
	case RC_CONF_DURATION:
		ok = rc_parse_duration(text, &v) == 0;
		break;
	case RC_CONF_ENUM:
		rc_key_choices(key, choices, sizeof(choices));
		ok = rc_choice_match(choices, text, canon, canonlen) == 0;
		break;
	case RC_CONF_LIST: {
		const char *p = text;

		ok = 1;
		for (;;) {
			size_t n = strcspn(p, ",");
			size_t a = 0, z = n;

			while (a < z && (p[a] == ' ' || p[a] == '\t'))
				a++;
			while (z > a && (p[z - 1] == ' ' || p[z - 1] == '\t'))
				z--;
			if (a == z) {
				ok = 0;
				why = " (an item is empty)";
				break;
			}
			for (size_t i = a; i < z; i++)
				if (isspace((unsigned char)p[i])) {
					ok = 0;
					why = " (a comma is missing between "
					      "two "
					      "items)";
				}
			if (!ok || !p[n])
				break;
			p += n + 1;
		}
		break;
	}
	}

	if (ok &&
	    (key->type == RC_CONF_INT || key->type == RC_CONF_SIZE ||
	     key->type == RC_CONF_DURATION) &&
	    (key->min || key->max) &&
	    (v < key->min || (key->max && v > key->max))) {
		rc_amount_text(key->type, key->min, bound[0], sizeof(bound[0]));
		rc_amount_text(key->type, key->max, bound[1], sizeof(bound[1]));
		if (key->max)
			snprintf(what, sizeof(what), "from %s to %s", bound[0],
				 bound[1]);
		else
			snprintf(what, sizeof(what), "at least %s", bound[0]);
		ok = 0;
	} else if (!ok) {
		snprintf(what, sizeof(what), "%s%s",
			 rc_type_expected(key, choices, sizeof(choices)),
			 why ? why : "");
	}
	if (ok) {
		if (num)
			*num = v;
		return 0;
	}
	if (err && errlen) {
		if (key->flags & RC_CONF_SECRET)
			snprintf(err, errlen, "bad value for %s; expected %s",
				 key->name, what);
		else
			snprintf(err, errlen,
				 "bad value '%s' for %s; expected %s", text,
				 key->name, what);
	}
	return -1;
}

/*
 * Check text as a value of key, as loading does (see config.h).
 */
int
rc_conf_check(const struct rc_conf_key *key, const char *text, char *err,
	      size_t errlen)
{
	char canon[RC_MAX_NAME];
	int64_t v;

	if (!key || !key->name || !text) {
		if (err && errlen)
			snprintf(err, errlen, "no key or no value to check");
		return -1;
	}
	return rc_value_check(key, text, &v, canon, sizeof(canon), err, errlen);
}

/* ---------------------------------------------------------------------
 * First pass: reading the file through libinih
 * --------------------------------------------------------------------- */

/* Where keys go: no section yet, a section whose header was bad (keys
 * skipped), [rowcast], or an index in cfg->sections. */
#define RC_CUR_NONE   (-3)
#define RC_CUR_SKIP   (-2)
#define RC_CUR_GLOBAL (-1)

struct rc_parse {
	struct rc_config *cfg;
	const char *name; /* file name, for messages */
	const char
		*dir; /* directory of the file, for secret files; NULL = cwd */
	FILE *fp;     /* input: a file ... */
	const char *str; /* ... or a string */
	size_t pos;
	int lineno; /* line being parsed */
	int cur;    /* RC_CUR_* or index of the current section */
	int failed;
	int errline; /* line of the error; 0 = none / not a line */
	char *err;
	size_t errlen;
};

/* Write "FILE:LINE: message" (or "FILE: message" when line is 0) into the
 * caller's buffer, whether or not an error was already there. */
static void
rc_set_errv(struct rc_parse *p, int line, const char *fmt, va_list ap)
{
	int n;

	p->failed = 1;
	p->errline = line;
	if (!p->err || !p->errlen)
		return;
	if (line > 0)
		n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->name);
	if (n >= 0 && (size_t)n < p->errlen)
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
}

static void __attribute__((format(printf, 3, 4)))
rc_set_err(struct rc_parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc_set_errv(p, line, fmt, ap);
	va_end(ap);
}

/* Record an error unless one was recorded already (the first one is the
 * one the user sees). Returns -1. */
static int __attribute__((format(printf, 3, 4)))
rc_fail(struct rc_parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return -1;
	va_start(ap, fmt);
	rc_set_errv(p, line, fmt, ap);
	va_end(ap);
	return -1;
}

static struct rc_conf_section *
rc_cur_section(struct rc_parse *p)
{
	if (p->cur == RC_CUR_GLOBAL)
		return &p->cfg->global;
	if (p->cur >= 0)
		return &p->cfg->sections[p->cur];
	return NULL;
}

/* Is the wlen bytes long word w the keyword kw? */
static int
rc_word_is(const char *w, size_t wlen, const char *kw)
{
	return strlen(kw) == wlen && strncmp(w, kw, wlen) == 0;
}

/*
 * Open the section whose header is line ("[...]", leading blanks already
 * gone): check the header, refuse a duplicate, and make it the current
 * section. On error the current section becomes RC_CUR_SKIP so that its
 * keys are ignored. Called by the reader, because libinih tells the
 * handler nothing about a section without keys.
 */
static void
rc_open_section(struct rc_parse *p, const char *line)
{
	struct rc_config *cfg = p->cfg;
	struct rc_conf_section *sec;
	enum rc_conf_scope scope;
	char head[RC_MAX_CONFIG_LINE + 1], label[RC_MAX_NAME + 16];
	const char *close, *rest, *word, *name;
	size_t n, wlen;

	p->cur = RC_CUR_SKIP;
	close = strchr(line, ']');
	if (!close) {
		rc_fail(p, p->lineno,
			"section header has no closing ']'; "
			"expected %s",
			rc_sections_expected);
		return;
	}
	for (rest = close + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest && *rest != ';' && *rest != '#') {
		rc_fail(p, p->lineno,
			"text after the section header; "
			"expected nothing or a ; comment after ']'");
		return;
	}

	/* head = the text between the brackets, trimmed; word = its first
	 * wlen bytes, name = the rest, trimmed */
	n = (size_t)(close - line - 1);
	memcpy(head, line + 1, n);
	head[n] = 0;
	while (n > 0 && isspace((unsigned char)head[n - 1]))
		head[--n] = 0;
	word = head;
	while (isspace((unsigned char)*word))
		word++;
	wlen = strcspn(word, " \t");
	for (name = word + wlen; isspace((unsigned char)*name); name++)
		;

	if (rc_word_is(word, wlen, "rowcast") && !*name) {
		if (cfg->global.line) {
			rc_fail(p, p->lineno,
				"duplicate section [rowcast] "
				"(first at line %d); expected each section "
				"once",
				cfg->global.line);
			return;
		}
		cfg->global.line = p->lineno;
		p->cur = RC_CUR_GLOBAL;
		return;
	}
	if (rc_word_is(word, wlen, "source"))
		scope = RC_SCOPE_SOURCE;
	else if (rc_word_is(word, wlen, "sink"))
		scope = RC_SCOPE_SINK;
	else if (rc_word_is(word, wlen, "table"))
		scope = RC_SCOPE_TABLE;
	else {
		rc_fail(p, p->lineno, "unknown section [%s]; expected %s", word,
			rc_sections_expected);
		return;
	}
	word = rc_scope_word(scope);

	if (!*name) {
		rc_fail(p, p->lineno,
			"section [%s] has no name; expected [%s %s]", word,
			word,
			scope == RC_SCOPE_TABLE ? "SCHEMA.TABLE" : "NAME");
		return;
	}
	if (name[strcspn(name, " \t")]) {
		rc_fail(p, p->lineno,
			"section name '%s' has a space; expected "
			"[%s NAME] with a name of one word",
			name, word);
		return;
	}
	if (strlen(name) >= RC_MAX_NAME) {
		rc_fail(p, p->lineno,
			"section name is longer than %d bytes; "
			"expected a shorter name",
			RC_MAX_NAME - 1);
		return;
	}
	if (scope == RC_SCOPE_TABLE) {
		const char *dot = strchr(name, '.');

		if (!dot || dot == name || !dot[1]) {
			rc_fail(p, p->lineno,
				"table name '%s' has no schema; "
				"expected [table SCHEMA.TABLE] such as "
				"[table public.customers]",
				name);
			return;
		}
	}
	for (int i = 0; i < cfg->nsections; i++) {
		sec = &cfg->sections[i];
		if (sec->scope == scope && strcmp(sec->name, name) == 0) {
			rc_fail(p, p->lineno,
				"duplicate section %s (first at "
				"line %d); expected each section once",
				rc_label(sec, label, sizeof(label)), sec->line);
			return;
		}
	}

	sec = realloc(cfg->sections,
		      ((size_t)cfg->nsections + 1) * sizeof(*cfg->sections));
	if (!sec) {
		rc_fail(p, p->lineno, "out of memory; expected a smaller file");
		return;
	}
	cfg->sections = sec;
	sec = &cfg->sections[cfg->nsections];
	memset(sec, 0, sizeof(*sec));
	sec->scope = scope;
	sec->line = p->lineno;
	sec->name = strdup(name);
	if (!sec->name) {
		rc_fail(p, p->lineno, "out of memory; expected a smaller file");
		return;
	}
	p->cur = cfg->nsections++;
}

static int
rc_in_getc(struct rc_parse *p)
{
	if (p->fp)
		return getc(p->fp);
	if (!p->str[p->pos])
		return EOF;
	return (unsigned char)p->str[p->pos++];
}

/*
 * The fgets-like reader libinih calls for each line: reads one whole line
 * from the file or the string, counts it, and hands libinih the line
 * without its leading blanks. Stripping them turns libinih's multi-line
 * values off: an indented "key = value" is a key of its own, never the
 * continuation of the key above. A line longer than fits (or than
 * RC_MAX_CONFIG_LINE) or holding a NUL byte is an error, never cut in two.
 * Section headers are opened here, since empty sections never reach the
 * handler.
 */
static char *
rc_ini_reader(char *str, int num, void *stream)
{
	struct rc_parse *p = stream;
	size_t limit, n = 0, skip = 0;
	int c, nul = 0, over = 0;

	if (num < 3)
		return NULL;
	limit = (size_t)num - 2; /* room for '\n' and '\0' */
	if (limit > RC_MAX_CONFIG_LINE)
		limit = RC_MAX_CONFIG_LINE;
	c = rc_in_getc(p);
	if (c == EOF)
		return NULL;
	for (; c != EOF && c != '\n'; c = rc_in_getc(p)) {
		if (c == 0)
			nul = 1;
		else if (n < limit)
			str[n++] = (char)c;
		else
			over = 1;
	}
	str[n] = 0;
	p->lineno++;

	if (over) {
		rc_fail(p, p->lineno,
			"line is longer than %zu bytes; expected "
			"shorter lines",
			limit);
		n = 0;
	} else if (nul) {
		rc_fail(p, p->lineno, "line holds a NUL byte; expected text");
		n = 0;
	}
	while (n > 0 && isspace((unsigned char)str[n - 1]))
		n--;
	str[n] = 0;
	if (p->lineno == 1 && n >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0)
		skip = 3;
	while (skip < n && isspace((unsigned char)str[skip]))
		skip++;
	memmove(str, str + skip, n - skip + 1);
	if (str[0] == '[')
		rc_open_section(p, str);
	n -= skip;
	str[n] = '\n';
	str[n + 1] = 0;
	return str;
}

/*
 * libinih's handler: one key = value of the current section. Records the
 * entry as written; checking it against the key tables waits for the end of
 * the file. Refuses a key outside any section and a key set twice.
 */
static int
rc_ini_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct rc_parse *p = user;
	struct rc_conf_section *sec;
	struct rc_conf_entry *e;
	char label[RC_MAX_NAME + 16];

	(void)section; /* the reader keeps the current section itself */
	if (p->failed || p->cur == RC_CUR_SKIP)
		return 1;
	if (p->cur == RC_CUR_NONE) {
		rc_fail(p, p->lineno,
			"'%s' is outside of any section; "
			"expected it under %s",
			name, rc_sections_expected);
		return 0;
	}
	if (!*name) {
		rc_fail(p, p->lineno,
			"no key before '='; expected KEY = VALUE");
		return 0;
	}
	sec = rc_cur_section(p);
	for (int i = 0; i < sec->nentries; i++) {
		if (strcmp(sec->entries[i].name, name) != 0)
			continue;
		rc_fail(p, p->lineno,
			"'%s' is set twice in %s (lines %d and "
			"%d); expected it once",
			name, rc_label(sec, label, sizeof(label)),
			sec->entries[i].line, p->lineno);
		return 0;
	}

	e = realloc(sec->entries, ((size_t)sec->nentries + 1) * sizeof(*e));
	if (!e) {
		rc_fail(p, p->lineno, "out of memory; expected a smaller file");
		return 0;
	}
	sec->entries = e;
	e = &sec->entries[sec->nentries];
	e->key = NULL;
	e->line = p->lineno;
	e->name = strdup(name);
	e->value = strdup(value ? value : "");
	if (!e->name || !e->value) {
		free(e->name);
		rc_str_wipe_free(e->value);
		rc_fail(p, p->lineno, "out of memory; expected a smaller file");
		return 0;
	}
	sec->nentries++;
	return 1;
}

/* ---------------------------------------------------------------------
 * Second pass: checking sections against the key tables
 * --------------------------------------------------------------------- */

/* The keys of tab as "a, b, c" appended to b. */
static void
rc_key_names(struct rc_buf *b, const struct rc_conf_key *tab)
{
	for (; tab && tab->name; tab++)
		rc_buf_printf(b, "%s%s", b->len ? ", " : "", tab->name);
}

/* Replace e->value with text (the old value is wiped). */
static int
rc_entry_set(struct rc_parse *p, struct rc_conf_entry *e, const char *text)
{
	char *v = strdup(text);

	if (!v)
		return rc_fail(p, e->line,
			       "out of memory; expected a smaller "
			       "file");
	rc_str_wipe_free(e->value);
	e->value = v;
	return 0;
}

#define RC_SECRET_FILE 1
#define RC_SECRET_ENV  2

/* The secret key that name gives as <key>_file or <key>_env, or NULL;
 * *how says which. */
static const struct rc_conf_key *
rc_secret_decl(const struct rc_conf_section *sec, const char *name, int *how)
{
	static const struct {
		const char *suffix;
		int how;
	} forms[] = {{"_file", RC_SECRET_FILE}, {"_env", RC_SECRET_ENV}};
	char base[RC_MAX_CONFIG_LINE + 1];
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		size_t s = strlen(forms[i].suffix);
		const struct rc_conf_key *k;

		if (n <= s || n - s >= sizeof(base) ||
		    strcmp(name + n - s, forms[i].suffix) != 0)
			continue;
		memcpy(base, name, n - s);
		base[n - s] = 0;
		k = rc_sec_decl(sec, base);
		if (k && (k->flags & RC_CONF_SECRET)) {
			*how = forms[i].how;
			return k;
		}
	}
	return NULL;
}

/*
 * Resolve a secret given as <key>_file (read the file, relative to the
 * configuration file's directory; one trailing newline removed) or
 * <key>_env (read the environment variable) into e->value. The messages
 * name the file or the variable, never what they hold.
 */
static int
rc_read_secret(struct rc_parse *p, struct rc_conf_entry *e, int how)
{
	char buf[RC_MAX_CONFIG_LINE + 2];
	char *path = NULL;
	const char *v;
	FILE *fp = NULL;
	size_t n;
	int rc = -1;

	if (!e->value[0])
		return rc_fail(p, e->line, "%s is empty; expected %s", e->name,
			       how == RC_SECRET_FILE
				       ? "a file name"
				       : "an environment variable name");
	if (how == RC_SECRET_ENV) {
		v = getenv(e->value);
		if (!v)
			return rc_fail(p, e->line,
				       "environment variable %s "
				       "(%s) is not set; expected it to hold "
				       "the %s",
				       e->value, e->name, e->key->name);
		if (!*v)
			return rc_fail(p, e->line,
				       "environment variable %s "
				       "(%s) is empty; expected it to hold "
				       "the %s",
				       e->value, e->name, e->key->name);
		return rc_entry_set(p, e, v);
	}

	if (e->value[0] != '/' && p->dir) {
		size_t len = strlen(p->dir) + strlen(e->value) + 2;

		path = malloc(len);
		if (!path)
			return rc_fail(p, e->line,
				       "out of memory; expected a "
				       "smaller file");
		snprintf(path, len, "%s/%s", p->dir, e->value);
	} else {
		path = strdup(e->value);
		if (!path)
			return rc_fail(p, e->line,
				       "out of memory; expected a "
				       "smaller file");
	}
	fp = fopen(path, "r");
	if (!fp) {
		rc_fail(p, e->line,
			"cannot read %s (%s): %s; expected a "
			"readable file holding the %s",
			path, e->name, strerror(errno), e->key->name);
		goto out;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	if (ferror(fp)) {
		rc_fail(p, e->line,
			"cannot read %s (%s): %s; expected a "
			"readable file holding the %s",
			path, e->name, strerror(errno), e->key->name);
		goto out;
	}
	if (n == sizeof(buf) - 1) {
		rc_fail(p, e->line,
			"%s (%s) is larger than %d bytes; expected "
			"only the %s in it",
			path, e->name, RC_MAX_CONFIG_LINE, e->key->name);
		goto out;
	}
	buf[n] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = 0;
	if (strlen(buf) != n) {
		rc_fail(p, e->line,
			"%s (%s) holds a NUL byte; expected the "
			"%s as text",
			path, e->name, e->key->name);
		goto out;
	}
	if (n == 0) {
		rc_fail(p, e->line, "%s (%s) is empty; expected the %s in it",
			path, e->name, e->key->name);
		goto out;
	}
	rc = rc_entry_set(p, e, buf);

out:
	explicit_bzero(buf, sizeof(buf));
	if (fp)
		fclose(fp);
	free(path);
	return rc;
}

/*
 * Find the plugin of a source or sink section from its `type` (which may be
 * anywhere in the section) and set sec->type and sec->plugin_keys.
 */
static int
rc_check_type(struct rc_parse *p, struct rc_conf_section *sec)
{
	const struct rc_conf_key *tk = &rc_scope_keys(sec->scope)[0];
	const struct rc_conf_key *keys = NULL;
	const struct rc_conf_entry *e = NULL;
	char label[RC_MAX_NAME + 16], choices[RC_ERRLEN], text[RC_ERRLEN];
	char canon[RC_MAX_NAME];
	const char *word = rc_scope_word(sec->scope);

	for (int i = 0; i < sec->nentries; i++)
		if (strcmp(sec->entries[i].name, "type") == 0)
			e = &sec->entries[i];
	rc_key_choices(tk, choices, sizeof(choices));
	rc_choices_text(choices, text, sizeof(text));
	if (!text[0])
		snprintf(text, sizeof(text),
			 "(none: this rowcast was built "
			 "without %ss)",
			 word);
	if (!e)
		return rc_fail(p, sec->line,
			       "%s has no 'type'; expected: %s "
			       "(one of: %s)",
			       rc_label(sec, label, sizeof(label)), tk->help,
			       text);
	if (rc_choice_match(choices, e->value, canon, sizeof(canon)) < 0)
		return rc_fail(p, e->line,
			       "unknown %s type '%s' in %s; "
			       "expected one of: %s",
			       word, e->value,
			       rc_label(sec, label, sizeof(label)), text);
	if (sec->scope == RC_SCOPE_SOURCE)
		keys = rc_source_plugin(canon)->conf_keys;
	else
		keys = rc_sink_plugin(canon)->conf_keys;
	sec->type = strdup(canon);
	if (!sec->type)
		return rc_fail(p, e->line,
			       "out of memory; expected a smaller "
			       "file");
	sec->plugin_keys = keys;
	return 0;
}

/*
 * Check one section against its keys: match every entry to its
 * declaration (an unknown key is an error listing the known ones), refuse
 * a key given twice in different forms (password and password_file),
 * resolve secrets, check each value and store sizes and durations as plain
 * numbers (bytes, milliseconds) and enum values as declared; then refuse a
 * missing required key, at the section's header line.
 */
static int
rc_check_section(struct rc_parse *p, struct rc_conf_section *sec)
{
	const struct rc_conf_key *tabs[2] = {rc_scope_keys(sec->scope), NULL};
	char label[RC_MAX_NAME + 64], msg[RC_ERRLEN], canon[RC_MAX_NAME];
	char num[32];
	struct rc_buf names;

	if (sec->scope == RC_SCOPE_SOURCE || sec->scope == RC_SCOPE_SINK) {
		if (rc_check_type(p, sec) < 0)
			return -1;
		tabs[1] = sec->plugin_keys;
		snprintf(label, sizeof(label), "[%s %s] (type %s)",
			 rc_scope_word(sec->scope), sec->name, sec->type);
	} else {
		rc_label(sec, label, sizeof(label));
	}

	for (int i = 0; i < sec->nentries; i++) {
		struct rc_conf_entry *e = &sec->entries[i];
		const struct rc_conf_key *k = rc_sec_decl(sec, e->name);
		int how = 0;
		int64_t v;

		if (!k)
			k = rc_secret_decl(sec, e->name, &how);
		if (!k) {
			rc_buf_init(&names, RC_ERRLEN);
			rc_key_names(&names, tabs[0]);
			rc_key_names(&names, tabs[1]);
			rc_fail(p, e->line,
				"unknown key '%s' in %s; expected one "
				"of: %s",
				e->name, label,
				names.data ? names.data : "(none)");
			rc_buf_free(&names);
			return -1;
		}
		for (int j = 0; j < i && !(k->flags & RC_CONF_PREFIX); j++)
			if (sec->entries[j].key == k)
				return rc_fail(
					p, e->line,
					"'%s' is given twice "
					"in %s, as '%s' (line %d) and '%s' "
					"(line %d); expected only one of "
					"%s, %s_file, %s_env",
					k->name, label, sec->entries[j].name,
					sec->entries[j].line, e->name, e->line,
					k->name, k->name, k->name);
		e->key = k;
		if (how && rc_read_secret(p, e, how) < 0)
			return -1;
		if (rc_value_check(k, e->value, &v, canon, sizeof(canon), msg,
				   sizeof(msg)) < 0)
			return rc_fail(p, e->line, "%s", msg);
		if ((k->flags & RC_CONF_REQUIRED) &&
		    k->type == RC_CONF_STRING && !e->value[0])
			return rc_fail(p, e->line,
				       "'%s' is empty in %s; "
				       "expected: %s",
				       k->name, label, k->help);
		if (k->type == RC_CONF_SIZE || k->type == RC_CONF_DURATION) {
			snprintf(num, sizeof(num), "%" PRId64, v);
			if (rc_entry_set(p, e, num) < 0)
				return -1;
		} else if (k->type == RC_CONF_ENUM &&
			   strcmp(canon, e->value) != 0) {
			if (rc_entry_set(p, e, canon) < 0)
				return -1;
		}
	}

	for (int t = 0; t < 2; t++)
		for (const struct rc_conf_key *k = tabs[t]; k && k->name; k++) {
			if (!(k->flags & RC_CONF_REQUIRED) ||
			    rc_sec_entry(sec, k->name))
				continue;
			rc_label(sec, label, sizeof(label));
			if (k->flags & RC_CONF_SECRET)
				return rc_fail(
					p, sec->line,
					"%s has no '%s' "
					"(nor %s_file, %s_env); expected: "
					"%s",
					label, k->name, k->name, k->name,
					k->help);
			return rc_fail(p, sec->line,
				       "%s has no '%s'; "
				       "expected: %s",
				       label, k->name, k->help);
		}
	return 0;
}

/*
 * Check one key table (the core's or a plugin's) for programming errors:
 * a default that does not pass its own type, an ENUM without choices, a
 * plugin key that repeats a core key. They show up in the first test that
 * loads a configuration instead of in a user's face.
 */
static int
rc_check_table(struct rc_parse *p, const struct rc_conf_key *tab,
	       const struct rc_conf_key *core, const char *owner)
{
	char msg[RC_ERRLEN], canon[RC_MAX_NAME], choices[RC_ERRLEN];
	int64_t v;

	for (const struct rc_conf_key *k = tab; k && k->name; k++) {
		if (core && rc_find_key(core, k->name))
			return rc_fail(p, 0,
				       "internal error: %s declares key "
				       "'%s', which every section of its kind "
				       "has; expected another name",
				       owner, k->name);
		if (k->type == RC_CONF_ENUM &&
		    !rc_key_choices(k, choices, sizeof(choices))[0] &&
		    k != &rc_source_keys[0] && k != &rc_sink_keys[0])
			return rc_fail(p, 0,
				       "internal error: %s key '%s' has "
				       "no choices; expected \"a|b|c\"",
				       owner, k->name);
		if (k->def &&
		    rc_value_check(k, k->def, &v, canon, sizeof(canon), msg,
				   sizeof(msg)) < 0)
			return rc_fail(p, 0,
				       "internal error: default of %s key "
				       "'%s': %s",
				       owner, k->name, msg);
	}
	return 0;
}

static int
rc_check_tables(struct rc_parse *p)
{
	char owner[RC_MAX_NAME + 32];

	if (rc_check_table(p, rc_global_keys, NULL, "[rowcast]") < 0 ||
	    rc_check_table(p, rc_source_keys, NULL, "[source]") < 0 ||
	    rc_check_table(p, rc_sink_keys, NULL, "[sink]") < 0 ||
	    rc_check_table(p, rc_table_keys, NULL, "[table]") < 0)
		return -1;
	for (int i = 0; rc_source_plugins[i]; i++) {
		snprintf(owner, sizeof(owner), "source plugin %s",
			 rc_source_plugins[i]->name);
		if (rc_check_table(p, rc_source_plugins[i]->conf_keys,
				   rc_source_keys, owner) < 0)
			return -1;
	}
	for (int i = 0; rc_sink_plugins[i]; i++) {
		snprintf(owner, sizeof(owner), "sink plugin %s",
			 rc_sink_plugins[i]->name);
		if (rc_check_table(p, rc_sink_plugins[i]->conf_keys,
				   rc_sink_keys, owner) < 0)
			return -1;
	}
	return 0;
}

/* The names of the sections of scope as "a, b" appended to b. */
static void
rc_section_names(struct rc_buf *b, const struct rc_config *cfg,
		 enum rc_conf_scope scope)
{
	for (int i = 0; i < cfg->nsections; i++)
		if (cfg->sections[i].scope == scope)
			rc_buf_printf(b, "%s%s", b->len ? ", " : "",
				      cfg->sections[i].name);
}

static const struct rc_conf_section *
rc_find_section(const struct rc_config *cfg, enum rc_conf_scope scope,
		const char *name)
{
	for (int i = 0; i < cfg->nsections; i++)
		if (cfg->sections[i].scope == scope &&
		    strcmp(cfg->sections[i].name, name) == 0)
			return &cfg->sections[i];
	return NULL;
}

/* Is tbl among the `tables` of source section src? -1 out of memory. */
static int
rc_source_lists(const struct rc_conf_section *src, const char *tbl)
{
	char **items;
	int n, found = 0;

	n = rc_conf_list(src, "tables", &items);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(items[i], tbl) == 0)
			found = 1;
	rc_conf_list_free(items);
	return found;
}

/*
 * Check one source's lists: every table is SCHEMA.TABLE and listed once,
 * every sink it names has a [sink] section.
 */
static int
rc_check_source_links(struct rc_parse *p, const struct rc_conf_section *src)
{
	const struct rc_config *cfg = p->cfg;
	char label[RC_MAX_NAME + 16];
	char **items = NULL;
	struct rc_buf names;
	int n, rc = -1;

	rc_label(src, label, sizeof(label));
	n = rc_conf_list(src, "tables", &items);
	if (n < 0)
		return rc_fail(p, src->line,
			       "out of memory; expected a smaller "
			       "file");
	for (int i = 0; i < n; i++) {
		const char *dot = strchr(items[i], '.');

		if (!dot || dot == items[i] || !dot[1]) {
			rc_fail(p, rc_conf_line(src, "tables"),
				"table '%s' in "
				"%s has no schema; expected SCHEMA.TABLE such "
				"as public.customers",
				items[i], label);
			goto out;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(items[i], items[j]) == 0) {
				rc_fail(p, rc_conf_line(src, "tables"),
					"table "
					"'%s' is listed twice in %s; expected "
					"each table once",
					items[i], label);
				goto out;
			}
	}
	rc_conf_list_free(items);
	items = NULL;

	n = rc_conf_list(src, "sinks", &items);
	if (n < 0) {
		rc_fail(p, src->line, "out of memory; expected a smaller file");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (rc_find_section(cfg, RC_SCOPE_SINK, items[i]))
			continue;
		rc_buf_init(&names, RC_ERRLEN);
		rc_section_names(&names, cfg, RC_SCOPE_SINK);
		rc_fail(p, rc_conf_line(src, "sinks"),
			"%s sends to sink '%s', "
			"but there is no [sink %s]; expected one of: %s",
			label, items[i], items[i],
			names.data ? names.data : "(none)");
		rc_buf_free(&names);
		goto out;
	}
	rc = 0;
out:
	rc_conf_list_free(items);
	return rc;
}

/*
 * Check a [table] section against the sources: its `source`, when set, is
 * a source that lists the table; otherwise some source lists it (a table
 * section for a table nobody captures is a typo).
 */
static int
rc_check_table_links(struct rc_parse *p, const struct rc_conf_section *tsec)
{
	const struct rc_config *cfg = p->cfg;
	const char *srcname = rc_conf_str(tsec, "source");
	char label[RC_MAX_NAME + 16];
	struct rc_buf names;
	int r;

	rc_label(tsec, label, sizeof(label));
	if (srcname) {
		const struct rc_conf_section *src =
			rc_find_section(cfg, RC_SCOPE_SOURCE, srcname);

		if (!src) {
			rc_buf_init(&names, RC_ERRLEN);
			rc_section_names(&names, cfg, RC_SCOPE_SOURCE);
			rc_fail(p, rc_conf_line(tsec, "source"),
				"%s applies to "
				"source '%s', but there is no [source %s]; "
				"expected one of: %s",
				label, srcname, srcname,
				names.data ? names.data : "(none)");
			rc_buf_free(&names);
			return -1;
		}
		r = rc_source_lists(src, tsec->name);
		if (r < 0)
			return rc_fail(p, tsec->line,
				       "out of memory; expected "
				       "a smaller file");
		if (!r)
			return rc_fail(p, rc_conf_line(tsec, "source"),
				       "%s "
				       "applies to [source %s], which does not "
				       "capture it; expected %s in that "
				       "source's tables",
				       label, srcname, tsec->name);
		return 0;
	}
	for (int i = 0; i < cfg->nsections; i++) {
		if (cfg->sections[i].scope != RC_SCOPE_SOURCE)
			continue;
		r = rc_source_lists(&cfg->sections[i], tsec->name);
		if (r < 0)
			return rc_fail(p, tsec->line,
				       "out of memory; expected "
				       "a smaller file");
		if (r)
			return 0;
	}
	rc_buf_init(&names, RC_ERRLEN);
	for (int i = 0; i < cfg->nsections; i++)
		if (cfg->sections[i].scope == RC_SCOPE_SOURCE)
			rc_buf_printf(&names, "%s%s", names.len ? ", " : "",
				      rc_conf_str(&cfg->sections[i], "tables"));
	rc_fail(p, tsec->line,
		"%s is a table no source captures; expected "
		"one of the tables listed: %s",
		label, names.data ? names.data : "(none)");
	rc_buf_free(&names);
	return -1;
}

/* [rowcast] metrics_listen is HOST:PORT (or empty). */
static int
rc_check_metrics_listen(struct rc_parse *p, const struct rc_conf_section *g)
{
	const char *v = rc_conf_str(g, "metrics_listen");
	char host[256], msg[RC_ERRLEN];
	uint16_t port;

	if (!v || !v[0])
		return 0;
	if (rc_metrics_parse_listen(v, host, sizeof(host), &port, msg,
				    sizeof(msg)) < 0)
		return rc_fail(p, rc_conf_line(g, "metrics_listen"),
			       "bad value '%s' for metrics_listen; %s", v, msg);
	return 0;
}

/* The whole second pass, in file order, then the links between sections. */
static int
rc_check_config(struct rc_parse *p)
{
	struct rc_config *cfg = p->cfg;
	int nsrc = 0, nsnk = 0;

	if (rc_check_tables(p) < 0 || rc_check_section(p, &cfg->global) < 0 ||
	    rc_check_metrics_listen(p, &cfg->global) < 0)
		return -1;
	for (int i = 0; i < cfg->nsections; i++) {
		if (rc_check_section(p, &cfg->sections[i]) < 0)
			return -1;
		nsrc += cfg->sections[i].scope == RC_SCOPE_SOURCE;
		nsnk += cfg->sections[i].scope == RC_SCOPE_SINK;
	}
	if (!nsrc)
		return rc_fail(p, 0,
			       "no [source NAME] section; expected at least "
			       "one [source NAME]");
	if (!nsnk)
		return rc_fail(p, 0,
			       "no [sink NAME] section; expected at least "
			       "one [sink NAME]");
	for (int i = 0; i < cfg->nsections; i++) {
		const struct rc_conf_section *sec = &cfg->sections[i];

		if (sec->scope == RC_SCOPE_SOURCE &&
		    rc_check_source_links(p, sec) < 0)
			return -1;
		if (sec->scope == RC_SCOPE_TABLE &&
		    rc_check_table_links(p, sec) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * Loading
 * --------------------------------------------------------------------- */

/*
 * Parse and check from fp or str (one of them), naming the input name in
 * messages; dir is where relative secret files are (NULL: the current
 * directory). Returns the config, or NULL with err set.
 *
 * @locality start-up only: it sets libinih's process-wide line length
 *           (ini_max_line, Debian's build) for the time of the parse.
 */
static struct rc_config *
rc_config_parse(const char *name, FILE *fp, const char *str, const char *dir,
		char *err, size_t errlen)
{
	struct rc_parse p;
	struct rc_config *cfg;
	int saved_max, ret;

	if (err && errlen)
		err[0] = 0;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.name = name;
	p.dir = dir;
	p.fp = fp;
	p.str = str;
	p.cur = RC_CUR_NONE;
	p.err = err;
	p.errlen = errlen;

	cfg->global.scope = RC_SCOPE_GLOBAL;
	cfg->path = strdup(name);
	cfg->global.name = strdup("");
	if (!cfg->path || !cfg->global.name) {
		rc_fail(&p, 0, "out of memory");
		goto fail;
	}

	/* libinih's line buffer is ini_max_line bytes: room for our longest
	 * line, its "\n" and the NUL */
	saved_max = ini_max_line;
	ini_max_line = RC_MAX_CONFIG_LINE + 3;
	ret = ini_parse_stream(rc_ini_reader, &p, rc_ini_handler, &p);
	ini_max_line = saved_max;

	if (fp && ferror(fp))
		rc_set_err(&p, 0, "cannot read: %s; expected a readable file",
			   strerror(errno));
	else if (ret > 0 && (!p.failed || (p.errline > 0 && ret < p.errline)))
		rc_set_err(&p, ret,
			   "cannot parse this line; expected "
			   "KEY = VALUE, a [section] header or a ; comment");
	else if (ret < 0)
		rc_fail(&p, 0,
			"libinih failed (%d); expected to parse the file", ret);
	if (p.failed || rc_check_config(&p) < 0)
		goto fail;
	return cfg;

fail:
	rc_config_free(cfg);
	return NULL;
}

/*
 * Load and check the file at path. Relative <key>_file paths are taken
 * from the file's directory. The caller frees the result with
 * rc_config_free().
 */
struct rc_config *
rc_config_load(const char *path, char *err, size_t errlen)
{
	struct rc_config *cfg = NULL;
	const char *slash;
	char *dir = NULL;
	FILE *fp;

	if (!path) {
		if (err && errlen)
			snprintf(err, errlen, "no configuration file given");
		return NULL;
	}
	fp = fopen(path, "r");
	if (!fp) {
		if (err && errlen)
			snprintf(err, errlen,
				 "%s: cannot open: %s; expected a "
				 "readable configuration file",
				 path, strerror(errno));
		return NULL;
	}
	slash = strrchr(path, '/');
	if (slash) {
		size_t n = slash == path ? 1 : (size_t)(slash - path);

		dir = strndup(path, n);
		if (!dir) {
			if (err && errlen)
				snprintf(err, errlen, "%s: out of memory",
					 path);
			goto out;
		}
	}
	cfg = rc_config_parse(path, fp, NULL, dir, err, errlen);
out:
	free(dir);
	fclose(fp);
	return cfg;
}

/* Same from a string; relative <key>_file paths are from the current
 * directory. */
struct rc_config *
rc_config_load_string(const char *text, const char *name, char *err,
		      size_t errlen)
{
	if (!text) {
		if (err && errlen)
			snprintf(err, errlen, "no configuration text given");
		return NULL;
	}
	return rc_config_parse(name ? name : "(string)", NULL, text, NULL, err,
			       errlen);
}

static void
rc_section_free(struct rc_conf_section *sec)
{
	for (int i = 0; i < sec->nentries; i++) {
		free(sec->entries[i].name);
		rc_str_wipe_free(sec->entries[i].value);
	}
	free(sec->entries);
	free(sec->name);
	free(sec->type);
}

/* Free cfg and everything in it; secret values are wiped first. NULL is
 * fine. */
void
rc_config_free(struct rc_config *cfg)
{
	if (!cfg)
		return;
	for (int i = 0; i < cfg->nsections; i++)
		rc_section_free(&cfg->sections[i]);
	free(cfg->sections);
	rc_section_free(&cfg->global);
	free(cfg->path);
	free(cfg);
}

/* ---------------------------------------------------------------------
 * Getters
 * --------------------------------------------------------------------- */

const struct rc_conf_section *
rc_config_section(const struct rc_config *cfg, enum rc_conf_scope scope, int i)
{
	if (!cfg || i < 0)
		return NULL;
	if (scope == RC_SCOPE_GLOBAL)
		return i == 0 ? &cfg->global : NULL;
	for (int j = 0; j < cfg->nsections; j++)
		if (cfg->sections[j].scope == scope && i-- == 0)
			return &cfg->sections[j];
	return NULL;
}

const struct rc_conf_section *
rc_config_table(const struct rc_config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	return rc_find_section(cfg, RC_SCOPE_TABLE, name);
}

/*
 * The text of key in sec: the value set, else the default, else NULL in
 * *text. Returns the declaration, or NULL (logged) when the key is not
 * declared for sec or is not of type want (-1: any type).
 */
static const struct rc_conf_key *
rc_get(const struct rc_conf_section *sec, const char *key, int want,
       const char *fn, const char **text)
{
	const struct rc_conf_entry *e;
	const struct rc_conf_key *k;
	char label[RC_MAX_NAME + 16];

	*text = NULL;
	if (!sec || !key) {
		rc_error(RC_LOG_COMP, "%s: no section or no key", fn);
		return NULL;
	}
	k = rc_sec_decl(sec, key);
	if (!k) {
		rc_error(RC_LOG_COMP, "%s: key '%s' is not declared for %s", fn,
			 key, rc_label(sec, label, sizeof(label)));
		return NULL;
	}
	if (want >= 0 && k->type != (enum rc_conf_type)want) {
		rc_error(RC_LOG_COMP, "%s: key '%s' of %s has another type", fn,
			 key, rc_label(sec, label, sizeof(label)));
		return NULL;
	}
	e = rc_sec_entry(sec, key);
	*text = e ? e->value : k->def;
	return k;
}

const char *
rc_conf_str(const struct rc_conf_section *sec, const char *key)
{
	const char *text;

	rc_get(sec, key, -1, "rc_conf_str", &text);
	return text;
}

int64_t
rc_conf_int(const struct rc_conf_section *sec, const char *key)
{
	const char *text;
	int64_t v;

	if (!rc_get(sec, key, RC_CONF_INT, "rc_conf_int", &text) || !text ||
	    rc_parse_int(text, &v) < 0)
		return 0;
	return v;
}

int
rc_conf_bool(const struct rc_conf_section *sec, const char *key)
{
	const char *text;
	int v;

	if (!rc_get(sec, key, RC_CONF_BOOL, "rc_conf_bool", &text) || !text ||
	    rc_parse_bool(text, &v) < 0)
		return 0;
	return v;
}

uint64_t
rc_conf_size(const struct rc_conf_section *sec, const char *key)
{
	const char *text;
	int64_t v;

	if (!rc_get(sec, key, RC_CONF_SIZE, "rc_conf_size", &text) || !text ||
	    rc_parse_size(text, &v) < 0)
		return 0;
	return (uint64_t)v;
}

int64_t
rc_conf_ms(const struct rc_conf_section *sec, const char *key)
{
	const char *text;
	int64_t v;

	if (!rc_get(sec, key, RC_CONF_DURATION, "rc_conf_ms", &text) || !text ||
	    rc_parse_duration(text, &v) < 0)
		return 0;
	return v;
}

/*
 * Split a LIST value into trimmed items: *items becomes a NULL-terminated
 * array the caller frees with rc_conf_list_free(), also when the count is
 * 0. Returns the count, or -1 (and *items NULL) on out of memory.
 */
int
rc_conf_list(const struct rc_conf_section *sec, const char *key, char ***items)
{
	const char *text, *p;
	char **v;
	int n = 0, cap = 1;

	if (!items)
		return -1;
	*items = NULL;
	if (!rc_get(sec, key, RC_CONF_LIST, "rc_conf_list", &text))
		text = NULL;
	for (p = text; p && *p; p++)
		cap += *p == ',';
	v = calloc((size_t)cap + 1, sizeof(*v));
	if (!v)
		return -1;
	for (p = text; p && *p;) {
		size_t len = strcspn(p, ",");
		size_t a = 0, z = len;

		while (a < z && isspace((unsigned char)p[a]))
			a++;
		while (z > a && isspace((unsigned char)p[z - 1]))
			z--;
		if (z > a) {
			v[n] = strndup(p + a, z - a);
			if (!v[n]) {
				rc_conf_list_free(v);
				return -1;
			}
			n++;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*items = v;
	return n;
}

void
rc_conf_list_free(char **items)
{
	if (!items)
		return;
	for (char **p = items; *p; p++)
		free(*p);
	free(items);
}

int
rc_conf_line(const struct rc_conf_section *sec, const char *key)
{
	const struct rc_conf_entry *e;

	if (!sec || !key)
		return 0;
	e = rc_sec_entry(sec, key);
	return e ? e->line : sec->line;
}

int
rc_conf_is_set(const struct rc_conf_section *sec, const char *key)
{
	return sec && key && rc_sec_entry(sec, key) != NULL;
}

/* ---------------------------------------------------------------------
 * Help
 * --------------------------------------------------------------------- */

#define RC_HELP_WIDTH  79
#define RC_HELP_INDENT 24

/* Print text word by word, the cursor being at column col, wrapping at
 * RC_HELP_WIDTH to column indent; ends the line. */
static void
rc_help_wrap(FILE *out, int col, int indent, const char *text)
{
	const char *w = text;

	for (; col < indent; col++)
		fputc(' ', out);
	while (*w) {
		int len;

		while (*w == ' ')
			w++;
		if (!*w)
			break;
		len = (int)strcspn(w, " ");
		if (col > indent && col + 1 + len > RC_HELP_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(w, 1, (size_t)len, out);
		col += len;
		w += len;
	}
	fputc('\n', out);
}

/* One key: name, then type, default, bounds, flags, then its help. */
static void
rc_help_key(FILE *out, const struct rc_conf_key *k)
{
	char attrs[RC_ERRLEN], choices[RC_ERRLEN], lo[64], hi[64];
	size_t n = 0;
	int col;

#define RC_ATTR(...)                                                           \
	do {                                                                   \
		int r_ = snprintf(attrs + n, sizeof(attrs) - n, __VA_ARGS__);  \
		if (r_ > 0)                                                    \
			n += (size_t)r_ < sizeof(attrs) - n                    \
				     ? (size_t)r_                              \
				     : sizeof(attrs) - n - 1;                  \
	} while (0)

	switch (k->type) {
	case RC_CONF_STRING:
		RC_ATTR("string");
		break;
	case RC_CONF_INT:
		RC_ATTR("integer");
		break;
	case RC_CONF_BOOL:
		RC_ATTR("boolean");
		break;
	case RC_CONF_SIZE:
		RC_ATTR("size");
		break;
	case RC_CONF_DURATION:
		RC_ATTR("duration");
		break;
	case RC_CONF_ENUM:
		rc_key_choices(k, choices, sizeof(choices));
		RC_ATTR("one of %s",
			choices[0] ? choices : "(none compiled in)");
		break;
	case RC_CONF_LIST:
		RC_ATTR("list");
		break;
	}
	if (k->def)
		RC_ATTR(", default %s", k->def);
	if ((k->type == RC_CONF_INT || k->type == RC_CONF_SIZE ||
	     k->type == RC_CONF_DURATION) &&
	    (k->min || k->max)) {
		rc_amount_text(k->type, k->min, lo, sizeof(lo));
		rc_amount_text(k->type, k->max, hi, sizeof(hi));
		if (k->max)
			RC_ATTR(", %s to %s", lo, hi);
		else
			RC_ATTR(", at least %s", lo);
	}
	if (k->flags & RC_CONF_REQUIRED)
		RC_ATTR(" (required)");
	if (k->flags & RC_CONF_SECRET)
		RC_ATTR(" (secret: also %s_file, %s_env)", k->name, k->name);
#undef RC_ATTR

	col = fprintf(out, "  %s", k->name);
	if (col >= RC_HELP_INDENT) {
		fputc('\n', out);
		col = 0;
	}
	rc_help_wrap(out, col, RC_HELP_INDENT, attrs);
	if (k->help)
		rc_help_wrap(out, 0, RC_HELP_INDENT, k->help);
}

/* A heading, an optional description, then the keys of tab. */
static void
rc_help_group(FILE *out, const char *heading, const char *desc,
	      const struct rc_conf_key *tab)
{
	fprintf(out, "\n%s\n", heading);
	if (desc)
		rc_help_wrap(out, 0, 2, desc);
	if (!tab || !tab->name)
		fprintf(out, "  (no keys of its own)\n");
	for (; tab && tab->name; tab++)
		rc_help_key(out, tab);
}

/*
 * Print every key of every table, core and plugins, for `rowcast --help`:
 * grouped by section, each key with its type, default, bounds, flags and
 * help, in 80 columns.
 */
void
rc_config_print_help(FILE *out)
{
	char heading[RC_MAX_NAME + 32];

	if (!out)
		return;
	rc_help_wrap(
		out, 0, 0,
		"Configuration file (INI): one [rowcast] section, at least "
		"one [source NAME] and one [sink NAME], and a [table "
		"SCHEMA.TABLE] section for each table that needs settings "
		"of its own. Sizes take k, M or G (1024 multiples); "
		"durations take ms, s, m or h (a bare number is "
		"milliseconds); lists are comma-separated. A secret key "
		"can be given as KEY_file (a file holding it, relative to "
		"the configuration file) or KEY_env (an environment "
		"variable).");
	rc_help_group(out, "[rowcast]", NULL, rc_global_keys);
	rc_help_group(out, "[source NAME]",
		      "keys of every source:", rc_source_keys);
	for (int i = 0; rc_source_plugins[i]; i++) {
		snprintf(heading, sizeof(heading), "[source NAME] type = %s",
			 rc_source_plugins[i]->name);
		rc_help_group(out, heading, rc_source_plugins[i]->description,
			      rc_source_plugins[i]->conf_keys);
	}
	rc_help_group(out, "[sink NAME]", "keys of every sink:", rc_sink_keys);
	for (int i = 0; rc_sink_plugins[i]; i++) {
		snprintf(heading, sizeof(heading), "[sink NAME] type = %s",
			 rc_sink_plugins[i]->name);
		rc_help_group(out, heading, rc_sink_plugins[i]->description,
			      rc_sink_plugins[i]->conf_keys);
	}
	rc_help_group(out, "[table SCHEMA.TABLE]", NULL, rc_table_keys);
}

/* ---------------------------------------------------------------------
 * The man page rowcast.conf(5)
 * --------------------------------------------------------------------- */

/*
 * The example of rowcast.conf(5). A unit test loads it, so it stays valid
 * as the key tables change.
 */
const char rc_config_example[] =
	"[rowcast]\n"
	"state_dir = /var/lib/rowcast\n"
	"\n"
	"[source shop]\n"
	"type     = postgresql\n"
	"conninfo = host=db1.example.com dbname=shop user=rowcast\n"
	"password_file = shop.password\n"
	"tables   = public.customers, public.orders\n"
	"\n"
	"[sink main]\n"
	"type    = kafka\n"
	"brokers = kafka1.example.com:9092,kafka2.example.com:9092\n"
	"schema_registry = http://registry.example.com:8081\n"
	"kafka.compression.type = zstd\n"
	"\n"
	"[sink archive]\n"
	"type = file\n"
	"path = /var/lib/rowcast/out\n"
	"\n"
	"[table public.customers]\n"
	"exclude = ssn\n";

/* A key's value placeholder: "string", or the choices of an ENUM in bold. */
static void
rc_man_value(FILE *out, const struct rc_conf_key *k)
{
	char choices[RC_ERRLEN];
	const char *c;

	switch (k->type) {
	case RC_CONF_STRING:
		fputs("\\fIstring\\fR", out);
		return;
	case RC_CONF_INT:
		fputs("\\fIinteger\\fR", out);
		return;
	case RC_CONF_BOOL:
		fputs("\\fBtrue\\fR|\\fBfalse\\fR", out);
		return;
	case RC_CONF_SIZE:
		fputs("\\fIsize\\fR", out);
		return;
	case RC_CONF_DURATION:
		fputs("\\fIduration\\fR", out);
		return;
	case RC_CONF_LIST:
		fputs("\\fIlist\\fR", out);
		return;
	case RC_CONF_ENUM:
		break;
	}
	rc_key_choices(k, choices, sizeof(choices));
	if (!choices[0]) {
		fputs("\\fI(none compiled in)\\fR", out);
		return;
	}
	for (c = choices; *c;) {
		size_t len = strcspn(c, "|");
		char one[RC_MAX_NAME];

		snprintf(one, sizeof(one), "%.*s", (int)len, c);
		fputs(c == choices ? "\\fB" : "\\fR|\\fB", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, one);
		c += len + (c[len] == '|');
	}
	fputs("\\fR", out);
}

/*
 * One key as a tagged paragraph: "name = value", its help line, then what
 * the table declares about it (default, bounds, required, secret forms,
 * prefix).
 */
static void
rc_man_key(FILE *out, const struct rc_conf_key *k)
{
	char lo[64], hi[64];

	fputs(".TP\n\\fB", out);
	rc_roff_inline(out, RC_ROFF_LITERAL, k->name);
	if (k->flags & RC_CONF_PREFIX)
		fputs("\\fI<property>", out);
	fputs("\\fR = ", out);
	rc_man_value(out, k);
	fputc('\n', out);
	if (k->help)
		rc_roff_lines(out, RC_ROFF_PROSE, k->help);
	if (k->flags & RC_CONF_REQUIRED)
		fputs(".br\nRequired.\n", out);
	if (k->def) {
		fputs(".br\nDefault: \\fB", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, k->def);
		fputs("\\fR.\n", out);
	}
	if ((k->type == RC_CONF_INT || k->type == RC_CONF_SIZE ||
	     k->type == RC_CONF_DURATION) &&
	    (k->min || k->max)) {
		rc_amount_text(k->type, k->min, lo, sizeof(lo));
		rc_amount_text(k->type, k->max, hi, sizeof(hi));
		if (k->max)
			fprintf(out, ".br\nFrom \\fB%s\\fR to \\fB%s\\fR.\n",
				lo, hi);
		else
			fprintf(out, ".br\nAt least \\fB%s\\fR.\n", lo);
	}
	if (k->flags & RC_CONF_SECRET) {
		fputs(".br\nSecret: may instead be given as \\fB", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, k->name);
		fputs("_file\\fR = \\fIPATH\\fR or \\fB", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, k->name);
		fputs("_env\\fR = \\fIVARIABLE\\fR (see \\fBSECRETS\\fR); "
		      "its value never appears in a message.\n",
		      out);
	}
	if (k->flags & RC_CONF_PREFIX) {
		fputs(".br\nA prefix: every key whose name begins with \\fB",
		      out);
		rc_roff_inline(out, RC_ROFF_LITERAL, k->name);
		fputs("\\fR is accepted, each at most once, and the rest of "
		      "its name is the property it sets.\n",
		      out);
	}
}

/* A subsection: heading, optional description, then the keys of tab. */
static void
rc_man_group(FILE *out, const char *heading, const char *desc,
	     const struct rc_conf_key *tab)
{
	fputs(".SS \"", out);
	rc_roff_inline(out, RC_ROFF_LITERAL, heading);
	fputs("\"\n", out);
	if (desc)
		rc_roff_lines(out, RC_ROFF_PROSE, desc);
	if (!tab || !tab->name)
		fputs(desc ? ".PP\nNo keys of its own.\n"
			   : "No keys of its own.\n",
		      out);
	for (; tab && tab->name; tab++)
		rc_man_key(out, tab);
}

static const char rc_man5_description[] =
	".SH DESCRIPTION\n"
	"rowcast reads one configuration file, given with \\fB\\-c\\fR "
	"(the systemd unit uses \\fI/etc/rowcast/rowcast.conf\\fR). It is an "
	"INI file: \\fB[\\fR\\fIsection\\fR\\fB]\\fR headers, each followed by "
	"\\fIkey\\fR \\fB=\\fR \\fIvalue\\fR lines. A line that starts with "
	"\\fB;\\fR or \\fB#\\fR is a comment, and so is the rest of a line "
	"from a \\fB;\\fR that follows a blank (so a value cannot hold "
	"\\(lq\\ ;\\(rq).\n"
	".PP\n"
	"The file has one \\fB[rowcast]\\fR section (optional: every key has a "
	"default), at least one \\fB[source\\fR \\fINAME\\fR\\fB]\\fR that "
	"names a database to capture, at least one \\fB[sink\\fR "
	"\\fINAME\\fR\\fB]\\fR that receives the events, and a "
	"\\fB[table\\fR \\fISCHEMA.TABLE\\fR\\fB]\\fR section for each "
	"captured table that needs settings of its own. A table is captured "
	"only by being listed in a source's \\fBtables\\fR. A source sends its "
	"events to the sinks its \\fBsinks\\fR key names, or to every sink; "
	"an event that goes to several sinks counts as durable only once "
	"each of them has made it durable.\n"
	".PP\n"
	"Every key is checked when rowcast starts (and by \\fBrowcast "
	"\\-n\\fR): an unknown key, a key given twice, a missing required "
	"key or a bad value stops rowcast with exit status 2 and a message "
	"of the form \\fIFILE\\fB:\\fILINE\\fB:\\fR \\fIwhat is wrong\\fR; "
	"\\fBexpected\\fR \\fIwhat\\fR.\n"
	".SS Values\n"
	".TP\n"
	".I size\n"
	"A number of bytes, optionally followed by \\fBk\\fR, \\fBM\\fR or "
	"\\fBG\\fR (multiples of 1024, any case, optionally followed by "
	"\\fBB\\fR or \\fBiB\\fR): \\fB1048576\\fR, \\fB512k\\fR, "
	"\\fB16M\\fR.\n"
	".TP\n"
	".I duration\n"
	"A number followed by \\fBms\\fR, \\fBs\\fR, \\fBm\\fR or \\fBh\\fR; "
	"a bare number is milliseconds: \\fB500ms\\fR, \\fB10s\\fR, "
	"\\fB5m\\fR, \\fB1h\\fR.\n"
	".TP\n"
	".I list\n"
	"Names separated by commas, blanks around them ignored: "
	"\\fBpublic.customers, public.orders\\fR.\n"
	".TP\n"
	".BR true | false\n"
	"Also \\fByes\\fR/\\fBno\\fR, \\fBon\\fR/\\fBoff\\fR, "
	"\\fB1\\fR/\\fB0\\fR, in any case.\n"
	".SH SECRETS\n"
	"A key marked \\fISecret\\fR below may be given in one of three "
	"forms, only one at a time:\n"
	".TP\n"
	"\\fIKEY\\fR = \\fIvalue\\fR\n"
	"in the file itself (which then needs mode 0640 or stricter);\n"
	".TP\n"
	"\\fIKEY\\fB_file\\fR = \\fIPATH\\fR\n"
	"the content of the file at \\fIPATH\\fR, trailing newline removed; "
	"a relative \\fIPATH\\fR is taken from the configuration file's "
	"directory;\n"
	".TP\n"
	"\\fIKEY\\fB_env\\fR = \\fIVARIABLE\\fR\n"
	"the value of the environment variable \\fIVARIABLE\\fR.\n"
	".PP\n"
	"Secrets are read once at start-up; their values never appear in "
	"messages.\n";

/*
 * rowcast.conf(5) into out, long lines and all: the file format, the value
 * types, the secret forms, then every section and every key of every
 * table, core and compiled-in plugins, from the same tables that loading
 * checks, and an example.
 */
static void
rc_man_conf_page(FILE *out)
{
	char heading[RC_MAX_NAME + 32];

	rc_roff_th(out, "rowcast.conf", 5, "File Formats");
	fputs(".SH NAME\n"
	      "rowcast.conf \\- configuration file of the rowcast "
	      "change-data-capture agent\n"
	      ".SH SYNOPSIS\n"
	      ".I /etc/rowcast/rowcast.conf\n",
	      out);
	fputs(rc_man5_description, out);

	fputs(".SH SECTIONS AND KEYS\n"
	      "The sections and keys of this build of rowcast, with the "
	      "sources and sinks compiled into it.\n",
	      out);
	rc_man_group(out, "[rowcast]", "Settings of the agent as a whole.",
		     rc_global_keys);
	rc_man_group(out, "[source NAME]",
		     "Keys of every source, whatever its type. NAME is the "
		     "source's name: it names its checkpoint file, its "
		     "default topic prefix, and on PostgreSQL its "
		     "publication and replication slot.",
		     rc_source_keys);
	for (int i = 0; rc_source_plugins[i]; i++) {
		snprintf(heading, sizeof(heading), "[source NAME] type = %s",
			 rc_source_plugins[i]->name);
		rc_man_group(out, heading, rc_source_plugins[i]->description,
			     rc_source_plugins[i]->conf_keys);
	}
	rc_man_group(out, "[sink NAME]",
		     "Keys of every sink, whatever its type.", rc_sink_keys);
	for (int i = 0; rc_sink_plugins[i]; i++) {
		snprintf(heading, sizeof(heading), "[sink NAME] type = %s",
			 rc_sink_plugins[i]->name);
		rc_man_group(out, heading, rc_sink_plugins[i]->description,
			     rc_sink_plugins[i]->conf_keys);
	}
	rc_man_group(out, "[table SCHEMA.TABLE]",
		     "Settings of one captured table (a MySQL table is "
		     "DATABASE.TABLE).",
		     rc_table_keys);

	fputs(".SH EXAMPLE\n"
	      "Capture two tables of a PostgreSQL database into Kafka, with a "
	      "schema registry, and into Avro files, leaving a column out:\n"
	      ".PP\n"
	      ".RS 4\n"
	      ".nf\n",
	      out);
	rc_roff_lines(out, RC_ROFF_LITERAL, rc_config_example);
	fputs(".fi\n"
	      ".RE\n"
	      ".PP\n"
	      "The Debian package installs a commented example as "
	      "\\fI/etc/rowcast/rowcast.conf\\fR and keeps a copy in "
	      "\\fI/usr/share/doc/rowcast/examples/rowcast.conf.example\\fR.\n"
	      ".SH FILES\n"
	      ".TP\n"
	      ".I /etc/rowcast/rowcast.conf\n"
	      "The configuration file of the systemd unit.\n"
	      ".TP\n"
	      ".I /var/lib/rowcast\n"
	      "The default \\fBstate_dir\\fR.\n"
	      ".SH SEE ALSO\n"
	      ".BR rowcast (8)\n",
	      out);
}

/* Write rowcast.conf(5); 0, or -1 when out of memory (nothing written). */
int
rc_config_print_man(FILE *out)
{
	char *page = NULL;
	size_t len = 0;
	FILE *mem;
	int rc = -1;

	if (!out)
		return -1;
	mem = open_memstream(&page, &len);
	if (!mem)
		return -1;
	rc_man_conf_page(mem);
	if (fclose(mem) == 0) {
		rc_roff_raw(out, page);
		rc = 0;
	}
	free(page);
	return rc;
}
