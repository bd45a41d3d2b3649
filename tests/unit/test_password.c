/*
 * test_password.c: hashing, verification, rehash decisions and the policy.
 * argon2 parameters are kept tiny (m=1024 KiB, t=1) and bcrypt at cost 4 so
 * the tests run fast; the timing tests use bcrypt at cost 8, which takes
 * milliseconds to verify.
 */
#include <crypt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "password.h"
#include "test.h"

static char sqldir[PATH_MAX];

static struct config
cfg_argon2(void)
{
	struct config c;

	memset(&c, 0, sizeof(c));
	c.password_scheme = CONFIG_ARGON2ID;
	c.argon2_memory_kib = 1024;
	c.argon2_time = 1;
	c.argon2_parallelism = 1;
	c.bcrypt_cost = 4;
	c.min_password_length = 12;
	c.max_password_length = 128;
	c.sql_dir = sqldir;
	return c;
}

static struct config
cfg_bcrypt(int cost)
{
	struct config c = cfg_argon2();

	c.password_scheme = CONFIG_BCRYPT;
	c.bcrypt_cost = cost;
	return c;
}

/* crypt_make hashes pw with libxcrypt directly under prefix ("$2a$"...). */
static bool
crypt_make(const char *prefix, unsigned long count, const char *pw, char *out, size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *r;

	memset(&cd, 0, sizeof(cd));
	if (crypt_gensalt_rn(prefix, count, NULL, 0, setting, (int)sizeof(setting)) == NULL)
		return false;
	if ((r = crypt_rn(pw, setting, &cd, (int)sizeof(cd))) == NULL || r[0] == '*' ||
	    strlen(r) >= outlen)
		return false;
	memcpy(out, r, strlen(r) + 1);
	return true;
}

TEST(argon2id_hash_verifies_and_wrong_password_refused)
{
	struct config c = cfg_argon2();
	char h[PASSWORD_HASH_MAX];

	CHECK(password_hash(&c, "correct battery horse", h) == GH_OK);
	CHECK(strncmp(h, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0);
	CHECK(password_verify("correct battery horse", h));
	CHECK(!password_verify("correct battery hors", h));
	CHECK(!password_verify("Correct battery horse", h));
	CHECK(!password_verify("", h));
}

TEST(argon2id_same_password_gets_another_salt)
{
	struct config c = cfg_argon2();
	char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	CHECK(password_hash(&c, "same password here", a) == GH_OK);
	CHECK(password_hash(&c, "same password here", b) == GH_OK);
	CHECK(strcmp(a, b) != 0);
	CHECK(password_verify("same password here", a) && password_verify("same password here", b));
}

TEST(argon2id_bad_parameters_refused)
{
	struct config c = cfg_argon2();
	char h[PASSWORD_HASH_MAX];

	c.argon2_time = 0;
	CHECK(password_hash(&c, "some password 1", h) == GH_ECONFIG);
	CHECK(h[0] == '\0');
}

TEST(bcrypt_hash_verifies_with_given_cost)
{
	struct config c = cfg_bcrypt(5);
	char h[PASSWORD_HASH_MAX];

	CHECK(password_hash(&c, "correct battery horse", h) == GH_OK);
	CHECK(strncmp(h, "$2b$05$", 7) == 0);
	CHECK(strlen(h) == 60);
	CHECK(password_verify("correct battery horse", h));
	CHECK(!password_verify("correct battery horsE", h));
}

TEST(bcrypt_bad_cost_refused)
{
	struct config c = cfg_bcrypt(0);
	char h[PASSWORD_HASH_MAX];

	/* libxcrypt would silently use its default for 0: refused instead. */
	CHECK(password_hash(&c, "some password 1", h) == GH_ECONFIG);
	c.bcrypt_cost = 32;
	CHECK(password_hash(&c, "some password 1", h) == GH_ECONFIG);
}

TEST(bcrypt_73_byte_password_refused)
{
	struct config c = cfg_bcrypt(4);
	char pw72[73], pw73[74], h[PASSWORD_HASH_MAX];
	const char *why = NULL;

	memset(pw72, 'a', 72);
	pw72[72] = '\0';
	memcpy(pw73, pw72, 72);
	pw73[72] = 'b';
	pw73[73] = '\0';
	CHECK(password_hash(&c, pw73, h) == GH_EPOLICY);
	CHECK(h[0] == '\0');
	CHECK(password_policy_check(&c, pw73, &why) == GH_EPOLICY && why != NULL);
	/* 72 bytes is fine; a longer password sharing those 72 bytes must not
	 * verify (libxcrypt alone would truncate and say yes). */
	CHECK(password_hash(&c, pw72, h) == GH_OK);
	CHECK(password_verify(pw72, h));
	CHECK(!password_verify(pw73, h));
	/* argon2id takes long passwords whole. */
	c = cfg_argon2();
	CHECK(password_hash(&c, pw73, h) == GH_OK);
	CHECK(password_verify(pw73, h) && !password_verify(pw72, h));
	CHECK(password_policy_check(&c, pw73, &why) == GH_OK);
}

TEST(bcrypt_2a_2y_2b_made_by_crypt_rn_verify)
{
	static const char *const prefixes[] = {"$2a$", "$2y$", "$2b$"};
	char h[CRYPT_OUTPUT_SIZE];
	size_t i;

	for (i = 0; i < 3; i++) {
		CHECK(crypt_make(prefixes[i], 4, "php made this one", h, sizeof(h)));
		CHECK(strncmp(h, prefixes[i], 4) == 0);
		CHECK(password_verify("php made this one", h));
		CHECK(!password_verify("php made this two", h));
	}
}

TEST(php_style_2y_hash_verifies)
{
	/* A $2y$ hash as PHP's password_hash() writes it, of "rasmuslerdorf". */
	const char *h = "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a";

	CHECK(password_verify("rasmuslerdorf", h));
	CHECK(!password_verify("rasmuslerdorF", h));
}

TEST(sha512crypt_and_yescrypt_verify)
{
	char h[CRYPT_OUTPUT_SIZE];

	CHECK(crypt_make("$6$", 5000, "an old system password", h, sizeof(h)));
	CHECK(password_verify("an old system password", h));
	CHECK(!password_verify("an old system passwore", h));
	CHECK(crypt_make("$y$", 0, "a debian shadow password", h, sizeof(h)));
	CHECK(strncmp(h, "$y$", 3) == 0);
	CHECK(password_verify("a debian shadow password", h));
	CHECK(!password_verify("a debian shadow passwor", h));
}

TEST(weak_and_unknown_schemes_never_verify)
{
	char h[CRYPT_OUTPUT_SIZE];

	/* md5crypt, even with the right password, is not an accepted scheme. */
	if (crypt_make("$1$", 0, "md5 password here", h, sizeof(h)))
		CHECK(!password_verify("md5 password here", h));
	CHECK(!password_verify("x", ""));
	CHECK(!password_verify("x", NULL));
	CHECK(!password_verify(NULL, "$2b$04$abcdefghijklmnopqrstuu"));
	CHECK(!password_verify("x", "plaintext"));
	CHECK(!password_verify("x", "$argon2id$garbage"));
	CHECK(!password_verify("x", "$2b$04$short"));
	CHECK(!password_verify("x", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA"));
}

TEST(rehash_needed_when_bcrypt_cost_lower)
{
	struct config c4 = cfg_bcrypt(4), c6 = cfg_bcrypt(6);
	char h[PASSWORD_HASH_MAX];

	CHECK(password_hash(&c4, "rehash me please", h) == GH_OK);
	CHECK(!password_needs_rehash(&c4, h));
	CHECK(password_needs_rehash(&c6, h));
	CHECK(!password_needs_rehash(
	    &c4, "$2y$04$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
	CHECK(!password_needs_rehash(
	    &c4, "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
	CHECK(password_needs_rehash(
	    &c6, "$2a$05$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
}

TEST(rehash_needed_when_argon2_weaker_or_other_scheme)
{
	struct config c = cfg_argon2(), stronger = cfg_argon2(), b = cfg_bcrypt(4);
	char h[PASSWORD_HASH_MAX], hb[PASSWORD_HASH_MAX];

	CHECK(password_hash(&c, "rehash me please", h) == GH_OK);
	CHECK(!password_needs_rehash(&c, h));
	stronger.argon2_memory_kib = 2048;
	CHECK(password_needs_rehash(&stronger, h));
	stronger = cfg_argon2();
	stronger.argon2_time = 2;
	CHECK(password_needs_rehash(&stronger, h));
	stronger = cfg_argon2();
	stronger.argon2_parallelism = 2;
	CHECK(password_needs_rehash(&stronger, h));
	/* A stronger hash than configured is kept. */
	stronger.argon2_parallelism = 1;
	stronger.argon2_memory_kib = 512;
	CHECK(!password_needs_rehash(&stronger, h));
	/* Another scheme than the configured one. */
	CHECK(password_needs_rehash(&b, h));
	CHECK(password_hash(&b, "rehash me please", hb) == GH_OK);
	CHECK(password_needs_rehash(&c, hb));
	CHECK(password_needs_rehash(&c, "$6$salt$abc"));
	CHECK(password_needs_rehash(&c, "garbage"));
	CHECK(password_needs_rehash(&c, NULL));
}

/*
 * Timing: each refusal must spend one verification like a wrong password's.
 * Measured in this thread's CPU time (other processes on a busy machine do
 * not count), as the median of TIMING_RUNS calls, with bcrypt at cost 8
 * (milliseconds per verification, so a skipped one is a thousand times
 * faster).  One verification, not two: the ratio to a wrong password's time
 * must be within TIMING_LOW..TIMING_HIGH.
 */
#define TIMING_RUNS 7
#define TIMING_COST 8
#define TIMING_LOW 0.6
#define TIMING_HIGH 1.5

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median CPU time in ms of password_verify(pw, hash) (which must refuse),
 * or of password_verify_dummy(c, pw) when c is not NULL. */
static double
verify_ms(const struct config *c, const char *pw, const char *hash)
{
	double t[TIMING_RUNS], start;
	bool ok = false;

	for (int i = 0; i < TIMING_RUNS; i++) {
		start = cpu_ms();
		if (c != NULL)
			password_verify_dummy(c, pw);
		else
			ok |= password_verify(pw, hash);
		t[i] = cpu_ms() - start;
	}
	CHECK(!ok);
	qsort(t, TIMING_RUNS, sizeof(t[0]), cmp_double);
	return t[TIMING_RUNS / 2];
}

/* check_like_ref records a failure when ms is not about ref ms. */
static void
check_like_ref(const char *what, double ms, double ref)
{
	double ratio = ms / ref;

	if (ratio < TIMING_LOW || ratio > TIMING_HIGH) {
		fprintf(stderr,
		    "  %s: %.3f ms of CPU, a wrong password %.3f ms (ratio %.2f, "
		    "allowed %.1f to %.1f)\n",
		    what, ms, ref, ratio, TIMING_LOW, TIMING_HIGH);
		CHECK(ratio >= TIMING_LOW && ratio <= TIMING_HIGH);
	}
}

TEST(verify_dummy_runs_without_a_user)
{
	struct config c = cfg_bcrypt(TIMING_COST);
	char h[PASSWORD_HASH_MAX];
	double ref;

	CHECK(password_dummy_init(&c) == GH_OK);
	CHECK(password_hash(&c, "the real password", h) == GH_OK);
	CHECK(password_dummy_matches(h));
	ref = verify_ms(NULL, "whatever was typed", h);
	CHECK(ref > 1.0); /* bcrypt at cost 8 really hashes */
	check_like_ref("dummy", verify_ms(&c, "whatever was typed", NULL), ref);
	check_like_ref("dummy, no password", verify_ms(&c, NULL, NULL), ref);
}

TEST(bcrypt_over_72_bytes_costs_one_verification)
{
	struct config c = cfg_bcrypt(TIMING_COST);
	char pw72[73], pw100[101], h[PASSWORD_HASH_MAX];
	double ref;

	memset(pw100, 'a', 100);
	pw100[100] = '\0';
	memcpy(pw72, pw100, 72);
	pw72[72] = '\0';
	CHECK(password_dummy_init(&c) == GH_OK);
	CHECK(password_hash(&c, pw72, h) == GH_OK);
	ref = verify_ms(NULL, "a wrong password", h);
	/* The first 72 bytes match, so libxcrypt alone would say yes. */
	check_like_ref("73 bytes", verify_ms(NULL, pw100 + 27, h), ref);
	check_like_ref("100 bytes", verify_ms(NULL, pw100, h), ref);
	CHECK(password_verify(pw72, h));
}

TEST(unusable_hashes_cost_the_dummy_verification)
{
	static const char *const unusable[] = {"", "plaintext", "*", "!", "$2b$08$short",
	    "$2b$99$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "$argon2id$garbage",
	    "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
	    "$1$saltsalt$abcdefghijklmnopqrstuv"};
	struct config c = cfg_bcrypt(TIMING_COST);
	char h[PASSWORD_HASH_MAX];
	double ref;

	CHECK(password_dummy_init(&c) == GH_OK);
	CHECK(password_hash(&c, "the real password", h) == GH_OK);
	ref = verify_ms(NULL, "the typed password", h);
	check_like_ref("NULL hash", verify_ms(NULL, "the typed password", NULL), ref);
	check_like_ref("NULL password", verify_ms(NULL, NULL, "plaintext"), ref);
	for (size_t i = 0; i < sizeof(unusable) / sizeof(unusable[0]); i++)
		check_like_ref(
		    unusable[i], verify_ms(NULL, "the typed password", unusable[i]), ref);
	/* The dummy never lets its own text in. */
	CHECK(!password_verify("gatehouse dummy password for unknown users", "nonsense"));
}

TEST(external_dummy_has_the_tables_scheme_and_cost)
{
	/* Local hashes argon2id, the other application's table bcrypt. */
	struct config c = cfg_argon2(), b = cfg_bcrypt(TIMING_COST);
	char h[PASSWORD_HASH_MAX], a[PASSWORD_HASH_MAX];
	double ref;

	c.users_source = CONFIG_USERS_EXTERNAL;
	c.users_password_scheme = CONFIG_BCRYPT;
	c.users_bcrypt_cost = TIMING_COST;
	CHECK(password_dummy_init(&c) == GH_OK);
	CHECK(password_hash(&b, "a php password", h) == GH_OK);
	h[2] = 'y'; /* as PHP writes it */
	CHECK(password_dummy_matches(h));
	CHECK(!password_dummy_matches(
	    "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
	CHECK(password_hash(&c, "a local password", a) == GH_OK);
	CHECK(!password_dummy_matches(a));
	ref = verify_ms(NULL, "wrong php password", h);
	check_like_ref("external dummy", verify_ms(&c, "wrong php password", NULL), ref);
	check_like_ref("external, unknown scheme", verify_ms(NULL, "x", "plaintext"), ref);

	/* A local store: the dummy is the configured argon2id. */
	c.users_source = CONFIG_USERS_LOCAL;
	CHECK(password_dummy_init(&c) == GH_OK);
	CHECK(password_dummy_matches(a));
	CHECK(!password_dummy_matches(h));
	c.argon2_memory_kib = 2048;
	CHECK(password_hash(&c, "a local password", a) == GH_OK);
	CHECK(!password_dummy_matches(a));
	CHECK(!password_dummy_matches(NULL) && !password_dummy_matches("plaintext"));
}

TEST(policy_length_in_characters)
{
	struct config c = cfg_argon2();
	const char *why = NULL;
	/* 11 and 12 times "é" (2 bytes each in UTF-8). */
	const char *e11 = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                  "\xc3\xa9\xc3\xa9\xc3\xa9";
	const char *e12 = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	char longpw[200];

	CHECK(password_policy_check(&c, "short pw 11", &why) == GH_EPOLICY);
	CHECK_STR(why, "The password is too short.");
	CHECK(password_policy_check(&c, "", &why) == GH_EPOLICY);
	CHECK(password_policy_check(&c, NULL, &why) == GH_EPOLICY);
	CHECK(password_policy_check(&c, "twelve chars", &why) == GH_OK);
	CHECK(why == NULL);
	CHECK(password_policy_check(&c, e11, &why) == GH_EPOLICY);
	CHECK(password_policy_check(&c, e12, &why) == GH_OK);
	memset(longpw, 'x', 129);
	longpw[129] = '\0';
	CHECK(password_policy_check(&c, longpw, &why) == GH_EPOLICY);
	CHECK_STR(why, "The password is too long.");
	longpw[128] = '\0';
	CHECK(password_policy_check(&c, longpw, &why) == GH_OK);
}

TEST(policy_breached_password_refused)
{
	struct config c = cfg_argon2();
	const char *why = NULL;

	CHECK(password_policy_check(&c, "password1234", &why) == GH_EPOLICY);
	CHECK(why != NULL && strstr(why, "breached") != NULL);
	CHECK(password_policy_check(&c, "PassWord1234", &why) == GH_EPOLICY);
	CHECK(password_policy_check(&c, "123456789012", &why) == GH_EPOLICY);
	CHECK(password_policy_check(&c, "qwertyuiopas", &why) == GH_EPOLICY);
	CHECK(password_policy_check(&c, "wobbly kettle sings", &why) == GH_OK);
	/* The comment lines of the list are not passwords. */
	CHECK(password_policy_check(&c,
	          "# Gatehouse: a small local list of breached / commonest "
	          "passwords of 12 or more",
	          &why) == GH_OK);
	/* Without a list, only the length rules apply. */
	c.sql_dir = "/nonexistent/sql";
	CHECK(password_policy_check(&c, "password1234", &why) == GH_OK);
}

int
main(void)
{
	snprintf(sqldir, sizeof(sqldir), "%s/sql", test_srcdir());
	RUN(argon2id_hash_verifies_and_wrong_password_refused);
	RUN(argon2id_same_password_gets_another_salt);
	RUN(argon2id_bad_parameters_refused);
	RUN(bcrypt_hash_verifies_with_given_cost);
	RUN(bcrypt_bad_cost_refused);
	RUN(bcrypt_73_byte_password_refused);
	RUN(bcrypt_2a_2y_2b_made_by_crypt_rn_verify);
	RUN(php_style_2y_hash_verifies);
	RUN(sha512crypt_and_yescrypt_verify);
	RUN(weak_and_unknown_schemes_never_verify);
	RUN(rehash_needed_when_bcrypt_cost_lower);
	RUN(rehash_needed_when_argon2_weaker_or_other_scheme);
	RUN(verify_dummy_runs_without_a_user);
	RUN(bcrypt_over_72_bytes_costs_one_verification);
	RUN(unusable_hashes_cost_the_dummy_verification);
	RUN(external_dummy_has_the_tables_scheme_and_cost);
	RUN(policy_length_in_characters);
	RUN(policy_breached_password_refused);
	return test_summary();
}
