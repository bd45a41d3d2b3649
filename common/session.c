/*
 * session.c: server-side sessions (see session.h).
 *
 * The token leaves this file only towards the cookie: the table is keyed by
 * its SHA-256 and the token is never stored or logged.  session_lookup is the
 * hot path of every protected request: one prepared SELECT (cached by db.c)
 * reads the session by its primary key and its user by theirs (the roles
 * are in the session's row, written at login); the validity checks are
 * done here on the row, so that every reason gives the same answer; and the
 * session is written to only when last_seen_at is older than touch_interval.
 * Nothing is allocated on that path after the first request of a thread.
 * Some queries differ by dialect: the creation's (how the roles are
 * aggregated, see user.h), the purge's (how a batch is limited) and
 * MariaDB's purge of the check cache's log of changes: they are kept as
 * one struct session_sql per dialect; every other query is one text for
 * every database.  The check's cache (session_cache.h) sits in front of
 * session_lookup in the check only.
 *
 * A session's idle timeout is fixed when it is made: [session] idle_timeout,
 * or remember_timeout for a "remember me" session, which would otherwise end
 * after the idle timeout like any other and make the choice pointless.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "config.h"
#include "log.h"
#include "session.h"
#include "session_cache.h"
#include "user.h"

/* The session, its user, and the roles written into it at login. */
static const char session_lookup_sql[] =
    "SELECT s.user_id, u.username, u.email, s.created_at, s.expires_at, "
    "s.last_seen_at, s.idle_timeout, s.mfa, u.status, s.roles "
    "FROM sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.id = ? AND s.revoked_at IS NULL";

/* A new session, with the roles its user has now (see session.h). */
#define SESSION_CREATE_SQL(roles)                                                    \
	"INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, "  \
	"idle_timeout, auth_method, mfa, ip, user_agent, remember, roles) VALUES "   \
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT " roles " FROM users u " \
	"WHERE u.id = ?), ''))"

/*
 * What purge deletes: expired by either timeout, or revoked, before ?.  In
 * batches, each its own transaction: one DELETE of a million rows would
 * hold the write lock for a minute, and every check due to touch
 * last_seen_at would wait for it.  MariaDB cannot LIMIT a subquery under
 * IN, but it can LIMIT a DELETE; SQLite and PostgreSQL the other way round.
 */
#define SESSION_PURGE_WHERE                                  \
	"expires_at < ? OR last_seen_at + idle_timeout < ? " \
	"OR (revoked_at IS NOT NULL AND revoked_at < ?)"
#define SESSION_PURGE_BATCH "2000"
#define SESSION_PURGE_SQL_LIMIT \
	"DELETE FROM sessions WHERE " SESSION_PURGE_WHERE " LIMIT " SESSION_PURGE_BATCH
#define SESSION_PURGE_SQL_IN                                                                   \
	"DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE " SESSION_PURGE_WHERE \
	" LIMIT " SESSION_PURGE_BATCH ")"

/* MariaDB's log of changes for the check's cache (sql/mysql/0003): the
 * poller needs it for seconds; an hour is kept. */
#define SESSION_CACHE_LOG_KEEP 3600
#define SESSION_CACHE_LOG_PURGE_SQL \
	"DELETE FROM cache_revocations WHERE at < ? LIMIT " SESSION_PURGE_BATCH

/* The queries whose text differs by dialect (cache_log_purge: NULL when the
 * dialect keeps no log of changes). */
struct session_sql {
	const char *create;
	const char *purge;
	const char *cache_log_purge;
};

static const struct session_sql session_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] = {SESSION_CREATE_SQL(USER_ROLES_SQL_SQLITE), SESSION_PURGE_SQL_IN, NULL},
    [DB_MYSQL] = {SESSION_CREATE_SQL(USER_ROLES_SQL_MYSQL), SESSION_PURGE_SQL_LIMIT,
        SESSION_CACHE_LOG_PURGE_SQL},
    [DB_POSTGRESQL] = {SESSION_CREATE_SQL(USER_ROLES_SQL_PGSQL), SESSION_PURGE_SQL_IN, NULL},
};

bool
session_token_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < CRYPTO_TOKEN_LEN; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-' || c == '_'))
			return false;
	}
	return s[CRYPTO_TOKEN_LEN] == '\0';
}

/* session_copy copies src (NULL: "") into dst; false when it does not fit. */
static bool
session_copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= dstlen)
		return false;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/* session_add_roles adds the comma-separated roles extra, each once, to
 * those of the new session id. */
static enum gh_err
session_add_roles(struct db *db, const char *id, const char *extra)
{
	char roles[SESSION_ROLES_MAX + 1];
	const char *s, *e, *have;
	struct db_stmt *st;
	size_t len, n;
	enum gh_err err;
	bool row;

	if ((err = db_prepare(db, "SELECT roles FROM sessions WHERE id = ?", &st)) != GH_OK)
		return err;
	if ((err = db_bind_text(st, 1, id)) != GH_OK || (err = db_step(st, &row)) != GH_OK) {
		db_done(st);
		return err;
	}
	have = row ? db_column_text(st, 0) : NULL;
	len = have != NULL ? strlen(have) : 0;
	if (!row || len > SESSION_ROLES_MAX) {
		db_done(st);
		return row ? GH_ETOOBIG : GH_ENOTFOUND;
	}
	memcpy(roles, have != NULL ? have : "", len + 1);
	db_done(st);
	for (s = extra; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		if (n == 0 || access_roles_has_n(roles, s, n))
			continue;
		if (len + (len > 0) + n > SESSION_ROLES_MAX)
			return GH_ETOOBIG;
		if (len > 0)
			roles[len++] = ',';
		memcpy(roles + len, s, n);
		len += n;
		roles[len] = '\0';
	}
	return db_run(
	    db, "UPDATE sessions SET roles = ? WHERE id = ?", DB_TEXT(roles), DB_TEXT(id));
}

enum gh_err
session_create(struct db *db, const struct config *cfg, const struct session_new *s,
    char token[CRYPTO_TOKEN_LEN + 1])
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	int64_t lifetime = s->remember ? cfg->remember_timeout : cfg->absolute_timeout;
	int64_t idle = s->remember ? cfg->remember_timeout : cfg->idle_timeout;
	enum gh_err e;

	token[0] = '\0';
	if ((e = crypto_token(token)) != GH_OK)
		return e;
	crypto_sha256_hex(token, CRYPTO_TOKEN_LEN, id);
	e = db_run(db, session_sqls[db_dialect(db)].create, DB_TEXT(id), DB_INT64(s->user_id),
	    DB_INT64(now), DB_INT64(now), DB_INT64(now + lifetime), DB_INT64(idle),
	    DB_TEXT(s->auth_method ? s->auth_method : "form"), DB_INT64(s->mfa ? 1 : 0),
	    DB_TEXT(s->ip), DB_TEXT(s->user_agent), DB_INT64(s->remember ? 1 : 0),
	    DB_INT64(s->user_id));
	if (e == GH_OK && s->extra_roles != NULL && s->extra_roles[0] != '\0')
		e = session_add_roles(db, id, s->extra_roles);
	if (e != GH_OK)
		crypto_wipe(token, CRYPTO_TOKEN_LEN + 1);
	return e;
}

enum gh_err
session_lookup(struct db *db, const struct config *cfg, const char *token, struct session_info *out)
{
	struct db_stmt *st;
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	const char *status;
	int64_t now = (int64_t)time(NULL), last_seen, idle;
	enum gh_err e;
	bool row, ok;

	memset(out, 0, sizeof(*out));
	if (!session_token_valid(token))
		return GH_ENOTFOUND;
	crypto_sha256_hex(token, CRYPTO_TOKEN_LEN, id);
	if ((e = db_prepare(db, session_lookup_sql, &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, id)) != GH_OK || (e = db_step(st, &row)) != GH_OK) {
		db_done(st);
		return e;
	}
	if (!row) {
		db_done(st);
		return GH_ENOTFOUND;
	}
	out->user_id = db_column_int64(st, 0);
	out->created_at = db_column_int64(st, 3);
	out->expires_at = db_column_int64(st, 4);
	last_seen = db_column_int64(st, 5);
	idle = db_column_int64(st, 6);
	out->last_seen_at = last_seen;
	out->idle_timeout = idle;
	out->mfa = db_column_int64(st, 7) != 0;
	status = db_column_text(st, 8);
	ok = status != NULL && strcmp(status, "active") == 0 && out->expires_at > now &&
	     last_seen + idle > now;
	/* A truncated name or role list would be another identity: refuse. */
	if (ok && (!session_copy(out->username, sizeof(out->username), db_column_text(st, 1)) ||
	              !session_copy(out->email, sizeof(out->email), db_column_text(st, 2)) ||
	              !session_copy(out->roles, sizeof(out->roles), db_column_text(st, 9)))) {
		log_msg(LOG_ERR, "session: user %lld: name, e-mail or roles too long",
		    (long long)out->user_id);
		ok = false;
	}
	db_done(st);
	if (!ok) {
		memset(out, 0, sizeof(*out));
		return GH_ENOTFOUND;
	}
	memcpy(out->id, id, sizeof(out->id));

	/* A failed touch was logged; the session is still valid now. */
	if (now - last_seen >= cfg->touch_interval &&
	    db_run(db, "UPDATE sessions SET last_seen_at = ? WHERE id = ?", DB_INT64(now),
	        DB_TEXT(id)) == GH_OK)
		out->last_seen_at = now;
	return GH_OK;
}

enum gh_err
session_lookup_cached(struct db *db, const struct config *cfg, struct session_cache *cache,
    const char *token, struct session_info *out)
{
	struct session_cache_clock clk = {.touch_interval = cfg->touch_interval};
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	uint64_t epoch;
	enum gh_err e;

	if (cache == NULL)
		return session_lookup(db, cfg, token, out);
	memset(out, 0, sizeof(*out));
	if (!session_token_valid(token))
		return GH_ENOTFOUND;
	crypto_sha256_hex(token, CRYPTO_TOKEN_LEN, id);
	clk.mono_ms = session_cache_clock_ms();
	clk.now = (int64_t)time(NULL);
	if (session_cache_get(cache, id, &clk, out))
		return GH_OK;
	/* Read before the database: a change applied meanwhile voids the put. */
	epoch = session_cache_epoch(cache);
	if ((e = session_lookup(db, cfg, token, out)) == GH_OK)
		session_cache_put(cache, epoch, out, clk.mono_ms);
	else if (e == GH_ENOTFOUND)
		session_cache_forget(cache, id); /* never valid again from the cache */
	return e;
}

enum gh_err
session_revoke_id(struct db *db, const char *id)
{
	if (id == NULL)
		return GH_OK;
	return db_run(db, "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	    DB_INT64((int64_t)time(NULL)), DB_TEXT(id));
}

enum gh_err
session_revoke(struct db *db, const char *token)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];

	if (!session_token_valid(token))
		return GH_OK;
	crypto_sha256_hex(token, CRYPTO_TOKEN_LEN, id);
	return session_revoke_id(db, id);
}

enum gh_err
session_owner(struct db *db, const char *id, int64_t *user_id)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row = false;

	*user_id = 0;
	if (id == NULL)
		return GH_ENOTFOUND;
	e = db_prepare(db, "SELECT user_id FROM sessions WHERE id = ? AND revoked_at IS NULL", &st);
	if (e != GH_OK)
		return e;
	if ((e = db_bind(st, DB_TEXT(id))) == GH_OK && (e = db_step(st, &row)) == GH_OK && row)
		*user_id = db_column_int64(st, 0);
	db_done(st);
	return e == GH_OK && !row ? GH_ENOTFOUND : e;
}

enum gh_err
session_revoke_user(struct db *db, int64_t user_id)
{
	return db_run(db,
	    "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
	    DB_INT64((int64_t)time(NULL)), DB_INT64(user_id));
}

enum gh_err
session_purge(struct db *db, int64_t keep, int64_t *deleted)
{
	const struct session_sql *q = &session_sqls[db_dialect(db)];
	int64_t now = (int64_t)time(NULL), before = now - (keep > 0 ? keep : 0);
	enum gh_err e;

	e = db_run_batches(
	    db, deleted, q->purge, DB_INT64(before), DB_INT64(before), DB_INT64(before));
	if (e == GH_OK && q->cache_log_purge != NULL)
		e = db_run_batches(
		    db, NULL, q->cache_log_purge, DB_INT64(now - SESSION_CACHE_LOG_KEEP));
	return e;
}

const char *
session_cookie_name(const struct config *cfg, bool https, char *out, size_t outlen)
{
	const char *name = cfg->cookie_name != NULL ? cfg->cookie_name : "gatehouse";
	int r;

	r = snprintf(out, outlen, "%s%s", https ? "__Host-" : "", name);
	if (r < 0 || (size_t)r >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return NULL;
	}
	return out;
}

enum gh_err
session_list(struct db *db, const char *username,
    enum gh_err (*fn)(const struct session_row *row, void *arg), void *arg)
{
	static const char sql[] =
	    "SELECT s.id, u.username, s.created_at, s.last_seen_at, s.expires_at, "
	    "s.auth_method, COALESCE(s.ip, '') FROM sessions s JOIN users u ON u.id = s.user_id "
	    "WHERE s.revoked_at IS NULL AND s.expires_at > ? AND (? = '' OR u.username = ?) "
	    "ORDER BY s.created_at";
	struct session_row r;
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, sql, &st)) != GH_OK)
		return e;
	e = db_bind(st, DB_INT64((int64_t)time(NULL)), DB_TEXT(username), DB_TEXT(username));
	while (e == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		r.id = db_column_text(st, 0);
		r.username = db_column_text(st, 1);
		r.created_at = db_column_int64(st, 2);
		r.last_seen_at = db_column_int64(st, 3);
		r.expires_at = db_column_int64(st, 4);
		r.auth_method = db_column_text(st, 5);
		r.ip = db_column_text(st, 6);
		if ((e = fn(&r, arg)) != GH_OK)
			break;
	}
	db_done(st);
	return e;
}
