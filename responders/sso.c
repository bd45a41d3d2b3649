/*
 * gatehouse-sso: single sign-on with partner sites.
 *
 *   <prefix>/sso        a partner sends its user here with a signed JWT
 *                       (GET ?token=, or a POST form from the partner's
 *                       page): verified with the partner's one key and
 *                       algorithm (jws.h), its jti used once across every
 *                       web server (partner.h), then a session like a
 *                       login's (auth_method "sso"), and a redirect to a
 *                       target of the partner's allowlist.  Every refusal
 *                       is one generic page; the reason goes to the audit
 *                       trail ("sso_refused") and the log.
 *   <prefix>/sso/out    a logged-in user is sent to partner=NAME's sso_url
 *                       with a short-lived JWT signed by Gatehouse's key.
 *   <prefix>/jwks.json  Gatehouse's published public keys (signkey.h).
 *   <prefix>/token, <prefix>/token/revoke
 *                       the token API (sso_token.c).
 *
 * Partner keys and Gatehouse's keys are read once, at start.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "buf.h"
#include "crypto.h"
#include "jwks.h"
#include "jws.h"
#include "log.h"
#include "login_flow.h"
#include "partner.h"
#include "server.h"
#include "session.h"
#include "signkey.h"
#include "sso.h"
#include "url.h"
#include "user.h"

#define SSO_FAILED "Single sign-on failed."

static struct partner_set sso_partners;
static struct signkey_set sso_keys;
static struct jwt_access_keys sso_public; /* what verifies access tokens */
static char *sso_jwks;                    /* the JSON text of <prefix>/jwks.json */

const struct signkey *
sso_signing_key(void)
{
	return signkey_active(&sso_keys);
}

const struct jwt_access_keys *
sso_access_keys(void)
{
	return &sso_public;
}

/* -- Inbound -------------------------------------------------------------- */

/* sso_refuse answers the one refusal page and records why. */
static void
sso_refuse(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct partner *p, const char *why)
{
	const char *name = p != NULL ? p->cfg->name : "";
	const struct audit_field fields[] = {AUDIT_TEXT("partner", name)};
	const struct audit_event ev = {
	    .type = AUDIT_SSO_REFUSED,
	    .result = AUDIT_FAILURE,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .reason = why,
	    .context = fields,
	    .ncontext = p != NULL ? 1 : 0,
	};
	const struct template_var vars[] = {
	    {"title", "Single sign-on"},
	    {"message", SSO_FAILED},
	    {"login_link", "1"},
	};

	if (p != NULL)
		log_msg(LOG_NOTICE, "sso refused from %s: %s (partner %s)", req->remote_addr, why,
		    p->cfg->name);
	else
		log_msg(LOG_NOTICE, "sso refused from %s: %s", req->remote_addr, why);
	server_log_auth_failure(req, NULL, "sso_refused");
	if (audit_write(ctx->db, &ev) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		return;
	}
	server_page(ctx, res, 403, "message", vars, sizeof(vars) / sizeof(vars[0]));
}

/* What a verified partner token opens, and why it did not. */
struct sso_login {
	const struct config *cfg;
	const struct partner *p;
	const char *who;    /* the user claim's value */
	char username[256]; /* the account it opens */
	const char *roles;  /* mapped from the partner's claims */
	const struct request *req;
	char token[CRYPTO_TOKEN_LEN + 1];
	const char *why; /* set when refused (GH_EDENIED) */
};

/* sso_user finds the user the claim names (by user name, or by e-mail for
 * user_claim = email) and locks its row: GH_OK with *id, its name in
 * l->username and whether it is active. */
static enum gh_err
sso_user(struct db *db, struct sso_login *l, int64_t *id, bool *active)
{
	struct db_stmt *st;
	/* The row is locked (user.h, user_lock) until the session is made. */
	static const char *const sqls[2][2] = {
	    {"SELECT id, status, username FROM users WHERE username = ?",
	        "SELECT id, status, username FROM users WHERE username = ? FOR UPDATE"},
	    {"SELECT id, status, username FROM users WHERE email = ?",
	        "SELECT id, status, username FROM users WHERE email = ? FOR UPDATE"},
	};
	const char *sql =
	    sqls[l->p->cfg->user_claim == CONFIG_CLAIM_EMAIL][db_dialect(db) != DB_SQLITE];
	const char *status, *name;
	enum gh_err e;
	bool row;

	if ((e = db_prepare(db, sql, &st)) != GH_OK)
		return e;
	if ((e = db_bind_text(st, 1, l->who)) != GH_OK || (e = db_step(st, &row)) != GH_OK) {
		db_done(st);
		return e;
	}
	if (!row) {
		db_done(st);
		return GH_ENOTFOUND;
	}
	*id = db_column_int64(st, 0);
	status = db_column_text(st, 1);
	name = db_column_text(st, 2);
	*active = status != NULL && strcmp(status, "active") == 0 && name != NULL &&
	          strlen(name) < sizeof(l->username);
	if (*active)
		memcpy(l->username, name, strlen(name) + 1);
	db_done(st);
	return GH_OK;
}

/* sso_provision adds the user a partner vouches for (auto_provision). */
static enum gh_err
sso_provision(struct db *db, struct sso_login *l, int64_t *id)
{
	const char *email = l->p->cfg->user_claim == CONFIG_CLAIM_EMAIL ? l->who : NULL;
	enum gh_err e = user_add(db, l->who, email, NULL, id);

	if (e == GH_EINVAL || e == GH_EEXISTS) {
		l->why = e == GH_EINVAL ? "user name not acceptable" : "user name or e-mail taken";
		return GH_EDENIED;
	}
	if (e != GH_OK)
		return e;
	const struct audit_field ctx[] = {
	    AUDIT_TEXT("username", l->who),
	    AUDIT_TEXT("by", "sso"),
	    AUDIT_TEXT("partner", l->p->cfg->name),
	};
	const struct audit_event ev = {
	    .type = AUDIT_USER_ADDED,
	    .result = AUDIT_SUCCESS,
	    .user_id = *id,
	    .ip = l->req->remote_addr,
	    .user_agent = l->req->user_agent,
	    .context = ctx,
	    .ncontext = sizeof(ctx) / sizeof(ctx[0]),
	};
	return audit_write(db, &ev);
}

/* sso_begin_session finds (or makes) the user, makes the session and
 * writes its audit rows (db_transact's fn). */
static enum gh_err
sso_begin_session(struct db *db, void *arg)
{
	struct sso_login *l = arg;
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	int64_t user_id = 0;
	bool active = false;
	enum gh_err e;

	e = sso_user(db, l, &user_id, &active);
	if (e == GH_ENOTFOUND && l->p->cfg->auto_provision) {
		if ((e = sso_provision(db, l, &user_id)) != GH_OK)
			return e;
		snprintf(l->username, sizeof(l->username), "%s", l->who);
		active = true;
	} else if (e == GH_ENOTFOUND) {
		l->why = "unknown user";
		return GH_EDENIED;
	} else if (e != GH_OK)
		return e;
	if (!active) {
		l->why = "user not active";
		return GH_EDENIED;
	}
	const struct session_new sn = {
	    .user_id = user_id,
	    .auth_method = "sso",
	    .ip = l->req->remote_addr,
	    .user_agent = l->req->user_agent,
	    .extra_roles = l->roles,
	};
	if ((e = session_create(db, l->cfg, &sn, l->token)) == GH_ETOOBIG) {
		l->why = "too many roles";
		return GH_EDENIED;
	}
	if (e != GH_OK || (e = user_record_login(db, user_id)) != GH_OK)
		return e;
	crypto_sha256_hex(l->token, CRYPTO_TOKEN_LEN, id);
	const struct audit_field ctx[] = {
	    AUDIT_TEXT("username", l->username),
	    AUDIT_TEXT("claim", l->who),
	    AUDIT_TEXT("auth_method", "sso"),
	    AUDIT_TEXT("partner", l->p->cfg->name),
	    AUDIT_TEXT("roles", l->roles),
	    AUDIT_TEXT("session", id),
	};
	const struct audit_event ev = {
	    .type = AUDIT_LOGIN_SUCCESS,
	    .result = AUDIT_SUCCESS,
	    .user_id = user_id,
	    .ip = l->req->remote_addr,
	    .user_agent = l->req->user_agent,
	    .context = ctx,
	    .ncontext = sizeof(ctx) / sizeof(ctx[0]),
	};
	return audit_write(db, &ev);
}

/* sso_inbound takes the partner token of a GET or a POST. */
static void
sso_inbound(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call, const char *token, const char *next)
{
	const struct partner *p;
	const json_t *jti;
	json_t *claims = NULL;
	char roles[SESSION_ROLES_MAX + 1];
	int64_t now = (int64_t)time(NULL);
	enum jws_refusal r;
	enum gh_err e;

	if (token == NULL || token[0] == '\0') {
		sso_refuse(ctx, req, res, NULL, "no token");
		return;
	}
	if (strnlen(token, JWS_MAX_LEN + 1) > JWS_MAX_LEN) {
		sso_refuse(ctx, req, res, NULL, jws_refusal_text(JWS_TOO_LONG));
		return;
	}
	if ((r = partner_for_token(&sso_partners, token, &p)) != JWS_OK) {
		sso_refuse(ctx, req, res, NULL,
		    r == JWS_BAD_ISSUER ? "unknown partner" : jws_refusal_text(r));
		return;
	}
	if ((r = jws_verify(token, &p->key, &p->rules, now, &claims)) != JWS_OK) {
		sso_refuse(ctx, req, res, p, jws_refusal_text(r));
		return;
	}
	struct sso_login l = {.cfg = ctx->cfg, .p = p, .req = req, .roles = roles};
	if (next == NULL || next[0] == '\0')
		next = p->cfg->default_redirect;
	else if (!partner_redirect_allowed(p->cfg, next)) {
		sso_refuse(ctx, req, res, p, "redirect not allowed");
		goto out;
	}
	if ((l.who = partner_user_value(p->cfg, claims)) == NULL) {
		sso_refuse(ctx, req, res, p, "no user claim");
		goto out;
	}
	if (partner_roles(p->cfg, claims, roles, sizeof(roles)) != GH_OK) {
		sso_refuse(ctx, req, res, p, "too many roles");
		goto out;
	}
	/* The jti is spent first, on its own: a token is used at most once,
	 * even when what follows fails. */
	jti = json_object_get(claims, "jti");
	e = partner_jti_use(ctx->db, p->cfg, json_string_value(jti),
	    (int64_t)json_integer_value(json_object_get(claims, "exp")) + p->cfg->skew);
	if (e == GH_EEXISTS) {
		sso_refuse(ctx, req, res, p, "replayed jti");
		goto out;
	}
	if (e == GH_OK)
		e = db_transact(ctx->db, sso_begin_session, &l);
	if (e == GH_EDENIED) {
		sso_refuse(ctx, req, res, p, l.why);
		goto out;
	}
	if (e != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}
	/* No fixation: whatever session the client had is revoked. */
	if (call->session_token != NULL)
		session_revoke(ctx->db, call->session_token);
	log_msg(LOG_NOTICE, "sso login for %s from %s (partner %s)", l.username, req->remote_addr,
	    p->cfg->name);
	response_redirect(res, 303, next);
	server_set_cookie(ctx, req, res, "", l.token, 0);
out:
	crypto_wipe(l.token, sizeof(l.token));
	json_decref(claims);
}

enum { SSO_TOKEN, SSO_NEXT };

static void
sso_get(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	sso_inbound(
	    ctx, req, res, call, kvlist_get(&req->query, "token"), kvlist_get(&req->query, "next"));
}

static void
sso_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	sso_inbound(ctx, req, res, call, call->values[SSO_TOKEN], call->values[SSO_NEXT]);
}

/* A field refused by the pipeline (missing, or over its size). */
static void
sso_invalid(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	sso_refuse(ctx, req, res, NULL, call->error);
}

/* -- Outbound ------------------------------------------------------------- */

/* sso_out_claims makes the claims of the token for partner c. */
static json_t *
sso_out_claims(const struct config *cfg, const struct config_partner *c,
    const struct session_info *s, int64_t now, char jti[CRYPTO_TOKEN_LEN + 1])
{
	json_t *claims, *roles;
	const char *r, *e;

	if (crypto_token(jti) != GH_OK || (roles = json_array()) == NULL)
		return NULL;
	for (r = s->roles; *r != '\0'; r = *e == ',' ? e + 1 : e) {
		if ((e = strchr(r, ',')) == NULL)
			e = r + strlen(r);
		if (e > r)
			json_array_append_new(roles, json_stringn(r, (size_t)(e - r)));
	}
	claims = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I, s:I}", "iss", cfg->sso_issuer, "aud",
	    c->out_audience, "sub", s->username, "roles", roles, "jti", jti, "iat", (json_int_t)now,
	    "exp", (json_int_t)(now + cfg->sso_out_lifetime));
	if (claims != NULL && s->email[0] != '\0')
		json_object_set_new(claims, "email", json_string(s->email));
	return claims;
}

static void
sso_out(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	const struct config *cfg = ctx->cfg;
	const char *name = kvlist_get(&req->query, "partner");
	const char *next = kvlist_get(&req->query, "next");
	const struct config_partner *c = config_partner_find(cfg, name);
	const struct signkey *k = signkey_active(&sso_keys);
	const struct session_info *s = call->session;
	char jti[CRYPTO_TOKEN_LEN + 1], *token = NULL;
	int64_t now = (int64_t)time(NULL);
	json_t *claims = NULL;
	struct buf url;

	if (c == NULL || c->sso_url == NULL) {
		server_error(ctx, req, res, 404, "No such partner.");
		return;
	}
	if (next != NULL && strlen(next) > URL_NEXT_MAX) {
		server_error(ctx, req, res, 400, "The page to go to is too long.");
		return;
	}
	buf_init(&url);
	if (k == NULL || cfg->sso_issuer == NULL ||
	    (claims = sso_out_claims(cfg, c, s, now, jti)) == NULL ||
	    jws_sign(k->alg == SIGNKEY_ES256 ? CONFIG_ES256 : CONFIG_RS256, k->pem, k->pem_len,
	        k->kid, claims, &token) != GH_OK) {
		server_error(ctx, req, res, 500, "Internal server error.");
		goto out;
	}
	buf_puts(&url, c->sso_url);
	buf_putc(&url, strchr(c->sso_url, '?') != NULL ? '&' : '?');
	buf_puts(&url, "token=");
	buf_puts(&url, token);
	if (next != NULL && next[0] != '\0') {
		buf_puts(&url, "&next=");
		buf_put_urlenc(&url, next);
	}
	const struct audit_field fields[] = {
	    AUDIT_TEXT("username", s->username),
	    AUDIT_TEXT("partner", c->name),
	    AUDIT_TEXT("jti", jti),
	    AUDIT_TEXT("kid", k->kid),
	};
	const struct audit_event ev = {
	    .type = AUDIT_SSO_ISSUED,
	    .result = AUDIT_SUCCESS,
	    .user_id = s->user_id,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .context = fields,
	    .ncontext = sizeof(fields) / sizeof(fields[0]),
	};
	if (url.err || audit_write(ctx->db, &ev) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}
	log_msg(LOG_INFO, "sso token for %s sent to partner %s", s->username, c->name);
	response_redirect(res, 303, url.data);
out:
	buf_cleanup(&url);
	free(token);
	json_decref(claims);
}

/* -- Keys ----------------------------------------------------------------- */

static void
sso_jwks_get(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	(void)ctx;
	(void)req;
	(void)call;
	response_json(res, 200, sso_jwks);
}

/* sso_jwks_build makes the JSON of every published key. */
static enum gh_err
sso_jwks_build(char *err, size_t errlen)
{
	enum gh_err e = signkey_jwks(&sso_keys, &sso_jwks);

	if (e != GH_OK)
		snprintf(
		    err, errlen, "[sso] keys_dir: cannot publish the keys: %s", gh_strerror(e));
	return e;
}

/* The partners' keys and ours, read once. */
static enum gh_err
sso_process_init(const struct config *cfg, char *err, size_t errlen)
{
	int64_t now = (int64_t)time(NULL);
	enum gh_err e;

	if ((e = partner_load(cfg, &sso_partners, err, errlen)) != GH_OK)
		return e;
	e = signkey_load(cfg->sso_keys_dir, now, signkey_lifetime(cfg), &sso_keys, err, errlen);
	if (e == GH_ENOTFOUND) {
		/* No key: fine for a site that only takes partners' tokens. */
		for (size_t i = 0; i < cfg->npartners; i++)
			if (cfg->partners[i].sso_url != NULL) {
				snprintf(err, errlen,
				    "[partner %s] sso_url: no signing key in %s "
				    "(gatehousectl keys generate)",
				    cfg->partners[i].name, cfg->sso_keys_dir);
				return GH_ECONFIG;
			}
		e = GH_OK;
	}
	if (e != GH_OK)
		return e;
	if (sso_keys.nkeys > 0 && cfg->sso_issuer == NULL) {
		snprintf(err, errlen, "[sso] issuer: needed to sign tokens (keys are in %s)",
		    cfg->sso_keys_dir);
		return GH_ECONFIG;
	}
	if ((e = jwt_access_keys_of(&sso_keys, &sso_public, err, errlen)) != GH_OK ||
	    (e = login_flow_process_init(cfg, err, errlen)) != GH_OK)
		return e;
	return sso_jwks_build(err, errlen);
}

int
main(int argc, char **argv)
{
	static const char https_only[] = "HTTPS is required to sign in.";
	static const struct route_field fields[] = {
	    [SSO_TOKEN] = {"token", JWS_MAX_LEN, false, "token too long"},
	    [SSO_NEXT] = {"next", URL_NEXT_MAX, false, "redirect not allowed"},
	};
	static const struct route routes[] = {
	    {.path = "/sso",
	        .methods = ROUTE_GET,
	        .caller = ROUTE_ANYONE,
	        .https_only = https_only,
	        .handler = sso_get},
	    {.path = "/sso",
	        .methods = ROUTE_POST,
	        .caller = ROUTE_ANYONE,
	        .https_only = https_only,
	        .csrf = ROUTE_CSRF_SELF_PROVING,
	        .csrf_purpose = "sso",
	        .handler = sso_post,
	        .fields = fields,
	        .nfields = sizeof(fields) / sizeof(fields[0]),
	        .invalid = sso_invalid},
	    {.path = "/sso/out",
	        .methods = ROUTE_GET,
	        .caller = ROUTE_SESSION,
	        .https_only = https_only,
	        .handler = sso_out},
	    {.path = "/jwks.json",
	        .methods = ROUTE_GET,
	        .caller = ROUTE_ANYONE,
	        .handler = sso_jwks_get},
	    {.path = "/token",
	        .methods = ROUTE_POST,
	        .caller = ROUTE_ANYONE,
	        .https_only = "HTTPS is required.",
	        .csrf = ROUTE_CSRF_SELF_PROVING,
	        .csrf_purpose = "token",
	        .handler = sso_token_post,
	        .fields = sso_token_fields,
	        .nfields = SSO_TOKEN_NFIELDS,
	        .invalid = sso_token_invalid,
	        .api = true},
	    {.path = "/token/revoke",
	        .methods = ROUTE_POST,
	        .caller = ROUTE_ANYONE,
	        .https_only = "HTTPS is required.",
	        .csrf = ROUTE_CSRF_SELF_PROVING,
	        .csrf_purpose = "token_revoke",
	        .handler = sso_token_revoke,
	        .fields = sso_revoke_fields,
	        .nfields = SSO_REVOKE_NFIELDS,
	        .invalid = sso_token_invalid,
	        .api = true},
	};
	static const struct server_program prog = {
	    .name = "gatehouse-sso",
	    .routes = routes,
	    .nroutes = sizeof(routes) / sizeof(routes[0]),
	    /* The form of the longest token and next, percent-encoded. */
	    .body_min = JWS_MAX_LEN + 3 * URL_NEXT_MAX + 64,
	    .json_body = true,
	    .process_init = sso_process_init,
	    .thread_init = login_flow_thread_init,
	    .thread_cleanup = login_flow_thread_cleanup,
	};
	int status = server_main(&prog, argc, argv);

	partner_cleanup(&sso_partners);
	signkey_cleanup(&sso_keys);
	jwt_access_keys_cleanup(&sso_public);
	free(sso_jwks);
	return status;
}
