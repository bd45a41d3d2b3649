/*
 * jwt_access.h: the access tokens of the token API (gatehouse-sso's
 * <prefix>/token), which the check takes as "Authorization: Bearer".
 *
 * An access token is a JWT (RFC 7519, in the shape of RFC 9068) signed by
 * Gatehouse's active key (signkey.h, ES256 or RS256), its header naming
 * the key's kid.  Its claims:
 *
 *   iss    [sso] issuer
 *   aud    [token] audience (default: the issuer); no partner's
 *          out_audience may equal it, so that an outbound SSO token,
 *          signed by the same keys, is never an access token
 *   sub    the user name
 *   uid    the user id (an integer)
 *   email  the user's e-mail, absent when none
 *   roles  an array of role names (those of the token's session)
 *   jti    43 base64url characters (crypto_token)
 *   iat, exp  exp - iat = [token] access_lifetime (default 15 min)
 *
 * A token is verified with the public keys of the keys Gatehouse publishes
 * (signkey_published; gatehouse-check reads them from [sso]
 * public_keys_file, never the private keys), read once at start, by jws.h (the algorithm pinned
 * by the key the kid names, every claim checked, skew 60 s), and then
 * against the blacklist revoked_jti, where a token revoked before its
 * expiry stays until it expires.
 */
#ifndef GH_JWT_ACCESS_H
#define GH_JWT_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "err.h"
#include "jwks.h"
#include "jws.h"
#include "session.h"
#include "signkey.h"

struct config;

#define JWT_ACCESS_SKEW 60 /* seconds of clock difference taken */

/* What an access token says. */
struct jwt_access_claims {
	char jti[CRYPTO_TOKEN_LEN + 1];
	int64_t user_id;                   /* "uid" */
	char username[256];                /* "sub" */
	char email[256];                   /* "" when none */
	char roles[SESSION_ROLES_MAX + 1]; /* comma-separated, "" when none */
	int64_t iat, exp;
};

/* The public keys that verify access tokens: those of each algorithm. */
struct jwt_access_keys {
	struct jwks es256, rs256;
	bool loaded; /* false: no key, every token is refused */
};

/*
 * jwt_access_keys_load reads the public keys of [sso] public_keys_file (a
 * JWKS document of ES256 and RS256 keys, signkey_publish's), for a program
 * that only verifies (gatehouse-check): it never opens [sso] keys_dir.  A
 * missing file is GH_OK with out->loaded false (every access token is then
 * refused), as is one of no key; one that cannot be read or is not such a
 * document is an error (GH_EIO, GH_EINVAL, GH_ETOOBIG) with its message,
 * naming the file, in err.  jwt_access_keys_of does the same from the
 * published keys of set, loaded by signkey_load (gatehouse-sso, which has
 * them).
 */
enum gh_err jwt_access_keys_load(
    const struct config *cfg, struct jwt_access_keys *out, char *err, size_t errlen);
enum gh_err jwt_access_keys_of(
    const struct signkey_set *set, struct jwt_access_keys *out, char *err, size_t errlen);
void jwt_access_keys_cleanup(struct jwt_access_keys *keys);

/*
 * jwt_access_verify checks token (signature, algorithm, iss, aud, exp,
 * iat, jti and the claims above, their types and sizes) for time now and
 * fills out.  JWS_OK, or the refusal (out zeroed).  It does not look at
 * the blacklist (jwt_access_revoked) and asks no database.
 */
enum jws_refusal jwt_access_verify(const struct config *cfg, const struct jwt_access_keys *keys,
    const char *token, int64_t now, struct jwt_access_claims *out);

/* jwt_access_sign makes the token of c (its jti, iat and exp set by the
 * caller) with key k: *token is malloc'd, the caller frees it. */
enum gh_err jwt_access_sign(const struct config *cfg, const struct signkey *k,
    const struct jwt_access_claims *c, char **token);

/* jwt_access_revoked tells whether jti is on the blacklist: one read by
 * primary key.  GH_OK and *revoked; GH_EDB. */
enum gh_err jwt_access_revoked(struct db *db, const char *jti, bool *revoked);
/* jwt_access_revoke puts jti on the blacklist until expires_at (GH_OK when
 * it is there already). */
enum gh_err jwt_access_revoke(struct db *db, const char *jti, int64_t expires_at);
/* jwt_access_purge deletes the blacklist's entries expired before now
 * (gatehousectl purge); *deleted (may be NULL) receives the count. */
enum gh_err jwt_access_purge(struct db *db, int64_t now, int64_t *deleted);

#endif
