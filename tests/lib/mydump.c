/*
 * mydump.c -- a small CLI over my_conn for the integration tests.
 *
 *   mydump --host H --port P --user U --password-env VAR --server-id N
 *          [--socket S] [--ssl-mode M] [--heartbeat-ms MS]
 *          [--file F --pos P | --gtid SET | --head]
 *          [--check [--want-gtid]] [--max-events N] [--until-idle-ms MS]
 *
 * Prints one line per event, from the 19-byte v4 header:
 *   type=<n> len=<n> log_pos=<n> flags=<hex>
 * plus, for MariaDB GTID events (162), gtid=<domain>-<server>-<seq>.
 * --until-idle-ms stops when nothing but heartbeats arrived for MS ms;
 * --head starts at the server's current binlog position.
 * --check prints "FATAL|WARN: what" / "  fix: ..." lines and "check: ok".
 *
 * Exit: 0 done, 1 --check found a fatal problem, 2 error (the last line on
 * stderr is "error: server_errno=N transient=0|1: message"), 64 usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limits.h"
#include "my_conn.h"
#include "my_gtid.h"

static void
usage(void)
{
	fprintf(stderr,
		"usage: mydump --host H --port P --user U --password-env VAR "
		"--server-id N [--socket S] [--ssl-mode M] [--heartbeat-ms MS] "
		"[--file F --pos P | --gtid SET | --head] "
		"[--check [--want-gtid]] [--max-events N] "
		"[--until-idle-ms MS]\n");
	exit(64);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int
fail(unsigned server_errno, int transient, const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "error: server_errno=%u transient=%d: %s\n",
		server_errno, transient, msg);
	return 2;
}

int
main(int argc, char **argv)
{
	struct my_conn_opts o = {0};
	const char *file = NULL, *gtid = NULL, *pwenv = NULL;
	unsigned long long pos = 4, max_events = 0, idle_ms = 0;
	int check = 0, want_gtid = 0, head = 0, transient = 0;
	char err[RC_ERRLEN], headfile[512];
	struct my_gtid_set *set = NULL;
	struct my_conn *c;
	double last;
	unsigned long long seen = 0;

	o.host = "127.0.0.1";
	o.port = 3306;
	o.server_id = 4242;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--check") == 0) {
			check = 1;
			continue;
		}
		if (strcmp(a, "--want-gtid") == 0) {
			want_gtid = 1;
			continue;
		}
		if (strcmp(a, "--head") == 0) {
			head = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--host") == 0)
			o.host = v;
		else if (strcmp(a, "--port") == 0)
			o.port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(a, "--socket") == 0)
			o.socket = v;
		else if (strcmp(a, "--user") == 0)
			o.user = v;
		else if (strcmp(a, "--password-env") == 0)
			pwenv = v;
		else if (strcmp(a, "--server-id") == 0)
			o.server_id = (uint32_t)strtoul(v, NULL, 10);
		else if (strcmp(a, "--ssl-mode") == 0)
			o.ssl_mode = v;
		else if (strcmp(a, "--heartbeat-ms") == 0)
			o.heartbeat_ms = atoi(v);
		else if (strcmp(a, "--file") == 0)
			file = v;
		else if (strcmp(a, "--pos") == 0)
			pos = strtoull(v, NULL, 10);
		else if (strcmp(a, "--gtid") == 0)
			gtid = v;
		else if (strcmp(a, "--max-events") == 0)
			max_events = strtoull(v, NULL, 10);
		else if (strcmp(a, "--until-idle-ms") == 0)
			idle_ms = strtoull(v, NULL, 10);
		else
			usage();
	}
	if (!o.user)
		usage();
	if (pwenv)
		o.password = getenv(pwenv);
	if (gtid) {
		set = my_gtid_set_parse(gtid, err, sizeof(err));
		if (!set)
			return fail(0, 0, err);
	}

	c = my_conn_open(&o, &transient, err, sizeof(err));
	if (!c) {
		my_gtid_set_free(set);
		return fail(0, transient, err);
	}
	fprintf(stderr, "connected: %s %s\n",
		my_conn_is_mariadb(c) ? "MariaDB" : "MySQL",
		my_conn_server_version(c));

	if (check) {
		struct my_finding f[16];
		size_t n = 0;
		int rc = my_conn_check(c, want_gtid, f, 16, &n, err,
				       sizeof(err));

		if (rc < 0) {
			my_conn_close(c);
			return fail(0, 0, err);
		}
		for (size_t i = 0; i < n && i < 16; i++)
			printf("%s: %s\n  fix: %s\n",
			       f[i].fatal ? "FATAL" : "WARN", f[i].what,
			       f[i].fix);
		if (rc == 0)
			printf("check: ok\n");
		my_conn_close(c);
		return rc ? 1 : 0;
	}

	if (head) {
		uint64_t hp;

		if (my_conn_binlog_head(c, headfile, sizeof(headfile), &hp, err,
					sizeof(err))) {
			my_conn_close(c);
			return fail(0, 0, err);
		}
		file = headfile;
		pos = hp;
		fprintf(stderr, "head: %s:%llu\n", file, pos);
	}
	if (file && !head) {
		int ex = my_conn_binlog_exists(c, file, err, sizeof(err));

		if (ex < 0) {
			my_conn_close(c);
			return fail(0, 0, err);
		}
		fprintf(stderr, "binlog %s %s\n", file,
			ex ? "exists" : "is not on the server");
	}
	if (my_conn_start_dump(c, file, pos, set, &transient, err,
			       sizeof(err))) {
		my_conn_close(c);
		my_gtid_set_free(set);
		return fail(0, transient, err);
	}
	my_gtid_set_free(set);

	last = now_ms();
	for (;;) {
		const uint8_t *ev;
		size_t len;
		unsigned server_errno;
		int rc = my_conn_read_event(c, &ev, &len, &server_errno, err,
					    sizeof(err));
		unsigned type;

		if (rc < 0) {
			my_conn_close(c);
			return fail(server_errno,
				    my_conn_error_is_transient(server_errno),
				    err);
		}
		if (rc == 0) {
			fprintf(stderr, "end of stream\n");
			break;
		}
		type = ev[4];
		printf("type=%u len=%llu log_pos=%llu flags=0x%04x", type,
		       (unsigned long long)le(ev + 9, 4),
		       (unsigned long long)le(ev + 13, 4),
		       (unsigned)le(ev + 17, 2));
		/* MariaDB GTID: seq(8) domain(4) flags(1) after the header */
		if (type == 162 && len >= 19 + 13)
			printf(" gtid=%u-%u-%llu", (unsigned)le(ev + 27, 4),
			       (unsigned)le(ev + 5, 4),
			       (unsigned long long)le(ev + 19, 8));
		printf("\n");
		fflush(stdout);
		seen++;
		if (max_events && seen >= max_events)
			break;
		if (type != 27)
			last = now_ms();
		else if (idle_ms && now_ms() - last >= (double)idle_ms)
			break;
	}
	my_conn_close(c);
	return 0;
}
