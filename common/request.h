/*
 * request.h: a request as Gatehouse's handlers see it, parsed from the
 * FastCGI parameters and the body.
 *
 * Everything is copied out of the FastCGI parameter block (libfcgi frees it
 * at the next accept).  Parsing is strict and bounded: a query string or form
 * with invalid percent-encoding, a NUL byte (%00), more than REQUEST_MAX_FIELDS
 * fields, a cookie header that is not "name=value; ..." or a body over the
 * configured limit is refused with GH_EINVAL or GH_ETOOBIG, and the handler
 * answers 400 (413 for the body).  Values are valid NUL-terminated strings.
 * Malformed pairs of the Cookie header are skipped instead (the header is
 * shared with other applications of the site).
 */
#ifndef GH_REQUEST_H
#define GH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define REQUEST_MAX_FIELDS 64
#define REQUEST_MAX_COOKIE_HEADER 8192
#define REQUEST_MAX_QUERY 8192

struct kv {
	char *key;
	char *val;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

enum request_role {
	REQUEST_RESPONDER,
	REQUEST_AUTHORIZER,
};

struct request {
	enum request_role role; /* from FCGI_ROLE */
	char *method;           /* REQUEST_METHOD, "GET" when absent */
	char *uri;              /* REQUEST_URI as sent (path and query), "/" when absent;
	                         * in the RESPONDER role GATEHOUSE_ORIGINAL_URI, when the
	                         * web server passes it (nginx auth_request), wins */
	char *path;             /* the path the web server serves, decoded: the
	                         * parameter GATEHOUSE_PATH as it is (the server's
	                         * own normalised path: nginx $uri, Apache r->uri),
	                         * else the part before "?" of REDIRECT_URI
	                         * (lighttpd's normalised target) or of uri,
	                         * percent-decoded; starts with "/", holds no
	                         * control character */
	char *host;             /* HTTP_HOST or SERVER_NAME, "" when absent */
	char *remote_addr;      /* REMOTE_ADDR, "" when absent */
	char *user_agent;       /* HTTP_USER_AGENT, "" when absent */
	char *accept;           /* HTTP_ACCEPT, "" when absent */
	char *authorization;    /* HTTP_AUTHORIZATION, "" when absent */
	char *origin;           /* HTTP_ORIGIN, "" when absent */
	char *sec_fetch_site;   /* HTTP_SEC_FETCH_SITE, "" when absent */
	char *content_type;     /* CONTENT_TYPE, "" when absent */
	char *forwarded_for;    /* HTTP_X_FORWARDED_FOR, "" when absent, NULL when not
	                         * parsed (REQUEST_PARSE_FORWARDED, _AUTH); trusted only
	                         * from [throttle] trusted_proxies (throttle.h) */
	bool https;             /* HTTPS=on|1, or REQUEST_SCHEME=https */
	struct kvlist query;    /* from QUERY_STRING */
	struct kvlist form;     /* from an application/x-www-form-urlencoded body (or,
	                         * with REQUEST_PARSE_JSON, an application/json one) */
	bool api;               /* the route answers JSON only (route.h, .api) */
	bool body_malformed;    /* a JSON body request_json_parse refused (form
	                         * left empty): the route answers it, in JSON */
	struct kvlist cookies;  /* from HTTP_COOKIE */
};

/* What request_parse reads beyond the parameters, path and cookies. */
enum request_parts {
	REQUEST_PARSE_QUERY = 1 << 0,     /* the query string into query */
	REQUEST_PARSE_FORM = 1 << 1,      /* a urlencoded POST body into form */
	REQUEST_PARSE_FORWARDED = 1 << 2, /* X-Forwarded-For into forwarded_for */
	REQUEST_PARSE_ALL = REQUEST_PARSE_QUERY | REQUEST_PARSE_FORM | REQUEST_PARSE_FORWARDED,
	/* With REQUEST_PARSE_FORM, an application/json POST body into form too
	 * (request_json_parse), for a program with API routes; one it refuses
	 * sets body_malformed instead of failing the request, so that the
	 * route's own answer says so (route.h). */
	REQUEST_PARSE_JSON = 1 << 3,
	/* X-Forwarded-For only when the request has an Authorization header:
	 * the check throttles a credential as the login page does, but a
	 * request with the cookie alone costs nothing more. */
	REQUEST_PARSE_FORWARDED_AUTH = 1 << 4,
};

/* request_parse fills r from envp (the NULL-terminated "NAME=value" array of
 * FastCGI parameters) and body (body_len bytes, may be NULL).  parts (a set
 * of enum request_parts) says whether the query and the form are parsed:
 * the check reads neither, so a query it does not understand cannot refuse
 * a page.  The form is parsed only for POST with a urlencoded content type.
 * A raw target that is not origin-form ("/..."), holds a raw "#" in its path,
 * or a path with a control character is GH_EINVAL: the check cannot tell
 * which path the web server serves.  On error r is still safe to clean up. */
enum gh_err request_parse(
    struct request *r, char *const *envp, const char *body, size_t body_len, unsigned int parts);
void request_cleanup(struct request *r);

/* kvlist_get returns the value of the first field named key, or NULL. */
const char *kvlist_get(const struct kvlist *l, const char *key);
/* request_urlencoded_parse parses "a=1&b=2" (len bytes) into l; the contract
 * of request_parse applies.  Exposed for the fuzzer and the tests. */
enum gh_err request_urlencoded_parse(const char *s, size_t len, struct kvlist *l);
/* request_json_parse parses a JSON body (len bytes) into l: one object of
 * at most REQUEST_MAX_FIELDS string values, no name twice, no NUL; anything
 * else is GH_EINVAL (l left empty).  Exposed for the fuzzer and the tests. */
enum gh_err request_json_parse(const char *s, size_t len, struct kvlist *l);
/* request_cookies_parse parses a Cookie header into l, skipping pairs that
 * are not "name=value" (see request.c). */
enum gh_err request_cookies_parse(const char *s, struct kvlist *l);
void kvlist_cleanup(struct kvlist *l);
/* request_wants_json tells whether the answer is JSON: the route is an API
 * route, or the client is an API client (Accept names application/json and
 * not text/html, or Authorization is a Bearer token). */
bool request_wants_json(const struct request *r);

#endif
