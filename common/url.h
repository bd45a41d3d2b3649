/*
 * url.h: safe redirect targets and percent-decoding.
 */
#ifndef GH_URL_H
#define GH_URL_H

#include <stdbool.h>
#include <stddef.h>

/* Longest "next" the login page accepts. */
#define URL_NEXT_MAX 2048

/* url_next_is_safe tells whether next may be used as a redirect target after
 * login: a relative path starting with a single "/" (not "//", not "/\"), or
 * an absolute http(s) URL whose host is in allowed_hosts (space-separated,
 * exact, case-insensitive; NULL or "" allows none).  Control characters
 * (CR, LF, TAB, NUL, DEL...), backslashes and over-long values (2048 bytes)
 * are refused. */
bool url_next_is_safe(const char *next, const char *allowed_hosts);
/* url_decode decodes %XX and "+" (when plus_is_space) of s[0..len) into out,
 * which must hold len+1 bytes.  Returns the decoded length, or -1 for an
 * invalid escape or a decoded NUL. */
long url_decode(const char *s, size_t len, char *out, bool plus_is_space);

#endif
