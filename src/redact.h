/*
 * redact.h -- keep secrets out of every line rowcast prints.
 *
 * rc_redact() copies a text and replaces what looks like a secret with
 * "***":
 *
 *   key = value pairs whose key names a secret (password, passwd, secret,
 *   pwd, e.g. libpq's password=..., sasl.password=...,
 *   schema_registry_password = ...), quoted ('...', "...") or not (up to
 *   the next blank); a key ending in _file or _env names where the secret
 *   is, not the secret, and is kept;
 *
 *   the password of a URI's user information: scheme://user:pw@host
 *   becomes scheme://user:***@host (libpq URIs, registry URLs).
 *
 * The logger (log.c) runs every message through it, and so does
 * `rowcast check` for its findings, so a connection string or URL that
 * reaches an error message is redacted wherever it came from.
 */
#ifndef RC_REDACT_H
#define RC_REDACT_H

#include <stddef.h>

/*
 * Copy in to out (outlen bytes, always terminated when outlen > 0, cut
 * when too long) with secrets replaced by "***". Returns out. in and out
 * must not overlap.
 */
char *rc_redact(const char *in, char *out, size_t outlen);

/* Does in hold something rc_redact() would replace? 1 or 0. */
int rc_redact_needed(const char *in);

#endif
