/*
 * jws.h: compact JWTs (RFC 7519, JWS compact serialisation) verified and
 * signed around libjwt 1.10.2.
 *
 * libjwt alone is not to be trusted with a token from outside (design.md
 * §9): it lets the token's header pick the algorithm, takes anything with
 * a NULL key, checks no claim, decodes base64 leniently and copies the
 * token on the stack.  So jws_verify first checks the token's form itself
 * (its size, three canonical base64url parts, JSON objects without a
 * duplicate name), requires the header's "alg" to be exactly the one
 * configured (so "none", "NONE", an HS token against a public key all
 * fail there), picks the key by "kid" from a JWKS, checks the key's family
 * against the algorithm, lets libjwt check the signature with that key,
 * compares jwt_get_alg() with the configured algorithm once more, and then
 * checks every claim the rules ask for itself.
 */
#ifndef GH_JWS_H
#define GH_JWS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "jwks.h"

#define JWS_MAX_LEN 8192 /* longest token taken, in bytes */
#define JWS_JTI_MAX 255  /* longest jti taken, in bytes */

/* Why a token is refused; JWS_OK (0) when it is not. */
enum jws_refusal {
	JWS_OK = 0,
	JWS_TOO_LONG,      /* over JWS_MAX_LEN */
	JWS_MALFORMED,     /* not three base64url parts of JSON objects */
	JWS_BAD_HEADER,    /* a typ other than JWT, a crit, a kid not a string */
	JWS_WRONG_ALG,     /* an alg other than the configured one (none too) */
	JWS_UNKNOWN_KID,   /* no key of the JWKS has the token's kid */
	JWS_WRONG_KEY,     /* the key's family does not fit the algorithm */
	JWS_BAD_SIGNATURE, /* the signature does not verify */
	JWS_NO_EXP,        /* exp missing or not an integer */
	JWS_EXPIRED,       /* exp passed (beyond the skew) */
	JWS_EXP_TOO_FAR,   /* exp further ahead than the lifetime (and skew) */
	JWS_NOT_YET,       /* nbf or iat ahead of now (beyond the skew) */
	JWS_BAD_ISSUER,    /* iss missing or not the one expected */
	JWS_BAD_AUDIENCE,  /* aud missing or without the one expected */
	JWS_BAD_JTI,       /* jti missing, empty, over JWS_JTI_MAX, not a string */
	JWS_BAD_CLAIM,     /* nbf, iat or iss, aud of the wrong JSON type */
};

/* jws_refusal_text names r in a few words, for the audit trail. */
const char *jws_refusal_text(enum jws_refusal r);

/* The one key, or the set of keys, a token may be signed with. */
struct jws_key {
	enum config_alg alg;
	const unsigned char *secret; /* HS*: the shared secret */
	size_t secret_len;
	const char *pem; /* RS*, ES*: one PEM public key (kty its family) ... */
	size_t pem_len;
	enum jwks_kty kty;
	const struct jwks *jwks; /* ... or the key of this set the kid names */
};

/* What the claims must say. */
struct jws_rules {
	const char *issuer;   /* iss equals it exactly */
	const char *audience; /* aud equals it, or is an array holding it */
	int64_t max_lifetime; /* exp - now at most this (+ skew) */
	int64_t skew;         /* seconds of clock difference allowed */
	bool require_jti;
};

/* jws_verify checks token as above for time now (Unix seconds).  JWS_OK
 * and the claims (a JSON object; the caller json_decref()s it) when the
 * token holds; else the refusal and *claims NULL.  A memory failure is
 * JWS_MALFORMED: the token is refused either way. */
enum jws_refusal jws_verify(const char *token, const struct jws_key *key,
    const struct jws_rules *rules, int64_t now, json_t **claims);

/* jws_peek_claim copies the string claim name of token into out (outlen
 * bytes), read WITHOUT verifying the token: only to choose the key that
 * will verify it.  JWS_OK; JWS_TOO_LONG or JWS_MALFORMED for a token of
 * the wrong form; JWS_BAD_CLAIM when the claim is absent, not a string, or
 * does not fit. */
enum jws_refusal jws_peek_claim(const char *token, const char *name, char *out, size_t outlen);

/* jws_sign signs claims (a JSON object) with private key pem[0..pem_len)
 * of alg (CONFIG_ES256 or CONFIG_RS256 for Gatehouse's keys), the header
 * naming kid.  *token is a malloc'd NUL-terminated string the caller
 * frees.  GH_ECRYPTO when libjwt refuses the key, GH_ENOMEM. */
enum gh_err jws_sign(enum config_alg alg, const char *pem, size_t pem_len, const char *kid,
    json_t *claims, char **token);

/* jws_alg_name is "HS256" ... "ES384". */
const char *jws_alg_name(enum config_alg alg);

#endif
