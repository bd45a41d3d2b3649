/*
 * session.h: server-side sessions.
 *
 * The cookie holds a random token (32 bytes, base64url); the sessions table
 * holds only its SHA-256 (hex) as id.  A session is valid while not revoked,
 * before expires_at (absolute) and within idle_timeout of last_seen_at.
 * last_seen_at is written at most once per touch_interval, so the check is a
 * single indexed read on most requests.
 */
#ifndef GH_SESSION_H
#define GH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "err.h"

struct config;

#define SESSION_ROLES_MAX 1023 /* bytes of a session's comma-separated roles */

struct session_info {
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t user_id;
	char username[256];
	char email[256];
	char roles[SESSION_ROLES_MAX + 1]; /* comma-separated role names */
	int64_t created_at;
	int64_t expires_at;
	int64_t last_seen_at; /* as the table holds it after this lookup's touch */
	int64_t idle_timeout; /* seconds */
	bool mfa;
};

struct session_new {
	int64_t user_id;
	const char *auth_method; /* "form", "sso", "token" */
	bool remember;
	bool mfa;
	const char *ip;
	const char *user_agent;
	/* Roles the session holds besides its user's (comma-separated; NULL or
	 * "": none): those a partner's token maps to (single sign-on), held by
	 * this session only, never stored on the user. */
	const char *extra_roles;
};

/* session_create makes a new session, holding the roles its user has now
 * (a change of roles ends the user's sessions, see account.c) and
 * s->extra_roles, and writes its cookie token to token.  With extra roles
 * it runs two statements: call it inside a transaction (db_transact).
 * GH_ETOOBIG when the roles together do not fit in SESSION_ROLES_MAX. */
enum gh_err session_create(struct db *db, const struct config *cfg, const struct session_new *s,
    char token[CRYPTO_TOKEN_LEN + 1]);
/* session_lookup finds the valid session of token and fills out; touches
 * last_seen_at when due.  GH_ENOTFOUND when the token is malformed, unknown,
 * revoked, expired or idle too long, or the user is not active. */
enum gh_err session_lookup(
    struct db *db, const struct config *cfg, const char *token, struct session_info *out);
/* session_lookup_cached is session_lookup with the check's cache in front
 * (session_cache.h; NULL: none): a hit answers without the database, a
 * miss asks it and stores a valid session. */
struct session_cache;
enum gh_err session_lookup_cached(struct db *db, const struct config *cfg,
    struct session_cache *cache, const char *token, struct session_info *out);
/* session_revoke revokes the session of token (GH_OK also when unknown). */
enum gh_err session_revoke(struct db *db, const char *token);
/* session_revoke_id revokes by stored id (hex SHA-256), for gatehousectl. */
enum gh_err session_revoke_id(struct db *db, const char *id);
/* session_owner writes to *user_id the user of the live (not revoked)
 * session whose stored id is id; GH_ENOTFOUND when there is none. */
enum gh_err session_owner(struct db *db, const char *id, int64_t *user_id);
/* session_revoke_user revokes every session of user_id (db_changes: how
 * many were live). */
enum gh_err session_revoke_user(struct db *db, int64_t user_id);
/* session_purge deletes sessions expired or revoked before now - keep
 * seconds; *deleted (may be NULL) receives the count. */
enum gh_err session_purge(struct db *db, int64_t keep, int64_t *deleted);
/* A session as a list shows it, valid only during the callback. */
struct session_row {
	const char *id; /* the stored id (hex SHA-256 of the token) */
	const char *username;
	int64_t created_at, last_seen_at, expires_at;
	const char *auth_method;
	const char *ip; /* "" when unknown */
};
/* session_list calls fn for every session not revoked nor past its
 * expiry, oldest first, of username only unless it is "" (see user_list). */
enum gh_err session_list(struct db *db, const char *username,
    enum gh_err (*fn)(const struct session_row *row, void *arg), void *arg);
/* session_token_valid tells whether s has the shape of a cookie token. */
bool session_token_valid(const char *s);
/* session_cookie_name returns the cookie name for the request's scheme:
 * "__Host-<name>" over HTTPS, "<name>" over HTTP. */
const char *session_cookie_name(const struct config *cfg, bool https, char *out, size_t outlen);

#endif
