/*
 * request.c: turning the FastCGI parameters and body of one request into the
 * struct request that handlers read (see request.h).
 *
 * Every value is copied out of libfcgi's parameter block.  The parsers are
 * strict and bounded: an invalid or NUL-producing percent escape, more than
 * REQUEST_MAX_FIELDS fields, a query string over REQUEST_MAX_QUERY bytes, or
 * a Cookie header that is over REQUEST_MAX_COOKIE_HEADER bytes, holds a
 * control character or a pair without "=" makes the whole request GH_EINVAL
 * (the handler answers 400).  GH_ETOOBIG is left to the caller, which
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

/*
 * request_cookies_parse: l is overwritten (pass an empty list).  Pairs are
 * separated by ";" with optional spaces; names and values are kept as sent
 * (cookie values are not percent-decoded).  Empty pairs are skipped; a pair
 * without "=", an empty name or any control character is GH_EINVAL.
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
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return GH_EINVAL;

	end = s + len;
	for (p = s; p < end; p = semi + 1) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		for (ks = p; ks < semi && cookie_ows(*ks); ks++)
			;
		if (ks == semi)
			continue;
		if (++count > REQUEST_MAX_FIELDS)
			return GH_EINVAL;
	}
	if (count == 0)
		return GH_OK;
	if ((l->v = calloc(count, sizeof(*l->v))) == NULL)
		return GH_ENOMEM;

	for (p = s; p < end; p = semi + 1) {
		struct kv *kv;

		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		for (ks = p; ks < semi && cookie_ows(*ks); ks++)
			;
		if (ks == semi)
			continue;
		if ((eq = memchr(ks, '=', (size_t)(semi - ks))) == NULL) {
			e = GH_EINVAL;
			goto fail;
		}
		for (ke = eq; ke > ks && cookie_ows(ke[-1]); ke--)
			;
		if (ke == ks) {
			e = GH_EINVAL;
			goto fail;
		}
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
	return GH_OK;
fail:
	kvlist_cleanup(l);
	return e;
}

/* request_is_urlencoded: the media type, before any parameters, is
 * application/x-www-form-urlencoded (case-insensitive). */
static bool
request_is_urlencoded(const char *ct)
{
	static const char t[] = "application/x-www-form-urlencoded";
	const char *p;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, t, sizeof(t) - 1) != 0)
		return false;
	for (p = ct + sizeof(t) - 1; *p == ' ' || *p == '\t'; p++)
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

enum gh_err
request_parse(struct request *r, char *const *envp, const char *body, size_t body_len)
{
	const char *v, *q, *qs;
	size_t plen, qlen;
	enum gh_err e;
	bool original;

	memset(r, 0, sizeof(*r));

	v = env_get(envp, "FCGI_ROLE");
	r->role = v != NULL && strcmp(v, "AUTHORIZER") == 0 ? REQUEST_AUTHORIZER
	                                                    : REQUEST_RESPONDER;
	/* nginx's auth_request calls the check as a responder on a subrequest
	 * of its own; the web server's config passes the URI being decided. */
	original = r->role == REQUEST_RESPONDER && env_get(envp, "GATEHOUSE_ORIGINAL_URI") != NULL;
	if ((e = request_strdup(&r->method, envp, "REQUEST_METHOD", "GET")) != GH_OK ||
	    (e = request_strdup(&r->uri, envp, original ? "GATEHOUSE_ORIGINAL_URI" : "REQUEST_URI",
	         "/")) != GH_OK ||
	    (e = request_strdup(&r->remote_addr, envp, "REMOTE_ADDR", "")) != GH_OK ||
	    (e = request_strdup(&r->user_agent, envp, "HTTP_USER_AGENT", "")) != GH_OK ||
	    (e = request_strdup(&r->accept, envp, "HTTP_ACCEPT", "")) != GH_OK ||
	    (e = request_strdup(&r->authorization, envp, "HTTP_AUTHORIZATION", "")) !=
	        GH_OK ||
	    (e = request_strdup(&r->origin, envp, "HTTP_ORIGIN", "")) != GH_OK ||
	    (e = request_strdup(&r->sec_fetch_site, envp, "HTTP_SEC_FETCH_SITE", "")) !=
	        GH_OK ||
	    (e = request_strdup(&r->content_type, envp, "CONTENT_TYPE", "")) != GH_OK)
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

	/* The path: the URI up to "?", percent-decoded, "+" kept as is. */
	q = strchr(r->uri, '?');
	plen = q != NULL ? (size_t)(q - r->uri) : strlen(r->uri);
	if ((r->path = malloc(plen + 1)) == NULL) {
		e = GH_ENOMEM;
		goto fail;
	}
	if (url_decode(r->uri, plen, r->path, false) < 0) {
		e = GH_EINVAL;
		goto fail;
	}

	/* The query: QUERY_STRING, else what follows "?" in the URI. */
	if (original || (qs = env_get(envp, "QUERY_STRING")) == NULL)
		qs = q != NULL ? q + 1 : "";
	qlen = strnlen(qs, REQUEST_MAX_QUERY + 1);
	if (qlen > REQUEST_MAX_QUERY) {
		e = GH_EINVAL;
		goto fail;
	}
	if ((e = request_urlencoded_parse(qs, qlen, &r->query)) != GH_OK)
		goto fail;

	if ((e = request_cookies_parse(env_get(envp, "HTTP_COOKIE"), &r->cookies)) != GH_OK)
		goto fail;

	if (strcmp(r->method, "POST") == 0 && request_is_urlencoded(r->content_type) &&
	    body != NULL && body_len > 0) {
		if ((e = request_urlencoded_parse(body, body_len, &r->form)) != GH_OK)
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
	kvlist_cleanup(&r->query);
	kvlist_cleanup(&r->form);
	kvlist_cleanup(&r->cookies);
	r->https = false;
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
	if (r->authorization != NULL && strncasecmp(r->authorization, "Bearer ", 7) == 0)
		return true;
	if (r->accept == NULL)
		return false;
	return accept_has(r->accept, "application/json") && !accept_has(r->accept, "text/html");
}
