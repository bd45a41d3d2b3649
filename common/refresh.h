/*
 * refresh.h: the refresh tokens of the token API (gatehouse-sso's
 * <prefix>/token), in the table refresh_tokens.
 *
 * A password grant makes a session (auth_method "token", whose cookie is
 * never given out) and the first refresh token of a new family, bound to
 * that session.  A refresh token is "ghrt_" and 43 base64url characters
 * (32 random bytes); the table holds only its SHA-256 (hex) as id, with
 * its family (the id of the family's first token), its user, its session,
 * the family's end (the session's, [session] remember_timeout after the
 * grant), and the jti and expiry of the access token issued with it.
 *
 * Each refresh grant consumes its token (replaced_by names the next) and
 * issues the next of the family.  A token presented after it was consumed
 * means two parties hold the family (RFC 6819 §5.2.2.3, token theft): the
 * whole family is revoked, its session too, and its access tokens still
 * alive go on the blacklist (jwt_access.h).  The same happens when a
 * client revokes a refresh token (RFC 7009) and when the session ends
 * (refresh_revoke_session, refresh_revoke_user: logout everywhere, a new
 * password, a disabled user, a change of roles).
 *
 * Every function runs inside the caller's transaction (db_transact).
 */
#ifndef GH_REFRESH_H
#define GH_REFRESH_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "err.h"
#include "session.h"

#define REFRESH_PREFIX "ghrt_"
#define REFRESH_PREFIX_LEN 5
#define REFRESH_TOKEN_LEN (REFRESH_PREFIX_LEN + CRYPTO_TOKEN_LEN) /* 48 */

/* A family: who it belongs to, and what its next access token says. */
struct refresh_family {
	char family[CRYPTO_SHA256_HEX_LEN + 1];  /* "" for a new one */
	char session[CRYPTO_SHA256_HEX_LEN + 1]; /* its session's id */
	int64_t user_id;
	char username[256];
	char email[256];                   /* "" when none */
	char roles[SESSION_ROLES_MAX + 1]; /* the session's */
	int64_t expires_at;                /* the family's end */
};

/* The access token issued with a refresh token. */
struct refresh_access {
	const char *jti;
	int64_t expires_at;
};

/*
 * refresh_issue makes the next token of f (the first of a new family when
 * f->family is "": f->family becomes its id), bound to f->session and
 * f->user_id until f->expires_at, recording a, and writes it to token.
 * device is the client's user agent (may be NULL).
 */
enum gh_err refresh_issue(struct db *db, struct refresh_family *f, const struct refresh_access *a,
    int64_t now, const char *device, char token[REFRESH_TOKEN_LEN + 1]);

/* What refresh_rotate found. */
enum refresh_outcome {
	REFRESH_VALID,   /* consumed and the next token issued */
	REFRESH_INVALID, /* unknown, malformed, expired, revoked, its session
	                  * ended or its user not active */
	REFRESH_REUSED,  /* consumed before: the family is now revoked;
	                  * f->user_id and f->family tell whose */
};

/*
 * refresh_rotate consumes token for time now and issues the next of its
 * family (as refresh_issue, recording a) into next.  token is valid when
 * it is not consumed nor revoked, before its family's end, its session
 * not revoked and its user active; then f is filled (for the access
 * token).  A consumed token revokes its family as refresh_revoke_token
 * does.
 * The consumption is one conditional UPDATE: of two grants racing with
 * one token, one wins and the other finds it consumed.
 */
enum gh_err refresh_rotate(struct db *db, const char *token, const struct refresh_access *a,
    int64_t now, const char *device, struct refresh_family *f, char next[REFRESH_TOKEN_LEN + 1],
    enum refresh_outcome *out);

/* refresh_revoke_token revokes the family of token (RFC 7009): its
 * tokens, its session, its access tokens alive at now.  GH_OK and
 * *user_id (0 when token is none of ours or already revoked). */
enum gh_err refresh_revoke_token(struct db *db, const char *token, int64_t now, int64_t *user_id);
/* refresh_revoke_session and refresh_revoke_user revoke the tokens of a
 * session (by its id) or of a user and blacklist their access tokens; the
 * caller revokes the sessions. */
enum gh_err refresh_revoke_session(struct db *db, const char *session_id, int64_t now);
enum gh_err refresh_revoke_user(struct db *db, int64_t user_id, int64_t now);

/* refresh_purge deletes tokens whose family ended before now - keep
 * (gatehousectl purge); *deleted (may be NULL) receives the count. */
enum gh_err refresh_purge(struct db *db, int64_t now, int64_t keep, int64_t *deleted);

/* refresh_token_valid tells whether s has the form of a refresh token. */
bool refresh_token_valid(const char *s);

#endif
