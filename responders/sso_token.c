/*
 * sso_token.c: the token API of gatehouse-sso, for API clients.
 *
 *   POST <prefix>/token         grant_type=password (username, password)
 *                               or grant_type=refresh_token (refresh_token):
 *                               an access token (jwt_access.h) and the next
 *                               refresh token of its family (refresh.h)
 *   POST <prefix>/token/revoke  token (RFC 7009): a refresh token's family,
 *                               or an access token onto the blacklist
 *
 * Bodies are urlencoded forms (RFC 6749) or flat JSON objects; every
 * answer is JSON (API routes, route.h), errors as RFC 6749 §5.2 says.  No
 * cookie is read or set and no CSRF token asked: the credentials in the
 * body prove the request.
 *
 * The password grant is the login page's check (login_flow.h: throttle,
 * lockout, the same record of every refusal) and then a session like a
 * login's, auth_method "token", whose cookie is never given out: the
 * session is what ends the tokens (logout everywhere, a new password, a
 * change of roles...).  A refresh token that fails counts against its
 * client like a wrong password; one used twice revokes its family and is
 * recorded ("token_reuse").  The access token is signed inside the
 * transaction that stores its refresh token: both are given, or neither.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "log.h"
#include "login_flow.h"
#include "sso.h"

#define TOKEN_BAD_LOGIN "Invalid username or password."
#define TOKEN_BAD_REFRESH "Invalid refresh token."

const struct route_field sso_token_fields[SSO_TOKEN_NFIELDS] = {
    [SSO_TOKEN_GRANT] = {"grant_type", 64, false, "grant_type is missing."},
    [SSO_TOKEN_USERNAME] = {"username", 254, false, TOKEN_BAD_LOGIN},
    [SSO_TOKEN_PASSWORD] = {"password", 4096, false, TOKEN_BAD_LOGIN},
    [SSO_TOKEN_REFRESH] = {"refresh_token", 256, false, TOKEN_BAD_REFRESH},
};

const struct route_field sso_revoke_fields[SSO_REVOKE_NFIELDS] = {
    [SSO_REVOKE_TOKEN] = {"token", JWS_MAX_LEN, true, "token is missing."},
};

/* token_error answers error (RFC 6749 §5.2) with its description. */
static void
token_error(struct response *res, int status, const char *error, const char *description)
{
	json_t *o = json_pack("{s:s, s:s}", "error", error, "error_description", description);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	response_json(res, status, s != NULL ? s : "{\"error\":\"server_error\"}");
	free(s);
	json_decref(o);
}

void
sso_token_invalid(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	(void)ctx;
	(void)req;
	token_error(res, 400, "invalid_request", call->error);
}

/* -- Grants --------------------------------------------------------------- */

/* A grant, made inside one transaction. */
struct token_grant {
	const struct config *cfg;
	const struct request *req;
	const struct user *user; /* the password grant's verified user */
	const char *presented;   /* the refresh grant's token */
	char device[AUDIT_USER_AGENT_MAX + 1];
	int64_t now;
	struct refresh_family f;
	struct jwt_access_claims c;
	char refresh[REFRESH_TOKEN_LEN + 1];
	char *access; /* signed, malloc'd */
	enum refresh_outcome outcome;
};

/* token_access makes the access token of family g->f (its jti chosen
 * already) and signs it. */
static enum gh_err
token_access(struct token_grant *g)
{
	const struct signkey *k = sso_signing_key();

	g->c.user_id = g->f.user_id;
	memcpy(g->c.username, g->f.username, sizeof(g->c.username));
	memcpy(g->c.email, g->f.email, sizeof(g->c.email));
	memcpy(g->c.roles, g->f.roles, sizeof(g->c.roles));
	return k == NULL ? GH_ECONFIG : jwt_access_sign(g->cfg, k, &g->c, &g->access);
}

/* token_jti chooses the next access token's jti and times. */
static enum gh_err
token_jti(struct token_grant *g, struct refresh_access *a)
{
	enum gh_err e = crypto_token(g->c.jti);

	g->c.iat = g->now;
	g->c.exp = g->now + g->cfg->token_access_lifetime;
	a->jti = g->c.jti;
	a->expires_at = g->c.exp;
	return e;
}

/* token_login makes the session of a password grant, the first refresh
 * token of its family, and the access token (db_transact's fn). */
static enum gh_err
token_login(struct db *db, void *arg)
{
	struct token_grant *g = arg;
	char cookie[CRYPTO_TOKEN_LEN + 1];
	struct session_info s;
	struct refresh_access a;
	const struct session_new sn = {
	    .user_id = g->user->id,
	    .auth_method = "token",
	    .remember = true, /* the session lasts as long as the family */
	    .ip = g->req->remote_addr,
	    .user_agent = g->req->user_agent,
	};
	enum gh_err e;

	/* The session as made (its roles, its end), read back. */
	if ((e = login_flow_session(db, g->cfg, g->user, &sn, cookie)) == GH_OK)
		e = session_lookup(db, g->cfg, cookie, &s);
	crypto_wipe(cookie, sizeof(cookie));
	if (e != GH_OK)
		return e == GH_ENOTFOUND ? GH_EDB : e;
	memcpy(g->f.session, s.id, sizeof(g->f.session));
	g->f.user_id = s.user_id;
	memcpy(g->f.username, s.username, sizeof(g->f.username));
	memcpy(g->f.email, s.email, sizeof(g->f.email));
	memcpy(g->f.roles, s.roles, sizeof(g->f.roles));
	g->f.expires_at = s.expires_at;
	if ((e = token_jti(g, &a)) != GH_OK ||
	    (e = refresh_issue(db, &g->f, &a, g->now, g->device, g->refresh)) != GH_OK)
		return e;
	return token_access(g);
}

/* token_rotate consumes the presented refresh token and makes the next
 * pair, or records a reuse (db_transact's fn: GH_OK for every outcome). */
static enum gh_err
token_rotate(struct db *db, void *arg)
{
	struct token_grant *g = arg;
	struct refresh_access a;
	enum gh_err e;

	if ((e = token_jti(g, &a)) != GH_OK ||
	    (e = refresh_rotate(
	         db, g->presented, &a, g->now, g->device, &g->f, g->refresh, &g->outcome)) != GH_OK)
		return e;
	if (g->outcome == REFRESH_VALID)
		return token_access(g);
	if (g->outcome != REFRESH_REUSED)
		return GH_OK;
	const struct audit_field fields[] = {
	    AUDIT_TEXT("username", g->f.username),
	    AUDIT_TEXT("family", g->f.family),
	    AUDIT_TEXT("session", g->f.session),
	};
	const struct audit_event ev = {
	    .type = AUDIT_TOKEN_REUSE,
	    .result = AUDIT_FAILURE,
	    .user_id = g->f.user_id,
	    .ip = g->req->remote_addr,
	    .user_agent = g->req->user_agent,
	    .reason = "refresh_token_reused",
	    .context = fields,
	    .ncontext = sizeof(fields) / sizeof(fields[0]),
	};
	return audit_write(db, &ev);
}

/* token_answer sends the pair of a grant (RFC 6749 §5.1). */
static void
token_answer(struct response *res, const struct token_grant *g)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "access_token", g->access, "token_type",
	    "Bearer", "expires_in", (json_int_t)(g->c.exp - g->c.iat), "refresh_token", g->refresh);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s == NULL)
		token_error(res, 500, "server_error", "Internal server error.");
	else
		response_json(res, 200, s);
	if (s != NULL)
		crypto_wipe(s, strlen(s));
	free(s);
	json_decref(o);
}

static void
token_grant_cleanup(struct token_grant *g)
{
	if (g->access != NULL)
		crypto_wipe(g->access, strlen(g->access));
	free(g->access);
	crypto_wipe(g->refresh, sizeof(g->refresh));
}

static void
token_password(struct server_ctx *ctx, const struct request *req, struct response *res,
    struct token_grant *g, const char *username, const char *password)
{
	struct user u;
	enum gh_err e;

	if (username[0] == '\0' || password[0] == '\0') {
		token_error(res, 400, "invalid_request", "username and password are required.");
		return;
	}
	switch (login_flow_verify(ctx, req, res, username, password, g->now, &u)) {
	case LOGIN_GRANTED:
		break;
	case LOGIN_REFUSED:
		token_error(res, 400, "invalid_grant", TOKEN_BAD_LOGIN);
		goto out;
	case LOGIN_ANSWERED:
		goto out;
	}
	g->user = &u;
	if ((e = db_transact(ctx->db, token_login, g)) == GH_EDENIED) {
		/* The password changed while it was verified (login_flow.h). */
		token_error(res, 400, "invalid_grant", TOKEN_BAD_LOGIN);
		goto out;
	}
	if (e != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}
	login_flow_done(ctx, req, &u);
	token_answer(res, g);
out:
	user_cleanup(&u);
}

static void
token_refresh(struct server_ctx *ctx, const struct request *req, struct response *res,
    struct token_grant *g, const char *presented)
{
	struct throttle_seen seen;

	if (presented[0] == '\0') {
		token_error(res, 400, "invalid_request", "refresh_token is required.");
		return;
	}
	/* A refresh token is a secret like a password: guesses are counted. */
	if (server_throttle(ctx, req, res, g->now, &seen))
		return;
	g->presented = presented;
	if (db_transact(ctx->db, token_rotate, g) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		return;
	}
	if (g->outcome == REFRESH_VALID) {
		log_msg(
		    LOG_INFO, "token refreshed for %s from %s", g->f.username, req->remote_addr);
		token_answer(res, g);
		return;
	}
	if (g->outcome == REFRESH_REUSED)
		log_msg(LOG_WARNING,
		    "refresh token reused for %s from %s: its family and session are revoked",
		    g->f.username, req->remote_addr);
	else
		log_msg(LOG_NOTICE, "refresh token refused from %s", req->remote_addr);
	server_log_auth_failure(
	    req, NULL, g->outcome == REFRESH_REUSED ? "refresh_reused" : "bad_refresh_token");
	if (server_throttle_fail(ctx, req, &seen, g->now) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		return;
	}
	token_error(res, 400, "invalid_grant", TOKEN_BAD_REFRESH);
}

void
sso_token_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	const char *grant = call->values[SSO_TOKEN_GRANT];
	struct token_grant g = {.cfg = ctx->cfg, .req = req, .now = (int64_t)time(NULL)};

	if (grant[0] == '\0') {
		token_error(res, 400, "invalid_request", "grant_type is missing.");
		return;
	}
	if (strcmp(grant, "password") != 0 && strcmp(grant, "refresh_token") != 0) {
		token_error(res, 400, "unsupported_grant_type", "Use password or refresh_token.");
		return;
	}
	if (sso_signing_key() == NULL || ctx->cfg->sso_issuer == NULL) {
		log_msg(LOG_ERR, "token API: no signing key in %s", ctx->cfg->sso_keys_dir);
		token_error(res, 503, "temporarily_unavailable", "The token API is not set up.");
		return;
	}
	audit_user_agent(req->user_agent, g.device);
	if (strcmp(grant, "password") == 0)
		token_password(ctx, req, res, &g, call->values[SSO_TOKEN_USERNAME],
		    call->values[SSO_TOKEN_PASSWORD]);
	else
		token_refresh(ctx, req, res, &g, call->values[SSO_TOKEN_REFRESH]);
	token_grant_cleanup(&g);
}

/* -- Revocation ------------------------------------------------------------ */

/* A revocation, made inside one transaction. */
struct token_revocation {
	const struct request *req;
	const char *token;
	const struct jwt_access_claims *access; /* a verified access token, or NULL */
	int64_t now;
	int64_t user_id; /* whose token it was (0: nothing revoked) */
};

/* token_revoke_apply revokes a refresh token's family or an access token,
 * with the audit row "token_revoked" (db_transact's fn). */
static enum gh_err
token_revoke_apply(struct db *db, void *arg)
{
	struct token_revocation *r = arg;
	const char *kind = r->access != NULL ? "access" : "refresh";
	enum gh_err e;

	bool listed = false;

	if (r->access != NULL) {
		/* One audit row per token revoked, not per request. */
		if ((e = jwt_access_revoked(db, r->access->jti, &listed)) == GH_OK && !listed &&
		    (e = jwt_access_revoke(db, r->access->jti, r->access->exp)) == GH_OK)
			r->user_id = r->access->user_id;
	} else
		e = refresh_revoke_token(db, r->token, r->now, &r->user_id);
	if (e != GH_OK || r->user_id == 0)
		return e;
	const struct audit_field fields[] = {
	    AUDIT_TEXT("kind", kind),
	    AUDIT_TEXT("by", "client"),
	};
	const struct audit_event ev = {
	    .type = AUDIT_TOKEN_REVOKED,
	    .result = AUDIT_SUCCESS,
	    .user_id = r->user_id,
	    .ip = r->req->remote_addr,
	    .user_agent = r->req->user_agent,
	    .context = fields,
	    .ncontext = sizeof(fields) / sizeof(fields[0]),
	};
	return audit_write(db, &ev);
}

void
sso_token_revoke(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	struct jwt_access_claims c;
	struct token_revocation r = {
	    .req = req,
	    .token = call->values[SSO_REVOKE_TOKEN],
	    .now = (int64_t)time(NULL),
	};

	/* An access token is revoked only when it verifies: nothing else
	 * may write to the blacklist. */
	if (!refresh_token_valid(r.token) &&
	    jwt_access_verify(ctx->cfg, sso_access_keys(), r.token, r.now, &c) == JWS_OK)
		r.access = &c;
	else if (!refresh_token_valid(r.token)) {
		response_json(res, 200, "{}");
		return;
	}
	if (db_transact(ctx->db, token_revoke_apply, &r) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		return;
	}
	if (r.user_id != 0)
		log_msg(LOG_INFO, "%s token revoked by its client from %s",
		    r.access != NULL ? "access" : "refresh", req->remote_addr);
	/* RFC 7009 §2.2: 200 whether or not the token was valid. */
	response_json(res, 200, "{}");
}
