/*
 * test_signkey.c: unit tests for common/signkey.c: keys made of both kinds
 * and written 0600, the folder read back newest first with the state of
 * each key at the edges of its publication, the rules of retiring, and
 * every kind of file the folder must not hold refused with its name.
 * Each test works in a folder of its own under a mkdtemp(3) one.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "config.h"
#include "signkey.h"
#include "test.h"
#include "test_tmp.h"

#define T0 1795801500 /* 2026-11-27T17:45:00Z */

static char root[64];
static int folders;
static char errbuf[1024];

/* A new, missing folder "<root>/kN" (signkey_generate makes it). */
static const char *
new_dir(void)
{
	static char dir[128];

	snprintf(dir, sizeof(dir), "%s/k%d", root, ++folders);
	return dir;
}

/* Path of name in dir, in a static buffer. */
static const char *
path_in(const char *dir, const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Writes text into dir/name with mode; true when it could. */
static bool
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	const char *p = path_in(dir, name);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, mode);
	size_t n = strlen(text);
	bool ok = fd >= 0 && write(fd, text, n) == (ssize_t)n && fchmod(fd, mode) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* Reads dir/name into a new string (NULL when it cannot). */
static char *
read_file(const char *dir, const char *name)
{
	FILE *f = fopen(path_in(dir, name), "r");
	char *s = calloc(1, 70000);
	size_t n;

	if (f == NULL || s == NULL) {
		if (f != NULL)
			fclose(f);
		free(s);
		return NULL;
	}
	n = fread(s, 1, 69999, f);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* The kid "<time of t>-<hex>" into kid. */
static void
kid_at(int64_t t, const char *hex, char kid[SIGNKEY_KID_MAX + 1])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(kid, SIGNKEY_KID_MAX + 1, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(kid + 16, SIGNKEY_KID_MAX + 1 - 16, "-%s", hex);
}

/* Makes a key in dir at t, and checks it worked; its kid in kid. */
static void
generate_at(const char *dir, enum signkey_alg alg, int64_t t, char kid[SIGNKEY_KID_MAX + 1])
{
	enum gh_err e = signkey_generate(dir, alg, t, kid, errbuf, sizeof(errbuf));

	if (e != GH_OK)
		fprintf(stderr, "signkey_generate: %s\n", errbuf);
	CHECK(e == GH_OK);
}

/* The PEM of key (its public part when public), as a new string. */
static char *
pem_of(EVP_PKEY *key, bool public)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (key == NULL || bio == NULL)
		goto done;
	if ((public ? PEM_write_bio_PUBKEY(bio, key)
	            : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) != 1)
		goto done;
	n = BIO_get_mem_data(bio, &data);
	if ((out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
done:
	BIO_free(bio);
	EVP_PKEY_free(key);
	return out;
}

/* A DSA key (1024 bits: quick to make). */
static EVP_PKEY *
dsa_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL), *kctx = NULL;
	EVP_PKEY *params = NULL, *key = NULL;

	if (ctx != NULL && EVP_PKEY_paramgen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_dsa_paramgen_bits(ctx, 1024) == 1 &&
	    EVP_PKEY_paramgen(ctx, &params) == 1 &&
	    (kctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL)) != NULL &&
	    EVP_PKEY_keygen_init(kctx) == 1)
		(void)EVP_PKEY_keygen(kctx, &key);
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return key;
}

/* Loads dir at now with lifetime into set; the status (message in errbuf). */
static enum gh_err
load_at(const char *dir, int64_t now, int64_t lifetime, struct signkey_set *set)
{
	errbuf[0] = '\0';
	return signkey_load(dir, now, lifetime, set, errbuf, sizeof(errbuf));
}

/* Tells whether dir is refused with GH_ECONFIG (or want), its message
 * naming name and holding words; the set is left zeroed. */
static bool
refused_with(const char *dir, enum gh_err want, const char *name, const char *words)
{
	struct signkey_set set;
	enum gh_err e = load_at(dir, T0, 60, &set);

	if (e != want || (name != NULL && strstr(errbuf, name) == NULL) ||
	    (words != NULL && strstr(errbuf, words) == NULL)) {
		fprintf(stderr, "got %d \"%s\", wanted %d naming %s with \"%s\"\n", (int)e, errbuf,
		    (int)want, name ? name : "-", words ? words : "-");
		signkey_cleanup(&set);
		return false;
	}
	return set.keys == NULL && set.nkeys == 0;
}

/* Tells whether dir loads. */
static bool
loads(const char *dir)
{
	struct signkey_set set;
	enum gh_err e = load_at(dir, T0, 60, &set);

	if (e != GH_OK)
		fprintf(stderr, "refused: %s\n", errbuf);
	signkey_cleanup(&set);
	return e == GH_OK;
}

/* A folder with one good key, and a file name holding text (mode) beside
 * it: tells whether the folder is refused naming name, with words. */
static bool
refused_beside_a_key(const char *name, const char *text, mode_t mode, const char *words)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1];

	generate_at(dir, SIGNKEY_ES256, T0 - 1000, kid);
	if (text == NULL || !write_file(dir, name, text, mode)) {
		fprintf(stderr, "cannot write %s/%s\n", dir, name);
		free((void *)text);
		return false;
	}
	free((void *)text);
	return refused_with(dir, GH_ECONFIG, name, words);
}

/* A key file name for time T0 (the newest of the folder). */
static const char *
key_name(const char *hex)
{
	static char name[SIGNKEY_KID_MAX + 8];
	char kid[SIGNKEY_KID_MAX + 1];

	kid_at(T0, hex, kid);
	snprintf(name, sizeof(name), "%s.pem", kid);
	return name;
}

TEST(kid_valid_takes_only_real_utc_times)
{
	CHECK(signkey_kid_valid("20261127T174500Z-0123abcd"));
	CHECK(signkey_kid_valid("19700101T000000Z-00000000"));
	CHECK(signkey_kid_valid("20240229T235959Z-ffffffff"));
	CHECK(!signkey_kid_valid("20230229T000000Z-0123abcd")); /* not a leap year */
	CHECK(!signkey_kid_valid("20261327T174500Z-0123abcd")); /* month 13 */
	CHECK(!signkey_kid_valid("20261127T244500Z-0123abcd"));
	CHECK(!signkey_kid_valid("20261127T174560Z-0123abcd")); /* leap second */
	CHECK(!signkey_kid_valid("19691231T235959Z-0123abcd"));
	CHECK(!signkey_kid_valid("20261127T174500Z-0123ABCD")); /* upper case */
	CHECK(!signkey_kid_valid("20261127T174500Z-0123abc"));
	CHECK(!signkey_kid_valid("20261127T174500Z-0123abcde"));
	CHECK(!signkey_kid_valid("20261127t174500Z-0123abcd"));
	CHECK(!signkey_kid_valid("20261127T174500Z_0123abcd"));
	CHECK(!signkey_kid_valid("2026112 T174500Z-0123abcd"));
	CHECK(!signkey_kid_valid("../../etc/passwd"));
	CHECK(!signkey_kid_valid(""));
	CHECK(!signkey_kid_valid(NULL));
}

TEST(generate_es256_writes_pkcs8_0600_in_a_new_0700_folder)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1], want[SIGNKEY_KID_MAX + 1], name[64];
	struct signkey_set set;
	struct stat st;
	char *text;

	generate_at(dir, SIGNKEY_ES256, T0, kid);
	CHECK(signkey_kid_valid(kid));
	kid_at(T0, "", want);
	CHECK(strncmp(kid, want, 17) == 0); /* "20261127T174500Z-" */
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700);
	snprintf(name, sizeof(name), "%s.pem", kid);
	CHECK(lstat(path_in(dir, name), &st) == 0 && S_ISREG(st.st_mode) &&
	      (st.st_mode & 07777) == 0600);
	text = read_file(dir, name);
	CHECK(text != NULL && strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);

	CHECK(load_at(dir, T0, 60, &set) == GH_OK);
	CHECK(set.nkeys == 1);
	if (set.nkeys == 1) {
		CHECK_STR(set.keys[0].kid, kid);
		CHECK(set.keys[0].alg == SIGNKEY_ES256);
		CHECK(set.keys[0].created_at == T0);
		CHECK(set.keys[0].state == SIGNKEY_ACTIVE);
		CHECK(set.keys[0].published_until == INT64_MAX);
		CHECK(signkey_active(&set) == &set.keys[0]);
		CHECK(signkey_published(&set.keys[0]));
		CHECK(text != NULL && set.keys[0].pem_len == strlen(text) &&
		      strcmp(set.keys[0].pem, text) == 0);
	}
	free(text);
	signkey_cleanup(&set);
	CHECK(set.keys == NULL && set.nkeys == 0);
	signkey_cleanup(&set); /* harmless twice */
	CHECK(signkey_active(&set) == NULL);
}

TEST(generate_rs256_makes_a_3072_bit_rsa_key)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1];
	struct signkey_set set;

	generate_at(dir, SIGNKEY_RS256, T0, kid);
	CHECK(load_at(dir, T0, 60, &set) == GH_OK);
	CHECK(set.nkeys == 1 && set.keys[0].alg == SIGNKEY_RS256);
	if (set.nkeys == 1) {
		BIO *bio = BIO_new_mem_buf(set.keys[0].pem, (int)set.keys[0].pem_len);
		EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		CHECK(key != NULL && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
		      EVP_PKEY_get_bits(key) == 3072);
		EVP_PKEY_free(key);
		BIO_free(bio);
	}
	CHECK_STR(signkey_alg_name(SIGNKEY_RS256), "RS256");
	CHECK_STR(signkey_alg_name(SIGNKEY_ES256), "ES256");
	signkey_cleanup(&set);
}

TEST(generate_refuses_a_time_not_after_the_newest_key)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1], again[SIGNKEY_KID_MAX + 1];
	struct signkey_set set;

	generate_at(dir, SIGNKEY_ES256, T0, kid);
	CHECK(
	    signkey_generate(dir, SIGNKEY_ES256, T0, again, errbuf, sizeof(errbuf)) == GH_EEXISTS);
	CHECK(again[0] == '\0' && strstr(errbuf, kid) != NULL);
	/* A clock put back: the new key would not be the newest. */
	CHECK(signkey_generate(dir, SIGNKEY_ES256, T0 - 3600, again, errbuf, sizeof(errbuf)) ==
	      GH_EEXISTS);
	generate_at(dir, SIGNKEY_ES256, T0 + 1, again);
	CHECK(load_at(dir, T0 + 1, 60, &set) == GH_OK && set.nkeys == 2);
	if (set.nkeys == 2)
		CHECK_STR(set.keys[0].kid, again);
	signkey_cleanup(&set);
}

TEST(generate_fails_when_the_folder_cannot_be_made)
{
	char dir[128], kid[SIGNKEY_KID_MAX + 1];

	snprintf(dir, sizeof(dir), "%s/no-such/keys", root);
	CHECK(signkey_generate(dir, SIGNKEY_ES256, T0, kid, errbuf, sizeof(errbuf)) == GH_EIO);
	CHECK(strstr(errbuf, dir) != NULL && kid[0] == '\0');
}

TEST(load_orders_newest_first_with_states_at_the_edges)
{
	const char *dir = new_dir();
	char k0[SIGNKEY_KID_MAX + 1], k1[SIGNKEY_KID_MAX + 1], k2[SIGNKEY_KID_MAX + 1];
	struct signkey_set set;

	generate_at(dir, SIGNKEY_ES256, T0, k0);
	generate_at(dir, SIGNKEY_RS256, T0 + 100, k1);
	generate_at(dir, SIGNKEY_ES256, T0 + 200, k2);
	/* k0 is published until k1's creation + 60, k1 until k2's + 60. */
	CHECK(load_at(dir, T0 + 159, 60, &set) == GH_OK && set.nkeys == 3);
	if (set.nkeys == 3) {
		CHECK_STR(set.keys[0].kid, k2);
		CHECK_STR(set.keys[1].kid, k1);
		CHECK_STR(set.keys[2].kid, k0);
		CHECK(set.keys[1].alg == SIGNKEY_RS256);
		CHECK(set.keys[0].state == SIGNKEY_ACTIVE &&
		      set.keys[0].published_until == INT64_MAX);
		CHECK(set.keys[1].state == SIGNKEY_ROTATED &&
		      set.keys[1].published_until == T0 + 260);
		CHECK(set.keys[2].state == SIGNKEY_ROTATED &&
		      set.keys[2].published_until == T0 + 160);
		CHECK(signkey_published(&set.keys[2]));
	}
	signkey_cleanup(&set);
	CHECK(load_at(dir, T0 + 160, 60, &set) == GH_OK && set.nkeys == 3);
	if (set.nkeys == 3) {
		CHECK(set.keys[1].state == SIGNKEY_ROTATED);
		CHECK(set.keys[2].state == SIGNKEY_EXPIRED && !signkey_published(&set.keys[2]));
	}
	signkey_cleanup(&set);
	CHECK(load_at(dir, T0 + 259, 60, &set) == GH_OK && set.nkeys == 3);
	CHECK(set.nkeys == 3 && set.keys[1].state == SIGNKEY_ROTATED);
	signkey_cleanup(&set);
	CHECK(load_at(dir, T0 + 260, 60, &set) == GH_OK && set.nkeys == 3);
	if (set.nkeys == 3) {
		CHECK(set.keys[0].state == SIGNKEY_ACTIVE && signkey_published(&set.keys[0]));
		CHECK(set.keys[1].state == SIGNKEY_EXPIRED && set.keys[2].state == SIGNKEY_EXPIRED);
	}
	signkey_cleanup(&set);
	/* Years on, the active key is still active. */
	CHECK(load_at(dir, T0 + 100000000, 300, &set) == GH_OK && set.nkeys == 3);
	CHECK(set.nkeys == 3 && set.keys[0].state == SIGNKEY_ACTIVE);
	signkey_cleanup(&set);
}

TEST(load_breaks_a_tie_of_seconds_by_kid)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1], twin[SIGNKEY_KID_MAX + 1], name[64];
	struct signkey_set set;
	char *text;

	generate_at(dir, SIGNKEY_ES256, T0, kid);
	snprintf(name, sizeof(name), "%s.pem", kid);
	text = read_file(dir, name);
	/* The same second, a kid above any other: it is the active one. */
	kid_at(T0, "ffffffff", twin);
	if (strcmp(kid, twin) == 0)
		kid_at(T0, "00000000", twin);
	snprintf(name, sizeof(name), "%s.pem", twin);
	CHECK(text != NULL && write_file(dir, name, text, 0600));
	free(text);
	CHECK(load_at(dir, T0, 60, &set) == GH_OK && set.nkeys == 2);
	if (set.nkeys == 2) {
		bool twin_first = strcmp(twin, kid) > 0;
		CHECK_STR(set.keys[0].kid, twin_first ? twin : kid);
		CHECK_STR(set.keys[1].kid, twin_first ? kid : twin);
		/* Published until its successor's creation (the same second) + 60. */
		CHECK(set.keys[1].published_until == T0 + 60);
	}
	signkey_cleanup(&set);
}

TEST(load_of_a_missing_or_empty_folder_is_not_found)
{
	char dir[128];
	struct signkey_set set;

	snprintf(dir, sizeof(dir), "%s/missing", root);
	CHECK(load_at(dir, T0, 60, &set) == GH_ENOTFOUND && strstr(errbuf, dir) != NULL);
	CHECK(set.keys == NULL && set.nkeys == 0);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(load_at(dir, T0, 60, &set) == GH_ENOTFOUND && strstr(errbuf, "no key") != NULL);
	CHECK(set.keys == NULL && set.nkeys == 0);
}

TEST(retire_refuses_the_active_key_always)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1], name[64];
	struct stat st;

	generate_at(dir, SIGNKEY_ES256, T0, kid);
	snprintf(name, sizeof(name), "%s.pem", kid);
	CHECK(
	    signkey_retire(dir, kid, T0 + 100000, 60, false, errbuf, sizeof(errbuf)) == GH_EDENIED);
	CHECK(strstr(errbuf, "active") != NULL);
	CHECK(
	    signkey_retire(dir, kid, T0 + 100000, 60, true, errbuf, sizeof(errbuf)) == GH_EDENIED);
	CHECK(stat(path_in(dir, name), &st) == 0);
}

TEST(retire_refuses_a_published_key_without_force)
{
	const char *dir = new_dir();
	char old[SIGNKEY_KID_MAX + 1], cur[SIGNKEY_KID_MAX + 1], name[64];
	struct signkey_set set;
	struct stat st;

	generate_at(dir, SIGNKEY_ES256, T0, old);
	generate_at(dir, SIGNKEY_ES256, T0 + 10, cur);
	snprintf(name, sizeof(name), "%s.pem", old);
	/* Published until T0 + 10 + 60. */
	CHECK(signkey_retire(dir, old, T0 + 69, 60, false, errbuf, sizeof(errbuf)) == GH_EDENIED);
	CHECK(strstr(errbuf, "published") != NULL && strstr(errbuf, "--force") != NULL);
	CHECK(stat(path_in(dir, name), &st) == 0);
	CHECK(signkey_retire(dir, old, T0 + 69, 60, true, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(stat(path_in(dir, name), &st) != 0 && errno == ENOENT);
	CHECK(load_at(dir, T0 + 69, 60, &set) == GH_OK && set.nkeys == 1);
	CHECK(set.nkeys == 1 && strcmp(set.keys[0].kid, cur) == 0);
	signkey_cleanup(&set);
}

TEST(retire_removes_an_expired_key_without_force)
{
	const char *dir = new_dir();
	char old[SIGNKEY_KID_MAX + 1], cur[SIGNKEY_KID_MAX + 1], name[64];
	struct stat st;

	generate_at(dir, SIGNKEY_ES256, T0, old);
	generate_at(dir, SIGNKEY_ES256, T0 + 10, cur);
	snprintf(name, sizeof(name), "%s.pem", old);
	CHECK(signkey_retire(dir, old, T0 + 70, 60, false, errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(stat(path_in(dir, name), &st) != 0 && errno == ENOENT);
	/* Gone now; and a kid no file has. */
	CHECK(signkey_retire(dir, old, T0 + 70, 60, false, errbuf, sizeof(errbuf)) == GH_ENOTFOUND);
	CHECK(strstr(errbuf, old) != NULL);
	CHECK(signkey_retire(dir, "../../etc/passwd", T0 + 70, 60, true, errbuf, sizeof(errbuf)) ==
	      GH_EINVAL);
}

TEST(retire_refuses_in_a_folder_that_does_not_load)
{
	const char *dir = new_dir();
	char old[SIGNKEY_KID_MAX + 1], cur[SIGNKEY_KID_MAX + 1];

	generate_at(dir, SIGNKEY_ES256, T0, old);
	generate_at(dir, SIGNKEY_ES256, T0 + 10, cur);
	CHECK(write_file(dir, "notes.txt", "x\n", 0600));
	CHECK(signkey_retire(dir, old, T0 + 1000, 60, false, errbuf, sizeof(errbuf)) == GH_ECONFIG);
	CHECK(strstr(errbuf, "notes.txt") != NULL);
}

TEST(load_refuses_a_key_group_or_others_may_read)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1], name[64];

	generate_at(dir, SIGNKEY_ES256, T0, kid);
	snprintf(name, sizeof(name), "%s.pem", kid);
	CHECK(chmod(path_in(dir, name), 0640) == 0);
	CHECK(refused_with(dir, GH_ECONFIG, name, "0640"));
	CHECK(chmod(path_in(dir, name), 0604) == 0);
	CHECK(refused_with(dir, GH_ECONFIG, name, "chmod 600"));
	CHECK(chmod(path_in(dir, name), 0610) == 0);
	CHECK(refused_with(dir, GH_ECONFIG, name, NULL));
	CHECK(chmod(path_in(dir, name), 0400) == 0);
	CHECK(loads(dir)); /* read-only for its owner is fine */
}

TEST(load_refuses_a_folder_group_or_others_may_write)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1];

	generate_at(dir, SIGNKEY_ES256, T0, kid);
	CHECK(chmod(dir, 0770) == 0);
	CHECK(refused_with(dir, GH_ECONFIG, dir, "chmod go-w"));
	CHECK(chmod(dir, 0750) == 0);
	CHECK(loads(dir)); /* readable by group is fine */
}

TEST(load_refuses_a_symbolic_link)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1], name[64], target[256];

	generate_at(dir, SIGNKEY_ES256, T0 - 10, kid);
	snprintf(name, sizeof(name), "%s.pem", kid);
	snprintf(target, sizeof(target), "%s", path_in(dir, name));
	CHECK(symlink(target, path_in(dir, key_name("0123abcd"))) == 0);
	CHECK(refused_with(dir, GH_ECONFIG, key_name("0123abcd"), "symbolic link"));
}

TEST(load_refuses_other_files_and_a_leftover)
{
	char kid[SIGNKEY_KID_MAX + 1], tmp[64];

	CHECK(refused_beside_a_key("README", strdup("keys\n"), 0600, "not a key file"));
	CHECK(refused_beside_a_key(".hidden", strdup("x\n"), 0600, "not a key file"));
	CHECK(refused_beside_a_key("key.pem.bak", strdup("x\n"), 0600, "not a key file"));
	kid_at(T0, "0123abcd", kid);
	snprintf(tmp, sizeof(tmp), ".%s.tmp", kid);
	CHECK(refused_beside_a_key(tmp, strdup("-----BEGIN"), 0600, "remove it"));
	/* Not a regular file. */
	const char *dir = new_dir();
	generate_at(dir, SIGNKEY_ES256, T0 - 1000, kid);
	CHECK(mkdir(path_in(dir, key_name("0123abcd")), 0700) == 0);
	CHECK(refused_with(dir, GH_ECONFIG, key_name("0123abcd"), "not a regular file"));
}

TEST(load_refuses_a_kid_not_well_formed)
{
	char *pem = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), false);

	CHECK(pem != NULL);
	CHECK(refused_beside_a_key(
	    "20261327T174500Z-0123abcd.pem", strdup(pem), 0600, "not a key file"));
	CHECK(refused_beside_a_key(
	    "20261127T174500Z-0123ABCD.pem", strdup(pem), 0600, "not a key file"));
	CHECK(refused_beside_a_key("20261127T174500Z.pem", strdup(pem), 0600, "not a key file"));
	CHECK(refused_beside_a_key("key.pem", strdup(pem), 0600, "not a key file"));
	/* The control: the same key under a good name loads. */
	const char *dir = new_dir();
	struct signkey_set set;
	CHECK(mkdir(dir, 0700) == 0 && write_file(dir, key_name("0123abcd"), pem, 0600));
	CHECK(load_at(dir, T0, 60, &set) == GH_OK && set.nkeys == 1 &&
	      set.keys[0].alg == SIGNKEY_ES256);
	signkey_cleanup(&set);
	free(pem);
}

TEST(load_refuses_what_is_not_a_signing_private_key)
{
	const char *name = key_name("0123abcd");

	CHECK(refused_beside_a_key(name, pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), true),
	    0600, "\"PUBLIC KEY\", not a private key"));
	CHECK(refused_beside_a_key(name,
	    pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), true), 0600,
	    "not a private key"));
	CHECK(refused_beside_a_key(
	    name, pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), false), 0600, "another kind"));
	CHECK(refused_beside_a_key(name, pem_of(dsa_key(), false), 0600, "another kind"));
	CHECK(refused_beside_a_key(
	    name, pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), false), 0600, "not P-256"));
	CHECK(refused_beside_a_key(name,
	    pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024), false), 0600, "1024 bits"));
	CHECK(refused_beside_a_key(name,
	    strdup("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END "
	           "CERTIFICATE-----\n"),
	    0600, "not a private key"));
	CHECK(refused_beside_a_key(name,
	    strdup("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"), 0600,
	    "cannot read"));
	CHECK(refused_beside_a_key(name, strdup("just some text\n"), 0600, "not a PEM file"));
	CHECK(refused_beside_a_key(name, strdup(""), 0600, "not a PEM file"));
}

TEST(load_refuses_two_keys_in_one_file_and_an_encrypted_key)
{
	char *a = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), false);
	char *b = pem_of(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), false);
	size_t len = a && b ? strlen(a) + strlen(b) + 1 : 0;
	char *both = len > 0 ? malloc(len) : NULL;
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *enc = NULL;
	long n;

	CHECK(both != NULL);
	if (both != NULL) {
		snprintf(both, len, "%s%s", a, b);
		CHECK(refused_beside_a_key(key_name("0123abcd"), both, 0600, "one key a file"));
	}
	free(a);
	free(b);
	if (key != NULL && bio != NULL &&
	    PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_128_cbc(), "pass", 4, NULL, NULL) ==
	        1) {
		n = BIO_get_mem_data(bio, &data);
		/* Not strndup: the BIO's data has no NUL for it to stop at. */
		if ((enc = malloc((size_t)n + 1)) != NULL) {
			memcpy(enc, data, (size_t)n);
			enc[n] = '\0';
		}
	}
	CHECK(enc != NULL);
	CHECK(refused_beside_a_key(key_name("0123abcd"), enc, 0600, "encrypted"));
	EVP_PKEY_free(key);
	BIO_free(bio);
}

TEST(load_refuses_a_file_over_64_kib)
{
	char *big = malloc(64 * 1024 + 2);

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, '\n', 64 * 1024 + 1);
	big[64 * 1024 + 1] = '\0';
	CHECK(refused_beside_a_key(key_name("0123abcd"), big, 0600, "64 KiB"));
}

TEST(load_refuses_more_than_16_keys)
{
	const char *dir = new_dir();
	char kid[SIGNKEY_KID_MAX + 1];
	struct signkey_set set;

	for (int i = 0; i < SIGNKEY_MAX_KEYS; i++)
		generate_at(dir, SIGNKEY_ES256, T0 + i, kid);
	CHECK(load_at(dir, T0 + 100, 60, &set) == GH_OK && set.nkeys == SIGNKEY_MAX_KEYS);
	signkey_cleanup(&set);
	generate_at(dir, SIGNKEY_ES256, T0 + SIGNKEY_MAX_KEYS, kid);
	CHECK(refused_with(dir, GH_ECONFIG, dir, "retire"));
}

/* The longer of an outbound token's and an access token's lifetimes. */
TEST(lifetime_is_the_longest_token_lifetime)
{
	struct config cfg;

	unsetenv("GATEHOUSE_SSO_OUT_LIFETIME");
	unsetenv("GATEHOUSE_TOKEN_ACCESS_LIFETIME");
	CHECK(config_load_string(&cfg, "t.conf",
	          "[sso]\nout_lifetime = 90s\n[token]\naccess_lifetime = 1m\n", errbuf,
	          sizeof(errbuf)) == GH_OK);
	CHECK(signkey_lifetime(&cfg) == 90);
	config_cleanup(&cfg);
	CHECK(config_load_string(&cfg, "t.conf", "", errbuf, sizeof(errbuf)) == GH_OK);
	CHECK(signkey_lifetime(&cfg) == 900);
	config_cleanup(&cfg);
}

TEST(state_names)
{
	CHECK_STR(signkey_state_name(SIGNKEY_ACTIVE), "active");
	CHECK_STR(signkey_state_name(SIGNKEY_ROTATED), "rotated");
	CHECK_STR(signkey_state_name(SIGNKEY_EXPIRED), "expired");
}

int
main(void)
{
	if (!tmp_make(root, sizeof(root), "test_signkey"))
		return 1;
	umask(022);
	RUN(kid_valid_takes_only_real_utc_times);
	RUN(generate_es256_writes_pkcs8_0600_in_a_new_0700_folder);
	RUN(generate_rs256_makes_a_3072_bit_rsa_key);
	RUN(generate_refuses_a_time_not_after_the_newest_key);
	RUN(generate_fails_when_the_folder_cannot_be_made);
	RUN(load_orders_newest_first_with_states_at_the_edges);
	RUN(load_breaks_a_tie_of_seconds_by_kid);
	RUN(load_of_a_missing_or_empty_folder_is_not_found);
	RUN(retire_refuses_the_active_key_always);
	RUN(retire_refuses_a_published_key_without_force);
	RUN(retire_removes_an_expired_key_without_force);
	RUN(retire_refuses_in_a_folder_that_does_not_load);
	RUN(load_refuses_a_key_group_or_others_may_read);
	RUN(load_refuses_a_folder_group_or_others_may_write);
	RUN(load_refuses_a_symbolic_link);
	RUN(load_refuses_other_files_and_a_leftover);
	RUN(load_refuses_a_kid_not_well_formed);
	RUN(load_refuses_what_is_not_a_signing_private_key);
	RUN(load_refuses_two_keys_in_one_file_and_an_encrypted_key);
	RUN(load_refuses_a_file_over_64_kib);
	RUN(load_refuses_more_than_16_keys);
	RUN(lifetime_is_the_longest_token_lifetime);
	RUN(state_names);
	tmp_remove(root, 2);
	return test_summary();
}
