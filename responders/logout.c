/*
 * gatehouse-logout: <prefix>/logout.
 *
 * GET shows a confirm form (a link or an image must not be able to log a user
 * out); POST with the session's CSRF token revokes the session in the
 * database, so every web server sharing it refuses the cookie at once, and
 * deletes the cookie.
 */
#include <string.h>

#include "csrf.h"
#include "log.h"
#include "server.h"
#include "session.h"

#define LOGOUT_CSRF_PURPOSE "logout"

static void
logout_handle(struct server_ctx *ctx, const struct request *req, struct response *res)
{
	struct session_info s;
	char name[160], csrf[CSRF_TOKEN_LEN + 1];
	const char *token = NULL;
	enum gh_err e = GH_ENOTFOUND;

	if (!server_route_is(ctx, req, "/logout")) {
		server_error(ctx, req, res, 404, "Not found.");
		return;
	}
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0 &&
	    strcmp(req->method, "POST") != 0) {
		server_error(ctx, req, res, 405, "Method not allowed.");
		response_header(res, "Allow", "GET, POST");
		return;
	}
	if (server_cookies_allowed(ctx, req) &&
	    server_cookie_name(ctx, req, "", name, sizeof(name)) != NULL)
		token = kvlist_get(&req->cookies, name);
	if (token != NULL)
		e = session_lookup(ctx->db, ctx->cfg, token, &s);
	if (e != GH_OK && e != GH_ENOTFOUND) {
		server_error(ctx, req, res, 503, "Service temporarily unavailable, try again later.");
		return;
	}

	if (strcmp(req->method, "POST") != 0) {
		if (e == GH_ENOTFOUND) {
			const struct template_var vars[] = {
				{"title", "Log out"},
				{"message", "You are not logged in."},
				{"login_link", "1"},
			};
			server_page(ctx, res, 200, "message", vars, sizeof(vars) / sizeof(vars[0]));
			return;
		}
		csrf_token(ctx->cfg, LOGOUT_CSRF_PURPOSE, s.id, csrf);
		const struct template_var vars[] = {
			{"title", "Log out"},
			{"csrf", csrf},
			{"username", s.username},
		};
		server_page(ctx, res, 200, "logout", vars, sizeof(vars) / sizeof(vars[0]));
		return;
	}

	if (e == GH_ENOTFOUND) {
		response_redirect(res, 303, ctx->cfg->login_url);
		return;
	}
	if (!csrf_origin_ok(req) ||
	    !csrf_verify(ctx->cfg, LOGOUT_CSRF_PURPOSE, s.id, kvlist_get(&req->form, "csrf"))) {
		log_msg(LOG_WARNING, "logout refused: bad CSRF token or origin from %s",
		    req->remote_addr);
		server_error(ctx, req, res, 403,
		    "This form has expired or was sent from another site. Please go back and try again.");
		return;
	}
	if (session_revoke(ctx->db, token) != GH_OK) {
		server_error(ctx, req, res, 503, "Service temporarily unavailable, try again later.");
		return;
	}
	log_msg(LOG_NOTICE, "logout of %s from %s", s.username, req->remote_addr);
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
	static const struct server_program prog = {
		.name = "gatehouse-logout",
		.handler = logout_handle,
		.needs_templates = true,
	};

	return server_main(&prog, argc, argv);
}
