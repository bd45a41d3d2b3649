/*
 * signkey_publish.c: the public halves of Gatehouse's published signing
 * keys as one JWKS document, served by gatehouse-sso and written by
 * gatehousectl to [sso] public_keys_file for gatehouse-check (signkey.h).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkstemp, fchmod */
#endif

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "jwks.h"
#include "signkey.h"

enum gh_err
signkey_jwks(const struct signkey_set *set, char **out)
{
	json_t *doc = json_pack("{s:[]}", "keys");
	enum gh_err e = GH_OK;

	*out = NULL;
	if (doc == NULL)
		return GH_ENOMEM;
	for (size_t i = 0; set != NULL && i < set->nkeys && e == GH_OK; i++) {
		const struct signkey *k = &set->keys[i];

		if (signkey_published(k))
			e = jwks_add_json(
			    doc, k->pem, k->pem_len, k->kid, signkey_alg_name(k->alg));
	}
	if (e == GH_OK && (*out = json_dumps(doc, JSON_COMPACT)) == NULL)
		e = GH_ENOMEM;
	json_decref(doc);
	return e;
}

/* signkey_publish_write writes the n bytes of text to the new file fd,
 * makes it readable by all (public keys) and syncs it; false with errno. */
static bool
signkey_publish_write(int fd, const char *text, size_t n)
{
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		if ((w = write(fd, text + done, n - done)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		done += (size_t)w;
	}
	return fchmod(fd, 0644) == 0 && fsync(fd) == 0;
}

enum gh_err
signkey_publish(const char *path, const struct signkey_set *set, char *err, size_t errlen)
{
	char *text = NULL, *tmp = NULL;
	size_t n;
	int fd = -1, saved;
	bool ok;
	enum gh_err e;

	if ((e = signkey_jwks(set, &text)) != GH_OK) {
		snprintf(err, errlen, "%s: cannot make the public keys: %s", path, gh_strerror(e));
		return e;
	}
	n = strlen(path) + sizeof(".XXXXXX");
	if ((tmp = malloc(n)) == NULL) {
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return GH_ENOMEM;
	}
	snprintf(tmp, n, "%s.XXXXXX", path);
	e = GH_EIO;
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "%s: cannot write it: %s", path, strerror(errno));
		goto out;
	}
	ok = signkey_publish_write(fd, text, strlen(text));
	saved = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	fd = -1;
	if (!ok) {
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot write it: %s", path, strerror(saved));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: cannot replace it: %s", path, strerror(saved));
		goto out;
	}
	e = GH_OK;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(text);
	return e;
}
