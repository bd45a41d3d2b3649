/*
 * account.h: the changes to a user account, in one place for every program
 * that makes them (gatehousectl today; the account and admin pages next),
 * each with its record in the audit trail (audit.h).
 *
 * A new password, a disabled account or other roles revoke every session
 * the user has, so that the change holds at the check from the next request
 * on, on every web server sharing the database: a stolen session does not
 * survive a password reset, and a user keeps no role taken away.
 *
 * Personal access tokens (pat.h) are another matter: they are made by an
 * administrator for a script, not by whoever knows the password, and a
 * script should not stop at every routine password change.  So a new
 * password leaves them as they are (as GitHub does); a disabled (or
 * locked, or deleted) user's tokens are refused by pat_lookup for as long
 * as the user is not active, and work again once the user is enabled
 * (`gatehousectl token revoke --user NAME` ends them for good); other
 * roles narrow them to the roles the user still holds, in the same
 * transaction (a token never regains a role).
 *
 * Each change, its revocation and its audit row are one transaction: all
 * of it happens or none of it (a failure to write the audit row undoes the
 * change, and the caller reports it).  So these functions begin and end
 * their own transaction: never call them inside another.  actor says who
 * made the change (audit.h; its by is the context's "by").
 */
#ifndef GH_ACCOUNT_H
#define GH_ACCOUNT_H

#include <stdint.h>

#include "audit.h"
#include "db.h"
#include "err.h"

/* account_add adds an active user (user_add: GH_EEXISTS when the name or
 * e-mail is taken, GH_EINVAL for a bad one) with hash (may be NULL) and the
 * comma-separated roles (may be NULL or ""; GH_ENOTFOUND when one does not
 * exist: nothing is added); *id (may be NULL) receives its id. */
enum gh_err account_add(struct db *db, const char *username, const char *email, const char *hash,
    const char *roles, const struct audit_actor *actor, int64_t *id);
/* account_set_password stores hash (password_hash) as the user's password
 * and revokes its sessions. */
enum gh_err account_set_password(
    struct db *db, int64_t user_id, const char *hash, const struct audit_actor *actor);
/* account_set_roles replaces the user's roles with the comma-separated list
 * (GH_ENOTFOUND when a role does not exist: nothing changes), revokes its
 * sessions and takes the roles it lost from its personal access tokens
 * (the audit row's context says how many tokens lost one, as
 * "tokens_narrowed", when any did). */
enum gh_err account_set_roles(
    struct db *db, int64_t user_id, const char *roles, const struct audit_actor *actor);
/* account_disable makes the user "inactive" (the check refuses its sessions
 * from then on) and revokes its sessions. */
enum gh_err account_disable(struct db *db, int64_t user_id, const struct audit_actor *actor);
/* account_enable makes the user "active" again; its old sessions stay
 * revoked. */
enum gh_err account_enable(struct db *db, int64_t user_id, const struct audit_actor *actor);
/* account_unlock ends the user's lockout and clears its count of failed
 * logins (lockout.h), with the audit event "unlock"; GH_ENOTFOUND for no
 * such user. */
enum gh_err account_unlock(struct db *db, int64_t user_id, const struct audit_actor *actor);

/* account_revoke_session revokes the live session whose stored id (hex
 * SHA-256 of its token, as session_list shows it) is session_id, for an
 * administrator: GH_ENOTFOUND when no live session has it (nothing is
 * written). */
enum gh_err account_revoke_session(
    struct db *db, const char *session_id, const struct audit_actor *actor);
/* account_revoke_sessions revokes every session of the user, for an
 * administrator; *count (may be NULL) receives how many were live.  One
 * audit row, also when there were none. */
enum gh_err account_revoke_sessions(
    struct db *db, int64_t user_id, const struct audit_actor *actor, int64_t *count);

#endif
