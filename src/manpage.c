/*
 * manpage.c -- roff escaping and the rowcast(8) page (manpage.h).
 *
 * The page is written from what the code declares: the options from the
 * table main.c parses, the configuration from config.c. The prose around
 * them (signals, exit status, files) describes main.c's behaviour and lives
 * here, next to nothing else, so that a change of that behaviour has one
 * obvious place to be documented.
 */
#include "manpage.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------------
 * Escaping
 * --------------------------------------------------------------------- */

/*
 * Write one character of text. prev is the character before it in the
 * output line (0 at the start of the line), to tell a word-initial '-'.
 */
static void
rc_roff_char(FILE *out, int mode, char c, char prev)
{
	switch (c) {
	case '\\':
		fputs("\\e", out);
		return;
	case '-':
		if (mode == RC_ROFF_LITERAL || prev == 0 || prev == ' ' ||
		    prev == '(' || prev == '[' || prev == '|' || prev == '-' ||
		    prev == '=' || prev == '"')
			fputs("\\-", out);
		else
			fputc('-', out);
		return;
	case '\'':
		fputs(mode == RC_ROFF_LITERAL ? "\\(aq" : "'", out);
		return;
	case '`':
		fputs(mode == RC_ROFF_LITERAL ? "\\(ga" : "`", out);
		return;
	case '^':
		fputs("\\(ha", out);
		return;
	case '~':
		fputs("\\(ti", out);
		return;
	case '\t':
		fputc(' ', out);
		return;
	default:
		fputc(c, out);
	}
}

void
rc_roff_inline(FILE *out, int mode, const char *text)
{
	char prev = ' ';

	for (const char *p = text ? text : ""; *p; p++) {
		char c = *p == '\n' ? ' ' : *p;

		rc_roff_char(out, mode, c, prev);
		prev = c;
	}
}

/*
 * Write one input line of roff text (already escaped, no newline) and end
 * it, breaking it at blanks into lines of at most RC_ROFF_WIDTH bytes where
 * it can: in filled text a line break is a blank. A blank escaped with a
 * backslash, and one followed by a '.' or '\'' (which would start a
 * request), is no place to break. Request lines (".TP") are written whole.
 */
#define RC_ROFF_WIDTH 78

static void
rc_roff_emit(FILE *out, const char *line, size_t len, int fill)
{
	while (fill && line[0] != '.' && line[0] != '\'' &&
	       len > RC_ROFF_WIDTH) {
		size_t cut = 0;

		for (size_t i = 1; i < len - 1; i++) {
			if (line[i] != ' ' || line[i - 1] == '\\' ||
			    line[i + 1] == '.' || line[i + 1] == '\'' ||
			    line[i + 1] == ' ')
				continue;
			if (i <= RC_ROFF_WIDTH || !cut)
				cut = i;
			if (i > RC_ROFF_WIDTH)
				break;
		}
		if (!cut)
			break;
		fwrite(line, 1, cut, out);
		fputc('\n', out);
		line += cut + 1;
		len -= cut + 1;
	}
	fwrite(line, 1, len, out);
	fputc('\n', out);
}

void
rc_roff_raw(FILE *out, const char *roff)
{
	const char *p = roff ? roff : "";
	int fill = 1;

	while (*p) {
		size_t len = strcspn(p, "\n");

		if (p[0] == '.') {
			if (strncmp(p, ".nf", 3) == 0 ||
			    strncmp(p, ".EX", 3) == 0)
				fill = 0;
			else if (strncmp(p, ".fi", 3) == 0 ||
				 strncmp(p, ".EE", 3) == 0)
				fill = 1;
		}
		rc_roff_emit(out, p, len, fill);
		p += len + (p[len] == '\n');
	}
}

void
rc_roff_lines(FILE *out, int mode, const char *text)
{
	const char *p = text ? text : "";

	for (;;) {
		size_t len = strcspn(p, "\n");
		char prev = 0;

		if (len == 0 && mode == RC_ROFF_LITERAL) {
			fputs("\\&", out);
		} else {
			/* leading blanks would break a filled paragraph */
			if (mode == RC_ROFF_PROSE)
				while (len && (*p == ' ' || *p == '\t')) {
					p++;
					len--;
				}
			if (len && (*p == '.' || *p == '\''))
				fputs("\\&", out);
			for (size_t i = 0; i < len; i++) {
				rc_roff_char(out, mode, p[i], prev);
				prev = p[i];
			}
		}
		fputc('\n', out);
		if (!p[len] || !p[len + 1])
			break;
		p += len + 1;
	}
}

void
rc_roff_th(FILE *out, const char *title, int section, const char *manual)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char date[32] = "";
	time_t t = time(NULL);
	struct tm tm;

	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);

		if (!*end && v >= 0)
			t = (time_t)v;
	}
	if (gmtime_r(&t, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	fputs(".TH \"", out);
	for (const char *t = title; *t; t++)
		fputc(*t >= 'a' && *t <= 'z' ? *t - 'a' + 'A' : *t, out);
	fprintf(out, "\" %d \"%s\" \"rowcast %s\" \"%s\"\n", section, date,
		PACKAGE_VERSION, manual);
	/* no hyphenation, ragged right: paths and key names stay whole */
	fputs(".nh\n.ad l\n", out);
}

/* ---------------------------------------------------------------------
 * rowcast(8)
 * --------------------------------------------------------------------- */

/* "-c FILE, --config=FILE" in roff fonts. */
static void
rc_man_option_tag(FILE *out, const struct rc_cli_option *o)
{
	if (o->key < RC_OPT_LONG_ONLY) {
		fprintf(out, "\\fB\\-%c\\fR", o->key);
		if (o->arg) {
			fputs(" \\fI", out);
			rc_roff_inline(out, RC_ROFF_LITERAL, o->arg);
			fputs("\\fR", out);
		}
		fputs(", ", out);
	}
	fputs("\\fB\\-\\-", out);
	rc_roff_inline(out, RC_ROFF_LITERAL, o->name);
	fputs("\\fR", out);
	if (o->arg) {
		fputs("=\\fI", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
}

static const char rc_man8_description[] =
	"rowcast is a change-data-capture agent. It follows a database's own "
	"replication stream (PostgreSQL's logical replication with the "
	"pgoutput plugin), turns every committed row change of the tables it "
	"is told to capture into an event in the Debezium envelope encoded "
	"with Avro, and hands the events to its sinks: Kafka (through "
	"librdkafka, with or without a Confluent-compatible schema registry), "
	"Avro object container files, and JSON lines on standard output.\n"
	"It remembers how far it got in checkpoint files under its state "
	"directory, and it lets the database forget a change only once every "
	"sink has made that change durable, so a crash, a restart or a full "
	"disk never loses a committed change; after a crash some changes may "
	"be sent again, with the same event_id header.";

static const char rc_man8_running[] =
	"rowcast runs in the foreground and logs to standard error, one line "
	"per message with its time, level and component, as a service manager "
	"expects (with log_format = json in rowcast.conf, one JSON object per "
	"line with the source and table it is about). Passwords in connection "
	"strings and URLs are replaced with *** in every line. The Debian "
	"package runs it as the system user rowcast from "
	"the systemd unit rowcast.service, which is installed but not enabled: "
	"edit /etc/rowcast/rowcast.conf, check it with rowcast -n, then run "
	"systemctl enable --now rowcast. The unit makes the whole file system "
	"read-only for rowcast except /var/lib/rowcast; a file sink path or a "
	"state_dir elsewhere needs a ReadWritePaths= line in a drop-in "
	"(systemctl edit rowcast).\n"
	"A server that goes away (a restart, the network) is retried with "
	"exponential backoff and every retry is logged with its reason. "
	"Problems that only the user can fix stop rowcast at once with exit "
	"status 2 and a message that names the fix.";

static const char rc_man8_signals[] =
	".TP\n"
	".BR SIGTERM \", \" SIGINT\n"
	"Stop gracefully: stop reading the sources, wait until the sinks have "
	"made every queued event durable (at most shutdown_timeout, 30 seconds "
	"by default), write the final checkpoint, and exit 0. A second signal "
	"stops at once with status 1; the checkpoint on disk is consistent at "
	"every moment, so that only means that the changes after it are sent "
	"again on the next start.\n"
	".TP\n"
	".B SIGHUP\n"
	"Ignored (logged): restart rowcast to apply a new configuration.\n";

static const char rc_man8_exit[] =
	".TP\n"
	".B 0\n"
	"Stopped cleanly (SIGTERM or SIGINT: the queue drained, the sinks "
	"flushed, the final checkpoint written), or the option asked for was "
	"done (\\-\\-validate found no problem, rowcast check found no "
	"failure, \\-\\-version, \\-\\-help).\n"
	".TP\n"
	".B 1\n"
	"Runtime failure: a sink failed, the shutdown timed out, a server sent "
	"something unexpected. The systemd unit restarts rowcast after it.\n"
	".TP\n"
	".B 2\n"
	"A problem only the user can fix: a configuration error (the message "
	"names the file, the line and what was expected), a bad option, "
	"wal_level not logical, a missing table, a table that cannot publish "
	"its updates, a missing replication slot with an existing checkpoint, "
	"a corrupt checkpoint, a failed login; for rowcast check, at least "
	"one FAIL. The systemd unit does not "
	"restart rowcast after it (RestartPreventExitStatus=2).\n";

static const char rc_man8_files[] =
	".TP\n"
	".I /etc/rowcast/rowcast.conf\n"
	"The configuration file that the systemd unit passes with \\-c; see\n"
	".BR rowcast.conf (5).\n"
	"It may hold passwords: the Debian package installs it mode 0640, "
	"owned by root and the group rowcast.\n"
	".TP\n"
	".I /var/lib/rowcast\n"
	"The default state_dir: one checkpoint file per source "
	"(\\fISOURCE\\fR.checkpoint), the Avro schemas rowcast published "
	"(schemas/) and the ids a schema registry gave them (registry/). It "
	"belongs to the user rowcast, mode 0750.\n"
	".TP\n"
	".I /lib/systemd/system/rowcast.service\n"
	"The systemd unit.\n"
	".TP\n"
	".I /usr/share/doc/rowcast/examples/rowcast.conf.example\n"
	"The commented example configuration, as shipped.\n";

static const char rc_man8_environment[] =
	"rowcast reads no environment variable of its own. A secret key of "
	"the configuration may name one (\\fIKEY\\fB_env\\fR = "
	"\\fIVARIABLE\\fR); under systemd, set it in a drop-in with "
	"Environment= or EnvironmentFile=.\n";

/*
 * rowcast(8) into out, long lines and all. The options come from opts, the
 * table main.c parses; everything else describes main.c's behaviour.
 */
static void
rc_man_rowcast_page(FILE *out, const struct rc_cli_command *cmds,
		    const struct rc_cli_option *opts)
{
	rc_roff_th(out, "rowcast", 8, "System Administration");
	fputs(".SH NAME\n"
	      "rowcast \\- stream database row changes as Avro events to "
	      "Kafka and files\n"
	      ".SH SYNOPSIS\n"
	      ".B rowcast\n"
	      ".B \\-c\n"
	      ".I FILE\n"
	      ".RB [ \\-l\n"
	      ".IR LEVEL ]\n"
	      ".br\n"
	      ".B rowcast \\-n \\-c\n"
	      ".I FILE\n"
	      ".br\n",
	      out);
	for (const struct rc_cli_command *c = cmds; c && c->name; c++) {
		fputs(".B rowcast ", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, c->name);
		fputc('\n', out);
		/* "-c FILE": the option bold, its argument italic */
		if (c->args && strncmp(c->args, "-c ", 3) == 0) {
			fputs(".B \\-c\n.I ", out);
			rc_roff_inline(out, RC_ROFF_LITERAL, c->args + 3);
			fputc('\n', out);
		} else if (c->args) {
			fputs(".I ", out);
			rc_roff_inline(out, RC_ROFF_LITERAL, c->args);
			fputc('\n', out);
		}
		fputs(".br\n", out);
	}
	fputs(".B rowcast \\-\\-man\n"
	      ".RB { 5 | 8 }\n"
	      ".br\n"
	      ".B rowcast\n"
	      ".RB { \\-\\-version | \\-\\-help }\n"
	      ".SH DESCRIPTION\n",
	      out);
	for (const char *p = rc_man8_description; *p;) {
		size_t len = strcspn(p, "\n");
		char *para = strndup(p, len);

		if (para) {
			if (p != rc_man8_description)
				fputs(".PP\n", out);
			rc_roff_lines(out, RC_ROFF_PROSE, para);
			free(para);
		}
		p += len + (p[len] == '\n');
	}
	fputs(".PP\nThe configuration file, its sections and every key are "
	      "described in\n.BR rowcast.conf (5).\n",
	      out);

	fputs(".SH COMMANDS\n", out);
	for (const struct rc_cli_command *c = cmds; c && c->name; c++) {
		fputs(".TP\n\\fB", out);
		rc_roff_inline(out, RC_ROFF_LITERAL, c->name);
		fputs("\\fR", out);
		if (c->args) {
			fputs(" \\fI", out);
			rc_roff_inline(out, RC_ROFF_LITERAL, c->args);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		rc_roff_lines(out, RC_ROFF_PROSE, c->help);
		if (c->detail) {
			fputs(".br\n", out);
			rc_roff_lines(out, RC_ROFF_PROSE, c->detail);
		}
	}
	fputs(".SH OPTIONS\n", out);
	for (const struct rc_cli_option *o = opts; o && o->name; o++) {
		fputs(".TP\n", out);
		rc_man_option_tag(out, o);
		rc_roff_lines(out, RC_ROFF_PROSE, o->help);
		if (o->detail) {
			fputs(".br\n", out);
			rc_roff_lines(out, RC_ROFF_PROSE, o->detail);
		}
	}

	fputs(".SH OPERATION\n", out);
	for (const char *p = rc_man8_running; *p;) {
		size_t len = strcspn(p, "\n");
		char *para = strndup(p, len);

		if (para) {
			if (p != rc_man8_running)
				fputs(".PP\n", out);
			rc_roff_lines(out, RC_ROFF_PROSE, para);
			free(para);
		}
		p += len + (p[len] == '\n');
	}
	fputs(".SH SIGNALS\n", out);
	fputs(rc_man8_signals, out);
	fputs(".SH EXIT STATUS\n", out);
	fputs(rc_man8_exit, out);
	fputs(".SH ENVIRONMENT\n", out);
	fputs(rc_man8_environment, out);
	fputs(".SH FILES\n", out);
	fputs(rc_man8_files, out);
	fputs(".SH SEE ALSO\n"
	      ".BR rowcast.conf (5),\n"
	      ".BR systemctl (1),\n"
	      ".BR systemd.exec (5),\n"
	      ".BR pg_recvlogical (1)\n",
	      out);
}

int
rc_man_rowcast(FILE *out, const struct rc_cli_command *cmds,
	       const struct rc_cli_option *opts)
{
	char *page = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&page, &len);
	int rc = -1;

	if (!mem)
		return -1;
	rc_man_rowcast_page(mem, cmds, opts);
	if (fclose(mem) == 0) {
		rc_roff_raw(out, page);
		rc = 0;
	}
	free(page);
	return rc;
}
