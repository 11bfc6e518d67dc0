/*
 * snapshot.c -- snapshot state, chunks and progress (see snapshot.h).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fsutil.h"
#include "log.h"
#include "metrics.h"
#include "snapshot.h"
#include "tablecfg.h"

#define SNAP_COMP "snapshot"
/* A live progress line at most this often. */
#define LINE_MS 250

int
rc_snap_mode_parse(const char *s)
{
	if (!s || !strcmp(s, "initial"))
		return RC_SNAP_INITIAL;
	if (!strcmp(s, "never"))
		return RC_SNAP_NEVER;
	if (!strcmp(s, "when_needed"))
		return RC_SNAP_WHEN_NEEDED;
	return -1;
}

static const char *const state_names[] = {"done", "pending", "running"};

/* ------------------------------------------------------------------ */
/* Encoding                                                           */
/* ------------------------------------------------------------------ */

static int
plain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' ||
	       c == ':' || c == '/' || c == '@';
}

int
rc_snap_encode(struct rc_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (plain_char(*p)) {
			if (rc_buf_putc(out, (char)*p) < 0)
				return -1;
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			if (rc_buf_append(out, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
rc_snap_decode(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
			if (h < 0 || l < 0)
				return -1;
			*w++ = (char)(h << 4 | l);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* State                                                              */
/* ------------------------------------------------------------------ */

static void
free_cursor(struct rc_snap_table *t)
{
	for (int i = 0; i < t->ncursor; i++)
		free(t->cursor[i]);
	free(t->cursor);
	t->cursor = NULL;
	t->ncursor = 0;
}

static int
set_cursor(struct rc_snap_table *t, char *const *key, int n)
{
	char **c = NULL;

	if (n > 0) {
		if (!(c = calloc((size_t)n, sizeof(*c))))
			return -1;
		for (int i = 0; i < n; i++)
			if (!(c[i] = strdup(key[i]))) {
				for (int j = 0; j < i; j++)
					free(c[j]);
				free(c);
				return -1;
			}
	}
	free_cursor(t);
	t->cursor = c;
	t->ncursor = n;
	return 0;
}

struct rc_snap *
rc_snap_new(const char *source, const struct rc_conf_section *sec)
{
	struct rc_snap *s = calloc(1, sizeof(*s));

	if (!s || !(s->source = strdup(source))) {
		free(s);
		return NULL;
	}
	s->mode = RC_SNAP_INITIAL;
	s->chunk_rows = 10000;
	s->progress_ms = 10000;
	if (sec) {
		int m = rc_snap_mode_parse(rc_conf_str(sec, "snapshot"));
		s->mode = m < 0 ? RC_SNAP_INITIAL : (enum rc_snap_mode)m;
		if (rc_conf_str(sec, "snapshot_chunk_size"))
			s->chunk_rows = rc_conf_int(sec, "snapshot_chunk_size");
		if (rc_conf_str(sec, "snapshot_max_rows_per_sec"))
			s->max_rows_per_sec =
				rc_conf_int(sec, "snapshot_max_rows_per_sec");
		if (rc_conf_str(sec, "snapshot_progress_interval"))
			s->progress_ms =
				rc_conf_ms(sec, "snapshot_progress_interval");
	}
	if (s->chunk_rows < 1)
		s->chunk_rows = 1;
	s->tty = isatty(STDERR_FILENO);
	s->dirty = 1;
	return s;
}

void
rc_snap_free(struct rc_snap *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		free(s->t[i].schema);
		free(s->t[i].name);
		free_cursor(&s->t[i]);
	}
	free(s->t);
	free(s->source);
	free(s);
}

struct rc_snap_table *
rc_snap_find(struct rc_snap *s, const char *schema, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->t[i].schema, schema) &&
		    !strcmp(s->t[i].name, name))
			return &s->t[i];
	return NULL;
}

static void
publish(struct rc_snap *s, struct rc_snap_table *t)
{
	if (!s->ms)
		return;
	if (!t->mt)
		t->mt = rc_metrics_table(s->ms, t->schema, t->name);
	if (!t->mt)
		return;
	atomic_store(&t->mt->snap_state, (int)t->state + 1);
	atomic_store(&t->mt->snap_rows, t->rows);
	atomic_store(&t->mt->snap_estimate, t->estimate);
}

static struct rc_snap_table *
add_entry(struct rc_snap *s, const char *schema, const char *name,
	  enum rc_snap_state st)
{
	struct rc_snap_table *g = realloc(s->t,
					  sizeof(*g) * (size_t)(s->n + 1)),
			     *t;

	if (!g)
		return NULL;
	s->t = g;
	t = &s->t[s->n];
	memset(t, 0, sizeof(*t));
	t->estimate = -1;
	t->state = st;
	if (!(t->schema = strdup(schema)) || !(t->name = strdup(name))) {
		free(t->schema);
		free(t->name);
		return NULL;
	}
	s->n++;
	s->dirty = 1;
	publish(s, t);
	return t;
}

struct rc_snap_table *
rc_snap_add_table(struct rc_snap *s, const char *schema, const char *name)
{
	struct rc_snap_table *t = rc_snap_find(s, schema, name);

	if (t)
		return t;
	return add_entry(s, schema, name,
			 s->mode == RC_SNAP_NEVER ? RC_SNAP_DONE
						  : RC_SNAP_PENDING);
}

/* One "state name [rows [cursor]]" value. */
struct parsed_line {
	enum rc_snap_state st;
	char *schema, *name;
	uint64_t rows;
	char **key;
	int nkey;
};

static void
free_parsed(struct parsed_line *pl)
{
	for (int i = 0; i < pl->nkey; i++)
		free(pl->key[i]);
	free(pl->key);
	free(pl->schema);
	free(pl->name);
	memset(pl, 0, sizeof(*pl));
}

static int
parse_value(char *v, struct parsed_line *pl, char *err, size_t errlen)
{
	char *save = NULL, *state = strtok_r(v, " ", &save);
	char *tname = strtok_r(NULL, " ", &save);
	char *rows = strtok_r(NULL, " ", &save);
	char *cur = strtok_r(NULL, " ", &save);
	char *dot, *end;
	int st = -1;

	memset(pl, 0, sizeof(*pl));
	for (int i = 0; state && i < 3; i++)
		if (!strcmp(state, state_names[i]))
			st = i;
	if (st < 0 || !tname || !(dot = strchr(tname, '.')) ||
	    strtok_r(NULL, " ", &save)) {
		snprintf(err, errlen,
			 "bad snapshot line: expected 'done|pending|running "
			 "SCHEMA.TABLE [ROWS [KEY]]'");
		return -1;
	}
	*dot = '\0';
	pl->st = (enum rc_snap_state)st;
	if (!(pl->schema = strdup(tname)) || !(pl->name = strdup(dot + 1)))
		goto oom;
	if (rc_snap_decode(pl->schema) < 0 || rc_snap_decode(pl->name) < 0)
		goto bad;
	if (rows) {
		errno = 0;
		pl->rows = strtoull(rows, &end, 10);
		if (errno || *end || end == rows)
			goto bad;
	}
	if (cur) {
		int n = 1;
		char *p, *save2 = NULL;

		for (p = cur; *p; p++)
			n += *p == ',';
		if (!(pl->key = calloc((size_t)n, sizeof(char *))))
			goto oom;
		for (p = strtok_r(cur, ",", &save2); p;
		     p = strtok_r(NULL, ",", &save2)) {
			if (!(pl->key[pl->nkey] = strdup(p)))
				goto oom;
			if (rc_snap_decode(pl->key[pl->nkey++]) < 0)
				goto bad;
		}
	}
	if (pl->st == RC_SNAP_RUNNING && !pl->nkey)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "bad snapshot line: corrupt rows or key");
	free_parsed(pl);
	return -1;
oom:
	snprintf(err, errlen, "out of memory");
	free_parsed(pl);
	return -1;
}

int
rc_snap_plan(struct rc_snap *s, const char *text, int have_checkpoint,
	     const struct rc_tablecfg *tables, int ntables, char *err,
	     size_t errlen)
{
	struct parsed_line *lines = NULL;
	int nlines = 0, rc = -1;
	char *copy = NULL, *save = NULL;

	if (text && *text) {
		if (!(copy = strdup(text)))
			goto oom;
		for (char *ln = strtok_r(copy, "\n", &save); ln;
		     ln = strtok_r(NULL, "\n", &save)) {
			char *eq = strchr(ln, '='), *v;
			struct parsed_line *g;

			if (!eq)
				continue;
			v = eq + 1;
			while (*v == ' ')
				v++;
			g = realloc(lines, sizeof(*g) * (size_t)(nlines + 1));
			if (!g)
				goto oom;
			lines = g;
			if (parse_value(v, &lines[nlines], err, errlen) < 0)
				goto out;
			nlines++;
		}
	}
	for (int i = 0; i < ntables; i++) {
		const struct rc_tablecfg *tc = &tables[i];
		struct parsed_line *found = NULL;
		struct rc_snap_table *t;
		enum rc_snap_state st;

		for (int j = 0; j < nlines; j++)
			if (!strcmp(lines[j].schema, tc->schema) &&
			    !strcmp(lines[j].name, tc->name))
				found = &lines[j];
		if (found)
			st = found->st;
		else if (have_checkpoint && !nlines)
			st = RC_SNAP_DONE; /* from before snapshots */
		else
			st = s->mode == RC_SNAP_NEVER ? RC_SNAP_DONE
						      : RC_SNAP_PENDING;
		if (rc_snap_find(s, tc->schema, tc->name))
			continue;
		if (!(t = add_entry(s, tc->schema, tc->name, st)))
			goto oom;
		if (found) {
			t->rows = found->rows;
			if (found->nkey &&
			    set_cursor(t, found->key, found->nkey) < 0)
				goto oom;
			publish(s, t);
		}
	}
	s->dirty = 1;
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	for (int j = 0; j < nlines; j++)
		free_parsed(&lines[j]);
	free(lines);
	free(copy);
	return rc;
}

void
rc_snap_restart_all(struct rc_snap *s)
{
	for (int i = 0; i < s->n; i++) {
		free_cursor(&s->t[i]);
		s->t[i].state = RC_SNAP_PENDING;
		s->t[i].rows = 0;
		s->t[i].run_start_ms = 0;
		publish(s, &s->t[i]);
	}
	s->dirty = 1;
}

int
rc_snap_request(struct rc_snap *s, const char *schema, const char *name)
{
	struct rc_snap_table *t = rc_snap_find(s, schema, name);

	if (!t)
		return -1;
	free_cursor(t);
	t->state = RC_SNAP_PENDING;
	t->rows = 0;
	t->run_start_ms = 0;
	s->dirty = 1;
	publish(s, t);
	rc_info_c(SNAP_COMP, RC_LOG_TBL(s->source, schema, name),
		  "snapshot of %s.%s requested", schema, name);
	return 0;
}

static void
request_name(const char *source, char *buf, size_t len)
{
	snprintf(buf, len, "%s.snapshot-request", source);
}

int
rc_snap_poll_requests(struct rc_snap *s, const char *state_dir)
{
	char name[512], path[4096], line[1024];
	int n = 0;
	FILE *f;

	request_name(s->source, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* remove first: a request written meanwhile is a new file */
	if (unlink(path) < 0 && errno != ENOENT) {
		rc_warn_c(SNAP_COMP, RC_LOG_SRC(s->source),
			  "cannot remove %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char *e = line + strlen(line), *dot;

		while (e > line && (e[-1] == '\n' || e[-1] == ' '))
			*--e = '\0';
		/* schema.table: split at the first dot */
		if (!(dot = strchr(line, '.')))
			continue;
		*dot = '\0';
		if (rc_snap_request(s, line, dot + 1) == 0)
			n++;
		else
			rc_warn_c(SNAP_COMP, RC_LOG_SRC(s->source),
				  "snapshot request for %s.%s: not a table "
				  "of this source",
				  line, dot + 1);
	}
	fclose(f);
	return n;
}

int
rc_snap_write_request(const char *state_dir, const char *source,
		      char *const *tables, int n, char *err, size_t errlen)
{
	char name[512], path[4096], line[1024];
	struct rc_buf b;
	FILE *f;
	int rc;

	request_name(source, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	rc_buf_init(&b, 1 << 20);
	if ((f = fopen(path, "r"))) { /* not picked up yet: keep it */
		while (fgets(line, sizeof(line), f))
			rc_buf_puts(&b, line);
		fclose(f);
	}
	for (int i = 0; i < n; i++)
		if (rc_buf_printf(&b, "%s\n", tables[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			rc_buf_free(&b);
			return -1;
		}
	rc = rc_write_file_atomic(state_dir, name, b.data, b.len, err, errlen);
	rc_buf_free(&b);
	return rc;
}

struct rc_snap_table *
rc_snap_next(struct rc_snap *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->t[i].state == RC_SNAP_RUNNING)
			return &s->t[i];
	for (int i = 0; i < s->n; i++)
		if (s->t[i].state == RC_SNAP_PENDING)
			return &s->t[i];
	return NULL;
}

int
rc_snap_active(const struct rc_snap *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->t[i].state != RC_SNAP_DONE)
			return 1;
	return 0;
}

static void
fmt_duration(char *buf, size_t len, double sec)
{
	if (sec < 120)
		snprintf(buf, len, "%.0f s", sec);
	else if (sec < 7200)
		snprintf(buf, len, "%.0f min", sec / 60);
	else
		snprintf(buf, len, "%.1f h", sec / 3600);
}

int
rc_snap_advance(struct rc_snap *s, struct rc_snap_table *t, uint64_t rows,
		char *const *key, int nkey, int last)
{
	int64_t now = rc_mono_ms();

	if (t->state == RC_SNAP_PENDING) {
		t->state = RC_SNAP_RUNNING;
		t->rows = 0;
	}
	if (!t->run_start_ms) {
		t->run_start_ms = now;
		t->run_start_rows = t->rows;
	}
	t->rows += rows;
	if (nkey > 0 && set_cursor(t, key, nkey) < 0)
		return -1;
	s->dirty = 1;
	if (last) {
		double sec = (double)(now - t->run_start_ms) / 1000.0;
		uint64_t done = t->rows - t->run_start_rows;

		t->state = RC_SNAP_DONE;
		free_cursor(t);
		if (s->line_shown) {
			fputs("\r\033[K", stderr);
			s->line_shown = 0;
		}
		rc_info_c(SNAP_COMP, RC_LOG_TBL(s->source, t->schema, t->name),
			  "snapshot of %s.%s finished: %llu rows in %.1f s "
			  "(%.0f rows/s)",
			  t->schema, t->name, (unsigned long long)t->rows, sec,
			  sec > 0 ? (double)done / sec : (double)done);
		t->run_start_ms = 0;
	}
	publish(s, t);
	return 0;
}

int
rc_snap_format(const struct rc_snap *s, struct rc_buf *out)
{
	for (int i = 0; i < s->n; i++) {
		const struct rc_snap_table *t = &s->t[i];

		if (rc_buf_printf(out, "snapshot = %s ",
				  state_names[t->state]) < 0 ||
		    rc_snap_encode(out, t->schema) < 0 ||
		    rc_buf_putc(out, '.') < 0 ||
		    rc_snap_encode(out, t->name) < 0)
			return -1;
		if (t->state != RC_SNAP_DONE &&
		    rc_buf_printf(out, " %llu", (unsigned long long)t->rows) <
			    0)
			return -1;
		if (t->state == RC_SNAP_RUNNING && t->ncursor) {
			if (rc_buf_putc(out, ' ') < 0)
				return -1;
			for (int k = 0; k < t->ncursor; k++)
				if ((k && rc_buf_putc(out, ',') < 0) ||
				    rc_snap_encode(out, t->cursor[k]) < 0)
					return -1;
		}
		if (rc_buf_putc(out, '\n') < 0)
			return -1;
	}
	return 0;
}

char *
rc_snap_take_text(struct rc_snap *s, int *oom)
{
	struct rc_buf b;
	char *r;

	*oom = 0;
	if (!s || !s->dirty)
		return NULL;
	rc_buf_init(&b, 64u << 20);
	if (rc_snap_format(s, &b) < 0 || rc_buf_putc(&b, '\0') < 0) {
		rc_buf_free(&b);
		*oom = 1;
		return NULL;
	}
	r = b.data; /* the buffer's block becomes the string */
	s->dirty = 0;
	return r;
}

/* ------------------------------------------------------------------ */
/* Progress and throttle                                              */
/* ------------------------------------------------------------------ */

void
rc_snap_set_metrics(struct rc_snap *s, struct rc_metrics_source *ms)
{
	s->ms = ms;
	for (int i = 0; i < s->n; i++)
		publish(s, &s->t[i]);
}

void
rc_snap_begin(struct rc_snap *s, struct rc_snap_table *t, int64_t estimate)
{
	const struct rc_log_ctx *ctx =
		RC_LOG_TBL(s->source, t->schema, t->name);

	if (rc_snap_begun(t))
		return;
	t->run_start_ms = rc_mono_ms();
	t->run_start_rows = t->rows;
	rc_snap_set_estimate(s, t, estimate);
	if (t->state == RC_SNAP_RUNNING)
		rc_info_c(SNAP_COMP, ctx,
			  "snapshot of %s.%s resumes after %llu rows",
			  t->schema, t->name, (unsigned long long)t->rows);
	else if (estimate < 0)
		rc_info_c(SNAP_COMP, ctx,
			  "snapshot of %s.%s started (size unknown: no "
			  "statistics yet)",
			  t->schema, t->name);
	else
		rc_info_c(SNAP_COMP, ctx,
			  "snapshot of %s.%s started (~%lld rows)", t->schema,
			  t->name, (long long)estimate);
}

void
rc_snap_set_estimate(struct rc_snap *s, struct rc_snap_table *t, int64_t rows)
{
	t->estimate = rows;
	publish(s, t);
}

/* "120000 of ~200000 rows (60%), 45000 rows/s, about 2 s left" */
static void
progress_text(const struct rc_snap_table *t, int64_t now, char *buf, size_t len)
{
	double sec =
		t->run_start_ms ? (double)(now - t->run_start_ms) / 1000.0 : 0;
	double rate =
		sec > 0.5 ? (double)(t->rows - t->run_start_rows) / sec : 0;
	char left[32] = "";
	int n;

	if (t->estimate > 0) {
		uint64_t est = (uint64_t)t->estimate > t->rows
				       ? (uint64_t)t->estimate
				       : t->rows;
		n = snprintf(buf, len, "%llu of ~%llu rows (%.0f%%)",
			     (unsigned long long)t->rows,
			     (unsigned long long)est,
			     100.0 * (double)t->rows / (double)est);
		if (rate > 0) {
			fmt_duration(left, sizeof(left),
				     (double)(est - t->rows) / rate);
		}
	} else {
		n = snprintf(buf, len, "%llu rows",
			     (unsigned long long)t->rows);
	}
	if (n < 0 || (size_t)n >= len)
		return;
	if (rate > 0)
		snprintf(buf + n, len - (size_t)n, ", %.0f rows/s%s%s%s", rate,
			 left[0] ? ", about " : "", left,
			 left[0] ? " left" : "");
}

void
rc_snap_report(struct rc_snap *s, int force)
{
	int64_t now = rc_mono_ms();
	struct rc_snap_table *t = NULL;
	char text[256];

	for (int i = 0; i < s->n; i++)
		if (s->t[i].state == RC_SNAP_RUNNING) {
			t = &s->t[i];
			break;
		}
	if (!t)
		return;
	publish(s, t);
	if (force || now - s->last_log_ms >= s->progress_ms) {
		progress_text(t, now, text, sizeof(text));
		if (s->line_shown) {
			fputs("\r\033[K", stderr);
			s->line_shown = 0;
		}
		rc_info_c(SNAP_COMP, RC_LOG_TBL(s->source, t->schema, t->name),
			  "snapshot of %s.%s: %s", t->schema, t->name, text);
		s->last_log_ms = now;
	}
	if (s->tty && now - s->last_line_ms >= LINE_MS) {
		progress_text(t, now, text, sizeof(text));
		fprintf(stderr, "\r\033[Ksnapshot %s.%s: %s", t->schema,
			t->name, text);
		fflush(stderr);
		s->line_shown = 1;
		s->last_line_ms = now;
	}
}

void
rc_snap_throttle(struct rc_snap *s, uint64_t rows, int64_t max_ms)
{
	int64_t now, due;

	if (s->max_rows_per_sec <= 0)
		return;
	now = rc_mono_ms();
	if (!s->thr_start_ms || now - s->thr_start_ms > 10000) {
		s->thr_start_ms = now;
		s->thr_rows = 0;
	}
	s->thr_rows += rows;
	due = s->thr_start_ms +
	      (int64_t)(s->thr_rows * 1000 / (uint64_t)s->max_rows_per_sec);
	if (due > now) {
		int64_t ms = due - now;
		struct timespec ts;

		if (ms > max_ms)
			ms = max_ms;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* Chunks                                                             */
/* ------------------------------------------------------------------ */

void
rc_snap_chunk_init(struct rc_snap_chunk *c)
{
	memset(c, 0, sizeof(*c));
	rc_buf_init(&c->kbuf, 1u << 30);
	rc_buf_init(&c->kbuf2, 1u << 30);
}

static void
free_last_key(struct rc_snap_chunk *c)
{
	for (int i = 0; i < c->nlast_key; i++)
		free(c->last_key[i]);
	free(c->last_key);
	c->last_key = NULL;
	c->nlast_key = 0;
}

void
rc_snap_chunk_reset(struct rc_snap_chunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		rc_event_free(c->ev[i]);
	c->n = 0;
	c->live = 0;
	if (c->slots)
		memset(c->slots, 0, c->nslots * sizeof(*c->slots));
	free_last_key(c);
	c->t = NULL;
	c->last = 0;
	c->dropped = 0;
}

void
rc_snap_chunk_free(struct rc_snap_chunk *c)
{
	rc_snap_chunk_reset(c);
	free(c->ev);
	free(c->hash);
	free(c->slots);
	free(c->kidx);
	rc_buf_free(&c->kbuf);
	rc_buf_free(&c->kbuf2);
	memset(c, 0, sizeof(*c));
}

int
rc_snap_chunk_begin(struct rc_snap_chunk *c, struct rc_snap_table *t, char **pk,
		    int npk)
{
	rc_snap_chunk_reset(c);
	c->t = t;
	c->pk = pk;
	c->npk = npk;
	c->ktbl = NULL;
	return 0;
}

/* The pk columns' indexes in tbl (cached for the last shape seen); -1
 * when a key column is missing from the shape. */
static int
key_index(struct rc_snap_chunk *c, const struct rc_table *tbl)
{
	if (c->ktbl == tbl)
		return 0;
	free(c->kidx);
	if (!(c->kidx = calloc((size_t)(c->npk ? c->npk : 1), sizeof(int))))
		return -1;
	for (int k = 0; k < c->npk; k++) {
		c->kidx[k] = -1;
		for (int i = 0; i < tbl->ncols; i++)
			if (!strcmp(tbl->cols[i].name, c->pk[k]))
				c->kidx[k] = i;
		if (c->kidx[k] < 0) {
			c->ktbl = NULL;
			return -1;
		}
	}
	c->ktbl = tbl;
	return 0;
}

int
rc_snap_key_bytes(struct rc_snap_chunk *c, const struct rc_event *ev,
		  int64_t row, struct rc_buf *out)
{
	const struct rc_value *vals = rc_event_row(ev, row);

	rc_buf_reset(out);
	if (!vals || key_index(c, ev->tbl) < 0)
		return -1;
	for (int k = 0; k < c->npk; k++) {
		const struct rc_column *col = &ev->tbl->cols[c->kidx[k]];
		const struct rc_value *v = &vals[c->kidx[k]];
		unsigned char kind = v->kind;
		uint32_t len;

		if (rc_buf_putc(out, (char)kind) < 0)
			return -1;
		if (kind == RC_V_NULL || kind == RC_V_UNCHANGED)
			continue;
		if (kind == RC_V_SET &&
		    (col->type == RC_T_BOOLEAN || col->type == RC_T_INT32 ||
		     col->type == RC_T_INT64 || col->type == RC_T_DATE ||
		     col->type == RC_T_TIME_MICROS ||
		     col->type == RC_T_TIMESTAMP_MICROS ||
		     col->type == RC_T_LOCAL_TIMESTAMP_MICROS ||
		     col->type == RC_T_DURATION_MICROS)) {
			if (rc_buf_append(out, &v->u.i, sizeof(v->u.i)) < 0)
				return -1;
			continue;
		}
		if (kind == RC_V_SET && col->type == RC_T_DOUBLE) {
			if (rc_buf_append(out, &v->u.d, sizeof(v->u.d)) < 0)
				return -1;
			continue;
		}
		if (kind == RC_V_SET && col->type == RC_T_FLOAT) {
			if (rc_buf_append(out, &v->u.f, sizeof(v->u.f)) < 0)
				return -1;
			continue;
		}
		if (kind == RC_V_SET && col->type == RC_T_ARRAY)
			return -1; /* not a key type we chunk by */
		len = v->u.s.len;
		if (rc_buf_append(out, &len, sizeof(len)) < 0 ||
		    rc_buf_append(out, rc_value_bytes(ev, v), len) < 0)
			return -1;
	}
	return 0;
}

static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static int
grow_slots(struct rc_snap_chunk *c)
{
	size_t ns = c->nslots ? c->nslots * 2 : 1024;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (!s)
		return -1;
	free(c->slots);
	c->slots = s;
	c->nslots = ns;
	for (size_t i = 0; i < c->n; i++) {
		size_t j;

		if (!c->ev[i])
			continue;
		for (j = c->hash[i] & (ns - 1); s[j]; j = (j + 1) & (ns - 1))
			;
		s[j] = (uint32_t)i + 1;
	}
	return 0;
}

int
rc_snap_chunk_add(struct rc_snap_chunk *c, struct rc_event *ev)
{
	size_t j;

	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1024;
		struct rc_event **e = realloc(c->ev, nc * sizeof(*e));
		uint64_t *h;

		if (!e)
			goto fail;
		c->ev = e;
		if (!(h = realloc(c->hash, nc * sizeof(*h))))
			goto fail;
		c->hash = h;
		c->cap = nc;
	}
	if (!c->npk) { /* no key: nothing to drop by */
		c->ev[c->n++] = ev;
		c->live++;
		return 0;
	}
	if ((c->n + 1) * 2 > c->nslots && grow_slots(c) < 0)
		goto fail;
	if (rc_snap_key_bytes(c, ev, ev->after, &c->kbuf) < 0)
		goto fail;
	c->ev[c->n] = ev;
	c->hash[c->n] = hash_bytes(c->kbuf.data, c->kbuf.len);
	for (j = c->hash[c->n] & (c->nslots - 1); c->slots[j];
	     j = (j + 1) & (c->nslots - 1))
		;
	c->slots[j] = (uint32_t)c->n + 1;
	c->n++;
	c->live++;
	return 0;
fail:
	rc_event_free(ev);
	return -1;
}

int
rc_snap_chunk_set_end(struct rc_snap_chunk *c, char *const *key, int nkey,
		      int last)
{
	free_last_key(c);
	c->last = last;
	if (nkey <= 0)
		return 0;
	if (!(c->last_key = calloc((size_t)nkey, sizeof(char *))))
		return -1;
	for (int i = 0; i < nkey; i++) {
		if (!(c->last_key[i] = strdup(key[i])))
			return -1;
		c->nlast_key = i + 1;
	}
	return 0;
}

/* Drop the chunk's row whose key is the image row of ev. */
static size_t
drop_image(struct rc_snap_chunk *c, const struct rc_event *ev, int64_t row)
{
	uint64_t h;

	if (row < 0 || !c->nslots || !c->npk)
		return 0;
	if (rc_snap_key_bytes(c, ev, row, &c->kbuf) < 0)
		return 0;
	h = hash_bytes(c->kbuf.data, c->kbuf.len);
	for (size_t j = h & (c->nslots - 1); c->slots[j];
	     j = (j + 1) & (c->nslots - 1)) {
		size_t i = c->slots[j] - 1;

		if (!c->ev[i] || c->hash[i] != h)
			continue;
		if (rc_snap_key_bytes(c, c->ev[i], c->ev[i]->after, &c->kbuf2) <
			    0 ||
		    c->kbuf2.len != c->kbuf.len ||
		    memcmp(c->kbuf2.data, c->kbuf.data, c->kbuf.len) != 0)
			continue;
		rc_event_free(c->ev[i]);
		c->ev[i] = NULL;
		c->live--;
		c->dropped++;
		return 1;
	}
	return 0;
}

size_t
rc_snap_chunk_drop(struct rc_snap_chunk *c, const struct rc_event *ev)
{
	size_t n = 0;

	if (!c->t || strcmp(ev->tbl->schema, c->t->schema) ||
	    strcmp(ev->tbl->name, c->t->name))
		return 0;
	if (ev->op == 't') {
		for (size_t i = 0; i < c->n; i++)
			if (c->ev[i]) {
				rc_event_free(c->ev[i]);
				c->ev[i] = NULL;
				n++;
			}
		c->live = 0;
		c->dropped += n;
		return n;
	}
	n += drop_image(c, ev, ev->before);
	n += drop_image(c, ev, ev->after);
	return n;
}

int
rc_snap_chunk_emit(struct rc_snap_chunk *c,
		   int (*emit)(void *ctx, struct rc_event *ev), void *ctx)
{
	size_t lastlive = c->n;
	int rc = 0;

	if (c->last)
		for (size_t i = c->n; i-- > 0;)
			if (c->ev[i]) {
				lastlive = i;
				break;
			}
	for (size_t i = 0; i < c->n; i++) {
		struct rc_event *ev = c->ev[i];

		if (!ev)
			continue;
		c->ev[i] = NULL;
		if (rc) {
			rc_event_free(ev);
			continue;
		}
		ev->src.snapshot = i == lastlive ? 2 : 1;
		rc = emit(ctx, ev);
	}
	c->live = 0;
	return rc;
}
