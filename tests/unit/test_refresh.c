/*
 * test_refresh.c: the token API's refresh tokens (common/refresh.c), their
 * issue and rotation, with the real migrations, on every database
 * (test_backend.h): SQLite, then throwaway MariaDB and PostgreSQL servers.
 * A new family, a rotation and what it fills in, reuse (the family, its
 * session and its live access tokens revoked), every refusal (malformed,
 * unknown, expired, its session ended, its user not active), the token's
 * form, and two grants racing with one token.  Revocation and purge are
 * test_refresh_revoke.c's; the shared helpers are test_refresh.h's.  Time
 * is moved by writing the tables' times into the past with SQL, or by the
 * now given, never by sleeping (but for the race's rival).
 */
#include <pthread.h>
#include <time.h>

#include "test_refresh.h"

TEST(issue_stores_only_the_hash_of_a_new_family)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	struct family fam;
	int64_t now = (int64_t)time(NULL);

	CHECK(new_family(alice, &fam));
	CHECK(refresh_token_valid(fam.token));
	CHECK(strncmp(fam.token, REFRESH_PREFIX, REFRESH_PREFIX_LEN) == 0);
	CHECK(strlen(fam.token) == REFRESH_TOKEN_LEN);
	/* The first token's id names the family. */
	id_of(fam.token, id);
	CHECK_STR(fam.id, id);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND family_id = ? AND "
	             "replaced_by IS NULL AND revoked_at IS NULL",
	          id, id) == 1);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND session_id = ?", id,
	          fam.session) == 1);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND access_jti = ?", id,
	          fam.jti) == 1);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND device_info = ?", id,
	          DEVICE) == 1);
	CHECK(query("SELECT user_id FROM refresh_tokens WHERE id = ?", id) == alice);
	/* The family ends with its session: remember_timeout after the grant. */
	CHECK(query("SELECT expires_at FROM refresh_tokens WHERE id = ?", id) == fam.expires_at);
	CHECK(fam.expires_at >= now + cfg.remember_timeout &&
	      fam.expires_at <= now + cfg.remember_timeout + 5);
	CHECK(query("SELECT access_expires_at - issued_at FROM refresh_tokens WHERE id = ?", id) ==
	      ACCESS_LIFETIME);
	CHECK(query("SELECT count(*) FROM sessions WHERE id = ? AND auth_method = 'token' AND "
	            "remember = 1",
	          fam.session) == 1);
	/* The token itself is nowhere in the table. */
	CHECK(leaks(fam.token) == 0);
}

TEST(rotate_valid_gives_a_new_token_and_the_sessions_claims)
{
	char old_id[CRYPTO_SHA256_HEX_LEN + 1], new_id[CRYPTO_SHA256_HEX_LEN + 1];
	struct family fam;
	struct call c;

	CHECK(new_family(alice, &fam));
	CHECK(rotate(fam.token, &c) == REFRESH_VALID);
	CHECK(refresh_token_valid(c.next));
	CHECK(strcmp(c.next, fam.token) != 0);
	/* What the next access token says: the session's. */
	CHECK(c.f.user_id == alice);
	CHECK_STR(c.f.username, "alice");
	CHECK_STR(c.f.email, "alice@example.org");
	CHECK_STR(c.f.roles, "admin,editor,zeta");
	CHECK_STR(c.f.session, fam.session);
	CHECK_STR(c.f.family, fam.id);
	CHECK(c.f.expires_at == fam.expires_at);
	/* The old row names the new one, which continues the family. */
	id_of(fam.token, old_id);
	id_of(c.next, new_id);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND replaced_by = ?", old_id,
	          new_id) == 1);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND family_id = ? AND "
	             "replaced_by IS NULL AND revoked_at IS NULL",
	          new_id, fam.id) == 1);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND access_jti = ?", new_id,
	          c.jti) == 1);
	CHECK(query2("SELECT count(*) FROM refresh_tokens WHERE id = ? AND session_id = ?", new_id,
	          fam.session) == 1);
	CHECK(
	    query("SELECT expires_at FROM refresh_tokens WHERE id = ?", new_id) == fam.expires_at);
	CHECK(family_rows(&fam) == 2 && family_live_rows(&fam) == 2);
	/* And the next is valid in its turn; nothing was revoked. */
	memcpy(fam.token, c.next, sizeof(fam.token));
	memcpy(fam.jti, c.jti, sizeof(fam.jti));
	CHECK(advance(&fam));
	CHECK(family_rows(&fam) == 3);
	CHECK(untouched(&fam));
}

TEST(rotate_of_a_user_without_email_or_roles)
{
	struct family fam;
	struct call c;

	CHECK(new_family(bob, &fam));
	CHECK(rotate(fam.token, &c) == REFRESH_VALID);
	CHECK(c.f.user_id == bob);
	CHECK_STR(c.f.username, "bob");
	CHECK_STR(c.f.email, "");
	CHECK_STR(c.f.roles, "");
}

/* A consumed token presented again (RFC 6819 §5.2.2.3): the whole family,
 * its session and the access tokens still alive are revoked. */
TEST(reused_token_revokes_family_session_and_live_access_tokens)
{
	struct family fam, other;
	char first[REFRESH_TOKEN_LEN + 1], second[REFRESH_TOKEN_LEN + 1];
	char first_jti[CRYPTO_TOKEN_LEN + 1], second_jti[CRYPTO_TOKEN_LEN + 1];
	char first_id[CRYPTO_SHA256_HEX_LEN + 1];
	struct call c;

	CHECK(new_family(alice, &fam));
	CHECK(new_family(alice, &other));
	memcpy(first, fam.token, sizeof(first));
	memcpy(first_jti, fam.jti, sizeof(first_jti));
	CHECK(advance(&fam));
	memcpy(second, fam.token, sizeof(second));
	memcpy(second_jti, fam.jti, sizeof(second_jti));
	CHECK(advance(&fam)); /* fam.token, fam.jti: the third, live */
	/* The first row's access token has expired by now. */
	id_of(first, first_id);
	CHECK(db_run(db, "UPDATE refresh_tokens SET access_expires_at = ? WHERE id = ?",
	          DB_INT64((int64_t)time(NULL) - 10), DB_TEXT(first_id)) == GH_OK);
	CHECK(untouched(&fam));

	CHECK(rotate(second, &c) == REFRESH_REUSED);
	CHECK(c.next[0] == '\0');
	/* Whose it was, for the audit row. */
	CHECK(c.f.user_id == alice);
	CHECK_STR(c.f.family, fam.id);
	CHECK_STR(c.f.session, fam.session);
	CHECK_STR(c.f.username, "alice");
	/* Every row revoked, the session too. */
	CHECK(family_rows(&fam) == 3);
	CHECK(query("SELECT count(*) FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NOT "
	            "NULL",
	          fam.id) == 3);
	CHECK(query("SELECT count(*) FROM sessions WHERE id = ? AND revoked_at IS NOT NULL",
	          fam.session) == 1);
	CHECK(!session_live(&fam));
	/* The access tokens still alive on the blacklist until they expire;
	 * the expired one not. */
	CHECK(blacklisted(second_jti) && blacklisted(fam.jti));
	CHECK(!blacklisted(first_jti));
	CHECK(query2("SELECT count(*) FROM revoked_jti j JOIN refresh_tokens r ON r.access_jti = "
	             "j.jti WHERE j.jti = ? AND j.expires_at = r.access_expires_at AND r.family_id "
	             "= ?",
	          fam.jti, fam.id) == 1);
	/* The live token of the family is dead now; the first is a reuse too. */
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);
	CHECK(rotate(first, &c) == REFRESH_REUSED);
	CHECK(family_rows(&fam) == 3); /* nothing issued */
	/* Another family of the same user is left alone. */
	CHECK(untouched(&other));
	CHECK(advance(&other));
}

TEST(malformed_and_unknown_tokens_invalid)
{
	static const char *const bad[] = {
	    "",
	    "ghrt_",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",       /* a session's form */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* a personal token */
	    "ghrt-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "GHRT_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* not base64url */
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padding */
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  /* unused bits set */
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",  /* a space */
	    "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	};
	char path[PATH_MAX + 64], url[PATH_MAX + 80];
	int64_t rows = test_query_int(db, "SELECT count(*) FROM refresh_tokens");
	struct db *empty = NULL, *real = db;
	struct call c;

	/* Known malformed forms never reach the database: one without the
	 * table answers them, and fails a well-formed one. */
	snprintf(path, sizeof(path), "%s/empty.db", test_cur->tmp);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	CHECK(db_open(url, NULL, 1000, &empty) == GH_OK);
	if (empty == NULL)
		return;
	db = empty;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rotate(bad[i], &c) != REFRESH_INVALID)
			fprintf(stderr, "malformed token %zu not refused at once\n", i);
		CHECK(rotate(bad[i], &c) == REFRESH_INVALID);
		CHECK(c.next[0] == '\0' && c.f.user_id == 0 && c.f.family[0] == '\0');
		CHECK(revoke_token(bad[i]) == 0);
		CHECK(!refresh_token_valid(bad[i]));
	}
	CHECK(refresh_token_valid("ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"));
	CHECK(rotate("ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", &c) != REFRESH_INVALID);
	db = real;
	db_close(empty);
	/* A well-formed unknown one is invalid, and nothing is written. */
	CHECK(rotate("ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", &c) == REFRESH_INVALID);
	CHECK(c.next[0] == '\0' && c.f.user_id == 0);
	CHECK(test_query_int(db, "SELECT count(*) FROM refresh_tokens") == rows);
	CHECK(revoke_token("ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE") == 0);
}

TEST(expired_family_invalid_and_not_consumed)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	struct family fam;
	struct call c;

	CHECK(new_family(alice, &fam));
	/* At its end (now = expires_at) it is over. */
	CHECK(rotate_at(fam.token, fam.expires_at, &c) == GH_OK);
	CHECK(c.out == REFRESH_INVALID && c.next[0] == '\0');
	/* Written into the past, the session still alive. */
	CHECK(db_run(db, "UPDATE refresh_tokens SET expires_at = ? WHERE family_id = ?",
	          DB_INT64((int64_t)time(NULL) - 1), DB_TEXT(fam.id)) == GH_OK);
	CHECK(session_live(&fam));
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);
	id_of(fam.token, id);
	CHECK(query("SELECT count(*) FROM refresh_tokens WHERE id = ? AND replaced_by IS NULL AND "
	            "revoked_at IS NULL",
	          id) == 1);
	CHECK(family_rows(&fam) == 1);
}

TEST(ended_session_invalid)
{
	struct family revoked, expired;
	struct call c;

	CHECK(new_family(alice, &revoked));
	CHECK(session_revoke(db, revoked.cookie) == GH_OK);
	CHECK(rotate(revoked.token, &c) == REFRESH_INVALID);
	CHECK(family_rows(&revoked) == 1 && family_live_rows(&revoked) == 1);
	/* A session past its end, the family's own end not yet. */
	CHECK(new_family(alice, &expired));
	CHECK(db_run(db, "UPDATE sessions SET expires_at = ? WHERE id = ?",
	          DB_INT64((int64_t)time(NULL) - 1), DB_TEXT(expired.session)) == GH_OK);
	CHECK(rotate(expired.token, &c) == REFRESH_INVALID);
	CHECK(family_rows(&expired) == 1);
}

TEST(user_not_active_invalid_not_consumed)
{
	int64_t carol = add_user("carol", NULL);
	struct family fam;
	struct call c;

	CHECK(new_family(carol, &fam));
	CHECK(user_set_status(db, carol, "inactive") == GH_OK);
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);
	CHECK(user_set_status(db, carol, "locked") == GH_OK);
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);
	CHECK(family_rows(&fam) == 1 && family_live_rows(&fam) == 1);
	/* The refusals consumed nothing: active again, the token holds. */
	CHECK(user_set_status(db, carol, "active") == GH_OK);
	CHECK(advance(&fam));
	/* A deleted user's tokens go with it. */
	CHECK(db_run(db, "DELETE FROM users WHERE id = ?", DB_INT64(carol)) == GH_OK);
	CHECK(family_rows(&fam) == 0);
	CHECK(rotate(fam.token, &c) == REFRESH_INVALID);
}

TEST(token_form)
{
	char t[REFRESH_TOKEN_LEN + 1], u[REFRESH_TOKEN_LEN + 1];

	CHECK(crypto_prefixed_token(REFRESH_PREFIX, t) == GH_OK);
	CHECK(crypto_prefixed_token(REFRESH_PREFIX, u) == GH_OK);
	CHECK(refresh_token_valid(t) && refresh_token_valid(u) && strcmp(t, u) != 0);
	CHECK(REFRESH_TOKEN_LEN == 48 && strlen(t) == 48);
	/* Each of the 16 last characters whose unused bits are zero. */
	for (const char *p = "AEIMQUYcgkosw048"; *p != '\0'; p++) {
		memcpy(u, "ghrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 47);
		u[47] = *p;
		u[48] = '\0';
		CHECK(refresh_token_valid(u));
	}
	u[47] = 'B';
	CHECK(!refresh_token_valid(u));
	u[47] = '_';
	CHECK(!refresh_token_valid(u));
	for (int i = REFRESH_PREFIX_LEN; i < REFRESH_TOKEN_LEN - 1; i++)
		u[i] = i % 2 ? '-' : '_';
	u[REFRESH_TOKEN_LEN - 1] = 'w';
	CHECK(refresh_token_valid(u)); /* '-' and '_' are base64url */
	u[10] = '/';
	CHECK(!refresh_token_valid(u));
	CHECK(!refresh_token_valid(NULL));
	CHECK(!refresh_token_valid(t + 1));
	t[4] = '-';
	CHECK(!refresh_token_valid(t));
}

/* A rival transaction on a connection of its own, its writes made, which
 * race_commit commits RIVAL_MS after it starts. */
#define RIVAL_MS 400
struct rival {
	struct db *db;
	enum gh_err e;
};

static void *
race_commit(void *arg)
{
	struct rival *r = arg;
	struct timespec ts = {0, RIVAL_MS * 1000 * 1000};

	nanosleep(&ts, NULL);
	r->e = db_commit(r->db);
	return NULL;
}

/* race presents fam's token while the rival r commits: the grant's error,
 * its call in c, and in *waited the milliseconds it took (at least ~100:
 * it began before the rival's commit and waited for it). */
static enum gh_err
race(struct rival *r, const struct family *fam, struct call *c, int64_t *waited)
{
	pthread_t th;
	int64_t t0;
	enum gh_err e;

	if (pthread_create(&th, NULL, race_commit, r) != 0) {
		db_rollback(r->db);
		return GH_EINVAL;
	}
	t0 = test_now_ms();
	e = rotate_at(fam->token, (int64_t)time(NULL), c);
	*waited = test_now_ms() - t0;
	pthread_join(th, NULL);
	if (*waited < 100)
		fprintf(
		    stderr, "the grant did not wait for its rival (%lld ms)\n", (long long)*waited);
	return e;
}

/*
 * Two grants with one token: the rival's consumption is not committed
 * when this grant reads the row, so the read finds it usable; the
 * conditional UPDATE then waits for the rival's row lock and, once the
 * rival commits, matches nothing: a reuse, which revokes the family.  On
 * MariaDB and PostgreSQL (READ COMMITTED, plain reads) this is the window
 * between refresh_rotate's read and its UPDATE; on SQLite a writer's BEGIN
 * IMMEDIATE waits for the rival instead, so the read itself finds the
 * token consumed: the same outcome by the other path.  That it waited is
 * what the time taken shows.
 */
TEST(a_token_consumed_meanwhile_is_a_reuse)
{
	char id[CRYPTO_SHA256_HEX_LEN + 1], rival_next[CRYPTO_SHA256_HEX_LEN + 1];
	struct rival r = {.db = test_backend_open(test_cur, 1000)};
	struct family fam;
	struct call c;
	int64_t waited;
	enum gh_err e;

	CHECK(r.db != NULL && new_family(alice, &fam));
	if (r.db == NULL)
		return;
	id_of(fam.token, id);
	memset(rival_next, 'a', CRYPTO_SHA256_HEX_LEN);
	rival_next[CRYPTO_SHA256_HEX_LEN] = '\0';
	CHECK(db_begin(r.db) == GH_OK);
	CHECK(db_run(r.db, "UPDATE refresh_tokens SET replaced_by = ? WHERE id = ?",
	          DB_TEXT(rival_next), DB_TEXT(id)) == GH_OK);
	CHECK(db_changes(r.db) == 1);
	e = race(&r, &fam, &c, &waited);
	CHECK(r.e == GH_OK);
	db_close(r.db);
	CHECK(e == GH_OK && waited >= 100);
	CHECK(c.out == REFRESH_REUSED);
	CHECK(c.next[0] == '\0');
	CHECK(family_rows(&fam) == 1); /* nothing issued */
	CHECK(fully_revoked(&fam));
}

/* The same race between two real grants: the rival's rotation wins and
 * issues the next token; this one, a reuse, then revokes the family,
 * that next token with it (RFC 6819 §5.2.2.3: both parties lose). */
TEST(two_grants_racing_one_wins_then_the_reuse_ends_both)
{
	struct rival r = {.db = test_backend_open(test_cur, 1000)};
	char rival_next[REFRESH_TOKEN_LEN + 1], rival_jti[CRYPTO_TOKEN_LEN + 1];
	struct refresh_access a = {.jti = rival_jti};
	struct refresh_family rf;
	enum refresh_outcome out = REFRESH_INVALID;
	struct family fam;
	struct call c;
	int64_t waited, now = (int64_t)time(NULL);
	enum gh_err e;

	CHECK(r.db != NULL && new_family(alice, &fam));
	if (r.db == NULL)
		return;
	CHECK(crypto_token(rival_jti) == GH_OK);
	a.expires_at = now + ACCESS_LIFETIME;
	CHECK(db_begin(r.db) == GH_OK);
	CHECK(refresh_rotate(r.db, fam.token, &a, now, DEVICE, &rf, rival_next, &out) == GH_OK);
	CHECK(out == REFRESH_VALID);
	e = race(&r, &fam, &c, &waited);
	CHECK(r.e == GH_OK);
	db_close(r.db);
	CHECK(e == GH_OK && waited >= 100);
	CHECK(c.out == REFRESH_REUSED);
	CHECK(family_rows(&fam) == 2); /* the rival's next, not this one's */
	CHECK(fully_revoked(&fam));
	CHECK(blacklisted(rival_jti));
	CHECK(rotate(rival_next, &c) == REFRESH_INVALID);
}

/*
 * A grant racing the client's own revocation of its token (RFC 7009, as
 * when an app logs out while a refresh is in flight), in the same window:
 * the UPDATE waits for the revocation and then matches nothing, because
 * revoked_at is set, not replaced_by.  refresh.h says a revoked token is
 * REFRESH_INVALID, REFRESH_REUSED being a token consumed before; taken for
 * a reuse, it is audited "token_reuse" and logged as a stolen family
 * (sso_token.c): a false alarm of theft.  On SQLite the grant waits at its
 * BEGIN and reads the revocation.
 */
TEST(a_token_revoked_meanwhile_is_invalid_not_a_reuse)
{
	struct rival r = {.db = test_backend_open(test_cur, 1000)};
	struct family fam;
	struct call c;
	int64_t owner = 0, waited;
	enum gh_err e;

	CHECK(r.db != NULL && new_family(alice, &fam));
	if (r.db == NULL)
		return;
	CHECK(db_begin(r.db) == GH_OK);
	CHECK(refresh_revoke_token(r.db, fam.token, (int64_t)time(NULL), &owner) == GH_OK);
	CHECK(owner == alice);
	e = race(&r, &fam, &c, &waited);
	CHECK(r.e == GH_OK);
	db_close(r.db);
	CHECK(e == GH_OK && waited >= 100);
	if (c.out != REFRESH_INVALID)
		fprintf(stderr, "a token revoked meanwhile taken for a reuse (outcome %d)\n",
		    (int)c.out);
	CHECK(c.out == REFRESH_INVALID);
	CHECK(c.next[0] == '\0');
	CHECK(family_rows(&fam) == 1);
	CHECK(fully_revoked(&fam));
}

static void
suite(void)
{
	RUN(issue_stores_only_the_hash_of_a_new_family);
	RUN(rotate_valid_gives_a_new_token_and_the_sessions_claims);
	RUN(rotate_of_a_user_without_email_or_roles);
	RUN(reused_token_revokes_family_session_and_live_access_tokens);
	RUN(malformed_and_unknown_tokens_invalid);
	RUN(expired_family_invalid_and_not_consumed);
	RUN(ended_session_invalid);
	RUN(user_not_active_invalid_not_consumed);
	RUN(token_form);
	RUN(a_token_consumed_meanwhile_is_a_reuse);
	RUN(two_grants_racing_one_wins_then_the_reuse_ends_both);
	RUN(a_token_revoked_meanwhile_is_invalid_not_a_reuse);
}

int
main(void)
{
	return test_backend_main(TEST_EVERY_BACKEND, setup, suite, tear_down);
}
