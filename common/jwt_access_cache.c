/*
 * jwt_access_cache.c: the check's memory of verified access tokens (see
 * jwt_access_cache.h).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jwt_access_cache.h"

struct jwt_access_cache_slot {
	bool used;
	char digest[CRYPTO_SHA256_HEX_LEN + 1]; /* of the token's bytes */
	int64_t valid_until;                    /* the first second it is refused */
	struct jwt_access_claims claims;
};

struct jwt_access_cache {
	pthread_mutex_t lock;
	struct jwt_access_cache_slot slots[JWT_ACCESS_CACHE_SLOTS];
};

struct jwt_access_cache *
jwt_access_cache_new(void)
{
	struct jwt_access_cache *cache = calloc(1, sizeof(*cache));

	if (cache != NULL && pthread_mutex_init(&cache->lock, NULL) != 0) {
		free(cache);
		return NULL;
	}
	return cache;
}

void
jwt_access_cache_free(struct jwt_access_cache *cache)
{
	if (cache == NULL)
		return;
	pthread_mutex_destroy(&cache->lock);
	crypto_wipe(cache->slots, sizeof(cache->slots));
	free(cache);
}

/* jwt_access_cache_slot is the slot of a token's digest, chosen by its
 * first hex digits (a SHA-256: no client steers it but by grinding tokens
 * that our key signed). */
static struct jwt_access_cache_slot *
jwt_access_cache_slot(struct jwt_access_cache *cache, const char *digest)
{
	size_t i, n = 0;

	for (i = 0; i < 6; i++)
		n = n * 16 + (size_t)(digest[i] <= '9' ? digest[i] - '0' : digest[i] - 'a' + 10);
	return &cache->slots[n % JWT_ACCESS_CACHE_SLOTS];
}

enum jws_refusal
jwt_access_cache_verify(struct jwt_access_cache *cache, const struct config *cfg,
    const struct jwt_access_keys *keys, const char *token, int64_t now,
    struct jwt_access_claims *out)
{
	char digest[CRYPTO_SHA256_HEX_LEN + 1];
	struct jwt_access_cache_slot *slot;
	enum jws_refusal r;
	bool hit;

	if (cache == NULL)
		return jwt_access_verify(cfg, keys, token, now, out);
	crypto_sha256_hex(token, strlen(token), digest);
	slot = jwt_access_cache_slot(cache, digest);
	pthread_mutex_lock(&cache->lock);
	hit = slot->used && now < slot->valid_until && crypto_equal(slot->digest, digest);
	if (hit)
		*out = slot->claims;
	pthread_mutex_unlock(&cache->lock);
	if (hit)
		return JWS_OK;
	if ((r = jwt_access_verify(cfg, keys, token, now, out)) != JWS_OK)
		return r;
	pthread_mutex_lock(&cache->lock);
	slot->used = true;
	memcpy(slot->digest, digest, sizeof(slot->digest));
	/* No overflow: jws.c refused an exp past now + the lifetime + the skew. */
	slot->valid_until = out->exp + JWT_ACCESS_SKEW;
	slot->claims = *out;
	pthread_mutex_unlock(&cache->lock);
	return JWS_OK;
}
