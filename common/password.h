/*
 * password.h: password hashing, verification and policy.
 *
 * New hashes use the configured scheme: argon2id (libargon2, encoded
 * "$argon2id$v=19$m=...,t=...,p=...$salt$hash") or bcrypt ($2b$, libxcrypt,
 * always with an explicit cost).  Verification accepts argon2id, bcrypt
 * $2a$/$2b$/$2y$, sha512crypt ($6$) and yescrypt ($y$), comparing in constant
 * time.  With bcrypt a password over 72 bytes is refused, never truncated.
 */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct config;

#define PASSWORD_HASH_MAX 256

/* password_hash hashes pw with the configured scheme into out (NUL-terminated).
 * GH_EPOLICY when pw cannot be hashed by the scheme (bcrypt over 72 bytes). */
enum gh_err password_hash(const struct config *cfg, const char *pw, char out[PASSWORD_HASH_MAX]);
/* password_verify tells whether pw matches hash; false for an unknown or
 * malformed hash, and for a bcrypt hash with pw over 72 bytes. */
bool password_verify(const char *pw, const char *hash);
/* password_verify_dummy spends the time of a real verification against the
 * configured scheme, for unknown users (the answer's timing must not tell). */
void password_verify_dummy(const struct config *cfg, const char *pw);
/* password_needs_rehash tells whether hash is weaker than (or another scheme
 * than) the configured one. */
bool password_needs_rehash(const struct config *cfg, const char *hash);
/* password_policy_check returns GH_OK or GH_EPOLICY with a reason for the user
 * in *why: too short, too long, over 72 bytes with bcrypt, or on the breached
 * list (SQL_DIR/../breached-passwords.txt, one per line, checked when present). */
enum gh_err password_policy_check(const struct config *cfg, const char *pw, const char **why);

#endif
