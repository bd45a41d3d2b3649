/*
 * signkey.c: Gatehouse's own signing keys (see signkey.h): the folder
 * [sso] keys_dir read back, each key file checked, the keys put in order
 * and the state of each told (active, rotated, expired).  Keys are made,
 * written and retired in signkey_file.c, which also holds the folder's
 * lock; signkey_impl.h says what the two share.
 *
 * Nothing in the folder is skipped in silence: gatehouse-sso signs with the
 * newest key and publishes the ones still needed, so a file it ignored
 * could be a key it should publish, and a misnamed copy of a key could make
 * an older key the active one.  Every entry must be a "<kid>.pem" regular
 * file that only its owner may read, holding one unencrypted private key of
 * a kind Gatehouse signs with; the leftover ".<kid>.tmp" of an interrupted
 * write is an error that says to remove it.  The folder is read under a
 * shared lock, so that a key being added or removed is waited for.  The
 * private key text is wiped before it is freed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "config.h"
#include "crypto.h"
#include "signkey.h"
#include "signkey_impl.h"

#define SIGNKEY_FILE_MAX (64 * 1024) /* largest key file */
#define SIGNKEY_RSA_MIN 2048         /* RSA keys read */
#define SIGNKEY_RSA_MAX 8192         /* the largest jwks.h publishes */

/* signkey_errf: see signkey_impl.h. */
void
signkey_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *
signkey_alg_name(enum signkey_alg alg)
{
	return alg == SIGNKEY_RS256 ? "RS256" : "ES256";
}

const char *
signkey_state_name(enum signkey_state state)
{
	switch (state) {
	case SIGNKEY_ACTIVE:
		return "active";
	case SIGNKEY_ROTATED:
		return "rotated";
	default:
		return "expired";
	}
}

int64_t
signkey_lifetime(const struct config *cfg)
{
	return cfg->sso_out_lifetime > cfg->token_access_lifetime ? cfg->sso_out_lifetime
	                                                          : cfg->token_access_lifetime;
}

/* signkey_digits reads the n decimal digits at s; -1 when one is not. */
static int
signkey_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* signkey_time_parse: see signkey_impl.h. */
bool
signkey_time_parse(const char *s, int64_t *t)
{
	struct tm tm, back;
	time_t r;

	if (strnlen(s, SIGNKEY_TIME_LEN) < SIGNKEY_TIME_LEN || s[8] != 'T' || s[15] != 'Z')
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = signkey_digits(s, 4) - 1900;
	tm.tm_mon = signkey_digits(s + 4, 2) - 1;
	tm.tm_mday = signkey_digits(s + 6, 2);
	tm.tm_hour = signkey_digits(s + 9, 2);
	tm.tm_min = signkey_digits(s + 11, 2);
	tm.tm_sec = signkey_digits(s + 13, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_hour < 0 || tm.tm_min < 0 ||
	    tm.tm_sec < 0)
		return false;
	back = tm;
	if ((r = timegm(&back)) == (time_t)-1 || gmtime_r(&r, &back) == NULL)
		return false;
	if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon || back.tm_mday != tm.tm_mday ||
	    back.tm_hour != tm.tm_hour || back.tm_min != tm.tm_min || back.tm_sec != tm.tm_sec)
		return false;
	*t = (int64_t)r;
	return true;
}

/* signkey_kid_parse checks the kid at s, its first n chars (not
 * NUL-terminated there), and reads its time into *t. */
static bool
signkey_kid_parse(const char *s, size_t n, int64_t *t)
{
	if (n != SIGNKEY_KID_LEN || s[SIGNKEY_TIME_LEN] != '-')
		return false;
	for (size_t i = SIGNKEY_TIME_LEN + 1; i < SIGNKEY_KID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return signkey_time_parse(s, t);
}

bool
signkey_kid_valid(const char *kid)
{
	int64_t t;

	return kid != NULL && signkey_kid_parse(kid, strnlen(kid, SIGNKEY_KID_LEN + 1), &t);
}
/* signkey_pem_label writes the label of the first PEM block of pem
 * ("PUBLIC KEY"), for a message; "" when there is none. */
static void
signkey_pem_label(const char *pem, char *out, size_t outlen)
{
	const char *p = strstr(pem, "-----BEGIN "), *end;
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 11;
	if ((end = strstr(p, "-----")) == NULL || (n = (size_t)(end - p)) >= outlen ||
	    strcspn(p, "\r\n") < n)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* A password callback that gives none: an encrypted key is refused, never
 * asked for on the terminal. */
static int
signkey_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* signkey_pem_alg reads the PEM private key pem[0..len) and tells what it
 * signs: true and *alg, or false and why it is refused. */
static bool
signkey_pem_alg(const char *pem, size_t len, enum signkey_alg *alg, char *why, size_t whylen)
{
	char label[48], group[64], *rest;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	long restlen;
	int bits;

	why[0] = '\0';
	if (strncmp(pem + strspn(pem, " \t\r\n"), "-----BEGIN ", 11) != 0) {
		(void)snprintf(why, whylen, "not a PEM file");
		return false;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return false;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, signkey_no_password, NULL);
	if (pkey == NULL) {
		signkey_pem_label(pem, label, sizeof(label));
		if (strstr(label, "PRIVATE KEY") == NULL)
			(void)snprintf(why, whylen, "a PEM \"%s\", not a private key", label);
		else if (strstr(label, "ENCRYPTED") != NULL)
			(void)snprintf(
			    why, whylen, "an encrypted private key: it must be unencrypted");
		else
			(void)snprintf(why, whylen, "a private key OpenSSL cannot read");
		goto done;
	}
	restlen = BIO_get_mem_data(bio, &rest);
	for (long i = 0; i < restlen; i++)
		if (strchr(" \t\r\n", rest[i]) == NULL) {
			(void)snprintf(why, whylen, "something after the key: one key a file");
			goto done;
		}
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(
		        pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1)
			(void)snprintf(
			    why, whylen, "an EC key on no named curve (ES256 needs P-256)");
		else if (OBJ_sn2nid(group) != NID_X9_62_prime256v1 &&
		         EC_curve_nist2nid(group) != NID_X9_62_prime256v1)
			(void)snprintf(
			    why, whylen, "an EC key on %s, not P-256 (ES256 needs P-256)", group);
		else
			*alg = SIGNKEY_ES256;
		break;
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < SIGNKEY_RSA_MIN || bits > SIGNKEY_RSA_MAX)
			(void)snprintf(why, whylen, "an RSA key of %d bits, not %d to %d", bits,
			    SIGNKEY_RSA_MIN, SIGNKEY_RSA_MAX);
		else
			*alg = SIGNKEY_RS256;
		break;
	default:
		(void)snprintf(
		    why, whylen, "a key of another kind than EC P-256 (ES256) or RSA (RS256)");
		break;
	}
done:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return why[0] == '\0';
}

/* signkey_read reads the file name of the folder dir (open as dfd) into k:
 * its name, kind, mode and size checked, its text kept.  The error names
 * the file. */
static enum gh_err
signkey_read(
    int dfd, const char *dir, const char *name, struct signkey *k, char *err, size_t errlen)
{
	size_t n = strlen(name), got = 0, size = 0;
	char *pem = NULL, extra, why[128];
	struct stat st;
	enum gh_err e = GH_ECONFIG;
	int64_t t;
	ssize_t r;
	int fd = -1;

	if (name[0] == '.' && n == 1 + SIGNKEY_KID_LEN + 4 && strcmp(name + n - 4, ".tmp") == 0 &&
	    signkey_kid_parse(name + 1, SIGNKEY_KID_LEN, &t)) {
		signkey_errf(err, errlen,
		    "%s/%s: left by an interrupted gatehousectl keys generate or rotate: remove it",
		    dir, name);
		return GH_ECONFIG;
	}
	if (n != SIGNKEY_KID_LEN + 4 || strcmp(name + SIGNKEY_KID_LEN, ".pem") != 0 ||
	    !signkey_kid_parse(name, SIGNKEY_KID_LEN, &k->created_at)) {
		signkey_errf(err, errlen,
		    "%s/%s: not a key file (KID.pem, KID as YYYYMMDDTHHMMSSZ-xxxxxxxx): the folder "
		    "holds key files only, move it elsewhere",
		    dir, name);
		return GH_ECONFIG;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		signkey_errf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return GH_EIO;
	}
	if (S_ISLNK(st.st_mode)) {
		signkey_errf(
		    err, errlen, "%s/%s: a symbolic link: a key must be a regular file", dir, name);
		return GH_ECONFIG;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		signkey_errf(err, errlen, "%s/%s: cannot open: %s", dir, name, strerror(errno));
		return errno == ELOOP ? GH_ECONFIG : GH_EIO;
	}
	if (fstat(fd, &st) != 0) {
		signkey_errf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		e = GH_EIO;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		signkey_errf(err, errlen, "%s/%s: not a regular file", dir, name);
		goto fail;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		signkey_errf(err, errlen,
		    "%s/%s: mode %04o gives group or others access to a private key: chmod 600 it",
		    dir, name, (unsigned)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_size > SIGNKEY_FILE_MAX) {
		signkey_errf(err, errlen, "%s/%s: larger than 64 KiB", dir, name);
		goto fail;
	}
	size = (size_t)st.st_size;
	if ((pem = malloc(size + 1)) == NULL) {
		signkey_errf(err, errlen, "%s/%s: out of memory", dir, name);
		e = GH_ENOMEM;
		goto fail;
	}
	while (got < size) {
		r = read(fd, pem + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < size || read(fd, &extra, 1) != 0) {
		signkey_errf(
		    err, errlen, "%s/%s: cannot read (or it changed while read)", dir, name);
		e = GH_EIO;
		goto fail;
	}
	pem[got] = '\0';
	if (memchr(pem, '\0', got) != NULL) {
		signkey_errf(err, errlen, "%s/%s: not a PEM file", dir, name);
		goto fail;
	}
	if (!signkey_pem_alg(pem, got, &k->alg, why, sizeof(why))) {
		signkey_errf(err, errlen, "%s/%s: %s", dir, name, why);
		goto fail;
	}
	close(fd);
	memcpy(k->kid, name, SIGNKEY_KID_LEN);
	k->kid[SIGNKEY_KID_LEN] = '\0';
	k->pem = pem;
	k->pem_len = got;
	return GH_OK;
fail:
	if (pem != NULL) {
		crypto_wipe(pem, size + 1);
		free(pem);
	}
	close(fd);
	return e;
}

/* Newest first: by creation time, then by kid. */
static int
signkey_cmp(const void *a, const void *b)
{
	const struct signkey *x = a, *y = b;

	if (x->created_at != y->created_at)
		return x->created_at > y->created_at ? -1 : 1;
	return -strcmp(x->kid, y->kid);
}
/* signkey_load_dir: see signkey_impl.h. */
enum gh_err
signkey_load_dir(DIR *d, const char *dir, int64_t now, int64_t lifetime, struct signkey_set *out,
    char *err, size_t errlen)
{
	struct dirent *de;
	struct stat st;
	enum gh_err e;

	if (fstat(dirfd(d), &st) != 0) {
		signkey_errf(err, errlen, "%s: %s", dir, strerror(errno));
		return GH_EIO;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		signkey_errf(err, errlen,
		    "%s: mode %04o lets group or others add or remove keys: chmod go-w it", dir,
		    (unsigned)(st.st_mode & 07777));
		return GH_ECONFIG;
	}
	if ((out->keys = calloc(SIGNKEY_MAX_KEYS, sizeof(*out->keys))) == NULL) {
		signkey_errf(err, errlen, "%s: out of memory", dir);
		return GH_ENOMEM;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (out->nkeys == SIGNKEY_MAX_KEYS) {
			signkey_errf(err, errlen,
			    "%s: more than %d files: retire the expired keys (gatehousectl keys "
			    "retire)",
			    dir, SIGNKEY_MAX_KEYS);
			return GH_ECONFIG;
		}
		e = signkey_read(dirfd(d), dir, de->d_name, &out->keys[out->nkeys], err, errlen);
		if (e != GH_OK)
			return e;
		out->nkeys++;
	}
	if (errno != 0) {
		signkey_errf(err, errlen, "%s: cannot list: %s", dir, strerror(errno));
		return GH_EIO;
	}
	if (out->nkeys == 0) {
		signkey_errf(err, errlen, "%s: no key (gatehousectl keys generate makes one)", dir);
		return GH_ENOTFOUND;
	}
	qsort(out->keys, out->nkeys, sizeof(*out->keys), signkey_cmp);
	for (size_t i = 0; i < out->nkeys; i++) {
		struct signkey *k = &out->keys[i];
		if (i == 0) {
			k->state = SIGNKEY_ACTIVE;
			k->published_until = INT64_MAX;
			continue;
		}
		int64_t from = out->keys[i - 1].created_at;
		k->published_until =
		    lifetime > 0 && from > INT64_MAX - lifetime ? INT64_MAX : from + lifetime;
		k->state = now < k->published_until ? SIGNKEY_ROTATED : SIGNKEY_EXPIRED;
	}
	return GH_OK;
}

enum gh_err
signkey_load(const char *dir, int64_t now, int64_t lifetime, struct signkey_set *out, char *err,
    size_t errlen)
{
	DIR *d;
	enum gh_err e;

	memset(out, 0, sizeof(*out));
	if ((e = signkey_dir_lock(dir, LOCK_SH, &d, err, errlen)) != GH_OK)
		return e;
	e = signkey_load_dir(d, dir, now, lifetime, out, err, errlen);
	closedir(d);
	if (e != GH_OK)
		signkey_cleanup(out);
	return e;
}

void
signkey_cleanup(struct signkey_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; set->keys != NULL && i < set->nkeys; i++) {
		struct signkey *k = &set->keys[i];
		if (k->pem != NULL) {
			crypto_wipe(k->pem, k->pem_len);
			free(k->pem);
		}
	}
	free(set->keys);
	memset(set, 0, sizeof(*set));
}

const struct signkey *
signkey_active(const struct signkey_set *set)
{
	return set != NULL && set->nkeys > 0 ? &set->keys[0] : NULL;
}

bool
signkey_published(const struct signkey *k)
{
	return k != NULL && k->state != SIGNKEY_EXPIRED;
}
