/*
 * test_log.c -- rc_redact() keeps secrets out of text, and the log lines
 * are what log.h says: text as before, JSON lines that parse (jansson)
 * with the source and table when the message has them, escaped, cut
 * safely.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "log.h"
#include "redact.h"

static const char *
red(const char *in)
{
	static char out[1024];

	return rc_redact(in, out, sizeof(out));
}

#define REDACTS(in, want) CU_ASSERT_STRING_EQUAL(red(in), want)

static void
test_redact_conninfo(void)
{
	REDACTS("host=db port=5432 dbname=shop user=rc password=s3cret",
		"host=db port=5432 dbname=shop user=rc password=***");
	REDACTS("password=s3cret host=db", "password=*** host=db");
	REDACTS("host=db password = 's3 cr\\'et' user=x",
		"host=db password = *** user=x");
	REDACTS("PASSWORD=\"a b\" x", "PASSWORD=*** x");
	REDACTS("cannot connect: host=db password=pw1: connection refused",
		"cannot connect: host=db password=*** connection refused");
	/* not a key: prose and the MySQL client's message stay */
	REDACTS("password authentication failed for user \"rc\"",
		"password authentication failed for user \"rc\"");
	REDACTS("Access denied for user 'rc'@'h' (using password: YES)",
		"Access denied for user 'rc'@'h' (using password: YES)");
	/* where a secret is, not the secret */
	REDACTS("password_file = /etc/rowcast/pw",
		"password_file = /etc/rowcast/pw");
	REDACTS("password_env=PGPW", "password_env=PGPW");
	/* a key that only ends like one */
	REDACTS("nopassword=1", "nopassword=***");
	REDACTS("mypassword=1 x", "mypassword=*** x");
	REDACTS("xpassword", "xpassword");
}

static void
test_redact_properties(void)
{
	REDACTS("kafka.sasl.password = hunter2", "kafka.sasl.password = ***");
	REDACTS("sasl.password=hunter2,x", "sasl.password=***");
	REDACTS("ssl.key.password=k sasl.oauthbearer.client.secret=c",
		"ssl.key.password=*** sasl.oauthbearer.client.secret=***");
	REDACTS("schema_registry_password = pw",
		"schema_registry_password = ***");
	REDACTS("pwd=x;uid=y", "pwd=***");
}

static void
test_redact_uri(void)
{
	REDACTS("postgresql://rc:s3cret@db:5432/shop",
		"postgresql://rc:***@db:5432/shop");
	REDACTS("postgres://rc@db/shop", "postgres://rc@db/shop");
	REDACTS("http://reg:pw@127.0.0.1:8081/subjects",
		"http://reg:***@127.0.0.1:8081/subjects");
	REDACTS("see https://u:p%40ss@h:1 and http://h2/x",
		"see https://u:***@h:1 and http://h2/x");
	REDACTS("postgresql://db/shop?user=rc&password=pw",
		"postgresql://db/shop?user=rc&password=***");
	REDACTS("http://host:8081/x", "http://host:8081/x");
	/* an '@' after the authority is not user information */
	REDACTS("http://host:8081/a@b", "http://host:8081/a@b");
	CU_ASSERT_EQUAL(rc_redact_needed("http://a:b@c"), 1);
	CU_ASSERT_EQUAL(rc_redact_needed("host=db user=x"), 0);
}

static void
test_redact_bounds(void)
{
	char out[8];

	rc_redact("password=abcdef", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "passwor");
	rc_redact("abc", out, 1);
	CU_ASSERT_STRING_EQUAL(out, "");
	rc_redact(NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
}

static const struct timespec ts0 = {1767323045, 678000000};

static void
test_text_line(void)
{
	char buf[512];
	size_t n;

	n = rc_log_format_line(buf, sizeof(buf), RC_LOG_TEXT, &ts0, RC_LOG_INFO,
			       "postgresql", NULL, "shop", "hello");
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf,
			       "2026-01-02T03:04:05.678Z INFO  [postgresql] "
			       "hello\n");
	n = rc_log_format_line(buf, sizeof(buf), RC_LOG_TEXT, &ts0, RC_LOG_WARN,
			       "postgresql", RC_LOG_TBL("shop", "public", "t"),
			       NULL, "added public.t");
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(buf,
			       "2026-01-02T03:04:05.678Z WARN  [postgresql] "
			       "source shop: added public.t\n");
}

/* Parse one JSON line; the object, or NULL. */
static json_t *
parse_line(const char *buf, size_t n)
{
	json_error_t e;

	CU_ASSERT_TRUE(n > 0 && buf[n - 1] == '\n');
	CU_ASSERT_PTR_NULL(memchr(buf, '\n', n - 1));
	return json_loadb(buf, n - 1, 0, &e);
}

static void
test_json_line(void)
{
	char buf[1024];
	size_t n;
	json_t *o;

	n = rc_log_format_line(buf, sizeof(buf), RC_LOG_JSON, &ts0, RC_LOG_INFO,
			       "postgresql",
			       RC_LOG_TBL("shop", "public", "customers"), NULL,
			       "added \"x\"\\ \n\t\x01 caf\xc3\xa9 \xff!");
	buf[n] = '\0';
	CU_ASSERT_STRING_EQUAL(
		buf, "{\"ts\":\"2026-01-02T03:04:05.678Z\",\"level\":\"info\","
		     "\"component\":\"postgresql\",\"source\":\"shop\","
		     "\"table\":\"public.customers\",\"msg\":\"added "
		     "\\\"x\\\"\\\\ \\n\\t\\u0001 caf\xc3\xa9 \\ufffd!\"}\n");
	o = parse_line(buf, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "table")),
			       "public.customers");
	json_decref(o);

	/* no context: the thread's source; no table key */
	n = rc_log_format_line(buf, sizeof(buf), RC_LOG_JSON, &ts0,
			       RC_LOG_ERROR, NULL, NULL, "legacy", "boom");
	o = parse_line(buf, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "level")),
			       "error");
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(o, "component")), "rowcast");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "source")),
			       "legacy");
	CU_ASSERT_PTR_NULL(json_object_get(o, "table"));
	json_decref(o);

	/* neither: no source key */
	n = rc_log_format_line(buf, sizeof(buf), RC_LOG_JSON, &ts0,
			       RC_LOG_DEBUG, "kafka", NULL, NULL, "x");
	o = parse_line(buf, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NULL(json_object_get(o, "source"));
	json_decref(o);
}

/* A message longer than the line is cut, and the line still parses,
 * whatever escape or UTF-8 sequence falls at the cut. */
static void
test_json_cut(void)
{
	char msg[3000], buf[300];

	for (int shift = 0; shift < 8; shift++) {
		size_t n;
		json_t *o;

		for (size_t i = 0; i < sizeof(msg) - 1; i++)
			msg[i] =
				"\"\xc3\xa9\n\\ab\x02"[(i + (size_t)shift) % 8];
		msg[sizeof(msg) - 1] = '\0';
		n = rc_log_format_line(buf, sizeof(buf), RC_LOG_JSON, &ts0,
				       RC_LOG_INFO, "c", RC_LOG_SRC("s"), NULL,
				       msg);
		CU_ASSERT_TRUE(n <= sizeof(buf));
		o = parse_line(buf, n);
		CU_ASSERT_PTR_NOT_NULL(o);
		json_decref(o);
	}
}

static void
test_parse(void)
{
	CU_ASSERT_EQUAL(rc_log_format_parse("json"), RC_LOG_JSON);
	CU_ASSERT_EQUAL(rc_log_format_parse("TEXT"), RC_LOG_TEXT);
	CU_ASSERT_EQUAL(rc_log_format_parse("xml"), -1);
}

static const struct cu_test tests[] = {
	{"redact conninfo", test_redact_conninfo},
	{"redact properties", test_redact_properties},
	{"redact URIs", test_redact_uri},
	{"redact bounds", test_redact_bounds},
	{"text line", test_text_line},
	{"JSON line", test_json_line},
	{"JSON line cut", test_json_cut},
	{"format names", test_parse},
	{NULL, NULL},
};

CU_MAIN("log", tests)
