/*
 * test_lockout.c: lockout.h on every database (test_backend.h): a known
 * user locked after the threshold, the back-off doubling to its cap,
 * refusals during a lockout neither counted nor extending it, the reset by
 * a successful login and by unlock, and a name no user has counted the
 * same way in a throttle row that does not hold the name.
 */
#include <string.h>

#include "config.h"
#include "db.h"
#include "lockout.h"
#include "test.h"
#include "test_backend.h"
#include "user.h"

#define T0 1700000000 /* a fixed "now" */

static struct config cfg;
static struct db *db;

static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.secret = "0123456789abcdef0123456789abcdef";
	cfg.lockout_threshold = 3;
	cfg.lockout_base = 10;
	cfg.lockout_max = 35;
	return true;
}

/* refuse counts a refusal of name at now, as the login does: the user read
 * first (absent for an unknown name). */
static struct lockout_result
refuse(const char *name, int64_t now)
{
	struct lockout_result r;
	struct user u;

	memset(&r, 0xff, sizeof(r));
	if (user_find(db, name, &u) != GH_OK)
		memset(&u, 0, sizeof(u));
	CHECK(lockout_fail(db, &cfg, name, &u, now, &r) == GH_OK);
	user_cleanup(&u);
	return r;
}

static bool
user_locked(const char *name, int64_t now)
{
	struct user u;
	bool locked;

	CHECK(user_find(db, name, &u) == GH_OK);
	locked = lockout_is_locked(&u, now);
	user_cleanup(&u);
	return locked;
}

TEST(duration_doubles_to_the_cap)
{
	CHECK(lockout_duration(&cfg, 2) == 0);
	CHECK(lockout_duration(&cfg, 3) == 10);
	CHECK(lockout_duration(&cfg, 4) == 20);
	CHECK(lockout_duration(&cfg, 5) == 35);
	CHECK(lockout_duration(&cfg, 1000000) == 35);
}

TEST(threshold_locks_a_user_and_backoff_doubles)
{
	struct lockout_result r;
	int64_t id;

	CHECK(user_add(db, "ann", NULL, "x", &id) == GH_OK);
	r = refuse("ann", T0);
	CHECK(!r.locked && !r.started && r.count == 1);
	refuse("ann", T0 + 1);
	CHECK(!user_locked("ann", T0 + 1));
	r = refuse("ann", T0 + 2);
	CHECK(r.started && r.count == 3 && r.until == T0 + 12);
	CHECK(user_locked("ann", T0 + 2) && user_locked("ann", T0 + 11));
	/* During it: nothing counted, nothing extended. */
	r = refuse("ann", T0 + 5);
	CHECK(r.locked && !r.started);
	CHECK(!user_locked("ann", T0 + 12));
	/* The next refusal after it locks for twice as long. */
	r = refuse("ann", T0 + 20);
	CHECK(r.started && r.count == 4 && r.until == T0 + 40);
	r = refuse("ann", T0 + 40);
	CHECK(r.started && r.until == T0 + 75); /* capped at 35 */
	struct user u;
	CHECK(user_find(db, "ann", &u) == GH_OK);
	CHECK(u.failed_login_attempts == 5 && u.locked_until == T0 + 75);
	/* A successful login sets it back. */
	CHECK(lockout_reset(db, &u) == GH_OK);
	user_cleanup(&u);
	CHECK(user_find(db, "ann", &u) == GH_OK);
	CHECK(u.failed_login_attempts == 0 && u.locked_until == 0);
	user_cleanup(&u);
}

TEST(unlock_ends_the_lockout)
{
	int64_t id;

	CHECK(user_add(db, "bea", NULL, "x", &id) == GH_OK);
	for (int i = 0; i < 3; i++)
		refuse("bea", T0);
	CHECK(user_locked("bea", T0 + 1));
	CHECK(lockout_unlock(db, id) == GH_OK);
	CHECK(!user_locked("bea", T0 + 1));
	CHECK(refuse("bea", T0 + 2).count == 1);
	CHECK(lockout_unlock(db, id + 1000) == GH_ENOTFOUND);
}

TEST(unknown_name_counted_the_same_way)
{
	struct lockout_result r;
	struct db_stmt *st;
	bool row;

	r = refuse("nobody-has-this", T0);
	CHECK(!r.locked && r.count == 1);
	refuse("nobody-has-this", T0 + 1);
	r = refuse("NOBODY-has-this", T0 + 2); /* the same name, case aside */
	CHECK(r.started && r.count == 3 && r.until == T0 + 12);
	r = refuse("nobody-has-this", T0 + 5);
	CHECK(r.locked && !r.started);
	r = refuse("nobody-has-this", T0 + 20);
	CHECK(r.started && r.count == 4 && r.until == T0 + 40);
	/* Its row is keyed by an HMAC: the name is nowhere in the table. */
	bool my = db_dialect(db) == DB_MYSQL; /* `key`: a reserved word there */
	CHECK(db_prepare(db,
	          my ? "SELECT count FROM throttle WHERE `key` LIKE 'name:%'"
	             : "SELECT count FROM throttle WHERE key LIKE 'name:%'",
	          &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && row && db_column_int64(st, 0) == 4);
	db_done(st);
	CHECK(db_prepare(db,
	          my ? "SELECT 1 FROM throttle WHERE `key` LIKE '%nobody%'"
	             : "SELECT 1 FROM throttle WHERE key LIKE '%nobody%'",
	          &st) == GH_OK);
	CHECK(db_step(st, &row) == GH_OK && !row);
	db_done(st);
}

TEST(threshold_one_locks_at_the_first_refusal)
{
	struct lockout_result r;
	int64_t id;

	cfg.lockout_threshold = 1;
	CHECK(user_add(db, "cid", NULL, "x", &id) == GH_OK);
	r = refuse("cid", T0);
	CHECK(r.started && r.until == T0 + 10 && user_locked("cid", T0));
	r = refuse("first-time-unknown", T0);
	CHECK(r.started && r.until == T0 + 10);
	r = refuse("first-time-unknown", T0 + 1);
	CHECK(r.locked);
	cfg.lockout_threshold = 3;
}

static void
suite(void)
{
	RUN(duration_doubles_to_the_cap);
	RUN(threshold_locks_a_user_and_backoff_doubles);
	RUN(unlock_ends_the_lockout);
	RUN(unknown_name_counted_the_same_way);
	RUN(threshold_one_locks_at_the_first_refusal);
}

static void
tear_down(void)
{
	db_close(db);
	db = NULL;
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, setup, suite, tear_down);
}
