/*
 * url.c: percent-decoding, and the check that decides whether a "next"
 * parameter may be used as the redirect target after login (see url.h).
 *
 * url_next_is_safe errs on the side of refusing: a refused target only means
 * the user lands on the default page, an accepted bad one is an open
 * redirect.  It accepts a path that starts with exactly one "/", or an
 * http(s) URL with no user part whose host is one of the configured ones;
 * browsers strip tabs and newlines and read "\" as "/", so any control
 * character or backslash refuses the whole value.
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "url.h"

static int
url_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
url_decode(const char *s, size_t len, char *out, bool plus_is_space)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char c;

	if (len > LONG_MAX)
		goto fail;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3)
				goto fail;
			hi = url_hexval((unsigned char)s[i + 1]);
			lo = url_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto fail;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0') /* %00, or a raw NUL byte in s */
			goto fail;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
fail:
	/* out stays a string, even though it is not to be used. */
	out[o] = '\0';
	return -1;
}

/* url_host_allowed tells whether host[0..n) is a word of the space-separated list. */
static bool
url_host_allowed(const char *host, size_t n, const char *list)
{
	const char *p = list, *w;

	if (list == NULL)
		return false;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return false;
		for (w = p; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			;
		if ((size_t)(p - w) == n && strncasecmp(w, host, n) == 0)
			return true;
	}
}

bool
url_next_is_safe(const char *next, const char *allowed_hosts)
{
	const char *p, *auth, *host, *end;
	size_t len, hostlen, ndigits;

	if (next == NULL)
		return false;
	len = strnlen(next, URL_NEXT_MAX + 1);
	if (len == 0 || len > URL_NEXT_MAX)
		return false;
	for (p = next; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;

	/* A relative path: one "/", never "//" (a host follows). */
	if (next[0] == '/')
		return next[1] != '/';

	/* An absolute URL: http or https, "//", an authority without "@". */
	if (strncasecmp(next, "https://", 8) == 0)
		auth = next + 8;
	else if (strncasecmp(next, "http://", 7) == 0)
		auth = next + 7;
	else
		return false;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return false;

	host = auth;
	if (*host == '[') { /* IPv6 literal */
		p = memchr(host, ']', (size_t)(end - host));
		if (p == NULL)
			return false;
		p++;
	} else {
		for (p = host; p < end && *p != ':'; p++)
			;
	}
	hostlen = (size_t)(p - host);
	if (hostlen == 0)
		return false;
	if (p < end) {
		/* Only a port may follow the host. */
		if (*p != ':')
			return false;
		for (p++, ndigits = 0; p < end; p++, ndigits++)
			if (*p < '0' || *p > '9')
				return false;
		if (ndigits == 0 || ndigits > 5)
			return false;
	}
	return url_host_allowed(host, hostlen, allowed_hosts);
}
