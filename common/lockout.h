/*
 * lockout.h: locking an account after repeated refused logins.
 *
 * After [login] lockout_threshold refused logins in a row for one name, the
 * account is locked: until locked_until, even the right password is
 * refused, with the same answer as any refusal (the hash is still
 * verified, so the time is the same too).  Every further refusal after the
 * lock ended locks it again, for twice as long: lockout_base, 2 x, 4 x...,
 * at most lockout_max (base x 2^(failures - threshold)).  Refusals during a
 * lockout neither count nor extend it: the owner who tries the right
 * password while locked out does not make it longer, and an attacker's
 * guesses during it are wasted.  A successful login, or `gatehousectl user
 * unlock`, sets the count back to 0.
 *
 * A known user's state is users.failed_login_attempts and locked_until; a
 * name no user has gets the same counting in a throttle row keyed
 * "name:" and the hex HMAC-SHA-256 of the name (ASCII lower-cased) under
 * [general] secret, never the name itself.  Both ways run the same
 * statements (a read of the name's row, then one atomic write), so that
 * neither the answer nor its time tells whether a name exists.  The state
 * lives in the database: every process and web server sharing it sees a
 * lockout at once.
 */
#ifndef GH_LOCKOUT_H
#define GH_LOCKOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "user.h"

/* What lockout_fail found and did. */
struct lockout_result {
	bool locked;   /* the name was locked at the attempt (nothing counted) */
	bool started;  /* this refusal locked it; until says till when */
	int64_t until; /* the end of the lockout it started (Unix seconds), or 0 */
	int64_t count; /* refusals in a row, this one included (as read, + 1) */
};

/* lockout_is_locked tells whether the known user u is locked at now. */
bool lockout_is_locked(const struct user *u, int64_t now);
/*
 * lockout_fail counts a refused login of name at now: of the known user u
 * (u->id > 0, as auth_password filled it) in its users row, else of the
 * name in its throttle row.  *r says what happened.  started is exact but
 * for two refusals of one name racing each other (then the later lockout
 * may be one doubling short).  GH_EDB when the database failed (logged).
 */
enum gh_err lockout_fail(struct db *db, const struct config *cfg, const char *name,
    const struct user *u, int64_t now, struct lockout_result *r);
/* lockout_reset sets the count of u back to 0 after a successful login (no
 * statement when it is 0 and u was never locked). */
enum gh_err lockout_reset(struct db *db, const struct user *u);
/* lockout_unlock ends the lockout of user id and sets its count to 0
 * (gatehousectl user unlock).  GH_ENOTFOUND when there is no such user. */
enum gh_err lockout_unlock(struct db *db, int64_t id);
/* lockout_duration is the length of the lockout a refusal number count
 * (from 1) starts: 0 below the threshold, else lockout_base doubled for
 * every refusal past it, at most lockout_max. */
int64_t lockout_duration(const struct config *cfg, int64_t count);

#endif
