/*
 * extuser.h: users kept in another application's table ([users] source =
 * external).
 *
 * The operator's lookup query ([users] lookup_query) returns, in this order:
 * the external user id, the username, the e-mail (may be NULL), the password
 * hash (may be NULL: no password login), and an "active" flag (1/0,
 * true/false, t/f, y/n).  Every "?" of the query is bound to the login name
 * the user typed.  The external table is
 * only ever read, except by the optional [users] update_last_login query.
 * A successful login keeps a local "shadow" row in users (external_id set,
 * no password hash), so that sessions, roles and the audit trail work as for
 * local users.
 */
#ifndef GH_EXTUSER_H
#define GH_EXTUSER_H

#include <stdbool.h>
#include <stdio.h>

#include "audit.h"
#include "db.h"
#include "err.h"

struct config;

#define EXTUSER_COLUMNS 5

struct extuser {
	char *id; /* the external user id, as text */
	char *username;
	char *email;         /* NULL when none */
	char *password_hash; /* NULL when none: such a user cannot log in */
	bool active;
};

void extuser_cleanup(struct extuser *u); /* wipes the hash; harmless twice */
/* extuser_find runs the lookup query for login on db.  GH_ENOTFOUND when no
 * row comes back; GH_EINVAL when the row does not have EXTUSER_COLUMNS
 * columns or its id or username is NULL (logged: the query is wrong).  A
 * NULL hash is a user without a password (out->password_hash NULL). */
enum gh_err extuser_find(
    struct db *db, const struct config *cfg, const char *login, struct extuser *out);
/* extuser_shadow creates or updates the local row for u and returns its id.
 * GH_EEXISTS when a local user (not from this store) has the same name. */
enum gh_err extuser_shadow(struct db *local, const struct extuser *u, int64_t *id);
/* extuser_record_login runs [users] update_last_login, when configured. */
enum gh_err extuser_record_login(struct db *db, const struct config *cfg, const struct extuser *u);
/* What one extuser_sync did. */
struct extuser_sync_stats {
	int64_t checked;  /* active shadow rows looked up in the store */
	int64_t disabled; /* of those, gone or inactive there: disabled here */
};
/*
 * extuser_sync looks up every active local shadow row (external_id set) in
 * the store ext, with [users] sync_query by its external id when set, else
 * with lookup_query by its name (then a row with another id counts as
 * gone), and disables (account_disable: status inactive, every session
 * revoked) each one that is gone from the store or inactive there, writing
 * one line per user to out.  dry_run: reports without changing anything.
 * Nothing is ever enabled.  Stops at the first failure of a lookup (the
 * store unreachable, a wrong query: GH_EDB, GH_EINVAL), so that an error
 * is never taken for a missing user; the users disabled before it stay
 * disabled.  Shadow rows are read a page (256) at a time and each
 * lookup reuses the one prepared statement.  stats is filled in any case.
 * actor (may be NULL) is who runs the sync, for the audit rows of the users
 * it disables (audit.h).
 */
enum gh_err extuser_sync(struct db *local, struct db *ext, const struct config *cfg,
    const struct audit_actor *actor, bool dry_run, FILE *out, struct extuser_sync_stats *stats);
/* extuser_probe runs the lookup with a name no user has (and sync_query, when
 * set, with the id 0) and reports in plain words on out whether the queries
 * and their columns work; GH_OK when they do. */
enum gh_err extuser_probe(struct db *db, const struct config *cfg, FILE *out);

#endif
