/*
 * pat.h: personal access tokens, for scripts, monitors and WebDAV-style
 * clients that cannot use the login page.
 *
 * A token is "ghpat_" and 43 base64url characters (32 random bytes,
 * crypto_token): the prefix makes a leaked token recognisable (secret
 * scanners, logs), the rest is 256 bits of randomness.  It is shown once,
 * when it is made; the table personal_access_tokens holds only its SHA-256
 * (hex) as id, and the first PAT_HANDLE_LEN hex digits of that id are the
 * handle by which an administrator lists and revokes it.
 *
 * A token belongs to one user and carries a name (unique among that
 * user's tokens that can still be used), an expiry (or none) and roles,
 * each of them one its user held when it was made.  It never grants more
 * than its user has: a change of the user's roles narrows the roles of
 * the user's tokens in the same transaction (pat_restrict_roles, called
 * by account.c), so that pat_lookup, the check's one call, reads one row
 * and needs no privilege on user_roles.  A token of a user who is not
 * active is refused while the user is not; revoked and expired tokens are
 * refused for good.  A new password does not revoke a user's tokens (as
 * on GitHub: tokens are made by an administrator, not by whoever knows
 * the password); `gatehousectl token revoke --user NAME` does.
 *
 * The changes (pat_create, pat_revoke, pat_revoke_user) run in their own
 * transaction with their audit row ("token_added", "token_revoked"):
 * never call them inside another.
 */
#ifndef GH_PAT_H
#define GH_PAT_H

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"
#include "crypto.h"
#include "db.h"
#include "err.h"

#define PAT_PREFIX "ghpat_"
#define PAT_PREFIX_LEN 6
#define PAT_TOKEN_LEN (PAT_PREFIX_LEN + CRYPTO_TOKEN_LEN) /* 49 */
#define PAT_HANDLE_LEN 12                                 /* hex digits of the id */
#define PAT_NAME_MAX 64                                   /* bytes of a name */
#define PAT_ROLES_MAX 1023           /* bytes of a token's comma-separated roles */
#define PAT_TOUCH_INTERVAL 60        /* seconds between two writes of last_used_at */
#define PAT_LIFETIME_MAX 315360000   /* ten years, the longest expiry but none */
#define PAT_LIFETIME_DEFAULT 7776000 /* 90 days */

/* A token to make. */
struct pat_new {
	int64_t user_id;
	const char *name;   /* pat_valid_name */
	const char *roles;  /* comma-separated; NULL or "": none */
	int64_t expires_at; /* Unix seconds; 0: never */
};

/*
 * pat_create makes a token for p->user_id and writes it to token (shown
 * once: the caller prints it and wipes it), its stored id to id (may be
 * NULL), and the audit row "token_added" (context: by, the name, the
 * handle, the roles, the expiry), in one transaction.  The roles are
 * stored sorted, each once.  GH_EINVAL for a bad name or role name or an
 * expiry not in the future; GH_ENOTFOUND for no such user; GH_EDENIED when
 * a role is not one the user holds now (or does not exist); GH_EEXISTS
 * when a token of the user that can still be used has the name (a revoked
 * or expired one's name may be given again: its row is deleted, its audit
 * rows stay); GH_ETOOBIG when the roles exceed PAT_ROLES_MAX.  Nothing is
 * written on failure and token is "".
 */
enum gh_err pat_create(struct db *db, const struct pat_new *p, const struct audit_actor *actor,
    char token[PAT_TOKEN_LEN + 1], char id[CRYPTO_SHA256_HEX_LEN + 1]);

/* What pat_lookup gives for a valid token (the fields as in session.h's
 * struct session_info, for the check). */
struct pat_info {
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t user_id;
	char username[256];
	char email[256];               /* "" when none */
	char roles[PAT_ROLES_MAX + 1]; /* comma-separated, "" when none */
	int64_t expires_at;            /* 0: never */
	int64_t last_used_at; /* as the table holds it after this lookup's touch; 0: never */
};

/*
 * pat_lookup finds the valid token token and fills out: the check's one
 * call.  A token not of the form above is refused before the database is
 * asked.  Then one read by primary key (the token and its user); refused
 * when revoked, expired, or when the user is not active.  last_used_at is
 * written when it is PAT_TOUCH_INTERVAL old or more (or never was): most
 * lookups write nothing (a failed touch is logged; the token is valid all
 * the same).  GH_ENOTFOUND for every refusal alike (out zeroed); GH_EDB.
 * Throttling the attempts is the caller's.
 */
enum gh_err pat_lookup(struct db *db, const char *token, struct pat_info *out);

/* A token as pat_list shows it (never the token), valid only during the
 * callback. */
struct pat_row {
	char handle[PAT_HANDLE_LEN + 1];
	const char *username;
	const char *name;
	const char *roles; /* "" when none */
	int64_t created_at;
	int64_t expires_at;   /* 0: never */
	int64_t last_used_at; /* 0: never */
	int64_t revoked_at;   /* 0: not revoked */
	bool user_active;     /* false: the check refuses it for its user */
};
/* pat_list calls fn for every token, revoked and expired ones included,
 * by user name then age, of username only unless it is NULL or "" (see
 * user_list). */
enum gh_err pat_list(struct db *db, const char *username,
    enum gh_err (*fn)(const struct pat_row *row, void *arg), void *arg);

/*
 * pat_revoke revokes the token whose handle (PAT_HANDLE_LEN hex digits) or
 * whole id (64) is handle, with the audit row "token_revoked"; *user_id
 * (may be NULL) receives its user's id.  GH_EINVAL for a handle of another
 * form or one that several tokens share (then give the id); GH_ENOTFOUND
 * when no token not yet revoked has it (nothing is written).
 */
enum gh_err pat_revoke(
    struct db *db, const char *handle, const struct audit_actor *actor, int64_t *user_id);
/* pat_revoke_user revokes every token of the user not yet revoked, with one
 * audit row "token_revoked" (context: the count), also when there were
 * none; *count (may be NULL) receives how many. */
enum gh_err pat_revoke_user(
    struct db *db, int64_t user_id, const struct audit_actor *actor, int64_t *count);

/* pat_restrict_roles takes from the user's tokens (not revoked) every role
 * the user no longer holds, inside the caller's transaction (account.c,
 * after a change of roles); *narrowed (may be NULL) receives how many
 * tokens lost one. */
enum gh_err pat_restrict_roles(struct db *db, int64_t user_id, int64_t *narrowed);

/* pat_token_valid tells whether s has the form of a token (the prefix and
 * the canonical base64url of 32 bytes). */
bool pat_token_valid(const char *s);
/* pat_valid_name: 1 to PAT_NAME_MAX bytes of printable ASCII, spaces
 * inside only. */
bool pat_valid_name(const char *name);
/* pat_valid_handle: PAT_HANDLE_LEN or CRYPTO_SHA256_HEX_LEN lowercase hex
 * digits. */
bool pat_valid_handle(const char *s);
/* pat_parse_lifetime reads a lifetime: a positive number with its unit,
 * s, m, h, d or w ("90d", "12h"), at most PAT_LIFETIME_MAX, into *seconds;
 * or "never", 0.  false for anything else. */
bool pat_parse_lifetime(const char *s, int64_t *seconds);

#endif
