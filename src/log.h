/*
 * log.h -- levelled logging with a component tag, as text or JSON lines.
 *
 * Text (the default) is one line per message on stderr:
 *
 *   2026-01-02T03:04:05.678Z INFO  [postgresql] source shop: created ...
 *
 * (systemd's journal adds its own timestamps; the format stays greppable).
 * With `log_format = json` every line is one JSON object instead:
 *
 *   {"ts":"2026-01-02T03:04:05.678Z","level":"info","component":
 *    "postgresql","source":"shop","table":"public.customers","msg":"..."}
 *
 * "source" and "table" are there when the message has them: from the
 * call's struct rc_log_ctx (rc_logc() and the *_c macros), else "source"
 * from the thread's default (rc_log_set_thread_source(): the pipeline sets
 * it on its threads, so a sink's line names the source it serves too). In
 * text, a context's source is written as "source NAME: " before the
 * message, as the call sites did by hand before; the table is in the
 * message itself.
 *
 * Every message goes through rc_redact() (redact.h) before it is written:
 * no password of a connection string or URL reaches the log. A message is
 * logged once, where the error is handled, never at every level it passes.
 *
 * @locality any thread; lines are written whole with one write(2).
 */
#ifndef RC_LOG_H
#define RC_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>

enum rc_log_level {
	RC_LOG_ERROR = 0,
	RC_LOG_WARN = 1,
	RC_LOG_INFO = 2,
	RC_LOG_DEBUG = 3,
};

enum rc_log_format {
	RC_LOG_TEXT = 0,
	RC_LOG_JSON = 1,
};

/* What a message is about; every member may be NULL. */
struct rc_log_ctx {
	const char *source; /* the [source NAME] */
	const char *schema; /* the table's schema (PostgreSQL) or database */
	const char *table;  /* the table's name */
};

/* Contexts for the calls: rc_info_c(comp, RC_LOG_SRC(name), "..."). */
#define RC_LOG_SRC(src) (&(const struct rc_log_ctx){(src), NULL, NULL})
#define RC_LOG_TBL(src, schema, table)                                         \
	(&(const struct rc_log_ctx){(src), (schema), (table)})

/* A longest line (text or JSON); a longer message is cut. */
#define RC_LOG_LINE_MAX 4096

void rc_log_set_level(enum rc_log_level level);
enum rc_log_level rc_log_get_level(void);

/* Parse "error", "warn", "info", "debug"; returns -1 when unknown. */
int rc_log_level_parse(const char *s);

void rc_log_set_format(enum rc_log_format format);
/* Parse "text" or "json"; -1 when unknown. */
int rc_log_format_parse(const char *s);

/*
 * The source named in the JSON lines of the calling thread that give no
 * source of their own (NULL: none). The string must outlive the thread's
 * logging (a section name of the configuration does).
 */
void rc_log_set_thread_source(const char *source);

void rc_log(enum rc_log_level level, const char *component, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/* rc_log with a context (NULL: none). */
void rc_logc(enum rc_log_level level, const char *component,
	     const struct rc_log_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Format one line of msg (already redacted) into buf (len bytes, at least
 * 64) as rc_log writes it, newline included; returns its length. ts is the
 * time of the line; source is the JSON default when ctx names none. For
 * the logger and its tests.
 */
size_t rc_log_format_line(char *buf, size_t len, enum rc_log_format format,
			  const struct timespec *ts, enum rc_log_level level,
			  const char *component, const struct rc_log_ctx *ctx,
			  const char *thread_source, const char *msg);

#define rc_error(comp, ...) rc_log(RC_LOG_ERROR, comp, __VA_ARGS__)
#define rc_warn(comp, ...)  rc_log(RC_LOG_WARN, comp, __VA_ARGS__)
#define rc_info(comp, ...)  rc_log(RC_LOG_INFO, comp, __VA_ARGS__)
#define rc_debug(comp, ...)                                                    \
	do {                                                                   \
		if (rc_log_get_level() >= RC_LOG_DEBUG)                        \
			rc_log(RC_LOG_DEBUG, comp, __VA_ARGS__);               \
	} while (0)

#define rc_error_c(comp, ctx, ...) rc_logc(RC_LOG_ERROR, comp, ctx, __VA_ARGS__)
#define rc_warn_c(comp, ctx, ...)  rc_logc(RC_LOG_WARN, comp, ctx, __VA_ARGS__)
#define rc_info_c(comp, ctx, ...)  rc_logc(RC_LOG_INFO, comp, ctx, __VA_ARGS__)

#endif
