/*
 * server.h: the threaded FastCGI loop every responder shares.
 *
 * server_main parses the common options (--config FILE, --threads N,
 * --routes, --help), refuses root's user and group ID (status 1, nothing
 * read yet), loads the configuration and (for a page responder) the
 * templates, runs the program's hooks, opens one database connection per
 * worker thread, then runs the workers: each has its own FCGX_Request,
 * accepts on the socket spawn-fcgi passed as fd 0, copies the request
 * (request_parse) before anything else, runs it through the program's route
 * table (route.h) or its one handler, and sends the response.  Every answer
 * of a page responder carries the security headers
 * (response_security_headers), whoever made it.  The body is read with the
 * configured limit: a larger one is answered 413 without calling the
 * handler; a malformed request 400.
 * SIGTERM, SIGINT and SIGHUP are blocked in workers and taken by sigwait in
 * main, which stops accepting and exits within a second.  Set-up errors exit
 * with status 1 and a message naming the file, line or key at fault; request
 * errors never exit.
 */
#ifndef GH_SERVER_H
#define GH_SERVER_H

#include "config.h"
#include "db.h"
#include "request.h"
#include "response.h"
#include "route.h"
#include "template.h"
#include "throttle.h"

/* The answer when the database fails (503). */
#define SERVER_UNAVAILABLE "Service temporarily unavailable, try again later."

/* What a handler gets: the shared read-only configuration and templates, and
 * this thread's own database connection. */
struct server_ctx {
	const struct config *cfg;
	const struct template_set *templates;
	struct db *db;
	struct db *users; /* the external users database, or NULL ([users] source) */
};

typedef void (*server_handler)(
    struct server_ctx *ctx, const struct request *req, struct response *res);

struct server_program {
	const char *name; /* "gatehouse-login" */
	/* A page responder: its routes, checked at start (route_table_problem)
	 * and printed by --routes; its templates are loaded at start: those of
	 * [general] templates_dir/shared/ and of the folder named here ("login"
	 * for templates_dir/login/; NULL: shared/ only), see template.h. */
	const struct route *routes;
	size_t nroutes;
	const char *templates;
	/* The largest request body it takes is [login] max_body, or body_min
	 * when that is larger (a page whose form must hold a token of a set
	 * size); 0: max_body. */
	size_t body_min;
	/* Its API routes (route.h, .api) take a JSON body as well as a form. */
	bool json_body;
	/* Else one handler for every request, which answers the web server's
	 * access question (the check): it parses neither the query nor a body,
	 * and a request it cannot parse is denied with 403 in the RESPONDER
	 * role, since nginx's auth_request turns any answer but 2xx, 401 and
	 * 403 into a 500 for the client.  No header is added to its answers. */
	server_handler decide;
	/* What request_parse reads for decide beyond the parameters, path and
	 * cookies (enum request_parts; 0: nothing more). */
	unsigned int decide_parts;
	/* Hooks (NULL: none).  process_init runs once, after the configuration
	 * is loaded and before any thread; thread_init once per worker, after
	 * its database connection is open; a failure of either writes a
	 * message naming the file and key into err and stops the program
	 * (status 1).  thread_cleanup runs for every worker whose thread_init
	 * ran, before its connection is closed. */
	enum gh_err (*process_init)(const struct config *cfg, char *err, size_t errlen);
	enum gh_err (*thread_init)(struct server_ctx *ctx, char *err, size_t errlen);
	void (*thread_cleanup)(struct server_ctx *ctx);
};

/* server_main runs the program; returns the process exit status. */
int server_main(const struct server_program *prog, int argc, char **argv);

/* server_page renders template name in the layout as a full HTML answer with
 * the security headers.  site_name and prefix are always set as variables.
 * A render that cannot be complete is a 500, logged, never a page with a
 * value missing: more than SERVER_MAX_VARS - 2 variables, a name given
 * twice (site_name and prefix included), a list named like a variable or
 * another list, a template that fails. */
#define SERVER_MAX_VARS 32
void server_page(struct server_ctx *ctx, struct response *res, int status, const char *name,
    const struct template_var *vars, size_t nvars);
/* server_page_lists is server_page with lists for {{#name}} sections. */
void server_page_lists(struct server_ctx *ctx, struct response *res, int status, const char *name,
    const struct template_var *vars, size_t nvars, const struct template_list *lists,
    size_t nlists);
/* server_route_is tells whether the request's path is <prefix><route>
 * (a trailing "/" allowed). */
bool server_route_is(const struct server_ctx *ctx, const struct request *req, const char *route);
/* server_cookies_allowed tells whether session cookies may be used on this
 * request: over HTTPS always, over plain HTTP only with insecure_cookies. */
bool server_cookies_allowed(const struct server_ctx *ctx, const struct request *req);
/* server_cookie_name writes the request's session cookie name plus suffix
 * ("" or "_csrf") into out; see session_cookie_name. */
const char *server_cookie_name(const struct server_ctx *ctx, const struct request *req,
    const char *suffix, char *out, size_t outlen);
/* server_set_cookie sets (max_age >= 0) or deletes (max_age < 0) the cookie
 * named by suffix with Secure over HTTPS, HttpOnly and SameSite=Lax. */
void server_set_cookie(struct server_ctx *ctx, const struct request *req, struct response *res,
    const char *suffix, const char *value, long max_age);

/*
 * server_throttle is the one call a route that checks a secret makes before
 * it checks it (throttle.h): true when it answered the request itself, 429
 * with Retry-After (seconds) when the client is blocked, 503 when the
 * database failed; false when the route may go on.  The 429 is logged here,
 * the one place a request is refused for throttling.  *seen gets the
 * client's row as read, for the route's server_throttle_fail.
 */
#define SERVER_THROTTLED "Too many failed attempts. Please try again later."
bool server_throttle(struct server_ctx *ctx, const struct request *req, struct response *res,
    int64_t now, struct throttle_seen *seen);
/* server_throttle_blocked is server_throttle's question without its answer,
 * for a program that answers in its own way (the check): GH_OK when req's
 * client may go on, GH_EDENIED when it is blocked (logged here, *after the
 * seconds left), the database's error else. */
enum gh_err server_throttle_blocked(struct server_ctx *ctx, const struct request *req, int64_t now,
    struct throttle_seen *seen, int64_t *after);
/* server_log_auth_failure writes the fixed-shape line fail2ban reads
 * (deploy/fail2ban, gatehouse-login(8) LOG) for a refused secret of req's
 * client: "auth failure: client=ADDR user=#TAG reason=WORD", user=- when
 * no name was given (tag NULL); reason is a fixed word of [a-z_].  Every
 * program that checks a secret writes it: the login page and the token
 * API (a password), gatehouse-sso (a refresh token, a partner's token),
 * the check (an Authorization header). */
void server_log_auth_failure(const struct request *req, const char *tag, const char *reason);
/*
 * server_throttle_fail counts a refused secret of req's client (after
 * server_throttle let it through with *seen); when that failure blocks the
 * client it logs so and writes the audit event "throttled" (once a block,
 * not once a refused request: a flood cannot fill the audit trail).
 * GH_OK, or the error of the audit row (the caller fails closed).
 */
enum gh_err server_throttle_fail(struct server_ctx *ctx, const struct request *req,
    const struct throttle_seen *seen, int64_t now);

/* server_error answers an error page (HTML or JSON for API clients). */
void server_error(struct server_ctx *ctx, const struct request *req, struct response *res,
    int status, const char *message);

#endif
