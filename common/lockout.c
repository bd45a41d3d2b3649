/*
 * lockout.c: the lockout of an account after repeated refused logins (see
 * lockout.h).  The back-off is computed here from the count read (the
 * users row that auth_password read, or the name's throttle row) and
 * written by one statement that counts only when the name is not locked:
 * the UPDATE's WHERE for a user, CASE expressions in the UPSERT for a name.
 * The SQL reads only old values: on MariaDB, whose assignments see the
 * ones made before them, the columns go in an order that keeps it so, and
 * the count after the increment is the column itself (LOCKOUT_NEW_COUNT).
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "crypto.h"
#include "lockout.h"
#include "log.h"

#define LOCKOUT_KEY_MAX (sizeof("name:") + 2 * CRYPTO_SHA256_LEN)

#define LOCKOUT_NAME_SQL(K, CONFLICT, NEW_COUNT)                                                  \
	"INSERT INTO throttle (" K                                                                \
	", window_start, count, blocked_until) VALUES (?, ?, 1, ?) " CONFLICT                     \
	" count = CASE WHEN throttle.blocked_until > ? THEN throttle.count "                      \
	"ELSE throttle.count + 1 END, blocked_until = CASE WHEN throttle.blocked_until > ? "      \
	"THEN throttle.blocked_until WHEN " NEW_COUNT " >= ? THEN ? ELSE throttle.blocked_until " \
	"END, window_start = ?"

struct lockout_sql {
	const char *read; /* the name's row */
	const char *name; /* count a refusal of a name */
};

static const struct lockout_sql lockout_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] = {"SELECT count, blocked_until FROM throttle WHERE key = ?",
        LOCKOUT_NAME_SQL("key", "ON CONFLICT (key) DO UPDATE SET", "throttle.count + 1")},
    [DB_MYSQL] = {"SELECT count, blocked_until FROM throttle WHERE `key` = ?",
        LOCKOUT_NAME_SQL("`key`", "ON DUPLICATE KEY UPDATE", "throttle.count")},
    [DB_POSTGRESQL] = {"SELECT count, blocked_until FROM throttle WHERE key = ?",
        LOCKOUT_NAME_SQL("key", "ON CONFLICT (key) DO UPDATE SET", "throttle.count + 1")},
};

/* A user's refusal: counted only when not locked (then db_changes is 0). */
static const char lockout_user_sql[] =
    "UPDATE users SET locked_until = CASE WHEN failed_login_attempts + 1 >= ? THEN ? "
    "ELSE locked_until END, failed_login_attempts = failed_login_attempts + 1 "
    "WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?)";

bool
lockout_is_locked(const struct user *u, int64_t now)
{
	return u->id > 0 && u->locked_until > now;
}

int64_t
lockout_duration(const struct config *cfg, int64_t count)
{
	int64_t d = cfg->lockout_base;

	if (count < cfg->lockout_threshold)
		return 0;
	for (int64_t k = count - cfg->lockout_threshold; k > 0 && d < cfg->lockout_max; k--)
		d *= 2;
	return d < cfg->lockout_max ? d : cfg->lockout_max;
}

/* lockout_key writes "name:" and the hex HMAC of the name, ASCII
 * lower-cased, into key; false when out of memory. */
static bool
lockout_key(const struct config *cfg, const char *name, char key[LOCKOUT_KEY_MAX])
{
	memcpy(key, "name:", 5);
	return auth_name_mac(cfg, "lockout-name|", name, true, key + 5);
}

/* lockout_read reads the count and lockout of the name's row (0 and 0 when
 * there is none). */
static enum gh_err
lockout_read(struct db *db, const char *key, int64_t *count, int64_t *until)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row = false;

	*count = *until = 0;
	if ((e = db_prepare(db, lockout_sqls[db_dialect(db)].read, &st)) != GH_OK)
		return e;
	if ((e = db_bind(st, DB_TEXT(key))) == GH_OK && (e = db_step(st, &row)) == GH_OK && row) {
		*count = db_column_int64(st, 0);
		*until = db_column_int64(st, 1);
	}
	db_done(st);
	return e;
}

enum gh_err
lockout_fail(struct db *db, const struct config *cfg, const char *name, const struct user *u,
    int64_t now, struct lockout_result *r)
{
	const int64_t n = cfg->lockout_threshold;
	char key[LOCKOUT_KEY_MAX];
	int64_t count, until, end;
	bool known = u != NULL && u->id > 0;
	enum gh_err e;

	memset(r, 0, sizeof(*r));
	if (!lockout_key(cfg, name != NULL ? name : "", key))
		return GH_ENOMEM;
	/* Read for a known user too, for the same statements either way. */
	if ((e = lockout_read(db, key, &count, &until)) != GH_OK)
		goto fail;
	if (known) {
		count = u->failed_login_attempts;
		until = u->locked_until;
	}
	r->locked = until > now;
	r->count = r->locked ? count : count + 1;
	/* A race may have counted more than was read: lock at least for the
	 * first lockout's length once the count reaches the threshold. */
	end = now + lockout_duration(cfg, r->count > n ? r->count : n);
	if (known) {
		e = db_run(db, lockout_user_sql, DB_INT64(n), DB_INT64(end), DB_INT64(u->id),
		    DB_INT64(now));
		r->locked = e == GH_OK && db_changes(db) == 0;
	} else {
		e = db_run(db, lockout_sqls[db_dialect(db)].name, DB_TEXT(key), DB_INT64(now),
		    n <= 1 ? DB_INT64(end) : DB_NULL, DB_INT64(now), DB_INT64(now), DB_INT64(n),
		    DB_INT64(end), DB_INT64(now));
	}
	if (e != GH_OK)
		goto fail;
	if (!r->locked && r->count >= n) {
		r->started = true;
		r->until = end;
	}
	return GH_OK;
fail:
	log_msg(LOG_ERR, "lockout: counting a refused login: %s", gh_strerror(e));
	return e;
}

enum gh_err
lockout_reset(struct db *db, const struct user *u)
{
	if (u->failed_login_attempts == 0 && u->locked_until == 0)
		return GH_OK;
	return db_run(db,
	    "UPDATE users SET failed_login_attempts = 0, locked_until = NULL WHERE id = ?",
	    DB_INT64(u->id));
}

enum gh_err
lockout_unlock(struct db *db, int64_t id)
{
	enum gh_err e = db_run(db,
	    "UPDATE users SET failed_login_attempts = 0, locked_until = NULL WHERE id = ?",
	    DB_INT64(id));

	if (e == GH_OK && db_changes(db) == 0)
		e = GH_ENOTFOUND;
	return e;
}
