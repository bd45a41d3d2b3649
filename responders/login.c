/*
 * gatehouse-login: the login page, <prefix>/login.
 *
 * GET shows the form, bound to a random pre-login cookie by its CSRF token.
 * POST (its token checked by the pipeline, route.h) verifies the password
 * (login_flow.h, shared with the token API: throttle, lockout, the same
 * work and record for every refusal).  Every way a login can fail gives
 * the same status and the same page.  Success revokes any
 * session the client already had, makes a new one (no fixation) with its
 * audit row in the same transaction, and redirects to a safe "next".  No
 * login, accepted or refused, goes unrecorded: when its audit row cannot
 * be written, the answer is 503 and no session is made.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "login_flow.h"
#include "server.h"
#include "session.h"
#include "url.h"
#include "user.h"

#define LOGIN_FAILED "Invalid username or password."
#define LOGIN_CSRF_PURPOSE "login"

/* The login form's fields, in the route's order. */
enum { LOGIN_USERNAME, LOGIN_PASSWORD, LOGIN_NEXT, LOGIN_REMEMBER };

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
login_form(struct server_ctx *ctx, struct response *res, const struct route_call *call, int status,
    const char *next, const char *error)
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

/* A successful login's session and audit row (db_transact's fn). */
struct login_success {
	const struct config *cfg;
	const struct user *user;
	struct session_new sn;
	char *token; /* CRYPTO_TOKEN_LEN + 1 bytes, the new session's cookie */
};

static enum gh_err
login_begin_session(struct db *db, void *arg)
{
	struct login_success *ls = arg;

	return login_flow_session(db, ls->cfg, ls->user, &ls->sn, ls->token);
}

/* The pipeline has checked the CSRF token and the origin. */
static void
login_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	const struct config *cfg = ctx->cfg;
	const char *username = call->values[LOGIN_USERNAME];
	const char *password = call->values[LOGIN_PASSWORD];
	const char *next = call->values[LOGIN_NEXT];
	const char *remember = call->values[LOGIN_REMEMBER];
	char token[CRYPTO_TOKEN_LEN + 1];
	struct user u;
	enum gh_err e;

	switch (login_flow_verify(ctx, req, res, username, password, (int64_t)time(NULL), &u)) {
	case LOGIN_GRANTED:
		break;
	case LOGIN_REFUSED:
		login_form(ctx, res, call, 401, next, LOGIN_FAILED);
		goto out;
	case LOGIN_ANSWERED:
		goto out;
	}

	/* No fixation: whatever session the client had is revoked. */
	if (call->session_token != NULL)
		session_revoke(ctx->db, call->session_token);
	bool remember_me = *remember != '\0';
	struct login_success ls = {
	    .cfg = cfg,
	    .user = &u,
	    .token = token,
	    .sn =
	        {
	            .user_id = u.id,
	            .auth_method = "form",
	            .remember = remember_me,
	            .ip = req->remote_addr,
	            .user_agent = req->user_agent,
	        },
	};
	/* The session and its audit row, or neither: no login goes unrecorded. */
	if ((e = db_transact(ctx->db, login_begin_session, &ls)) != GH_OK) {
		crypto_wipe(token, sizeof(token));
		if (e == GH_EDENIED) /* the password changed meanwhile */
			login_form(ctx, res, call, 401, next, LOGIN_FAILED);
		else
			server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}
	login_flow_done(ctx, req, &u);

	response_redirect(res, 303, login_next(cfg, next));
	server_set_cookie(ctx, req, res, "", token, remember_me ? (long)cfg->remember_timeout : 0);
	server_set_cookie(ctx, req, res, "_csrf", "", -1);
	crypto_wipe(token, sizeof(token));
out:
	user_cleanup(&u);
}

/* A field refused by the pipeline: the form again, with its message. */
static void
login_invalid(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	(void)req;
	login_form(ctx, res, call, 400, NULL, call->error);
}

int
main(int argc, char **argv)
{
	static const char https_only[] = "HTTPS is required to log in.";
	static const struct route_field fields[] = {
	    [LOGIN_USERNAME] = {"username", 254, false, LOGIN_FAILED},
	    [LOGIN_PASSWORD] = {"password", 4096, false, LOGIN_FAILED},
	    [LOGIN_NEXT] = {"next", URL_NEXT_MAX, false, "The page to go to is too long."},
	    [LOGIN_REMEMBER] = {"remember", 8, false, "Invalid form."},
	};
	static const struct route routes[] = {
	    {.path = "/login",
	        .methods = ROUTE_GET,
	        .caller = ROUTE_ANYONE,
	        .https_only = https_only,
	        .csrf = ROUTE_CSRF_PRELOGIN,
	        .csrf_purpose = LOGIN_CSRF_PURPOSE,
	        .handler = login_get},
	    {.path = "/login",
	        .methods = ROUTE_POST,
	        .caller = ROUTE_ANYONE,
	        .https_only = https_only,
	        .csrf = ROUTE_CSRF_PRELOGIN,
	        .csrf_purpose = LOGIN_CSRF_PURPOSE,
	        .handler = login_post,
	        .fields = fields,
	        .nfields = sizeof(fields) / sizeof(fields[0]),
	        .invalid = login_invalid},
	};
	static const struct server_program prog = {
	    .name = "gatehouse-login",
	    .routes = routes,
	    .nroutes = sizeof(routes) / sizeof(routes[0]),
	    .templates = "login",
	    .process_init = login_flow_process_init,
	    .thread_init = login_flow_thread_init,
	    .thread_cleanup = login_flow_thread_cleanup,
	};

	return server_main(&prog, argc, argv);
}
