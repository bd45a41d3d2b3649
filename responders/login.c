/*
 * gatehouse-login: the login page, <prefix>/login.
 *
 * GET shows the form, bound to a random pre-login cookie by its CSRF token.
 * POST verifies the token, then the password.  Every way a login can fail
 * (unknown user, wrong password, account not active) gives the same status,
 * the same page and about the same time: each costs one verification, of the
 * user's own hash (before the status is looked at) or of the dummy hash made
 * at start like the store's hashes (see password.h).  The log never names a
 * name no user has: it may be a password typed in the wrong field.  Success
 * revokes any session the client already had, makes a new one (no fixation)
 * and redirects to a safe "next".
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "csrf.h"
#include "extuser.h"
#include "log.h"
#include "password.h"
#include "server.h"
#include "session.h"
#include "url.h"
#include "user.h"

#define LOGIN_FAILED "Invalid username or password."
#define LOGIN_CSRF_PURPOSE "login"
#define LOGIN_TAG_LEN 8 /* hex digits of the tag of an unknown name in the log */

/* The next target kept through the form: the given one if safe, else the default. */
static const char *
login_next(const struct config *cfg, const char *next)
{
	if (next != NULL && *next != '\0' && url_next_is_safe(next, cfg->allowed_hosts))
		return next;
	return cfg->default_next;
}

/* Renders the form with the route's CSRF token (bound to the pre-login
 * cookie, which the pipeline sets when the client has none). */
static void
login_form(struct server_ctx *ctx, struct response *res, const struct route_call *call,
    int status, const char *next, const char *error)
{
	const struct template_var vars[] = {
		{"title", "Log in"},
		{"csrf", call->csrf},
		{"next", login_next(ctx->cfg, next)},
		{"error", error},
	};
	server_page(ctx, res, status, "login", vars, sizeof(vars) / sizeof(vars[0]));
}

static void
login_get(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	login_form(ctx, res, call, 200, kvlist_get(&req->query, "next"), "");
}

/* Warns once per process when the store holds a hash that does not take the
 * dummy's time: unknown users are then answered at another speed than this
 * user (the operator should set [users] password_scheme and bcrypt_cost to
 * the table's). */
static void
login_check_dummy_like(const char *hash)
{
	static atomic_bool warned;

	if (hash == NULL || password_dummy_matches(hash) || atomic_exchange(&warned, true))
		return;
	log_msg(LOG_WARNING,
	    "[users] password_scheme, bcrypt_cost: a hash of the external table "
	    "starts %.7s, unlike the dummy hash verified for unknown users, so the "
	    "two are refused in different times; set them to the table's hashes",
	    hash);
}

/*
 * login_verify for [users] source = external: the hash comes from the other
 * application's table (never rehashed: that table is read-only to us), then
 * the local shadow row must be active too (an admin may disable it here).
 * A refusal of a user who exists leaves at least u->username set.
 */
static enum gh_err
login_verify_external(struct server_ctx *ctx, const char *username, const char *password,
    struct user *u)
{
	struct extuser x;
	int64_t id;
	enum gh_err e = extuser_find(ctx->users, ctx->cfg, username, &x);

	if (e == GH_ENOTFOUND) {
		password_verify_dummy(ctx->cfg, password);
		return GH_EDENIED;
	}
	if (e != GH_OK)
		return GH_EDB;
	login_check_dummy_like(x.password_hash);
	/* One verification whatever the hash: a NULL or unusable one costs
	 * the dummy's. */
	if (!password_verify(password, x.password_hash) || !x.active) {
		e = GH_EDENIED;
		goto out;
	}
	e = extuser_shadow(ctx->db, &x, &id);
	if (e == GH_EEXISTS)
		e = GH_EDENIED;
	if (e == GH_OK)
		e = user_find_id(ctx->db, id, u);
	if (e == GH_OK && strcmp(u->status, "active") != 0)
		e = GH_EDENIED;
	if (e == GH_OK && extuser_record_login(ctx->users, ctx->cfg, &x) != GH_OK)
		log_msg(LOG_WARNING, "[users] update_last_login failed for %s", x.username);
out:
	if (e == GH_EDENIED && u->username == NULL)
		u->username = strdup(x.username); /* for the log; NULL is fine too */
	extuser_cleanup(&x);
	return e;
}

/*
 * Verifies the credentials; *u is filled when the user exists (for an
 * external user refused before its shadow row, only u->username).  Returns
 * GH_OK only for an active user with the right password, GH_EDENIED for every
 * refused login, GH_EDB when the database failed.  Every refusal costs one
 * verification like a wrong password's: the user's own hash, or the dummy
 * (password_verify and password.h).
 */
static enum gh_err
login_verify(struct server_ctx *ctx, const char *username, const char *password, struct user *u)
{
	if (ctx->users != NULL)
		return login_verify_external(ctx, username, password, u);

	enum gh_err e = user_find(ctx->db, username, u);
	bool ok;

	if (e == GH_ENOTFOUND) {
		password_verify_dummy(ctx->cfg, password);
		return GH_EDENIED;
	}
	if (e != GH_OK)
		return e;
	/* A user without a hash (SSO only) costs the dummy's verification. */
	ok = password_verify(password, u->password_hash);
	if (!ok || strcmp(u->status, "active") != 0)
		return GH_EDENIED;
	return GH_OK;
}

/* login_name_tag writes the first 8 hex digits of HMAC-SHA-256([general]
 * secret, "log-name|" name): what the log says of a name no user has, which
 * is often a password typed into the wrong field.  The same name always gives
 * the same tag (attempts can be correlated) but without the secret no
 * dictionary turns a tag back into the name. */
static void
login_name_tag(const struct config *cfg, const char *name, char out[LOGIN_TAG_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	static const char purpose[] = "log-name|";
	unsigned char mac[CRYPTO_SHA256_LEN];
	struct buf msg;

	buf_init(&msg);
	buf_append(&msg, purpose, sizeof(purpose) - 1);
	buf_append(&msg, name, strlen(name));
	if (msg.err) {
		memset(out, '?', LOGIN_TAG_LEN); /* out of memory: no tag, still no name */
		out[LOGIN_TAG_LEN] = '\0';
		buf_cleanup(&msg);
		return;
	}
	crypto_hmac_sha256(cfg->secret, strlen(cfg->secret), msg.data, msg.len, mac);
	for (size_t i = 0; i < LOGIN_TAG_LEN / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0x0f];
	}
	out[LOGIN_TAG_LEN] = '\0';
	crypto_wipe(mac, sizeof(mac));
	buf_cleanup(&msg); /* wipes the name */
}

/* Replaces a hash weaker than the configured scheme; a failure only logs. */
static void
login_rehash(struct server_ctx *ctx, const struct user *u, const char *password)
{
	char hash[PASSWORD_HASH_MAX];

	if (u->password_hash == NULL || !password_needs_rehash(ctx->cfg, u->password_hash))
		return;
	if (password_hash(ctx->cfg, password, hash) == GH_OK &&
	    user_set_password(ctx->db, u->id, hash) == GH_OK)
		log_msg(LOG_INFO, "rehashed password of user %s", u->username);
	crypto_wipe(hash, sizeof(hash));
}

/* The pipeline has checked the CSRF token and the origin. */
static void
login_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	const struct config *cfg = ctx->cfg;
	const char *username = kvlist_get(&req->form, "username");
	const char *password = kvlist_get(&req->form, "password");
	const char *next = kvlist_get(&req->form, "next");
	const char *remember = kvlist_get(&req->form, "remember");
	char token[CRYPTO_TOKEN_LEN + 1], tag[LOGIN_TAG_LEN + 1];
	struct user u;
	enum gh_err e;

	memset(&u, 0, sizeof(u));
	e = login_verify(ctx, username ? username : "", password ? password : "", &u);
	if (e == GH_EDENIED) {
		/* A name no user has is logged as a tag, never as typed. */
		if (u.username != NULL) {
			log_msg(LOG_NOTICE, "login failure for %s from %s", u.username,
			    req->remote_addr);
		} else {
			login_name_tag(cfg, username ? username : "", tag);
			log_msg(LOG_NOTICE, "login failure for unknown name #%s from %s", tag,
			    req->remote_addr);
		}
		login_form(ctx, res, call, 401, next, LOGIN_FAILED);
		goto out;
	}
	if (e != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}

	login_rehash(ctx, &u, password);
	/* No fixation: whatever session the client had is revoked. */
	if (call->session_token != NULL)
		session_revoke(ctx->db, call->session_token);
	bool remember_me = remember != NULL && *remember != '\0';
	struct session_new sn = {
		.user_id = u.id,
		.auth_method = "form",
		.remember = remember_me,
		.ip = req->remote_addr,
		.user_agent = req->user_agent,
	};
	if (session_create(ctx->db, cfg, &sn, token) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}
	user_record_login(ctx->db, u.id);
	log_msg(LOG_NOTICE, "login success for %s from %s", u.username, req->remote_addr);

	response_redirect(res, 303, login_next(cfg, next));
	server_set_cookie(ctx, req, res, "", token, remember_me ? (long)cfg->remember_timeout : 0);
	server_set_cookie(ctx, req, res, "_csrf", "", -1);
	crypto_wipe(token, sizeof(token));
out:
	user_cleanup(&u);
}

/* Made before the first request, so that the first unknown user does not
 * pay for making it (and be told apart by that). */
static enum gh_err
login_process_init(const struct config *cfg, char *err, size_t errlen)
{
	if (password_dummy_init(cfg) == GH_OK)
		return GH_OK;
	snprintf(err, errlen,
	    "cannot make the dummy password hash ([login] or [users] password_scheme)");
	return GH_ECONFIG;
}

/* An external user store: a connection of its own per worker. */
static enum gh_err
login_thread_init(struct server_ctx *ctx, char *err, size_t errlen)
{
	const struct config *cfg = ctx->cfg;
	enum gh_err e;

	if (strcmp(cfg->users_source, "external") != 0)
		return GH_OK;
	e = db_open(cfg->users_url, cfg->users_password, cfg->db_busy_timeout_ms, &ctx->users);
	if (e != GH_OK)
		snprintf(err, errlen, "[users] url: cannot open: %s", gh_strerror(e));
	return e;
}

static void
login_thread_cleanup(struct server_ctx *ctx)
{
	db_close(ctx->users);
	ctx->users = NULL;
}

int
main(int argc, char **argv)
{
	static const char https_only[] = "HTTPS is required to log in.";
	static const struct route routes[] = {
		{"/login", ROUTE_GET, ROUTE_ANYONE, NULL, https_only, ROUTE_CSRF_PRELOGIN,
		    LOGIN_CSRF_PURPOSE, login_get},
		{"/login", ROUTE_POST, ROUTE_ANYONE, NULL, https_only, ROUTE_CSRF_PRELOGIN,
		    LOGIN_CSRF_PURPOSE, login_post},
	};
	static const struct server_program prog = {
		.name = "gatehouse-login",
		.routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.process_init = login_process_init,
		.thread_init = login_thread_init,
		.thread_cleanup = login_thread_cleanup,
	};

	return server_main(&prog, argc, argv);
}
