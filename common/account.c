/*
 * account.c: the changes to a user account that end its sessions (see
 * account.h).  The change comes first, the revocation second: from the
 * change on, the check already refuses what it must (a disabled user's
 * sessions), and a revocation that fails is reported, never skipped.
 */
#include "account.h"
#include "session.h"
#include "user.h"

enum gh_err
account_set_password(struct db *db, int64_t user_id, const char *hash)
{
	enum gh_err e = user_set_password(db, user_id, hash);

	return e == GH_OK ? session_revoke_user(db, user_id) : e;
}

enum gh_err
account_set_roles(struct db *db, int64_t user_id, const char *roles)
{
	enum gh_err e = user_set_roles(db, user_id, roles);

	return e == GH_OK ? session_revoke_user(db, user_id) : e;
}

enum gh_err
account_disable(struct db *db, int64_t user_id)
{
	enum gh_err e = user_set_status(db, user_id, "inactive");

	return e == GH_OK ? session_revoke_user(db, user_id) : e;
}

enum gh_err
account_enable(struct db *db, int64_t user_id)
{
	return user_set_status(db, user_id, "active");
}
