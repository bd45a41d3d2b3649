/*
 * access.c: the check's access rules (see access.h for the grammar).
 *
 * A rule line is parsed once, when the configuration is loaded, into host and
 * path patterns and one action.  Matching is the check's hot path, so it
 * allocates nothing: the Host header is cut at its ":port" into a stack
 * buffer and compared with fnmatch(3) and FNM_CASEFOLD; the path is first
 * brought to the form the web server serves it under (repeated "/" merged,
 * "." and ".." segments resolved, as RFC 3986 section 5.2.4 does), so that
 * "/public/../admin/x" or "//admin/x" cannot slip past a rule for the
 * "/admin/" tree, and then compared with the path patterns.  The path given must already be
 * percent-decoded and carry no query string; decoding it here a second time would open the very
 * holes the clean-up closes.  A path too long to clean up matches no rule (deny).
 *
 * Path patterns are matched by access_glob, not fnmatch(3): "*" must not
 * cross "/", or a bypass rule for the style sheets ("*.css") under
 * "/static/" would open "/static/x.cgi/a.css", a CGI run with PATH_INFO
 * "/a.css".  The matcher
 * walks the path once, keeping the set of pattern positions still alive (a
 * small NFA), so its cost is bounded by pattern length times path length
 * whatever the pattern.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* FNM_CASEFOLD */
#endif

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

/* Longest host (without port) and path access_match looks at. */
#define ACCESS_HOST_MAX 255
#define ACCESS_PATH_MAX 4096
/* Longest path pattern, after its final "/" "*" became "/" "**". */
#define ACCESS_PATTERN_MAX 512

/* The one reason that is not the rule's fault: compared by address. */
static const char access_enomem[] = "out of memory";

static bool
access_is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool
access_word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(w, s, n) == 0;
}

static bool
access_word_has_prefix(const char *w, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && memcmp(w, prefix, pn) == 0;
}

static bool
access_word_is_action(const char *w, size_t n)
{
	return access_word_is(w, n, "bypass") || access_word_has_prefix(w, n, "require:");
}

/*
 * Parses the action word w[0..n) into r; returns NULL or a reason.
 */
static const char *
access_parse_action(const char *w, size_t n, struct access_rule *r)
{
	const char *name;
	size_t i, namelen;

	if (access_word_is(w, n, "bypass")) {
		r->action = ACCESS_BYPASS;
		return NULL;
	}
	if (access_word_is(w, n, "require:login")) {
		r->action = ACCESS_LOGIN;
		return NULL;
	}
	if (!access_word_has_prefix(w, n, "require:role:"))
		return "unknown requirement (use require:login or require:role:NAME)";
	name = w + strlen("require:role:");
	namelen = n - strlen("require:role:");
	if (namelen == 0)
		return "empty role name in require:role:";
	for (i = 0; i < namelen; i++)
		if (name[i] == ',')
			return "a role name cannot contain ','";
	if ((r->role = strndup(name, namelen)) == NULL)
		return access_enomem;
	r->action = ACCESS_ROLE;
	return NULL;
}

/*
 * Stores the path pattern pat[0..n) in *slot; a pattern that ends in "/"
 * then "*" (one folder's whole tree, as rules have always meant it) gets a
 * second "*".
 */
static const char *
access_parse_path_pattern(const char *pat, size_t n, char **slot)
{
	bool tree = n >= 2 && pat[n - 2] == '/' && pat[n - 1] == '*';
	char *p;

	if ((p = malloc(n + (tree ? 2 : 1))) == NULL)
		return access_enomem;
	memcpy(p, pat, n);
	if (tree)
		p[n++] = '*';
	p[n] = '\0';
	*slot = p;
	return NULL;
}

/*
 * Parses the condition word w[0..n) ("host:P" or "path:P") into r; returns
 * NULL or a reason.
 */
static const char *
access_parse_condition(const char *w, size_t n, struct access_rule *r)
{
	char **slot;
	const char *pat;
	size_t patlen;

	if (access_word_has_prefix(w, n, "host:")) {
		slot = &r->host;
		pat = w + 5;
		patlen = n - 5;
		if (*slot != NULL)
			return "more than one host: condition";
		if (patlen == 0)
			return "empty host: pattern";
	} else if (access_word_has_prefix(w, n, "path:")) {
		slot = &r->path;
		pat = w + 5;
		patlen = n - 5;
		if (*slot != NULL)
			return "more than one path: condition";
		if (patlen == 0)
			return "empty path: pattern";
		if (pat[0] != '/' && !(patlen >= 2 && pat[0] == '*' && pat[1] == '*'))
			return "a path: pattern must start with '/' or '**' ('*' does not match "
			       "'/')";
		if (patlen + 1 > ACCESS_PATTERN_MAX)
			return "path: pattern too long";
		return access_parse_path_pattern(pat, patlen, slot);
	} else
		return "unknown word (expected host:, path:, bypass or require:)";
	if ((*slot = strndup(pat, patlen)) == NULL)
		return access_enomem;
	return NULL;
}

enum gh_err
access_rule_parse(const char *line, struct access_rule *r, const char **why)
{
	const char *p, *w, *reason = NULL;
	const char *dummy;
	size_t n;
	bool have_action = false;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(r, 0, sizeof(*r));
	if (line == NULL) {
		*why = "empty rule";
		return GH_EINVAL;
	}
	for (p = line; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			*why = "control character in rule";
			return GH_EINVAL;
		}

	p = line;
	for (;;) {
		while (access_is_space(*p))
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && !access_is_space(*p))
			p++;
		n = (size_t)(p - w);

		if (access_word_is_action(w, n)) {
			if (have_action) {
				reason = "more than one action";
				goto fail;
			}
			if ((reason = access_parse_action(w, n, r)) != NULL)
				goto fail;
			have_action = true;
		} else {
			if (have_action && (access_word_has_prefix(w, n, "host:") ||
			                       access_word_has_prefix(w, n, "path:"))) {
				reason = "a condition after the action";
				goto fail;
			}
			if ((reason = access_parse_condition(w, n, r)) != NULL)
				goto fail;
		}
	}
	if (!have_action) {
		reason = "no action (use bypass, require:login or require:role:NAME)";
		goto fail;
	}
	return GH_OK;

fail:
	access_rule_cleanup(r);
	*why = reason;
	return reason == access_enomem ? GH_ENOMEM : GH_EINVAL;
}

void
access_rule_cleanup(struct access_rule *r)
{
	if (r == NULL)
		return;
	free(r->host);
	free(r->path);
	free(r->role);
	memset(r, 0, sizeof(*r));
}

/*
 * Copies host without its ":port" (and without one trailing ".") into out,
 * which holds ACCESS_HOST_MAX + 1 bytes.  "[v6]:port" keeps its brackets.
 * Returns false for an empty or over-long host.
 */
static bool
access_host_clean(const char *host, char *out)
{
	const char *end;
	size_t n;

	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return false;
		end++;
	} else if ((end = strchr(host, ':')) == NULL)
		end = host + strlen(host);
	n = (size_t)(end - host);
	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n > ACCESS_HOST_MAX)
		return false;
	memcpy(out, host, n);
	out[n] = '\0';
	return true;
}

/*
 * Writes path into out (outlen bytes) with runs of "/" merged and "." and
 * ".." segments resolved; ".." never climbs above "/".  A trailing "/" is
 * kept, and one is added after a final "." or "..", as RFC 3986 does.
 * Returns false when path does not start with "/" or does not fit.
 */
static bool
access_path_clean(const char *path, char *out, size_t outlen)
{
	const char *p = path, *seg;
	size_t o = 0, len;
	bool dir = true;

	if (path[0] != '/' || outlen < 2)
		return false;
	out[o++] = '/';
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			dir = true;
			break;
		}
		seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (len == 1 && seg[0] == '.') {
			dir = true;
			continue;
		}
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (o > 1) {
				o--;
				while (out[o - 1] != '/')
					o--;
			}
			dir = true;
			continue;
		}
		if (len + 2 > outlen - o)
			return false;
		memcpy(out + o, seg, len);
		o += len;
		out[o++] = '/';
		dir = false;
	}
	if (!dir && o > 1)
		o--;
	out[o] = '\0';
	return true;
}

/* Width of the pattern token at pat[i]: 2 for "**", else 1. */
static size_t
access_glob_width(const char *pat, size_t i)
{
	return pat[i] == '*' && pat[i + 1] == '*' ? 2 : 1;
}

/* Adds to live every position reachable from a live one through stars
 * matching nothing. */
static void
access_glob_close(const char *pat, size_t m, bool *live)
{
	size_t i;

	for (i = 0; i < m; i++)
		if (live[i] && pat[i] == '*')
			live[i + access_glob_width(pat, i)] = true;
}

/*
 * access_glob tells whether path matches pat: "**" matches any run of
 * characters, "*" any run without "/", "?" one character other than "/",
 * anything else itself.  pat is at most ACCESS_PATTERN_MAX bytes (checked at
 * parse time).
 */
static bool
access_glob(const char *pat, const char *path)
{
	bool a[ACCESS_PATTERN_MAX + 1], b[ACCESS_PATTERN_MAX + 1];
	bool *live = a, *next = b, *t, any;
	size_t m = strlen(pat), i;
	const char *s;

	if (m > ACCESS_PATTERN_MAX)
		return false;
	memset(live, 0, m + 1);
	live[0] = true;
	access_glob_close(pat, m, live);
	for (s = path; *s != '\0'; s++) {
		memset(next, 0, m + 1);
		any = false;
		for (i = 0; i < m; i++) {
			if (!live[i])
				continue;
			if (pat[i] == '*') {
				if (access_glob_width(pat, i) == 2 || *s != '/')
					next[i] = any = true;
			} else if (pat[i] == '?' ? *s != '/' : *s == pat[i])
				next[i + 1] = any = true;
		}
		if (!any)
			return false;
		access_glob_close(pat, m, next);
		t = live;
		live = next;
		next = t;
	}
	return live[m];
}

const struct access_rule *
access_match(const struct access_rule *rules, size_t n, const char *host, const char *path)
{
	char hbuf[ACCESS_HOST_MAX + 1], pbuf[ACCESS_PATH_MAX + 1];
	const char *h = NULL, *cp = NULL;
	size_t i;

	/* A path that is not one (an absolute-form target, say) would skip
	 * every path: rule and fall through to broader ones: deny. */
	if (path == NULL || path[0] != '/' || !access_path_clean(path, pbuf, sizeof(pbuf)))
		return NULL;
	cp = pbuf;
	if (host != NULL && access_host_clean(host, hbuf))
		h = hbuf;
	for (i = 0; i < n; i++) {
		const struct access_rule *r = &rules[i];

		if (r->host != NULL) {
			/* No host to compare: the rules were written per host, so
			 * skipping this one could reach a broader rule: deny. */
			if (h == NULL)
				return NULL;
			if (fnmatch(r->host, h, FNM_CASEFOLD) != 0)
				continue;
		}
		if (r->path != NULL && !access_glob(r->path, cp))
			continue;
		return r;
	}
	return NULL;
}

bool
access_roles_has(const char *roles, const char *role)
{
	return role != NULL && access_roles_has_n(roles, role, strlen(role));
}

bool
access_roles_has_n(const char *roles, const char *role, size_t rl)
{
	const char *s, *e, *t;

	if (roles == NULL || role == NULL || rl == 0)
		return false;
	for (;;) {
		s = roles;
		while (*s == ' ')
			s++;
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		t = e;
		while (t > s && t[-1] == ' ')
			t--;
		if ((size_t)(t - s) == rl && memcmp(s, role, rl) == 0)
			return true;
		if (*e == '\0')
			return false;
		roles = e + 1;
	}
}
