/*
 * auth.c: verifying a login name and password against the user store (see
 * auth.h): the local users table, or another application's table
 * ([users] source = external) with a local shadow row.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "crypto.h"
#include "extuser.h"
#include "log.h"
#include "password.h"

/* Warns once per process when the store holds a hash that does not take the
 * dummy's time: unknown users are then answered at another speed than this
 * user (the operator should set [users] password_scheme and bcrypt_cost to
 * the table's). */
static void
auth_check_dummy_like(const char *hash)
{
	static atomic_bool warned;

	if (hash == NULL || password_dummy_matches(hash) || atomic_exchange(&warned, true))
		return;
	log_msg(LOG_WARNING,
	    "[users] password_scheme, bcrypt_cost: a hash of the external table "
	    "starts %.7s, unlike the dummy hash verified for unknown users, so the "
	    "two are refused in different times; set them to the table's hashes",
	    hash);
}

/*
 * auth_verify_external for [users] source = external: the hash comes from the other
 * application's table (never rehashed: that table is read-only to us), then
 * the local shadow row must be active too (an admin may disable it here).
 * A refusal of a user who exists leaves at least u->username set.
 */
static enum gh_err
auth_verify_external(struct db *db, struct db *users, const struct config *cfg,
    const char *username, const char *password, struct user *u, enum auth_refusal *why)
{
	struct extuser x;
	int64_t id;
	enum gh_err e = extuser_find(users, cfg, username, &x);

	if (e == GH_ENOTFOUND) {
		password_verify_dummy(cfg, password);
		*why = AUTH_UNKNOWN_USER;
		return GH_EDENIED;
	}
	if (e != GH_OK)
		return GH_EDB;
	auth_check_dummy_like(x.password_hash);
	/* One verification whatever the hash: a NULL or unusable one costs
	 * the dummy's. */
	if (!password_verify(password, x.password_hash) || !x.active) {
		*why = x.active ? AUTH_WRONG_PASSWORD : AUTH_INACTIVE;
		e = GH_EDENIED;
		goto out;
	}
	e = extuser_shadow(db, &x, &id);
	if (e == GH_EEXISTS) {
		*why = AUTH_NAME_TAKEN;
		e = GH_EDENIED;
	}
	if (e == GH_OK)
		e = user_find_id(db, id, u);
	if (e == GH_OK && strcmp(u->status, "active") != 0) {
		*why = AUTH_INACTIVE;
		e = GH_EDENIED;
	}
	if (e == GH_OK && extuser_record_login(users, cfg, &x) != GH_OK)
		log_msg(LOG_WARNING, "[users] update_last_login failed for %s", x.username);
out:
	if (e == GH_EDENIED && u->username == NULL)
		u->username = strdup(x.username); /* for the log; NULL is fine too */
	extuser_cleanup(&x);
	return e;
}

/* auth_name_tag writes the first 8 hex digits of HMAC-SHA-256([general]
 * secret, "log-name|" name): what the log says of a name no user has, which
 * is often a password typed into the wrong field.  The same name always gives
 * the same tag (attempts can be correlated) but without the secret no
 * dictionary turns a tag back into the name. */
bool
auth_name_mac(const struct config *cfg, const char *purpose, const char *name, bool fold,
    char out[CRYPTO_SHA256_HEX_LEN + 1])
{
	struct buf msg;
	bool ok;

	buf_init(&msg);
	buf_append(&msg, purpose, strlen(purpose));
	for (const char *p = name; *p != '\0'; p++) {
		char c = fold && *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		buf_append(&msg, &c, 1);
	}
	out[0] = '\0';
	if ((ok = !msg.err))
		crypto_hmac_sha256_hex(cfg->secret, strlen(cfg->secret), msg.data, msg.len, out);
	buf_cleanup(&msg); /* wipes the name */
	return ok;
}

void
auth_name_tag(const struct config *cfg, const char *name, char out[AUTH_TAG_LEN + 1])
{
	char mac[CRYPTO_SHA256_HEX_LEN + 1];

	if (auth_name_mac(cfg, "log-name|", name, false, mac))
		memcpy(out, mac, AUTH_TAG_LEN);
	else
		memset(out, '?', AUTH_TAG_LEN); /* out of memory: no tag, still no name */
	out[AUTH_TAG_LEN] = '\0';
}

/* Replaces a hash weaker than the configured scheme, in the table and in
 * u (which then says what the row says, for user_lock_unchanged); a
 * failure only logs. */
static void
auth_rehash(struct db *db, const struct config *cfg, struct user *u, const char *password)
{
	char hash[PASSWORD_HASH_MAX], *copy;

	if (u->password_hash == NULL || !password_needs_rehash(cfg, u->password_hash))
		return;
	if (password_hash(cfg, password, hash) == GH_OK && (copy = strdup(hash)) != NULL) {
		if (user_set_password(db, u->id, hash) == GH_OK) {
			log_msg(LOG_INFO, "rehashed password of user %s", u->username);
			crypto_wipe(u->password_hash, strlen(u->password_hash));
			free(u->password_hash);
			u->password_hash = copy;
		} else {
			crypto_wipe(copy, strlen(copy));
			free(copy);
		}
	}
	crypto_wipe(hash, sizeof(hash));
}

/* The local users table: one verification whatever is found. */
static enum gh_err
auth_verify_local(struct db *db, const struct config *cfg, const char *username,
    const char *password, struct user *u, enum auth_refusal *why)
{
	enum gh_err e = user_find(db, username, u);

	if (e == GH_ENOTFOUND) {
		password_verify_dummy(cfg, password);
		*why = AUTH_UNKNOWN_USER;
		return GH_EDENIED;
	}
	if (e != GH_OK)
		return e;
	/* A user without a hash (SSO only) costs the dummy's verification. */
	if (!password_verify(password, u->password_hash))
		*why = AUTH_WRONG_PASSWORD;
	else if (strcmp(u->status, "active") != 0)
		*why = AUTH_INACTIVE;
	return *why == AUTH_ACCEPTED ? GH_OK : GH_EDENIED;
}

const char *
auth_refusal_word(enum auth_refusal r)
{
	switch (r) {
	case AUTH_ACCEPTED:
		return "";
	case AUTH_UNKNOWN_USER:
		return "unknown_user";
	case AUTH_WRONG_PASSWORD:
		return "wrong_password";
	case AUTH_INACTIVE:
		return "inactive";
	case AUTH_NAME_TAKEN:
		return "name_taken";
	case AUTH_LOCKED:
		return "locked";
	}
	return "?";
}

enum gh_err
auth_password(struct db *db, struct db *users, const struct config *cfg, const char *username,
    const char *password, struct user *u, enum auth_refusal *why)
{
	enum gh_err e;

	*why = AUTH_ACCEPTED;
	e = users != NULL ? auth_verify_external(db, users, cfg, username, password, u, why)
	                  : auth_verify_local(db, cfg, username, password, u, why);

	if (e == GH_OK)
		auth_rehash(db, cfg, u, password);
	return e;
}
