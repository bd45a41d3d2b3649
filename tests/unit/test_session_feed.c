/*
 * test_session_feed.c: the session cache's feed (common/session_feed.c) on
 * real MariaDB and PostgreSQL servers (test_backend.h), with the real
 * migrations and their triggers: what the database changes is dropped from
 * the cache within the feed's bound, whoever changed it; what does not
 * concern a session (the check's last_seen_at touch) drops nothing; two
 * transactions committed out of the order of their log rows are both seen
 * (MariaDB's holes); a lost listening connection (PostgreSQL) or a failing
 * poll (MariaDB) turns the cache off, a hung one stops the hits by its
 * lease, and the feed comes back by itself.  A personal access token
 * revoked is notified by its id ('p', migration 0004), dropping the entry
 * of that id alone; its last_used_at touch tells nothing.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "pat.h"
#include "session.h"
#include "session_cache.h"
#include "session_feed.h"
#include "test.h"
#include "test_backend.h"

#define POLL_MS 50
#define BOUND_MS 3000 /* generous: the machine is shared, ASan slows it */

static struct db *db;
static struct config cfg;
static struct session_cache *cache;
static int64_t alice, bob;

static int64_t
add_user(const char *name)
{
	if (db_run(db,
	        "INSERT INTO users (username, status, created_at, updated_at) "
	        "VALUES (?, 'active', 0, 0)",
	        DB_TEXT(name)) != GH_OK)
		return -1;
	return db_last_insert_id(db);
}

/* cached makes a session of user and puts it in the cache as the check
 * would; its id goes to id. */
static bool
cached(int64_t user, char id[CRYPTO_SHA256_HEX_LEN + 1])
{
	struct session_new sn = {.user_id = user, .auth_method = "form"};
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;
	uint64_t epoch = session_cache_epoch(cache);

	if (session_create(db, &cfg, &sn, token) != GH_OK ||
	    session_lookup(db, &cfg, token, &si) != GH_OK)
		return false;
	session_cache_put(cache, epoch, &si, session_cache_clock_ms());
	memcpy(id, si.id, CRYPTO_SHA256_HEX_LEN + 1);
	return true;
}

static bool
hit(const char *id)
{
	struct session_cache_clock clk = {
	    .now = (int64_t)time(NULL), .mono_ms = session_cache_clock_ms(), .touch_interval = 600};
	struct session_info si;

	return session_cache_get(cache, id, &clk, &si);
}

/* gone_within waits up to ms for id to leave the cache. */
static bool
gone_within(const char *id, int64_t ms)
{
	int64_t until = session_cache_clock_ms() + ms;

	while (hit(id)) {
		if (session_cache_clock_ms() > until)
			return false;
		usleep(5000);
	}
	return true;
}

static bool
on_within(int64_t ms)
{
	int64_t until = session_cache_clock_ms() + ms;

	while (!session_cache_is_on(cache)) {
		if (session_cache_clock_ms() > until)
			return false;
		usleep(10000);
	}
	return true;
}

static bool
set_up(struct test_backend *b)
{
	char err[256];

	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.db_url = b->url;
	cfg.db_password = b->password;
	cfg.db_busy_timeout_ms = 1000;
	cfg.check_cache_poll_ms = POLL_MS;
	cfg.idle_timeout = 600;
	cfg.absolute_timeout = 3600;
	cfg.remember_timeout = 86400;
	cfg.touch_interval = 600;
	alice = add_user("alice");
	bob = add_user("bob");
	cache = session_cache_new(64, 60000);
	if (cache == NULL || session_feed_start(&cfg, cache, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "feed: %s\n", err);
		return false;
	}
	return alice > 0 && bob > 0 && on_within(10000);
}

TEST(revocation_drops_that_session_only)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1], b[CRYPTO_SHA256_HEX_LEN + 1];

	CHECK(cached(alice, a) && cached(alice, b));
	CHECK(hit(a) && hit(b));
	CHECK(session_revoke_id(db, a) == GH_OK);
	CHECK(gone_within(a, BOUND_MS));
	CHECK(hit(b));
}

TEST(a_touch_drops_nothing)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1];

	CHECK(cached(bob, a));
	CHECK(db_run(db, "UPDATE sessions SET last_seen_at = last_seen_at + 1 WHERE id = ?",
	          DB_TEXT(a)) == GH_OK);
	usleep(4 * POLL_MS * 1000);
	CHECK(hit(a));
}

TEST(user_changes_drop_every_session_of_the_user)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1], b[CRYPTO_SHA256_HEX_LEN + 1];
	char c[CRYPTO_SHA256_HEX_LEN + 1];

	/* Disabled (by hand, as an operator's SQL would). */
	CHECK(cached(alice, a) && cached(alice, b) && cached(bob, c));
	CHECK(db_run(db, "UPDATE users SET status = 'inactive' WHERE id = ?", DB_INT64(alice)) ==
	      GH_OK);
	CHECK(gone_within(a, BOUND_MS) && gone_within(b, BOUND_MS));
	CHECK(hit(c));
	CHECK(db_run(db, "UPDATE users SET status = 'active' WHERE id = ?", DB_INT64(alice)) ==
	      GH_OK);
	/* A role given. */
	CHECK(cached(alice, a));
	CHECK(db_exec(db, "INSERT INTO roles (name) VALUES ('feedrole')") == GH_OK);
	CHECK(db_run(db,
	          "INSERT INTO user_roles (user_id, role_id) SELECT ?, id FROM roles "
	          "WHERE name = 'feedrole'",
	          DB_INT64(alice)) == GH_OK);
	CHECK(gone_within(a, BOUND_MS));
	/* A new password. */
	CHECK(cached(alice, a));
	CHECK(db_run(db, "UPDATE users SET password_hash = 'x' WHERE id = ?", DB_INT64(alice)) ==
	      GH_OK);
	CHECK(gone_within(a, BOUND_MS));
}

/* A token's entry, as a check that caches token lookups would hold it:
 * under the token's id. */
TEST(token_revocation_drops_that_token_only_its_touch_nothing)
{
	static const struct audit_actor actor = {.by = "test"};
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	char a[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_new pn = {.user_id = bob, .name = "feed"};
	struct session_info si = {.user_id = bob};
	struct pat_info pi;

	CHECK(pat_create(db, &pn, &actor, token, id) == GH_OK);
	memcpy(si.id, id, sizeof(si.id));
	snprintf(si.username, sizeof(si.username), "bob");
	si.expires_at = (int64_t)time(NULL) + 3600;
	si.last_seen_at = (int64_t)time(NULL);
	si.idle_timeout = 3600;
	/* A change of an earlier test heard only now voids a put: again. */
	CHECK(on_within(10000));
	for (int i = 0; i < 50 && !hit(id); i++) {
		session_cache_put(cache, session_cache_epoch(cache), &si, session_cache_clock_ms());
		if (!hit(id))
			usleep(20000);
	}
	for (int i = 0; i < 50 && !(cached(bob, a) && hit(a)); i++)
		usleep(20000);
	CHECK(hit(id) && hit(a));
	CHECK(pat_lookup(db, token, &pi) == GH_OK); /* the first touch */
	usleep(4 * POLL_MS * 1000);
	CHECK(hit(id));
	CHECK(pat_revoke(db, id, &actor, NULL) == GH_OK);
	CHECK(gone_within(id, BOUND_MS));
	CHECK(hit(a));
}

/* Two revocations whose log rows are written in one order and committed in
 * the other: the first one's row becomes visible after the second's. */
TEST(revocations_committed_out_of_order_are_both_seen)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1], b[CRYPTO_SHA256_HEX_LEN + 1];
	struct db *other = test_backend_open(test_cur, 1000);

	CHECK(other != NULL);
	if (other == NULL)
		return;
	CHECK(cached(bob, a) && cached(bob, b));
	CHECK(db_begin(other) == GH_OK);
	CHECK(
	    db_run(other, "UPDATE sessions SET revoked_at = 1 WHERE id = ?", DB_TEXT(a)) == GH_OK);
	CHECK(session_revoke_id(db, b) == GH_OK); /* committed first */
	CHECK(gone_within(b, BOUND_MS));
	usleep(4 * POLL_MS * 1000);
	CHECK(hit(a)); /* not committed yet: still valid for everyone */
	CHECK(db_commit(other) == GH_OK);
	CHECK(gone_within(a, BOUND_MS));
	db_close(other);
}

/* kill_feed ends the feed's own connection from the test's. */
static bool
kill_feed(void)
{
	bool mysql = db_dialect(db) == DB_MYSQL;
	const char *sql = mysql ? "SELECT id FROM information_schema.PROCESSLIST "
	                          "WHERE id <> CONNECTION_ID() AND db = DATABASE()"
	                        : "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	                          "WHERE application_name = 'gatehouse-check cache'";
	struct db_stmt *st;
	int64_t ids[16];
	size_t n = 0;
	char kill[64];
	bool row;

	if (db_prepare(db, sql, &st) != GH_OK)
		return false;
	while (db_step(st, &row) == GH_OK && row && n < 16)
		ids[n++] = db_column_int64(st, 0);
	db_done(st);
	for (size_t i = 0; mysql && i < n; i++) {
		/* KILL takes no parameter; the id is a number read above. */
		snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", (long long)ids[i]);
		(void)db_exec(db, kill);
	}
	return n > 0;
}

/* off_within waits up to ms for the cache to turn off. */
static bool
off_within(int64_t ms)
{
	int64_t until = session_cache_clock_ms() + ms;

	while (session_cache_is_on(cache)) {
		if (session_cache_clock_ms() > until)
			return false;
		usleep(2000);
	}
	return true;
}

/* PostgreSQL: the notifications of a lost connection are lost with it, so
 * the cache goes off (empty) until the feed listens again.  MariaDB: the
 * log stays in the table, and the poller's next statement reconnects
 * (db.h): nothing is lost, and a revocation made right after is seen. */
TEST(a_killed_feed_connection_loses_nothing)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1];

	CHECK(cached(bob, a));
	CHECK(kill_feed());
	if (db_dialect(db) == DB_POSTGRESQL) {
		CHECK(off_within(BOUND_MS));
		CHECK(!hit(a));
		CHECK(on_within(10000));
		CHECK(cached(bob, a) && hit(a));
	}
	CHECK(session_revoke_id(db, a) == GH_OK);
	CHECK(gone_within(a, BOUND_MS));
}

/* MariaDB: a poll that fails (here: the log table is away) turns the cache
 * off and empties it; it is back on after the first good poll. */
TEST(a_failing_poll_turns_the_cache_off_until_it_works)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1];

	if (db_dialect(db) != DB_MYSQL)
		return;
	CHECK(cached(bob, a));
	CHECK(db_exec(db, "RENAME TABLE cache_revocations TO cache_revocations_away") == GH_OK);
	CHECK(off_within(BOUND_MS));
	CHECK(!hit(a));
	CHECK(db_exec(db, "RENAME TABLE cache_revocations_away TO cache_revocations") == GH_OK);
	CHECK(on_within(10000));
	CHECK(cached(bob, a) && hit(a));
}

/* feed_server_pid returns the process that serves the feed: MariaDB's one
 * process (from its pid file), PostgreSQL's backend for the listener. */
static pid_t
feed_server_pid(void)
{
	if (db_dialect(db) == DB_POSTGRESQL)
		return (pid_t)test_query_int(db,
		    "SELECT max(pid) FROM pg_stat_activity "
		    "WHERE application_name = 'gatehouse-check cache'");
	return (pid_t)test_backend_mysqld_pid(test_cur);
}

/* A feed that hangs (its server stopped, not gone: no error comes) tells
 * nothing, and its lease ends: the hits stop within a few seconds while
 * the cache is still on; they come back once the feed answers again. */
TEST(a_hung_feed_stops_the_hits_by_its_lease)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1];
	pid_t pid;
	int64_t until;
	bool stopped_hitting;

	CHECK(cached(bob, a) && hit(a));
	pid = feed_server_pid();
	CHECK(pid > 0);
	if (pid <= 0 || kill(pid, SIGSTOP) != 0)
		return;
	until = session_cache_clock_ms() + 8000;
	while (hit(a) && session_cache_clock_ms() < until)
		usleep(20000);
	stopped_hitting = !hit(a);
	kill(pid, SIGCONT);
	CHECK(stopped_hitting);
	CHECK(session_cache_clock_ms() < until);
	/* Back: the same entry hits again once the lease is renewed (or, if
	 * the feed had given up meanwhile, after it is on again). */
	CHECK(on_within(10000));
	CHECK(cached(bob, a));
	until = session_cache_clock_ms() + 5000;
	while (!hit(a) && session_cache_clock_ms() < until)
		usleep(20000);
	CHECK(hit(a));
}

static void
suite(void)
{
	RUN(revocation_drops_that_session_only);
	RUN(a_touch_drops_nothing);
	RUN(user_changes_drop_every_session_of_the_user);
	RUN(token_revocation_drops_that_token_only_its_touch_nothing);
	RUN(revocations_committed_out_of_order_are_both_seen);
	RUN(a_killed_feed_connection_loses_nothing);
	RUN(a_failing_poll_turns_the_cache_off_until_it_works);
	RUN(a_hung_feed_stops_the_hits_by_its_lease);
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
	return test_backend_main(TEST_SERVER_BACKENDS, set_up, suite, tear_down);
}
