/*
 * test_jwt_access_cache.c: the check's memory of verified access tokens
 * (common/jwt_access_cache.c).  An ES256 key is made in a mkdtemp(3)
 * folder.  A hit is told from a verification by asking with no keys at
 * all, which jwt_access_verify refuses: only the cache can then say yes.
 * The cache must answer as a verification would: the same claims, a
 * refusal at the same second past exp, nothing for a token of other
 * bytes, never a refusal remembered; and it must hold whatever many
 * threads ask at once.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* setenv, mkdtemp */
#endif

#include <pthread.h>
#include <sys/stat.h>

#include "config.h"
#include "crypto.h"
#include "jwt_access_cache.h"
#include "signkey.h"
#include "test.h"
#include "test_config.h"
#include "test_tmp.h"

#define T0 1795801500 /* 2026-11-27T17:45:00Z: the key's time */
#define NOW (T0 + 20) /* when tokens are made and first verified */
#define LIFETIME 600  /* [token] access_lifetime below */

static char root[64], key_dir[128];
static struct config cfg;
static struct jwt_access_keys keys;         /* the folder's: verify */
static const struct jwt_access_keys nokeys; /* none: only a hit says yes */
static struct signkey_set signing;

/* A token of alice signed at iat for LIFETIME, with roles; the caller
 * frees it.  NULL when signing fails. */
static char *
token_at(int64_t iat, const char *roles, struct jwt_access_claims *c)
{
	char *token = NULL;

	memset(c, 0, sizeof(*c));
	c->user_id = 42;
	c->iat = iat;
	c->exp = iat + LIFETIME;
	crypto_token(c->jti);
	snprintf(c->username, sizeof(c->username), "alice");
	snprintf(c->email, sizeof(c->email), "alice@example.org");
	snprintf(c->roles, sizeof(c->roles), "%s", roles);
	if (jwt_access_sign(&cfg, &signing.keys[0], c, &token) != GH_OK)
		return NULL;
	return token;
}

static bool
claims_equal(const struct jwt_access_claims *a, const struct jwt_access_claims *b)
{
	return strcmp(a->jti, b->jti) == 0 && a->user_id == b->user_id &&
	       strcmp(a->username, b->username) == 0 && strcmp(a->email, b->email) == 0 &&
	       strcmp(a->roles, b->roles) == 0 && a->iat == b->iat && a->exp == b->exp;
}

TEST(verified_token_is_answered_again_without_keys)
{
	struct jwt_access_cache *cache = jwt_access_cache_new();
	struct jwt_access_claims c, out;
	char *token = token_at(NOW, "editor", &c);

	CHECK(cache != NULL && token != NULL);
	/* Not yet verified: with no keys, refused. */
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, NOW, &out) != JWS_OK);
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW, &out) == JWS_OK);
	CHECK(claims_equal(&out, &c));
	memset(&out, 0, sizeof(out));
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, NOW + 1, &out) == JWS_OK);
	CHECK(claims_equal(&out, &c));
	free(token);
	jwt_access_cache_free(cache);
}

TEST(hit_ends_when_verification_would_refuse)
{
	struct jwt_access_cache *cache = jwt_access_cache_new();
	struct jwt_access_claims c, out;
	char *token = token_at(NOW, "", &c);
	const int64_t last = c.exp + JWT_ACCESS_SKEW - 1; /* the last second it is taken */

	CHECK(cache != NULL && token != NULL);
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW, &out) == JWS_OK);
	/* The cache and a verification agree on both sides of the edge. */
	CHECK(jwt_access_verify(&cfg, &keys, token, last, &out) == JWS_OK);
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, last, &out) == JWS_OK);
	CHECK(jwt_access_verify(&cfg, &keys, token, last + 1, &out) == JWS_EXPIRED);
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, last + 1, &out) == JWS_EXPIRED);
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, last + 1, &out) != JWS_OK);
	free(token);
	jwt_access_cache_free(cache);
}

TEST(token_of_other_bytes_is_no_hit)
{
	struct jwt_access_cache *cache = jwt_access_cache_new();
	struct jwt_access_claims c, out;
	char *token = token_at(NOW, "admin", &c), *sig;

	CHECK(cache != NULL && token != NULL && (sig = strrchr(token, '.')) != NULL);
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW, &out) == JWS_OK);
	/* One character of the signature changed: verified, and refused. */
	sig[1] = sig[1] == 'A' ? 'B' : 'A';
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW, &out) == JWS_BAD_SIGNATURE);
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, NOW, &out) != JWS_OK);
	/* A prefix of the token: refused too. */
	sig[1] = '\0';
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW, &out) != JWS_OK);
	free(token);
	jwt_access_cache_free(cache);
}

TEST(refusal_is_not_remembered)
{
	struct jwt_access_cache *cache = jwt_access_cache_new();
	struct jwt_access_claims c, out;
	/* Made 120 s ahead of the verifier's clock: iat past the skew, and
	 * exp past the longest lifetime. */
	char *token = token_at(NOW + 120, "", &c);

	CHECK(cache != NULL && token != NULL);
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW, &out) == JWS_EXP_TOO_FAR);
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, NOW + 120, &out) != JWS_OK);
	/* Refused until the clock catches up, then taken. */
	CHECK(jwt_access_cache_verify(cache, &cfg, &keys, token, NOW + 120, &out) == JWS_OK);
	CHECK(jwt_access_cache_verify(cache, &cfg, &nokeys, token, NOW + 121, &out) == JWS_OK);
	free(token);
	jwt_access_cache_free(cache);
}

TEST(null_cache_verifies_every_time)
{
	struct jwt_access_claims c, out;
	char *token = token_at(NOW, "", &c);

	CHECK(token != NULL);
	CHECK(jwt_access_cache_verify(NULL, &cfg, &keys, token, NOW, &out) == JWS_OK);
	CHECK(jwt_access_cache_verify(NULL, &cfg, &nokeys, token, NOW, &out) != JWS_OK);
	free(token);
	jwt_access_cache_free(NULL);
}

/* More tokens than slots: whatever was evicted is verified again, never
 * answered with another token's claims. */
TEST(more_tokens_than_slots_each_keeps_its_claims)
{
	enum { N = JWT_ACCESS_CACHE_SLOTS * 2 };
	struct jwt_access_cache *cache = jwt_access_cache_new();
	static struct jwt_access_claims c[N];
	static char *tokens[N];
	struct jwt_access_claims out;
	int i, hits = 0, ok = 0;

	CHECK(cache != NULL);
	for (i = 0; i < N; i++) {
		char roles[16];
		snprintf(roles, sizeof(roles), "r%d", i);
		tokens[i] = token_at(NOW, roles, &c[i]);
		ok += tokens[i] != NULL &&
		      jwt_access_cache_verify(cache, &cfg, &keys, tokens[i], NOW, &out) == JWS_OK;
	}
	CHECK(ok == N);
	for (i = 0; i < N; i++) {
		if (jwt_access_cache_verify(cache, &cfg, &nokeys, tokens[i], NOW, &out) == JWS_OK) {
			hits++;
			CHECK(claims_equal(&out, &c[i]));
		}
		CHECK(jwt_access_cache_verify(cache, &cfg, &keys, tokens[i], NOW, &out) == JWS_OK);
		CHECK(claims_equal(&out, &c[i]));
	}
	/* Half the tokens at most fit; many do. */
	CHECK(hits > 0 && hits <= JWT_ACCESS_CACHE_SLOTS);
	for (i = 0; i < N; i++)
		free(tokens[i]);
	jwt_access_cache_free(cache);
}

/* Threads verifying and hitting the same few tokens at once: each answer
 * is its own token's. */
#define THREADS 4
#define ROUNDS 400
static char *shared_tokens[8];
static struct jwt_access_claims shared_claims[8];
static struct jwt_access_cache *shared_cache;

static void *
worker(void *arg)
{
	intptr_t wrong = 0;
	struct jwt_access_claims out;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 8;
		if (jwt_access_cache_verify(
		        shared_cache, &cfg, &keys, shared_tokens[k], NOW, &out) != JWS_OK ||
		    !claims_equal(&out, &shared_claims[k]))
			wrong++;
	}
	return (void *)wrong;
}

TEST(threads_get_each_token_its_own_claims)
{
	pthread_t t[THREADS];
	void *wrong;
	int i, bad = 0;

	CHECK((shared_cache = jwt_access_cache_new()) != NULL);
	for (i = 0; i < 8; i++)
		CHECK((shared_tokens[i] = token_at(NOW, i % 2 ? "admin" : "", &shared_claims[i])));
	for (i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, worker, NULL) == 0);
	for (i = 0; i < THREADS; i++) {
		CHECK(pthread_join(t[i], &wrong) == 0);
		bad += (int)(intptr_t)wrong;
	}
	CHECK(bad == 0);
	for (i = 0; i < 8; i++)
		free(shared_tokens[i]);
	jwt_access_cache_free(shared_cache);
}

static bool
set_up(void)
{
	char text[512], kid[SIGNKEY_KID_MAX + 1], err[512];

	if (!tmp_make(root, sizeof(root), "test_jwt_access_cache"))
		return false;
	umask(022);
	snprintf(key_dir, sizeof(key_dir), "%s/keys", root);
	if (signkey_generate(key_dir, SIGNKEY_ES256, T0, kid, err, sizeof(err)) != GH_OK ||
	    signkey_load(key_dir, NOW, LIFETIME, &signing, err, sizeof(err)) != GH_OK) {
		fprintf(stderr, "keys: %s\n", err);
		return false;
	}
	snprintf(text, sizeof(text),
	    "[sso]\nkeys_dir = %s\nissuer = https://login.example.org\n"
	    "[token]\naccess_lifetime = 10m\n",
	    key_dir);
	if (load(&cfg, text) != GH_OK) {
		fprintf(stderr, "config refused: %s\n", errbuf);
		return false;
	}
	if (signkey_publish(cfg.sso_public_keys_file, &signing, err, sizeof(err)) != GH_OK ||
	    jwt_access_keys_load(&cfg, &keys, err, sizeof(err)) != GH_OK || !keys.loaded) {
		fprintf(stderr, "public keys: %s\n", err);
		return false;
	}
	return true;
}

int
main(void)
{
	clear_gatehouse_env();
	if (set_up()) {
		RUN(verified_token_is_answered_again_without_keys);
		RUN(hit_ends_when_verification_would_refuse);
		RUN(token_of_other_bytes_is_no_hit);
		RUN(refusal_is_not_remembered);
		RUN(null_cache_verifies_every_time);
		RUN(more_tokens_than_slots_each_keeps_its_claims);
		RUN(threads_get_each_token_its_own_claims);
	} else {
		test_failed++;
		printf("not ok - set_up\n");
	}
	jwt_access_keys_cleanup(&keys);
	signkey_cleanup(&signing);
	config_cleanup(&cfg);
	if (root[0] != '\0')
		tmp_remove(root, 2);
	return test_summary();
}
