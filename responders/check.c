/*
 * gatehouse-check: the decision the web server asks for on every protected
 * request.
 *
 * In the FastCGI AUTHORIZER role (Apache mod_authnz_fcgi, lighttpd's
 * authorizer mode) a grant is "Status: 200 OK" with only Variable-* headers:
 * the web server turns them into request variables, and any other header on a
 * 200 would leak to the client under Apache.  In the RESPONDER role (nginx
 * auth_request) a grant carries X-Gatehouse-* headers instead, and a missing
 * session is a plain 401 because nginx turns any other status into a 500.
 *
 * This is the hot path: one prepared, indexed read per request (session.c),
 * nothing written on most requests, no allocation beyond the request copy.
 * On a server database a session found valid is kept in the process's
 * cache (session_cache.h), which the database empties of whatever it
 * changes (session_feed.h): then most requests do not reach the database
 * at all.
 *
 * A request with an Authorization header is decided by that header alone
 * (check_credential.c: access tokens, personal access tokens); a request
 * without one costs nothing more for it.
 */
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "check.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "session_cache.h"
#include "session_feed.h"
#include "url.h"

/* The process's session cache on a server database (NULL: none, on SQLite
 * or with [check] cache = off), shared by the worker threads. */
static struct session_cache *check_cache;

void
check_grant(const struct request *req, struct response *res, const char *username, int64_t user_id,
    const char *email, const char *roles)
{
	char id[32];

	snprintf(id, sizeof(id), "%lld", (long long)user_id);
	res->status = 200;
	if (req->role == REQUEST_AUTHORIZER) {
		response_header(res, "Variable-REMOTE_USER", username);
		response_header(res, "Variable-GATEHOUSE_USER", username);
		response_header(res, "Variable-GATEHOUSE_USER_ID", id);
		response_header(res, "Variable-GATEHOUSE_EMAIL", email);
		response_header(res, "Variable-GATEHOUSE_ROLES", roles);
	} else {
		response_header(res, "X-Gatehouse-User", username);
		response_header(res, "X-Gatehouse-User-Id", id);
		response_header(res, "X-Gatehouse-Email", email);
		response_header(res, "X-Gatehouse-Roles", roles);
	}
}

/*
 * No valid session: an API client gets 401 JSON; a browser goes to the login
 * page with next.  In the RESPONDER role (nginx auth_request) the answer must
 * stay a 401, so the login URL travels in X-Gatehouse-Login for the web
 * server's error_page to redirect to (nginx cannot percent-encode next).  A
 * URI longer than the login page would accept as next is left out: encoded,
 * it could outgrow the web server's buffer for an authorizer's headers (a
 * 500 under Apache and nginx).
 */
static void
check_unauthenticated(struct server_ctx *ctx, const struct request *req, struct response *res)
{
	struct buf loc;

	if (request_wants_json(req)) {
		response_json(res, 401, "{\"error\":\"unauthorized\"}");
		return;
	}
	buf_init(&loc);
	buf_puts(&loc, ctx->cfg->login_url);
	if (strlen(req->uri) <= URL_NEXT_MAX) {
		buf_puts(&loc, strchr(ctx->cfg->login_url, '?') ? "&next=" : "?next=");
		buf_put_urlenc(&loc, req->uri);
	}
	if (loc.err)
		response_text(res, 500, "Internal server error\n");
	else if (req->role == REQUEST_RESPONDER) {
		response_text(res, 401, "Unauthorized\n");
		response_header(res, "X-Gatehouse-Login", loc.data);
	} else
		response_redirect(res, 302, loc.data);
	buf_cleanup(&loc);
}

static void
check_forbidden(const struct request *req, struct response *res)
{
	if (request_wants_json(req) || req->role == REQUEST_RESPONDER)
		response_json(res, 403, "{\"error\":\"forbidden\"}");
	else
		response_text(res, 403, "Forbidden\n");
}

static void
check_handle(struct server_ctx *ctx, const struct request *req, struct response *res)
{
	const struct config *cfg = ctx->cfg;
	const struct access_rule *rule;
	struct session_info s;
	char name[128];
	const char *token = NULL;
	enum gh_err e;

	rule = access_match(cfg->rules, cfg->nrules, req->host, req->path);
	if (rule == NULL) {
		check_forbidden(req, res);
		return;
	}
	if (rule->action == ACCESS_BYPASS) {
		res->status = 200;
		return;
	}
	if (req->authorization[0] != '\0') {
		check_credential(ctx, req, res, rule);
		return;
	}
	if (req->https || cfg->insecure_cookies)
		token = kvlist_get(
		    &req->cookies, session_cookie_name(cfg, req->https, name, sizeof(name)));
	if (token == NULL) {
		check_unauthenticated(ctx, req, res);
		return;
	}
	e = session_lookup_cached(ctx->db, cfg, check_cache, token, &s);
	if (e == GH_ENOTFOUND) {
		check_unauthenticated(ctx, req, res);
		return;
	}
	if (e != GH_OK) {
		/* Fail closed: the database is down or broken. */
		response_text(res, 503, "Service temporarily unavailable\n");
		return;
	}
	if (rule->action == ACCESS_ROLE && !access_roles_has(s.roles, rule->role)) {
		log_msg(LOG_INFO, "check denied: user %s lacks role %s", s.username, rule->role);
		check_forbidden(req, res);
		return;
	}
	check_grant(req, res, s.username, s.user_id, s.email, s.roles);
}

/* check_init reads the keys of access tokens, makes the session cache and
 * starts its feed, where there is one to make. */
static enum gh_err
check_init(const struct config *cfg, char *err, size_t errlen)
{
	enum gh_err e = check_credential_init(cfg, err, errlen);

	if (e != GH_OK)
		return e;
	if (!cfg->check_cache || !db_url_is_server(cfg->db_url))
		return GH_OK;
	check_cache =
	    session_cache_new((size_t)cfg->check_cache_size, cfg->check_cache_max_age * 1000);
	if (check_cache == NULL) {
		snprintf(err, errlen, "[check] cache: out of memory");
		return GH_ENOMEM;
	}
	return session_feed_start(cfg, check_cache, err, errlen);
}

int
main(int argc, char **argv)
{
	static const struct server_program prog = {
	    .name = "gatehouse-check",
	    .decide = check_handle,
	    /* X-Forwarded-For for the throttle of a credential (throttle.h). */
	    .decide_parts = REQUEST_PARSE_FORWARDED_AUTH,
	    .process_init = check_init,
	};

	return server_main(&prog, argc, argv);
}
