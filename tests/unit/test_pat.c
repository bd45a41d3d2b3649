/*
 * test_pat.c: personal access tokens (common/pat.c) with the real
 * migrations, on every database (test_backend.h): SQLite, then throwaway
 * MariaDB and PostgreSQL servers.  Time is moved by writing expires_at and
 * last_used_at into the past with SQL, never by sleeping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "db.h"
#include "pat.h"
#include "test.h"
#include "test_backend.h"
#include "user.h"

static struct db *db;
static int64_t alice, bob;
static const struct audit_actor actor = {.by = "test"};

static int64_t
add_user(const char *name, const char *email)
{
	int64_t id = -1;

	if (user_add(db, name, email, NULL, &id) != GH_OK)
		return -1;
	return id;
}

/* One value of sql, with the text t (NULL: none) bound; -1 when none. */
static int64_t
query_int(const char *sql, const char *t)
{
	struct db_stmt *st;
	bool row = false;
	int64_t v = -1;

	if (db_prepare(db, sql, &st) != GH_OK)
		return -1;
	if ((t == NULL || db_bind_text(st, 1, t) == GH_OK) && db_step(st, &row) == GH_OK && row)
		v = db_column_int64(st, 0);
	db_done(st);
	return v;
}

/* set_ago writes now - ago into the column col of the token id (col is a
 * literal of this file); the rows changed. */
static int64_t
set_ago(const char *col, int64_t ago, const char *id)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "UPDATE personal_access_tokens SET %s = ? WHERE id = ?", col);
	if (db_run(db, sql, DB_INT64((int64_t)time(NULL) - ago), DB_TEXT(id)) != GH_OK)
		return -1;
	return db_changes(db);
}

/* new_token makes a token of user named name with roles, expiring in
 * lifetime seconds (0: never). */
static enum gh_err
new_token(int64_t user, const char *name, const char *roles, int64_t lifetime,
    char token[PAT_TOKEN_LEN + 1], char id[CRYPTO_SHA256_HEX_LEN + 1])
{
	struct pat_new p = {.user_id = user,
	    .name = name,
	    .roles = roles,
	    .expires_at = lifetime != 0 ? (int64_t)time(NULL) + lifetime : 0};

	return pat_create(db, &p, &actor, token, id);
}

/* logged counts the audit rows of event whose context is the JSON text
 * context (as audit.c writes it: compact, keys sorted). */
static int
logged(const char *event, const char *context)
{
	struct db_stmt *st;
	const char *v;
	bool row;
	int n = 0;

	if (db_prepare(db, "SELECT context FROM security_log WHERE event_type = ?", &st) != GH_OK)
		return -1;
	if (db_bind_text(st, 1, event) == GH_OK)
		while (db_step(st, &row) == GH_OK && row)
			if ((v = db_column_text(st, 0)) != NULL && strcmp(v, context) == 0)
				n++;
	db_done(st);
	return n;
}

static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	alice = add_user("alice", "alice@example.org");
	bob = add_user("bob", NULL);
	db_exec(db, "INSERT INTO roles (name) VALUES ('editor'), ('zeta')");
	return alice > 0 && bob > 0 && user_set_roles(db, alice, "zeta,admin,editor") == GH_OK;
}

TEST(create_then_lookup_gives_user_and_roles)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1],
	    sum[CRYPTO_SHA256_HEX_LEN + 1];
	char want[256];
	struct pat_info pi;

	CHECK(new_token(alice, "deploy", "zeta, editor,zeta", 3600, token, id) == GH_OK);
	CHECK(strlen(token) == PAT_TOKEN_LEN && strncmp(token, "ghpat_", 6) == 0);
	CHECK(pat_token_valid(token));
	crypto_sha256_hex(token, strlen(token), sum);
	CHECK_STR(id, sum);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK(pi.user_id == alice);
	CHECK_STR(pi.username, "alice");
	CHECK_STR(pi.email, "alice@example.org");
	CHECK_STR(pi.roles, "editor,zeta"); /* sorted, each once */
	CHECK_STR(pi.id, id);
	CHECK(pi.expires_at > (int64_t)time(NULL) + 3590);
	/* Its audit row: who, which token (by its handle), the roles. */
	snprintf(want, sizeof(want),
	    "{\"by\":\"test\",\"expires_at\":%lld,\"name\":\"deploy\","
	    "\"roles\":\"editor,zeta\",\"token\":\"%.12s\"}",
	    (long long)pi.expires_at, id);
	CHECK(logged("token_added", want) == 1);
	/* A token without roles, never expiring, of a user without e-mail. */
	CHECK(new_token(bob, "monitor", NULL, 0, token, id) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK_STR(pi.username, "bob");
	CHECK_STR(pi.email, "");
	CHECK_STR(pi.roles, "");
	CHECK(pi.expires_at == 0);
	CHECK(query_int("SELECT count(*) FROM personal_access_tokens WHERE id = ? AND "
	                "expires_at IS NULL",
	          id) == 1);
}

TEST(a_role_the_user_lacks_refused_and_nothing_written)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t rows = test_query_int(db, "SELECT count(*) FROM personal_access_tokens");
	int64_t logged = test_query_int(db, "SELECT count(*) FROM security_log");

	CHECK(new_token(bob, "admin-please", "admin", 3600, token, id) == GH_EDENIED);
	CHECK(token[0] == '\0' && id[0] == '\0');
	CHECK(new_token(alice, "ghost", "editor,no-such-role", 3600, token, id) == GH_EDENIED);
	CHECK(new_token(alice, "bad", "not a role!", 3600, token, id) == GH_EINVAL);
	CHECK(new_token(9999999, "nobody", "", 3600, token, id) == GH_ENOTFOUND);
	CHECK(test_query_int(db, "SELECT count(*) FROM personal_access_tokens") == rows);
	CHECK(test_query_int(db, "SELECT count(*) FROM security_log") == logged);
}

TEST(expired_token_refused)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_info pi;

	CHECK(new_token(alice, "short-lived", "", 3600, token, id) == GH_OK);
	CHECK(set_ago("expires_at", -5, id) == 1);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK(set_ago("expires_at", 1, id) == 1);
	CHECK(pat_lookup(db, token, &pi) == GH_ENOTFOUND);
	CHECK(pi.user_id == 0 && pi.username[0] == '\0' && pi.roles[0] == '\0');
	/* An expiry that is not in the future is refused at once. */
	CHECK(new_token(alice, "stillborn", "", -10, token, id) == GH_EINVAL);
}

TEST(revoked_token_refused)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1], handle[PAT_HANDLE_LEN + 1];
	struct pat_info pi;
	int64_t owner = 0;

	CHECK(new_token(alice, "to-revoke", "editor", 3600, token, id) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	snprintf(handle, sizeof(handle), "%.12s", id);
	CHECK(pat_revoke(db, handle, &actor, &owner) == GH_OK);
	CHECK(owner == alice);
	CHECK(pat_lookup(db, token, &pi) == GH_ENOTFOUND);
	CHECK(pat_revoke(db, handle, &actor, NULL) == GH_ENOTFOUND); /* once only */
	CHECK(test_query_int(db, "SELECT count(*) FROM security_log WHERE event_type = "
	                         "'token_revoked'") == 1);
	/* By the whole id too; a handle of another form is refused. */
	CHECK(new_token(alice, "to-revoke-by-id", "", 3600, token, id) == GH_OK);
	CHECK(pat_revoke(db, id, &actor, NULL) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_ENOTFOUND);
	CHECK(pat_revoke(db, "ABCDEF012345", &actor, NULL) == GH_EINVAL);
	CHECK(pat_revoke(db, "abcdef01234", &actor, NULL) == GH_EINVAL);
	CHECK(pat_revoke(db, "abcdef01234%", &actor, NULL) == GH_EINVAL);
	CHECK(pat_revoke(db, NULL, &actor, NULL) == GH_EINVAL);
}

TEST(revoke_user_ends_every_token_of_that_user_only)
{
	char a1[PAT_TOKEN_LEN + 1], a2[PAT_TOKEN_LEN + 1], b1[PAT_TOKEN_LEN + 1];
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_info pi;
	int64_t n = -1, carol = add_user("carol", NULL), dave = add_user("dave", NULL);

	CHECK(new_token(carol, "one", "", 3600, a1, id) == GH_OK);
	CHECK(new_token(carol, "two", "", 0, a2, id) == GH_OK);
	CHECK(new_token(dave, "one", "", 3600, b1, id) == GH_OK);
	CHECK(pat_revoke_user(db, carol, &actor, &n) == GH_OK);
	CHECK(n == 2);
	CHECK(pat_lookup(db, a1, &pi) == GH_ENOTFOUND && pat_lookup(db, a2, &pi) == GH_ENOTFOUND);
	CHECK(pat_lookup(db, b1, &pi) == GH_OK);
	CHECK(pat_revoke_user(db, carol, &actor, &n) == GH_OK);
	CHECK(n == 0);
}

/* The decisions of account.h: a disabled user's tokens are refused while
 * the user is not active and work again once enabled; a new password
 * leaves them alone. */
TEST(disabled_user_token_refused_until_enabled_password_change_keeps_it)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_info pi;
	int64_t erin = add_user("erin", NULL);

	CHECK(new_token(erin, "backup", "", 3600, token, id) == GH_OK);
	CHECK(account_disable(db, erin, &actor) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_ENOTFOUND);
	CHECK(user_set_status(db, erin, "locked") == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_ENOTFOUND);
	CHECK(account_enable(db, erin, &actor) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK(account_set_password(db, erin, "$argon2id$not-a-real-hash", &actor) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
}

TEST(roles_narrowed_when_the_user_loses_one_never_regained)
{
	char token[PAT_TOKEN_LEN + 1], other[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_info pi;
	int64_t frank = add_user("frank", NULL);

	CHECK(user_set_roles(db, frank, "admin,editor,zeta") == GH_OK);
	CHECK(new_token(frank, "ci", "admin,editor", 3600, token, id) == GH_OK);
	CHECK(new_token(frank, "reader", "zeta", 3600, other, id) == GH_OK);
	CHECK(account_set_roles(db, frank, "editor,zeta", &actor) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK_STR(pi.roles, "editor");
	CHECK(pat_lookup(db, other, &pi) == GH_OK);
	CHECK_STR(pi.roles, "zeta");
	CHECK(logged("roles_changed", "{\"by\":\"test\",\"roles\":\"editor,zeta\","
	                              "\"tokens_narrowed\":1}") == 1);
	/* Given back to the user, not to the token. */
	CHECK(account_set_roles(db, frank, "admin,editor,zeta", &actor) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK_STR(pi.roles, "editor");
	/* Every role taken: the tokens hold none, and still name their user. */
	CHECK(account_set_roles(db, frank, "", &actor) == GH_OK);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	CHECK_STR(pi.roles, "");
	CHECK(pat_lookup(db, other, &pi) == GH_OK);
	CHECK_STR(pi.roles, "");
}

/* A change of the user's roles not yet committed on another connection:
 * the token waits for it (a share lock on the user's roles, or SQLite's
 * write lock) instead of being made from the roles as they were, which
 * the change, narrowing the tokens it sees, would miss. */
TEST(a_role_being_taken_away_meanwhile_is_waited_for)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct db *other = test_backend_open(test_cur, 1000);
	int64_t ivan = add_user("ivan", NULL);

	CHECK(other != NULL && user_set_roles(db, ivan, "editor") == GH_OK);
	if (other == NULL)
		return;
	CHECK(db_begin(other) == GH_OK);
	CHECK(db_run(other, "DELETE FROM user_roles WHERE user_id = ?", DB_INT64(ivan)) == GH_OK);
	CHECK(new_token(ivan, "racing", "editor", 3600, token, id) == GH_EDB);
	CHECK(token[0] == '\0');
	CHECK(db_commit(other) == GH_OK);
	db_close(other);
	CHECK(new_token(ivan, "racing", "editor", 3600, token, id) == GH_EDENIED);
	CHECK(
	    query_int("SELECT count(*) FROM personal_access_tokens WHERE name = ?", "racing") == 0);
}

TEST(last_used_written_at_most_once_a_minute)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_info pi;
	int64_t now = (int64_t)time(NULL), used;
	int64_t logged = db_dialect(db) == DB_MYSQL
	                     ? test_query_int(db, "SELECT count(*) FROM cache_revocations")
	                     : 0;

	CHECK(new_token(bob, "touched", "", 3600, token, id) == GH_OK);
	CHECK(query_int("SELECT count(*) FROM personal_access_tokens WHERE id = ? AND "
	                "last_used_at IS NULL",
	          id) == 1);
	/* Never used: written by the first lookup. */
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	used = query_int("SELECT last_used_at FROM personal_access_tokens WHERE id = ?", id);
	CHECK(used >= now && used <= now + 5 && pi.last_used_at == used);
	/* 30 s ago: not due, nothing written. */
	CHECK(set_ago("last_used_at", 30, id) == 1);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	used = query_int("SELECT last_used_at FROM personal_access_tokens WHERE id = ?", id);
	CHECK(used <= now - 29 && used >= now - 32 && pi.last_used_at == used);
	/* 61 s ago: due, moved to now. */
	CHECK(set_ago("last_used_at", 61, id) == 1);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	used = query_int("SELECT last_used_at FROM personal_access_tokens WHERE id = ?", id);
	CHECK(used >= now && pi.last_used_at == used);
	/* MariaDB: a touch tells the check's cache nothing; a revocation does. */
	if (db_dialect(db) == DB_MYSQL) {
		CHECK(test_query_int(db, "SELECT count(*) FROM cache_revocations") == logged);
		CHECK(pat_revoke(db, id, &actor, NULL) == GH_OK);
		CHECK(
		    query_int("SELECT count(*) FROM cache_revocations WHERE kind = 'p' AND ref = ?",
		        id) == 1);
	}
}

TEST(malformed_tokens_never_reach_the_database)
{
	static const char *const bad[] = {
	    "", "ghpat_", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* a session's form */
	    "ghpat-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",         /* another prefix */
	    "GHPAT_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",         /* in capitals */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",          /* 42 */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",        /* 44 */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",         /* not base64url */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",         /* unused bits set */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",         /* a space */
	    "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",       /* a newline */
	};
	char path[PATH_MAX + 64], url[PATH_MAX + 80];
	struct db *empty = NULL;
	struct pat_info pi;

	/* A database without the table: any query there fails (GH_EDB). */
	snprintf(path, sizeof(path), "%s/empty.db", test_cur->tmp);
	snprintf(url, sizeof(url), "sqlite://%s", path);
	CHECK(db_open(url, NULL, 1000, &empty) == GH_OK);
	if (empty == NULL)
		return;
	CHECK(pat_lookup(empty, NULL, &pi) == GH_ENOTFOUND);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pat_lookup(empty, bad[i], &pi) != GH_ENOTFOUND)
			fprintf(stderr, "malformed token %zu reached the database\n", i);
		CHECK(pat_lookup(empty, bad[i], &pi) == GH_ENOTFOUND);
		CHECK(!pat_token_valid(bad[i]));
	}
	/* The control: a well-formed token is asked for there, and fails. */
	CHECK(pat_token_valid("ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"));
	CHECK(
	    pat_lookup(empty, "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", &pi) == GH_EDB);
	db_close(empty);
	/* And on the real database, a well-formed unknown token is not found. */
	CHECK(pat_lookup(db, "ghpat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE", &pi) ==
	      GH_ENOTFOUND);
}

TEST(name_unique_per_user_free_again_once_revoked_or_expired)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1], handle[PAT_HANDLE_LEN + 1];
	char old[PAT_TOKEN_LEN + 1], long_name[PAT_NAME_MAX + 2];
	struct pat_info pi;

	CHECK(new_token(alice, "nightly backup", "", 3600, old, id) == GH_OK);
	CHECK(new_token(alice, "nightly backup", "", 3600, token, id) == GH_EEXISTS);
	CHECK(token[0] == '\0');
	CHECK(new_token(alice, "Nightly backup", "", 3600, token, id) == GH_OK); /* exactly */
	CHECK(new_token(bob, "nightly backup", "", 3600, token, id) == GH_OK);
	/* Revoked: the name may be given again, the old token stays dead. */
	CHECK(query_int("SELECT count(*) FROM personal_access_tokens WHERE name = ?",
	          "nightly backup") == 2);
	crypto_sha256_hex(old, strlen(old), id);
	snprintf(handle, sizeof(handle), "%.12s", id);
	CHECK(pat_revoke(db, handle, &actor, NULL) == GH_OK);
	CHECK(new_token(alice, "nightly backup", "", 3600, token, id) == GH_OK);
	CHECK(pat_lookup(db, old, &pi) == GH_ENOTFOUND);
	CHECK(pat_lookup(db, token, &pi) == GH_OK);
	/* Expired: the same. */
	CHECK(set_ago("expires_at", 1, id) == 1);
	CHECK(new_token(alice, "nightly backup", "", 3600, token, id) == GH_OK);
	CHECK(query_int("SELECT count(*) FROM personal_access_tokens WHERE name = ?",
	          "nightly backup") == 2); /* alice's new one and bob's */
	/* Names: 1 to 64 printable ASCII characters, no space at either end. */
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK(new_token(alice, long_name, "", 3600, token, id) == GH_EINVAL);
	long_name[PAT_NAME_MAX] = '\0';
	CHECK(new_token(alice, long_name, "", 3600, token, id) == GH_OK);
	CHECK(new_token(alice, "", "", 3600, token, id) == GH_EINVAL);
	CHECK(new_token(alice, " lead", "", 3600, token, id) == GH_EINVAL);
	CHECK(new_token(alice, "trail ", "", 3600, token, id) == GH_EINVAL);
	CHECK(new_token(alice, "tab\there", "", 3600, token, id) == GH_EINVAL);
	CHECK(new_token(alice, "caf\xc3\xa9", "", 3600, token, id) == GH_EINVAL);
	CHECK(new_token(alice, NULL, "", 3600, token, id) == GH_EINVAL);
}

TEST(tokens_go_with_their_user)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct pat_info pi;
	int64_t gina = add_user("gina", NULL);

	CHECK(new_token(gina, "a", "", 3600, token, id) == GH_OK);
	CHECK(new_token(gina, "b", "", 0, token, id) == GH_OK);
	CHECK(db_run(db, "DELETE FROM users WHERE id = ?", DB_INT64(gina)) == GH_OK);
	CHECK(query_int("SELECT count(*) FROM personal_access_tokens WHERE id = ?", id) == 0);
	CHECK(pat_lookup(db, token, &pi) == GH_ENOTFOUND);
}

/* text_holds tells whether the text s holds needle (NULL: no). */
static bool
text_holds(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

TEST(token_stored_only_hashed)
{
	char token[PAT_TOKEN_LEN + 1], id[CRYPTO_SHA256_HEX_LEN + 1];
	struct db_stmt *st;
	int rows = 0, leaks = 0, found = 0;
	bool row;

	CHECK(new_token(alice, "secret-keeper", "editor", 0, token, id) == GH_OK);
	CHECK(db_prepare(db, "SELECT * FROM personal_access_tokens", &st) == GH_OK);
	while (db_step(st, &row) == GH_OK && row) {
		rows++;
		for (int i = 0; i < db_column_count(st); i++) {
			const char *v = db_column_text(st, i);
			if (text_holds(v, token + PAT_PREFIX_LEN))
				leaks++;
			if (v != NULL && strcmp(v, id) == 0)
				found++;
		}
	}
	db_done(st);
	CHECK(rows > 0 && found == 1 && leaks == 0);
	/* Nor in the audit trail. */
	CHECK(db_prepare(db, "SELECT context FROM security_log", &st) == GH_OK);
	while (db_step(st, &row) == GH_OK && row)
		if (text_holds(db_column_text(st, 0), token + PAT_PREFIX_LEN))
			leaks++;
	db_done(st);
	CHECK(leaks == 0);
}

/* What list_collect saw. */
struct listed {
	int n, with_token;
	char handles[8][PAT_HANDLE_LEN + 1];
	char names[8][PAT_NAME_MAX + 1];
	int64_t revoked[8], expires[8];
	const char *token;
};

static enum gh_err
list_collect(const struct pat_row *r, void *arg)
{
	struct listed *l = arg;

	if (text_holds(r->name, l->token) || text_holds(r->roles, l->token))
		l->with_token++;
	if (l->n < 8) {
		memcpy(l->handles[l->n], r->handle, sizeof(l->handles[0]));
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", r->name);
		l->revoked[l->n] = r->revoked_at;
		l->expires[l->n] = r->expires_at;
	}
	l->n++;
	return GH_OK;
}

TEST(list_shows_handles_of_one_users_tokens_never_a_token)
{
	char token[PAT_TOKEN_LEN + 1], id1[CRYPTO_SHA256_HEX_LEN + 1];
	char id2[CRYPTO_SHA256_HEX_LEN + 1];
	struct listed l = {0};
	int64_t hank = add_user("hank", NULL);
	int first;

	CHECK(new_token(hank, "first", "", 0, token, id1) == GH_OK);
	CHECK(new_token(hank, "second", "", 3600, token, id2) == GH_OK);
	CHECK(pat_revoke(db, id1, &actor, NULL) == GH_OK);
	l.token = token + PAT_PREFIX_LEN;
	CHECK(pat_list(db, "hank", list_collect, &l) == GH_OK);
	CHECK(l.n == 2 && l.with_token == 0);
	/* Made in the same second: in either order. */
	first = strcmp(l.names[0], "first") == 0 ? 0 : 1;
	CHECK_STR(l.names[first], "first");
	CHECK_STR(l.names[1 - first], "second");
	CHECK(strncmp(l.handles[first], id1, PAT_HANDLE_LEN) == 0 &&
	      strlen(l.handles[first]) == PAT_HANDLE_LEN);
	CHECK(l.revoked[first] > 0 && l.expires[first] == 0);
	CHECK(strncmp(l.handles[1 - first], id2, PAT_HANDLE_LEN) == 0);
	CHECK(l.revoked[1 - first] == 0 && l.expires[1 - first] > 0);
	memset(&l, 0, sizeof(l));
	l.token = token + PAT_PREFIX_LEN;
	CHECK(pat_list(db, NULL, list_collect, &l) == GH_OK);
	CHECK(l.n > 2 && l.with_token == 0);
	memset(&l, 0, sizeof(l));
	l.token = "x";
	CHECK(pat_list(db, "nobody-has-this-name", list_collect, &l) == GH_OK);
	CHECK(l.n == 0);
}

TEST(lifetimes_parse_with_their_unit_or_never)
{
	int64_t s = -1;

	CHECK(pat_parse_lifetime("90d", &s) && s == 90 * 86400);
	CHECK(pat_parse_lifetime("12h", &s) && s == 12 * 3600);
	CHECK(pat_parse_lifetime("30m", &s) && s == 1800);
	CHECK(pat_parse_lifetime("2w", &s) && s == 14 * 86400);
	CHECK(pat_parse_lifetime("45s", &s) && s == 45);
	CHECK(pat_parse_lifetime("3650d", &s) && s == PAT_LIFETIME_MAX);
	CHECK(pat_parse_lifetime("never", &s) && s == 0);
	CHECK(!pat_parse_lifetime("3651d", &s));
	CHECK(!pat_parse_lifetime("99999999999999999999999d", &s));
	CHECK(!pat_parse_lifetime("0d", &s));
	CHECK(!pat_parse_lifetime("90", &s));
	CHECK(!pat_parse_lifetime("d", &s));
	CHECK(!pat_parse_lifetime("-1d", &s));
	CHECK(!pat_parse_lifetime("1dd", &s));
	CHECK(!pat_parse_lifetime("1y", &s));
	CHECK(!pat_parse_lifetime("", &s));
	CHECK(!pat_parse_lifetime(NULL, &s));
}

static void
suite(void)
{
	RUN(create_then_lookup_gives_user_and_roles);
	RUN(a_role_the_user_lacks_refused_and_nothing_written);
	RUN(expired_token_refused);
	RUN(revoked_token_refused);
	RUN(revoke_user_ends_every_token_of_that_user_only);
	RUN(disabled_user_token_refused_until_enabled_password_change_keeps_it);
	RUN(roles_narrowed_when_the_user_loses_one_never_regained);
	RUN(a_role_being_taken_away_meanwhile_is_waited_for);
	RUN(last_used_written_at_most_once_a_minute);
	RUN(malformed_tokens_never_reach_the_database);
	RUN(name_unique_per_user_free_again_once_revoked_or_expired);
	RUN(tokens_go_with_their_user);
	RUN(token_stored_only_hashed);
	RUN(list_shows_handles_of_one_users_tokens_never_a_token);
	RUN(lifetimes_parse_with_their_unit_or_never);
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
