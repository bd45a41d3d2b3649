/*
 * user.h: users and roles in the local tables.
 *
 * Statuses: "active", "inactive" (disabled by an admin), "locked", "deleted".
 * Only "active" users may log in or hold a valid session.
 */
#ifndef GH_USER_H
#define GH_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct user {
	int64_t id;
	char *username;
	char *email;         /* NULL when none */
	char *password_hash; /* NULL when none */
	char *status;
	int64_t created_at;
	int64_t last_login_at;
	char *roles;                   /* comma-separated, "" when none */
	int64_t failed_login_attempts; /* refused logins since the last success (lockout.h) */
	int64_t locked_until;          /* Unix seconds; 0 when never locked */
};

void user_cleanup(struct user *u); /* wipes the hash; harmless twice */
/* user_find looks a user up by username or e-mail (login names are compared
 * exactly; e-mail case-insensitively).  GH_ENOTFOUND when none. */
enum gh_err user_find(struct db *db, const char *login, struct user *out);
enum gh_err user_find_id(struct db *db, int64_t id, struct user *out);
/* user_add inserts an active user; email and hash may be NULL. GH_EEXISTS when
 * the username or e-mail is taken. */
enum gh_err user_add(
    struct db *db, const char *username, const char *email, const char *hash, int64_t *id);
enum gh_err user_set_password(struct db *db, int64_t id, const char *hash);
/* user_set_status sets "active" or "inactive" (or "locked", "deleted"). */
enum gh_err user_set_status(struct db *db, int64_t id, const char *status);
enum gh_err user_record_login(struct db *db, int64_t id);
/*
 * user_lock locks user id's row until the caller's transaction (db_transact)
 * ends: FOR UPDATE on MariaDB and PostgreSQL (SQLite's BEGIN IMMEDIATE has
 * locked the whole database already).  GH_OK, GH_ENOTFOUND, GH_EDB.
 * user_lock_unchanged locks u's row so and tells whether it still says
 * what u says: the same password hash (both NULL, or equal) and status
 * "active"; GH_EDENIED when it changed or is gone.
 *
 * Every change to an account (account.c) locks the user's row first, and
 * a login locks it with user_lock_unchanged in the transaction that makes
 * its session: so a change and a login are ordered.  A login whose
 * password was changed, or whose user was disabled, while it was being
 * verified makes no session, and a session made just before a change is
 * there for the change to revoke; the session's roles are read after the
 * lock, so they are those of the last change.
 */
enum gh_err user_lock(struct db *db, int64_t id);
enum gh_err user_lock_unchanged(struct db *db, const struct user *u);
/* user_set_roles replaces the user's roles with the comma-separated list;
 * GH_ENOTFOUND when a role does not exist. */
enum gh_err user_set_roles(struct db *db, int64_t id, const char *roles);
/* user_replace_roles is user_set_roles inside the caller's transaction
 * (db_transact), which it neither begins nor ends. */
enum gh_err user_replace_roles(struct db *db, int64_t id, const char *roles);
/* A row of a list, valid only during the callback that gets it. */
struct user_row {
	int64_t id;
	const char *username;
	const char *email; /* NULL when none */
	const char *status;
	const char *roles; /* comma-separated, "" when none */
};
/* user_list calls fn for every user, by id; an answer of fn other than
 * GH_OK stops the list and is returned. */
enum gh_err user_list(
    struct db *db, enum gh_err (*fn)(const struct user_row *row, void *arg), void *arg);
/* user_valid_username: 1..64 bytes of letters, digits, and . _ @ + - */
bool user_valid_username(const char *name);

enum gh_err role_add(struct db *db, const char *name, const char *description);
struct role_row {
	const char *name;
	const char *description; /* "" when none */
};
/* role_list calls fn for every role, by name (see user_list). */
enum gh_err role_list(
    struct db *db, enum gh_err (*fn)(const struct role_row *row, void *arg), void *arg);
/* role_valid_name: 1..64 bytes of letters, digits, _ and - */
bool role_valid_name(const char *name);

/* The roles of the user in the row "u" of users, as one comma-separated
 * text sorted by name (NULL when none): an SQL expression for each dialect,
 * since each aggregates differently (SQLite's group_concat keeps the order
 * of its input, and has no ORDER BY of its own before 3.44). */
#define USER_ROLES_SQL_SQLITE                                                             \
	"(SELECT group_concat(name, ',') FROM (SELECT r.name AS name FROM user_roles ur " \
	"JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id ORDER BY r.name))"
#define USER_ROLES_SQL_MYSQL                                                             \
	"(SELECT GROUP_CONCAT(r.name ORDER BY r.name SEPARATOR ',') FROM user_roles ur " \
	"JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id)"
#define USER_ROLES_SQL_PGSQL                                                  \
	"(SELECT string_agg(r.name, ',' ORDER BY r.name) FROM user_roles ur " \
	"JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id)"

#endif
