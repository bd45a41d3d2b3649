/*
 * test_jwt_access_blacklist.c: the blacklist of the token API's access
 * tokens (common/jwt_access.c, revoked_jti) on every database
 * (test_backend.h): a revoked jti stays until it expires, revoking twice
 * (also in one transaction, which PostgreSQL would end on a failed
 * INSERT) is no error, purge deletes the expired entries only, and a
 * blacklist that cannot be read says "revoked".
 */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "crypto.h"
#include "db.h"
#include "jwt_access.h"
#include "test.h"
#include "test_backend.h"

static struct db *db;

/* A jti put on the blacklist times times in one transaction. */
struct revocation {
	const char *jti;
	int64_t expires_at;
	int times;
};

static enum gh_err
revoke_fn(struct db *d, void *arg)
{
	struct revocation *r = arg;
	enum gh_err e = GH_OK;

	for (int i = 0; i < r->times && e == GH_OK; i++)
		e = jwt_access_revoke(d, r->jti, r->expires_at);
	return e;
}

/* blacklist puts jti on the blacklist times times in one transaction. */
static enum gh_err
blacklist(const char *jti, int64_t expires_at, int times)
{
	struct revocation r = {jti, expires_at, times};

	return db_transact(db, revoke_fn, &r);
}

/* is_revoked asks the blacklist about jti: 1, 0, or -1 for an error. */
static int
is_revoked(const char *jti)
{
	bool revoked = false;

	if (jwt_access_revoked(db, jti, &revoked) != GH_OK)
		return -1;
	return revoked ? 1 : 0;
}

static bool
db_setup(struct test_backend *b)
{
	return (db = test_backend_open_schema(b, 1000)) != NULL;
}

TEST(revoked_jti_stays_until_it_expires)
{
	char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
	int64_t now = (int64_t)time(NULL);

	crypto_token(a);
	crypto_token(b);
	CHECK(is_revoked(a) == 0);
	CHECK(blacklist(a, now + 600, 1) == GH_OK);
	CHECK(is_revoked(a) == 1);
	CHECK(is_revoked(b) == 0);
	/* Twice, in one transaction and in two: no error, once in the table
	 * (on PostgreSQL a failed INSERT would end the transaction). */
	CHECK(blacklist(a, now + 600, 1) == GH_OK);
	CHECK(blacklist(b, now + 600, 3) == GH_OK);
	CHECK(is_revoked(b) == 1);
	CHECK(test_query_int(db, "SELECT count(*) FROM revoked_jti") == 2);
}

TEST(purge_deletes_the_expired_entries_only)
{
	char gone[CRYPTO_TOKEN_LEN + 1], edge[CRYPTO_TOKEN_LEN + 1], kept[CRYPTO_TOKEN_LEN + 1];
	int64_t now = (int64_t)time(NULL), deleted = -1;

	CHECK(db_exec(db, "DELETE FROM revoked_jti") == GH_OK);
	crypto_token(gone);
	crypto_token(edge);
	crypto_token(kept);
	CHECK(blacklist(gone, now - 10, 1) == GH_OK);
	CHECK(blacklist(edge, now, 1) == GH_OK);
	CHECK(blacklist(kept, now + 10, 1) == GH_OK);
	CHECK(jwt_access_purge(db, now, &deleted) == GH_OK);
	CHECK(deleted == 1);
	CHECK(is_revoked(gone) == 0 && is_revoked(edge) == 1 && is_revoked(kept) == 1);
	CHECK(jwt_access_purge(db, now + 11, NULL) == GH_OK);
	CHECK(test_query_int(db, "SELECT count(*) FROM revoked_jti") == 0);
}

TEST(blacklist_unreadable_fails_closed)
{
	char path[PATH_MAX + 64], url[PATH_MAX + 80];
	struct db *empty = NULL;
	bool revoked = false;

	/* A database without the table: the lookup fails, saying revoked. */
	snprintf(path, sizeof(path), "%s/empty.db", test_cur->tmp);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	CHECK(db_open(url, NULL, 1000, &empty) == GH_OK);
	if (empty == NULL)
		return;
	CHECK(jwt_access_revoked(empty, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &revoked) ==
	      GH_EDB);
	CHECK(revoked);
	db_close(empty);
}

static void
db_suite(void)
{
	RUN(revoked_jti_stays_until_it_expires);
	RUN(purge_deletes_the_expired_entries_only);
	RUN(blacklist_unreadable_fails_closed);
}

static void
db_tear_down(void)
{
	db_close(db);
	db = NULL;
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, db_setup, db_suite, db_tear_down);
}
