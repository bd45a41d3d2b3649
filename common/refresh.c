/*
 * refresh.c: the refresh tokens of the token API (see refresh.h).
 *
 * A family is revoked in three statements, whatever its length: its tokens
 * (revoked_at), its session, and one INSERT ... SELECT that puts the access
 * tokens of its rows still alive on the blacklist.  The same three, by
 * session or by user, end the tokens of a session or of a user.
 */
#include <string.h>

#include "jwt_access.h"
#include "refresh.h"

bool
refresh_token_valid(const char *s)
{
	return crypto_prefixed_token_valid(s, REFRESH_PREFIX);
}

/* -- Issue --------------------------------------------------------------- */

/* refresh_insert stores the token of id, the next of family f. */
static enum gh_err
refresh_insert(struct db *db, const char *id, const struct refresh_family *f,
    const struct refresh_access *a, int64_t now, const char *device)
{
	return db_run(db,
	    "INSERT INTO refresh_tokens (id, family_id, user_id, session_id, issued_at, "
	    "expires_at, device_info, access_jti, access_expires_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    DB_TEXT(id), DB_TEXT(f->family), DB_INT64(f->user_id), DB_TEXT(f->session),
	    DB_INT64(now), DB_INT64(f->expires_at), DB_TEXT(device), DB_TEXT(a->jti),
	    DB_INT64(a->expires_at));
}

enum gh_err
refresh_issue(struct db *db, struct refresh_family *f, const struct refresh_access *a, int64_t now,
    const char *device, char token[REFRESH_TOKEN_LEN + 1])
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	enum gh_err e;

	if ((e = crypto_prefixed_token(REFRESH_PREFIX, token)) != GH_OK)
		return e;
	crypto_sha256_hex(token, REFRESH_TOKEN_LEN, id);
	if (f->family[0] == '\0')
		memcpy(f->family, id, sizeof(id));
	e = refresh_insert(db, id, f, a, now, device);
	if (e != GH_OK)
		crypto_wipe(token, REFRESH_TOKEN_LEN + 1);
	return e;
}

/* -- Revocation ---------------------------------------------------------- */

/* What a revocation goes by: the family, the session or the user. */
enum refresh_scope { REFRESH_BY_FAMILY, REFRESH_BY_SESSION, REFRESH_BY_USER };

/* The blacklist's INSERT ... SELECT by scope, per dialect: a jti there
 * already is kept (on PostgreSQL a failed INSERT would end the caller's
 * transaction). */
#define REFRESH_BLACKLIST_SELECT(col)                                                 \
	"SELECT access_jti, access_expires_at FROM refresh_tokens WHERE " col " = ? " \
	"AND access_jti IS NOT NULL AND access_expires_at > ?"
#define REFRESH_BLACKLIST(col)                                                                    \
	{                                                                                         \
		[DB_SQLITE] = "INSERT OR IGNORE INTO revoked_jti (jti, "                          \
		              "expires_at) " REFRESH_BLACKLIST_SELECT(col),                       \
		[DB_MYSQL] =                                                                      \
		    "INSERT IGNORE INTO revoked_jti (jti, expires_at) " REFRESH_BLACKLIST_SELECT( \
		        col),                                                                     \
		[DB_POSTGRESQL] =                                                                 \
		    "INSERT INTO revoked_jti (jti, expires_at) " REFRESH_BLACKLIST_SELECT(        \
		        col) " ON CONFLICT (jti) DO NOTHING",                                     \
	}
static const char *const refresh_blacklist_sql[][DB_NDIALECTS] = {
    [REFRESH_BY_FAMILY] = REFRESH_BLACKLIST("family_id"),
    [REFRESH_BY_SESSION] = REFRESH_BLACKLIST("session_id"),
    [REFRESH_BY_USER] = REFRESH_BLACKLIST("user_id"),
};

static const char *const refresh_revoke_sql[] = {
    [REFRESH_BY_FAMILY] = "UPDATE refresh_tokens SET revoked_at = ? "
                          "WHERE family_id = ? AND revoked_at IS NULL",
    [REFRESH_BY_SESSION] = "UPDATE refresh_tokens SET revoked_at = ? "
                           "WHERE session_id = ? AND revoked_at IS NULL",
    [REFRESH_BY_USER] = "UPDATE refresh_tokens SET revoked_at = ? "
                        "WHERE user_id = ? AND revoked_at IS NULL",
};

/* refresh_revoke_by revokes the tokens of one scope (key: its text, or
 * user_id) and blacklists their access tokens; *live gets whether a token
 * was not yet revoked. */
static enum gh_err
refresh_revoke_by(
    struct db *db, enum refresh_scope by, const char *key, int64_t user_id, int64_t now, bool *live)
{
	struct db_value k = by == REFRESH_BY_USER ? DB_INT64(user_id) : DB_TEXT(key);
	enum gh_err e;

	e = db_run(db, refresh_revoke_sql[by], DB_INT64(now), k);
	if (e != GH_OK)
		return e;
	if (live != NULL)
		*live = db_changes(db) > 0;
	return db_run(db, refresh_blacklist_sql[by][db_dialect(db)], k, DB_INT64(now));
}

/* refresh_end_family revokes family f: its tokens, its session (one
 * family per session), its access tokens alive at now; *live (may be
 * NULL) gets whether a token of it was not yet revoked. */
static enum gh_err
refresh_end_family(struct db *db, const struct refresh_family *f, int64_t now, bool *live)
{
	enum gh_err e = refresh_revoke_by(db, REFRESH_BY_FAMILY, f->family, 0, now, live);

	if (e != GH_OK)
		return e;
	return db_run(db, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	    DB_INT64(now), DB_TEXT(f->session));
}

enum gh_err
refresh_revoke_session(struct db *db, const char *session_id, int64_t now)
{
	return refresh_revoke_by(db, REFRESH_BY_SESSION, session_id, 0, now, NULL);
}

enum gh_err
refresh_revoke_user(struct db *db, int64_t user_id, int64_t now)
{
	return refresh_revoke_by(db, REFRESH_BY_USER, NULL, user_id, now, NULL);
}

/* -- Rotation ------------------------------------------------------------ */

/* A token's row, its session and its user, as refresh_rotate reads them. */
static const char refresh_read_sql[] =
    "SELECT r.family_id, r.user_id, r.session_id, r.expires_at, r.replaced_by, r.revoked_at, "
    "s.revoked_at, s.expires_at, s.roles, u.status, u.username, u.email "
    "FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id "
    "JOIN users u ON u.id = r.user_id WHERE r.id = ?";

/* refresh_copy copies text s into out (outlen bytes): false when it does
 * not fit ("" for NULL). */
static bool
refresh_copy(const char *s, char *out, size_t outlen)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n >= outlen)
		return false;
	memcpy(out, s != NULL ? s : "", n);
	out[n] = '\0';
	return true;
}

/* refresh_read reads the row of id into f: *found, *consumed, *usable. */
static enum gh_err
refresh_read(struct db *db, const char *id, int64_t now, struct refresh_family *f, bool *found,
    bool *consumed, bool *usable)
{
	struct db_stmt *st;
	const char *status;
	enum gh_err e;

	*found = *consumed = *usable = false;
	if ((e = db_prepare(db, refresh_read_sql, &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, id)) != GH_OK || (e = db_step(st, found)) != GH_OK ||
	    !*found) {
		db_done(st);
		return e;
	}
	if (!refresh_copy(db_column_text(st, 0), f->family, sizeof(f->family)) ||
	    !refresh_copy(db_column_text(st, 2), f->session, sizeof(f->session)) ||
	    !refresh_copy(db_column_text(st, 8), f->roles, sizeof(f->roles)) ||
	    !refresh_copy(db_column_text(st, 10), f->username, sizeof(f->username)) ||
	    !refresh_copy(db_column_text(st, 11), f->email, sizeof(f->email))) {
		db_done(st);
		*found = false;
		return GH_OK;
	}
	f->user_id = db_column_int64(st, 1);
	f->expires_at = db_column_int64(st, 3);
	status = db_column_text(st, 9);
	*consumed = !db_column_is_null(st, 4);
	*usable = !*consumed && db_column_is_null(st, 5) && f->expires_at > now &&
	          db_column_is_null(st, 6) && db_column_int64(st, 7) > now && status != NULL &&
	          strcmp(status, "active") == 0;
	db_done(st);
	return GH_OK;
}

enum gh_err
refresh_rotate(struct db *db, const char *token, const struct refresh_access *a, int64_t now,
    const char *device, struct refresh_family *f, char next[REFRESH_TOKEN_LEN + 1],
    enum refresh_outcome *out)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1], next_id[CRYPTO_SHA256_HEX_LEN + 1];
	bool found, consumed, usable;
	enum gh_err e;

	memset(f, 0, sizeof(*f));
	next[0] = '\0';
	*out = REFRESH_INVALID;
	if (!refresh_token_valid(token))
		return GH_OK;
	crypto_sha256_hex(token, REFRESH_TOKEN_LEN, id);
	if ((e = refresh_read(db, id, now, f, &found, &consumed, &usable)) != GH_OK || !found)
		return e;
	if (!consumed && !usable)
		return GH_OK;
	if (usable) {
		/* The next token's id is the one replaced_by records. */
		if ((e = crypto_prefixed_token(REFRESH_PREFIX, next)) != GH_OK)
			return e;
		crypto_sha256_hex(next, REFRESH_TOKEN_LEN, next_id);
		e = db_run(db,
		    "UPDATE refresh_tokens SET replaced_by = ? "
		    "WHERE id = ? AND replaced_by IS NULL AND revoked_at IS NULL",
		    DB_TEXT(next_id), DB_TEXT(id));
		if (e != GH_OK)
			goto fail;
		/* Another grant consumed it since it was read: a reuse. */
		consumed = db_changes(db) != 1;
	}
	if (consumed) {
		crypto_wipe(next, REFRESH_TOKEN_LEN + 1);
		*out = REFRESH_REUSED;
		return refresh_end_family(db, f, now, NULL);
	}
	e = refresh_insert(db, next_id, f, a, now, device);
	if (e == GH_OK) {
		*out = REFRESH_VALID;
		return GH_OK;
	}
fail:
	crypto_wipe(next, REFRESH_TOKEN_LEN + 1);
	return e;
}

/* -- Revocation by the client, purge --------------------------------------- */

enum gh_err
refresh_revoke_token(struct db *db, const char *token, int64_t now, int64_t *user_id)
{
	struct refresh_family f;
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	bool found, consumed, usable, live = false;
	enum gh_err e;

	*user_id = 0;
	if (!refresh_token_valid(token))
		return GH_OK;
	crypto_sha256_hex(token, REFRESH_TOKEN_LEN, id);
	if ((e = refresh_read(db, id, now, &f, &found, &consumed, &usable)) != GH_OK || !found)
		return e;
	if ((e = refresh_end_family(db, &f, now, &live)) == GH_OK && live)
		*user_id = f.user_id;
	return e;
}

enum gh_err
refresh_purge(struct db *db, int64_t now, int64_t keep, int64_t *deleted)
{
	enum gh_err e =
	    db_run(db, "DELETE FROM refresh_tokens WHERE expires_at < ?", DB_INT64(now - keep));

	if (deleted != NULL)
		*deleted = e == GH_OK ? db_changes(db) : 0;
	return e;
}
