/*
 * route.h: the route table of a page responder, and the one pipeline every
 * request to it goes through.
 *
 * A route is a path under [general] prefix, the methods it answers, who may
 * call it, what a POST's CSRF token is bound to, and its handler.  Several
 * routes may share a path (one per method set).  route_dispatch does, in
 * this order, what no handler may forget:
 *
 *   1. 404 when no route has the path;
 *   2. the HTTPS gate of a route that needs session cookies (403 over plain
 *      HTTP unless [session] insecure_cookies);
 *   3. 405 with an Allow header built from the routes of the path;
 *   4. the session: looked up for every caller but ROUTE_ANYONE, from the
 *      session cookie when cookies are allowed (503 when the database
 *      fails); ROUTE_SESSION and ROUTE_ROLE without one go to the login
 *      page (303);
 *   5. the role of ROUTE_ROLE (403);
 *   6. for a POST, the Origin / Sec-Fetch-Site check and the CSRF token of
 *      the form field "csrf", bound to the session id (ROUTE_CSRF_SESSION)
 *      or to the pre-login cookie (ROUTE_CSRF_PRELOGIN): 403, logged;
 *      none for a POST that proves itself (ROUTE_CSRF_SELF_PROVING);
 *   7. for a POST, its form fields as the route declares them (present when
 *      required, at most so many bytes): the first that is not goes with
 *      its message to the route's invalid handler (the form again), or a
 *      400 page without one;
 *   8. the handler, with the session (if any), the validated values of its
 *      fields, and the CSRF token for the forms it renders (bound as its
 *      route says, the pre-login cookie made and set when the client has
 *      none).
 *
 * An API route (.api) has every answer in JSON, the pipeline's included.
 * The security headers of every answer (errors and redirects included) are
 * added by server.c around the whole pipeline.
 */
#ifndef GH_ROUTE_H
#define GH_ROUTE_H

#include <stdbool.h>
#include <stdio.h>

#include "csrf.h"
#include "session.h"

struct server_ctx;
struct request;
struct response;

/* Methods of a route (a set): GET also answers HEAD. */
#define ROUTE_GET 0x1u
#define ROUTE_POST 0x2u

/* Who may call a route. */
enum route_caller {
	ROUTE_ANYONE,      /* no session looked up */
	ROUTE_ANY_SESSION, /* anyone; the session, if valid, is looked up */
	ROUTE_SESSION,     /* a valid session */
	ROUTE_ROLE,        /* a valid session whose user has route->role */
};

/* What the CSRF token of a route's forms is bound to. */
enum route_binding {
	ROUTE_CSRF_NONE,     /* no form (a POST route must not have this) */
	ROUTE_CSRF_PRELOGIN, /* the random pre-login cookie <cookie>_csrf */
	ROUTE_CSRF_SESSION,  /* the session id (needs a caller with a session) */
	/* No token: the POST proves itself (a partner's signed JWT, an API
	 * client's credentials), so it is taken cross-site, without the
	 * Origin check; only for ROUTE_ANYONE, whose handlers read no cookie. */
	ROUTE_CSRF_SELF_PROVING,
};

#define ROUTE_MAX_FIELDS 8

/* A form field of a POST route.  The handler reads the validated value,
 * never the raw form. */
struct route_field {
	const char *name;
	size_t max;        /* bytes at most (the body's limit bounds it anyway) */
	bool required;     /* absent or "" is refused */
	const char *error; /* what the form says when the value is refused */
};

/* What a handler gets besides the context, request and response. */
struct route_call {
	const char *session_token;          /* the session cookie as sent (NULL: none, or
	                                     * cookies not allowed), valid or not */
	const struct session_info *session; /* its valid session (not looked up
	                                     * for ROUTE_ANYONE), or NULL */
	const char *csrf;                   /* the token for the forms of this route ("" without) */
	/* The route's fields, in its order: each value validated ("" when an
	 * optional one is absent).  In the invalid handler, error says why the
	 * first refused one was (NULL in the handler). */
	const char *values[ROUTE_MAX_FIELDS];
	const char *error;
};

typedef void (*route_handler)(struct server_ctx *ctx, const struct request *req,
    struct response *res, const struct route_call *call);

struct route {
	const char *path; /* under [general] prefix: "/login" */
	unsigned methods; /* ROUTE_GET, ROUTE_POST */
	enum route_caller caller;
	const char *role;       /* for ROUTE_ROLE */
	const char *https_only; /* the HTTPS gate (2): its message; NULL: none */
	enum route_binding csrf;
	const char *csrf_purpose; /* the token's purpose, and the log's name */
	route_handler handler;
	const struct route_field *fields; /* a POST's form fields (nfields) */
	size_t nfields;
	route_handler invalid; /* a refused field (NULL: a 400 page) */
	/* An API route: every answer on its path, the pipeline's and the
	 * handler's server_error, is JSON whatever the client accepts. */
	bool api;
};

/* route_dispatch runs the pipeline above over routes[0..n). */
void route_dispatch(const struct route *routes, size_t n, struct server_ctx *ctx,
    const struct request *req, struct response *res);

/* route_table_problem checks a table at start (a POST without CSRF, a
 * session binding without a session...): NULL, or what is wrong. */
const char *route_table_problem(const struct route *routes, size_t n);

/* route_print writes the table, one route per line, for --routes:
 * "METHODS PATH CALLER CSRF" with the path under "<prefix>". */
void route_print(const struct route *routes, size_t n, FILE *out);

#endif
