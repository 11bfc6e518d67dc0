/*
 * kafka_registry.h -- a Confluent Schema Registry client (REST, libcurl).
 *
 * Registers Avro schema texts under subjects and returns their ids:
 *
 *   POST {base}/subjects/{subject}/versions
 *        Content-Type: application/vnd.schemaregistry.v1+json
 *        {"schema": "<schema JSON text, as a string>"}
 *   200  {"id": N}
 *   4xx  {"error_code": N, "message": "..."}
 *
 * Ids are cached in memory by (subject, fingerprint) and in the state
 * directory, one file per schema: <state_dir>/registry/<subject>.<fp hex>
 * holding the id in decimal, written atomically, so a restart needs no
 * registry for the schemas it already registered. The fingerprint is the
 * CRC-64-AVRO of the schema text as registered (not of its canonical form:
 * the registry tells apart texts that differ only in logical types).
 *
 * Transport errors, 5xx and 429 are retried for ever with exponential
 * backoff (100 ms doubling to 5 s), one WARN per retry (never the
 * password), until the caller's stop callback says so. Any other answer
 * but 200 is permanent: 409 and 422 are "refused", 401/403 name the
 * credentials.
 *
 * @locality one client per thread (the pipeline thread of its sink).
 */
#ifndef RC_KAFKA_REGISTRY_H
#define RC_KAFKA_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

/* Largest registry answer read; a longer body is an error. */
#define KAFKA_REGISTRY_MAX_RESPONSE (256u * 1024u)
/* Retry backoff of registry calls. */
#define KAFKA_REGISTRY_BACKOFF_MIN_MS 100
#define KAFKA_REGISTRY_BACKOFF_MAX_MS 5000

struct kafka_registry;

struct kafka_registry_opts {
	const char *url;       /* base URL, e.g. http://127.0.0.1:8081 */
	const char *user;      /* basic auth; NULL = none */
	const char *password;  /* with user */
	const char *ca;	       /* CA file for https; NULL = system store */
	const char *state_dir; /* NULL = no cache on disk */
	int64_t timeout_ms;    /* per request */
	const char *log_name;  /* in log lines, e.g. the sink's name */
};

/* The answer of kafka_registry_id(). */
enum kafka_registry_rc {
	KAFKA_REGISTRY_OK = 0,
	KAFKA_REGISTRY_REFUSED = -1, /* permanent: the registry said no */
	KAFKA_REGISTRY_STOPPED = -2, /* stop() said so while retrying */
	KAFKA_REGISTRY_ERROR = -3,   /* local: out of memory, state dir */
};

/* A client; the strings of opts are copied. NULL with err set. Free with
 * kafka_registry_free() (accepts NULL). */
struct kafka_registry *kafka_registry_new(const struct kafka_registry_opts *o,
					  char *err, size_t errlen);
void kafka_registry_free(struct kafka_registry *reg);

/*
 * The id of schema text json under subject: from memory, else from the
 * state directory, else registered (and then saved to both). While the
 * registry cannot be reached, retries until stop(arg) returns non-zero
 * (stop may be NULL: retry for ever). Returns KAFKA_REGISTRY_OK with *id
 * set, or another kafka_registry_rc with a message in err.
 */
enum kafka_registry_rc kafka_registry_id(struct kafka_registry *reg,
					 const char *subject, const char *json,
					 int (*stop)(void *), void *arg,
					 int32_t *id, char *err, size_t errlen);

/*
 * One GET {url}/subjects without retries (rowcast check): 0 with
 * *nsubjects (-1 when the answer was not a list), -2 when the registry
 * refused the credentials (401, 403), -1 otherwise; err says why.
 */
int kafka_registry_ping(struct kafka_registry *reg, int *nsubjects, char *err,
			size_t errlen);

/* HTTP requests made so far (tests). */
uint64_t kafka_registry_requests(const struct kafka_registry *reg);

#endif
