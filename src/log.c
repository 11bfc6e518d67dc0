/*
 * log.c -- levelled logging with a component tag (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static _Atomic int rc_log_level = RC_LOG_INFO;

static const char *const rc_level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

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

/*
 * Format the whole line into one buffer and write it with a single write(2),
 * so that lines from several threads never interleave.
 */
void
rc_log(enum rc_log_level level, const char *component, const char *fmt, ...)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;
	int r;

	if ((int)level > atomic_load(&rc_log_level))
		return;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s [%s] ",
		     ts.tv_nsec / 1000000L, rc_level_names[level],
		     component ? component : "rowcast");
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r
						  : sizeof(line) - n - 1;

	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r
						  : sizeof(line) - n - 1;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';

	{
		const char *p = line;
		while (n > 0) {
			ssize_t w = write(STDERR_FILENO, p, n);
			if (w <= 0)
				break;
			p += w;
			n -= (size_t)w;
		}
	}
}
