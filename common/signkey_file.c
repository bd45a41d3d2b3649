/*
 * signkey_file.c: what changes the folder of Gatehouse's signing keys (see
 * signkey.h): a new key made with OpenSSL 3 and written in, an old one
 * retired, and the lock that keeps those who change the folder apart from
 * those who read it.  The folder is read and checked in signkey.c;
 * signkey_impl.h says what the two share.
 *
 * A key is written under ".<kid>.tmp" (O_EXCL, O_NOFOLLOW, mode 0600),
 * synced, renamed to "<kid>.pem" and the folder synced, so the folder never
 * holds half a key.  Adding and removing a key hold an exclusive flock(2)
 * on the folder and loading it a shared one, so gatehouse-sso starting
 * while gatehousectl writes waits instead of finding the temporary file.
 * A new key is named for the second it is made in, and made only when no
 * key of that second or later is there, so that it is the newest.  Its PEM
 * text is kept in OpenSSL's secure memory, wiped when freed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "signkey.h"
#include "signkey_impl.h"

#define SIGNKEY_RSA_BITS 3072 /* RSA keys made here */

/* signkey_kid_make writes the kid of a key made at now into kid. */
static enum gh_err
signkey_kid_make(int64_t now, char kid[SIGNKEY_KID_MAX + 1], char *err, size_t errlen)
{
	unsigned char rnd[4];
	time_t tt = (time_t)now;
	struct tm tm;
	int64_t check;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(kid, SIGNKEY_TIME_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != SIGNKEY_TIME_LEN ||
	    !signkey_time_parse(kid, &check)) {
		signkey_errf(err, errlen, "the time %lld cannot name a key", (long long)now);
		return GH_EINVAL;
	}
	if (crypto_random(rnd, sizeof(rnd)) != GH_OK) {
		signkey_errf(err, errlen, "the random source failed");
		return GH_ECRYPTO;
	}
	(void)snprintf(kid + SIGNKEY_TIME_LEN, SIGNKEY_KID_MAX + 1 - SIGNKEY_TIME_LEN,
	    "-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	return GH_OK;
}

/* signkey_dir_lock: see signkey_impl.h. */
enum gh_err
signkey_dir_lock(const char *dir, int how, DIR **d, char *err, size_t errlen)
{
	int rc;

	if ((*d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			signkey_errf(err, errlen,
			    "%s: no such folder (gatehousectl keys generate makes it)", dir);
			return GH_ENOTFOUND;
		}
		signkey_errf(err, errlen, "%s: cannot open the folder: %s", dir, strerror(errno));
		return GH_EIO;
	}
	while ((rc = flock(dirfd(*d), how)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		signkey_errf(err, errlen, "%s: cannot lock the folder: %s", dir, strerror(errno));
		closedir(*d);
		*d = NULL;
		return GH_EIO;
	}
	return GH_OK;
}

/* signkey_pem_make makes a key of alg and writes it as PEM PKCS#8 into a
 * new memory BIO (*out, wiped when freed). */
static enum gh_err
signkey_pem_make(enum signkey_alg alg, BIO **out, char *err, size_t errlen)
{
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	enum gh_err e = GH_OK;

	if (alg == SIGNKEY_RS256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)SIGNKEY_RSA_BITS);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (pkey == NULL) {
		signkey_errf(err, errlen, "OpenSSL cannot make a %s key", signkey_alg_name(alg));
		e = GH_ECRYPTO;
	} else if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	           PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		signkey_errf(
		    err, errlen, "OpenSSL cannot write the %s key as PEM", signkey_alg_name(alg));
		e = GH_ECRYPTO;
		BIO_free(bio);
		bio = NULL;
	}
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	*out = bio;
	return e;
}

/* signkey_check_newest: GH_EEXISTS when dir (d) holds a key file, or the
 * leftover of one, named for the time of kid or later. */
static enum gh_err
signkey_check_newest(DIR *d, const char *dir, const char *kid, char *err, size_t errlen)
{
	struct dirent *de;
	int64_t t;

	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name[0] == '.' ? de->d_name + 1 : de->d_name;
		if (!signkey_time_parse(n, &t) || strncmp(n, kid, SIGNKEY_TIME_LEN) < 0)
			continue;
		signkey_errf(err, errlen, "%s/%s: a key made in the same second or later exists",
		    dir, de->d_name);
		return GH_EEXISTS;
	}
	return GH_OK;
}

/* signkey_write_all writes p[0..n) to fd. */
static bool
signkey_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

enum gh_err
signkey_generate(const char *dir, enum signkey_alg alg, int64_t now,
    char kid_out[SIGNKEY_KID_MAX + 1], char *err, size_t errlen)
{
	char kid[SIGNKEY_KID_MAX + 1], tmp[SIGNKEY_KID_MAX + 8], final[SIGNKEY_KID_MAX + 8];
	bool tmp_made = false;
	const char *what;
	BIO *bio = NULL;
	DIR *d = NULL;
	char *pem;
	long pem_len;
	enum gh_err e;
	int fd = -1;

	kid_out[0] = '\0';
	if ((e = signkey_kid_make(now, kid, err, errlen)) != GH_OK)
		return e;
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", kid);
	(void)snprintf(final, sizeof(final), "%s.pem", kid);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		signkey_errf(err, errlen, "%s: cannot create the folder: %s", dir, strerror(errno));
		return GH_EIO;
	}
	if ((e = signkey_dir_lock(dir, LOCK_EX, &d, err, errlen)) != GH_OK)
		return e == GH_ENOTFOUND ? GH_EIO : e;
	if ((e = signkey_check_newest(d, dir, kid, err, errlen)) != GH_OK)
		goto done;
	if ((e = signkey_pem_make(alg, &bio, err, errlen)) != GH_OK)
		goto done;
	pem_len = BIO_get_mem_data(bio, &pem);
	e = GH_EIO;
	fd = openat(dirfd(d), tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		what = "cannot create";
		goto io_fail;
	}
	tmp_made = true;
	if (fchmod(fd, 0600) != 0) {
		what = "cannot set mode 0600";
		goto io_fail;
	}
	if (pem_len <= 0 || !signkey_write_all(fd, pem, (size_t)pem_len)) {
		what = "cannot write";
		goto io_fail;
	}
	if (fsync(fd) != 0) {
		what = "cannot sync";
		goto io_fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		what = "cannot write";
		goto io_fail;
	}
	fd = -1;
	if (renameat(dirfd(d), tmp, dirfd(d), final) != 0) {
		what = "cannot rename into place";
		goto io_fail;
	}
	tmp_made = false;
	memcpy(kid_out, kid, sizeof(kid));
	if (fsync(dirfd(d)) != 0) {
		signkey_errf(err, errlen, "%s: key %s written, but the folder cannot be synced: %s",
		    dir, kid, strerror(errno));
		goto done;
	}
	e = GH_OK;
	goto done;
io_fail:
	signkey_errf(err, errlen, "%s/%s: %s: %s", dir, tmp, what, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		(void)unlinkat(dirfd(d), tmp, 0);
	BIO_free(bio);
	closedir(d);
	return e;
}

enum gh_err
signkey_retire(const char *dir, const char *kid, int64_t now, int64_t lifetime, bool force,
    char *err, size_t errlen)
{
	struct signkey_set set = {0};
	const struct signkey *k = NULL;
	char name[SIGNKEY_KID_MAX + 8], until[32];
	DIR *d = NULL;
	enum gh_err e;

	if (!signkey_kid_valid(kid)) {
		signkey_errf(err, errlen, "not a key id (YYYYMMDDTHHMMSSZ-xxxxxxxx)");
		return GH_EINVAL;
	}
	if ((e = signkey_dir_lock(dir, LOCK_EX, &d, err, errlen)) != GH_OK)
		return e;
	if ((e = signkey_load_dir(d, dir, now, lifetime, &set, err, errlen)) != GH_OK)
		goto done;
	for (size_t i = 0; i < set.nkeys && k == NULL; i++)
		if (strcmp(set.keys[i].kid, kid) == 0)
			k = &set.keys[i];
	e = GH_EDENIED;
	if (k == NULL) {
		signkey_errf(err, errlen, "%s: no key %s", dir, kid);
		e = GH_ENOTFOUND;
	} else if (k->state == SIGNKEY_ACTIVE) {
		signkey_errf(err, errlen,
		    "%s is the active key: make its successor first (gatehousectl keys rotate)",
		    kid);
	} else if (k->state == SIGNKEY_ROTATED && !force) {
		time_t tt = (time_t)k->published_until;
		struct tm tm;
		if (gmtime_r(&tt, &tm) == NULL ||
		    strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			(void)snprintf(until, sizeof(until), "%lld", (long long)k->published_until);
		signkey_errf(err, errlen,
		    "%s is still published until %s: tokens it signed may still be valid "
		    "(--force retires it anyway)",
		    kid, until);
	} else {
		(void)snprintf(name, sizeof(name), "%s.pem", kid);
		e = GH_OK;
		if (unlinkat(dirfd(d), name, 0) != 0 || fsync(dirfd(d)) != 0) {
			signkey_errf(
			    err, errlen, "%s/%s: cannot remove: %s", dir, name, strerror(errno));
			e = GH_EIO;
		}
	}
done:
	signkey_cleanup(&set);
	closedir(d);
	return e;
}
