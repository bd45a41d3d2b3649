/*
 * test_tmp.h: a test's own temporary folder (test_signkey.c,
 * test_jwt_access.c, test_jwt_access_cache.c): made with mkdtemp(3) under
 * $TMPDIR or /tmp, and removed with what the test put in it.  Its includers
 * define _POSIX_C_SOURCE (mkdtemp).
 */
#ifndef GH_TEST_TMP_H
#define GH_TEST_TMP_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* tmp_make writes "<$TMPDIR or /tmp>/<name>.XXXXXX" into root (len bytes)
 * and makes that folder; false (said on stderr) when it cannot. */
static inline bool
tmp_make(char *root, size_t len, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n = snprintf(root, len, "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);

	if (n < 0 || (size_t)n >= len || mkdtemp(root) == NULL) {
		perror("mkdtemp");
		root[0] = '\0';
		return false;
	}
	return true;
}

/* tmp_remove removes dir and what it holds, depth levels of folders below
 * it. */
static inline void
tmp_remove(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	while (d != NULL && (de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int n = snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(p))
			continue;
		if (depth > 0 && lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			tmp_remove(p, depth - 1);
		else
			unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

#endif
