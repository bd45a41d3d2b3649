/*
 * extuser.c: logins against another application's users table (see
 * extuser.h).
 *
 * The queries come from the operator's configuration, never from a request:
 * the login name is only ever a bound parameter.  The shadow row ties the
 * external id to a local user id; a local user with the same name that is
 * not from this store is never taken over.
 */
#include "extuser.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "config.h"
#include "crypto.h"
#include "log.h"
#include "user.h"

#define EXTUSER_PROBE_NAME "gatehouse-check-no-such-user"
#define EXTUSER_PROBE_ID "0"
#define EXTUSER_SYNC_PAGE 256 /* shadow rows read from the local table at a time */
#define EXTUSER_STR(x) EXTUSER_STR_(x)
#define EXTUSER_STR_(x) #x

void
extuser_cleanup(struct extuser *u)
{
	if (u->password_hash != NULL)
		crypto_wipe(u->password_hash, strlen(u->password_hash));
	free(u->id);
	free(u->username);
	free(u->email);
	free(u->password_hash);
	memset(u, 0, sizeof(*u));
}

/* Placeholders in q: the lookup binds the login name to each of them.  The
 * configuration documents that the query holds no literal "?". */
static int
extuser_placeholders(const char *q)
{
	int n = 0;

	for (; *q != '\0'; q++)
		n += *q == '?';
	return n;
}

static bool
extuser_truthy(const char *v)
{
	static const char *const yes[] = {"1", "true", "t", "y", "yes", "on"};

	if (v == NULL)
		return false;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(v, yes[i]) == 0)
			return true;
	return false;
}

static char *
extuser_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Runs sql with every "?" bound to value and leaves st on its first row
 * (*row). */
static enum gh_err
extuser_query(struct db *db, const char *sql, const char *value, struct db_stmt **st, bool *row)
{
	int n = extuser_placeholders(sql);
	enum gh_err e;

	if ((e = db_prepare(db, sql, st)) != GH_OK)
		return e;
	for (int i = 1; i <= n && e == GH_OK; i++)
		e = db_bind_text(*st, i, value);
	if (e == GH_OK)
		e = db_step(*st, row);
	if (e != GH_OK)
		db_done(*st);
	return e;
}

enum gh_err
extuser_find(struct db *db, const struct config *cfg, const char *login, struct extuser *out)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	memset(out, 0, sizeof(*out));
	if ((e = extuser_query(db, cfg->users_lookup_query, login, &st, &row)) != GH_OK)
		return e;
	if (!row) {
		db_done(st);
		return GH_ENOTFOUND;
	}
	if (db_column_count(st) != EXTUSER_COLUMNS || db_column_is_null(st, 0) ||
	    db_column_is_null(st, 1)) {
		log_msg(LOG_ERR,
		    "[users] lookup_query: a row must have %d columns (id, username, "
		    "email, password_hash, active) with id and username not NULL",
		    EXTUSER_COLUMNS);
		db_done(st);
		return GH_EINVAL;
	}
	bool no_email = db_column_is_null(st, 2), no_hash = db_column_is_null(st, 3);
	out->id = extuser_dup(db_column_text(st, 0));
	out->username = extuser_dup(db_column_text(st, 1));
	out->email = extuser_dup(db_column_text(st, 2));
	out->password_hash = extuser_dup(db_column_text(st, 3));
	out->active = extuser_truthy(db_column_text(st, 4));
	db_done(st);
	if (out->id == NULL || out->username == NULL || (out->password_hash == NULL && !no_hash) ||
	    (out->email == NULL && !no_email)) {
		extuser_cleanup(out);
		return GH_ENOMEM;
	}
	return GH_OK;
}

enum gh_err
extuser_shadow(struct db *local, const struct extuser *u, int64_t *id)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;
	int64_t now = (int64_t)time(NULL);

	/* The row this store made before, found by its external id. */
	if ((e = db_prepare(local, "SELECT id FROM users WHERE external_id = ?", &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, u->id)) == GH_OK)
		e = db_step(st, &row);
	if (e == GH_OK && row)
		*id = db_column_int64(st, 0);
	db_done(st);
	if (e != GH_OK)
		return e;

	if (row) {
		/* Name and e-mail follow the external table. */
		e = db_run(local,
		    "UPDATE users SET username = ?, email = ?, updated_at = ? WHERE id = ?",
		    DB_TEXT(u->username), DB_TEXT(u->email), DB_INT64(now), DB_INT64(*id));
		if (e == GH_EEXISTS)
			log_msg(LOG_WARNING,
			    "external user %s: name or e-mail taken by a local user", u->username);
		return e;
	}
	e = db_run(local,
	    "INSERT INTO users (username, email, password_hash, status, created_at, "
	    "updated_at, external_id) VALUES (?, ?, NULL, 'active', ?, ?, ?)",
	    DB_TEXT(u->username), DB_TEXT(u->email), DB_INT64(now), DB_INT64(now), DB_TEXT(u->id));
	if (e == GH_OK)
		*id = db_last_insert_id(local);
	else if (e == GH_EEXISTS)
		log_msg(LOG_WARNING, "external user %s: name or e-mail taken by a local user",
		    u->username);
	return e;
}

enum gh_err
extuser_record_login(struct db *db, const struct config *cfg, const struct extuser *u)
{
	if (cfg->users_update_last_login == NULL)
		return GH_OK;
	return db_run(db, cfg->users_update_last_login, DB_TEXT(u->id));
}

/* The sync's probe: sync_query, when set, with an id no user should have. */
static enum gh_err
extuser_probe_sync(struct db *db, const struct config *cfg, FILE *out)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;
	int cols;

	if (cfg->users_sync_query == NULL) {
		fprintf(out, "[users] sync_query: not set (user sync looks users up by name "
		             "with lookup_query: a renamed user counts as gone)\n");
		return GH_OK;
	}
	e = extuser_query(db, cfg->users_sync_query, EXTUSER_PROBE_ID, &st, &row);
	if (e != GH_OK) {
		fprintf(
		    out, "[users] sync_query fails on the external database: %s\n", db_errmsg(db));
		return e;
	}
	cols = db_column_count(st);
	db_done(st);
	if (row)
		fprintf(out, "[users] sync_query: note: a user with the id %s exists\n",
		    EXTUSER_PROBE_ID);
	if (cols != EXTUSER_COLUMNS) {
		fprintf(out,
		    "[users] sync_query returns %d columns; it must return %d: "
		    "id, username, email, password_hash, active (in that order)\n",
		    cols, EXTUSER_COLUMNS);
		return GH_EINVAL;
	}
	fprintf(out, "[users] sync_query: ok (%d columns)\n", cols);
	return GH_OK;
}

enum gh_err
extuser_probe(struct db *db, const struct config *cfg, FILE *out)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;
	int cols;

	e = extuser_query(db, cfg->users_lookup_query, EXTUSER_PROBE_NAME, &st, &row);
	if (e != GH_OK) {
		fprintf(out,
		    "[users] lookup_query fails on the external database: %s\n"
		    "  (a misspelt table or column name is the usual cause)\n",
		    db_errmsg(db));
		return e;
	}
	cols = db_column_count(st);
	db_done(st);
	if (row)
		fprintf(out, "[users] lookup_query: note: a user named %s exists\n",
		    EXTUSER_PROBE_NAME);
	if (cols != EXTUSER_COLUMNS) {
		fprintf(out,
		    "[users] lookup_query returns %d columns; it must return %d: "
		    "id, username, email, password_hash, active (in that order)\n",
		    cols, EXTUSER_COLUMNS);
		return GH_EINVAL;
	}
	fprintf(out, "[users] lookup_query: ok (%d columns)\n", cols);
	return extuser_probe_sync(db, cfg, out);
}

/* One shadow row, as the sync reads them from the local table. */
struct extuser_shadow_row {
	int64_t id;
	char *username;
	char *external_id;
};

/*
 * extuser_state tells whether the external user of one shadow row (external
 * id xid, last known name) is still in the store (*present) and active
 * there (*active).  With sync_query the row is looked up by its id, and a
 * row with another id is an error (the query is wrong); with lookup_query
 * by its name, and a row with another id is another user (one whose e-mail
 * is this name, or who took the name over): this one is gone.
 */
static enum gh_err
extuser_state(struct db *ext, const struct config *cfg, const char *xid, const char *name,
    bool *present, bool *active)
{
	bool by_id = cfg->users_sync_query != NULL;
	const char *key = by_id ? "sync_query" : "lookup_query";
	struct db_stmt *st;
	const char *got;
	enum gh_err e;
	bool row;

	*present = *active = false;
	e = extuser_query(ext, by_id ? cfg->users_sync_query : cfg->users_lookup_query,
	    by_id ? xid : name, &st, &row);
	if (e != GH_OK)
		return e;
	if (!row) {
		db_done(st);
		return GH_OK;
	}
	got = db_column_text(st, 0);
	if (db_column_count(st) != EXTUSER_COLUMNS || got == NULL) {
		log_msg(LOG_ERR,
		    "[users] %s: a row must have %d columns (id, username, email, "
		    "password_hash, active) with id not NULL",
		    key, EXTUSER_COLUMNS);
		e = GH_EINVAL;
	} else if (strcmp(got, xid) != 0 && by_id) {
		log_msg(LOG_ERR, "[users] sync_query: asked for the id %s, it returned the id %s",
		    xid, got);
		e = GH_EINVAL;
	} else if (strcmp(got, xid) == 0) {
		*present = true;
		*active = extuser_truthy(db_column_text(st, 4));
	}
	db_done(st);
	return e;
}

static void
extuser_rows_free(struct extuser_shadow_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].username);
		free(rows[i].external_id);
	}
}

/* Reads up to EXTUSER_SYNC_PAGE active shadow rows with an id above after,
 * in the order of their ids, into rows (*n of them). */
static enum gh_err
extuser_rows_read(struct db *local, int64_t after, struct extuser_shadow_row *rows, size_t *n)
{
	static const char sql[] = "SELECT id, username, external_id FROM users "
	                          "WHERE external_id IS NOT NULL AND status = 'active' AND id > ? "
	                          "ORDER BY id LIMIT " EXTUSER_STR(EXTUSER_SYNC_PAGE);
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	*n = 0;
	if ((e = db_prepare(local, sql, &st)) != GH_OK)
		return e;
	if ((e = db_bind_int64(st, 1, after)) != GH_OK)
		goto out;
	while (*n < EXTUSER_SYNC_PAGE && (e = db_step(st, &row)) == GH_OK && row) {
		struct extuser_shadow_row *r = &rows[*n];
		r->id = db_column_int64(st, 0);
		r->username = extuser_dup(db_column_text(st, 1));
		r->external_id = extuser_dup(db_column_text(st, 2));
		(*n)++;
		if (r->username == NULL || r->external_id == NULL) {
			e = GH_ENOMEM;
			break;
		}
	}
out:
	db_done(st);
	if (e != GH_OK) {
		extuser_rows_free(rows, *n);
		*n = 0;
	}
	return e;
}

enum gh_err
extuser_sync(struct db *local, struct db *ext, const struct config *cfg,
    const struct audit_actor *actor, bool dry_run, FILE *out, struct extuser_sync_stats *stats)
{
	struct extuser_shadow_row rows[EXTUSER_SYNC_PAGE];
	int64_t after = 0;
	enum gh_err e;
	size_t n, i;

	memset(stats, 0, sizeof(*stats));
	do {
		if ((e = extuser_rows_read(local, after, rows, &n)) != GH_OK)
			return e;
		for (i = 0; i < n && e == GH_OK; i++) {
			const struct extuser_shadow_row *r = &rows[i];
			bool present, active;

			/* A failed lookup stops the sync: never taken for "gone". */
			if ((e = extuser_state(ext, cfg, r->external_id, r->username, &present,
			         &active)) != GH_OK)
				break;
			stats->checked++;
			if (present && active)
				continue;
			if (!dry_run && (e = account_disable(local, r->id, actor)) != GH_OK)
				break;
			stats->disabled++;
			fprintf(out, "%s %s (external id %s): %s in the external store\n",
			    dry_run ? "would disable" : "disabled", r->username, r->external_id,
			    present ? "inactive" : "gone");
		}
		if (n > 0)
			after = rows[n - 1].id;
		extuser_rows_free(rows, n);
	} while (e == GH_OK && n == EXTUSER_SYNC_PAGE);
	return e;
}
