/*
 * gatehouse-logout: <prefix>/logout.
 *
 * GET shows a confirm form (a link or an image must not be able to log a user
 * out); POST with the session's CSRF token revokes the session in the
 * database, so every web server sharing it refuses the cookie at once, and
 * deletes the cookie, recording it in the audit trail (audit.h) in the same
 * transaction.  Without a session, GET says so and POST goes to the
 * login page (the pipeline, route.h).
 */
#include "audit.h"
#include "log.h"
#include "server.h"
#include "session.h"

#define LOGOUT_CSRF_PURPOSE "logout"

static void
logout_get(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	(void)req;
	if (call->session == NULL) {
		const struct template_var vars[] = {
		    {"title", "Log out"},
		    {"message", "You are not logged in."},
		    {"login_link", "1"},
		};
		server_page(ctx, res, 200, "message", vars, sizeof(vars) / sizeof(vars[0]));
		return;
	}
	const struct template_var vars[] = {
	    {"title", "Log out"},
	    {"csrf", call->csrf},
	    {"username", call->session->username},
	};
	server_page(ctx, res, 200, "logout", vars, sizeof(vars) / sizeof(vars[0]));
}

/* What a logout revokes and records. */
struct logout_op {
	const struct session_info *session;
	const struct request *req;
};

/* logout_end_session revokes the session and writes its audit row
 * (db_transact's fn). */
static enum gh_err
logout_end_session(struct db *db, void *arg)
{
	const struct logout_op *op = arg;
	enum gh_err e;

	if ((e = session_revoke_id(db, op->session->id)) != GH_OK)
		return e;
	const struct audit_field ctx[] = {
	    AUDIT_TEXT("username", op->session->username),
	    AUDIT_TEXT("session", op->session->id),
	};
	const struct audit_event ev = {
	    .type = AUDIT_LOGOUT,
	    .result = AUDIT_SUCCESS,
	    .user_id = op->session->user_id,
	    .ip = op->req->remote_addr,
	    .user_agent = op->req->user_agent,
	    .context = ctx,
	    .ncontext = sizeof(ctx) / sizeof(ctx[0]),
	};
	return audit_write(db, &ev);
}

/* The pipeline has checked the session, the CSRF token and the origin. */
static void
logout_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	const struct logout_op op = {.session = call->session, .req = req};

	/* The revocation and its audit row together; should the row fail, the
	 * revocation alone: a logout is never refused for want of its record
	 * (the error log keeps it, doc/behaviour.md). */
	if (db_transact(ctx->db, logout_end_session, (void *)&op) != GH_OK) {
		if (session_revoke_id(ctx->db, call->session->id) != GH_OK) {
			server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
			return;
		}
		log_msg(LOG_ERR,
		    "logout of %s (user id %lld) from %s: revoked without its audit row",
		    call->session->username, (long long)call->session->user_id, req->remote_addr);
	}
	log_msg(LOG_NOTICE, "logout of %s from %s", call->session->username, req->remote_addr);
	const struct template_var vars[] = {
	    {"title", "Logged out"},
	    {"message", "You have been logged out."},
	    {"login_link", "1"},
	};
	server_page(ctx, res, 200, "message", vars, sizeof(vars) / sizeof(vars[0]));
	server_set_cookie(ctx, req, res, "", "", -1);
}

int
main(int argc, char **argv)
{
	static const struct route routes[] = {
	    {.path = "/logout",
	        .methods = ROUTE_GET,
	        .caller = ROUTE_ANY_SESSION,
	        .csrf = ROUTE_CSRF_SESSION,
	        .csrf_purpose = LOGOUT_CSRF_PURPOSE,
	        .handler = logout_get},
	    {.path = "/logout",
	        .methods = ROUTE_POST,
	        .caller = ROUTE_SESSION,
	        .csrf = ROUTE_CSRF_SESSION,
	        .csrf_purpose = LOGOUT_CSRF_PURPOSE,
	        .handler = logout_post},
	};
	static const struct server_program prog = {
	    .name = "gatehouse-logout",
	    .routes = routes,
	    .nroutes = sizeof(routes) / sizeof(routes[0]),
	    .templates = "logout",
	};

	return server_main(&prog, argc, argv);
}
