/*
 * credential.h: the credential an API client sends in its Authorization
 * header, as gatehouse-check takes it: a Bearer token (RFC 6750) or HTTP
 * Basic's user and password (RFC 7617).
 *
 * The parse is strict and bounded, and looks at nothing but the header:
 *
 *   Bearer TOKEN   the scheme written so (the case RFC 6750 and every
 *                  client write; "bearer" is refused), one space, and a
 *                  b64token (RFC 6750 2.1: letters, digits, "-._~+/",
 *                  then "=" padding only) of 1 to CREDENTIAL_TOKEN_MAX
 *                  bytes, to the end of the header.
 *   Basic B64      the scheme written so, one space, and canonical base64
 *                  (RFC 4648 4: the standard alphabet, "=" padding to a
 *                  multiple of four, the unused bits zero: one text per
 *                  value) of at most CREDENTIAL_BASIC_MAX bytes, which
 *                  decode to "user:password": exactly one ":", a user of 1
 *                  to CREDENTIAL_USER_MAX bytes and a password of at least
 *                  one, no control byte (below 0x20, 0x7f) in either.
 *
 * Anything else (another scheme, two spaces, a trailing space, a longer
 * header) is malformed: GH_EINVAL.  Which kind of token a Bearer token or
 * a Basic password is (an access JWT, a personal access token) is the
 * caller's to tell (pat_token_valid).
 */
#ifndef GH_CREDENTIAL_H
#define GH_CREDENTIAL_H

#include <stddef.h>

#include "err.h"

#define CREDENTIAL_TOKEN_MAX 8192 /* bytes of a Bearer token (jws.h's JWS_MAX_LEN) */
#define CREDENTIAL_BASIC_MAX 511  /* decoded bytes of Basic's "user:password" */
#define CREDENTIAL_USER_MAX 255   /* bytes of Basic's user */
/* The longest header taken: "Bearer " and the longest token. */
#define CREDENTIAL_HEADER_MAX (7 + CREDENTIAL_TOKEN_MAX)

enum credential_scheme {
	CREDENTIAL_BEARER,
	CREDENTIAL_BASIC,
};

/* A parsed credential.  For Bearer, token points into the header given
 * (which must outlive it) and user is NULL; for Basic, user and token (the
 * password) point into basic.  credential_cleanup wipes it. */
struct credential {
	enum credential_scheme scheme;
	const char *user;
	const char *token;
	char basic[CREDENTIAL_BASIC_MAX + 1]; /* Basic: "user\0password\0" */
};

/* credential_parse reads header (an Authorization header's value) into
 * out: GH_OK, or GH_EINVAL for NULL and anything but the two forms above
 * (out then holds no decoded byte and its pointers are NULL). */
enum gh_err credential_parse(const char *header, struct credential *out);
/* credential_cleanup wipes the decoded Basic credential of c; harmless
 * twice. */
void credential_cleanup(struct credential *c);

/* credential_base64_decode decodes the canonical base64 text s[0..n) (see
 * above; no whitespace) into out, which holds outlen bytes: the decoded
 * length, or -1 for text that is not canonical base64 or does not fit.
 * Exposed for the fuzzer and the tests. */
long credential_base64_decode(const char *s, size_t n, unsigned char *out, size_t outlen);

#endif
