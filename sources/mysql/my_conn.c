/*
 * my_conn.c -- a replication connection to MySQL or MariaDB (my_conn.h).
 *
 * Connector/C does the connection: TCP or Unix socket, TLS, authentication
 * plugins (mysql_native_password, caching_sha2_password, ed25519 ...), and
 * ordinary queries. The replication commands are sent by hand through the
 * connection's method table (m->methods->db_command, public in mysql.h) and
 * the stream is read packet by packet with mysql_net_read_packet(), because
 * Connector/C 3.3's mariadb_rpl misparses ROTATE events and rows (LAB.md
 * section 2). Every reply we parse ourselves goes through the
 * bounds-checked reader: a short or lying packet is an error, not a crash.
 *
 * Timeouts: every read on the connection times out after
 * max(3 x heartbeat, 5 s). While streaming, the server sends a heartbeat
 * every heartbeat_ms when it has nothing else to send, so a server that
 * died without closing the socket (power loss, a cable, SIGSTOP) is
 * noticed within that time instead of blocking forever.
 *
 * The password is handed to Connector/C and never kept, logged or put in
 * an error string by this file.
 *
 * @locality one thread at a time per connection.
 */
#include "my_conn.h"

#include <ctype.h>
#include <poll.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "buf.h"
#include "limits.h"
#include "my_gtid.h"
#include "reader.h"

/* Replication commands Connector/C's enum lacks or names differently. */
#define MY_COM_BINLOG_DUMP_GTID 0x1e
/* COM_BINLOG_DUMP flags */
#define MY_DUMP_SEND_ANNOTATE_ROWS 0x02 /* MariaDB: ANNOTATE_ROWS events */
/* COM_BINLOG_DUMP_GTID flags */
#define MY_DUMP_THROUGH_GTID 0x04
/* @mariadb_slave_capability: GTID events, GTID_LIST, checkpoints */
#define MY_MARIA_CAPABILITY_GTID 4

#define MY_EVENT_HEADER 19

/* MariaDB 10.x: a second reader with our server_id took over the dump */
#define MY_ER_SLAVE_SAME_ID 4052

struct my_conn {
	MYSQL *m;
	int mariadb;
	unsigned long version_num; /* 100119 = 10.11.19, 80400 = 8.4.0 */
	char version[128];
	char version_comment[128];
	int heartbeat_ms;
	int read_timeout_s;
	uint32_t server_id;
	int streaming;	 /* the dump command was sent */
	int broken;	 /* the stream failed: the connection is unusable */
	char start[512]; /* where the dump started, for messages */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Errors: transient or not                                           */
/* ------------------------------------------------------------------ */

/* Connector/C's own errors (2000-2999, 5000-5999), not the server's. */
static int
is_client_errno(unsigned e)
{
	return (e >= 2000 && e < 3000) || (e >= 5000 && e < 6000);
}

/*
 * Errors that may go away by themselves: the server is down, restarting,
 * shutting down, full of connections, or the network dropped. Everything
 * else (access denied, unknown database or host, TLS refused, a purged
 * binlog, a missing privilege) needs the user.
 */
int
my_conn_error_is_transient(unsigned e)
{
	switch (e) {
	case 0:				   /* a lost connection */
	case CR_CONNECTION_ERROR:	   /* 2002 socket: nobody listens */
	case CR_CONN_HOST_ERROR:	   /* 2003 TCP: refused, unreachable */
	case CR_SERVER_GONE_ERROR:	   /* 2006 */
	case CR_SERVER_LOST:		   /* 2013 incl. read timeouts */
	case CR_SERVER_LOST_EXTENDED:	   /* 2055 */
	case CR_ERR_NET_READ:		   /* 5013 */
	case CR_ERR_NET_WRITE:		   /* 5014 */
	case ER_CON_COUNT_ERROR:	   /* 1040 too many connections */
	case ER_SERVER_SHUTDOWN:	   /* 1053 */
	case ER_NET_READ_ERROR:		   /* 1158 */
	case ER_NET_READ_INTERRUPTED:	   /* 1159 */
	case ER_NET_ERROR_ON_WRITE:	   /* 1160 */
	case ER_NET_WRITE_INTERRUPTED:	   /* 1161 */
	case ER_TOO_MANY_USER_CONNECTIONS: /* 1203 */
	case ER_QUERY_INTERRUPTED:	   /* 1317 killed */
	case ER_LOCK_WAIT_TIMEOUT:	   /* 1205 */
	case 1927:			   /* MariaDB ER_CONNECTION_KILLED */
	case 3169:			   /* MySQL ER_SESSION_WAS_KILLED */
		return 1;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* Connecting                                                         */
/* ------------------------------------------------------------------ */

/* Replace every copy of the password in s by "***" (s is NUL-ended and
 * has room: the replacement is never longer than a 3+ byte password). */
static void
scrub(char *s, const char *password)
{
	size_t pl = password ? strlen(password) : 0;
	char *p;

	if (pl < 3)
		return;
	while ((p = strstr(s, password)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + pl, strlen(p + pl) + 1);
	}
}

static int
read_timeout_for(int heartbeat_ms)
{
	int t = (3 * heartbeat_ms + 999) / 1000;

	return t < 5 ? 5 : t;
}

/* Run a query that returns rows; NULL with err set. */
static MYSQL_RES *
query(struct my_conn *c, const char *sql, char *err, size_t errlen)
{
	MYSQL_RES *res;

	if (mysql_query(c->m, sql) != 0) {
		seterr(err, errlen, "%s: error %u: %s", sql, mysql_errno(c->m),
		       mysql_error(c->m));
		return NULL;
	}
	res = mysql_store_result(c->m);
	if (!res)
		seterr(err, errlen, "%s: error %u: %s", sql, mysql_errno(c->m),
		       mysql_errno(c->m) ? mysql_error(c->m)
					 : "the statement returned no rows");
	return res;
}

/* Run a statement that returns no rows; 0 or -1 with err set. */
static int
exec(struct my_conn *c, const char *sql, char *err, size_t errlen)
{
	MYSQL_RES *res;

	if (mysql_query(c->m, sql) != 0) {
		seterr(err, errlen, "%s: error %u: %s", sql, mysql_errno(c->m),
		       mysql_error(c->m));
		return -1;
	}
	res = mysql_store_result(c->m);
	mysql_free_result(res);
	return 0;
}

static int
str_has(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

/*
 * ssl_mode, as in MySQL's client:
 *   disabled         no TLS
 *   preferred        TLS when the server offers it (the default)
 *   required         TLS or fail; the certificate is not checked
 *   verify_ca        TLS, the certificate checked against ssl_ca
 *   verify_identity  the same and the host name must match
 * Connector/C 3.3 has one switch for both checks, so verify_ca also checks
 * the host name: stricter than asked, never weaker.
 */
static int
set_tls(MYSQL *m, const struct my_conn_opts *o, int *want_tls, char *err,
	size_t errlen)
{
	const char *mode = o->ssl_mode ? o->ssl_mode : "preferred";
	my_bool on = 1;
	int verify = 0;

	*want_tls = 0;
	if (strcasecmp(mode, "disabled") == 0)
		return 0;
	if (strcasecmp(mode, "preferred") == 0) {
		/* use_ssl without verification: Connector/C 3.3 falls back
		 * to plain text when the server has no TLS */
	} else if (strcasecmp(mode, "required") == 0) {
		*want_tls = 1;
	} else if (strcasecmp(mode, "verify_ca") == 0 ||
		   strcasecmp(mode, "verify_identity") == 0) {
		*want_tls = 1;
		verify = 1;
		if (!o->ssl_ca || !o->ssl_ca[0]) {
			seterr(err, errlen,
			       "ssl_mode=%s needs ssl_ca (the CA certificate "
			       "that signed the server's certificate)",
			       mode);
			return -1;
		}
	} else {
		seterr(err, errlen,
		       "ssl_mode=%s: expected disabled, preferred, required, "
		       "verify_ca or verify_identity",
		       mode);
		return -1;
	}
	mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &on);
	if (o->ssl_ca && o->ssl_ca[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CA, o->ssl_ca);
	if (o->ssl_cert && o->ssl_cert[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_CERT, o->ssl_cert);
	if (o->ssl_key && o->ssl_key[0])
		mysql_optionsv(m, MYSQL_OPT_SSL_KEY, o->ssl_key);
	if (verify)
		mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
	return 0;
}

struct my_conn *
my_conn_open(const struct my_conn_opts *opts, int *transient, char *err,
	     size_t errlen)
{
	struct my_conn *c;
	unsigned int ct, rt;
	unsigned long maxpkt = RC_MAX_SERVER_MESSAGE;
	const char *host = opts->host;
	int want_tls = 0, use_socket;
	MYSQL_RES *res;
	MYSQL_ROW row;

	*transient = 0;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->m = mysql_init(NULL))) {
		free(c);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	c->heartbeat_ms = opts->heartbeat_ms > 0 ? opts->heartbeat_ms : 1000;
	c->read_timeout_s = read_timeout_for(c->heartbeat_ms);
	c->server_id = opts->server_id;
	ct = opts->connect_timeout_s > 0 ? (unsigned)opts->connect_timeout_s
					 : 10;
	rt = (unsigned)c->read_timeout_s;
	mysql_optionsv(c->m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	mysql_optionsv(c->m, MYSQL_OPT_READ_TIMEOUT, &rt);
	mysql_optionsv(c->m, MYSQL_OPT_WRITE_TIMEOUT, &rt);
	mysql_optionsv(c->m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxpkt);
	mysql_optionsv(c->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");

	use_socket = opts->socket && opts->socket[0] &&
		     (!host || !host[0] || strcmp(host, "localhost") == 0);
	if (use_socket) {
		unsigned proto = MYSQL_PROTOCOL_SOCKET;

		mysql_optionsv(c->m, MYSQL_OPT_PROTOCOL, &proto);
		host = "localhost";
	} else {
		unsigned proto = MYSQL_PROTOCOL_TCP;

		mysql_optionsv(c->m, MYSQL_OPT_PROTOCOL, &proto);
		if (!host || !host[0])
			host = "127.0.0.1";
	}
	if (set_tls(c->m, opts, &want_tls, err, errlen) < 0)
		goto fail;

	if (!mysql_real_connect(c->m, host, opts->user,
				opts->password ? opts->password : "", NULL,
				use_socket ? 0
					   : (opts->port ? opts->port : 3306),
				use_socket ? opts->socket : NULL, 0)) {
		unsigned e = mysql_errno(c->m);

		*transient = my_conn_error_is_transient(e);
		if (use_socket)
			seterr(err, errlen,
			       "cannot connect to MySQL/MariaDB at %s as %s: "
			       "error %u: %s",
			       opts->socket, opts->user ? opts->user : "?", e,
			       mysql_error(c->m));
		else
			seterr(err, errlen,
			       "cannot connect to MySQL/MariaDB at %s:%u as "
			       "%s: error %u: %s",
			       host, opts->port ? opts->port : 3306,
			       opts->user ? opts->user : "?", e,
			       mysql_error(c->m));
		scrub(err, opts->password);
		goto fail;
	}
	if (want_tls && !use_socket && !mysql_get_ssl_cipher(c->m)) {
		seterr(err, errlen,
		       "ssl_mode=%s but the server at %s:%u does not offer "
		       "TLS: configure ssl_cert/ssl_key on the server or "
		       "lower ssl_mode",
		       opts->ssl_mode, host, opts->port ? opts->port : 3306);
		goto fail;
	}

	snprintf(c->version, sizeof(c->version), "%s",
		 mysql_get_server_info(c->m));
	c->version_num = mysql_get_server_version(c->m);
	res = query(c, "SELECT @@version_comment", err, errlen);
	if (!res) {
		*transient = my_conn_error_is_transient(mysql_errno(c->m));
		goto fail;
	}
	row = mysql_fetch_row(res);
	if (row && row[0])
		snprintf(c->version_comment, sizeof(c->version_comment), "%s",
			 row[0]);
	mysql_free_result(res);
	/* "10.11.19-MariaDB-0+deb12u1" (comment "Debian 12"); MySQL:
	 * "8.4.3" with "MySQL Community Server - GPL" */
	c->mariadb = str_has(c->version, "mariadb") ||
		     str_has(c->version_comment, "mariadb");
	return c;
fail:
	mysql_close(c->m);
	free(c);
	return NULL;
}

void
my_conn_close(struct my_conn *c)
{
	if (!c)
		return;
	mysql_close(c->m);
	free(c);
}

int
my_conn_is_mariadb(const struct my_conn *c)
{
	return c->mariadb;
}

const char *
my_conn_server_version(const struct my_conn *c)
{
	return c->version;
}

/* ------------------------------------------------------------------ */
/* Checks                                                             */
/* ------------------------------------------------------------------ */

static struct my_finding *add_finding(struct my_finding *out, size_t max,
				      size_t *n, const char *area, int fatal,
				      const char *what, const char *fixfmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Add a finding to out; it, or NULL when out is full (only counted). */
static struct my_finding *
add_finding(struct my_finding *out, size_t max, size_t *n, const char *area,
	    int fatal, const char *what, const char *fixfmt, ...)
{
	va_list ap;
	struct my_finding *f;

	if (*n >= max) {
		(*n)++;
		return NULL;
	}
	f = &out[(*n)++];
	f->area = area;
	f->fatal = fatal;
	f->advice = 0;
	snprintf(f->what, sizeof(f->what), "%s", what);
	va_start(ap, fixfmt);
	vsnprintf(f->fix, sizeof(f->fix), fixfmt, ap);
	va_end(ap);
	return f;
}

/* What SHOW GRANTS gave the current user. */
struct my_grants {
	int repl_slave;	 /* REPLICATION SLAVE on *.* */
	int repl_client; /* REPLICATION CLIENT / BINLOG MONITOR on *.* */
	int select_all;	 /* SELECT on *.* */
	int select_some; /* SELECT on some database or table */
	int roles;	 /* a role is granted: its rights are not seen */
};

static void
grant_priv(struct my_grants *g, const char *p, size_t n, int global)
{
	char priv[64];
	size_t k = 0;

	/* "SELECT (a, b)" is a column grant: the name is before the '(' */
	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && (isspace((unsigned char)p[n - 1])))
		n--;
	for (size_t i = 0; i < n && k + 1 < sizeof(priv) && p[i] != '('; i++)
		priv[k++] = (char)toupper((unsigned char)p[i]);
	while (k && priv[k - 1] == ' ')
		k--;
	priv[k] = 0;
	if (strcmp(priv, "ALL PRIVILEGES") == 0 || strcmp(priv, "ALL") == 0) {
		if (global) {
			g->repl_slave = g->repl_client = 1;
			g->select_all = 1;
		}
		g->select_some = 1;
	} else if (strcmp(priv, "SELECT") == 0) {
		if (global)
			g->select_all = 1;
		g->select_some = 1;
	} else if (global && (strcmp(priv, "REPLICATION SLAVE") == 0 ||
			      strcmp(priv, "REPLICATION REPLICA") == 0)) {
		g->repl_slave = 1;
	} else if (global && (strcmp(priv, "REPLICATION CLIENT") == 0 ||
			      strcmp(priv, "BINLOG MONITOR") == 0)) {
		g->repl_client = 1;
	}
}

/*
 * One line of SHOW GRANTS:
 *   GRANT <priv>[ (cols)], ... ON <db>.<table> TO <user>@<host> [...]
 *   GRANT `role`@`%` TO ...           (MySQL role)    GRANT `role` TO ...
 * Quoted names may hold anything, so the scan skips `...` and '...'.
 */
static void
grant_line(struct my_grants *g, const char *s)
{
	const char *p, *privs, *on = NULL, *obj;
	int depth = 0;
	char q = 0;

	if (strncasecmp(s, "GRANT ", 6) != 0)
		return;
	privs = s + 6;
	for (p = privs; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
			continue;
		}
		if (*p == '`' || *p == '\'' || *p == '"')
			q = *p;
		else if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (depth == 0 && strncasecmp(p, " ON ", 4) == 0) {
			on = p;
			break;
		} else if (depth == 0 && strncasecmp(p, " TO ", 4) == 0)
			break;
	}
	if (!on) {
		g->roles = 1; /* GRANT role TO user */
		return;
	}
	obj = on + 4;
	while (*obj == ' ')
		obj++;
	{
		int global = strncmp(obj, "*.*", 3) == 0;
		const char *start = privs;

		depth = 0;
		for (p = privs; p <= on; p++) {
			if (p == on || (*p == ',' && depth == 0)) {
				grant_priv(g, start, (size_t)(p - start),
					   global);
				start = p + 1;
			} else if (*p == '(') {
				depth++;
			} else if (*p == ')') {
				depth--;
			}
		}
	}
}

/* 'user'@'host' of CURRENT_USER(), for the GRANT statements we suggest. */
static void
current_user(struct my_conn *c, char *out, size_t len)
{
	MYSQL_RES *res = query(c, "SELECT CURRENT_USER()", NULL, 0);
	MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
	const char *at;

	snprintf(out, len, "<user>@<host>");
	if (row && row[0] && (at = strrchr(row[0], '@')) != NULL)
		snprintf(out, len, "'%.*s'@'%s'", (int)(at - row[0]), row[0],
			 at + 1);
	mysql_free_result(res);
}

int
my_conn_check(struct my_conn *c, int want_gtid, struct my_finding *out,
	      size_t max, size_t *n, char *err, size_t errlen)
{
	static const char *vars =
		"SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', "
		"'binlog_format', 'binlog_row_image', 'binlog_row_metadata', "
		"'gtid_mode', 'binlog_row_value_options', "
		"'binlog_expire_logs_seconds', 'expire_logs_days')";
	char log_bin[16] = "", format[32] = "", image[32] = "";
	char metadata[32] = "", gtid_mode[32] = "", value_opts[64] = "";
	double expire_s = -1, expire_days = -1, keep;
	struct my_finding *f;
	int has_metadata = 0;
	struct my_grants g = {0};
	char who[256], what[256];
	const char *cnf = c->mariadb ? "[mariadbd]" : "[mysqld]";
	MYSQL_RES *res;
	MYSQL_ROW row;

	*n = 0;
	res = query(c, vars, err, errlen);
	if (!res)
		return -1;
	while ((row = mysql_fetch_row(res))) {
		const char *k = row[0], *v = row[1] ? row[1] : "";

		if (!k)
			continue;
		if (strcasecmp(k, "log_bin") == 0)
			snprintf(log_bin, sizeof(log_bin), "%s", v);
		else if (strcasecmp(k, "binlog_format") == 0)
			snprintf(format, sizeof(format), "%s", v);
		else if (strcasecmp(k, "binlog_row_image") == 0)
			snprintf(image, sizeof(image), "%s", v);
		else if (strcasecmp(k, "binlog_row_metadata") == 0) {
			snprintf(metadata, sizeof(metadata), "%s", v);
			has_metadata = 1;
		} else if (strcasecmp(k, "gtid_mode") == 0)
			snprintf(gtid_mode, sizeof(gtid_mode), "%s", v);
		else if (strcasecmp(k, "binlog_row_value_options") == 0)
			snprintf(value_opts, sizeof(value_opts), "%s", v);
		else if (strcasecmp(k, "binlog_expire_logs_seconds") == 0)
			expire_s = strtod(v, NULL);
		else if (strcasecmp(k, "expire_logs_days") == 0)
			expire_days = strtod(v, NULL);
	}
	mysql_free_result(res);

	if (strcasecmp(log_bin, "ON") != 0 && strcmp(log_bin, "1") != 0)
		add_finding(out, max, n, "binlog", 1,
			    "log_bin is OFF: the server writes no binary log",
			    c->mariadb
				    ? "put log_bin=mysql-bin and server_id=<a "
				      "unique number> in %s of my.cnf and "
				      "restart the server"
				    : "remove skip-log-bin/disable-log-bin "
				      "from %s of my.cnf (or set "
				      "log_bin=binlog) and restart the server",
			    cnf);
	if (strcasecmp(format, "ROW") != 0) {
		snprintf(what, sizeof(what),
			 "binlog_format is %s: row changes are not logged as "
			 "rows",
			 format[0] ? format : "unknown");
		add_finding(out, max, n, "binlog", 1, what,
			    "set binlog_format=ROW in %s of my.cnf and restart "
			    "the server (or SET GLOBAL binlog_format=ROW, "
			    "which only new sessions follow)",
			    cnf);
	}
	if (image[0] && strcasecmp(image, "FULL") != 0) {
		snprintf(what, sizeof(what),
			 "binlog_row_image is %s: updates and deletes do not "
			 "carry whole rows",
			 image);
		add_finding(out, max, n, "binlog", 1, what,
			    "set binlog_row_image=FULL in %s of my.cnf and "
			    "restart the server (or SET GLOBAL "
			    "binlog_row_image=FULL, which only new sessions "
			    "follow)",
			    cnf);
	}
	if (has_metadata && strcasecmp(metadata, "FULL") != 0) {
		snprintf(what, sizeof(what),
			 "binlog_row_metadata is %s: table maps carry no "
			 "column names or primary key",
			 metadata[0] ? metadata : "unknown");
		add_finding(out, max, n, "binlog", 1, what,
			    "set binlog_row_metadata=FULL in %s of my.cnf and "
			    "restart the server (or SET GLOBAL "
			    "binlog_row_metadata=FULL)",
			    cnf);
	} else if (!has_metadata) {
		snprintf(what, sizeof(what),
			 "%s %s has no binlog_row_metadata: table maps carry "
			 "no column names",
			 c->mariadb ? "MariaDB" : "MySQL", c->version);
		add_finding(out, max, n, "binlog", 1, what,
			    "upgrade to %s and set binlog_row_metadata=FULL "
			    "in %s of my.cnf",
			    c->mariadb ? "MariaDB 10.5 or later"
				       : "MySQL 8.0.1 or later",
			    cnf);
	}
	if (strcasestr(value_opts, "PARTIAL_JSON"))
		add_finding(out, max, n, "binlog", 1,
			    "binlog_row_value_options is PARTIAL_JSON: updates "
			    "of JSON columns are logged as patches, which "
			    "rowcast cannot turn into whole documents",
			    "set binlog_row_value_options='' in %s of my.cnf "
			    "and restart the server (or SET GLOBAL "
			    "binlog_row_value_options='')",
			    cnf);
	/* retention: binlog_expire_logs_seconds wins where both exist and it
	 * is set (MySQL 8, MariaDB 10.6); 0 and 0 = never purged */
	keep = expire_s > 0	 ? expire_s
	       : expire_days > 0 ? expire_days * 86400.0
				 : 0;
	if (expire_s < 0 && expire_days < 0) {
		/* neither variable: nothing to say */
	} else if (keep == 0) {
		f = add_finding(
			out, max, n, "retention", 0,
			"binlogs are never purged "
			"(binlog_expire_logs_seconds = 0, "
			"expire_logs_days = 0): they fill the disk "
			"unless something else purges them",
			"set binlog_expire_logs_seconds in %s of my.cnf "
			"(e.g. 604800, a week: longer than rowcast may "
			"be stopped)",
			cnf);
		if (f)
			f->advice = 1;
	} else if (keep < 86400) {
		snprintf(what, sizeof(what),
			 "binlogs are purged after %.0f s: a rowcast stopped "
			 "for longer finds its position gone and must start "
			 "over",
			 keep);
		f = add_finding(
			out, max, n, "retention", 0, what,
			"raise binlog_expire_logs_seconds in %s of my.cnf "
			"to cover the longest outage to ride out (e.g. "
			"604800, a week)",
			cnf);
		if (f)
			f->advice = 1;
	}
	if (want_gtid && !c->mariadb && strcasecmp(gtid_mode, "ON") != 0) {
		snprintf(what, sizeof(what),
			 "gtid_mode is %s: transactions have no GTIDs to "
			 "resume from",
			 gtid_mode[0] ? gtid_mode : "not available");
		add_finding(out, max, n, "gtid", 1, what,
			    "set gtid_mode=ON and enforce_gtid_consistency=ON "
			    "in %s of my.cnf and restart the server (online: "
			    "SET GLOBAL enforce_gtid_consistency=ON, then "
			    "gtid_mode=OFF_PERMISSIVE, ON_PERMISSIVE, ON), or "
			    "resume by file and position",
			    cnf);
	}

	/* privileges */
	res = query(c, "SHOW GRANTS", err, errlen);
	if (!res)
		return -1;
	while ((row = mysql_fetch_row(res)))
		if (row[0])
			grant_line(&g, row[0]);
	mysql_free_result(res);
	current_user(c, who, sizeof(who));
	if (!g.repl_slave)
		add_finding(out, max, n, "grants", 1,
			    g.roles ? "the user has no REPLICATION SLAVE "
				      "privilege (rights given through roles "
				      "are not checked)"
				    : "the user has no REPLICATION SLAVE "
				      "privilege: the server refuses to send "
				      "the binlog",
			    "GRANT REPLICATION SLAVE ON *.* TO %s", who);
	if (!g.repl_client)
		add_finding(out, max, n, "grants", 1,
			    c->mariadb ? "the user has no BINLOG MONITOR "
					 "privilege: SHOW MASTER STATUS and "
					 "SHOW BINARY LOGS are refused"
				       : "the user has no REPLICATION CLIENT "
					 "privilege: SHOW BINARY LOG STATUS "
					 "and SHOW BINARY LOGS are refused",
			    "GRANT %s ON *.* TO %s",
			    c->mariadb && c->version_num >= 100502
				    ? "BINLOG MONITOR"
				    : "REPLICATION CLIENT",
			    who);
	if (!g.select_all && !g.select_some)
		add_finding(out, max, n, "grants", 1,
			    "the user has no SELECT privilege: tables cannot "
			    "be looked up or snapshotted",
			    "GRANT SELECT ON *.* TO %s (or GRANT SELECT ON "
			    "<db>.<table> for each table rowcast reads)",
			    who);
	else if (!g.select_all)
		add_finding(out, max, n, "grants", 0,
			    "SELECT is granted on some databases or tables "
			    "only",
			    "make sure every table rowcast reads is covered, "
			    "or GRANT SELECT ON *.* TO %s",
			    who);
	for (size_t i = 0; i < *n && i < max; i++)
		if (out[i].fatal)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Server state                                                       */
/* ------------------------------------------------------------------ */

/*
 * Does a row exist for db.table in `sql_fmt` (two %s: the escaped database
 * and table names)? 1 yes, 0 no, -1 with err set.
 */
static int
table_row_exists(struct my_conn *c, const char *sql_fmt, const char *db,
		 const char *table, char *err, size_t errlen)
{
	struct rc_buf sql;
	char *edb = NULL, *etbl = NULL;
	MYSQL_RES *res = NULL;
	int rc = -1;

	rc_buf_init(&sql, 4 * RC_MAX_NAME + 256);
	if (strlen(db) > RC_MAX_NAME || strlen(table) > RC_MAX_NAME) {
		seterr(err, errlen, "table name %s.%s is too long", db, table);
		goto out;
	}
	edb = malloc(2 * strlen(db) + 1);
	etbl = malloc(2 * strlen(table) + 1);
	if (!edb || !etbl) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	mysql_real_escape_string(c->m, edb, db, strlen(db));
	mysql_real_escape_string(c->m, etbl, table, strlen(table));
	if (rc_buf_printf(&sql, sql_fmt, edb, etbl)) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	res = query(c, sql.data, err, errlen);
	if (!res)
		goto out;
	rc = mysql_num_rows(res) > 0;
out:
	mysql_free_result(res);
	free(edb);
	free(etbl);
	rc_buf_free(&sql);
	return rc;
}

/* information_schema.STATISTICS, not TABLE_CONSTRAINTS: MariaDB shows a
 * user with SELECT only the former. */
int
my_conn_table_has_pk(struct my_conn *c, const char *db, const char *table,
		     char *err, size_t errlen)
{
	return table_row_exists(
		c,
		"SELECT 1 FROM information_schema.STATISTICS "
		"WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s' "
		"AND INDEX_NAME = 'PRIMARY' LIMIT 1",
		db, table, err, errlen);
}

int
my_conn_table_exists(struct my_conn *c, const char *db, const char *table,
		     char *err, size_t errlen)
{
	return table_row_exists(
		c,
		"SELECT TABLE_TYPE FROM information_schema.TABLES "
		"WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s'",
		db, table, err, errlen);
}

int
my_conn_binlog_head(struct my_conn *c, char *file, size_t filelen,
		    uint64_t *pos, char *err, size_t errlen)
{
	/* MySQL 8.2 deprecated SHOW MASTER STATUS, 8.4 removed it */
	int binary_first = !c->mariadb && c->version_num >= 80200;
	const char *first =
		binary_first ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
	const char *second =
		binary_first ? "SHOW MASTER STATUS" : "SHOW BINARY LOG STATUS";
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned long *lens;
	char err1[RC_ERRLEN];
	char *end;

	res = query(c, first, err1, sizeof(err1));
	if (!res && mysql_errno(c->m) == ER_PARSE_ERROR)
		res = query(c, second, err, errlen);
	else if (!res)
		seterr(err, errlen, "%s", err1);
	if (!res)
		return -1;
	row = mysql_fetch_row(res);
	lens = row ? mysql_fetch_lengths(res) : NULL;
	if (!row || mysql_num_fields(res) < 2 || !row[0] || !row[1]) {
		mysql_free_result(res);
		seterr(err, errlen,
		       "%s returned no binlog position: binary logging is "
		       "off on the server (log_bin)",
		       first);
		return -1;
	}
	if (lens[0] + 1 > filelen) {
		mysql_free_result(res);
		seterr(err, errlen, "binlog file name too long");
		return -1;
	}
	memcpy(file, row[0], lens[0]);
	file[lens[0]] = 0;
	errno = 0;
	*pos = strtoull(row[1], &end, 10);
	if (errno || end == row[1] || *end) {
		seterr(err, errlen, "bad binlog position '%s' from %s", row[1],
		       first);
		mysql_free_result(res);
		return -1;
	}
	mysql_free_result(res);
	return 0;
}

int
my_conn_binlog_exists(struct my_conn *c, const char *file, char *err,
		      size_t errlen)
{
	MYSQL_RES *res = query(c, "SHOW BINARY LOGS", err, errlen);
	MYSQL_ROW row;
	int found = 0;

	if (!res)
		return -1;
	while (!found && (row = mysql_fetch_row(res)))
		found = row[0] && strcmp(row[0], file) == 0;
	mysql_free_result(res);
	return found;
}

int64_t
my_conn_binlog_behind(struct my_conn *c, const char *file, uint64_t pos,
		      char *err, size_t errlen)
{
	MYSQL_RES *res = query(c, "SHOW BINARY LOGS", err, errlen);
	MYSQL_ROW row;
	int64_t behind = 0;
	int found = 0;

	if (!res)
		return -1;
	if (mysql_num_fields(res) < 2) {
		mysql_free_result(res);
		seterr(err, errlen, "SHOW BINARY LOGS has no File_size");
		return -1;
	}
	while ((row = mysql_fetch_row(res))) {
		int64_t size = row[1] ? strtoll(row[1], NULL, 10) : 0;

		if (!found && row[0] && strcmp(row[0], file) == 0) {
			found = 1;
			if (size > (int64_t)pos)
				behind += size - (int64_t)pos;
		} else if (found) {
			behind += size;
		}
	}
	mysql_free_result(res);
	return found ? behind : -2;
}

struct my_gtid_set *
my_conn_gtid_executed(struct my_conn *c, char *err, size_t errlen)
{
	const char *sql = c->mariadb ? "SELECT @@GLOBAL.gtid_binlog_pos"
				     : "SELECT @@GLOBAL.gtid_executed";
	MYSQL_RES *res = query(c, sql, err, errlen);
	MYSQL_ROW row;
	struct my_gtid_set *set = NULL;
	char perr[RC_ERRLEN];

	if (!res)
		return NULL;
	row = mysql_fetch_row(res);
	if (!row || !row[0] || !row[0][0]) {
		set = my_gtid_set_new(c->mariadb ? MY_GTID_MARIADB
						 : MY_GTID_MYSQL);
		if (!set)
			seterr(err, errlen, "out of memory");
	} else {
		set = my_gtid_set_parse(row[0], perr, sizeof(perr));
		if (!set)
			seterr(err, errlen, "%s: %s", sql, perr);
	}
	mysql_free_result(res);
	return set;
}

/* ------------------------------------------------------------------ */
/* Streaming                                                          */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Queries (snapshots)                                                */
/* ------------------------------------------------------------------ */

struct my_result {
	MYSQL_RES *res; /* NULL: a statement without rows */
	MYSQL *m;	/* streamed: its connection, for errors */
	char err[256];
};

/* my_conn_query / my_conn_query_stream: the rows fetched all at once
 * (mysql_store_result) or as they are read (mysql_use_result). */
static struct my_result *
run_query(struct my_conn *c, const char *sql, int stream, char *err,
	  size_t errlen)
{
	MYSQL_RES *(*take)(MYSQL *) =
		stream ? mysql_use_result : mysql_store_result;
	struct my_result *r;

	if (mysql_query(c->m, sql) != 0) {
		seterr(err, errlen, "%.200s: error %u: %s", sql,
		       mysql_errno(c->m), mysql_error(c->m));
		return NULL;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		mysql_free_result(take(c->m));
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	r->res = take(c->m);
	r->m = stream ? c->m : NULL;
	if (!r->res && mysql_field_count(c->m) != 0) {
		seterr(err, errlen, "%.200s: error %u: %s", sql,
		       mysql_errno(c->m), mysql_error(c->m));
		free(r);
		return NULL;
	}
	return r;
}

struct my_result *
my_conn_query(struct my_conn *c, const char *sql, char *err, size_t errlen)
{
	return run_query(c, sql, 0, err, errlen);
}

struct my_result *
my_conn_query_stream(struct my_conn *c, const char *sql, char *err,
		     size_t errlen)
{
	return run_query(c, sql, 1, err, errlen);
}

int
my_result_next(struct my_result *r, char ***row, unsigned long **lens)
{
	MYSQL_ROW mr;

	if (!r->res)
		return 0;
	if (!(mr = mysql_fetch_row(r->res))) {
		if (r->m && mysql_errno(r->m)) {
			seterr(r->err, sizeof(r->err),
			       "reading rows: error %u: %s", mysql_errno(r->m),
			       mysql_error(r->m));
			return -1;
		}
		return 0;
	}
	*row = mr;
	*lens = mysql_fetch_lengths(r->res);
	return 1;
}

const char *
my_result_error(const struct my_result *r)
{
	return r->err[0] ? r->err : "no error";
}

uint64_t
my_result_shape(const struct my_result *r)
{
	uint64_t h = 14695981039346656037ULL;
	unsigned n = r->res ? mysql_num_fields(r->res) : 0;
	MYSQL_FIELD *f = n ? mysql_fetch_fields(r->res) : NULL;

#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ULL)
	for (unsigned i = 0; i < n; i++) {
		for (const char *p = f[i].name; p && *p; p++)
			MIX((unsigned char)*p);
		MIX(0x100u + f[i].type);
		MIX(f[i].length);
		MIX(f[i].decimals);
		MIX(f[i].charsetnr);
		MIX(f[i].flags &
		    (UNSIGNED_FLAG | BINARY_FLAG | ENUM_FLAG | SET_FLAG));
	}
#undef MIX
	return h;
}

unsigned
my_result_ncols(const struct my_result *r)
{
	return r->res ? mysql_num_fields(r->res) : 0;
}

void
my_result_free(struct my_result *r)
{
	if (!r)
		return;
	mysql_free_result(r->res);
	free(r);
}

unsigned
my_conn_errno(struct my_conn *c)
{
	return c && c->m ? mysql_errno(c->m) : 0;
}

static void
put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Send a command through Connector/C's method table; skip_check = 0 reads
 * and checks the server's OK/ERR reply. */
static int
command(struct my_conn *c, unsigned cmd, const unsigned char *arg, size_t len,
	int skip_check)
{
	return c->m->methods->db_command(c->m, (enum enum_server_command)cmd,
					 (const char *)arg, len,
					 (my_bool)skip_check, NULL);
}

/*
 * COM_REGISTER_SLAVE, so the server lists us in SHOW SLAVE HOSTS:
 *   server_id(4) hostname_len(1) hostname user_len(1) user
 *   password_len(1) password port(2) rank(4) master_id(4)
 * We report our host name, no user and never a password.
 */
static int
register_replica(struct my_conn *c, char *err, size_t errlen, int *transient)
{
	unsigned char b[4 + 1 + 64 + 1 + 1 + 2 + 4 + 4];
	char host[65] = "";
	size_t hl, off = 0;

	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = 0;
	host[sizeof(host) - 1] = 0;
	hl = strlen(host);
	put_le32(b + off, c->server_id);
	off += 4;
	b[off++] = (unsigned char)hl;
	memcpy(b + off, host, hl);
	off += hl;
	b[off++] = 0; /* user */
	b[off++] = 0; /* password */
	put_le16(b + off, 0);
	off += 2;
	put_le32(b + off, 0); /* rank */
	off += 4;
	put_le32(b + off, 0); /* master id: the server fills it */
	off += 4;
	if (command(c, COM_REGISTER_SLAVE, b, off, 0) != 0) {
		unsigned e = mysql_errno(c->m);

		*transient = my_conn_error_is_transient(e);
		seterr(err, errlen,
		       "COM_REGISTER_SLAVE (server_id %u): error %u: %s%s",
		       c->server_id, e, mysql_error(c->m),
		       e == ER_SPECIFIC_ACCESS_DENIED_ERROR ||
				       e == ER_ACCESS_DENIED_ERROR
			       ? " (the user needs GRANT REPLICATION SLAVE "
				 "ON *.*)"
			       : "");
		return -1;
	}
	return 0;
}

int
my_conn_start_dump(struct my_conn *c, const char *file, uint64_t pos,
		   const struct my_gtid_set *gtids, int *transient, char *err,
		   size_t errlen)
{
	char sql[512];
	struct rc_buf gtxt, pkt;
	unsigned long long hb_ns =
		(unsigned long long)c->heartbeat_ms * 1000000ULL;
	size_t flen;
	int rc = -1;

	*transient = 0;
	rc_buf_init(&gtxt, 16u * 1024 * 1024);
	rc_buf_init(&pkt, 16u * 1024 * 1024);
	if (c->streaming) {
		seterr(err, errlen,
		       "the dump was already started on this "
		       "connection");
		goto out;
	}
	if (!file)
		file = "";
	flen = strlen(file);
	if (flen > 255) {
		seterr(err, errlen, "binlog file name too long");
		goto out;
	}
	if (gtids && !my_gtid_set_empty(gtids) &&
	    my_gtid_set_flavor(gtids) !=
		    (c->mariadb ? MY_GTID_MARIADB : MY_GTID_MYSQL)) {
		seterr(err, errlen,
		       "a %s GTID set cannot start a dump from %s %s",
		       my_gtid_set_flavor(gtids) == MY_GTID_MARIADB ? "MariaDB"
								    : "MySQL",
		       c->mariadb ? "MariaDB" : "MySQL", c->version);
		goto out;
	}
	if (gtids && my_gtid_set_format(gtids, &gtxt)) {
		seterr(err, errlen, "GTID set too large");
		goto out;
	}
	if (gtids)
		snprintf(c->start, sizeof(c->start), "GTID set '%.400s'",
			 gtxt.data ? gtxt.data : "");
	else
		snprintf(c->start, sizeof(c->start), "%s:%llu",
			 flen ? file : "(first binlog)",
			 (unsigned long long)pos);

	/*
	 * Session variables the dump thread reads:
	 *  - @master_binlog_checksum (@source_ on MySQL 8.0.26+): we can
	 *    take the checksums the server writes; without it the server
	 *    refuses to send CRC32 binlogs.
	 *  - @master_heartbeat_period (@source_...) in ns: a heartbeat
	 *    event when idle, so a dead server is noticed.
	 *  - MariaDB: @mariadb_slave_capability=4 for real GTID events
	 *    (else GTIDs turn into "BEGIN" queries), and for a GTID start
	 *    @slave_connect_state with strict mode (a GTID the server does
	 *    not have is an error, not a silent skip).
	 */
	if (exec(c,
		 "SET @master_binlog_checksum = @@global.binlog_checksum, "
		 "@source_binlog_checksum = @@global.binlog_checksum",
		 err, errlen))
		goto fail;
	snprintf(sql, sizeof(sql),
		 "SET @master_heartbeat_period = %llu, "
		 "@source_heartbeat_period = %llu",
		 hb_ns, hb_ns);
	if (exec(c, sql, err, errlen))
		goto fail;
	if (c->mariadb) {
		snprintf(sql, sizeof(sql), "SET @mariadb_slave_capability = %d",
			 MY_MARIA_CAPABILITY_GTID);
		if (exec(c, sql, err, errlen))
			goto fail;
		if (gtids) {
			struct rc_buf q;
			char *esc = malloc(2 * gtxt.len + 1);

			rc_buf_init(&q, 4 * gtxt.len + 256);
			if (!esc) {
				seterr(err, errlen, "out of memory");
				goto out;
			}
			mysql_real_escape_string(c->m, esc,
						 gtxt.data ? gtxt.data : "",
						 gtxt.len);
			if (rc_buf_printf(&q,
					  "SET @slave_connect_state = '%s', "
					  "@slave_gtid_strict_mode = 1, "
					  "@slave_gtid_ignore_duplicates = 0",
					  esc) == 0)
				rc = exec(c, q.data, err, errlen);
			else
				seterr(err, errlen, "out of memory");
			free(esc);
			rc_buf_free(&q);
			if (rc)
				goto fail;
			rc = -1;
			file = "";
			flen = 0;
			pos = 4;
		}
	} else if (gtids) {
		file = "";
		flen = 0;
		pos = 4;
	}

	if (register_replica(c, err, errlen, transient))
		goto out;

	if (!c->mariadb && (gtids || pos > UINT32_MAX)) {
		/*
		 * COM_BINLOG_DUMP_GTID (MySQL 5.6+):
		 *   flags(2) server_id(4) name_len(4) name pos(8)
		 *   [flags & THROUGH_GTID: data_len(4) data]
		 * data = the set in binary form; the server sends what is
		 * not in it. Without THROUGH_GTID it is a file/pos dump
		 * with an 8-byte position.
		 */
		unsigned char h[2 + 4 + 4];
		unsigned char p8[8], l4[4];
		struct rc_buf set;

		rc_buf_init(&set, 16u * 1024 * 1024);
		put_le16(h, gtids ? MY_DUMP_THROUGH_GTID : 0);
		put_le32(h + 2, c->server_id);
		put_le32(h + 6, (uint32_t)flen);
		put_le64(p8, pos);
		if (gtids && my_gtid_set_encode(gtids, &set)) {
			rc_buf_free(&set);
			seterr(err, errlen, "GTID set too large to encode");
			goto out;
		}
		put_le32(l4, (uint32_t)set.len);
		if (rc_buf_append(&pkt, h, sizeof(h)) ||
		    rc_buf_append(&pkt, file, flen) ||
		    rc_buf_append(&pkt, p8, 8) ||
		    (gtids && (rc_buf_append(&pkt, l4, 4) ||
			       rc_buf_append(&pkt, set.data, set.len)))) {
			rc_buf_free(&set);
			seterr(err, errlen, "out of memory");
			goto out;
		}
		rc_buf_free(&set);
		if (command(c, MY_COM_BINLOG_DUMP_GTID,
			    (const unsigned char *)pkt.data, pkt.len, 1))
			goto fail;
	} else {
		/*
		 * COM_BINLOG_DUMP: pos(4) flags(2) server_id(4) name
		 * (MariaDB with a GTID start: empty name, pos 4)
		 */
		unsigned char h[4 + 2 + 4];

		if (pos > UINT32_MAX) {
			seterr(err, errlen,
			       "binlog position %llu is beyond what "
			       "COM_BINLOG_DUMP can ask for (4 GiB); resume "
			       "by GTID",
			       (unsigned long long)pos);
			goto out;
		}
		put_le32(h, (uint32_t)pos);
		put_le16(h + 4, c->mariadb ? MY_DUMP_SEND_ANNOTATE_ROWS : 0);
		put_le32(h + 6, c->server_id);
		if (rc_buf_append(&pkt, h, sizeof(h)) ||
		    rc_buf_append(&pkt, file, flen)) {
			seterr(err, errlen, "out of memory");
			goto out;
		}
		if (command(c, COM_BINLOG_DUMP, (const unsigned char *)pkt.data,
			    pkt.len, 1))
			goto fail;
	}
	c->streaming = 1;
	rc = 0;
	goto out;
fail:
	*transient = my_conn_error_is_transient(mysql_errno(c->m));
out:
	rc_buf_free(&gtxt);
	rc_buf_free(&pkt);
	return rc;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One packet of the stream:
 *   0x00 event          the OK byte, then the event (19-byte header ...)
 *   0xFE (< 9 bytes)    EOF: the server ended the stream
 *   0xFF errno(2) ...   an error (Connector/C parses it and fails the read)
 */
int
my_conn_read_event(struct my_conn *c, const uint8_t **ev, size_t *len,
		   unsigned *server_errno, char *err, size_t errlen)
{
	unsigned long n;
	const unsigned char *p;
	struct rc_reader r;
	uint32_t evlen;
	double t0;

	*server_errno = 0;
	*ev = NULL;
	*len = 0;
	if (!c->streaming || c->broken) {
		seterr(err, errlen,
		       c->broken ? "the binlog stream already failed; "
				   "reconnect"
				 : "no dump was started on this connection");
		return -1;
	}
	t0 = now_s();
	n = mysql_net_read_packet(c->m);
	if (n == (unsigned long)packet_error || n == 0) {
		unsigned e = mysql_errno(c->m);
		double waited = now_s() - t0;

		c->broken = 1;
		if (e && !is_client_errno(e)) {
			*server_errno = e;
			if (e == ER_MASTER_FATAL_ERROR_READING_BINLOG)
				seterr(err, errlen,
				       "the server cannot send the binlog from "
				       "%s: error %u: %s (%s)",
				       c->start, e, mysql_error(c->m),
				       strncmp(c->start, "GTID", 4) == 0
					       ? "the server's binlogs do not "
						 "hold that position: purged, "
						 "or from another server"
					       : "was it purged? SHOW BINARY "
						 "LOGS lists what the server "
						 "still has");
			else if (e == MY_ER_SLAVE_SAME_ID ||
				 str_has(mysql_error(c->m),
					 "same server_uuid/server_id"))
				seterr(err, errlen,
				       "binlog stream from %s: server error "
				       "%u: %s (another reader connected with "
				       "server_id %u and replaced this one: "
				       "give every reader its own server_id)",
				       c->start, e, mysql_error(c->m),
				       c->server_id);
			else
				seterr(err, errlen,
				       "binlog stream from %s: server error "
				       "%u: %s",
				       c->start, e, mysql_error(c->m));
			return -1;
		}
		if (waited + 0.5 >= (double)c->read_timeout_s)
			seterr(err, errlen,
			       "lost connection to the server: nothing "
			       "received for %.0f s although it sends a "
			       "heartbeat every %d ms (%s)",
			       waited, c->heartbeat_ms,
			       e ? mysql_error(c->m) : "read timeout");
		else
			seterr(err, errlen,
			       "lost connection to the server while reading "
			       "the binlog: error %u: %s",
			       e, e ? mysql_error(c->m) : "connection closed");
		return -1;
	}
	p = c->m->net.read_pos;
	rc_reader_init(&r, p, n);
	switch (rc_reader_u8(&r)) {
	case 0x00:
		break;
	case 0xfe:
		if (n < 9) {
			c->broken = 1; /* ended: no more events come */
			return 0;
		}
		/* fall through */
	default:
		c->broken = 1;
		seterr(err, errlen,
		       "malformed binlog packet: first byte 0x%02x, %lu bytes",
		       p[0], n);
		return -1;
	}
	/* the event must be at least a header and say its own length */
	if (rc_reader_left(&r) < MY_EVENT_HEADER) {
		c->broken = 1;
		seterr(err, errlen,
		       "malformed binlog packet: %lu bytes, shorter than an "
		       "event header",
		       n);
		return -1;
	}
	{
		struct rc_reader h = r;

		rc_reader_bytes(&h, 9);
		evlen = rc_reader_le32(&h);
	}
	if (evlen != rc_reader_left(&r)) {
		c->broken = 1;
		seterr(err, errlen,
		       "malformed binlog event: its header says %u bytes, the "
		       "packet holds %zu",
		       evlen, rc_reader_left(&r));
		return -1;
	}
	*ev = p + 1;
	*len = rc_reader_left(&r);
	return 1;
}

int
my_conn_stream_pending(struct my_conn *c)
{
	struct pollfd pfd;

	if (!c || !c->m)
		return 1;
	pfd.fd = (int)mysql_get_socket(c->m);
	pfd.events = POLLIN;
	pfd.revents = 0;
	return pfd.fd < 0 || poll(&pfd, 1, 0) != 0;
}
