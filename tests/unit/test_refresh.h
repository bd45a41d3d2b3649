/*
 * test_refresh.h: what the two programs testing common/refresh.c share
 * (test_refresh.c, issue and rotation; test_refresh_revoke.c, revocation
 * and purge): the database and the users of the suite, a family made as
 * the password grant makes it (sso_token.c: a session of auth_method
 * "token", remembered, then refresh_issue), each refresh.c call made
 * inside db_transact as in production, and the queries that tell what a
 * family, its session and the blacklist hold.
 */
#ifndef GH_TEST_REFRESH_H
#define GH_TEST_REFRESH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "refresh.h"
#include "session.h"
#include "test.h"
#include "test_backend.h"
#include "user.h"

#define ACCESS_LIFETIME 900
#define DEVICE "test-client/1.0"

static struct config cfg;
static struct db *db;
static int64_t alice, bob;

/* A family as the password grant makes it. */
struct family {
	int64_t user_id;
	char cookie[CRYPTO_TOKEN_LEN + 1];       /* its session's (never given out) */
	char session[CRYPTO_SHA256_HEX_LEN + 1]; /* the session's stored id */
	char id[CRYPTO_SHA256_HEX_LEN + 1];      /* the family's id */
	char token[REFRESH_TOKEN_LEN + 1];       /* its newest token */
	char jti[CRYPTO_TOKEN_LEN + 1];          /* the access token's issued with it */
	int64_t expires_at;                      /* the family's end */
};

/* The arguments and results of one refresh.c call (db_transact's arg). */
struct call {
	struct family *fam;
	const char *token; /* rotate, revoke_token: the token presented */
	int64_t now;
	struct refresh_family f;
	char next[REFRESH_TOKEN_LEN + 1];
	char jti[CRYPTO_TOKEN_LEN + 1];
	enum refresh_outcome out;
	int64_t user_id; /* revoke_token's */
};

/* grant_fn makes the session and the first token of c->fam (the
 * password grant's transaction, token_login in sso_token.c). */
static inline enum gh_err
grant_fn(struct db *d, void *arg)
{
	struct call *c = arg;
	struct family *fam = c->fam;
	const struct session_new sn = {
	    .user_id = fam->user_id, .auth_method = "token", .remember = true, .ip = "192.0.2.1"};
	struct session_info s;
	struct refresh_access a;
	enum gh_err e;

	if ((e = session_create(d, &cfg, &sn, fam->cookie)) != GH_OK ||
	    (e = session_lookup(d, &cfg, fam->cookie, &s)) != GH_OK)
		return e;
	memset(&c->f, 0, sizeof(c->f));
	memcpy(c->f.session, s.id, sizeof(c->f.session));
	c->f.user_id = s.user_id;
	memcpy(c->f.username, s.username, sizeof(c->f.username));
	memcpy(c->f.email, s.email, sizeof(c->f.email));
	memcpy(c->f.roles, s.roles, sizeof(c->f.roles));
	c->f.expires_at = s.expires_at;
	if ((e = crypto_token(fam->jti)) != GH_OK)
		return e;
	a.jti = fam->jti;
	a.expires_at = c->now + ACCESS_LIFETIME;
	return refresh_issue(d, &c->f, &a, c->now, DEVICE, fam->token);
}

/* new_family makes a family of user (false when that fails). */
static inline bool
new_family(int64_t user, struct family *fam)
{
	struct call c = {.fam = fam, .now = (int64_t)time(NULL)};

	memset(fam, 0, sizeof(*fam));
	fam->user_id = user;
	if (db_transact(db, grant_fn, &c) != GH_OK)
		return false;
	memcpy(fam->session, c.f.session, sizeof(fam->session));
	memcpy(fam->id, c.f.family, sizeof(fam->id));
	fam->expires_at = c.f.expires_at;
	return true;
}

static inline enum gh_err
rotate_fn(struct db *d, void *arg)
{
	struct call *c = arg;
	struct refresh_access a = {.jti = c->jti, .expires_at = c->now + ACCESS_LIFETIME};
	enum gh_err e;

	if ((e = crypto_token(c->jti)) != GH_OK)
		return e;
	return refresh_rotate(d, c->token, &a, c->now, DEVICE, &c->f, c->next, &c->out);
}

/* rotate presents token at now in c (its outcome, f, next and the new
 * access jti there); the error of the transaction. */
static inline enum gh_err
rotate_at(const char *token, int64_t now, struct call *c)
{
	memset(c, 0, sizeof(*c));
	c->token = token;
	c->now = now;
	c->out = REFRESH_VALID; /* overwritten */
	return db_transact(db, rotate_fn, c);
}

/* rotate presents token now: its outcome (REFRESH_INVALID + 10 when the
 * transaction failed, which no check takes for an outcome). */
static inline int
rotate(const char *token, struct call *c)
{
	return rotate_at(token, (int64_t)time(NULL), c) == GH_OK ? (int)c->out
	                                                         : (int)REFRESH_INVALID + 10;
}

/* advance rotates fam's newest token: true when it was valid (fam then
 * holds the next token and its jti). */
static inline bool
advance(struct family *fam)
{
	struct call c;

	if (rotate(fam->token, &c) != REFRESH_VALID)
		return false;
	memcpy(fam->token, c.next, sizeof(fam->token));
	memcpy(fam->jti, c.jti, sizeof(fam->jti));
	return true;
}

static inline enum gh_err
revoke_token_fn(struct db *d, void *arg)
{
	struct call *c = arg;

	return refresh_revoke_token(d, c->token, c->now, &c->user_id);
}

/* revoke_token revokes the family of token (RFC 7009) now: the user id it
 * gives, -1 when the transaction failed. */
static inline int64_t
revoke_token(const char *token)
{
	struct call c = {.token = token, .now = (int64_t)time(NULL), .user_id = -2};

	return db_transact(db, revoke_token_fn, &c) == GH_OK ? c.user_id : -1;
}

/* One value of sql with the texts a and b (NULL: not bound) bound; -1 when
 * there is none. */
static inline int64_t
query2(const char *sql, const char *a, const char *b)
{
	struct db_stmt *st;
	bool row = false;
	int64_t v = -1;
	enum gh_err e;

	if (db_prepare(db, sql, &st) != GH_OK)
		return -1;
	if (a == NULL)
		e = GH_OK;
	else if (b == NULL)
		e = db_bind(st, DB_TEXT(a));
	else
		e = db_bind(st, DB_TEXT(a), DB_TEXT(b));
	if (e == GH_OK && db_step(st, &row) == GH_OK && row)
		v = db_column_int64(st, 0);
	db_done(st);
	return v;
}

static inline int64_t
query(const char *sql, const char *a)
{
	return query2(sql, a, NULL);
}

/* id_of writes the stored id of token into id. */
static inline void
id_of(const char *token, char id[CRYPTO_SHA256_HEX_LEN + 1])
{
	crypto_sha256_hex(token, strlen(token), id);
}

/* The rows of family (all of them; those not revoked). */
static inline int64_t
family_rows(const struct family *fam)
{
	return query("SELECT count(*) FROM refresh_tokens WHERE family_id = ?", fam->id);
}

static inline int64_t
family_live_rows(const struct family *fam)
{
	return query(
	    "SELECT count(*) FROM refresh_tokens WHERE family_id = ? AND revoked_at IS NULL",
	    fam->id);
}

/* session_live tells whether fam's session still looks up. */
static inline bool
session_live(const struct family *fam)
{
	struct session_info s;

	return session_lookup(db, &cfg, fam->cookie, &s) == GH_OK;
}

/* blacklisted tells whether jti is in revoked_jti. */
static inline bool
blacklisted(const char *jti)
{
	return query("SELECT count(*) FROM revoked_jti WHERE jti = ?", jti) == 1;
}

/* fully_revoked tells whether fam is ended as a reuse or a revocation
 * ends it: every row revoked, its session too, its newest access token on
 * the blacklist. */
static inline bool
fully_revoked(const struct family *fam)
{
	return family_rows(fam) > 0 && family_live_rows(fam) == 0 && !session_live(fam) &&
	       blacklisted(fam->jti);
}

/* untouched tells whether fam is as it was: no row revoked, its session
 * live, its access token not on the blacklist. */
static inline bool
untouched(const struct family *fam)
{
	return family_rows(fam) > 0 && family_live_rows(fam) == family_rows(fam) &&
	       session_live(fam) && !blacklisted(fam->jti);
}

/* leaks counts the cells of refresh_tokens that hold the secret part of
 * token (-1 when the table cannot be read). */
static inline int
leaks(const char *token)
{
	struct db_stmt *st;
	const char *v;
	int n = 0, rows = 0;
	bool row;

	if (db_prepare(db, "SELECT * FROM refresh_tokens", &st) != GH_OK)
		return -1;
	while (db_step(st, &row) == GH_OK && row) {
		rows++;
		for (int i = 0; i < db_column_count(st); i++)
			if ((v = db_column_text(st, i)) != NULL &&
			    strstr(v, token + REFRESH_PREFIX_LEN) != NULL)
				n++;
	}
	db_done(st);
	return rows > 0 ? n : -1;
}

static inline int64_t
add_user(const char *name, const char *email)
{
	int64_t id = -1;

	if (user_add(db, name, email, NULL, &id) != GH_OK)
		return -1;
	return id;
}

static inline bool
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
	alice = add_user("alice", "alice@example.org");
	bob = add_user("bob", NULL);
	db_exec(db, "INSERT INTO roles (name) VALUES ('editor'), ('zeta')");
	return alice > 0 && bob > 0 && user_set_roles(db, alice, "zeta,admin,editor") == GH_OK;
}

static inline void
tear_down(void)
{
	db_close(db);
	db = NULL;
}

#endif
