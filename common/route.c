/*
 * route.c: the route table and request pipeline of the page responders (see
 * route.h).
 */
#include <string.h>

#include "access.h"
#include "crypto.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "server.h"

#define ROUTE_EXPIRED \
	"This form has expired or was sent from another site. Please go back and try again."

static unsigned
route_method(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return ROUTE_GET;
	if (strcmp(method, "POST") == 0)
		return ROUTE_POST;
	return 0;
}

/* route_allow returns the Allow header's value for a set of methods. */
static const char *
route_allow(unsigned methods)
{
	switch (methods & (ROUTE_GET | ROUTE_POST)) {
	case ROUTE_GET:
		return "GET, HEAD";
	case ROUTE_POST:
		return "POST";
	default:
		return "GET, HEAD, POST";
	}
}

/* route_binding returns what the CSRF token of route r is bound to on this
 * request, or NULL when there is nothing to bind to: the session id, or the
 * client's pre-login cookie when it has a well-formed one (else, for a GET,
 * a fresh one in fresh, *made set). */
static const char *
route_binding(struct server_ctx *ctx, const struct request *req, const struct route *r,
    const struct session_info *s, char fresh[CRYPTO_TOKEN_LEN + 1], bool *made)
{
	char name[160];
	const char *cookie = NULL;

	*made = false;
	if (r->csrf == ROUTE_CSRF_SESSION)
		return s != NULL ? s->id : NULL;
	if (r->csrf != ROUTE_CSRF_PRELOGIN)
		return NULL;
	if (server_cookie_name(ctx, req, "_csrf", name, sizeof(name)) != NULL)
		cookie = kvlist_get(&req->cookies, name);
	if (cookie != NULL && session_token_valid(cookie))
		return cookie;
	if (strcmp(req->method, "POST") == 0 || crypto_token(fresh) != GH_OK)
		return NULL;
	*made = true;
	return fresh;
}

/* route_session_token returns the session cookie as sent, or NULL when
 * there is none or cookies are not allowed on this request. */
static const char *
route_session_token(struct server_ctx *ctx, const struct request *req)
{
	char name[160];

	if (!server_cookies_allowed(ctx, req) ||
	    server_cookie_name(ctx, req, "", name, sizeof(name)) == NULL)
		return NULL;
	return kvlist_get(&req->cookies, name);
}

/* route_fields validates the form fields of r into call->values; false
 * with call->error at the first refused one, or for a JSON body that is
 * not one of fields (request.h). */
static bool
route_fields(const struct route *r, const struct request *req, struct route_call *call)
{
	if (req->body_malformed) {
		call->error = "The request body is not a flat JSON object of strings.";
		return false;
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const struct route_field *f = &r->fields[i];
		const char *v = kvlist_get(&req->form, f->name);

		if (v == NULL)
			v = "";
		if ((f->required && *v == '\0') || strlen(v) > f->max) {
			call->error = f->error;
			return false;
		}
		call->values[i] = v;
	}
	return true;
}

void
route_dispatch(const struct route *routes, size_t n, struct server_ctx *ctx,
    const struct request *req, struct response *res)
{
	const struct route *r = NULL;
	const char *https_only = NULL, *binding;
	unsigned method = route_method(req->method), path_methods = 0;
	struct session_info s;
	struct route_call call = {.session_token = route_session_token(ctx, req), .csrf = ""};
	char fresh[CRYPTO_TOKEN_LEN + 1], csrf[CSRF_TOKEN_LEN + 1];
	struct request api_req;
	bool made, api = false;
	enum gh_err e;

	for (size_t i = 0; i < n; i++) {
		if (!server_route_is(ctx, req, routes[i].path))
			continue;
		path_methods |= routes[i].methods;
		api = api || routes[i].api;
		if (routes[i].https_only != NULL)
			https_only = routes[i].https_only;
		if (r == NULL && (routes[i].methods & method) != 0)
			r = &routes[i];
	}
	if (path_methods == 0) {
		server_error(ctx, req, res, 404, "Not found.");
		return;
	}
	if (api) {
		/* A copy that says so, owning nothing: req keeps its strings. */
		api_req = *req;
		api_req.api = true;
		req = &api_req;
	}
	if (https_only != NULL && !server_cookies_allowed(ctx, req)) {
		server_error(ctx, req, res, 403, https_only);
		return;
	}
	if (r == NULL) {
		server_error(ctx, req, res, 405, "Method not allowed.");
		response_header(res, "Allow", route_allow(path_methods));
		return;
	}

	if (r->caller != ROUTE_ANYONE) {
		e = call.session_token == NULL
		        ? GH_ENOTFOUND
		        : session_lookup(ctx->db, ctx->cfg, call.session_token, &s);
		if (e != GH_OK && e != GH_ENOTFOUND) {
			server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
			return;
		}
		call.session = e == GH_OK ? &s : NULL;
	}
	if ((r->caller == ROUTE_SESSION || r->caller == ROUTE_ROLE) && call.session == NULL) {
		response_redirect(res, 303, ctx->cfg->login_url);
		return;
	}
	if (r->caller == ROUTE_ROLE && !access_roles_has(s.roles, r->role)) {
		log_msg(
		    LOG_INFO, "%s refused: user %s lacks role %s", r->path, s.username, r->role);
		server_error(ctx, req, res, 403, "Forbidden.");
		return;
	}

	binding = route_binding(ctx, req, r, call.session, fresh, &made);
	if (method == ROUTE_POST && r->csrf != ROUTE_CSRF_SELF_PROVING &&
	    (binding == NULL || !csrf_origin_ok(req) ||
	        !csrf_verify(ctx->cfg, r->csrf_purpose, binding, kvlist_get(&req->form, "csrf")))) {
		log_msg(LOG_WARNING, "%s refused: bad CSRF token or origin from %s",
		    r->csrf_purpose, req->remote_addr);
		server_error(ctx, req, res, 403, ROUTE_EXPIRED);
		return;
	}
	if (binding != NULL) {
		csrf_token(ctx->cfg, r->csrf_purpose, binding, csrf);
		call.csrf = csrf;
	} else if (r->csrf == ROUTE_CSRF_PRELOGIN) {
		server_error(ctx, req, res, 500, "Internal server error.");
		return;
	}

	if (method == ROUTE_POST && !route_fields(r, req, &call)) {
		if (r->invalid != NULL)
			r->invalid(ctx, req, res, &call);
		else
			server_error(ctx, req, res, 400, call.error);
	} else
		r->handler(ctx, req, res, &call);
	if (made)
		server_set_cookie(ctx, req, res, "_csrf", fresh, 0);
	crypto_wipe(fresh, sizeof(fresh));
}

const char *
route_table_problem(const struct route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &routes[i];

		if (r->path == NULL || r->path[0] != '/' || r->handler == NULL ||
		    (r->methods & ~(ROUTE_GET | ROUTE_POST)) != 0 || r->methods == 0)
			return "a route needs a path starting with /, methods and a handler";
		if ((r->methods & ROUTE_POST) != 0 && r->csrf == ROUTE_CSRF_NONE)
			return "a POST route needs a CSRF binding";
		if (r->csrf != ROUTE_CSRF_NONE && r->csrf_purpose == NULL)
			return "a route with a CSRF binding needs its purpose";
		if (r->csrf == ROUTE_CSRF_SELF_PROVING && r->caller != ROUTE_ANYONE)
			return "a self-proving POST reads no session (ROUTE_ANYONE)";
		if (r->csrf == ROUTE_CSRF_SESSION && r->caller == ROUTE_ANYONE)
			return "a CSRF token bound to the session needs the session looked up";
		if ((r->methods & ROUTE_POST) != 0 && r->csrf == ROUTE_CSRF_SESSION &&
		    r->caller == ROUTE_ANY_SESSION)
			return "a POST bound to the session needs a session (ROUTE_SESSION)";
		if ((r->caller == ROUTE_ROLE) != (r->role != NULL))
			return "a role is named by ROUTE_ROLE routes, and only by them";
		if (r->nfields > ROUTE_MAX_FIELDS || (r->nfields > 0 && r->methods != ROUTE_POST))
			return "form fields are for POST-only routes, ROUTE_MAX_FIELDS at most";
		for (size_t j = 0; j < r->nfields; j++)
			if (r->fields[j].name == NULL || r->fields[j].max == 0 ||
			    r->fields[j].error == NULL)
				return "a form field needs a name, a maximum length and an error";
		for (size_t j = 0; j < i; j++)
			if (strcmp(routes[j].path, r->path) == 0 &&
			    (routes[j].methods & r->methods))
				return "two routes answer the same method on one path";
	}
	return NULL;
}

void
route_print(const struct route *routes, size_t n, FILE *out)
{
	static const char *const callers[] = {
	    [ROUTE_ANYONE] = "anyone",
	    [ROUTE_ANY_SESSION] = "anyone,session-looked-up",
	    [ROUTE_SESSION] = "session",
	    [ROUTE_ROLE] = "role:",
	};
	static const char *const bindings[] = {
	    [ROUTE_CSRF_NONE] = "",
	    [ROUTE_CSRF_PRELOGIN] = "pre-login-cookie",
	    [ROUTE_CSRF_SESSION] = "session",
	    [ROUTE_CSRF_SELF_PROVING] = "self-proving",
	};

	for (size_t i = 0; i < n; i++) {
		const struct route *r = &routes[i];

		fprintf(out, "%s <prefix>%s %s%s %s%s%s%s\n",
		    r->methods == ROUTE_GET    ? "GET,HEAD"
		    : r->methods == ROUTE_POST ? "POST"
		                               : "GET,HEAD,POST",
		    r->path, callers[r->caller], r->role ? r->role : "",
		    (r->methods & ROUTE_POST) ? "csrf:" : "form:",
		    r->csrf == ROUTE_CSRF_NONE ? "none" : r->csrf_purpose,
		    r->csrf == ROUTE_CSRF_NONE ? "" : "/", bindings[r->csrf]);
	}
}
