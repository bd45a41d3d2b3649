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
/* password_verify tells whether pw matches hash.  Whatever the answer, it
 * spends one verification of the hash's scheme and cost (or the dummy's), so
 * that no refusal is faster than a wrong password:
 * - a bcrypt hash with pw over 72 bytes is computed all the same (libxcrypt
 *   would use the first 72 bytes) and the answer is false, never a match of
 *   the truncated password;
 * - an unknown scheme, a malformed hash, a NULL hash: the dummy hash (see
 *   password_dummy_init) is verified instead, and the answer is false.
 * A NULL pw is verified as "" and never matches. */
bool password_verify(const char *pw, const char *hash);
/* password_dummy_init makes this process's dummy hash: a hash of a fixed text
 * with the scheme and cost of the store's real hashes.  For [users] source =
 * external that is [users] password_scheme and bcrypt_cost (the other
 * application's table); otherwise [login] password_scheme with its
 * bcrypt_cost or argon2_* parameters.  Call it at start, before threads; a
 * second call replaces the hash (never while other threads verify).  Until
 * it is made, verifications that need the dummy spend nothing. */
enum gh_err password_dummy_init(const struct config *cfg);
/* password_verify_dummy verifies pw against the dummy hash, for a refused
 * login that has no hash of its own to verify (unknown user).  Makes the
 * dummy from cfg when password_dummy_init was not called (thread-safe). */
void password_verify_dummy(const struct config *cfg, const char *pw);
/* password_dummy_matches tells whether hash has the scheme and cost of the
 * dummy hash (bcrypt: the cost; argon2id: version, m, t and p; the others:
 * the scheme), i.e. whether its verification takes the dummy's time. */
bool password_dummy_matches(const char *hash);
/* password_needs_rehash tells whether hash is weaker than (or another scheme
 * than) the configured one. */
bool password_needs_rehash(const struct config *cfg, const char *hash);
/* password_policy_check returns GH_OK or GH_EPOLICY with a reason for the user
 * in *why: too short, too long, over 72 bytes with bcrypt, or on the breached
 * list (SQL_DIR/../breached-passwords.txt, one per line, checked when present). */
enum gh_err password_policy_check(const struct config *cfg, const char *pw, const char **why);

#endif
