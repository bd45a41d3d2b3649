/*
 * partner.h: the partner sites of single sign-on ([partner NAME] in
 * gatehouse.conf) as gatehouse-sso uses them: each partner's key read from
 * its files once at start, the choice of partner for a token, the
 * redirect allowlist, the user claim, the role mapping and the jti replay
 * record shared through the database (table sso_jti).
 */
#ifndef GH_PARTNER_H
#define GH_PARTNER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "jwks.h"
#include "jws.h"

/* One partner, ready to verify its tokens. */
struct partner {
	const struct config_partner *cfg;
	struct jws_key key;     /* points into pem, jwks or cfg->secret */
	struct jws_rules rules; /* its issuer, audience, lifetime, skew; jti required */
	char *pem;              /* public_key_file's text, or NULL */
	size_t pem_len;
	struct jwks jwks; /* jwks_file's keys, or none */
};

struct partner_set {
	struct partner *list;
	size_t n;
};

/* partner_load reads the key files of every partner of cfg that takes
 * tokens (issuer set) into *out (zeroed first; cfg must outlive it).  A
 * file that cannot be read, a PEM that is not a public key of the family
 * of the partner's algorithm, a JWKS without a key of that family: an
 * error naming the partner and key in err, GH_ECONFIG. */
enum gh_err partner_load(
    const struct config *cfg, struct partner_set *out, char *err, size_t errlen);
/* partner_cleanup frees set; harmless on a zeroed one. */
void partner_cleanup(struct partner_set *set);

/* partner_for_token finds the partner whose issuer is the token's "iss"
 * (read unverified, only to choose the key; jws_verify then checks it):
 * JWS_OK and *p; the form's refusal (jws_peek_claim); JWS_BAD_ISSUER when
 * no partner has that issuer or the token has none. */
enum jws_refusal partner_for_token(
    const struct partner_set *set, const char *token, const struct partner **p);

/* partner_redirect_allowed tells whether target may be redirected to for
 * partner p: it equals an entry of p's redirect list, or starts with an
 * entry that ends in "/"; never with a control character, a space or a
 * backslash, never over URL_NEXT_MAX bytes, never a "//host" path. */
bool partner_redirect_allowed(const struct config_partner *p, const char *target);

/* partner_user_value returns the claim of p's user_claim in claims (a
 * non-empty string without control characters, at most 254 bytes), or
 * NULL. */
const char *partner_user_value(const struct config_partner *p, const json_t *claims);

/* partner_roles writes into out (outlen bytes) the local roles p's
 * role_map gives for the values of p's role_claim in claims (a string or
 * an array of strings; others are ignored), comma-separated, each once, in
 * role_map's order; "" for none.  GH_ETOOBIG when they do not fit. */
enum gh_err partner_roles(
    const struct config_partner *p, const json_t *claims, char *out, size_t outlen);

/* partner_jti_use records that p's token jti (valid until expires_at) was
 * used: GH_OK the first time, GH_EEXISTS when it was used before (on any
 * web server sharing the database), GH_EDB.  Stored as the SHA-256 of
 * "NAME\0jti", so one partner's jti never blocks another's. */
enum gh_err partner_jti_use(
    struct db *db, const struct config_partner *p, const char *jti, int64_t expires_at);
/* partner_jti_purge deletes the records that expired before now. */
enum gh_err partner_jti_purge(struct db *db, int64_t now, int64_t *deleted);

#endif
