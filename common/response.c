/*
 * response.c: building and sending one FastCGI answer (see response.h).
 *
 * Headers are collected in order in one buffer and checked as they are
 * added: a name that is not an HTTP token, a value with a control character
 * (CR, LF, NUL...) or a cookie with characters cookies may not hold marks the
 * response broken, and response_send then answers a plain 500 instead of
 * anything built so far, so a value from a request can never split a header
 * or smuggle one in.  The "Status:" line always goes out first.
 */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#include "log.h"
#include "response.h"

#define RESPONSE_MAX_HEADERS (64 * 1024)

static const char response_500[] = "Status: 500 Internal Server Error\r\n"
                                   "Content-Type: text/plain; charset=utf-8\r\n"
                                   "Cache-Control: no-store\r\n"
                                   "\r\n"
                                   "Internal Server Error\n";

void
response_init(struct response *r)
{
	r->status = 200;
	buf_init(&r->headers);
	r->headers.max = RESPONSE_MAX_HEADERS;
	buf_init(&r->body);
	r->broken = false;
}

void
response_cleanup(struct response *r)
{
	buf_cleanup(&r->headers);
	buf_cleanup(&r->body);
	r->status = 200;
	r->headers.max = RESPONSE_MAX_HEADERS;
	r->broken = false;
}

void
response_reset(struct response *r)
{
	r->status = 200;
	buf_reset(&r->headers);
	buf_reset(&r->body);
	r->broken = false;
}

/* An HTTP token character (RFC 9110 tchar). */
static bool
response_is_tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
response_is_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!response_is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* A header value: no control character but HTAB, no DEL. */
static bool
response_is_field_value(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

static void
response_break(struct response *r, const char *why, const char *name)
{
	/* The value is not logged: it may be a secret or an attacker's text. */
	if (!r->broken)
		log_msg(LOG_ERR, "response: %s (header %s), answering 500", why,
		    response_is_token(name) ? name : "?");
	r->broken = true;
}

void
response_header(struct response *r, const char *name, const char *value)
{
	if (!response_is_token(name)) {
		response_break(r, "invalid header name", name);
		return;
	}
	if (!response_is_field_value(value)) {
		response_break(r, "control character in header value", name);
		return;
	}
	buf_puts(&r->headers, name);
	buf_puts(&r->headers, ": ");
	buf_puts(&r->headers, value);
	buf_puts(&r->headers, "\r\n");
}

void
response_security_headers(struct response *r)
{
	response_header(r, "Cache-Control", "no-store");
	response_header(r, "Pragma", "no-cache");
	response_header(r, "Content-Security-Policy",
	    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	response_header(r, "X-Frame-Options", "DENY");
	response_header(r, "Referrer-Policy", "same-origin");
	response_header(r, "X-Content-Type-Options", "nosniff");
}

/* RFC 6265 cookie-octet: visible ASCII but DQUOTE, comma, semicolon, backslash. */
static bool
response_is_cookie_value(const char *s)
{
	unsigned char c;

	if (s == NULL)
		return false;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\')
			return false;
	}
	return true;
}

void
response_cookie(struct response *r, const struct cookie *c)
{
	struct buf v;

	if (!response_is_token(c->name)) {
		response_break(r, "invalid cookie name", "Set-Cookie");
		return;
	}
	if (!response_is_cookie_value(c->value)) {
		response_break(r, "invalid cookie value", "Set-Cookie");
		return;
	}
	if (c->same_site != NULL && strcmp(c->same_site, "Lax") != 0 &&
	    strcmp(c->same_site, "Strict") != 0 && strcmp(c->same_site, "None") != 0) {
		response_break(r, "invalid SameSite", "Set-Cookie");
		return;
	}
	/* Browsers drop these silently without Secure: catch the bug here. */
	if (!c->secure &&
	    (strncmp(c->name, "__Host-", 7) == 0 || strncmp(c->name, "__Secure-", 9) == 0)) {
		response_break(r, "__Host-/__Secure- cookie without Secure", "Set-Cookie");
		return;
	}

	buf_init(&v);
	buf_printf(&v, "%s=%s; Path=/", c->name, c->value);
	if (c->max_age > 0)
		buf_printf(&v, "; Max-Age=%ld", c->max_age);
	else if (c->max_age < 0)
		buf_puts(&v, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
	if (c->secure)
		buf_puts(&v, "; Secure");
	if (c->http_only)
		buf_puts(&v, "; HttpOnly");
	if (c->same_site != NULL)
		buf_printf(&v, "; SameSite=%s", c->same_site);
	if (v.err)
		response_break(r, "out of memory", "Set-Cookie");
	else
		response_header(r, "Set-Cookie", v.data);
	buf_cleanup(&v);
}

void
response_redirect(struct response *r, int status, const char *location)
{
	if (status < 300 || status > 399) {
		response_break(r, "redirect with a non-3xx status", "Location");
		return;
	}
	r->status = status;
	response_header(r, "Location", location);
	response_header(r, "Content-Type", "text/plain; charset=utf-8");
}

void
response_json(struct response *r, int status, const char *json)
{
	r->status = status;
	response_header(r, "Content-Type", "application/json");
	buf_puts(&r->body, json);
}

void
response_text(struct response *r, int status, const char *text)
{
	r->status = status;
	response_header(r, "Content-Type", "text/plain; charset=utf-8");
	buf_puts(&r->body, text);
}

static bool
response_put(FCGX_Stream *out, const char *s, size_t n)
{
	size_t chunk;

	while (n > 0) {
		chunk = n > 65536 ? 65536 : n;
		if (FCGX_PutStr(s, (int)chunk, out) != (int)chunk)
			return false;
		s += chunk;
		n -= chunk;
	}
	return true;
}

bool
response_send(struct response *r, struct FCGX_Stream *out)
{
	char status[64];
	int n;

	if (out == NULL)
		return false;
	if (r->status < 100 || r->status > 599) {
		if (!r->broken)
			log_msg(LOG_ERR, "response: invalid status %d, answering 500", r->status);
		r->broken = true;
	}
	if (!r->broken && (r->headers.err || r->body.err)) {
		log_msg(LOG_ERR, "response: too large or out of memory, answering 500");
		r->broken = true;
	}
	if (r->broken)
		return response_put(out, response_500, sizeof(response_500) - 1);

	n = snprintf(
	    status, sizeof(status), "Status: %d %s\r\n", r->status, response_reason(r->status));
	if (n < 0 || (size_t)n >= sizeof(status))
		return response_put(out, response_500, sizeof(response_500) - 1);
	return response_put(out, status, (size_t)n) &&
	       response_put(out, r->headers.data, r->headers.len) && response_put(out, "\r\n", 2) &&
	       response_put(out, r->body.data, r->body.len);
}

const char *
response_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "Unknown";
}
