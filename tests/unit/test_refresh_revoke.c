/*
 * test_refresh_revoke.c: the ends of the token API's refresh tokens
 * (common/refresh.c) on every database (test_backend.h): revocation by
 * the client (RFC 7009), by session and by user, each blacklisting the
 * access tokens still alive; the account changes of account.c that end
 * them with the user's sessions; and purge.  The shared helpers are
 * test_refresh.h's.
 */
#include "account.h"
#include "test_refresh.h"

static const struct audit_actor actor = {.by = "test"};

/* A revocation by session or by user, or a purge (db_transact's arg). */
struct ending {
	const char *session_id;
	int64_t user_id;
	int64_t now, keep, deleted; /* purge */
};

static enum gh_err
revoke_session_fn(struct db *d, void *arg)
{
	return refresh_revoke_session(d, ((struct ending *)arg)->session_id, (int64_t)time(NULL));
}

static enum gh_err
revoke_user_fn(struct db *d, void *arg)
{
	return refresh_revoke_user(d, ((struct ending *)arg)->user_id, (int64_t)time(NULL));
}

static enum gh_err
purge_fn(struct db *d, void *arg)
{
	struct ending *p = arg;

	return refresh_purge(d, p->now, p->keep, &p->deleted);
}

/* The rows whose family ended before t. */
static int64_t
ended_before(int64_t t)
{
	struct db_stmt *st;
	bool row = false;
	int64_t n = -1;

	if (db_prepare(db, "SELECT count(*) FROM refresh_tokens WHERE expires_at < ?", &st) !=
	    GH_OK)
		return -1;
	if (db_bind(st, DB_INT64(t)) == GH_OK && db_step(st, &row) == GH_OK && row)
		n = db_column_int64(st, 0);
	db_done(st);
	return n;
}

TEST(revoke_token_ends_its_family_once)
{
	struct family live, consumed;
	char old[REFRESH_TOKEN_LEN + 1], old_jti[CRYPTO_TOKEN_LEN + 1];
	struct call c;

	/* A live token: its family, session and access token. */
	CHECK(new_family(alice, &live));
	CHECK(revoke_token(live.token) == alice);
	CHECK(fully_revoked(&live));
	CHECK(rotate(live.token, &c) == REFRESH_INVALID);
	/* Twice: nothing more to revoke. */
	CHECK(revoke_token(live.token) == 0);
	/* A consumed one ends its family as well, the newest access token too. */
	CHECK(new_family(bob, &consumed));
	memcpy(old, consumed.token, sizeof(old));
	memcpy(old_jti, consumed.jti, sizeof(old_jti));
	CHECK(advance(&consumed));
	CHECK(revoke_token(old) == bob);
	CHECK(fully_revoked(&consumed));
	CHECK(blacklisted(old_jti)); /* not expired yet either */
	CHECK(rotate(consumed.token, &c) == REFRESH_INVALID);
	CHECK(revoke_token(consumed.token) == 0);
	/* Garbage: nobody's. */
	CHECK(revoke_token("not-a-token") == 0);
	CHECK(revoke_token(NULL) == 0);
}

TEST(revoke_session_ends_that_sessions_tokens_only)
{
	struct family one, two;
	struct ending end = {0};
	struct call c;

	CHECK(new_family(alice, &one));
	CHECK(new_family(alice, &two));
	CHECK(advance(&one));
	end.session_id = one.session;
	CHECK(db_transact(db, revoke_session_fn, &end) == GH_OK);
	CHECK(family_live_rows(&one) == 0 && family_rows(&one) == 2);
	CHECK(blacklisted(one.jti));
	CHECK(rotate(one.token, &c) == REFRESH_INVALID);
	/* The caller revokes the session (account.c); the other is whole. */
	CHECK(untouched(&two));
	CHECK(advance(&two));
}

TEST(revoke_user_ends_that_users_tokens_only)
{
	struct family a1, a2, b1;
	int64_t dave = add_user("dave", NULL), erin = add_user("erin", NULL);
	struct ending end = {.user_id = dave};
	struct call c;

	CHECK(new_family(dave, &a1));
	CHECK(new_family(dave, &a2));
	CHECK(new_family(erin, &b1));
	CHECK(advance(&a1));
	CHECK(db_transact(db, revoke_user_fn, &end) == GH_OK);
	CHECK(family_live_rows(&a1) == 0 && family_live_rows(&a2) == 0);
	CHECK(blacklisted(a1.jti) && blacklisted(a2.jti));
	CHECK(rotate(a1.token, &c) == REFRESH_INVALID && rotate(a2.token, &c) == REFRESH_INVALID);
	CHECK(untouched(&b1));
	CHECK(advance(&b1));
	/* Twice is harmless: the blacklist keeps each jti once. */
	CHECK(db_transact(db, revoke_user_fn, &end) == GH_OK);
	CHECK(query("SELECT count(*) FROM revoked_jti WHERE jti = ?", a1.jti) == 1);
}

/* Every change of account.c that ends a user's sessions ends the token
 * API's tokens that hang on them (refresh.h), blacklisting the live access
 * tokens: the refresh token is refused from then on. */
TEST(account_changes_end_refresh_and_access_tokens)
{
	int64_t frank = add_user("frank", NULL), other = add_user("gina", NULL);
	struct family fam, kept, bystander;
	struct call c;

	CHECK(new_family(other, &bystander));

	CHECK(new_family(frank, &fam));
	CHECK(account_set_password(db, frank, "$argon2id$not-a-real-hash", &actor) == GH_OK);
	CHECK(fully_revoked(&fam));
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);

	CHECK(new_family(frank, &fam));
	CHECK(account_set_roles(db, frank, "editor", &actor) == GH_OK);
	CHECK(fully_revoked(&fam));
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);

	CHECK(new_family(frank, &fam));
	CHECK(advance(&fam));
	CHECK(account_revoke_sessions(db, frank, &actor, NULL) == GH_OK);
	CHECK(fully_revoked(&fam));
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);

	/* One session: its family only. */
	CHECK(new_family(frank, &fam));
	CHECK(new_family(frank, &kept));
	CHECK(account_revoke_session(db, fam.session, &actor) == GH_OK);
	CHECK(fully_revoked(&fam));
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);
	CHECK(untouched(&kept));

	/* Disabled, and enabled again: the old tokens stay dead. */
	CHECK(account_disable(db, frank, &actor) == GH_OK);
	CHECK(fully_revoked(&kept));
	CHECK(rotate(kept.token, &c) == REFRESH_INVALID);
	CHECK(account_enable(db, frank, &actor) == GH_OK);
	CHECK(rotate(kept.token, &c) == REFRESH_INVALID);

	CHECK(untouched(&bystander));
}

TEST(purge_deletes_families_ended_before_keep)
{
	struct family old, recent, live;
	int64_t now = (int64_t)time(NULL), due;
	int64_t before = test_query_int(db, "SELECT count(*) FROM refresh_tokens");
	struct ending p = {.now = now, .keep = 100, .deleted = -1};

	CHECK(new_family(bob, &old));
	CHECK(advance(&old));
	CHECK(new_family(bob, &recent));
	CHECK(new_family(bob, &live));
	CHECK(db_run(db, "UPDATE refresh_tokens SET expires_at = ? WHERE family_id = ?",
	          DB_INT64(now - 200), DB_TEXT(old.id)) == GH_OK);
	CHECK(db_run(db, "UPDATE refresh_tokens SET expires_at = ? WHERE family_id = ?",
	          DB_INT64(now - 50), DB_TEXT(recent.id)) == GH_OK);
	/* Kept 100 s: the old family's two rows go (and any other ended
	 * that long ago: none but those of this test, earlier tests'
	 * families end later). */
	due = ended_before(now - 100);
	CHECK(due == 2);
	CHECK(db_transact(db, purge_fn, &p) == GH_OK);
	CHECK(p.deleted == due);
	CHECK(family_rows(&old) == 0 && family_rows(&recent) == 1 && family_rows(&live) == 1);
	CHECK(test_query_int(db, "SELECT count(*) FROM refresh_tokens") == before + 4 - due);
	/* Kept 0 s: every family ended before now, the recent one too. */
	due = ended_before(now);
	CHECK(due >= 1);
	p.keep = 0;
	CHECK(db_transact(db, purge_fn, &p) == GH_OK);
	CHECK(p.deleted == due);
	CHECK(ended_before(now) == 0);
	CHECK(family_rows(&recent) == 0 && family_rows(&live) == 1);
	CHECK(advance(&live));
}

static void
suite(void)
{
	RUN(revoke_token_ends_its_family_once);
	RUN(revoke_session_ends_that_sessions_tokens_only);
	RUN(revoke_user_ends_that_users_tokens_only);
	RUN(account_changes_end_refresh_and_access_tokens);
	RUN(purge_deletes_families_ended_before_keep);
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, setup, suite, tear_down);
}
