/*
 * test_kafka_registry.c -- the schema registry client (sinks/kafka/
 * kafka_registry.c) against tests/lib/registry.py, a stand-in of
 * Confluent's REST API run with /usr/bin/python3 (skipped, 77, without).
 *
 * Checks: ids of new and repeated schemas, the memory cache (no HTTP
 * request for a known schema, counted by the client and by the stand-in's
 * GET /stats), the state-directory cache (a new client, the registry
 * stopped), 409 and 422 as permanent errors with the registry's message,
 * basic auth (401 without or with wrong credentials), and a registry that
 * is down: the client retries until it comes back on the same port, or
 * gives up when told to stop.
 */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cu_main.h"
#include "encoder.h"
#include "kafka_registry.h"

#define PYTHON "/usr/bin/python3"

static char tmpdir[64];
static char script[4096];
static int port;

static const char *S1 = "{\"type\":\"record\",\"name\":\"Key\",\"fields\":"
			"[{\"name\":\"id\",\"type\":\"long\"}]}";
static const char *S2 =
	"{\"type\":\"record\",\"name\":\"Value\",\"fields\":[{\"name\":"
	"\"born\",\"type\":[\"null\",{\"type\":\"int\",\"logicalType\":"
	"\"date\"}],\"default\":null}]}";
static const char *S3 = "{\"type\":\"record\",\"name\":\"Value\",\"fields\":"
			"[{\"name\":\"x\",\"type\":\"string\"}]}";

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* ------------------------------------------------------------------ */
/* The stand-in registry                                              */
/* ------------------------------------------------------------------ */

/*
 * Start registry.py on port p (0 = any) with extra arguments (NULL-ended
 * list of up to 8), after delay_ms; returns its pid. With wait, waits for
 * its port file and sets `port`.
 */
static pid_t
registry_start(int p, int delay_ms, int wait, const char *const *extra)
{
	char pf[128], portarg[16];
	const char *argv[24];
	int n = 0;
	pid_t pid;

	snprintf(pf, sizeof(pf), "%s/registry.port", tmpdir);
	snprintf(portarg, sizeof(portarg), "%d", p);
	unlink(pf);
	argv[n++] = PYTHON;
	argv[n++] = script;
	argv[n++] = "--port-file";
	argv[n++] = pf;
	argv[n++] = "--port";
	argv[n++] = portarg;
	for (int i = 0; extra && extra[i] && i < 8; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (delay_ms)
			sleep_ms(delay_ms);
		execv(PYTHON, (char *const *)argv);
		_exit(127);
	}
	CU_ASSERT_FATAL(pid > 0);
	if (!wait)
		return pid;
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			int ok = fscanf(f, "%d", &port) == 1;
			fclose(f);
			if (ok)
				return pid;
		}
		sleep_ms(50);
	}
	CU_FAIL_FATAL("registry.py wrote no port file in 10 s");
	return pid;
}

static void
registry_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* GET /stats of the stand-in: its "registers" count, -1 on error. */
static long
registry_registers(void)
{
	char cmd[256], line[256];
	long n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 PYTHON " -c 'import json,urllib.request;print(json.load("
			"urllib.request.urlopen(\"http://127.0.0.1:%d/stats\"))"
			"[\"registers\"])'",
		 port);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f))
		n = strtol(line, NULL, 10);
	pclose(f);
	return n;
}

static struct kafka_registry *
client(const char *user, const char *password, int with_state)
{
	char url[64], err[512];
	char sd[128];
	struct kafka_registry_opts o = {0};
	struct kafka_registry *reg;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	snprintf(sd, sizeof(sd), "%s/state", tmpdir);
	o.url = url;
	o.user = user;
	o.password = password;
	o.state_dir = with_state ? sd : NULL;
	o.timeout_ms = 2000;
	o.log_name = "test";
	reg = kafka_registry_new(&o, err, sizeof(err));
	if (!reg)
		fprintf(stderr, "kafka_registry_new: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reg);
	return reg;
}

/* stop() callbacks: never, and after a deadline */
static int
stop_at(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec >= *(time_t *)arg;
}

static time_t
deadline(int s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + s;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void
test_register_and_cache(void)
{
	pid_t pid = registry_start(0, 0, 1, NULL);
	struct kafka_registry *reg = client(NULL, NULL, 1);
	char err[512];
	int32_t id1 = -1, id2 = -1, id1b = -1, id3 = -1, again = -1;
	time_t dl = deadline(20);
	long before;

	CU_ASSERT_EQUAL(kafka_registry_id(reg, "t-key", S1, stop_at, &dl, &id1,
					  err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "t-value", S2, stop_at, &dl,
					  &id2, err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT(id1 > 0);
	CU_ASSERT(id2 > 0);
	CU_ASSERT_NOT_EQUAL(id1, id2);
	/* the same text under another subject: the same id (a new request) */
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "u-key", S1, stop_at, &dl, &id1b,
					  err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT_EQUAL(id1b, id1);
	/* a new schema in t-value: a new id */
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "t-value", S3, stop_at, &dl,
					  &id3, err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT(id3 > id2);
	CU_ASSERT_EQUAL(kafka_registry_requests(reg), 4);

	/* known: no request, on either side */
	before = registry_registers();
	CU_ASSERT_EQUAL(before, 4);
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "t-value", S2, stop_at, &dl,
					  &again, err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT_EQUAL(again, id2);
	CU_ASSERT_EQUAL(kafka_registry_requests(reg), 4);
	CU_ASSERT_EQUAL(registry_registers(), before);
	kafka_registry_free(reg);

	/* a new client, the registry gone: the state directory answers */
	registry_stop(pid);
	reg = client(NULL, NULL, 1);
	again = -1;
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "t-value", S2, stop_at, &dl,
					  &again, err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT_EQUAL(again, id2);
	again = -1;
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "t-key", S1, stop_at, &dl,
					  &again, err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT_EQUAL(again, id1);
	CU_ASSERT_EQUAL(kafka_registry_requests(reg), 0);
	kafka_registry_free(reg);

	{
		char path[256];
		struct stat st;
		uint64_t fp = rc_avro_fingerprint(S2, strlen(S2));

		snprintf(path, sizeof(path),
			 "%s/state/registry/t-value.%016llx", tmpdir,
			 (unsigned long long)fp);
		CU_ASSERT_EQUAL(stat(path, &st), 0);
	}
}

static void
test_refused(void)
{
	const char *const extra[] = {"--incompatible", "bad-value", NULL};
	pid_t pid = registry_start(0, 0, 1, extra);
	struct kafka_registry *reg = client(NULL, NULL, 0);
	char err[512] = "";
	int32_t id = -1;
	time_t dl = deadline(20);

	CU_ASSERT_EQUAL(kafka_registry_id(reg, "bad-value", S3, stop_at, &dl,
					  &id, err, sizeof(err)),
			KAFKA_REGISTRY_REFUSED);
	printf("\n    409: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(err, "kafka: schema registry refused bad-value: "
			    "Schema being registered is incompatible"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the table's events stop here"));
	CU_ASSERT_EQUAL(kafka_registry_requests(reg), 1); /* not retried */

	/* not JSON: 422 */
	err[0] = 0;
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "x-value", "{not json", stop_at,
					  &dl, &id, err, sizeof(err)),
			KAFKA_REGISTRY_REFUSED);
	printf("    422: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(err, "kafka: schema registry refused x-value: Input "
			    "schema is an invalid Avro schema"));
	kafka_registry_free(reg);
	registry_stop(pid);
}

static void
test_basic_auth(void)
{
	const char *const extra[] = {"--user", "rc", "--password", "s3cret",
				     NULL};
	pid_t pid = registry_start(0, 0, 1, extra);
	struct kafka_registry *reg;
	char err[512] = "";
	int32_t id = -1;
	time_t dl = deadline(20);

	reg = client(NULL, NULL, 0);
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "a-value", S1, stop_at, &dl, &id,
					  err, sizeof(err)),
			KAFKA_REGISTRY_REFUSED);
	printf("\n    401: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 401"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "schema_registry_password"));
	kafka_registry_free(reg);

	reg = client("rc", "wrong", 0);
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "a-value", S1, stop_at, &dl, &id,
					  err, sizeof(err)),
			KAFKA_REGISTRY_REFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "HTTP 401"));
	CU_ASSERT_PTR_NULL(strstr(err, "wrong"));
	kafka_registry_free(reg);

	reg = client("rc", "s3cret", 0);
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "a-value", S1, stop_at, &dl, &id,
					  err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	CU_ASSERT(id > 0);
	kafka_registry_free(reg);
	registry_stop(pid);
}

static void
test_down_then_back(void)
{
	pid_t pid = registry_start(0, 0, 1, NULL);
	struct kafka_registry *reg = client(NULL, NULL, 0);
	char err[512] = "";
	int32_t id = -1;
	time_t dl = deadline(30);
	int p = port;
	struct timespec t0, t1;
	long ms;

	CU_ASSERT_EQUAL(kafka_registry_id(reg, "d-key", S1, stop_at, &dl, &id,
					  err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	registry_stop(pid);

	/* down; back on the same port 1.5 s later */
	pid = registry_start(p, 1500, 0, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	id = -1;
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "d-value", S2, stop_at, &dl, &id,
					  err, sizeof(err)),
			KAFKA_REGISTRY_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("\n    registered after %ld ms and %llu requests\n", ms,
	       (unsigned long long)kafka_registry_requests(reg));
	CU_ASSERT(id > 0);
	CU_ASSERT(ms >= 1000);
	CU_ASSERT(kafka_registry_requests(reg) >= 3); /* 1 + retries */
	registry_stop(pid);

	/* down for good: gives up only when told to stop */
	dl = deadline(2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(kafka_registry_id(reg, "e-value", S3, stop_at, &dl, &id,
					  err, sizeof(err)),
			KAFKA_REGISTRY_STOPPED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("    stopped: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "e-value not registered before "
					   "the stop"));
	CU_ASSERT(t1.tv_sec - t0.tv_sec <= 4);
	kafka_registry_free(reg);
}

static void
test_bad_url(void)
{
	struct kafka_registry_opts o = {0};
	char err[256];

	o.url = "127.0.0.1:8081";
	CU_ASSERT_PTR_NULL(kafka_registry_new(&o, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "http://"));
}

static const struct cu_test tests[] = {
	{"register, ids, memory and state-dir caches", test_register_and_cache},
	{"409 and 422 are permanent, with the message", test_refused},
	{"basic auth", test_basic_auth},
	{"registry down: retries until back, or the stop", test_down_then_back},
	{"bad URL", test_bad_url},
	{NULL, NULL},
};

int
main(void)
{
	const char *top = getenv("top_srcdir");
	int rc;

	if (access(PYTHON, X_OK) != 0) {
		fprintf(stderr, "SKIP: %s is missing\n", PYTHON);
		return 77;
	}
	snprintf(script, sizeof(script), "%s/tests/lib/registry.py",
		 top ? top : ".");
	if (access(script, R_OK) != 0) {
		fprintf(stderr, "SKIP: %s is missing (set top_srcdir)\n",
			script);
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rc_registry.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	rc = cu_run("kafka_registry", tests);
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
