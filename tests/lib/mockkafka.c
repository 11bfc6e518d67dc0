/*
 * mockkafka.c -- a standalone librdkafka mock cluster for the integration
 * tests (LAB.md section 3).
 *
 *   mockkafka N BOOTSTRAP_FILE [topic:partitions ...]
 *
 * Creates N mock brokers on 127.0.0.1 (ephemeral ports: librdkafka 2.0.2 has
 * no way to fix them), creates the listed topics (any other topic is
 * auto-created on first use, with the mock's default of 4 partitions),
 * writes the bootstrap string to BOOTSTRAP_FILE atomically (a temporary file
 * renamed into place, so a reader never sees half of it), prints it on
 * stdout, then runs until SIGTERM or SIGINT:
 *
 *   SIGUSR1  all brokers down (connections refused, port kept)
 *   SIGUSR2  all brokers up again
 *   SIGTERM  destroy the cluster, remove nothing, exit 0
 *
 * Every state change is logged on stderr with a timestamp.
 * Build: gcc -Wall -Wextra mockkafka.c $(pkg-config --cflags --libs rdkafka)
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t g_stop, g_down, g_up;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		g_down = 1;
	else if (sig == SIGUSR2)
		g_up = 1;
	else
		g_stop = 1;
}

static void logmsg(const char *fmt, const char *arg)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "mockkafka[%ld] %ld.%03ld ", (long)getpid(), (long)ts.tv_sec,
		ts.tv_nsec / 1000000);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
}

static int write_atomically(const char *path, const char *text)
{
	size_t n = strlen(path) + 32;
	char *tmp = malloc(n);
	FILE *f;
	if (!tmp)
		return -1;
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		free(tmp);
		return -1;
	}
	if (fprintf(f, "%s\n", text) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mockkafka N BOOTSTRAP_FILE [topic:partitions ...]\n"
			"  SIGUSR1: all brokers down, SIGUSR2: all up, SIGTERM: exit\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char err[512];
	char *end;
	long nbrokers;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	const char *bs;
	struct sigaction sa;
	sigset_t block, old;
	int i;

	if (argc < 3)
		usage();
	errno = 0;
	nbrokers = strtol(argv[1], &end, 10);
	if (errno || *end || nbrokers < 1 || nbrokers > 100)
		usage();

	/* Install the handlers before anything that may take time, so that an
	 * early SIGTERM from the harness still ends the process cleanly. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* librdkafka's threads inherit the signal mask: block ours while
	 * they are created so that only the main thread handles them. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	conf = rd_kafka_conf_new();
	/* The handle only hosts the mock cluster: it never connects. */
	if (rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "mockkafka: %s\n", err);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "mockkafka: rd_kafka_new: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers);
	if (!mc) {
		fprintf(stderr, "mockkafka: rd_kafka_mock_cluster_new failed\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	for (i = 3; i < argc; i++) {
		char *name = strdup(argv[i]);
		char *colon = name ? strrchr(name, ':') : NULL;
		long parts;
		rd_kafka_resp_err_t e;
		if (!colon || colon == name) {
			fprintf(stderr, "mockkafka: bad topic spec '%s' (want topic:partitions)\n", argv[i]);
			free(name);
			goto fail;
		}
		*colon = '\0';
		errno = 0;
		parts = strtol(colon + 1, &end, 10);
		if (errno || *end || parts < 1 || parts > 10000) {
			fprintf(stderr, "mockkafka: bad partition count in '%s'\n", argv[i]);
			free(name);
			goto fail;
		}
		e = rd_kafka_mock_topic_create(mc, name, (int)parts,
					       nbrokers < 3 ? (int)nbrokers : 3);
		if (e) {
			fprintf(stderr, "mockkafka: cannot create topic %s: %s\n", name, rd_kafka_err2str(e));
			free(name);
			goto fail;
		}
		free(name);
	}

	bs = rd_kafka_mock_cluster_bootstraps(mc);
	if (write_atomically(argv[2], bs) != 0) {
		fprintf(stderr, "mockkafka: cannot write %s: %s\n", argv[2], strerror(errno));
		goto fail;
	}
	printf("%s\n", bs);
	fflush(stdout);
	logmsg("%s: cluster up", bs);

	while (!g_stop) {
		struct timespec nap = {0, 20 * 1000 * 1000};
		if (g_down) {
			g_down = 0;
			rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_down(mc, -1);
			logmsg("all brokers down: %s", rd_kafka_err2str(e));
		}
		if (g_up) {
			g_up = 0;
			rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_up(mc, -1);
			logmsg("all brokers up: %s", rd_kafka_err2str(e));
		}
		nanosleep(&nap, NULL);
	}

	logmsg("%s", "SIGTERM: destroying the cluster");
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	logmsg("%s", "mock cluster destroyed");
	return 0;

fail:
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 1;
}
