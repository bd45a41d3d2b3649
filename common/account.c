/*
 * account.c: the changes to a user account (see account.h).  Each runs in
 * one transaction: the change, then the revocation of the user's sessions
 * (where the change calls for it) with the token API's refresh and access
 * tokens that hang on them (refresh.h), then its audit row.  A revocation or an
 * audit row that cannot be written undoes the change: it is reported,
 * never skipped.  A change of roles also takes the roles the user lost
 * from the user's personal access tokens (pat.h), in the same
 * transaction; the other changes leave the tokens alone (pat.h, and
 * account.h says why).
 */
#include <stddef.h>
#include <time.h>

#include "account.h"
#include "lockout.h"
#include "pat.h"
#include "refresh.h"
#include "session.h"
#include "user.h"

/* What a change is: its kind, the user, and what it sets. */
enum account_change {
	ACCOUNT_ADD,
	ACCOUNT_PASSWORD,
	ACCOUNT_ROLES,
	ACCOUNT_DISABLE,
	ACCOUNT_ENABLE,
	ACCOUNT_UNLOCK,
	ACCOUNT_REVOKE_ONE, /* one session, by its stored id */
	ACCOUNT_REVOKE_ALL, /* every session of the user */
};
struct account_op {
	enum account_change change;
	int64_t user_id; /* set by ACCOUNT_ADD and ACCOUNT_REVOKE_ONE */
	const char *username, *email, *hash, *roles, *session_id;
	const struct audit_actor *actor;
	int64_t count;  /* sessions revoked */
	int64_t tokens; /* personal access tokens whose roles were narrowed */
};

/* The audit event of each change. */
static const enum audit_type account_events[] = {
    [ACCOUNT_ADD] = AUDIT_USER_ADDED,
    [ACCOUNT_PASSWORD] = AUDIT_PASSWORD_CHANGED,
    [ACCOUNT_ROLES] = AUDIT_ROLES_CHANGED,
    [ACCOUNT_DISABLE] = AUDIT_USER_DISABLED,
    [ACCOUNT_ENABLE] = AUDIT_USER_ENABLED,
    [ACCOUNT_UNLOCK] = AUDIT_UNLOCK,
    [ACCOUNT_REVOKE_ONE] = AUDIT_SESSION_REVOKED,
    [ACCOUNT_REVOKE_ALL] = AUDIT_SESSION_REVOKED,
};

/* account_apply makes the change of op (db_transact's fn). */
static enum gh_err
account_apply(struct db *db, void *arg)
{
	struct account_op *op = arg;
	const struct audit_actor *a = op->actor;
	struct audit_field ctx[4];
	size_t n = 0;
	enum gh_err e;

	/* Ordered with the logins of the user (user.h, user_lock). */
	if (op->change != ACCOUNT_ADD && op->change != ACCOUNT_REVOKE_ONE &&
	    (e = user_lock(db, op->user_id)) != GH_OK)
		return e;
	switch (op->change) {
	case ACCOUNT_ADD:
		e = user_add(db, op->username, op->email, op->hash, &op->user_id);
		if (e == GH_OK && op->roles != NULL && op->roles[0] != '\0')
			e = user_replace_roles(db, op->user_id, op->roles);
		break;
	case ACCOUNT_PASSWORD:
		e = user_set_password(db, op->user_id, op->hash);
		break;
	case ACCOUNT_ROLES:
		if ((e = user_replace_roles(db, op->user_id, op->roles)) == GH_OK)
			e = pat_restrict_roles(db, op->user_id, &op->tokens);
		break;
	case ACCOUNT_DISABLE:
		e = user_set_status(db, op->user_id, "inactive");
		break;
	case ACCOUNT_ENABLE:
		e = user_set_status(db, op->user_id, "active");
		break;
	case ACCOUNT_UNLOCK:
		e = lockout_unlock(db, op->user_id);
		break;
	case ACCOUNT_REVOKE_ONE:
		if ((e = session_owner(db, op->session_id, &op->user_id)) == GH_OK &&
		    (e = session_revoke_id(db, op->session_id)) == GH_OK)
			e = refresh_revoke_session(db, op->session_id, (int64_t)time(NULL));
		break;
	case ACCOUNT_REVOKE_ALL:
		e = GH_OK;
		break;
	default:
		return GH_EINVAL;
	}
	/* Enabling does not revive old sessions, a new user has none, and a
	 * lockout never ended any. */
	if (e == GH_OK && op->change != ACCOUNT_ADD && op->change != ACCOUNT_ENABLE &&
	    op->change != ACCOUNT_UNLOCK && op->change != ACCOUNT_REVOKE_ONE) {
		if ((e = session_revoke_user(db, op->user_id)) == GH_OK) {
			op->count = db_changes(db);
			/* The token API's tokens end with the sessions they hang on
			 * (refresh.h): the refresh tokens and the access tokens
			 * still alive. */
			e = refresh_revoke_user(db, op->user_id, (int64_t)time(NULL));
		}
	}
	if (e != GH_OK)
		return e;
	ctx[n++] = AUDIT_TEXT("by", a != NULL ? a->by : NULL);
	if (op->change == ACCOUNT_ADD)
		ctx[n++] = AUDIT_TEXT("username", op->username);
	if (op->change == ACCOUNT_ADD || op->change == ACCOUNT_ROLES)
		ctx[n++] = AUDIT_TEXT("roles", op->roles != NULL ? op->roles : "");
	if (op->change == ACCOUNT_ROLES && op->tokens > 0)
		ctx[n++] = AUDIT_INT("tokens_narrowed", op->tokens);
	if (op->change == ACCOUNT_REVOKE_ONE)
		ctx[n++] = AUDIT_TEXT("session", op->session_id);
	if (op->change == ACCOUNT_REVOKE_ALL)
		ctx[n++] = AUDIT_INT("sessions", op->count);
	struct audit_event ev = {
	    .type = account_events[op->change],
	    .result = AUDIT_SUCCESS,
	    .user_id = op->user_id,
	    .ip = a != NULL ? a->ip : NULL,
	    .user_agent = a != NULL ? a->user_agent : NULL,
	    .context = ctx,
	    .ncontext = n,
	};
	return audit_write(db, &ev);
}

enum gh_err
account_add(struct db *db, const char *username, const char *email, const char *hash,
    const char *roles, const struct audit_actor *actor, int64_t *id)
{
	struct account_op op = {.change = ACCOUNT_ADD,
	    .username = username,
	    .email = email,
	    .hash = hash,
	    .roles = roles,
	    .actor = actor};
	enum gh_err e = db_transact(db, account_apply, &op);

	if (id != NULL)
		*id = e == GH_OK ? op.user_id : 0;
	return e;
}

enum gh_err
account_set_password(
    struct db *db, int64_t user_id, const char *hash, const struct audit_actor *actor)
{
	struct account_op op = {
	    .change = ACCOUNT_PASSWORD, .user_id = user_id, .hash = hash, .actor = actor};

	return db_transact(db, account_apply, &op);
}

enum gh_err
account_set_roles(
    struct db *db, int64_t user_id, const char *roles, const struct audit_actor *actor)
{
	struct account_op op = {
	    .change = ACCOUNT_ROLES, .user_id = user_id, .roles = roles, .actor = actor};

	return db_transact(db, account_apply, &op);
}

enum gh_err
account_disable(struct db *db, int64_t user_id, const struct audit_actor *actor)
{
	struct account_op op = {.change = ACCOUNT_DISABLE, .user_id = user_id, .actor = actor};

	return db_transact(db, account_apply, &op);
}

enum gh_err
account_enable(struct db *db, int64_t user_id, const struct audit_actor *actor)
{
	struct account_op op = {.change = ACCOUNT_ENABLE, .user_id = user_id, .actor = actor};

	return db_transact(db, account_apply, &op);
}

enum gh_err
account_unlock(struct db *db, int64_t user_id, const struct audit_actor *actor)
{
	struct account_op op = {.change = ACCOUNT_UNLOCK, .user_id = user_id, .actor = actor};

	return db_transact(db, account_apply, &op);
}

enum gh_err
account_revoke_session(struct db *db, const char *session_id, const struct audit_actor *actor)
{
	struct account_op op = {
	    .change = ACCOUNT_REVOKE_ONE, .session_id = session_id, .actor = actor};

	return db_transact(db, account_apply, &op);
}

enum gh_err
account_revoke_sessions(
    struct db *db, int64_t user_id, const struct audit_actor *actor, int64_t *count)
{
	struct account_op op = {.change = ACCOUNT_REVOKE_ALL, .user_id = user_id, .actor = actor};
	enum gh_err e = db_transact(db, account_apply, &op);

	if (count != NULL)
		*count = e == GH_OK ? op.count : 0;
	return e;
}
