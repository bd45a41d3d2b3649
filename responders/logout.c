/*
 * gatehouse-logout: <prefix>/logout.
 *
 * GET shows a confirm form (a link or an image must not be able to log a user
 * out); POST with the session's CSRF token revokes the session in the
 * database, so every web server sharing it refuses the cookie at once, and
 * deletes the cookie.  Without a session, GET says so and POST goes to the
 * login page (the pipeline, route.h).
 */
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

/* The pipeline has checked the session, the CSRF token and the origin. */
static void
logout_post(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	if (session_revoke_id(ctx->db, call->session->id) != GH_OK) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		return;
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
