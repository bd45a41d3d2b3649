/*
 * test_account.c: the service layer on every database (test_backend.h):
 * auth_password (the local store: who is let in, that every refusal is the
 * same answer, the rehash of a weaker hash) and the account changes that
 * end a user's sessions (account.h).  The external store's path is
 * test_extuser.c's and the integration suite's.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "auth.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
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
	CHECK(strncmp(u.password_hash, "$2", 2) == 0); /* what was verified */
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
