/*
 * log.c -- levelled logging with a component tag, as text or JSON lines
 * (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "redact.h"

static _Atomic int rc_log_level = RC_LOG_INFO;
static _Atomic int rc_log_format = RC_LOG_TEXT;
static __thread const char *rc_log_thread_source;

static const char *const rc_level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
static const char *const rc_level_json[] = {"error", "warn", "info", "debug"};

void
rc_log_set_level(enum rc_log_level level)
{
	atomic_store(&rc_log_level, (int)level);
}

enum rc_log_level
rc_log_get_level(void)
{
	return (enum rc_log_level)atomic_load(&rc_log_level);
}

int
rc_log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, rc_level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "warning") == 0)
		return RC_LOG_WARN;
	return -1;
}

void
rc_log_set_format(enum rc_log_format format)
{
	atomic_store(&rc_log_format, (int)format);
}

int
rc_log_format_parse(const char *s)
{
	if (strcasecmp(s, "text") == 0)
		return RC_LOG_TEXT;
	if (strcasecmp(s, "json") == 0)
		return RC_LOG_JSON;
	return -1;
}

void
rc_log_set_thread_source(const char *source)
{
	rc_log_thread_source = source;
}

/* ------------------------------------------------------------------ */
/* Line formatting                                                    */
/* ------------------------------------------------------------------ */

/*
 * A bounded line: pieces are appended whole or not at all, and `reserve`
 * bytes at the end stay free for what closes the line (the JSON object's
 * end and the newline), so a cut message still makes a valid line.
 */
struct rc_line {
	char *buf;
	size_t len, pos, reserve;
	int cut;
};

static int
line_put(struct rc_line *l, const char *s, size_t n, int closing)
{
	size_t room = l->len - l->pos - (closing ? 0 : l->reserve);

	if (l->pos + (closing ? 0 : l->reserve) > l->len || n > room) {
		l->cut = 1;
		return -1;
	}
	memcpy(l->buf + l->pos, s, n);
	l->pos += n;
	return 0;
}

static int
line_puts(struct rc_line *l, const char *s)
{
	return line_put(l, s, strlen(s), 0);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A JSON string of s, quotes included: control characters escaped, an
 * invalid UTF-8 byte as U+FFFD. Stops (cut) where the rest would not leave
 * `after` bytes free behind the closing quote; the quote itself always
 * fits.
 */
static void
line_json_string(struct rc_line *l, const char *s, size_t after)
{
	const unsigned char *p = (const unsigned char *)s;

	l->cut = 0;
	l->reserve = after + 1;
	if (line_puts(l, "\"") < 0)
		return;
	while (*p && !l->cut) {
		char esc[8];
		size_t n = 1;

		switch (*p) {
		case '"':
			line_puts(l, "\\\"");
			break;
		case '\\':
			line_puts(l, "\\\\");
			break;
		case '\n':
			line_puts(l, "\\n");
			break;
		case '\r':
			line_puts(l, "\\r");
			break;
		case '\t':
			line_puts(l, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				line_puts(l, esc);
			} else if ((n = utf8_len(p)) == 0) {
				line_puts(l, "\\ufffd");
				n = 1;
			} else {
				line_put(l, (const char *)p, n, 0);
			}
		}
		p += n;
	}
	l->reserve = after;
	line_put(l, "\"", 1, 0);
}

size_t
rc_log_format_line(char *buf, size_t len, enum rc_log_format format,
		   const struct timespec *ts, enum rc_log_level level,
		   const char *component, const struct rc_log_ctx *ctx,
		   const char *thread_source, const char *msg)
{
	struct rc_line l = {buf, len, 0, 0, 0};
	char tbuf[48], ms[16];
	struct tm tm;
	const char *comp = component ? component : "rowcast";
	const char *source = ctx && ctx->source ? ctx->source : NULL;

	if ((int)level < 0 || level > RC_LOG_DEBUG)
		level = RC_LOG_ERROR;
	gmtime_r(&ts->tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ms, sizeof(ms), ".%03dZ",
		 (int)((ts->tv_nsec / 1000000L) % 1000));
	strcat(tbuf, ms);

	if (format == RC_LOG_JSON) {
		char tname[2 * 256 + 2];

		/* the names are short: only the message may be cut */
		line_puts(&l, "{\"ts\":\"");
		line_puts(&l, tbuf);
		line_puts(&l, "\",\"level\":\"");
		line_puts(&l, rc_level_json[level]);
		line_puts(&l, "\",\"component\":");
		line_json_string(&l, comp, 0);
		if (!source)
			source = thread_source;
		if (source) {
			line_puts(&l, ",\"source\":");
			line_json_string(&l, source, 0);
		}
		if (ctx && ctx->table) {
			snprintf(tname, sizeof(tname), "%s%s%s",
				 ctx->schema ? ctx->schema : "",
				 ctx->schema ? "." : "", ctx->table);
			line_puts(&l, ",\"table\":");
			line_json_string(&l, tname, 0);
		}
		l.reserve = 0;
		line_puts(&l, ",\"msg\":");
		line_json_string(&l, msg, 2);
		line_put(&l, "}\n", 2, 1);
		return l.pos;
	}

	l.reserve = 1; /* the newline */
	line_puts(&l, tbuf);
	snprintf(tbuf, sizeof(tbuf), " %-5s [", rc_level_names[level]);
	line_puts(&l, tbuf);
	line_puts(&l, comp);
	line_puts(&l, "] ");
	if (source) {
		line_puts(&l, "source ");
		line_puts(&l, source);
		line_puts(&l, ": ");
	}
	/* the message as much as fits */
	{
		size_t n = strlen(msg), room = len - l.pos - l.reserve;

		if (l.pos + l.reserve <= len) {
			if (n > room)
				n = room;
			for (size_t i = 0; i < n; i++)
				buf[l.pos + i] = msg[i] == '\n' ? ' ' : msg[i];
			l.pos += n;
		}
	}
	line_put(&l, "\n", 1, 1);
	return l.pos;
}

/* ------------------------------------------------------------------ */
/* Logging                                                            */
/* ------------------------------------------------------------------ */

/*
 * Format, redact and write the whole line with a single write(2), so that
 * lines from several threads never interleave.
 */
static void
rc_vlog(enum rc_log_level level, const char *component,
	const struct rc_log_ctx *ctx, const char *fmt, va_list ap)
{
	char msg[RC_LOG_LINE_MAX], clean[RC_LOG_LINE_MAX];
	char line[RC_LOG_LINE_MAX + 512];
	struct timespec ts;
	size_t n;
	const char *p = line;

	clock_gettime(CLOCK_REALTIME, &ts);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	rc_redact(msg, clean, sizeof(clean));
	n = rc_log_format_line(line, sizeof(line),
			       (enum rc_log_format)atomic_load(&rc_log_format),
			       &ts, level, component, ctx, rc_log_thread_source,
			       clean);
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
}

void
rc_log(enum rc_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load(&rc_log_level))
		return;
	va_start(ap, fmt);
	rc_vlog(level, component, NULL, fmt, ap);
	va_end(ap);
}

void
rc_logc(enum rc_log_level level, const char *component,
	const struct rc_log_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > atomic_load(&rc_log_level))
		return;
	va_start(ap, fmt);
	rc_vlog(level, component, ctx, fmt, ap);
	va_end(ap);
}
