/*
 * request.c: turning the FastCGI parameters and body of one request into the
 * struct request that handlers read (see request.h).
 *
 * Every value is copied out of libfcgi's parameter block.  The parsers are
 * strict and bounded: a path that cannot be proven to be the one the web
 * server serves, an invalid or NUL-producing percent escape, more than
 * REQUEST_MAX_FIELDS fields, a query string over REQUEST_MAX_QUERY bytes, or
 * a Cookie header over REQUEST_MAX_COOKIE_HEADER bytes makes the whole
 * request GH_EINVAL (the handler answers 400).  The Cookie header is the
 * exception to strictness: it is shared with other applications, so its
 * malformed pairs are skipped.  GH_ETOOBIG is left to the caller, which
 * compares the body with its configured limit before calling request_parse
 * (413).  Strings are wiped when freed, since form values and cookies carry
 * passwords and tokens.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "request.h"
#include "url.h"

/* env_get returns the value of NAME in envp ("NAME=value" items), or NULL. */
static const char *
env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	if (envp == NULL)
		return NULL;
	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* request_strdup copies the value of NAME, or dflt when absent. */
static enum gh_err
request_strdup(char **dst, char *const *envp, const char *name, const char *dflt)
{
	const char *v = env_get(envp, name);

	if ((*dst = strdup(v != NULL ? v : dflt)) == NULL)
		return GH_ENOMEM;
	return GH_OK;
}

static void
request_free_str(char **s)
{
	if (*s != NULL) {
		crypto_wipe(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void
kvlist_cleanup(struct kvlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		request_free_str(&l->v[i].key);
		request_free_str(&l->v[i].val);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *
kvlist_get(const struct kvlist *l, const char *key)
{
	size_t i;

	if (l == NULL || key == NULL)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

/* kv_decode copies s[0..n) percent-decoded ("+" is a space) into *out. */
static enum gh_err
kv_decode(const char *s, size_t n, char **out)
{
	char *p;

	if ((p = malloc(n + 1)) == NULL)
		return GH_ENOMEM;
	if (url_decode(s, n, p, true) < 0) {
		crypto_wipe(p, n + 1);
		free(p);
		return GH_EINVAL;
	}
	*out = p;
	return GH_OK;
}

/*
 * request_urlencoded_parse: l is overwritten (pass an empty list).  Empty
 * pairs ("a=1&&b=2", a trailing "&") are skipped; a pair without "=" is a
 * field with the value "".  On error l is left empty.
 */
enum gh_err
request_urlencoded_parse(const char *s, size_t len, struct kvlist *l)
{
	const char *p, *end, *amp, *eq;
	size_t count = 0;
	enum gh_err e;

	l->v = NULL;
	l->n = 0;
	if (s == NULL || len == 0)
		return GH_OK;
	if (memchr(s, '\0', len) != NULL)
		return GH_EINVAL;

	/* Count the fields first: refuse too many before allocating. */
	end = s + len;
	for (p = s; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p && ++count > REQUEST_MAX_FIELDS)
			return GH_EINVAL;
	}
	if (count == 0)
		return GH_OK;
	if ((l->v = calloc(count, sizeof(*l->v))) == NULL)
		return GH_ENOMEM;

	for (p = s; p < end; p = amp + 1) {
		struct kv *kv;

		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		kv = &l->v[l->n];
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if ((e = kv_decode(p, (size_t)(eq - p), &kv->key)) != GH_OK)
			goto fail;
		/* Counted as soon as the key is owned, so cleanup frees it. */
		l->n++;
		if (eq == amp)
			e = kv_decode("", 0, &kv->val);
		else
			e = kv_decode(eq + 1, (size_t)(amp - eq - 1), &kv->val);
		if (e != GH_OK)
			goto fail;
	}
	return GH_OK;
fail:
	kvlist_cleanup(l);
	return e;
}

static bool
cookie_ows(char c)
{
	return c == ' ';
}

/* cookie_pair_is_sane: a pair holds no control character (a browser never
 * sends one; a header that does is someone else's doing). */
static bool
cookie_pair_is_sane(const char *s, const char *end)
{
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/*
 * request_cookies_parse: l is overwritten (pass an empty list).  Pairs are
 * separated by ";" with optional spaces; names and values are kept as sent
 * (cookie values are not percent-decoded).  A cookie header is shared with
 * every other application of the site and of its parent domain, so a pair
 * that is not "name=value" (no "=", an empty name, a control character) is
 * skipped, never an error: one sibling's bad cookie must not lock users out.
 * The number of pairs is bounded by the header's length only.  GH_EINVAL is
 * kept for a header over REQUEST_MAX_COOKIE_HEADER bytes (no web server
 * passes one with its default limits).
 */
enum gh_err
request_cookies_parse(const char *s, struct kvlist *l)
{
	const char *p, *end, *semi, *eq, *ks, *ke, *vs, *ve;
	size_t len, count = 0;
	enum gh_err e = GH_OK;

	l->v = NULL;
	l->n = 0;
	if (s == NULL)
		return GH_OK;
	len = strnlen(s, REQUEST_MAX_COOKIE_HEADER + 1);
	if (len > REQUEST_MAX_COOKIE_HEADER)
		return GH_EINVAL;
	if (len == 0)
		return GH_OK;

	/* At most one field per ";"-separated piece: count them to allocate. */
	end = s + len;
	for (p = s; p < end; p = semi + 1) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		count++;
	}
	if ((l->v = calloc(count, sizeof(*l->v))) == NULL)
		return GH_ENOMEM;

	for (p = s; p < end; p = semi + 1) {
		struct kv *kv;

		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		for (ks = p; ks < semi && cookie_ows(*ks); ks++)
			;
		if (ks == semi || !cookie_pair_is_sane(ks, semi))
			continue;
		if ((eq = memchr(ks, '=', (size_t)(semi - ks))) == NULL)
			continue;
		for (ke = eq; ke > ks && cookie_ows(ke[-1]); ke--)
			;
		if (ke == ks)
			continue;
		for (vs = eq + 1; vs < semi && cookie_ows(*vs); vs++)
			;
		for (ve = semi; ve > vs && cookie_ows(ve[-1]); ve--)
			;
		kv = &l->v[l->n];
		if ((kv->key = strndup(ks, (size_t)(ke - ks))) == NULL) {
			e = GH_ENOMEM;
			goto fail;
		}
		l->n++;
		if ((kv->val = strndup(vs, (size_t)(ve - vs))) == NULL) {
			e = GH_ENOMEM;
			goto fail;
		}
	}
	if (l->n == 0) {
		free(l->v);
		l->v = NULL;
	}
	return GH_OK;
fail:
	kvlist_cleanup(l);
	return e;
}

/* request_media_is: the media type of ct, before any parameters, is t
 * (case-insensitive). */
static bool
request_media_is(const char *ct, const char *t)
{
	size_t n = strlen(t);
	const char *p;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, t, n) != 0)
		return false;
	for (p = ct + n; *p == ' ' || *p == '\t'; p++)
		;
	return *p == '\0' || *p == ';';
}

static bool
request_env_is_https(char *const *envp)
{
	const char *v;

	if ((v = env_get(envp, "HTTPS")) != NULL &&
	    (strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0))
		return true;
	if ((v = env_get(envp, "REQUEST_SCHEME")) != NULL && strcasecmp(v, "https") == 0)
		return true;
	return false;
}

/* request_path_is_sane: a decided path starts with "/" and holds no control
 * character (no page has one; a server may treat it in its own way). */
static bool
request_path_is_sane(const char *path)
{
	const char *p;

	if (path[0] != '/')
		return false;
	for (p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * request_path_derive sets r->path to the path the web server serves for
 * this request (see "path" in request.h): GATEHOUSE_PATH as it is when the
 * web server's config passes it, else the path part of lighttpd's normalised
 * target (REDIRECT_URI) or of r->uri, percent-decoded.  A raw target must be
 * origin-form and hold no raw "#": lighttpd and nginx cut the path at a "#"
 * and Apache serves an absolute-form target by its path, so the check cannot
 * tell what would be served from such a target.  Returns GH_EINVAL for
 * anything it cannot be sure of.
 */
static enum gh_err
request_path_derive(struct request *r, char *const *envp)
{
	const char *v, *target, *q;
	size_t plen;

	if ((v = env_get(envp, "GATEHOUSE_PATH")) != NULL) {
		if ((r->path = strdup(v)) == NULL)
			return GH_ENOMEM;
	} else {
		target = env_get(envp, "REDIRECT_URI");
		if (target == NULL)
			target = r->uri;
		q = strchr(target, '?');
		plen = q != NULL ? (size_t)(q - target) : strlen(target);
		if (target[0] != '/' || memchr(target, '#', plen) != NULL)
			return GH_EINVAL;
		if ((r->path = malloc(plen + 1)) == NULL)
			return GH_ENOMEM;
		if (url_decode(target, plen, r->path, false) < 0)
			return GH_EINVAL;
	}
	return request_path_is_sane(r->path) ? GH_OK : GH_EINVAL;
}

enum gh_err
request_parse(
    struct request *r, char *const *envp, const char *body, size_t body_len, unsigned int parts)
{
	const char *v, *q, *qs;
	size_t qlen;
	enum gh_err e;
	bool original;

	memset(r, 0, sizeof(*r));

	v = env_get(envp, "FCGI_ROLE");
	r->role =
	    v != NULL && strcmp(v, "AUTHORIZER") == 0 ? REQUEST_AUTHORIZER : REQUEST_RESPONDER;
	/* nginx's auth_request calls the check as a responder on a subrequest
	 * of its own; the web server's config passes the URI being decided. */
	original = r->role == REQUEST_RESPONDER && env_get(envp, "GATEHOUSE_ORIGINAL_URI") != NULL;
	if ((e = request_strdup(&r->method, envp, "REQUEST_METHOD", "GET")) != GH_OK ||
	    (e = request_strdup(&r->uri, envp, original ? "GATEHOUSE_ORIGINAL_URI" : "REQUEST_URI",
	         "/")) != GH_OK ||
	    (e = request_strdup(&r->remote_addr, envp, "REMOTE_ADDR", "")) != GH_OK ||
	    (e = request_strdup(&r->user_agent, envp, "HTTP_USER_AGENT", "")) != GH_OK ||
	    (e = request_strdup(&r->accept, envp, "HTTP_ACCEPT", "")) != GH_OK ||
	    (e = request_strdup(&r->authorization, envp, "HTTP_AUTHORIZATION", "")) != GH_OK ||
	    (e = request_strdup(&r->origin, envp, "HTTP_ORIGIN", "")) != GH_OK ||
	    (e = request_strdup(&r->sec_fetch_site, envp, "HTTP_SEC_FETCH_SITE", "")) != GH_OK ||
	    (e = request_strdup(&r->content_type, envp, "CONTENT_TYPE", "")) != GH_OK)
		goto fail;
	/* Only the pages that throttle read it; the check (the hot path) only
	 * for a request with a credential in its Authorization header. */
	if (((parts & REQUEST_PARSE_FORWARDED) ||
	        ((parts & REQUEST_PARSE_FORWARDED_AUTH) && r->authorization[0] != '\0')) &&
	    (e = request_strdup(&r->forwarded_for, envp, "HTTP_X_FORWARDED_FOR", "")) != GH_OK)
		goto fail;
	if (*r->method == '\0') {
		e = GH_EINVAL;
		goto fail;
	}
	if (env_get(envp, "HTTP_HOST") != NULL)
		e = request_strdup(&r->host, envp, "HTTP_HOST", "");
	else
		e = request_strdup(&r->host, envp, "SERVER_NAME", "");
	if (e != GH_OK)
		goto fail;
	r->https = request_env_is_https(envp);

	if ((e = request_path_derive(r, envp)) != GH_OK)
		goto fail;

	/* The query: QUERY_STRING, else what follows "?" in the URI. */
	if (parts & REQUEST_PARSE_QUERY) {
		q = strchr(r->uri, '?');
		if (original || (qs = env_get(envp, "QUERY_STRING")) == NULL)
			qs = q != NULL ? q + 1 : "";
		qlen = strnlen(qs, REQUEST_MAX_QUERY + 1);
		if (qlen > REQUEST_MAX_QUERY) {
			e = GH_EINVAL;
			goto fail;
		}
		if ((e = request_urlencoded_parse(qs, qlen, &r->query)) != GH_OK)
			goto fail;
	}

	if ((e = request_cookies_parse(env_get(envp, "HTTP_COOKIE"), &r->cookies)) != GH_OK)
		goto fail;

	if ((parts & REQUEST_PARSE_FORM) && strcmp(r->method, "POST") == 0 && body != NULL &&
	    body_len > 0) {
		if (request_media_is(r->content_type, "application/x-www-form-urlencoded"))
			e = request_urlencoded_parse(body, body_len, &r->form);
		else if ((parts & REQUEST_PARSE_JSON) &&
		         request_media_is(r->content_type, "application/json") &&
		         (e = request_json_parse(body, body_len, &r->form)) == GH_EINVAL) {
			r->body_malformed = true;
			e = GH_OK;
		}
		if (e != GH_OK)
			goto fail;
	}
	return GH_OK;
fail:
	/* Leave r whole but empty of data, so cleanup (even twice) is safe. */
	request_cleanup(r);
	return e;
}

void
request_cleanup(struct request *r)
{
	if (r == NULL)
		return;
	request_free_str(&r->method);
	request_free_str(&r->uri);
	request_free_str(&r->path);
	request_free_str(&r->host);
	request_free_str(&r->remote_addr);
	request_free_str(&r->user_agent);
	request_free_str(&r->accept);
	request_free_str(&r->authorization);
	request_free_str(&r->origin);
	request_free_str(&r->sec_fetch_site);
	request_free_str(&r->content_type);
	request_free_str(&r->forwarded_for);
	kvlist_cleanup(&r->query);
	kvlist_cleanup(&r->form);
	kvlist_cleanup(&r->cookies);
	r->https = false;
	r->api = false;
	r->body_malformed = false;
	r->role = REQUEST_RESPONDER;
}

/* accept_has names whether the Accept header lists media type t. */
static bool
accept_has(const char *accept, const char *t)
{
	size_t tl = strlen(t), n;
	const char *p = accept;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ",; \t");
		if (n == tl && strncasecmp(p, t, tl) == 0)
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool
request_wants_json(const struct request *r)
{
	if (r->api)
		return true;
	if (r->authorization != NULL && strncasecmp(r->authorization, "Bearer ", 7) == 0)
		return true;
	if (r->accept == NULL)
		return false;
	return accept_has(r->accept, "application/json") && !accept_has(r->accept, "text/html");
}
