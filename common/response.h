/*
 * response.h: building a FastCGI answer.
 *
 * The status line goes out first ("Status: 302 Found"), as lighttpd's
 * authorizer mode requires, then the headers in the order added, then the
 * body.  Header names and values containing CR, LF or NUL are refused (the
 * response becomes a 500), so a value from a request can never split a
 * header.  Every HTML page carries Cache-Control: no-store and the security
 * headers of response_security_headers().
 */
#ifndef GH_RESPONSE_H
#define GH_RESPONSE_H

#include <stdbool.h>

#include "buf.h"

struct FCGX_Stream;
struct config;
struct request;

struct response {
	int status;
	struct buf headers; /* "Name: value\r\n" lines */
	struct buf body;
	bool broken; /* a bad header was refused; sent as 500 */
};

void response_init(struct response *r);
void response_cleanup(struct response *r);
/* response_reset empties r for reuse (keeps memory). */
void response_reset(struct response *r);
void response_header(struct response *r, const char *name, const char *value);
/* response_security_headers adds no-store, CSP, frame-ancestors,
 * Referrer-Policy, X-Content-Type-Options. */
void response_security_headers(struct response *r);

struct cookie {
	const char *name; /* the full name ("__Host-gatehouse" or "gatehouse") */
	const char *value;
	long max_age; /* seconds; 0: session cookie; <0: delete now */
	bool secure;
	bool http_only;
	const char *same_site; /* "Lax", "Strict" or NULL */
};
/* response_cookie adds a Set-Cookie header, always with Path=/. */
void response_cookie(struct response *r, const struct cookie *c);
/* response_redirect sets status (302 or 303) and Location. */
void response_redirect(struct response *r, int status, const char *location);
/* response_json sets status, Content-Type: application/json and body. */
void response_json(struct response *r, int status, const char *json);
/* response_text sets a plain text error answer. */
void response_text(struct response *r, int status, const char *text);
/* response_send writes r to out.  Returns false when the stream failed. */
bool response_send(struct response *r, struct FCGX_Stream *out);
/* response_reason returns the reason phrase of an HTTP status. */
const char *response_reason(int status);

#endif
