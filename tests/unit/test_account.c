/*
 * test_account.c: the service layer on every database (test_backend.h):
 * auth_password (the local store: who is let in, that every refusal is the
 * same answer, the rehash of a weaker hash), the account changes that
 * end a user's sessions (account.h), and how a login and a change are
 * ordered (user_lock: a change made while a password was verified wins,
 * also when the two transactions overlap, on a second connection).  The external store's path is
 * test_extuser.c's and the integration suite's.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "login_flow.h"
#include "migrate.h"
#include "password.h"
#include "session.h"
#include "test.h"
#include "test_backend.h"
#include "user.h"

#define PASSWORD "correct horse battery staple"

static struct config cfg;
static struct db *db;
static const struct audit_actor actor = {.by = "test"};

/* new_user adds an active user with PASSWORD hashed by cfg (or by a bcrypt
 * of cost 4 when weak), returns its id or -1. */
static int64_t
new_user(const char *name, bool weak)
{
	struct config c = cfg;
	char hash[PASSWORD_HASH_MAX];
	int64_t id = -1;

	if (weak) {
		c.password_scheme = CONFIG_BCRYPT;
		c.bcrypt_cost = 4;
	}
	if (password_hash(&c, PASSWORD, hash) == GH_OK &&
	    user_add(db, name, NULL, hash, &id) != GH_OK)
		id = -1;
	return id;
}

/* session_of makes a session for user id, returns whether its token
 * (written to token) then looks up. */
static bool
session_of(int64_t id, char token[CRYPTO_TOKEN_LEN + 1])
{
	struct session_new sn = {.user_id = id, .auth_method = "form"};
	struct session_info s;

	return session_create(db, &cfg, &sn, token) == GH_OK &&
	       session_lookup(db, &cfg, token, &s) == GH_OK;
}

static bool
session_valid(const char *token)
{
	struct session_info s;

	return session_lookup(db, &cfg, token, &s) == GH_OK;
}

static enum auth_refusal why; /* of the last try_login */

static enum gh_err
try_login(const char *name, const char *password, struct user *u)
{
	memset(u, 0, sizeof(*u));
	return auth_password(db, NULL, &cfg, name, password, u, &why);
}

/* login_session makes u's session as a login does, in a transaction of
 * its own on d: GH_OK, or why not. */
struct login_call {
	const struct user *u;
	char token[CRYPTO_TOKEN_LEN + 1];
};

static enum gh_err
login_session_fn(struct db *d, void *arg)
{
	struct login_call *c = arg;
	const struct session_new sn = {.user_id = c->u->id, .auth_method = "form"};

	return login_flow_session(d, &cfg, c->u, &sn, c->token);
}

static enum gh_err
login_session(struct db *d, const struct user *u)
{
	struct login_call c = {.u = u};

	return db_transact(d, login_session_fn, &c);
}

/* live_sessions counts user id's sessions not revoked, -1 on error. */
static int64_t
live_sessions(int64_t id)
{
	char sql[128];

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM sessions WHERE user_id = %lld AND revoked_at IS NULL",
	    (long long)id);
	return test_query_int(db, sql);
}

static bool
setup(struct test_backend *b)
{
	if ((db = test_backend_open_schema(b, 1000)) == NULL)
		return false;
	memset(&cfg, 0, sizeof(cfg));
	cfg.password_scheme = CONFIG_ARGON2ID;
	cfg.argon2_memory_kib = 1024;
	cfg.argon2_time = 1;
	cfg.argon2_parallelism = 1;
	cfg.bcrypt_cost = 4;
	cfg.users_password_scheme = CONFIG_BCRYPT;
	cfg.users_bcrypt_cost = 4;
	cfg.secret = "0123456789abcdef0123456789abcdef";
	cfg.cookie_name = "gatehouse";
	cfg.idle_timeout = 60;
	cfg.absolute_timeout = 3600;
	cfg.remember_timeout = 86400;
	cfg.touch_interval = 30;
	db_exec(db, "INSERT INTO roles (name) VALUES ('editor')");
	return true;
}

TEST(right_password_of_active_user_let_in)
{
	struct user u;
	int64_t id = new_user("ann", false);

	CHECK(id > 0);
	CHECK(try_login("ann", PASSWORD, &u) == GH_OK);
	CHECK(u.id == id && strcmp(u.username, "ann") == 0);
	user_cleanup(&u);
}

TEST(every_refusal_is_the_same_answer)
{
	struct user u;
	int64_t id = new_user("bea", false);

	CHECK(id > 0);
	CHECK(try_login("bea", "wrong password!!", &u) == GH_EDENIED);
	CHECK(u.username != NULL); /* known: named in the log */
	CHECK(why == AUTH_WRONG_PASSWORD);
	user_cleanup(&u);
	CHECK(try_login("nobody-has-this-name", PASSWORD, &u) == GH_EDENIED);
	CHECK(u.username == NULL); /* unknown: never named */
	CHECK(why == AUTH_UNKNOWN_USER);
	user_cleanup(&u);
	CHECK(account_disable(db, id, &actor) == GH_OK);
	CHECK(try_login("bea", PASSWORD, &u) == GH_EDENIED);
	CHECK(why == AUTH_INACTIVE);
	user_cleanup(&u);
	/* The password is looked at first: a wrong one is wrong, disabled or not. */
	CHECK(try_login("bea", "wrong password!!", &u) == GH_EDENIED);
	CHECK(why == AUTH_WRONG_PASSWORD);
	user_cleanup(&u);
	CHECK(account_enable(db, id, &actor) == GH_OK);
	CHECK(try_login("bea", PASSWORD, &u) == GH_OK);
	CHECK(why == AUTH_ACCEPTED);
	user_cleanup(&u);
	CHECK_STR(auth_refusal_word(AUTH_WRONG_PASSWORD), "wrong_password");
}

TEST(weaker_hash_replaced_at_login)
{
	struct user u;
	int64_t id = new_user("cid", true);

	CHECK(id > 0);
	CHECK(try_login("cid", PASSWORD, &u) == GH_OK);
	/* u says what the row now says (user_lock_unchanged compares them). */
	CHECK(strncmp(u.password_hash, "$argon2id$", 10) == 0);
	CHECK(login_session(db, &u) == GH_OK);
	user_cleanup(&u);
	CHECK(user_find_id(db, id, &u) == GH_OK);
	CHECK(strncmp(u.password_hash, "$argon2id$", 10) == 0);
	user_cleanup(&u);
	CHECK(try_login("cid", PASSWORD, &u) == GH_OK);
	user_cleanup(&u);
}

TEST(name_tag_is_keyed_and_hides_the_name)
{
	char a[AUTH_TAG_LEN + 1], b[AUTH_TAG_LEN + 1];
	struct config other = cfg;

	auth_name_tag(&cfg, "hunter2-typed-as-a-name", a);
	auth_name_tag(&cfg, "hunter2-typed-as-a-name", b);
	CHECK(strlen(a) == AUTH_TAG_LEN && strcmp(a, b) == 0);
	CHECK(strstr(a, "hunter") == NULL);
	other.secret = "fedcba9876543210fedcba9876543210";
	auth_name_tag(&other, "hunter2-typed-as-a-name", b);
	CHECK(strcmp(a, b) != 0);
}

TEST(name_mac_is_the_tag_in_full_and_folds_case_when_asked)
{
	char tag[AUTH_TAG_LEN + 1], m1[CRYPTO_SHA256_HEX_LEN + 1], m2[CRYPTO_SHA256_HEX_LEN + 1];

	auth_name_tag(&cfg, "Ann", tag);
	CHECK(auth_name_mac(&cfg, "log-name|", "Ann", false, m1));
	CHECK(strlen(m1) == CRYPTO_SHA256_HEX_LEN && strncmp(m1, tag, AUTH_TAG_LEN) == 0);
	CHECK(auth_name_mac(&cfg, "log-name|", "ann", false, m2) && strcmp(m1, m2) != 0);
	CHECK(auth_name_mac(&cfg, "log-name|", "ANN", true, m1) && strcmp(m1, m2) == 0);
	/* Another purpose, another value for the same name. */
	CHECK(auth_name_mac(&cfg, "lockout-name|", "ann", false, m1) && strcmp(m1, m2) != 0);
}

TEST(new_password_ends_sessions)
{
	char token[CRYPTO_TOKEN_LEN + 1], hash[PASSWORD_HASH_MAX];
	int64_t id = new_user("dee", false);

	CHECK(id > 0 && session_of(id, token));
	CHECK(password_hash(&cfg, "another long password", hash) == GH_OK);
	CHECK(account_set_password(db, id, hash, &actor) == GH_OK);
	CHECK(!session_valid(token));
}

TEST(new_roles_end_sessions_unknown_role_changes_nothing)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	int64_t id = new_user("eve", false);
	struct user u;

	CHECK(id > 0 && session_of(id, token));
	CHECK(account_set_roles(db, id, "editor,no-such-role", &actor) == GH_ENOTFOUND);
	CHECK(session_valid(token));
	CHECK(account_set_roles(db, id, "editor", &actor) == GH_OK);
	CHECK(!session_valid(token));
	CHECK(user_find_id(db, id, &u) == GH_OK && strcmp(u.roles, "editor") == 0);
	user_cleanup(&u);
}

TEST(disable_ends_sessions_enable_does_not_revive_them)
{
	char token[CRYPTO_TOKEN_LEN + 1];
	int64_t id = new_user("fay", false);

	CHECK(id > 0 && session_of(id, token));
	CHECK(account_disable(db, id, &actor) == GH_OK);
	CHECK(!session_valid(token));
	CHECK(account_enable(db, id, &actor) == GH_OK);
	CHECK(!session_valid(token));
}

/* A password checked, then changed or the user disabled before the
 * session is made (the hash takes a while): no session. */
TEST(login_whose_password_changed_meanwhile_makes_no_session)
{
	char hash[PASSWORD_HASH_MAX];
	struct user u;
	int64_t id = new_user("gus", false);

	CHECK(id > 0 && try_login("gus", PASSWORD, &u) == GH_OK);
	CHECK(password_hash(&cfg, "the new password here", hash) == GH_OK);
	CHECK(account_set_password(db, id, hash, &actor) == GH_OK);
	CHECK(login_session(db, &u) == GH_EDENIED);
	CHECK(live_sessions(id) == 0);
	user_cleanup(&u);
	CHECK(try_login("gus", "the new password here", &u) == GH_OK);
	CHECK(account_disable(db, id, &actor) == GH_OK);
	CHECK(login_session(db, &u) == GH_EDENIED);
	CHECK(live_sessions(id) == 0);
	CHECK(account_enable(db, id, &actor) == GH_OK);
	CHECK(login_session(db, &u) == GH_OK);
	CHECK(live_sessions(id) == 1);
	user_cleanup(&u);
}

/* Roles changed meanwhile: the session gets the new ones. */
TEST(login_whose_roles_changed_meanwhile_gets_the_new_roles)
{
	struct login_call c = {0};
	struct session_info s;
	struct user u;
	int64_t id = new_user("hal", false);

	CHECK(id > 0 && try_login("hal", PASSWORD, &u) == GH_OK);
	CHECK(strcmp(u.roles, "") == 0);
	CHECK(account_set_roles(db, id, "editor", &actor) == GH_OK);
	c.u = &u;
	CHECK(db_transact(db, login_session_fn, &c) == GH_OK);
	CHECK(session_lookup(db, &cfg, c.token, &s) == GH_OK && strcmp(s.roles, "editor") == 0);
	user_cleanup(&u);
}

/* A rival transaction on a connection of its own, holding what it wrote,
 * committed by rival_commit RIVAL_MS after it starts. */
#define RIVAL_MS 400
struct rival {
	struct db *db;
	enum gh_err e;
	int64_t user_id; /* for rival_roles */
};

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};

	nanosleep(&ts, NULL);
}

static void *
rival_commit(void *arg)
{
	struct rival *r = arg;

	sleep_ms(RIVAL_MS);
	r->e = db_commit(r->db);
	return NULL;
}

/*
 * The password change's transaction has written the new hash (and
 * revoked the sessions it saw) but not committed when the login, its
 * password verified, makes its session.  The login's lock waits for the
 * change and then sees the new hash: no session.  (A plain read would see
 * the old hash, committed, and make a session the change never revoked.)
 */
TEST(password_change_committing_meanwhile_refuses_the_login)
{
	struct rival r = {.db = test_backend_open(test_cur, 2000)};
	char hash[PASSWORD_HASH_MAX];
	pthread_t th;
	struct user u;
	int64_t id = new_user("ida", false), t0, waited;
	enum gh_err e;

	CHECK(r.db != NULL && id > 0 && try_login("ida", PASSWORD, &u) == GH_OK);
	CHECK(password_hash(&cfg, "a password of the rival", hash) == GH_OK);
	CHECK(db_begin(r.db) == GH_OK);
	CHECK(user_set_password(r.db, id, hash) == GH_OK);
	CHECK(session_revoke_user(r.db, id) == GH_OK);
	CHECK(pthread_create(&th, NULL, rival_commit, &r) == 0);
	t0 = test_now_ms();
	e = login_session(db, &u);
	waited = test_now_ms() - t0;
	pthread_join(th, NULL);
	CHECK(r.e == GH_OK);
	CHECK(e == GH_EDENIED);
	CHECK(waited >= 100); /* it waited for the rival */
	CHECK(live_sessions(id) == 0);
	user_cleanup(&u);
	db_close(r.db);
}

static void *
rival_roles(void *arg)
{
	struct rival *r = arg;

	r->e = account_set_roles(r->db, r->user_id, "editor", &actor);
	return NULL;
}

/*
 * The reverse order: the login has locked the row and made its session,
 * not yet committed, when a change of roles begins.  The change waits for
 * the login and then revokes its session.  (Without the change's lock it
 * would not see the session, uncommitted, and leave it with the old
 * roles.)
 */
TEST(role_change_waits_for_a_login_and_revokes_its_session)
{
	struct rival r = {.db = test_backend_open(test_cur, 2000)};
	struct login_call c = {0};
	pthread_t th;
	struct user u;
	int64_t id = new_user("jon", false);
	bool started = false;

	CHECK(r.db != NULL && id > 0 && try_login("jon", PASSWORD, &u) == GH_OK);
	r.user_id = id;
	c.u = &u;
	CHECK(db_begin(db) == GH_OK);
	if (login_session_fn(db, &c) == GH_OK && pthread_create(&th, NULL, rival_roles, &r) == 0) {
		started = true;
		sleep_ms(RIVAL_MS);
	}
	CHECK(db_commit(db) == GH_OK);
	if (started)
		pthread_join(th, NULL);
	CHECK(started && r.e == GH_OK);
	CHECK(!session_valid(c.token));
	CHECK(live_sessions(id) == 0);
	user_cleanup(&u);
	db_close(r.db);
}

static void
suite(void)
{
	RUN(right_password_of_active_user_let_in);
	RUN(every_refusal_is_the_same_answer);
	RUN(weaker_hash_replaced_at_login);
	RUN(name_tag_is_keyed_and_hides_the_name);
	RUN(name_mac_is_the_tag_in_full_and_folds_case_when_asked);
	RUN(new_password_ends_sessions);
	RUN(new_roles_end_sessions_unknown_role_changes_nothing);
	RUN(disable_ends_sessions_enable_does_not_revive_them);
	RUN(login_whose_password_changed_meanwhile_makes_no_session);
	RUN(login_whose_roles_changed_meanwhile_gets_the_new_roles);
	RUN(password_change_committing_meanwhile_refuses_the_login);
	RUN(role_change_waits_for_a_login_and_revokes_its_session);
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
