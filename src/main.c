/*
 * main.c -- the rowcast command line.
 *
 *   rowcast -c FILE        run the agent in the foreground (systemd runs it so)
 *   rowcast -n -c FILE     check the configuration file and exit
 *   rowcast check -c FILE  connect to every source and sink: what to fix
 *   rowcast --man 5|8      write rowcast.conf(5) or rowcast(8) (the build's)
 *   rowcast --version
 *   rowcast --help         usage and every configuration key
 *
 * Exit status: 0 clean stop, 1 runtime failure, 2 a problem only the user
 * can fix (configuration, database settings, a corrupt checkpoint).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "checkpoint.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "manpage.h"
#include "pipeline.h"
#include "plugins.h"
#include "redact.h"
#include "snapshot.h"
#include "tablecfg.h"

#define EXIT_RUNTIME 1
#define EXIT_CONFIG  2

#define OPT_MAN (RC_OPT_LONG_ONLY + 1)

/* The options: getopt's tables, --help and rowcast(8) are made from this. */
static const struct rc_cli_option options[] = {
	{"config", 'c', "FILE", "configuration file (INI)",
	 "The file is described in rowcast.conf(5)."},
	{"log-level", 'l', "LEVEL",
	 "error, warn, info or debug (overrides the file)",
	 "Overrides the log_level key of the [rowcast] section."},
	{"validate", 'n', NULL, "check the configuration file (-c) and exit",
	 "Load the file as a start would: every key checked against its "
	 "table, secrets read from their files and variables, the links "
	 "between sections, and each source's list of tables. Exit 0 when it "
	 "is valid, or 2 with FILE:LINE and what was expected. Nothing is "
	 "connected to and nothing is written, so it is safe next to a "
	 "running rowcast; run it as the service's user (runuser -u rowcast "
	 "-- rowcast -n -c FILE) to also check that this user can read the "
	 "files."},
	{"man", OPT_MAN, "SECTION",
	 "print the man page 5 (rowcast.conf) or 8 (rowcast)",
	 "SECTION is 5 for rowcast.conf(5) or 8 for rowcast(8); the page "
	 "goes to standard output in roff. The build makes the installed "
	 "pages so."},
	{"version", 'V', NULL, "print the version and exit", NULL},
	{"help", 'h', NULL, "print this help and exit", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]) - 1)

/* The subcommands: --help, the SYNOPSIS and rowcast(8) are made from this. */
static const struct rc_cli_command commands[] = {
	{"check", "-c FILE",
	 "connect to every source and sink and say what to fix",
	 "A preflight: load the file as a start would, then connect to every "
	 "source and sink and print one line per finding, OK, WARN or FAIL, "
	 "each WARN and FAIL with what to change. PostgreSQL: wal_level, free "
	 "replication slots and WAL senders, the role's REPLICATION right and "
	 "SELECT grants, each table's existence, primary key and replica "
	 "identity (and TOASTable columns under REPLICA IDENTITY DEFAULT), the "
	 "publication, the slot (its plugin, whether another process holds "
	 "it, whether it was invalidated, whether it still exists for a "
	 "checkpoint), max_slot_wal_keep_size. MySQL and MariaDB: log_bin, "
	 "binlog_format, binlog_row_image, binlog_row_metadata, "
	 "binlog_row_value_options, GTID mode, binlog retention, the user's "
	 "grants, each table's existence and primary key, whether the "
	 "checkpoint's binlog file is still on the server. Kafka: the brokers "
	 "answer a metadata request (with the kafka.* properties: TLS, SASL), "
	 "the topics exist, the schema registry answers and takes the "
	 "credentials. File sinks: the path can be written. The state "
	 "directory can be written and every checkpoint can be read. Nothing "
	 "is created on the servers, so it is safe next to a running rowcast. "
	 "Passwords are printed as ***. Exit 0 when rowcast can run (warnings "
	 "allowed), 2 when a finding is a FAIL."},
	{"snapshot", "-c FILE TABLE...",
	 "ask the running agent to snapshot tables again",
	 "Asks a running rowcast to read the named tables (schema.table, as "
	 "in `tables`) again, as `r` events, while their changes keep "
	 "streaming: the request is written to <state_dir>/<source>.snapshot-"
	 "request, which the agent picks up within about a second. The "
	 "snapshot is chunked and online like a table added to the "
	 "configuration, and resumes after a restart. Exit 2 when a table is "
	 "not captured by any source."},
	{NULL, NULL, NULL, NULL},
};

struct rc_runner {
	struct rc_pipeline *pl;
	const char *name; /* the source's name */
	pthread_t thread;
	int rc;
	int done;
	pthread_mutex_t *lock;
};

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: rowcast -c FILE       run the agent in the foreground\n"
		"       rowcast -n -c FILE    check the configuration and "
		"exit\n"
		"       rowcast check -c FILE connect to every source and sink "
		"and say\n"
		"                             what to fix (exit 2 on a FAIL)\n"
		"       rowcast --version\n"
		"       rowcast --help\n"
		"\n"
		"rowcast tails PostgreSQL's logical replication stream, turns "
		"every\n"
		"committed row change of the configured tables into an Avro "
		"event\n"
		"(the Debezium envelope) and publishes it to its sinks, "
		"checkpointing\n"
		"only what the sinks made durable.\n"
		"\n"
		"Options:\n");
	for (const struct rc_cli_option *o = options; o->name; o++) {
		char tag[64];

		if (o->key < RC_OPT_LONG_ONLY)
			snprintf(tag, sizeof(tag), "-%c, --%s%s%s", o->key,
				 o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(tag, sizeof(tag), "    --%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(out, "  %-22s %s\n", tag, o->help);
	}
	fprintf(out,
		"\n"
		"Exit status: 0 stopped cleanly, 1 runtime failure, 2 a "
		"problem to fix\n"
		"in the configuration or the database settings. See rowcast(8) "
		"and\n"
		"rowcast.conf(5).\n"
		"\n");
	rc_config_print_help(out);
}

/*
 * Create every source of cfg and destroy it again: a source's create only
 * checks and allocates (source.h), so this finds what the key tables
 * cannot (a table named twice, a bad slot name) without connecting.
 * 0, or EXIT_CONFIG with the reason printed.
 */
static int
validate_sources(const struct rc_config *cfg)
{
	const struct rc_conf_section *sec;
	char err[RC_ERRLEN];

	for (int i = 0; (sec = rc_config_section(cfg, RC_SCOPE_SOURCE, i));
	     i++) {
		const struct rc_source_ops *ops = rc_source_plugin(sec->type);
		struct rc_source *src;

		if (!ops) {
			fprintf(stderr,
				"rowcast: %s:%d: source type '%s' is not "
				"built into this rowcast\n",
				cfg->path, sec->line, sec->type);
			return EXIT_CONFIG;
		}
		err[0] = '\0';
		src = ops->create(cfg, sec, err, sizeof(err));
		if (!src) {
			char clean[RC_ERRLEN + 64];

			fprintf(stderr, "rowcast: %s\n",
				rc_redact(err, clean, sizeof(clean)));
			return EXIT_CONFIG;
		}
		ops->destroy(src);
	}
	return 0;
}

/*
 * rowcast check: the findings on standard output, one per line (log lines
 * go to standard error, only WARN and worse unless -l says otherwise). 0
 * when rowcast can run, EXIT_CONFIG when a finding is a FAIL.
 */
static int
run_check(const struct rc_config *cfg)
{
	struct rc_check chk;
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc_check_init(&chk);
	rc_check_run(cfg, &chk);
	rc_check_print(&chk, stdout);
	fflush(stdout);
	rc = rc_check_worst(&chk) == RC_CHECK_FAIL ? EXIT_CONFIG : 0;
	rc_check_free(&chk);
	return rc;
}

/* mkdir -p for the state directory; 0 or -1 with errno. */
static int
make_dirs(const char *path)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * Open the sinks a source sends to: those its `sinks` key names, or every
 * [sink] section. Each source gets its own instance of each sink, so a sink
 * is only ever used from one pipeline thread.
 */
static struct rc_sink **
open_sinks(const struct rc_config *cfg, const struct rc_conf_section *ssec,
	   int *nsinks, char *err, size_t errlen)
{
	const struct rc_conf_section *k;
	struct rc_sink **sinks = NULL;
	char **names = NULL;
	int n = 0, nnames;

	nnames = rc_conf_list(ssec, "sinks", &names);
	if (nnames < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; (k = rc_config_section(cfg, RC_SCOPE_SINK, i)); i++) {
		const struct rc_sink_ops *ops;
		struct rc_sink **grown;
		struct rc_sink *snk;
		int wanted = nnames == 0;

		for (int j = 0; j < nnames; j++)
			if (strcmp(names[j], k->name) == 0)
				wanted = 1;
		if (!wanted)
			continue;
		ops = rc_sink_plugin(k->type);
		if (!ops) {
			snprintf(err, errlen,
				 "%s:%d: sink type '%s' is not built "
				 "into this rowcast",
				 cfg->path, k->line, k->type);
			goto fail;
		}
		snk = ops->open(cfg, k, err, errlen);
		if (!snk)
			goto fail;
		snk->ops = ops;
		snk->name = k->name;
		grown = realloc(sinks, sizeof(*sinks) * (size_t)(n + 1));
		if (!grown) {
			ops->close(snk);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		sinks = grown;
		sinks[n++] = snk;
	}
	rc_conf_list_free(names);
	*nsinks = n;
	return sinks;
fail:
	for (int i = 0; i < n; i++)
		sinks[i]->ops->close(sinks[i]);
	free(sinks);
	rc_conf_list_free(names);
	return NULL;
}

static void *
runner_main(void *arg)
{
	struct rc_runner *r = arg;
	int rc;

	pthread_setname_np(pthread_self(), "rc-pipeline");
	rc = rc_pipeline_run(r->pl);

	pthread_mutex_lock(r->lock);
	r->rc = rc;
	r->done = 1;
	pthread_mutex_unlock(r->lock);
	return NULL;
}

/* The [source NAME] section of cfg, or NULL. */
static const struct rc_conf_section *
source_section(const struct rc_config *cfg, const char *name)
{
	const struct rc_conf_section *sec;

	for (int i = 0; (sec = rc_config_section(cfg, RC_SCOPE_SOURCE, i)); i++)
		if (!strcmp(sec->name, name))
			return sec;
	return NULL;
}

/* "a, b, c" of a list key, for comparing two configurations. */
static void
list_text(const struct rc_conf_section *sec, const char *key, char *buf,
	  size_t len)
{
	const char *v = rc_conf_str(sec, key);

	snprintf(buf, len, "%s", v ? v : "");
}

/*
 * SIGHUP: read the configuration file again and offer each running source
 * its new section; the source adds the tables that were added to its
 * `tables` (and snapshots them). Everything else takes a restart, which
 * is said. The new configuration is kept until exit: the sources refer to
 * it.
 */
static void
reload(const struct rc_config *cur, struct rc_runner *runners, int nrun,
       struct rc_config ***kept, int *nkept)
{
	char err[RC_ERRLEN], a[8192], b[8192];
	struct rc_config *ncfg, **g;

	rc_info("rowcast", "SIGHUP: reading %s again", cur->path);
	ncfg = rc_config_load(cur->path, err, sizeof(err));
	if (!ncfg) {
		rc_error("rowcast",
			 "%s (the running configuration stays in force)", err);
		return;
	}
	g = realloc(*kept, sizeof(*g) * (size_t)(*nkept + 1));
	if (!g) {
		rc_config_free(ncfg);
		return;
	}
	*kept = g;
	g[(*nkept)++] = ncfg;
	for (int i = 0; i < nrun; i++) {
		const struct rc_conf_section *os =
			source_section(cur, runners[i].name);
		const struct rc_conf_section *ns =
			source_section(ncfg, runners[i].name);

		if (!ns) {
			rc_warn_c("rowcast", RC_LOG_SRC(runners[i].name),
				  "[source %s] is gone from %s: restart "
				  "rowcast to stop it",
				  runners[i].name, cur->path);
			continue;
		}
		list_text(os, "tables", a, sizeof(a));
		list_text(ns, "tables", b, sizeof(b));
		if (strcmp(a, b) != 0)
			rc_pipeline_offer_reload(runners[i].pl, ncfg, ns);
		else
			rc_info_c("rowcast", RC_LOG_SRC(runners[i].name),
				  "no table added; other changes take a "
				  "restart");
	}
}

/*
 * Build one pipeline per source, run each on its own thread, and turn
 * SIGTERM/SIGINT into a graceful stop (a second signal stops at once: the
 * checkpoint on disk is consistent at every moment, so nothing is lost,
 * changes not yet checkpointed are sent again on the next start).
 */
static int run_agent(struct rc_config *cfg);

/* `rowcast snapshot -c FILE TABLE...`: a request per source. */
static int
run_snapshot_request(const struct rc_config *cfg, char **tables, int n)
{
	const char *state_dir = rc_conf_str(&cfg->global, "state_dir");
	const struct rc_conf_section *sec;
	char err[RC_ERRLEN];
	int *found = calloc((size_t)n, sizeof(int)), rc = 0;

	if (!found)
		return EXIT_RUNTIME;
	for (int i = 0; (sec = rc_config_section(cfg, RC_SCOPE_SOURCE, i));
	     i++) {
		struct rc_tablecfg *tcs = NULL;
		char **mine = calloc((size_t)n, sizeof(char *));
		int nt = 0, nmine = 0;

		if (!mine ||
		    rc_tablecfg_load(cfg, sec,
				     strcmp(sec->type, "postgresql") ? NULL
								     : "public",
				     &tcs, &nt, err, sizeof(err)) < 0) {
			free(mine);
			continue;
		}
		for (int k = 0; k < n; k++) {
			char name[2 * RC_MAX_NAME + 2];

			for (int j = 0; j < nt; j++) {
				snprintf(name, sizeof(name), "%s.%s",
					 tcs[j].schema, tcs[j].name);
				if (!strcmp(name, tables[k]) ||
				    (!strchr(tables[k], '.') &&
				     !strcmp(tcs[j].name, tables[k]) &&
				     !strcmp(sec->type, "postgresql") &&
				     !strcmp(tcs[j].schema, "public"))) {
					if ((mine[nmine] = strdup(name)))
						nmine++;
					found[k] = 1;
					break;
				}
			}
		}
		if (nmine &&
		    rc_snap_write_request(state_dir, sec->name, mine, nmine,
					  err, sizeof(err)) < 0) {
			fprintf(stderr, "rowcast snapshot: %s\n", err);
			rc = EXIT_RUNTIME;
		} else {
			for (int k = 0; k < nmine; k++)
				printf("source %s: snapshot of %s requested "
				       "(the running agent picks it up "
				       "within a second)\n",
				       sec->name, mine[k]);
		}
		rc_tablecfg_free(tcs, nt);
		for (int k = 0; k < nmine; k++)
			free(mine[k]);
		free(mine);
	}
	for (int k = 0; k < n; k++)
		if (!found[k]) {
			fprintf(stderr,
				"rowcast snapshot: %s is not a table any "
				"source of %s captures (expected "
				"schema.table as in `tables`)\n",
				tables[k], cfg->path);
			rc = EXIT_CONFIG;
		}
	free(found);
	return rc;
}

static int
run_agent(struct rc_config *cfg)
{
	const struct rc_conf_section *sec;
	struct rc_runner *runners = NULL;
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const char *listen = rc_conf_str(&cfg->global, "metrics_listen");
	struct rc_metrics *metrics = NULL;
	struct rc_http *http = NULL;
	char err[RC_ERRLEN];
	const char *state_dir = rc_conf_str(&cfg->global, "state_dir");
	int nrun = 0, exit_rc = 0, signals = 0, nreloaded = 0;
	struct rc_config **reloaded = NULL;
	sigset_t set;

	/* Signals are taken by this thread only, with sigtimedwait() below.
	 * Blocked before anything else, so that a SIGTERM during start-up
	 * (recovering files, connecting) waits for the loop and stops rowcast
	 * gracefully instead of killing it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (make_dirs(state_dir) < 0) {
		rc_error("rowcast", "state_dir %s: %s", state_dir,
			 strerror(errno));
		return EXIT_CONFIG;
	}

	for (int i = 0; (sec = rc_config_section(cfg, RC_SCOPE_SOURCE, i));
	     i++) {
		const struct rc_source_ops *ops = rc_source_plugin(sec->type);
		struct rc_source *src;
		struct rc_sink **sinks;
		struct rc_pos start = {0};
		struct rc_runner *grown;
		int nsinks = 0, have;

		if (!ops) {
			rc_error("rowcast",
				 "%s:%d: source type '%s' is not built "
				 "into this rowcast",
				 cfg->path, sec->line, sec->type);
			exit_rc = EXIT_CONFIG;
			goto out;
		}
		src = ops->create(cfg, sec, err, sizeof(err));
		if (!src) {
			rc_error_c("rowcast", RC_LOG_SRC(sec->name), "%s", err);
			exit_rc = EXIT_CONFIG;
			goto out;
		}
		src->ops = ops;
		src->name = sec->name;
		src->cfg = cfg;
		src->sec = sec;
		have = rc_checkpoint_load(state_dir, src, &start, err,
					  sizeof(err));
		if (have < 0) {
			rc_error_c("rowcast", RC_LOG_SRC(sec->name), "%s", err);
			ops->destroy(src);
			exit_rc = EXIT_CONFIG;
			goto out;
		}
		err[0] = '\0';
		sinks = open_sinks(cfg, sec, &nsinks, err, sizeof(err));
		if (!sinks && err[0]) {
			rc_error_c("rowcast", RC_LOG_SRC(sec->name), "%s", err);
			ops->destroy(src);
			rc_pos_clear(&start);
			exit_rc = EXIT_CONFIG;
			goto out;
		}
		grown = realloc(runners, sizeof(*runners) * (size_t)(nrun + 1));
		if (!grown) {
			rc_error("rowcast", "out of memory");
			exit_rc = EXIT_RUNTIME;
			rc_pos_clear(&start);
			goto out;
		}
		runners = grown;
		memset(&runners[nrun], 0, sizeof(runners[nrun]));
		runners[nrun].lock = &lock;
		runners[nrun].name = sec->name;
		runners[nrun].pl =
			rc_pipeline_new(cfg, src, sinks, nsinks,
					have ? &start : NULL, err, sizeof(err));
		rc_pos_clear(&start);
		if (!runners[nrun].pl) {
			rc_error_c("rowcast", RC_LOG_SRC(sec->name), "%s", err);
			exit_rc = EXIT_RUNTIME;
			goto out;
		}
		if (have)
			rc_info_c("rowcast", RC_LOG_SRC(sec->name),
				  "resumes from its checkpoint");
		else
			rc_info_c("rowcast", RC_LOG_SRC(sec->name),
				  "has no checkpoint: first run");
		nrun++;
	}

	/* the endpoint serves the pipelines' metrics: it starts after them
	 * and stops before they are freed */
	if (listen && listen[0]) {
		metrics = malloc(sizeof(*metrics));
		if (!metrics) {
			rc_error("rowcast", "out of memory");
			exit_rc = EXIT_RUNTIME;
			goto out;
		}
		rc_metrics_init(metrics, PACKAGE_VERSION);
		for (int i = 0; i < nrun; i++)
			if (rc_metrics_add(metrics,
					   rc_pipeline_metrics(runners[i].pl)) <
			    0) {
				rc_error("rowcast",
					 "more than %d sources: the metrics "
					 "show the first %d",
					 RC_METRICS_MAX_SOURCES,
					 RC_METRICS_MAX_SOURCES);
				break;
			}
		http = rc_http_start(listen, metrics, err, sizeof(err));
		if (!http) {
			rc_error("rowcast", "%s:%d: %s", cfg->path,
				 rc_conf_line(&cfg->global, "metrics_listen"),
				 err);
			exit_rc = EXIT_CONFIG;
			goto out;
		}
	}

	for (int i = 0; i < nrun; i++)
		if (pthread_create(&runners[i].thread, NULL, runner_main,
				   &runners[i]) != 0) {
			rc_error("rowcast", "cannot start a pipeline thread");
			runners[i].done = 1;
			runners[i].rc = EXIT_RUNTIME;
		}
	rc_info("rowcast", "rowcast %s running with %d source(s)",
		PACKAGE_VERSION, nrun);

	for (;;) {
		struct timespec ts = {0, 200 * 1000000L};
		int all_done = 1, sig;

		pthread_mutex_lock(&lock);
		for (int i = 0; i < nrun; i++)
			if (!runners[i].done)
				all_done = 0;
		pthread_mutex_unlock(&lock);
		if (all_done)
			break;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGHUP) {
			reload(cfg, runners, nrun, &reloaded, &nreloaded);
		} else if (sig > 0) {
			if (++signals > 1) {
				rc_warn("rowcast",
					"second signal: stopping now; "
					"changes not yet checkpointed "
					"will be sent again");
				exit(EXIT_RUNTIME);
			}
			rc_info("rowcast", "%s: draining and stopping",
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
			for (int i = 0; i < nrun; i++)
				rc_pipeline_request_stop(runners[i].pl);
		} else {
			/* one pipeline failing stops the others too */
			pthread_mutex_lock(&lock);
			for (int i = 0; i < nrun; i++)
				if (runners[i].done && runners[i].rc != 0)
					for (int j = 0; j < nrun; j++)
						rc_pipeline_request_stop(
							runners[j].pl);
			pthread_mutex_unlock(&lock);
		}
	}
	for (int i = 0; i < nrun; i++) {
		pthread_join(runners[i].thread, NULL);
		if (runners[i].rc > exit_rc)
			exit_rc = runners[i].rc;
	}
out:
	rc_http_stop(http);
	free(metrics);
	for (int i = 0; i < nrun; i++)
		rc_pipeline_free(runners[i].pl);
	free(runners);
	for (int i = 0; i < nreloaded; i++)
		rc_config_free(reloaded[i]);
	free(reloaded);
	if (exit_rc == 0)
		rc_info("rowcast", "stopped cleanly");
	return exit_rc;
}

int
main(int argc, char **argv)
{
	struct option longopts[NOPTIONS + 1];
	char optstring[2 * NOPTIONS + 1];
	const char *path = NULL, *level = NULL;
	struct rc_config *cfg;
	char err[RC_ERRLEN];
	int c, rc, validate = 0, check = 0, snap_first = 0;
	size_t n = 0;

	/* getopt's tables from options[] */
	for (size_t i = 0; i < NOPTIONS; i++) {
		longopts[i].name = options[i].name;
		longopts[i].has_arg =
			options[i].arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val = options[i].key;
		if (options[i].key < RC_OPT_LONG_ONLY) {
			optstring[n++] = (char)options[i].key;
			if (options[i].arg)
				optstring[n++] = ':';
		}
	}
	memset(&longopts[NOPTIONS], 0, sizeof(longopts[NOPTIONS]));
	optstring[n] = '\0';

	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'l':
			level = optarg;
			break;
		case 'n':
			validate = 1;
			break;
		case OPT_MAN:
			if (strcmp(optarg, "5") == 0) {
				rc = rc_config_print_man(stdout);
			} else if (strcmp(optarg, "8") == 0) {
				rc = rc_man_rowcast(stdout, commands, options);
			} else {
				fprintf(stderr,
					"rowcast: bad --man '%s'; expected 5 "
					"(rowcast.conf) or 8 (rowcast)\n",
					optarg);
				return EXIT_CONFIG;
			}
			if (rc < 0 || fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "rowcast: cannot write the "
						"man page\n");
				return EXIT_RUNTIME;
			}
			return 0;
		case 'V':
			printf("rowcast %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind < argc && strcmp(argv[optind], "check") == 0) {
		check = 1;
		optind++;
	} else if (optind < argc && strcmp(argv[optind], "snapshot") == 0) {
		snap_first = ++optind;
		if (optind >= argc) {
			fprintf(stderr, "rowcast snapshot: name the tables "
					"(schema.table ...)\n");
			return EXIT_CONFIG;
		}
		optind = argc;
	}
	if (optind < argc) {
		fprintf(stderr, "rowcast: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_CONFIG;
	}
	if (check && validate) {
		fprintf(stderr, "rowcast: check and -n do not go together\n");
		return EXIT_CONFIG;
	}
	if (!path) {
		fprintf(stderr, "rowcast: no configuration file; use -c FILE "
				"(see rowcast --help)\n");
		return EXIT_CONFIG;
	}
	if (level && rc_log_level_parse(level) < 0) {
		fprintf(stderr,
			"rowcast: bad --log-level '%s'; expected "
			"error, warn, info or debug\n",
			level);
		return EXIT_CONFIG;
	}
	cfg = rc_config_load(path, err, sizeof(err));
	if (!cfg) {
		char clean[RC_ERRLEN + 64];

		rc_redact(err, clean, sizeof(clean));
		if (check)
			printf("FAIL  config: %s (fix: correct the file)\n"
			       "rowcast check: 1 failed: rowcast cannot run "
			       "until the failures are fixed\n",
			       clean);
		else
			fprintf(stderr, "rowcast: %s\n", clean);
		return EXIT_CONFIG;
	}
	rc_log_set_format((enum rc_log_format)rc_log_format_parse(
		rc_conf_str(&cfg->global, "log_format")));
	rc_log_set_level((enum rc_log_level)rc_log_level_parse(
		rc_conf_str(&cfg->global, "log_level")));
	if (level)
		rc_log_set_level((enum rc_log_level)rc_log_level_parse(level));
	else if (check && rc_log_get_level() > RC_LOG_WARN)
		rc_log_set_level(RC_LOG_WARN); /* the findings say it all */
	if (check) {
		rc = run_check(cfg);
	} else if (snap_first) {
		rc = run_snapshot_request(cfg, argv + snap_first,
					  argc - snap_first);
	} else if (validate) {
		rc = validate_sources(cfg);
		if (rc == 0)
			printf("%s: configuration OK\n", path);
	} else {
		rc = run_agent(cfg);
	}
	rc_config_free(cfg);
	return rc;
}
