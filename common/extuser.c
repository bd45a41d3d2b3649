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

#include "config.h"
#include "crypto.h"
#include "log.h"

#define EXTUSER_PROBE_NAME "gatehouse-check-no-such-user"

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

/* Runs the lookup for login and leaves st on its first row (*row). */
static enum gh_err
extuser_query(struct db *db, const struct config *cfg, const char *login, struct db_stmt **st,
    bool *row)
{
	int n = extuser_placeholders(cfg->users_lookup_query);
	enum gh_err e;

	if ((e = db_prepare(db, cfg->users_lookup_query, st)) != GH_OK)
		return e;
	for (int i = 1; i <= n && e == GH_OK; i++)
		e = db_bind_text(*st, i, login);
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
	if ((e = extuser_query(db, cfg, login, &st, &row)) != GH_OK)
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
		if ((e = db_prepare(local,
		         "UPDATE users SET username = ?, email = ?, updated_at = ? WHERE id = ?",
		         &st)) != GH_OK)
			return e;
		if ((e = db_bind_text(st, 1, u->username)) == GH_OK &&
		    (e = (u->email ? db_bind_text(st, 2, u->email) : db_bind_null(st, 2))) == GH_OK &&
		    (e = db_bind_int64(st, 3, now)) == GH_OK && (e = db_bind_int64(st, 4, *id)) == GH_OK)
			e = db_step(st, &row);
		db_done(st);
		if (e == GH_EEXISTS)
			log_msg(LOG_WARNING, "external user %s: name or e-mail taken by a local user",
			    u->username);
		return e;
	}
	if ((e = db_prepare(local,
	         "INSERT INTO users (username, email, password_hash, status, created_at, "
	         "updated_at, external_id) VALUES (?, ?, NULL, 'active', ?, ?, ?)",
	         &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, u->username)) == GH_OK &&
	    (e = (u->email ? db_bind_text(st, 2, u->email) : db_bind_null(st, 2))) == GH_OK &&
	    (e = db_bind_int64(st, 3, now)) == GH_OK && (e = db_bind_int64(st, 4, now)) == GH_OK &&
	    (e = db_bind_text(st, 5, u->id)) == GH_OK)
		e = db_step(st, &row);
	db_done(st);
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
	struct db_stmt *st;
	enum gh_err e;
	bool row;

	if (cfg->users_update_last_login == NULL)
		return GH_OK;
	if ((e = db_prepare(db, cfg->users_update_last_login, &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, u->id)) == GH_OK)
		e = db_step(st, &row);
	db_done(st);
	return e;
}

enum gh_err
extuser_probe(struct db *db, const struct config *cfg, FILE *out)
{
	struct db_stmt *st;
	enum gh_err e;
	bool row;
	int cols;

	e = extuser_query(db, cfg, EXTUSER_PROBE_NAME, &st, &row);
	if (e != GH_OK) {
		fprintf(out, "[users] lookup_query fails on the external database: %s\n"
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
		fprintf(out, "[users] lookup_query returns %d columns; it must return %d: "
		             "id, username, email, password_hash, active (in that order)\n",
		    cols, EXTUSER_COLUMNS);
		return GH_EINVAL;
	}
	fprintf(out, "[users] lookup_query: ok (%d columns)\n", cols);
	return GH_OK;
}
