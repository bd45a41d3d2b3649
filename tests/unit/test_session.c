/*
 * test_session.c: sessions with the real migrations, on every database
 * (test_backend.h): SQLite, then throwaway MariaDB and PostgreSQL servers.
 * Time is moved by writing last_seen_at / expires_at into the past with
 * SQL, never by sleeping.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "migrate.h"
#include "session.h"
#include "test.h"
#include "test_backend.h"

static struct config cfg;
static struct db *db;
static int64_t alice, bob;

static int64_t
exec_int(const char *sql, const char *text, int64_t a)
{
	struct db_stmt *st;
	bool row = false;
	int64_t v = -1;

	if (db_prepare(db, sql, &st) != GH_OK)
		return -1;
	if (text != NULL)
		db_bind_text(st, 1, text);
	else
		db_bind_int64(st, 1, a);
	if (db_step(st, &row) == GH_OK)
		v = row ? db_column_int64(st, 0) : db_changes(db);
	db_done(st);
	return v;
}

/* set_ago runs sql, an UPDATE with (a time, id) bound, with the time ago
 * seconds before now; returns the rows changed or -1. */
static int64_t
set_ago(const char *sql, int64_t ago, const char *id)
{
	struct db_stmt *st;
	bool row = false;
	int64_t v = -1;

	if (db_prepare(db, sql, &st) != GH_OK)
		return -1;
	if (db_bind_int64(st, 1, (int64_t)time(NULL) - ago) == GH_OK &&
	    db_bind_text(st, 2, id) == GH_OK && db_step(st, &row) == GH_OK)
		v = db_changes(db);
	db_done(st);
	return v;
}

static int64_t
add_user(const char *name, const char *email, const char *status)
{
	struct db_stmt *st;
	bool row;
	int64_t id = -1;

	if (db_prepare(db,
	        "INSERT INTO users (username, email, status, created_at, updated_at) "
	        "VALUES (?, ?, ?, 0, 0)",
	        &st) != GH_OK)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, status);
	if (db_step(st, &row) == GH_OK)
		id = db_last_insert_id(db);
	db_done(st);
	return id;
}

/* setup opens b's new database with the real migrations and two users;
 * false when that fails. */
static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.cookie_name = "gatehouse";
	cfg.idle_timeout = 60;
	cfg.absolute_timeout = 3600;
	cfg.remember_timeout = 86400;
	cfg.touch_interval = 30;
	alice = add_user("alice", "alice@example.org", "active");
	bob = add_user("bob", NULL, "active");
	db_exec(db, "INSERT INTO roles (name) VALUES ('editor'), ('zeta')");
	db_exec(db, "INSERT INTO user_roles SELECT u.id, r.id FROM users u, roles r "
	            "WHERE u.username = 'alice' AND r.name IN ('zeta', 'admin', 'editor')");
	return alice > 0 && bob > 0;
}

static enum gh_err
new_session(int64_t user, bool remember, char token[CRYPTO_TOKEN_LEN + 1])
{
	struct session_new s = {.user_id = user,
	    .auth_method = "form",
	    .remember = remember,
	    .mfa = false,
	    .ip = "192.0.2.1",
	    .user_agent = "test/1.0"};

	return session_create(db, &cfg, &s, token);
}

TEST(extra_roles_join_the_users_each_once_on_this_session_only)
{
	char token[CRYPTO_TOKEN_LEN + 1], other[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;
	struct session_new s = {.user_id = alice,
	    .auth_method = "sso",
	    .ip = "192.0.2.1",
	    .user_agent = "test/1.0",
	    .extra_roles = "staff,editor,staff"};

	CHECK(db_begin(db) == GH_OK);
	CHECK(session_create(db, &cfg, &s, token) == GH_OK);
	CHECK(db_commit(db) == GH_OK);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK_STR(si.roles, "admin,editor,zeta,staff");
	/* Not stored on the user: the next session has the user's own. */
	CHECK(new_session(alice, false, other) == GH_OK);
	CHECK(session_lookup(db, &cfg, other, &si) == GH_OK);
	CHECK_STR(si.roles, "admin,editor,zeta");
	s.user_id = bob;
	s.extra_roles = "viewer";
	CHECK(session_create(db, &cfg, &s, token) == GH_OK);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK_STR(si.roles, "viewer");
}

TEST(extra_roles_that_do_not_fit_refused)
{
	char token[CRYPTO_TOKEN_LEN + 1], many[SESSION_ROLES_MAX + 2];
	struct session_new s = {.user_id = bob, .auth_method = "sso", .extra_roles = many};

	memset(many, 'r', sizeof(many) - 1);
	many[sizeof(many) - 1] = '\0';
	CHECK(db_begin(db) == GH_OK);
	CHECK(session_create(db, &cfg, &s, token) == GH_ETOOBIG);
	CHECK(token[0] == '\0');
	db_rollback(db);
}

TEST(create_then_lookup_gives_user_and_sorted_roles)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;
	time_t now = time(NULL);

	CHECK(new_session(alice, false, token) == GH_OK);
	CHECK(session_token_valid(token));
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK(si.user_id == alice);
	CHECK_STR(si.username, "alice");
	CHECK_STR(si.email, "alice@example.org");
	CHECK_STR(si.roles, "admin,editor,zeta");
	CHECK(si.expires_at >= now + 3600 - 5 && si.expires_at <= now + 3600 + 5);
	CHECK(si.created_at >= now - 5 && si.created_at <= now + 5);
	CHECK(!si.mfa);
	CHECK(strlen(si.id) == CRYPTO_SHA256_HEX_LEN);
}

TEST(user_without_email_or_roles_gets_empty_strings)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;

	CHECK(new_session(bob, false, token) == GH_OK);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK_STR(si.username, "bob");
	CHECK_STR(si.email, "");
	CHECK_STR(si.roles, "");
}

TEST(token_stored_only_hashed)
{
	char token[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct db_stmt *st;
	const char *v;
	bool row;
	int i, rows = 0, leaks = 0, found = 0;

	CHECK(new_session(alice, false, token) == GH_OK);
	crypto_sha256_hex(token, strlen(token), id);
	CHECK(db_prepare(db, "SELECT * FROM sessions", &st) == GH_OK);
	while (db_step(st, &row) == GH_OK && row) {
		rows++;
		for (i = 0; i < 12; i++) {
			v = db_column_text(st, i);
			if (v != NULL && strstr(v, token) != NULL)
				leaks++;
		}
		if (strcmp(db_column_text(st, 0), id) == 0)
			found++;
	}
	db_done(st);
	CHECK(rows > 0);
	CHECK(leaks == 0);
	CHECK(found == 1);
}

TEST(malformed_and_unknown_tokens_refused)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;

	CHECK(session_lookup(db, &cfg, NULL, &si) == GH_ENOTFOUND);
	CHECK(session_lookup(db, &cfg, "", &si) == GH_ENOTFOUND);
	CHECK(session_lookup(db, &cfg, "short", &si) == GH_ENOTFOUND);
	CHECK(session_lookup(db, &cfg, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &si) ==
	      GH_ENOTFOUND);
	CHECK(new_session(alice, false, token) == GH_OK);
	token[5] = token[5] == 'A' ? 'B' : 'A';
	CHECK(session_lookup(db, &cfg, token, &si) == GH_ENOTFOUND);
	CHECK(!session_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"));
	CHECK(!session_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	CHECK(session_token_valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAa-"));
}

TEST(session_idle_too_long_refused)
{
	char token[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct session_info si;

	CHECK(new_session(alice, false, token) == GH_OK);
	crypto_sha256_hex(token, strlen(token), id);
	CHECK(set_ago("UPDATE sessions SET last_seen_at = ? WHERE id = ?", 59, id) == 1);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK(set_ago("UPDATE sessions SET last_seen_at = ? WHERE id = ?", 61, id) == 1);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_ENOTFOUND);
	CHECK(si.user_id == 0 && si.username[0] == '\0');
}

TEST(session_past_absolute_expiry_refused)
{
	char token[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct session_info si;

	CHECK(new_session(alice, false, token) == GH_OK);
	crypto_sha256_hex(token, strlen(token), id);
	CHECK(set_ago("UPDATE sessions SET expires_at = ? WHERE id = ?", 1, id) == 1);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_ENOTFOUND);
}

TEST(remember_me_lasts_remember_timeout)
{
	char token[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct session_info si;
	time_t now = time(NULL);

	CHECK(new_session(alice, true, token) == GH_OK);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK(si.expires_at >= now + 86400 - 5 && si.expires_at <= now + 86400 + 5);
	/* Away for longer than the ordinary idle timeout: still logged in. */
	crypto_sha256_hex(token, strlen(token), id);
	CHECK(set_ago("UPDATE sessions SET last_seen_at = ? WHERE id = ?", 3600, id) == 1);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	CHECK(exec_int("SELECT remember FROM sessions WHERE id = ?", id, 0) == 1);
}

TEST(revoked_session_refused)
{
	char t1[CRYPTO_TOKEN_LEN + 1], t2[CRYPTO_TOKEN_LEN + 1], t3[CRYPTO_TOKEN_LEN + 1];
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	struct session_info si;

	CHECK(new_session(alice, false, t1) == GH_OK);
	CHECK(new_session(alice, false, t2) == GH_OK);
	CHECK(new_session(alice, false, t3) == GH_OK);
	CHECK(session_revoke(db, t1) == GH_OK);
	CHECK(session_lookup(db, &cfg, t1, &si) == GH_ENOTFOUND);
	CHECK(session_lookup(db, &cfg, t2, &si) == GH_OK);
	crypto_sha256_hex(t2, strlen(t2), id);
	CHECK(session_revoke_id(db, id) == GH_OK);
	CHECK(session_lookup(db, &cfg, t2, &si) == GH_ENOTFOUND);
	CHECK(exec_int("SELECT revoked_at FROM sessions WHERE id = ?", id, 0) > 0);
	CHECK(session_lookup(db, &cfg, t3, &si) == GH_OK);
	/* Unknown or malformed tokens revoke nothing and are not errors. */
	CHECK(session_revoke(db, "nonsense") == GH_OK);
	CHECK(session_revoke(db, NULL) == GH_OK);
	CHECK(session_lookup(db, &cfg, t3, &si) == GH_OK);
}

TEST(revoke_user_ends_all_of_that_users_sessions)
{
	char a1[CRYPTO_TOKEN_LEN + 1], a2[CRYPTO_TOKEN_LEN + 1], b1[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;

	CHECK(new_session(alice, false, a1) == GH_OK);
	CHECK(new_session(alice, true, a2) == GH_OK);
	CHECK(new_session(bob, false, b1) == GH_OK);
	CHECK(session_revoke_user(db, alice) == GH_OK);
	CHECK(session_lookup(db, &cfg, a1, &si) == GH_ENOTFOUND);
	CHECK(session_lookup(db, &cfg, a2, &si) == GH_ENOTFOUND);
	CHECK(session_lookup(db, &cfg, b1, &si) == GH_OK);
}

/* What session_list saw: the rows of one user, and whether a revoked one
 * came by. */
struct listed {
	int n;
	bool saw_revoked;
	const char *revoked_id;
	const char *user;
};

static enum gh_err
count_listed(const struct session_row *r, void *arg)
{
	struct listed *l = arg;

	if (strcmp(r->username, l->user) != 0)
		return GH_EINVAL;
	l->n++;
	if (l->revoked_id != NULL && strcmp(r->id, l->revoked_id) == 0)
		l->saw_revoked = true;
	return GH_OK;
}

TEST(list_gives_a_users_live_sessions_only)
{
	char t1[CRYPTO_TOKEN_LEN + 1], t2[CRYPTO_TOKEN_LEN + 1], id2[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t dan = add_user("dan", NULL, "active");
	struct listed l = {0, false, id2, "dan"};

	CHECK(new_session(dan, false, t1) == GH_OK);
	CHECK(new_session(dan, false, t2) == GH_OK);
	crypto_sha256_hex(t2, CRYPTO_TOKEN_LEN, id2);
	CHECK(session_revoke(db, t2) == GH_OK);
	CHECK(session_list(db, "dan", count_listed, &l) == GH_OK);
	CHECK(l.n == 1 && !l.saw_revoked);
	/* Every user's: the callback refuses another user's row, which stops
	 * the list with its answer. */
	l.n = 0;
	CHECK(session_list(db, "", count_listed, &l) == GH_EINVAL);
}

TEST(inactive_user_session_refused)
{
	static const char *const statuses[] = {"inactive", "locked", "deleted"};
	char token[CRYPTO_TOKEN_LEN + 1];
	struct session_info si;
	int64_t carol = add_user("carol", NULL, "active");
	size_t i;

	CHECK(new_session(carol, false, token) == GH_OK);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	for (i = 0; i < 3; i++) {
		db_exec(db, "UPDATE users SET status = 'active' WHERE username = 'carol'");
		CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
		CHECK(exec_int(i == 0   ? "UPDATE users SET status = 'inactive' WHERE id = ?"
		               : i == 1 ? "UPDATE users SET status = 'locked' WHERE id = ?"
		                        : "UPDATE users SET status = 'deleted' WHERE id = ?",
		          NULL, carol) == 1);
		if (session_lookup(db, &cfg, token, &si) != GH_ENOTFOUND)
			fprintf(stderr, "status %s accepted\n", statuses[i]);
		CHECK(session_lookup(db, &cfg, token, &si) == GH_ENOTFOUND);
	}
}

TEST(last_seen_written_only_after_touch_interval)
{
	char token[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct session_info si;
	int64_t now = (int64_t)time(NULL), seen;

	CHECK(new_session(alice, false, token) == GH_OK);
	crypto_sha256_hex(token, strlen(token), id);
	/* 10 s ago: within touch_interval (30 s), so not written. */
	CHECK(set_ago("UPDATE sessions SET last_seen_at = ? WHERE id = ?", 10, id) == 1);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	seen = exec_int("SELECT last_seen_at FROM sessions WHERE id = ?", id, 0);
	CHECK(seen <= now - 9 && seen >= now - 12);
	/* 40 s ago: due, so moved to now. */
	CHECK(set_ago("UPDATE sessions SET last_seen_at = ? WHERE id = ?", 40, id) == 1);
	CHECK(session_lookup(db, &cfg, token, &si) == GH_OK);
	seen = exec_int("SELECT last_seen_at FROM sessions WHERE id = ?", id, 0);
	CHECK(seen >= now - 2);
}

TEST(purge_deletes_expired_and_revoked_keeps_valid)
{
	char valid[CRYPTO_TOKEN_LEN + 1], old[CRYPTO_TOKEN_LEN + 1], rev[CRYPTO_TOKEN_LEN + 1];
	char recent[CRYPTO_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct session_info si;
	int64_t deleted = -1;

	db_exec(db, "DELETE FROM sessions");
	CHECK(new_session(bob, false, valid) == GH_OK);
	CHECK(new_session(bob, false, old) == GH_OK);
	CHECK(new_session(bob, false, rev) == GH_OK);
	CHECK(new_session(bob, false, recent) == GH_OK);
	crypto_sha256_hex(old, strlen(old), id);
	set_ago("UPDATE sessions SET expires_at = ? WHERE id = ?", 1000, id);
	crypto_sha256_hex(rev, strlen(rev), id);
	set_ago("UPDATE sessions SET revoked_at = ? WHERE id = ?", 1000, id);
	crypto_sha256_hex(recent, strlen(recent), id);
	set_ago("UPDATE sessions SET revoked_at = ? WHERE id = ?", 50, id);
	CHECK(session_purge(db, 100, &deleted) == GH_OK); /* keeps the one revoked 50 s ago */
	CHECK(deleted == 2);
	CHECK(exec_int("SELECT count(*) FROM sessions WHERE user_id = ?", NULL, bob) == 2);
	CHECK(session_lookup(db, &cfg, valid, &si) == GH_OK);
	CHECK(session_purge(db, 10, NULL) == GH_OK);
	CHECK(exec_int("SELECT count(*) FROM sessions WHERE user_id = ?", NULL, bob) == 1);
}

TEST(cookie_name_host_prefix_over_https)
{
	char out[64], tiny[8];

	CHECK_STR(session_cookie_name(&cfg, true, out, sizeof(out)), "__Host-gatehouse");
	CHECK_STR(session_cookie_name(&cfg, false, out, sizeof(out)), "gatehouse");
	CHECK(session_cookie_name(&cfg, true, tiny, sizeof(tiny)) == NULL);
	CHECK(tiny[0] == '\0');
}

static void
suite(void)
{
	RUN(create_then_lookup_gives_user_and_sorted_roles);
	RUN(extra_roles_join_the_users_each_once_on_this_session_only);
	RUN(extra_roles_that_do_not_fit_refused);
	RUN(user_without_email_or_roles_gets_empty_strings);
	RUN(token_stored_only_hashed);
	RUN(malformed_and_unknown_tokens_refused);
	RUN(session_idle_too_long_refused);
	RUN(session_past_absolute_expiry_refused);
	RUN(remember_me_lasts_remember_timeout);
	RUN(revoked_session_refused);
	RUN(revoke_user_ends_all_of_that_users_sessions);
	RUN(inactive_user_session_refused);
	RUN(list_gives_a_users_live_sessions_only);
	RUN(last_seen_written_only_after_touch_interval);
	RUN(purge_deletes_expired_and_revoked_keeps_valid);
	RUN(cookie_name_host_prefix_over_https);
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
