/*
 * password.c: password hashing, verification and policy (see password.h).
 *
 * argon2id goes through libargon2 (16-byte salt from crypto_random, 32-byte
 * hash, PHC encoding); bcrypt, sha512crypt and yescrypt through libxcrypt's
 * crypt_rn, whose result is compared with the stored hash in constant time.
 * libxcrypt's bcrypt would silently use only the first 72 bytes of a longer
 * password, so such a password is refused both when hashing and verifying.
 * Only the schemes listed in password.h are accepted: an old DES or MD5 crypt
 * hash never verifies.
 *
 * Every verification costs the same as a real one, refusals included (see
 * password_verify): a hash that cannot be used is replaced by the dummy hash,
 * made once per process like the store's real hashes.
 *
 * Lengths in the policy are counted in characters (UTF-8 code points, as NIST
 * SP 800-63B asks), the bcrypt limit in bytes.
 */
#include <argon2.h>
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "password.h"

#define PASSWORD_SALT_LEN 16
#define PASSWORD_ARGON2_HASH_LEN 32
#define PASSWORD_BCRYPT_MAX 72
#define PASSWORD_DUMMY "gatehouse dummy password for unknown users"

enum password_scheme {
	SCHEME_UNKNOWN,
	SCHEME_ARGON2ID,
	SCHEME_BCRYPT,
	SCHEME_SHA512CRYPT,
	SCHEME_YESCRYPT,
};

static enum password_scheme
password_scheme_of(const char *hash)
{
	if (strncmp(hash, "$argon2id$", 10) == 0)
		return SCHEME_ARGON2ID;
	if (strncmp(hash, "$2a$", 4) == 0 || strncmp(hash, "$2b$", 4) == 0 ||
	    strncmp(hash, "$2y$", 4) == 0)
		return SCHEME_BCRYPT;
	if (strncmp(hash, "$6$", 3) == 0)
		return SCHEME_SHA512CRYPT;
	if (strncmp(hash, "$y$", 3) == 0)
		return SCHEME_YESCRYPT;
	return SCHEME_UNKNOWN;
}

static bool
password_cfg_bcrypt(const struct config *cfg)
{
	return cfg->password_scheme == CONFIG_BCRYPT;
}

/* password_crypt runs crypt_rn(pw, setting) into out (outlen bytes). */
static enum gh_err
password_crypt(const char *pw, const char *setting, char *out, size_t outlen)
{
	struct crypt_data *cd;
	const char *r;
	enum gh_err e = GH_ECRYPTO;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return GH_ENOMEM;
	r = crypt_rn(pw, setting, cd, (int)sizeof(*cd));
	if (r != NULL && r[0] != '*' && strlen(r) < outlen) {
		memcpy(out, r, strlen(r) + 1);
		e = GH_OK;
	}
	crypto_wipe(cd, sizeof(*cd));
	free(cd);
	return e;
}

static enum gh_err
password_hash_argon2id(const struct config *cfg, const char *pw, char out[PASSWORD_HASH_MAX])
{
	unsigned char salt[PASSWORD_SALT_LEN];
	enum gh_err e;
	int r;

	if (cfg->argon2_time < 1 || cfg->argon2_memory_kib < 8 || cfg->argon2_parallelism < 1) {
		log_msg(LOG_ERR, "password: bad argon2 parameters m=%d t=%d p=%d",
		    cfg->argon2_memory_kib, cfg->argon2_time, cfg->argon2_parallelism);
		return GH_ECONFIG;
	}
	if ((e = crypto_random(salt, sizeof(salt))) != GH_OK)
		return e;
	r = argon2id_hash_encoded((uint32_t)cfg->argon2_time, (uint32_t)cfg->argon2_memory_kib,
	    (uint32_t)cfg->argon2_parallelism, pw, strlen(pw), salt, sizeof(salt),
	    PASSWORD_ARGON2_HASH_LEN, out, PASSWORD_HASH_MAX);
	crypto_wipe(salt, sizeof(salt));
	if (r != ARGON2_OK) {
		log_msg(LOG_ERR, "password: argon2id: %s", argon2_error_message(r));
		out[0] = '\0';
		return r == ARGON2_MEMORY_ALLOCATION_ERROR ? GH_ENOMEM : GH_ECRYPTO;
	}
	return GH_OK;
}

static enum gh_err
password_hash_bcrypt(const struct config *cfg, const char *pw, char out[PASSWORD_HASH_MAX])
{
	unsigned char rnd[PASSWORD_SALT_LEN];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	enum gh_err e;

	if (strlen(pw) > PASSWORD_BCRYPT_MAX)
		return GH_EPOLICY;
	/* libxcrypt turns cost 0 into its default: always pass a checked one. */
	if (cfg->bcrypt_cost < 4 || cfg->bcrypt_cost > 31) {
		log_msg(LOG_ERR, "password: bad bcrypt cost %d (4..31)", cfg->bcrypt_cost);
		return GH_ECONFIG;
	}
	if ((e = crypto_random(rnd, sizeof(rnd))) != GH_OK)
		return e;
	if (crypt_gensalt_rn("$2b$", (unsigned long)cfg->bcrypt_cost, (const char *)rnd,
	        (int)sizeof(rnd), setting, (int)sizeof(setting)) == NULL) {
		crypto_wipe(rnd, sizeof(rnd));
		log_msg(LOG_ERR, "password: crypt_gensalt_rn: %s", strerror(errno));
		return GH_ECRYPTO;
	}
	crypto_wipe(rnd, sizeof(rnd));
	if ((e = password_crypt(pw, setting, out, PASSWORD_HASH_MAX)) != GH_OK) {
		log_msg(LOG_ERR, "password: bcrypt hashing failed");
		out[0] = '\0';
	}
	return e;
}

enum gh_err
password_hash(const struct config *cfg, const char *pw, char out[PASSWORD_HASH_MAX])
{
	out[0] = '\0';
	if (pw == NULL)
		return GH_EINVAL;
	if (password_cfg_bcrypt(cfg))
		return password_hash_bcrypt(cfg, pw, out);
	return password_hash_argon2id(cfg, pw, out);
}

/* password_check verifies pw against hash: 1 when it matches, 0 when it does
 * not, -1 when the hash cannot be used (unknown scheme, malformed, or an
 * error before any hashing), having then spent next to nothing.  A bcrypt
 * hash with pw over 72 bytes is computed all the same and gives 0. */
static int
password_check(const char *pw, const char *hash)
{
	char out[CRYPT_OUTPUT_SIZE];
	bool ok = false, too_long = false;
	int r;

	switch (password_scheme_of(hash)) {
	case SCHEME_ARGON2ID:
		/* argon2id_verify compares in constant time; any other error
		 * than a mismatch comes before the hashing (decoding). */
		r = argon2id_verify(hash, pw, strlen(pw));
		return r == ARGON2_OK ? 1 : r == ARGON2_VERIFY_MISMATCH ? 0 : -1;
	case SCHEME_BCRYPT:
		/* libxcrypt would hash the first 72 bytes: spend that time, and
		 * refuse whatever it gives. */
		too_long = strlen(pw) > PASSWORD_BCRYPT_MAX;
		/* FALLTHROUGH */
	case SCHEME_SHA512CRYPT:
	case SCHEME_YESCRYPT:
		if (strlen(hash) >= sizeof(out))
			return -1;
		if (password_crypt(pw, hash, out, sizeof(out)) != GH_OK)
			return -1;
		ok = crypto_equal(out, hash);
		crypto_wipe(out, sizeof(out));
		return ok && !too_long ? 1 : 0;
	case SCHEME_UNKNOWN:
		break;
	}
	return -1;
}

/*
 * The dummy hash: made once per process, at start by password_dummy_init or
 * else by the first thread that needs it, under password_dummy_lock; read
 * without the lock once password_dummy_ready says it is there.
 */
static pthread_mutex_t password_dummy_lock = PTHREAD_MUTEX_INITIALIZER;
static char password_dummy_hash[PASSWORD_HASH_MAX];
static atomic_bool password_dummy_ready;

/* password_dummy_make makes the dummy from cfg; password_dummy_lock held. */
static enum gh_err
password_dummy_make(const struct config *cfg)
{
	struct config like = *cfg;
	char hash[PASSWORD_HASH_MAX];
	enum gh_err e;

	/* The store's real hashes: the other application's scheme and cost. */
	if (cfg->users_source == CONFIG_USERS_EXTERNAL) {
		like.password_scheme = cfg->users_password_scheme;
		like.bcrypt_cost = cfg->users_bcrypt_cost;
	}
	if ((e = password_hash(&like, PASSWORD_DUMMY, hash)) != GH_OK) {
		log_msg(LOG_ERR,
		    "password: cannot make the dummy hash (%s); refused logins "
		    "without a hash of their own would be answered faster",
		    gh_strerror(e));
		return e;
	}
	atomic_store(&password_dummy_ready, false);
	memcpy(password_dummy_hash, hash, sizeof(hash));
	atomic_store(&password_dummy_ready, true);
	return GH_OK;
}

enum gh_err
password_dummy_init(const struct config *cfg)
{
	enum gh_err e;

	pthread_mutex_lock(&password_dummy_lock);
	e = password_dummy_make(cfg);
	pthread_mutex_unlock(&password_dummy_lock);
	return e;
}

/* password_spend_dummy verifies pw against the dummy, when there is one. */
static void
password_spend_dummy(const char *pw)
{
	if (atomic_load(&password_dummy_ready))
		(void)password_check(pw, password_dummy_hash);
}

void
password_verify_dummy(const struct config *cfg, const char *pw)
{
	if (!atomic_load(&password_dummy_ready) && cfg != NULL) {
		pthread_mutex_lock(&password_dummy_lock);
		if (!atomic_load(&password_dummy_ready))
			(void)password_dummy_make(cfg);
		pthread_mutex_unlock(&password_dummy_lock);
	}
	password_spend_dummy(pw != NULL ? pw : "");
}

bool
password_verify(const char *pw, const char *hash)
{
	int r = -1;

	if (pw == NULL)
		pw = "";
	if (hash != NULL)
		r = password_check(pw, hash);
	if (r < 0)
		password_spend_dummy(pw);
	return r == 1;
}

/* password_cost_span is the length of the part of hash that fixes its cost,
 * which starts at *from: "$10$" of "$2b$10$..." (the variant letter does not
 * count), "$argon2id$v=19$m=...,t=...,p=...$", else the scheme's prefix.
 * 0 when there is none. */
static size_t
password_cost_span(const char *hash, size_t *from)
{
	const char *p = hash;
	int dollars = 0;

	*from = password_scheme_of(hash) == SCHEME_BCRYPT ? 3 : 0;
	switch (password_scheme_of(hash)) {
	case SCHEME_BCRYPT:
		return strlen(hash) >= 7 && hash[6] == '$' ? 4 : 0;
	case SCHEME_ARGON2ID:
		for (; *p != '\0' && dollars < 4; p++)
			dollars += *p == '$';
		return dollars == 4 ? (size_t)(p - hash) : 0;
	case SCHEME_SHA512CRYPT:
		return 3;
	case SCHEME_YESCRYPT:
		return 3;
	case SCHEME_UNKNOWN:
		break;
	}
	return 0;
}

bool
password_dummy_matches(const char *hash)
{
	size_t from, a, b;

	if (hash == NULL || !atomic_load(&password_dummy_ready))
		return false;
	a = password_cost_span(hash, &from);
	b = password_cost_span(password_dummy_hash, &from);
	return a != 0 && a == b &&
	       password_scheme_of(hash) == password_scheme_of(password_dummy_hash) &&
	       memcmp(hash + from, password_dummy_hash + from, a) == 0;
}

bool
password_needs_rehash(const struct config *cfg, const char *hash)
{
	unsigned int v, m, t, p, cost;
	int n = 0;

	if (hash == NULL)
		return true;
	if (password_cfg_bcrypt(cfg)) {
		if (password_scheme_of(hash) != SCHEME_BCRYPT)
			return true;
		if (sscanf(hash + 4, "%2u$%n", &cost, &n) != 1 || n != 3)
			return true;
		return cost < (unsigned int)cfg->bcrypt_cost;
	}
	if (password_scheme_of(hash) != SCHEME_ARGON2ID)
		return true;
	if (sscanf(hash, "$argon2id$v=%u$m=%u,t=%u,p=%u$%n", &v, &m, &t, &p, &n) != 4 || n == 0)
		return true;
	return v < ARGON2_VERSION_NUMBER || m < (unsigned int)cfg->argon2_memory_kib ||
	       t < (unsigned int)cfg->argon2_time || p < (unsigned int)cfg->argon2_parallelism;
}

/* password_chars counts the UTF-8 code points of s (continuation bytes
 * 10xxxxxx are not counted; invalid sequences count per lead byte). */
static size_t
password_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* password_breached_in tells whether pw is a line of the file at path
 * (compared ignoring ASCII case; "#" lines are comments).  *found is left
 * alone when the file does not exist. */
static enum gh_err
password_breached_in(const char *path, const char *pw, bool *found, bool *present)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return GH_OK;
		log_msg(LOG_ERR, "password: %s: %s", path, strerror(errno));
		return GH_EIO;
	}
	*present = true;
	while ((len = getline(&line, &cap, f)) != -1) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (strcasecmp(line, pw) == 0) {
			*found = true;
			break;
		}
	}
	free(line);
	fclose(f);
	return GH_OK;
}

/* password_breached checks the list next to sql_dir (see password.h): the
 * installed place SQL_DIR/../breached-passwords.txt, and SQL_DIR/ itself,
 * where the source tree keeps it (sql/breached-passwords.txt). */
static enum gh_err
password_breached(const struct config *cfg, const char *pw, bool *found)
{
	static const char *const names[] = {
	    "/../breached-passwords.txt", "/breached-passwords.txt"};
	char path[4096];
	size_t i;
	bool present = false;
	enum gh_err e;
	int r;

	*found = false;
	if (cfg->sql_dir == NULL)
		return GH_OK;
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && !present; i++) {
		r = snprintf(path, sizeof(path), "%s%s", cfg->sql_dir, names[i]);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			log_msg(LOG_ERR, "password: sql_dir too long");
			return GH_ETOOBIG;
		}
		if ((e = password_breached_in(path, pw, found, &present)) != GH_OK)
			return e;
	}
	return GH_OK;
}

enum gh_err
password_policy_check(const struct config *cfg, const char *pw, const char **why)
{
	size_t chars;
	bool found;
	enum gh_err e;

	*why = NULL;
	if (pw == NULL) {
		*why = "A password is required.";
		return GH_EPOLICY;
	}
	chars = password_chars(pw);
	if (chars < (size_t)(cfg->min_password_length > 0 ? cfg->min_password_length : 0) ||
	    chars == 0) {
		*why = "The password is too short.";
		return GH_EPOLICY;
	}
	if (cfg->max_password_length > 0 && chars > (size_t)cfg->max_password_length) {
		*why = "The password is too long.";
		return GH_EPOLICY;
	}
	if (password_cfg_bcrypt(cfg) && strlen(pw) > PASSWORD_BCRYPT_MAX) {
		*why = "The password is too long (at most 72 bytes).";
		return GH_EPOLICY;
	}
	if ((e = password_breached(cfg, pw, &found)) != GH_OK) {
		*why = "The password could not be checked.";
		return e;
	}
	if (found) {
		*why = "This password is on a list of breached passwords; choose another.";
		return GH_EPOLICY;
	}
	return GH_OK;
}
