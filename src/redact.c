/*
 * redact.c -- replace secrets in text with "***" (redact.h).
 */
#include "redact.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define RC_REDACTED "***"

/* Bounded output: the text written so far, cut at outlen - 1. */
struct rc_rout {
	char *buf;
	size_t len, pos;
};

static void
rout_putn(struct rc_rout *o, const char *s, size_t n)
{
	if (o->len == 0)
		return;
	if (o->pos + n > o->len - 1)
		n = o->len - 1 - o->pos;
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
}

static int
key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* A key starts here: at the start, or after a character that cannot be
 * part of a key. */
static int
key_start(const char *in, const char *p)
{
	return p == in || !key_char(p[-1]);
}

/* Does the key [k, k+n) name a secret? */
static int
secret_key(const char *k, size_t n)
{
	static const char *const words[] = {"password", "passwd", "secret",
					    NULL};
	char low[128];

	if (n == 0 || n >= sizeof(low))
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)k[i]);
	low[n] = '\0';
	/* password_file, password_env: where the secret is, not the secret */
	if ((n > 5 && strcmp(low + n - 5, "_file") == 0) ||
	    (n > 4 && strcmp(low + n - 4, "_env") == 0))
		return 0;
	if (strcmp(low, "pwd") == 0 || strcmp(low, "pass") == 0)
		return 1;
	for (int i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

/*
 * At p a secret key may start: when it does and is followed by '=', the
 * length of "key = " is in *keylen and the value's end is returned; else
 * NULL.
 */
static const char *
match_secret_pair(const char *in, const char *p, size_t *keylen)
{
	const char *k = p, *v;
	size_t n = 0;

	if (!key_start(in, p))
		return NULL;
	while (key_char(k[n]))
		n++;
	if (!secret_key(k, n))
		return NULL;
	v = k + n;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v != '=')
		return NULL;
	v++;
	while (*v == ' ' || *v == '\t')
		v++;
	*keylen = (size_t)(v - p);
	if (*v == '\'' || *v == '"') {
		char q = *v++;

		while (*v && *v != q) {
			if (*v == '\\' && v[1])
				v++;
			v++;
		}
		return *v ? v + 1 : v;
	}
	while (*v && !isspace((unsigned char)*v))
		v++;
	return v;
}

/*
 * At p "://" starts: when the authority that follows holds user:password@,
 * *pw is the password's start and its end is returned; else NULL.
 */
static const char *
match_uri_password(const char *p, const char **pw)
{
	const char *a = p + 3, *end, *at = NULL, *colon = NULL;

	end = a + strcspn(a, "/?# \t\r\n\"'<>");
	for (const char *q = a; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return NULL;
	for (const char *q = a; q < at; q++)
		if (*q == ':') {
			colon = q;
			break;
		}
	if (!colon)
		return NULL;
	*pw = colon + 1;
	return at;
}

char *
rc_redact(const char *in, char *out, size_t outlen)
{
	struct rc_rout o = {out, outlen, 0};
	const char *p = in ? in : "";

	while (*p && (outlen == 0 || o.pos < outlen - 1)) {
		const char *end, *pw;
		size_t keylen;

		if (p[0] == ':' && p[1] == '/' && p[2] == '/' &&
		    (end = match_uri_password(p, &pw))) {
			rout_putn(&o, p, (size_t)(pw - p));
			rout_putn(&o, RC_REDACTED, strlen(RC_REDACTED));
			p = end; /* the '@' */
			continue;
		}
		if ((end = match_secret_pair(in, p, &keylen))) {
			rout_putn(&o, p, keylen);
			rout_putn(&o, RC_REDACTED, strlen(RC_REDACTED));
			p = end;
			continue;
		}
		rout_putn(&o, p, 1);
		p++;
	}
	if (outlen)
		out[o.pos] = '\0';
	return out;
}

int
rc_redact_needed(const char *in)
{
	const char *pw;
	size_t keylen;

	for (const char *p = in ? in : ""; *p; p++) {
		if (p[0] == ':' && p[1] == '/' && p[2] == '/' &&
		    match_uri_password(p, &pw))
			return 1;
		if (match_secret_pair(in, p, &keylen))
			return 1;
	}
	return 0;
}
