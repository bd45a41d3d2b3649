/*
 * server.h: the threaded FastCGI loop every responder shares.
 *
 * server_main parses the common options (--config FILE, --threads N,
 * --help), refuses root's user and group ID (status 1, nothing read yet),
 * loads the configuration and the templates, opens one database
 * connection per worker thread, then runs the workers: each has its own
 * FCGX_Request, accepts on the socket spawn-fcgi passed as fd 0, copies the
 * request (request_parse) before anything else, calls the handler and sends
 * the response.  The body is read with the configured limit: a larger one is
 * answered 413 without calling the handler; a malformed request 400.
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
#include "template.h"

/* What a handler gets: the shared read-only configuration and templates, and
 * this thread's own database connection. */
struct server_ctx {
	const struct config *cfg;
	const struct template_set *templates;
	struct db *db;
	struct db *users; /* the external users database, or NULL ([users] source) */
};

typedef void (*server_handler)(struct server_ctx *ctx, const struct request *req,
    struct response *res);

struct server_program {
	const char *name;        /* "gatehouse-login" */
	server_handler handler;
	bool needs_templates;
	bool needs_user_store; /* verifies passwords: opens [users] url per thread when
	                        * external, makes the dummy hash at start */
	/* The program answers the web server's access question (the check): it
	 * parses neither the query nor a body, and a request it cannot parse is
	 * denied with 403 in the RESPONDER role, since nginx's auth_request
	 * turns any answer but 2xx, 401 and 403 into a 500 for the client. */
	bool decides_access;
};

/* server_main runs the program; returns the process exit status. */
int server_main(const struct server_program *prog, int argc, char **argv);

/* server_page renders template name in the layout as a full HTML answer with
 * the security headers.  site_name and prefix are always set as variables. */
void server_page(struct server_ctx *ctx, struct response *res, int status, const char *name,
    const struct template_var *vars, size_t nvars);
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

/* server_error answers an error page (HTML or JSON for API clients). */
void server_error(struct server_ctx *ctx, const struct request *req, struct response *res,
    int status, const char *message);

#endif
