/*
 * fuzz_access: parses the first line of the input as an access rule and
 * matches the rest (host, then path, one per line) against it.
 *
 * For a path: rule and a path that is already clean (no empty, "." or ".."
 * segment, so access.c's clean-up leaves it as it is), the answer must be
 * that of a plain recursive matcher of the pattern language (reference_glob
 * below): "*" within a segment, "**" anything, "?" one non-"/", a final
 * slash-star the whole tree.  It is slow (backtracking), so it only judges
 * short inputs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
reference_glob(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (p[0] == '*' && p[1] == '*') {
		do
			if (reference_glob(p + 2, s))
				return true;
		while (*s++ != '\0');
		return false;
	}
	if (*p == '*') {
		do
			if (reference_glob(p + 1, s))
				return true;
		while (*s != '/' && *s++ != '\0');
		return false;
	}
	if (*s == '\0' || (*p == '?' ? *s == '/' : *s != *p))
		return false;
	return reference_glob(p + 1, s + 1);
}

/* Whether path is its own clean-up: starts with "/", no "//", no "." or
 * ".." segment. */
static bool
path_is_clean(const char *path)
{
	const char *seg = path;

	if (path[0] != '/')
		return false;
	while (*seg == '/') {
		size_t n;

		seg++;
		n = strcspn(seg, "/");
		if ((n == 0 && seg[0] == '/') || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		seg += n;
	}
	return true;
}

static void
compare_with_reference(const struct access_rule *r, const char *host, const char *path)
{
	char pat[80];
	size_t n, stars = 0;
	bool want, got;

	if (r->path == NULL || r->host != NULL || strlen(path) > 40 || !path_is_clean(path))
		return;
	n = strlen(r->path);
	for (size_t i = 0; i < n; i++)
		stars += r->path[i] == '*';
	if (n >= sizeof(pat) || stars > 6)
		return;
	/* r->path already has its final slash-star spelt as "**". */
	memcpy(pat, r->path, n + 1);
	want = reference_glob(pat, path);
	got = access_match(r, 1, host, path) != NULL;
	if (want != got) {
		fprintf(
		    stderr, "pattern %s path %s: matcher %d, reference %d\n", pat, path, got, want);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *host = "", *path = "/";
	struct access_rule r;
	const char *why = NULL;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char *nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		host = nl + 1;
		char *nl2 = strchr(host, '\n');
		if (nl2 != NULL) {
			*nl2 = '\0';
			path = nl2 + 1;
		}
	}
	memset(&r, 0, sizeof(r));
	if (access_rule_parse(s, &r, &why) == GH_OK) {
		(void)access_match(&r, 1, host, path);
		(void)access_roles_has(path, host);
		compare_with_reference(&r, host, path);
	}
	access_rule_cleanup(&r);
	free(s);
	return 0;
}
