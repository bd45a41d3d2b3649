/*
 * jwks.c: JSON Web Key sets (RFC 7517) to and from PEM public keys (see
 * jwks.h): the document ({"keys": [...]}) read from a file or a buffer,
 * its keys looked up by kid, and the messages of both files.  Each key is
 * turned into a PEM public key by jwks_key.c; jwks_impl.h says what the
 * two share.
 *
 * A partner's JWKS file is configuration, so a key Gatehouse cannot use
 * makes the whole file an error that names the key (its index, and its kid
 * once that is known to be printable), never a key skipped in silence; so
 * do two keys of one kid, which would leave jwks_find unable to tell which
 * key a token names.  Messages never quote the document around a fault:
 * only member names, the kid, and short printable values of kty, crv, use
 * and alg.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "jwks.h"
#include "jwks_impl.h"

/* jwks_error: see jwks_impl.h. */
enum gh_err
jwks_error(char *err, size_t errlen, enum gh_err e, size_t i, const char *kid, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	int n;

	if (err == NULL || errlen == 0)
		return e;
	va_start(ap, fmt);
	n = vsnprintf(i == SIZE_MAX ? err : why, i == SIZE_MAX ? errlen : sizeof(why), fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = err[0] = '\0';
	if (i == SIZE_MAX)
		return e;
	if (kid != NULL && kid[0] != '\0')
		n = snprintf(err, errlen, "keys[%zu] (kid \"%s\"): %s", i, kid, why);
	else
		n = snprintf(err, errlen, "keys[%zu]: %s", i, why);
	if (n < 0)
		err[0] = '\0';
	return e;
}

enum gh_err
jwks_parse(const char *json, size_t len, struct jwks *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *keys;
	size_t i, j, n;
	char *cut;
	enum gh_err rc;

	memset(out, 0, sizeof(*out));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > JWKS_MAX_BYTES)
		return jwks_error(err, errlen, GH_ETOOBIG, SIZE_MAX, NULL, "larger than %d KiB",
		    JWKS_MAX_BYTES / 1024);
	if ((root = json_loadb(json != NULL ? json : "", len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return jwks_error(err, errlen, GH_ENOMEM, SIZE_MAX, NULL, "out of memory");
		/* jansson quotes the text near the fault: it may be a key. */
		if ((cut = strstr(jerr.text, " near ")) != NULL)
			*cut = '\0';
		return jwks_error(err, errlen, GH_EINVAL, SIZE_MAX, NULL,
		    "not valid JSON (line %d, column %d: %s)", jerr.line, jerr.column, jerr.text);
	}
	rc = GH_EINVAL;
	if (!json_is_object(root)) {
		jwks_error(err, errlen, rc, SIZE_MAX, NULL, "not a JSON object");
		goto out;
	}
	if (!json_is_array(keys = json_object_get(root, "keys"))) {
		jwks_error(err, errlen, rc, SIZE_MAX, NULL, "no \"keys\" array");
		goto out;
	}
	if ((n = json_array_size(keys)) == 0) {
		jwks_error(err, errlen, rc, SIZE_MAX, NULL, "\"keys\" is empty");
		goto out;
	}
	if (n > JWKS_MAX_KEYS) {
		rc = jwks_error(
		    err, errlen, GH_ETOOBIG, SIZE_MAX, NULL, "more than %d keys", JWKS_MAX_KEYS);
		goto out;
	}
	if ((out->keys = calloc(n, sizeof(*out->keys))) == NULL) {
		rc = jwks_error(err, errlen, GH_ENOMEM, SIZE_MAX, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct jwks_key *k = &out->keys[i];

		if ((rc = jwks_key_parse(json_array_get(keys, i), i, k, err, errlen)) != GH_OK) {
			free(k->pem);
			goto out;
		}
		out->nkeys = i + 1;
		/* jwks_find must name one key: a kid, or none, at most once. */
		for (j = 0; j < i; j++)
			if (strcmp(out->keys[j].kid, k->kid) == 0)
				break;
		if (j < i) {
			rc = jwks_error(err, errlen, GH_EINVAL, i, k->kid,
			    k->kid[0] != '\0'
			        ? "the same kid as keys[%zu]"
			        : "no kid, as keys[%zu]: at most one key may go without",
			    j);
			goto out;
		}
	}
	rc = GH_OK;
out:
	json_decref(root);
	if (rc != GH_OK)
		jwks_cleanup(out);
	return rc;
}

/*
 * jwks_read_file (jwks.h).  It is not config_read_file (config.h), which reads whatever path names
 * and must go on doing so for its callers: `gatehousectl --config
 * /dev/stdin`, or a secret handed over through a pipe
 * (GATEHOUSE_DATABASE_PASSWORD_FILE=<(pass show db) gatehousectl ...),
 * work today.  A JWKS file must be a regular file, opened without
 * blocking, so that a FIFO in its place is refused at once instead of
 * hanging gatehouse-sso's start-up.
 */
enum gh_err
jwks_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	enum gh_err rc = GH_EIO;
	int fd;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO in its place must not hang the start-up. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return jwks_error(err, errlen, GH_EIO, SIZE_MAX, NULL, "%s: cannot read: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		jwks_error(err, errlen, rc, SIZE_MAX, NULL, "%s: not a regular file", path);
		goto out;
	}
	/* One byte over the limit tells a file that is too large. */
	if ((buf = malloc(JWKS_MAX_BYTES + 1)) == NULL) {
		rc = jwks_error(err, errlen, GH_ENOMEM, SIZE_MAX, NULL, "%s: out of memory", path);
		goto out;
	}
	while (n < JWKS_MAX_BYTES + 1) {
		got = read(fd, buf + n, JWKS_MAX_BYTES + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			jwks_error(err, errlen, rc, SIZE_MAX, NULL, "%s: cannot read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > JWKS_MAX_BYTES) {
		rc = jwks_error(err, errlen, GH_ETOOBIG, SIZE_MAX, NULL, "%s: larger than %d KiB",
		    path, JWKS_MAX_BYTES / 1024);
		goto out;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = GH_OK;
out:
	free(buf);
	close(fd);
	return rc;
}

enum gh_err
jwks_load(const char *path, struct jwks *out, char *err, size_t errlen)
{
	char why[320], *text;
	size_t len;
	enum gh_err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = jwks_read_file(path, &text, &len, err, errlen)) != GH_OK)
		return rc;
	rc = jwks_parse(text, len, out, why, sizeof(why));
	free(text);
	if (rc != GH_OK)
		jwks_error(err, errlen, rc, SIZE_MAX, NULL, "%s: %s", path, why);
	return rc;
}

const struct jwks_key *
jwks_find(const struct jwks *set, const char *kid)
{
	size_t i;

	if (set == NULL || kid == NULL)
		return NULL;
	for (i = 0; i < set->nkeys; i++)
		if (strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}

void
jwks_cleanup(struct jwks *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nkeys; i++)
		free(set->keys[i].pem);
	free(set->keys);
	memset(set, 0, sizeof(*set));
}
