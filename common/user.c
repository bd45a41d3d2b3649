/*
 * user.c: users and roles in the local tables (see user.h).
 *
 * A login name is looked up as a username (exactly) or an e-mail address
 * (ignoring case, through the column's collation: NOCASE on SQLite,
 * utf8mb4_unicode_ci on MariaDB, gh_nocase on PostgreSQL; see sql/); when
 * one user's e-mail equals another's username, the username wins.  Roles are
 * returned as one comma-separated, sorted list.  Uniqueness is left to the
 * database: a taken username, e-mail or role name comes back as GH_EEXISTS.
 * user_set_roles runs its own transaction: do not call it inside another
 * (user_replace_roles is the same in the caller's transaction).
 * The queries are one text for every database, except those with the role
 * list, whose aggregate differs: they are kept as one struct user_sql per
 * dialect, picked by user_sql().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "log.h"
#include "user.h"

#define USER_COLUMNS(roles)                                                    \
	"u.id, u.username, u.email, u.password_hash, u.status, u.created_at, " \
	"u.last_login_at, " roles ", u.failed_login_attempts, u.locked_until"

/* The queries with the roles, for one dialect's roles expression (user.h). */
struct user_sql {
	const char *find;
	const char *find_id;
	const char *list;
};
#define USER_SQL(roles)                                                                  \
	{                                                                                \
		.find = "SELECT " USER_COLUMNS(                                          \
		    roles) " FROM users u WHERE u.username = ? "                         \
		           "OR u.email = ? ORDER BY u.username = ? DESC LIMIT 1",        \
		.find_id = "SELECT " USER_COLUMNS(roles) " FROM users u WHERE u.id = ?", \
		.list = "SELECT " USER_COLUMNS(roles) " FROM users u ORDER BY u.id",     \
	}

static const struct user_sql user_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] = USER_SQL(USER_ROLES_SQL_SQLITE),
    [DB_MYSQL] = USER_SQL(USER_ROLES_SQL_MYSQL),
    [DB_POSTGRESQL] = USER_SQL(USER_ROLES_SQL_PGSQL),
};

#define USER_NAME_MAX 64
#define USER_EMAIL_MAX 254

void
user_cleanup(struct user *u)
{
	if (u == NULL)
		return;
	if (u->password_hash != NULL)
		crypto_wipe(u->password_hash, strlen(u->password_hash));
	free(u->username);
	free(u->email);
	free(u->password_hash);
	free(u->status);
	free(u->roles);
	memset(u, 0, sizeof(*u));
}

/* user_sql returns the queries for db's dialect. */
static const struct user_sql *
user_sql(struct db *db)
{
	return &user_sqls[db_dialect(db)];
}

static char *
user_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* user_fill copies the current row (USER_COLUMNS) into out. */
static enum gh_err
user_fill(struct db_stmt *st, struct user *out)
{
	const char *roles = db_column_text(st, 7);

	out->id = db_column_int64(st, 0);
	out->username = user_dup(db_column_text(st, 1));
	out->email = user_dup(db_column_text(st, 2));
	out->password_hash = user_dup(db_column_text(st, 3));
	out->status = user_dup(db_column_text(st, 4));
	out->created_at = db_column_int64(st, 5);
	out->last_login_at = db_column_int64(st, 6);
	out->roles = strdup(roles != NULL ? roles : "");
	out->failed_login_attempts = db_column_int64(st, 8);
	out->locked_until = db_column_int64(st, 9);
	if (out->username == NULL || out->status == NULL || out->roles == NULL ||
	    (out->email == NULL && !db_column_is_null(st, 2)) ||
	    (out->password_hash == NULL && !db_column_is_null(st, 3))) {
		log_msg(LOG_ERR, "user: out of memory");
		user_cleanup(out);
		return GH_ENOMEM;
	}
	return GH_OK;
}

/* user_fetch steps st (parameters bound) for one user. */
static enum gh_err
user_fetch(struct db_stmt *st, struct user *out)
{
	enum gh_err e;
	bool row;

	if ((e = db_step(st, &row)) == GH_OK)
		e = row ? user_fill(st, out) : GH_ENOTFOUND;
	db_done(st);
	return e;
}

enum gh_err
user_find(struct db *db, const char *login, struct user *out)
{
	struct db_stmt *st;
	enum gh_err e;

	memset(out, 0, sizeof(*out));
	if (login == NULL || login[0] == '\0')
		return GH_ENOTFOUND;
	if ((e = db_prepare(db, user_sql(db)->find, &st)) != GH_OK)
		return e;
	if ((e = db_bind(st, DB_TEXT(login), DB_TEXT(login), DB_TEXT(login))) != GH_OK) {
		db_done(st);
		return e;
	}
	return user_fetch(st, out);
}

enum gh_err
user_find_id(struct db *db, int64_t id, struct user *out)
{
	struct db_stmt *st;
	enum gh_err e;

	memset(out, 0, sizeof(*out));
	if ((e = db_prepare(db, user_sql(db)->find_id, &st)) != GH_OK)
		return e;
	if ((e = db_bind_int64(st, 1, id)) != GH_OK) {
		db_done(st);
		return e;
	}
	return user_fetch(st, out);
}

/* user_valid_email: a light check (the address is proven by the
 * verification mail): 3..254 bytes, one "@" neither first nor last, no
 * space, control character, quote or angle bracket. */
static bool
user_valid_email(const char *s)
{
	size_t n = strlen(s), i, at = 0, nat = 0;

	if (n < 3 || n > USER_EMAIL_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f || c == '"' || c == '<' || c == '>' || c == ',' ||
		    c == ';' || c == '\\')
			return false;
		if (c == '@') {
			at = i;
			nat++;
		}
	}
	return nat == 1 && at > 0 && at < n - 1;
}

enum gh_err
user_add(struct db *db, const char *username, const char *email, const char *hash, int64_t *id)
{
	int64_t now = (int64_t)time(NULL);
	enum gh_err e;

	if (id != NULL)
		*id = 0;
	if (email != NULL && email[0] == '\0')
		email = NULL;
	if (!user_valid_username(username) || (email != NULL && !user_valid_email(email)))
		return GH_EINVAL;
	e = db_run(db,
	    "INSERT INTO users (username, email, password_hash, status, "
	    "created_at, updated_at, last_password_change_at) "
	    "VALUES (?, ?, ?, 'active', ?, ?, ?)",
	    DB_TEXT(username), DB_TEXT(email), DB_TEXT(hash), DB_INT64(now), DB_INT64(now),
	    hash != NULL ? DB_INT64(now) : DB_NULL);
	if (e == GH_OK && id != NULL)
		*id = db_last_insert_id(db);
	return e;
}

/* user_update runs an UPDATE of one user with the n values v (DB_VALUES);
 * GH_ENOTFOUND when no row matched. */
static enum gh_err
user_update(struct db *db, const char *sql, const struct db_value *v, size_t n)
{
	enum gh_err e = db_run_values(db, sql, v, n);

	if (e == GH_OK && db_changes(db) == 0)
		e = GH_ENOTFOUND;
	return e;
}

/* The row a login or a change locks, and what user_lock_unchanged compares. */
static const char *const user_lock_sqls[DB_NDIALECTS] = {
    [DB_SQLITE] = "SELECT password_hash, status FROM users WHERE id = ?",
    [DB_MYSQL] = "SELECT password_hash, status FROM users WHERE id = ? FOR UPDATE",
    [DB_POSTGRESQL] = "SELECT password_hash, status FROM users WHERE id = ? FOR UPDATE",
};

/* user_lock_read locks user id's row and, when u is not NULL, tells whether
 * it still has u's hash and is active (GH_EDENIED when not). */
static enum gh_err
user_lock_read(struct db *db, int64_t id, const struct user *u)
{
	struct db_stmt *st;
	const char *hash, *status;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, user_lock_sqls[db_dialect(db)], &st)) != GH_OK)
		return e;
	if ((e = db_bind_int64(st, 1, id)) != GH_OK || (e = db_step(st, &row)) != GH_OK) {
		db_done(st);
		return e;
	}
	if (!row)
		e = u != NULL ? GH_EDENIED : GH_ENOTFOUND;
	else if (u != NULL) {
		hash = db_column_text(st, 0);
		status = db_column_text(st, 1);
		if ((hash == NULL) != (u->password_hash == NULL) ||
		    (hash != NULL && !crypto_equal(hash, u->password_hash)) || status == NULL ||
		    strcmp(status, "active") != 0)
			e = GH_EDENIED;
	}
	db_done(st);
	return e;
}

enum gh_err
user_lock(struct db *db, int64_t id)
{
	return user_lock_read(db, id, NULL);
}

enum gh_err
user_lock_unchanged(struct db *db, const struct user *u)
{
	return user_lock_read(db, u->id, u);
}

enum gh_err
user_set_password(struct db *db, int64_t id, const char *hash)
{
	int64_t now = (int64_t)time(NULL);

	return user_update(db,
	    "UPDATE users SET password_hash = ?, updated_at = ?, "
	    "last_password_change_at = ? WHERE id = ?",
	    DB_VALUES(DB_TEXT(hash), DB_INT64(now), DB_INT64(now), DB_INT64(id)));
}

enum gh_err
user_set_status(struct db *db, int64_t id, const char *status)
{
	static const char *const statuses[] = {"active", "inactive", "locked", "deleted"};
	int64_t now = (int64_t)time(NULL);
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (status != NULL && strcmp(status, statuses[i]) == 0)
			return user_update(db,
			    "UPDATE users SET status = ?, updated_at = ? "
			    "WHERE id = ?",
			    DB_VALUES(DB_TEXT(status), DB_INT64(now), DB_INT64(id)));
	return GH_EINVAL;
}

enum gh_err
user_record_login(struct db *db, int64_t id)
{
	return user_update(db, "UPDATE users SET last_login_at = ? WHERE id = ?",
	    DB_VALUES(DB_INT64((int64_t)time(NULL)), DB_INT64(id)));
}

/* user_exists tells whether a user with id exists. */
static enum gh_err
user_exists(struct db *db, int64_t id, bool *exists)
{
	struct db_stmt *st;
	enum gh_err e;

	*exists = false;
	if ((e = db_prepare(db, "SELECT 1 FROM users WHERE id = ?", &st)) != GH_OK)
		return e;
	if ((e = db_bind_int64(st, 1, id)) == GH_OK)
		e = db_step(st, exists);
	db_done(st);
	return e;
}

/* user_roles_split splits list (modified in place) at commas into names,
 * trimming spaces and dropping empty items and repeats. */
static enum gh_err
user_roles_split(char *list, const char **names, size_t max, size_t *n)
{
	char *p, *end, *next;
	size_t i;

	*n = 0;
	for (p = list; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p == '\0')
			continue;
		if (!role_valid_name(p))
			return GH_EINVAL;
		for (i = 0; i < *n && strcmp(names[i], p) != 0; i++)
			;
		if (i < *n)
			continue;
		if (*n == max)
			return GH_ETOOBIG;
		names[(*n)++] = p;
	}
	return GH_OK;
}

/* What user_roles_replace replaces the user's roles with. */
struct user_roles {
	int64_t id;
	const char *const *names;
	size_t n;
};

/* user_roles_replace replaces the roles of the user r->id with r's names,
 * inside a transaction (db_transact's fn). */
static enum gh_err
user_roles_replace(struct db *db, void *arg)
{
	const struct user_roles *r = arg;
	size_t i;
	enum gh_err e;
	bool exists;

	if ((e = user_exists(db, r->id, &exists)) != GH_OK)
		return e;
	if (!exists)
		return GH_ENOTFOUND;
	if ((e = db_run(db, "DELETE FROM user_roles WHERE user_id = ?", DB_INT64(r->id))) != GH_OK)
		return e;
	for (i = 0; i < r->n; i++) {
		if ((e = db_run(db,
		         "INSERT INTO user_roles (user_id, role_id) "
		         "SELECT ?, id FROM roles WHERE name = ?",
		         DB_INT64(r->id), DB_TEXT(r->names[i]))) != GH_OK)
			return e;
		if (db_changes(db) == 0)
			return GH_ENOTFOUND; /* no such role */
	}
	return GH_OK;
}

/* user_roles_set splits roles and replaces the user's roles with them,
 * in a transaction of its own (in_transaction false) or in the caller's. */
static enum gh_err
user_roles_set(struct db *db, int64_t id, const char *roles, bool in_transaction)
{
	const char *names[64];
	struct user_roles r = {.id = id, .names = names};
	char *list;
	enum gh_err e;

	if ((list = strdup(roles != NULL ? roles : "")) == NULL) {
		log_msg(LOG_ERR, "user: out of memory");
		return GH_ENOMEM;
	}
	if ((e = user_roles_split(list, names, sizeof(names) / sizeof(names[0]), &r.n)) == GH_OK)
		e = in_transaction ? user_roles_replace(db, &r)
		                   : db_transact(db, user_roles_replace, &r);
	free(list);
	return e;
}

enum gh_err
user_set_roles(struct db *db, int64_t id, const char *roles)
{
	return user_roles_set(db, id, roles, false);
}

enum gh_err
user_replace_roles(struct db *db, int64_t id, const char *roles)
{
	return user_roles_set(db, id, roles, true);
}

enum gh_err
user_list(struct db *db, enum gh_err (*fn)(const struct user_row *row, void *arg), void *arg)
{
	struct db_stmt *st;
	struct user_row r;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, user_sql(db)->list, &st)) != GH_OK)
		return e;
	while ((e = db_step(st, &row)) == GH_OK && row) {
		r.id = db_column_int64(st, 0);
		r.username = db_column_text(st, 1);
		r.email = db_column_text(st, 2);
		r.status = db_column_text(st, 4);
		r.roles = db_column_text(st, 7);
		if (r.roles == NULL)
			r.roles = "";
		if ((e = fn(&r, arg)) != GH_OK)
			break;
	}
	db_done(st);
	return e;
}

/* user_name_is_valid tells whether name is 1 to USER_NAME_MAX bytes of
 * ASCII letters, digits and the characters of punct. */
static bool
user_name_is_valid(const char *name, const char *punct)
{
	size_t i;

	if (name == NULL)
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];
		if (i == USER_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		        strchr(punct, c) != NULL))
			return false;
	}
	return i > 0;
}

bool
user_valid_username(const char *name)
{
	return user_name_is_valid(name, "._@+-");
}

bool
role_valid_name(const char *name)
{
	return user_name_is_valid(name, "_-");
}

enum gh_err
role_add(struct db *db, const char *name, const char *description)
{
	if (!role_valid_name(name))
		return GH_EINVAL;
	return db_run(db, "INSERT INTO roles (name, description) VALUES (?, ?)", DB_TEXT(name),
	    DB_TEXT(description != NULL ? description : ""));
}

enum gh_err
role_list(struct db *db, enum gh_err (*fn)(const struct role_row *row, void *arg), void *arg)
{
	struct db_stmt *st;
	struct role_row r;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, "SELECT name, description FROM roles ORDER BY name", &st)) != GH_OK)
		return e;
	while ((e = db_step(st, &row)) == GH_OK && row) {
		r.name = db_column_text(st, 0);
		r.description = db_column_text(st, 1);
		if (r.description == NULL)
			r.description = "";
		if ((e = fn(&r, arg)) != GH_OK)
			break;
	}
	db_done(st);
	return e;
}
