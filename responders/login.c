/*
 * gatehouse-login: the login page, <prefix>/login.
 *
 * GET shows the form, bound to a random pre-login cookie by its CSRF token.
 * POST (its token checked by the pipeline, route.h) verifies the password
 * (auth.h).  Every way a login can fail (unknown user, wrong password,
 * account not active) gives the same status, the same page and about the
 * same time (auth_password), and so does a right password while the
 * account is locked out (lockout.h); before any hash, a client that failed
 * too often is answered 429 (throttle.h, server_throttle).  Every refusal
 * is recorded the same way: a line in the log, a fixed-shape line for
 * fail2ban and a row in the audit trail (audit.h); so are the start of a
 * lockout and of a client's block.  The log never names a name no user
 * has: it may be a password typed in the wrong field.  Success revokes any
 * session the client already had, makes a new one (no fixation) with its
 * audit row in the same transaction, and redirects to a safe "next".  No
 * login, accepted or refused, goes unrecorded: when its audit row cannot
 * be written, the answer is 503 and no session is made.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "lockout.h"
#include "log.h"
#include "password.h"
#include "server.h"
#include "session.h"
#include "throttle.h"
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

/* The audit row of a refused login: the user when it exists (else its
 * tag, never the name as typed) and why it was refused. */
static enum gh_err
login_audit_failure(struct server_ctx *ctx, const struct request *req, const struct user *u,
    enum auth_refusal why, const char *tag)
{
	const struct audit_field known[] = {AUDIT_TEXT("username", u->username)};
	const struct audit_field unknown[] = {AUDIT_TEXT("name_tag", tag)};
	const struct audit_event ev = {
	    .type = AUDIT_LOGIN_FAILURE,
	    .result = AUDIT_FAILURE,
	    .user_id = u->id,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .reason = auth_refusal_word(why),
	    .context = u->username != NULL ? known : unknown,
	    .ncontext = 1,
	};

	return audit_write(ctx->db, &ev);
}

/* The one place a lockout starts: its log line and audit row (for a name
 * no user has, under its tag). */
static enum gh_err
login_audit_lockout(struct server_ctx *ctx, const struct request *req, const struct user *u,
    const char *tag, const struct lockout_result *lo)
{
	const struct audit_field context[] = {
	    u->username != NULL ? AUDIT_TEXT("username", u->username) : AUDIT_TEXT("name_tag", tag),
	    AUDIT_INT("failures", lo->count),
	    AUDIT_INT("until", lo->until),
	};
	const struct audit_event ev = {
	    .type = AUDIT_LOCKOUT,
	    .result = AUDIT_FAILURE,
	    .user_id = u->id,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .reason = "too_many_failures",
	    .context = context,
	    .ncontext = sizeof(context) / sizeof(context[0]),
	};

	log_msg(LOG_NOTICE, "lockout of %s%s after %lld failures, until %lld",
	    u->username != NULL ? "" : "unknown name #", u->username != NULL ? u->username : tag,
	    (long long)lo->count, (long long)lo->until);
	return audit_write(ctx->db, &ev);
}

/* A successful login: the new session and its audit row. */
struct login_success {
	const struct config *cfg;
	const struct user *user;
	struct session_new sn;
	char *token; /* CRYPTO_TOKEN_LEN + 1 bytes, the new session's cookie */
};

/* login_begin_session makes the session and its audit row (db_transact's fn). */
static enum gh_err
login_begin_session(struct db *db, void *arg)
{
	struct login_success *ls = arg;
	char id[CRYPTO_SHA256_HEX_LEN + 1];
	enum gh_err e;

	if ((e = session_create(db, ls->cfg, &ls->sn, ls->token)) != GH_OK)
		return e;
	crypto_sha256_hex(ls->token, CRYPTO_TOKEN_LEN, id);
	const struct audit_field ctx[] = {
	    AUDIT_TEXT("username", ls->user->username),
	    AUDIT_TEXT("auth_method", ls->sn.auth_method),
	    AUDIT_BOOL("remember", ls->sn.remember),
	    AUDIT_TEXT("session", id),
	};
	const struct audit_event ev = {
	    .type = AUDIT_LOGIN_SUCCESS,
	    .result = AUDIT_SUCCESS,
	    .user_id = ls->user->id,
	    .ip = ls->sn.ip,
	    .user_agent = ls->sn.user_agent,
	    .context = ctx,
	    .ncontext = sizeof(ctx) / sizeof(ctx[0]),
	};
	return audit_write(db, &ev);
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
	char token[CRYPTO_TOKEN_LEN + 1], tag[AUTH_TAG_LEN + 1];
	int64_t now = (int64_t)time(NULL);
	struct lockout_result lo;
	struct throttle_seen seen;
	struct user u;
	enum auth_refusal why;
	enum gh_err e;

	memset(&u, 0, sizeof(u));
	/* Before any hash: a client that failed too often gets 429. */
	if (server_throttle(ctx, req, res, now, &seen))
		return;
	e = auth_password(ctx->db, ctx->users, cfg, username, password, &u, &why);
	/* Locked out: the right password is refused like a wrong one (it was
	 * verified all the same, so the time does not tell either). */
	if (e == GH_OK && lockout_is_locked(&u, now)) {
		e = GH_EDENIED;
		why = AUTH_LOCKED;
	}
	if (e == GH_EDENIED) {
		/* Every refusal does the same work: the counters, the tag, the
		 * lines, the rows. */
		if (server_throttle_fail(ctx, req, &seen, now) != GH_OK) {
			server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
			goto out;
		}
		if (lockout_fail(ctx->db, cfg, username, &u, now, &lo) != GH_OK)
			lo.started = false;
		auth_name_tag(cfg, username, tag);
		/* A name no user has is logged as a tag, never as typed. */
		if (u.username != NULL) {
			log_msg(LOG_NOTICE, "login failure for %s from %s (%s)", u.username,
			    req->remote_addr, auth_refusal_word(why));
		} else {
			log_msg(LOG_NOTICE, "login failure for unknown name #%s from %s (%s)", tag,
			    req->remote_addr, auth_refusal_word(why));
		}
		/* For fail2ban: one fixed shape (gatehouse-login(8), LOG). */
		log_msg(LOG_NOTICE, "auth failure: client=%s user=#%s reason=%s", req->remote_addr,
		    tag, auth_refusal_word(why));
		if (login_audit_failure(ctx, req, &u, why, tag) != GH_OK ||
		    (lo.started && login_audit_lockout(ctx, req, &u, tag, &lo) != GH_OK)) {
			server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
			goto out;
		}
		login_form(ctx, res, call, 401, next, LOGIN_FAILED);
		goto out;
	}
	if (e != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
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
	if (db_transact(ctx->db, login_begin_session, &ls) != GH_OK) {
		crypto_wipe(token, sizeof(token));
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		goto out;
	}
	user_record_login(ctx->db, u.id);
	lockout_reset(ctx->db, &u);
	log_msg(LOG_NOTICE, "login success for %s from %s", u.username, req->remote_addr);

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

	if (cfg->users_source != CONFIG_USERS_EXTERNAL)
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
	    .process_init = login_process_init,
	    .thread_init = login_thread_init,
	    .thread_cleanup = login_thread_cleanup,
	};

	return server_main(&prog, argc, argv);
}
