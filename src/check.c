/*
 * check.c -- `rowcast check`: findings and the preflight run (check.h).
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "checkpoint.h"
#include "limits.h"
#include "plugins.h"
#include "redact.h"

static const char *const rc_check_names[] = {"OK", "WARN", "FAIL"};

void
rc_check_init(struct rc_check *chk)
{
	memset(chk, 0, sizeof(*chk));
}

void
rc_check_free(struct rc_check *chk)
{
	if (!chk)
		return;
	for (int i = 0; i < chk->n; i++) {
		free(chk->items[i].subject);
		free(chk->items[i].what);
		free(chk->items[i].fix);
	}
	free(chk->items);
	for (int i = 0; i < chk->ntopics; i++) {
		free(chk->topics[i].source);
		free(chk->topics[i].topic);
	}
	free(chk->topics);
	memset(chk, 0, sizeof(*chk));
}

/* A redacted copy of s (NULL for NULL), or NULL with *oom set. */
static char *
redacted_dup(const char *s, int *oom)
{
	size_t n;
	char *d;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	/* "***" may be longer than a one-letter secret */
	d = malloc(n + 64);
	if (!d) {
		*oom = 1;
		return NULL;
	}
	return rc_redact(s, d, n + 64);
}

void
rc_check_add(struct rc_check *chk, enum rc_check_level level, const char *fix,
	     const char *fmt, ...)
{
	char what[2 * RC_ERRLEN];
	struct rc_finding *f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (chk->n == chk->cap) {
		int cap = chk->cap ? chk->cap * 2 : 32;
		struct rc_finding *g =
			realloc(chk->items, sizeof(*g) * (size_t)cap);

		if (!g) {
			chk->oom = 1;
			return;
		}
		chk->items = g;
		chk->cap = cap;
	}
	f = &chk->items[chk->n];
	memset(f, 0, sizeof(*f));
	f->level = level;
	f->subject = redacted_dup(chk->subject ? chk->subject : "rowcast",
				  &chk->oom);
	f->what = redacted_dup(what, &chk->oom);
	f->fix = redacted_dup(fix, &chk->oom);
	if (!f->subject || !f->what) {
		free(f->subject);
		free(f->what);
		free(f->fix);
		chk->oom = 1;
		return;
	}
	chk->n++;
}

void
rc_check_topic(struct rc_check *chk, const char *source, const char *topic)
{
	struct rc_check_topic *g;

	for (int i = 0; i < chk->ntopics; i++)
		if (!strcmp(chk->topics[i].source, source) &&
		    !strcmp(chk->topics[i].topic, topic))
			return;
	g = realloc(chk->topics, sizeof(*g) * (size_t)(chk->ntopics + 1));
	if (!g) {
		chk->oom = 1;
		return;
	}
	chk->topics = g;
	g[chk->ntopics].source = strdup(source);
	g[chk->ntopics].topic = strdup(topic);
	if (!g[chk->ntopics].source || !g[chk->ntopics].topic) {
		free(g[chk->ntopics].source);
		free(g[chk->ntopics].topic);
		chk->oom = 1;
		return;
	}
	chk->ntopics++;
}

enum rc_check_level
rc_check_worst(const struct rc_check *chk)
{
	enum rc_check_level worst = chk->oom ? RC_CHECK_FAIL : RC_CHECK_OK;

	for (int i = 0; i < chk->n; i++)
		if (chk->items[i].level > worst)
			worst = chk->items[i].level;
	return worst;
}

void
rc_check_print(const struct rc_check *chk, FILE *out)
{
	int count[3] = {0, 0, 0};

	for (int i = 0; i < chk->n; i++) {
		const struct rc_finding *f = &chk->items[i];

		count[f->level]++;
		fprintf(out, "%-4s  %s: %s", rc_check_names[f->level],
			f->subject, f->what);
		if (f->fix)
			fprintf(out, " (fix: %s)", f->fix);
		fputc('\n', out);
	}
	if (chk->oom)
		fprintf(out, "FAIL  rowcast: out of memory: findings were "
			     "lost\n");
	fprintf(out, "rowcast check: %d failed, %d warning(s), %d ok: %s\n",
		count[RC_CHECK_FAIL] + chk->oom, count[RC_CHECK_WARN],
		count[RC_CHECK_OK],
		rc_check_worst(chk) == RC_CHECK_FAIL
			? "rowcast cannot run until the failures are fixed"
			: "rowcast can run");
}

/* ------------------------------------------------------------------ */
/* Directories                                                        */
/* ------------------------------------------------------------------ */

int
rc_check_dir_writable(const char *dir, char *why, size_t whylen)
{
	char probe[4096], parent[4096];
	struct stat st;
	int fd;

	if (stat(dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "%s is not a directory", dir);
			return 0;
		}
		snprintf(probe, sizeof(probe), "%s/.rowcast-check.%ld", dir,
			 (long)getpid());
		fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(why, whylen, "cannot create a file in %s: %s",
				 dir, strerror(errno));
			return 0;
		}
		close(fd);
		unlink(probe);
		return 1;
	}
	if (errno != ENOENT) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return 0;
	}
	/* missing: can its nearest existing parent take it? */
	snprintf(parent, sizeof(parent), "%s", dir);
	for (;;) {
		char *slash = strrchr(parent, '/');

		if (!slash) {
			snprintf(parent, sizeof(parent), ".");
			break;
		}
		if (slash == parent) {
			parent[1] = '\0';
			break;
		}
		*slash = '\0';
		if (stat(parent, &st) == 0 || errno != ENOENT)
			break;
	}
	if (stat(parent, &st) < 0) {
		snprintf(why, whylen, "%s: %s", parent, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", parent);
		return 0;
	}
	if (access(parent, W_OK | X_OK) < 0) {
		snprintf(why, whylen,
			 "%s does not exist and cannot be created "
			 "in %s: %s",
			 dir, parent, strerror(errno));
		return 0;
	}
	snprintf(why, whylen,
		 "%s does not exist yet; rowcast creates it "
		 "(in %s)",
		 dir, parent);
	return 2;
}

/* ------------------------------------------------------------------ */
/* The run                                                            */
/* ------------------------------------------------------------------ */

static void
check_state_dir(const struct rc_config *cfg, struct rc_check *chk)
{
	const char *dir = rc_conf_str(&cfg->global, "state_dir");
	char why[RC_ERRLEN], fix[RC_ERRLEN];

	chk->subject = "state_dir";
	switch (rc_check_dir_writable(dir, why, sizeof(why))) {
	case 1:
		rc_check_ok(chk, "%s is writable", dir);
		break;
	case 2:
		rc_check_ok(chk, "%s", why);
		break;
	default:
		snprintf(fix, sizeof(fix),
			 "create %s and let the user rowcast runs as write in "
			 "it (chown rowcast: %s), or set state_dir in "
			 "[rowcast] (%s:%d)",
			 dir, dir, cfg->path,
			 rc_conf_line(&cfg->global, "state_dir"));
		rc_check_add(chk, RC_CHECK_FAIL, fix, "%s", why);
	}
}

/* Create the source of sec, read its checkpoint, run its check. */
static void
check_source(const struct rc_config *cfg, const struct rc_conf_section *sec,
	     struct rc_check *chk)
{
	const struct rc_source_ops *ops = rc_source_plugin(sec->type);
	const char *state_dir = rc_conf_str(&cfg->global, "state_dir");
	char err[RC_ERRLEN], path[4096], fix[RC_ERRLEN];
	struct rc_pos start = {0};
	struct rc_source *src;
	int have;

	if (!ops) {
		rc_check_add(chk, RC_CHECK_FAIL,
			     "use a rowcast built with it (./configure "
			     "--enable-...)",
			     "%s:%d: source type '%s' is not built into this "
			     "rowcast",
			     cfg->path, sec->line, sec->type);
		return;
	}
	err[0] = '\0';
	src = ops->create(cfg, sec, err, sizeof(err));
	if (!src) {
		rc_check_add(chk, RC_CHECK_FAIL, "correct the configuration",
			     "%s", err);
		return;
	}
	src->ops = ops;
	src->name = sec->name;
	src->cfg = cfg;
	src->sec = sec;

	rc_checkpoint_path(state_dir, sec->name, path, sizeof(path));
	have = rc_checkpoint_load(state_dir, src, &start, err, sizeof(err));
	if (have < 0) {
		snprintf(fix, sizeof(fix),
			 "restore the file from a backup; removing it makes "
			 "rowcast start from the server's current position "
			 "(changes since the checkpoint are then not sent)");
		rc_check_add(chk, RC_CHECK_FAIL, fix,
			     "the checkpoint cannot be read: %s", err);
	} else if (have == 0) {
		rc_check_ok(chk,
			    "no checkpoint (%s): the first run starts "
			    "from the server's current position",
			    path);
	} else {
		struct rc_buf b;

		rc_buf_init(&b, 64 * 1024);
		if (ops->format_pos(&start, &b) == 0 &&
		    rc_buf_putc(&b, '\0') == 0) {
			for (char *p = b.data; *p; p++)
				if (*p == '\n')
					*p = p[1] ? ',' : '\0';
			rc_check_ok(chk, "checkpoint %s: %s", path, b.data);
		} else {
			rc_check_ok(chk, "checkpoint %s is readable", path);
		}
		rc_buf_free(&b);
	}
	if (ops->check)
		ops->check(src, have > 0 ? &start : NULL, chk);
	else
		rc_check_ok(chk, "no preflight for %s sources", ops->name);
	rc_pos_clear(&start);
	ops->destroy(src);
}

/* Does source section ssec send to the sink named sink? */
static int
sends_to(const struct rc_conf_section *ssec, const char *sink)
{
	char **names = NULL;
	int n = rc_conf_list(ssec, "sinks", &names), yes = n == 0;

	for (int i = 0; i < n; i++)
		if (strcmp(names[i], sink) == 0)
			yes = 1;
	rc_conf_list_free(names);
	return yes;
}

static void
check_sink(const struct rc_config *cfg, const struct rc_conf_section *sec,
	   struct rc_check *chk)
{
	const struct rc_sink_ops *ops = rc_sink_plugin(sec->type);
	const char **topics;
	int n = 0;

	if (!ops) {
		rc_check_add(chk, RC_CHECK_FAIL,
			     "use a rowcast built with it (./configure "
			     "--enable-...)",
			     "%s:%d: sink type '%s' is not built into this "
			     "rowcast",
			     cfg->path, sec->line, sec->type);
		return;
	}
	if (!ops->check) {
		rc_check_ok(chk, "no preflight for %s sinks", ops->name);
		return;
	}
	topics = calloc((size_t)chk->ntopics + 1, sizeof(*topics));
	if (!topics) {
		chk->oom = 1;
		return;
	}
	for (int i = 0; i < chk->ntopics; i++) {
		const struct rc_conf_section *ssec;

		for (int j = 0;
		     (ssec = rc_config_section(cfg, RC_SCOPE_SOURCE, j)); j++)
			if (!strcmp(ssec->name, chk->topics[i].source) &&
			    sends_to(ssec, sec->name))
				topics[n++] = chk->topics[i].topic;
	}
	ops->check(cfg, sec, topics, chk);
	free(topics);
}

void
rc_check_run(const struct rc_config *cfg, struct rc_check *chk)
{
	const struct rc_conf_section *sec;
	char subject[RC_MAX_NAME + 16];

	check_state_dir(cfg, chk);
	for (int i = 0; (sec = rc_config_section(cfg, RC_SCOPE_SOURCE, i));
	     i++) {
		snprintf(subject, sizeof(subject), "source %s", sec->name);
		chk->subject = subject;
		check_source(cfg, sec, chk);
	}
	for (int i = 0; (sec = rc_config_section(cfg, RC_SCOPE_SINK, i)); i++) {
		snprintf(subject, sizeof(subject), "sink %s", sec->name);
		chk->subject = subject;
		check_sink(cfg, sec, chk);
	}
	chk->subject = NULL;
}
