/*
 * auth.h: verifying a login name and password against the user store, for
 * every way in that takes a password (the login form; later the token API's
 * password grant).
 *
 * Every way a login can fail (unknown user, wrong password, account not
 * active, an external user gone from or inactive in its table) costs the
 * same: one verification, of the user's own hash (before the status is
 * looked at) or of the dummy hash made at start like the store's hashes
 * (password.h), so that the time does not tell them apart.
 */
#ifndef GH_AUTH_H
#define GH_AUTH_H

#include <stdbool.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "err.h"
#include "user.h"

#define AUTH_TAG_LEN 8 /* hex digits of the tag of an unknown name in the log */

/* Why auth_password refused: for the log and the audit trail only; the
 * client gets one answer whatever it is. */
enum auth_refusal {
	AUTH_ACCEPTED = 0,
	AUTH_UNKNOWN_USER,   /* no such name (or e-mail) in the store */
	AUTH_WRONG_PASSWORD, /* the user exists; the password does not match */
	AUTH_INACTIVE,       /* right password, account not active (here or in the store) */
	AUTH_NAME_TAKEN,     /* external user whose name a local user has */
	AUTH_LOCKED,         /* right password, account locked out (lockout.h) */
};

/* "unknown_user", "wrong_password", "inactive", "name_taken", "locked" (""
 * for AUTH_ACCEPTED): the reason's word in logs and the audit trail. */
const char *auth_refusal_word(enum auth_refusal r);

/*
 * auth_password verifies username (a name or an e-mail) and password in
 * the local users table (users NULL), or in the external store users
 * ([users] source = external: the hash comes from the other application's
 * table, never rehashed; then the local shadow row, made or updated on db,
 * must be active too).  *u (zeroed by the caller; user_cleanup after) is
 * filled when the user exists; for an external user refused before its
 * shadow row, only u->username.  Returns GH_OK only for an active user with
 * the right password (a local hash weaker than the configured scheme is
 * then replaced), GH_EDENIED for every refusal (*why says which, else it
 * is AUTH_ACCEPTED), GH_EDB when a database failed.
 */
enum gh_err auth_password(struct db *db, struct db *users, const struct config *cfg,
    const char *username, const char *password, struct user *u, enum auth_refusal *why);

/* auth_name_mac writes the hex HMAC-SHA-256([general] secret, purpose name)
 * of name, ASCII lower-cased first when fold: what stands for a name that is
 * never to be stored or logged as typed.  false (and out "") when out of
 * memory. */
bool auth_name_mac(const struct config *cfg, const char *purpose, const char *name, bool fold,
    char out[CRYPTO_SHA256_HEX_LEN + 1]);

/* auth_name_tag writes the first AUTH_TAG_LEN hex digits of
 * HMAC-SHA-256([general] secret, "log-name|" name): what the log says of a
 * name no user has, which is often a password typed into the wrong field.
 * The same name always gives the same tag (attempts can be correlated) but
 * without the secret no dictionary turns a tag back into the name. */
void auth_name_tag(const struct config *cfg, const char *name, char out[AUTH_TAG_LEN + 1]);

#endif
