/*
 * server.c: the threaded FastCGI loop shared by every responder.
 *
 * main loads everything that can fail (configuration, templates, one
 * database connection per worker), blocks the stop signals, starts the
 * workers and waits in sigwait(2).  libfcgi's own SIGTERM handling only sets
 * a flag that a thread blocked in accept(2) never sees, so on a signal main
 * calls FCGX_ShutdownPending() and shuts the listening socket down, which
 * wakes every accept; workers then finish their current request and return.
 * A worker copies each request out of libfcgi's parameter block (which the
 * next accept frees) before doing anything with it.
 *
 * A responder never runs with root's user or group ID: main refuses before
 * it reads anything (only --help, --routes and usage errors are answered),
 * since the socket comes ready from spawn-fcgi or systemd, and nothing a
 * responder opens needs root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getresuid, getresgid, group_member */
#endif
#include "server.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fastcgi.h> /* FCGI_LISTENSOCK_FILENO */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "crypto.h"
#include "log.h"
#include "session.h"
#include "throttle.h"

#define SERVER_STOP_WAIT_MS 800

struct worker {
	pthread_t thread;
	struct server_ctx ctx;
	const struct server_program *prog;
	bool started;
	bool inited; /* its thread_init ran */
	volatile bool finished;
};

static pthread_mutex_t server_accept_lock = PTHREAD_MUTEX_INITIALIZER;

/* server_page_problem says why the variables and lists cannot be rendered
 * as given, or NULL: a value that would not show is a bug to see. */
static const char *
server_page_problem(const struct template_var *all, size_t n, const struct template_list *lists,
    size_t nlists, const char **what)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		*what = all[i].name;
		if (all[i].name == NULL)
			return "a variable without a name";
		for (j = 0; j < i; j++)
			if (strcmp(all[j].name, all[i].name) == 0)
				return "a variable given twice";
	}
	for (i = 0; i < nlists; i++) {
		*what = lists[i].name;
		if (lists[i].name == NULL)
			return "a list without a name";
		for (j = 0; j < n; j++)
			if (strcmp(all[j].name, lists[i].name) == 0)
				return "a list named like a variable";
		for (j = 0; j < i; j++)
			if (strcmp(lists[j].name, lists[i].name) == 0)
				return "a list given twice";
	}
	return NULL;
}

void
server_page_lists(struct server_ctx *ctx, struct response *res, int status, const char *name,
    const struct template_var *vars, size_t nvars, const struct template_list *lists, size_t nlists)
{
	struct template_var all[SERVER_MAX_VARS];
	const char *problem, *what = "";
	size_t n = 0;

	/* More variables than fit is a bug to see, never a value dropped. */
	if (nvars > SERVER_MAX_VARS - 2) {
		log_msg(LOG_ERR, "template %s: %zu variables, more than %d", name, nvars,
		    SERVER_MAX_VARS - 2);
		response_text(res, 500, "Internal server error\n");
		return;
	}
	all[n++] = (struct template_var){"site_name", ctx->cfg->site_name};
	all[n++] = (struct template_var){"prefix", ctx->cfg->prefix};
	for (size_t i = 0; i < nvars; i++)
		all[n++] = vars[i];
	if ((problem = server_page_problem(all, n, lists, nlists, &what)) != NULL) {
		log_msg(LOG_ERR, "template %s: %s: \"%s\"", name, problem, what ? what : "");
		response_text(res, 500, "Internal server error\n");
		return;
	}

	buf_reset(&res->body);
	if (template_page_lists(ctx->templates, name, all, n, lists, nlists, &res->body) != GH_OK ||
	    res->body.err) {
		log_msg(LOG_ERR, "cannot render template %s", name);
		response_text(res, 500, "Internal server error\n");
		return;
	}
	res->status = status;
	response_header(res, "Content-Type", "text/html; charset=utf-8");
}

void
server_page(struct server_ctx *ctx, struct response *res, int status, const char *name,
    const struct template_var *vars, size_t nvars)
{
	server_page_lists(ctx, res, status, name, vars, nvars, NULL, 0);
}

void
server_error(struct server_ctx *ctx, const struct request *req, struct response *res, int status,
    const char *message)
{
	if (req != NULL && request_wants_json(req)) {
		json_t *o = json_pack("{s:s}", "error", message);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		response_json(res, status, s ? s : "{\"error\":\"internal\"}");
		free(s);
		json_decref(o);
		return;
	}
	if (ctx->templates == NULL) {
		response_text(res, status, message);
		return;
	}
	const struct template_var vars[] = {
	    {"title", response_reason(status)},
	    {"message", message},
	};
	server_page(ctx, res, status, "message", vars, sizeof(vars) / sizeof(vars[0]));
}

enum gh_err
server_throttle_blocked(struct server_ctx *ctx, const struct request *req, int64_t now,
    struct throttle_seen *seen, int64_t *after)
{
	char key[THROTTLE_KEY_MAX];
	enum gh_err e = throttle_check(ctx->db, ctx->cfg, req, now, after, seen);

	if (e != GH_EDENIED)
		return e;
	throttle_client_key(ctx->cfg, req, key);
	log_msg(LOG_NOTICE, "throttled %s %s from %s (%s) for %lld s", req->method, req->path,
	    req->remote_addr, key, (long long)*after);
	return e;
}

bool
server_throttle(struct server_ctx *ctx, const struct request *req, struct response *res,
    int64_t now, struct throttle_seen *seen)
{
	char retry[24];
	int64_t after;
	enum gh_err e = server_throttle_blocked(ctx, req, now, seen, &after);

	if (e == GH_OK)
		return false;
	if (e != GH_EDENIED) {
		server_error(ctx, req, res, 503, SERVER_UNAVAILABLE);
		return true;
	}
	server_error(ctx, req, res, 429, SERVER_THROTTLED);
	snprintf(retry, sizeof(retry), "%lld", (long long)after);
	response_header(res, "Retry-After", retry);
	return true;
}

void
server_log_auth_failure(const struct request *req, const char *tag, const char *reason)
{
	log_msg(LOG_NOTICE, "auth failure: client=%s user=%s%s reason=%s", req->remote_addr,
	    tag != NULL ? "#" : "-", tag != NULL ? tag : "", reason);
}

enum gh_err
server_throttle_fail(struct server_ctx *ctx, const struct request *req,
    const struct throttle_seen *seen, int64_t now)
{
	char key[THROTTLE_KEY_MAX];

	if (throttle_fail(ctx->db, ctx->cfg, req, now) != GH_OK ||
	    !throttle_blocks(ctx->cfg, seen, now))
		return GH_OK;
	throttle_client_key(ctx->cfg, req, key);
	log_msg(LOG_NOTICE, "throttling %s (%s) for %lld s after %lld failures", req->remote_addr,
	    key, (long long)ctx->cfg->throttle_window, (long long)ctx->cfg->throttle_max_failures);
	const struct audit_field context[] = {
	    AUDIT_TEXT("client", key),
	    AUDIT_TEXT("route", req->path),
	    AUDIT_INT("until", now + ctx->cfg->throttle_window),
	};
	const struct audit_event ev = {
	    .type = AUDIT_THROTTLED,
	    .result = AUDIT_FAILURE,
	    .at = now,
	    .ip = req->remote_addr,
	    .user_agent = req->user_agent,
	    .reason = "too_many_failures",
	    .context = context,
	    .ncontext = sizeof(context) / sizeof(context[0]),
	};
	return audit_write(ctx->db, &ev);
}

bool
server_route_is(const struct server_ctx *ctx, const struct request *req, const char *route)
{
	size_t pl = strlen(ctx->cfg->prefix), rl = strlen(route);
	const char *p = req->path;

	if (strncmp(p, ctx->cfg->prefix, pl) != 0 || strncmp(p + pl, route, rl) != 0)
		return false;
	p += pl + rl;
	return *p == '\0' || (p[0] == '/' && p[1] == '\0');
}

bool
server_cookies_allowed(const struct server_ctx *ctx, const struct request *req)
{
	return req->https || ctx->cfg->insecure_cookies;
}

const char *
server_cookie_name(const struct server_ctx *ctx, const struct request *req, const char *suffix,
    char *out, size_t outlen)
{
	char base[128];
	const char *name = session_cookie_name(ctx->cfg, req->https, base, sizeof(base));
	int n;

	if (name == NULL)
		return NULL;
	n = snprintf(out, outlen, "%s%s", name, suffix);
	if (n < 0 || (size_t)n >= outlen)
		return NULL;
	return out;
}

void
server_set_cookie(struct server_ctx *ctx, const struct request *req, struct response *res,
    const char *suffix, const char *value, long max_age)
{
	char name[160];
	struct cookie c = {
	    .name = server_cookie_name(ctx, req, suffix, name, sizeof(name)),
	    .value = value,
	    .max_age = max_age,
	    .secure = req->https,
	    .http_only = true,
	    .same_site = "Lax",
	};

	if (c.name == NULL) {
		res->broken = true;
		return;
	}
	response_cookie(res, &c);
}

/*
 * Reads the body into body, at most max bytes.  Returns GH_ETOOBIG when
 * CONTENT_LENGTH or the data itself is larger, GH_EIO on a short read.
 */
static enum gh_err
server_read_body(FCGX_Request *rq, size_t max, struct buf *body)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	char chunk[4096];
	int n;

	if (cl != NULL && *cl != '\0') {
		char *end;
		errno = 0;
		unsigned long long len = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || cl[0] == '-')
			return GH_EINVAL;
		if (len > max)
			return GH_ETOOBIG;
	}
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), rq->in)) > 0) {
		if (body->len + (size_t)n > max)
			return GH_ETOOBIG;
		buf_append(body, chunk, (size_t)n);
	}
	return body->err ? GH_ENOMEM : GH_OK;
}

/* The largest body the program takes (see struct server_program). */
static size_t
server_body_max(const struct worker *w)
{
	size_t max = w->ctx.cfg->max_body;

	return w->prog->body_min > max ? w->prog->body_min : max;
}

/* server_too_large answers a body over the limit: in JSON on the path of
 * an API route (its request read again, without the body, to know the
 * path), else as text. */
static void
server_too_large(struct worker *w, FCGX_Request *rq, struct response *res)
{
	struct request req;

	memset(&req, 0, sizeof(req));
	if (w->prog->routes != NULL && request_parse(&req, rq->envp, NULL, 0, 0) == GH_OK &&
	    route_path_is_api(w->prog->routes, w->prog->nroutes, &w->ctx, &req)) {
		req.api = true;
		server_error(&w->ctx, &req, res, 413, "Request body too large.");
	} else
		response_text(res, 413, "Request body too large\n");
	request_cleanup(&req);
}

static void
server_handle(struct worker *w, FCGX_Request *rq, struct buf *body, struct response *res)
{
	struct request req;
	enum gh_err e;

	memset(&req, 0, sizeof(req));
	/* An authorizer gets no body, and mod_authnz_fcgi does not even close
	 * the input stream: reading it would wait for ever. */
	e = rq->role == FCGI_AUTHORIZER ? GH_OK : server_read_body(rq, server_body_max(w), body);
	if (e == GH_OK)
		e = request_parse(&req, rq->envp, body->data, body->len,
		    w->prog->decide != NULL
		        ? w->prog->decide_parts
		        : REQUEST_PARSE_ALL | (w->prog->json_body ? REQUEST_PARSE_JSON : 0));
	switch (e) {
	case GH_OK:
		if (w->prog->decide != NULL)
			w->prog->decide(&w->ctx, &req, res);
		else
			route_dispatch(w->prog->routes, w->prog->nroutes, &w->ctx, &req, res);
		break;
	case GH_ETOOBIG:
		log_msg(LOG_INFO, "request refused: body over %zu bytes", server_body_max(w));
		server_too_large(w, rq, res);
		break;
	case GH_EINVAL:
		log_msg(LOG_INFO, "request refused: malformed");
		if (w->prog->decide != NULL && rq->role != FCGI_AUTHORIZER)
			response_text(res, 403, "Forbidden\n");
		else
			response_text(res, 400, "Bad request\n");
		break;
	default:
		log_msg(LOG_ERR, "request failed: %s", gh_strerror(e));
		response_text(res, 500, "Internal server error\n");
		break;
	}
	if (w->prog->decide == NULL)
		response_security_headers(res);
	response_send(res, rq->out);
	request_cleanup(&req);
	/* The body may hold a password. */
	crypto_wipe(body->data, body->len);
	buf_reset(body);
	response_reset(res);
}

static void *
server_worker(void *arg)
{
	struct worker *w = arg;
	FCGX_Request rq;
	struct buf body;
	struct response res;

	if (FCGX_InitRequest(&rq, 0, 0) != 0) {
		log_msg(LOG_ERR, "FCGX_InitRequest failed");
		w->finished = true;
		return NULL;
	}
	buf_init(&body);
	response_init(&res);
	for (;;) {
		int rc;

		pthread_mutex_lock(&server_accept_lock);
		rc = FCGX_Accept_r(&rq);
		pthread_mutex_unlock(&server_accept_lock);
		if (rc < 0)
			break;
		log_set_stream(rq.err);
		server_handle(w, &rq, &body, &res);
		log_set_stream(NULL);
		/* A connection is never kept for another request, even when the
		 * web server asks (FCGI_KEEP_CONN: nginx's fastcgi_keep_conn):
		 * libfcgi would wait for that request in FCGX_Accept_r, under
		 * the accept lock, and one idle kept connection would stall
		 * every worker.  The web server opens a new one instead. */
		rq.keepConnection = 0;
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	buf_cleanup(&body);
	response_cleanup(&res);
	w->finished = true;
	return NULL;
}

static void
server_usage(const char *name, FILE *out)
{
	fprintf(out,
	    "usage: %s [--config FILE] [--threads N] | --routes | --help\n"
	    "A Gatehouse FastCGI responder, started by spawn-fcgi (socket on fd 0).\n"
	    "See %s(8).\n",
	    name, name);
}

/* --routes: the route table, or what the check answers. */
static void
server_print_routes(const struct server_program *prog)
{
	if (prog->decide != NULL)
		printf("ANY * access-rules:[check]rule\n");
	else
		route_print(prog->routes, prog->nroutes, stdout);
}

/* Names the part of root's identity the process holds, or returns NULL:
 * user ID 0 (real, effective or saved), or group ID 0 (real, effective,
 * saved or supplementary), which opens whatever is group root's. */
static const char *
server_root_identity(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) != 0 || ruid == 0 || euid == 0 || suid == 0)
		return "as root (user ID 0)";
	if (getresgid(&rgid, &egid, &sgid) != 0 || rgid == 0 || egid == 0 || sgid == 0 ||
	    group_member(0))
		return "in group root (group ID 0)";
	return NULL;
}

/* Waits until every started worker finished, at most SERVER_STOP_WAIT_MS. */
static bool
server_wait_workers(struct worker *ws, int n)
{
	for (int waited = 0; waited < SERVER_STOP_WAIT_MS; waited += 10) {
		bool all = true;
		for (int i = 0; i < n; i++)
			if (ws[i].started && !ws[i].finished)
				all = false;
		if (all)
			return true;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	return false;
}

int
server_main(const struct server_program *prog, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"threads", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"routes", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *root, *problem;
	struct config cfg;
	struct template_set *templates = NULL;
	struct worker *ws = NULL;
	char err[1024];
	int threads = 0, ch, status = 1, sig;
	sigset_t stop;

	while ((ch = getopt_long(argc, argv, "c:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			threads = atoi(optarg);
			if (threads < 1 || threads > 64) {
				fprintf(stderr, "%s: --threads: must be 1..64\n", prog->name);
				return 2;
			}
			break;
		case 'h':
			server_usage(prog->name, stdout);
			return 0;
		case 'r':
			server_print_routes(prog);
			return 0;
		default:
			server_usage(prog->name, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		server_usage(prog->name, stderr);
		return 2;
	}
	problem = prog->decide == NULL ? route_table_problem(prog->routes, prog->nroutes) : NULL;
	if (problem != NULL) {
		fprintf(stderr, "%s: route table: %s\n", prog->name, problem);
		return 1;
	}
	if ((root = server_root_identity()) != NULL) {
		fprintf(stderr,
		    "%s: refusing to run %s; start it under its own account "
		    "(spawn-fcgi -u USER -g GROUP, systemd User= and Group=)\n",
		    prog->name, root);
		return 1;
	}

	memset(&cfg, 0, sizeof(cfg));
	if (config_load(&cfg, config_path, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "%s: %s\n", prog->name, err);
		return 1;
	}
	if ((problem = config_secret_missing(&cfg)) != NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog->name, cfg.path, problem);
		goto out;
	}
	if (threads == 0)
		threads = cfg.threads;
	log_init(prog->name, cfg.log_level, cfg.log_syslog);
	if (cfg.allow_weak_hashing)
		log_msg(LOG_WARNING,
		    "%s: [login] allow_weak_hashing is on (bcrypt_cost %d, argon2_memory_kib %d, "
		    "argon2_time %d%s): for tests only, never on a real site",
		    cfg.path, cfg.bcrypt_cost, cfg.argon2_memory_kib, cfg.argon2_time,
		    config_hashing_is_weak(&cfg) ? ", below the minimum" : "");
	if (prog->process_init != NULL && prog->process_init(&cfg, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "%s: %s: %s\n", prog->name, cfg.path, err);
		goto out;
	}
	if (prog->routes != NULL && template_set_load(cfg.templates_dir, prog->templates,
	                                &templates, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "%s: %s\n", prog->name, err);
		goto out;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "%s: FCGX_Init failed\n", prog->name);
		goto out;
	}

	ws = calloc((size_t)threads, sizeof(*ws));
	if (ws == NULL)
		goto out;
	for (int i = 0; i < threads; i++) {
		enum gh_err e =
		    db_open(cfg.db_url, cfg.db_password, cfg.db_busy_timeout_ms, &ws[i].ctx.db);
		if (e != GH_OK) {
			fprintf(stderr, "%s: %s: [database] url: cannot open: %s\n", prog->name,
			    cfg.path, gh_strerror(e));
			goto out;
		}
		ws[i].ctx.cfg = &cfg;
		ws[i].ctx.templates = templates;
		ws[i].prog = prog;
		if (prog->thread_init != NULL) {
			ws[i].inited = true;
			if (prog->thread_init(&ws[i].ctx, err, sizeof(err)) != GH_OK) {
				fprintf(stderr, "%s: %s: %s\n", prog->name, cfg.path, err);
				goto out;
			}
		}
	}

	/* Workers inherit this mask: only main takes the stop signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (int i = 0; i < threads; i++) {
		if (pthread_create(&ws[i].thread, NULL, server_worker, &ws[i]) != 0) {
			fprintf(stderr, "%s: cannot start worker thread\n", prog->name);
			goto stop;
		}
		ws[i].started = true;
	}
	log_msg(LOG_INFO, "started with %d threads", threads);

	while (sigwait(&stop, &sig) == 0) {
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			break;
	}
	log_msg(LOG_INFO, "stopping on signal %d", sig);
	status = 0;
stop:
	FCGX_ShutdownPending();
	/* Wakes every worker blocked in accept(2) on the listening socket. */
	shutdown(FCGI_LISTENSOCK_FILENO, SHUT_RDWR);
	close(FCGI_LISTENSOCK_FILENO);
	if (!server_wait_workers(ws, threads)) {
		/* A worker is stuck in a request; do not free what it uses. */
		log_msg(LOG_WARNING, "workers still busy, exiting anyway");
		fflush(NULL);
		_exit(status);
	}
	for (int i = 0; i < threads; i++)
		if (ws[i].started)
			pthread_join(ws[i].thread, NULL);
out:
	if (ws != NULL) {
		for (int i = 0; i < threads; i++) {
			if (ws[i].inited && prog->thread_cleanup != NULL)
				prog->thread_cleanup(&ws[i].ctx);
			db_close(ws[i].ctx.db);
		}
		free(ws);
	}
	template_set_free(templates);
	config_cleanup(&cfg);
	return status;
}
