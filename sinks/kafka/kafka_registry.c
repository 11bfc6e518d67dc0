/*
 * kafka_registry.c -- the Confluent Schema Registry client of the Kafka
 * sink (see kafka_registry.h for the protocol and the caches).
 *
 * One libcurl easy handle, reused for every request (keep-alive), with the
 * headers, the credentials and the CA set once. Bodies are read into one
 * capped buffer (KAFKA_REGISTRY_MAX_RESPONSE). JSON with jansson.
 */
#include "fsutil.h"
#include "kafka_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"
#include "encoder.h"
#include "limits.h"
#include "log.h"

#define REG_LOG	    "kafka"
#define REG_BUCKETS 256
#define REG_PATH    4096
/* Sleep slices while backing off, so a stop is seen quickly. */
#define REG_SLICE_MS 50

/* One cached id: (subject, fingerprint of the text) -> id. */
struct reg_known {
	struct reg_known *next;
	uint64_t fp;
	int32_t id;
	char subject[]; /* NUL-terminated */
};

struct kafka_registry {
	CURL *curl;
	struct curl_slist *headers;
	char *url; /* base, without a trailing '/' */
	char *user, *password, *ca;
	char *state_dir;
	char *log_name;
	int64_t timeout_ms;
	struct rc_buf resp; /* body of the last answer, capped */
	int too_big;	    /* the last answer passed the cap */
	uint64_t requests;
	struct reg_known *known[REG_BUCKETS];
	char curl_err[CURL_ERROR_SIZE];
};

static pthread_once_t reg_curl_once = PTHREAD_ONCE_INIT;
static CURLcode reg_curl_init_rc;

static void
reg_curl_init(void)
{
	reg_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                            */
/* ------------------------------------------------------------------ */

static unsigned
reg_bucket(const char *subject, uint64_t fp)
{
	uint64_t h = fp;

	for (const unsigned char *p = (const unsigned char *)subject; *p; p++)
		h = h * 31 + *p;
	return (unsigned)(h % REG_BUCKETS);
}

static struct reg_known *
reg_lookup(struct kafka_registry *reg, const char *subject, uint64_t fp)
{
	for (struct reg_known *kn = reg->known[reg_bucket(subject, fp)]; kn;
	     kn = kn->next)
		if (kn->fp == fp && strcmp(kn->subject, subject) == 0)
			return kn;
	return NULL;
}

static int
reg_remember(struct kafka_registry *reg, const char *subject, uint64_t fp,
	     int32_t id)
{
	size_t n = strlen(subject) + 1;
	struct reg_known *kn = malloc(sizeof(*kn) + n);
	unsigned b = reg_bucket(subject, fp);

	if (!kn)
		return -1;
	kn->fp = fp;
	kn->id = id;
	memcpy(kn->subject, subject, n);
	kn->next = reg->known[b];
	reg->known[b] = kn;
	return 0;
}

static void
reg_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The file name of (subject, fp) in the state directory: the subject with
 * anything outside [A-Za-z0-9._-] as '_' (Kafka topic names never have
 * any), a leading '.' too. 0, or -1 when too long. */
static int
reg_state_path(const struct kafka_registry *reg, const char *subject,
	       uint64_t fp, const char *prefix, char *out, size_t outlen)
{
	char safe[2 * RC_MAX_NAME + 16];
	size_t i;
	int n;

	for (i = 0; subject[i] && i < sizeof(safe) - 1; i++) {
		char c = subject[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			 (c == '.' && i > 0);
		safe[i] = ok ? c : '_';
	}
	if (subject[i])
		return -1;
	safe[i] = 0;
	n = snprintf(out, outlen, "%s/registry/%s%s.%016" PRIx64,
		     reg->state_dir, prefix, safe, fp);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The id saved for (subject, fp), or -1 when there is none (or it is not
 * a number: then it is registered again and overwritten). */
static int32_t
reg_state_read(struct kafka_registry *reg, const char *subject, uint64_t fp)
{
	char path[REG_PATH], text[32], *end;
	ssize_t n;
	long v;
	int fd;

	if (!reg->state_dir ||
	    reg_state_path(reg, subject, fp, "", path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = 0;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || (*end && *end != '\n') || v < 0 ||
	    v > INT32_MAX) {
		rc_warn(REG_LOG, "%s: ignoring %s (not a schema id)",
			reg->log_name, path);
		return -1;
	}
	return (int32_t)v;
}

/* Save id for (subject, fp) atomically (rc_write_file_atomic). 0, or -1
 * with err set. */
static int
reg_state_write(struct kafka_registry *reg, const char *subject, uint64_t fp,
		int32_t id, char *err, size_t errlen)
{
	char dir[REG_PATH], path[REG_PATH], text[16], werr[RC_ERRLEN] = "";
	const char *name;
	int len;

	if (!reg->state_dir)
		return 0;
	if (reg_state_path(reg, subject, fp, "", path, sizeof(path)) < 0) {
		snprintf(err, errlen, "kafka: state path too long for %s",
			 subject);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/registry", reg->state_dir);
	name = strrchr(path, '/') + 1;
	len = snprintf(text, sizeof(text), "%" PRId32 "\n", id);
	if (mkdir(reg->state_dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "kafka: mkdir %s: %s", reg->state_dir,
			 strerror(errno));
		return -1;
	}
	if (rc_write_file_atomic(dir, name, text, (size_t)len, werr,
				 sizeof(werr)) < 0) {
		snprintf(err, errlen, "kafka: registry cache: %s", werr);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                               */
/* ------------------------------------------------------------------ */

static size_t
reg_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct kafka_registry *reg = arg;
	size_t n = size * nmemb;

	if (reg->resp.len + n > KAFKA_REGISTRY_MAX_RESPONSE ||
	    rc_buf_append(&reg->resp, ptr, n) < 0) {
		reg->too_big = 1;
		return 0; /* CURLE_WRITE_ERROR */
	}
	return n;
}

struct kafka_registry *
kafka_registry_new(const struct kafka_registry_opts *o, char *err,
		   size_t errlen)
{
	struct kafka_registry *reg;
	size_t n;

	pthread_once(&reg_curl_once, reg_curl_init);
	if (reg_curl_init_rc != CURLE_OK) {
		snprintf(err, errlen, "kafka: curl_global_init: %s",
			 curl_easy_strerror(reg_curl_init_rc));
		return NULL;
	}
	if (!o->url || (strncmp(o->url, "http://", 7) != 0 &&
			strncmp(o->url, "https://", 8) != 0)) {
		snprintf(err, errlen,
			 "kafka: schema_registry must be an http:// or "
			 "https:// URL");
		return NULL;
	}
	if (!(reg = calloc(1, sizeof(*reg))))
		goto oom;
	rc_buf_init(&reg->resp, KAFKA_REGISTRY_MAX_RESPONSE + 1);
	reg->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	reg->url = strdup(o->url);
	reg->log_name = strdup(o->log_name ? o->log_name : "kafka");
	if (!reg->url || !reg->log_name)
		goto oom;
	n = strlen(reg->url);
	while (n > 0 && reg->url[n - 1] == '/')
		reg->url[--n] = 0;
	if ((o->user && !(reg->user = strdup(o->user))) ||
	    (o->password && !(reg->password = strdup(o->password))) ||
	    (o->ca && o->ca[0] && !(reg->ca = strdup(o->ca))) ||
	    (o->state_dir && !(reg->state_dir = strdup(o->state_dir))))
		goto oom;
	if (!(reg->curl = curl_easy_init()))
		goto oom;
	reg->headers = curl_slist_append(
		NULL, "Content-Type: application/vnd.schemaregistry.v1+json");
	if (reg->headers)
		reg->headers = curl_slist_append(
			reg->headers,
			"Accept: application/vnd.schemaregistry.v1+json, "
			"application/json");
	if (!reg->headers)
		goto oom;

	curl_easy_setopt(reg->curl, CURLOPT_HTTPHEADER, reg->headers);
	curl_easy_setopt(reg->curl, CURLOPT_WRITEFUNCTION, reg_write_cb);
	curl_easy_setopt(reg->curl, CURLOPT_WRITEDATA, reg);
	curl_easy_setopt(reg->curl, CURLOPT_ERRORBUFFER, reg->curl_err);
	curl_easy_setopt(reg->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(reg->curl, CURLOPT_TIMEOUT_MS, (long)reg->timeout_ms);
	curl_easy_setopt(reg->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)reg->timeout_ms);
	curl_easy_setopt(reg->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(reg->curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (reg->user) {
		curl_easy_setopt(reg->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(reg->curl, CURLOPT_USERNAME, reg->user);
		curl_easy_setopt(reg->curl, CURLOPT_PASSWORD,
				 reg->password ? reg->password : "");
	}
	if (reg->ca)
		curl_easy_setopt(reg->curl, CURLOPT_CAINFO, reg->ca);
	return reg;

oom:
	snprintf(err, errlen, "kafka: out of memory");
	kafka_registry_free(reg);
	return NULL;
}

void
kafka_registry_free(struct kafka_registry *reg)
{
	if (!reg)
		return;
	for (int i = 0; i < REG_BUCKETS; i++)
		while (reg->known[i]) {
			struct reg_known *kn = reg->known[i];
			reg->known[i] = kn->next;
			free(kn);
		}
	if (reg->curl)
		curl_easy_cleanup(reg->curl);
	curl_slist_free_all(reg->headers);
	rc_buf_free(&reg->resp);
	free(reg->url);
	free(reg->user);
	if (reg->password) {
		memset(reg->password, 0, strlen(reg->password));
		free(reg->password);
	}
	free(reg->ca);
	free(reg->state_dir);
	free(reg->log_name);
	free(reg);
}

uint64_t
kafka_registry_requests(const struct kafka_registry *reg)
{
	return reg->requests;
}

/* The "message" of a Confluent error body, else the body itself (cut),
 * into out. */
static void
reg_error_message(const struct kafka_registry *reg, char *out, size_t outlen)
{
	json_t *root = json_loadb(reg->resp.data ? reg->resp.data : "",
				  reg->resp.len, 0, NULL);
	const char *msg =
		root ? json_string_value(json_object_get(root, "message"))
		     : NULL;

	if (msg)
		snprintf(out, outlen, "%s", msg);
	else if (reg->resp.len)
		snprintf(out, outlen, "%.200s", reg->resp.data);
	else
		snprintf(out, outlen, "no message");
	json_decref(root);
}

/*
 * One POST of body to {url}/subjects/{subject}/versions. Returns 0 with
 * *id (200), 1 when it may be retried (transport error, 5xx, 429) with
 * the reason in err, -1 when it is permanent with the message in err.
 */
static int
reg_post(struct kafka_registry *reg, const char *subject, const char *body,
	 int32_t *id, char *err, size_t errlen)
{
	char *esc = curl_easy_escape(reg->curl, subject, 0);
	char url[REG_PATH], msg[256];
	CURLcode cc;
	long status = 0;
	json_t *root = NULL, *jid;
	int n;

	if (!esc) {
		snprintf(err, errlen, "kafka: out of memory");
		return -1;
	}
	n = snprintf(url, sizeof(url), "%s/subjects/%s/versions", reg->url,
		     esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		snprintf(err, errlen, "kafka: schema registry URL too long");
		return -1;
	}
	rc_buf_reset(&reg->resp);
	reg->too_big = 0;
	reg->curl_err[0] = 0;
	curl_easy_setopt(reg->curl, CURLOPT_URL, url);
	curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	reg->requests++;
	cc = curl_easy_perform(reg->curl);
	if (reg->too_big) {
		snprintf(err, errlen,
			 "kafka: schema registry: the answer for %s is longer "
			 "than %u bytes",
			 subject, KAFKA_REGISTRY_MAX_RESPONSE);
		return -1;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s",
			 reg->curl_err[0] ? reg->curl_err
					  : curl_easy_strerror(cc));
		return 1;
	}
	curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 500 || status == 429) {
		reg_error_message(reg, msg, sizeof(msg));
		snprintf(err, errlen, "HTTP %ld: %s", status, msg);
		return 1;
	}
	if (status == 409 || status == 422) {
		reg_error_message(reg, msg, sizeof(msg));
		snprintf(err, errlen,
			 "kafka: schema registry refused %s: %s; the table's "
			 "events stop here (fix the subject's compatibility or "
			 "the table)",
			 subject, msg);
		return -1;
	}
	if (status == 401 || status == 403) {
		snprintf(err, errlen,
			 "kafka: schema registry: HTTP %ld (%s) registering "
			 "%s: check schema_registry_user and "
			 "schema_registry_password",
			 status,
			 status == 401 ? "unauthorized: bad or missing "
					 "credentials"
				       : "forbidden",
			 subject);
		return -1;
	}
	if (status != 200) {
		reg_error_message(reg, msg, sizeof(msg));
		snprintf(err, errlen,
			 "kafka: schema registry: HTTP %ld registering %s: %s "
			 "(is schema_registry the registry's base URL?)",
			 status, subject, msg);
		return -1;
	}
	root = json_loadb(reg->resp.data ? reg->resp.data : "", reg->resp.len,
			  0, NULL);
	jid = root ? json_object_get(root, "id") : NULL;
	if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
	    json_integer_value(jid) > INT32_MAX) {
		snprintf(err, errlen,
			 "kafka: schema registry: no schema id in the answer "
			 "for %s: %.200s",
			 subject, reg->resp.len ? reg->resp.data : "(empty)");
		json_decref(root);
		return -1;
	}
	*id = (int32_t)json_integer_value(jid);
	json_decref(root);
	return 0;
}

/*
 * GET {url}/subjects, once, without retries: does the registry answer and
 * take the credentials? For `rowcast check`.
 */
int
kafka_registry_ping(struct kafka_registry *reg, int *nsubjects, char *err,
		    size_t errlen)
{
	char url[REG_PATH], msg[256];
	CURLcode cc;
	long status = 0;
	json_t *root;
	int n;

	n = snprintf(url, sizeof(url), "%s/subjects", reg->url);
	if (n < 0 || (size_t)n >= sizeof(url)) {
		snprintf(err, errlen, "schema registry URL too long");
		return -1;
	}
	rc_buf_reset(&reg->resp);
	reg->too_big = 0;
	reg->curl_err[0] = 0;
	curl_easy_setopt(reg->curl, CURLOPT_URL, url);
	curl_easy_setopt(reg->curl, CURLOPT_HTTPGET, 1L);
	reg->requests++;
	cc = curl_easy_perform(reg->curl);
	if (cc != CURLE_OK && !reg->too_big) {
		snprintf(err, errlen, "%s",
			 reg->curl_err[0] ? reg->curl_err
					  : curl_easy_strerror(cc));
		return -1;
	}
	curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401 || status == 403) {
		snprintf(err, errlen,
			 "HTTP %ld (%s): the registry refuses the credentials",
			 status, status == 401 ? "unauthorized" : "forbidden");
		return -2;
	}
	if (status != 200) {
		reg_error_message(reg, msg, sizeof(msg));
		snprintf(err, errlen, "HTTP %ld on GET /subjects: %s", status,
			 msg);
		return -1;
	}
	root = json_loadb(reg->resp.data ? reg->resp.data : "", reg->resp.len,
			  0, NULL);
	*nsubjects = json_is_array(root) ? (int)json_array_size(root) : -1;
	json_decref(root);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Registration                                                       */
/* ------------------------------------------------------------------ */

enum kafka_registry_rc
kafka_registry_id(struct kafka_registry *reg, const char *subject,
		  const char *json, int (*stop)(void *), void *arg, int32_t *id,
		  char *err, size_t errlen)
{
	uint64_t fp = rc_avro_fingerprint(json, strlen(json));
	struct reg_known *kn = reg_lookup(reg, subject, fp);
	int backoff = KAFKA_REGISTRY_BACKOFF_MIN_MS, rc;
	unsigned tries = 0;
	json_t *req;
	char *body;
	char why[RC_ERRLEN];

	if (kn) {
		*id = kn->id;
		return KAFKA_REGISTRY_OK;
	}
	if ((*id = reg_state_read(reg, subject, fp)) >= 0) {
		if (reg_remember(reg, subject, fp, *id) < 0)
			goto oom;
		rc_debug(REG_LOG, "%s: schema id %" PRId32 " of %s from %s",
			 reg->log_name, *id, subject, reg->state_dir);
		return KAFKA_REGISTRY_OK;
	}

	req = json_pack("{s:s}", "schema", json);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		goto oom;
	for (;;) {
		rc = reg_post(reg, subject, body, id, why, sizeof(why));
		if (rc <= 0)
			break;
		tries++;
		if (stop && stop(arg)) {
			snprintf(err, errlen,
				 "kafka: schema registry: %s not registered "
				 "before the stop (%u tries; last: %s)",
				 subject, tries, why);
			free(body);
			return KAFKA_REGISTRY_STOPPED;
		}
		rc_warn(REG_LOG,
			"%s: schema registry: registering %s: %s; retry %u in "
			"%d ms",
			reg->log_name, subject, why, tries, backoff);
		for (int slept = 0; slept < backoff; slept += REG_SLICE_MS) {
			if (stop && stop(arg))
				break;
			reg_sleep_ms(REG_SLICE_MS);
		}
		backoff *= 2;
		if (backoff > KAFKA_REGISTRY_BACKOFF_MAX_MS)
			backoff = KAFKA_REGISTRY_BACKOFF_MAX_MS;
	}
	free(body);
	if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		return KAFKA_REGISTRY_REFUSED;
	}
	if (tries)
		rc_info(REG_LOG,
			"%s: schema registry: %s registered after %u "
			"retries",
			reg->log_name, subject, tries);
	if (reg_state_write(reg, subject, fp, *id, err, errlen) < 0)
		return KAFKA_REGISTRY_ERROR;
	if (reg_remember(reg, subject, fp, *id) < 0)
		goto oom;
	rc_info(REG_LOG, "%s: schema registry: %s has id %" PRId32,
		reg->log_name, subject, *id);
	return KAFKA_REGISTRY_OK;
oom:
	snprintf(err, errlen, "kafka: out of memory");
	return KAFKA_REGISTRY_ERROR;
}
