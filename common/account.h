/*
 * account.h: the changes to a user account that end its sessions, in one
 * place for every program that makes them (gatehousectl today; the account
 * and admin pages next).
 *
 * A new password, a disabled account or other roles revoke every session
 * the user has, so that the change holds at the check from the next request
 * on, on every web server sharing the database: a stolen session does not
 * survive a password reset, and a user keeps no role taken away.
 */
#ifndef GH_ACCOUNT_H
#define GH_ACCOUNT_H

#include <stdint.h>

#include "db.h"
#include "err.h"

/* account_set_password stores hash (password_hash) as the user's password
 * and revokes its sessions. */
enum gh_err account_set_password(struct db *db, int64_t user_id, const char *hash);
/* account_set_roles replaces the user's roles with the comma-separated list
 * (GH_ENOTFOUND when a role does not exist: nothing changes) and revokes
 * its sessions. */
enum gh_err account_set_roles(struct db *db, int64_t user_id, const char *roles);
/* account_disable makes the user "inactive" (the check refuses its sessions
 * from then on) and revokes its sessions. */
enum gh_err account_disable(struct db *db, int64_t user_id);
/* account_enable makes the user "active" again; its old sessions stay
 * revoked. */
enum gh_err account_enable(struct db *db, int64_t user_id);

#endif
