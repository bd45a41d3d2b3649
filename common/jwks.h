/*
 * jwks.h: JSON Web Keys (RFC 7517, 7518 §6) to and from PEM public keys.
 *
 * A partner's keys may come as a JWKS file ({"keys": [...]}); libjwt 1.10
 * verifies with a PEM public key, so each usable key is turned into one
 * here, with its kid, type and curve, so that the caller can pick the key a
 * token names and refuse a key of the wrong family.  The other way round,
 * Gatehouse's own public keys are published at <prefix>/jwks.json.
 *
 * Only public RSA keys (n, e; 2048 to 8192 bits, e odd, over 1 and at most
 * 64 bits) and EC keys on P-256 and P-384 (x, y of 32 or 48 bytes; the point
 * must be on the curve) are taken; a JWK with "d" or another private member
 * (p, q, dp, dq, qi, oth, k), with "use" other than "sig", with "key_ops"
 * that lacks "verify", or with an "alg" that is not one of RS256/384/512,
 * ES256/384 or does not fit the key (ES256 is P-256 only) is refused, as is
 * one of another kty, or a kid that is not 1 to JWKS_KID_MAX bytes of
 * printable ASCII.  One bad key refuses the whole document, as does a
 * document over JWKS_MAX_BYTES, with no keys or over JWKS_MAX_KEYS, or with
 * two keys of one kid (or two without one: jwks_find must name one key).
 * base64url is taken without padding, in its canonical spelling only.
 */
#ifndef GH_JWKS_H
#define GH_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define JWKS_MAX_BYTES (64 * 1024) /* largest JWKS document */
#define JWKS_MAX_KEYS 32           /* keys in one document at most */
#define JWKS_KID_MAX 128           /* longest kid, in bytes */

enum jwks_kty { JWKS_RSA, JWKS_EC_P256, JWKS_EC_P384 };

/* One usable public key. */
struct jwks_key {
	char kid[JWKS_KID_MAX + 1]; /* "" when the JWK has none */
	enum jwks_kty kty;
	char alg[8];    /* the JWK's "alg", "" when it has none */
	char *pem;      /* "-----BEGIN PUBLIC KEY-----..." NUL-terminated */
	size_t pem_len; /* strlen(pem) */
};

struct jwks {
	struct jwks_key *keys;
	size_t nkeys;
};

/* jwks_parse reads the JWKS document json[0..len) into *out (zeroed first,
 * and zeroed again on failure; free with jwks_cleanup).  GH_EINVAL or
 * GH_ETOOBIG with a reason in err ("keys[1] (kid "k"): ...": the key by
 * index and kid, never key material), GH_ENOMEM. */
enum gh_err jwks_parse(const char *json, size_t len, struct jwks *out, char *err, size_t errlen);
/* jwks_load reads the file path (at most JWKS_MAX_BYTES) and parses it;
 * GH_EIO when it cannot be read or is not a regular file, GH_ETOOBIG when
 * it is larger, else as jwks_parse.  Every message starts with path. */
enum gh_err jwks_load(const char *path, struct jwks *out, char *err, size_t errlen);
/* jwks_read_file reads path, a regular file of at most JWKS_MAX_BYTES (a
 * JWKS document or a PEM key a partner names), into a fresh NUL-terminated
 * buffer (*out, *len; the caller frees it); a FIFO or device in its place is
 * refused at once, never waited on.  GH_EIO, GH_ETOOBIG or GH_ENOMEM with
 * the reason, naming path, in err. */
enum gh_err jwks_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen);
/* jwks_find returns the key whose kid is kid (exact; "" finds the key that
 * has none), or NULL. */
const struct jwks_key *jwks_find(const struct jwks *set, const char *kid);
/* jwks_cleanup frees everything of set; harmless on a zeroed one. */
void jwks_cleanup(struct jwks *set);

/* jwks_pem_kty tells the family of PEM public key pem[0..len) (an RSA key
 * of 2048 to 8192 bits, or EC P-256/P-384, checked as jwks_parse checks a
 * JWK): GH_OK and *kty, or GH_EINVAL (also for a private key's PEM). */
enum gh_err jwks_pem_kty(const char *pem, size_t len, enum jwks_kty *kty);

/* jwks_add_json appends to *doc (a JSON object {"keys": []} made by the
 * caller with json_pack("{s:[]}", "keys")) the public JWK of PEM key
 * pem[0..len) (public or private PEM: only public parts are written) with
 * "kid", "alg", "use": "sig"; kid or alg NULL leaves that member out.  doc
 * is a json_t *; void * keeps jansson out of this header.  GH_EINVAL for a
 * key it cannot read or that jwks_pem_kty would refuse, an encrypted PEM, a
 * kid or alg jwks_parse would refuse (alg must fit the key); GH_EEXISTS when
 * a key of doc has that kid already (or also has none), GH_ETOOBIG when doc
 * holds JWKS_MAX_KEYS keys already, GH_ENOMEM.  What it writes, jwks_parse
 * takes. */
enum gh_err jwks_add_json(void *doc, const char *pem, size_t len, const char *kid, const char *alg);

#endif
