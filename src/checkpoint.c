/*
 * checkpoint.c -- the checkpoint store (see checkpoint.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "fsutil.h"

#define CHECKPOINT_FORMAT "1"

void
rc_checkpoint_path(const char *state_dir, const char *source, char *buf,
		   size_t len)
{
	snprintf(buf, len, "%s/%s.checkpoint", state_dir, source);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * Read "key = value" lines. format, source and type must be present and
 * match; every other key goes to the source's parse_pos. Unknown keys are
 * errors there, so a file from a newer rowcast is refused, not misread.
 */
int
rc_checkpoint_load(const char *state_dir, const struct rc_source *src,
		   struct rc_pos *pos, char *err, size_t errlen)
{
	char path[4096], line[4096], perr[RC_ERRLEN];
	int lineno = 0, have_format = 0, have_source = 0, have_type = 0;
	int have_pos = 0, rc = -1;
	FILE *f;

	rc_checkpoint_path(state_dir, src->name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot read checkpoint: %s", path,
			 strerror(errno));
		return -1;
	}
	rc_pos_clear(pos);
	while (fgets(line, sizeof(line), f)) {
		char *k, *v, *eq;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
				 lineno);
			goto out;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			snprintf(err, errlen,
				 "%s:%d: corrupt checkpoint: expected "
				 "'key = value'",
				 path, lineno);
			goto out;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		if (strcmp(k, "format") == 0) {
			if (strcmp(v, CHECKPOINT_FORMAT) != 0) {
				snprintf(err, errlen,
					 "%s:%d: checkpoint format '%s' "
					 "is not supported (expected %s)",
					 path, lineno, v, CHECKPOINT_FORMAT);
				goto out;
			}
			have_format = 1;
		} else if (strcmp(k, "source") == 0) {
			if (strcmp(v, src->name) != 0) {
				snprintf(err, errlen,
					 "%s:%d: checkpoint belongs to "
					 "source '%s', not '%s'",
					 path, lineno, v, src->name);
				goto out;
			}
			have_source = 1;
		} else if (strcmp(k, "type") == 0) {
			if (strcmp(v, src->ops->name) != 0) {
				snprintf(err, errlen,
					 "%s:%d: checkpoint is of a %s "
					 "source, but [source %s] is %s",
					 path, lineno, v, src->name,
					 src->ops->name);
				goto out;
			}
			have_type = 1;
		} else if (strcmp(k, "updated") == 0) {
			/* informational */
		} else if (strcmp(k, "snapshot") == 0) {
			/* snapshot state (snapshot.h), kept as lines */
			size_t ol = pos->snap ? strlen(pos->snap) : 0;
			char *g = realloc(pos->snap, ol + strlen(v) + 14);

			if (!g) {
				snprintf(err, errlen, "%s: out of memory",
					 path);
				goto out;
			}
			pos->snap = g;
			sprintf(g + ol, "snapshot = %s\n", v);
		} else {
			if (src->ops->parse_pos(k, v, pos, perr, sizeof(perr)) <
			    0) {
				snprintf(err, errlen, "%s:%d: %s", path, lineno,
					 perr);
				goto out;
			}
			have_pos = 1;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path,
			 strerror(errno));
		goto out;
	}
	if (!have_format || !have_source || !have_type || !have_pos) {
		snprintf(err, errlen,
			 "%s: corrupt checkpoint: missing %s "
			 "(remove the file only if you mean to start over)",
			 path,
			 !have_format	? "'format'"
			 : !have_source ? "'source'"
			 : !have_type	? "'type'"
					: "the position");
		goto out;
	}
	rc = 1;
out:
	fclose(f);
	if (rc < 0)
		rc_pos_clear(pos);
	return rc;
}

/*
 * Write <path>.tmp, fsync it, rename it over <path>, fsync the directory:
 * after a crash the file is either the old checkpoint or the new one.
 */
int
rc_checkpoint_save(const char *state_dir, const struct rc_source *src,
		   const struct rc_pos *pos, char *err, size_t errlen)
{
	char name[RC_MAX_NAME + 16], when[32], werr[RC_ERRLEN];
	struct rc_buf b;
	struct tm tm;
	time_t now = time(NULL);
	int rc = -1;

	snprintf(name, sizeof(name), "%s.checkpoint", src->name);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

	rc_buf_init(&b, 1024 * 1024);
	if (rc_buf_printf(&b,
			  "# rowcast checkpoint: every change up to this "
			  "position is durable in every sink\n"
			  "format = %s\nsource = %s\ntype = %s\nupdated = %s\n",
			  CHECKPOINT_FORMAT, src->name, src->ops->name,
			  when) < 0 ||
	    src->ops->format_pos(pos, &b) < 0 ||
	    (pos->snap && rc_buf_puts(&b, pos->snap) < 0)) {
		snprintf(err, errlen, "%s/%s: cannot format checkpoint",
			 state_dir, name);
		goto out;
	}
	if (rc_write_file_atomic(state_dir, name, b.data, b.len, werr,
				 sizeof(werr)) < 0) {
		snprintf(err, errlen, "checkpoint: %s", werr);
		goto out;
	}
	rc = 0;
out:
	rc_buf_free(&b);
	return rc;
}
