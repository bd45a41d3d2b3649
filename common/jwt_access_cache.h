/*
 * jwt_access_cache.h: the check's memory of access tokens it has verified,
 * so that an API client presenting the same token again and again (it
 * lives 15 minutes) pays the signature once.
 *
 * libjwt 1.10.2 takes a key only as PEM text and parses it on every
 * jwt_decode; that parse, not the signature, is most of a verification's
 * cost, several times a cookie check's.  The cache keeps, for a token that
 * jwt_access_verify accepted, the SHA-256 of its exact bytes and what its
 * claims said, until the moment jwt_access_verify would refuse it: its exp
 * plus the skew (the time checks of jws.c only ever fail later for exp;
 * nbf, iat and the lifetime bound that passed once pass at any later
 * time).  So a hit gives the answer a verification would give: the same
 * bytes, the same keys (read once at start), the same claims.  Refusals
 * are never stored, and the blacklist (revoked_jti) is not the cache's
 * business: the check reads it for every request, hit or not.
 *
 * Memory is bounded: JWT_ACCESS_CACHE_SLOTS entries, each token's slot
 * chosen by its digest (a token of another client may take the slot: that
 * costs a verification, never a wrong answer).  Safe to call from any
 * thread (one mutex, held for a compare and a copy).
 */
#ifndef GH_JWT_ACCESS_CACHE_H
#define GH_JWT_ACCESS_CACHE_H

#include <stdint.h>

#include "jwt_access.h"

#define JWT_ACCESS_CACHE_SLOTS 512

struct jwt_access_cache;

/* jwt_access_cache_new makes an empty cache; NULL when out of memory.
 * jwt_access_cache_free frees it (NULL is harmless). */
struct jwt_access_cache *jwt_access_cache_new(void);
void jwt_access_cache_free(struct jwt_access_cache *cache);

/*
 * jwt_access_cache_verify answers as jwt_access_verify(cfg, keys, token,
 * now, out) does, from the cache when token was verified before and is
 * still within its time, else by verifying it (and remembering it when it
 * is accepted).  cache may be NULL: every token is then verified.
 */
enum jws_refusal jwt_access_cache_verify(struct jwt_access_cache *cache, const struct config *cfg,
    const struct jwt_access_keys *keys, const char *token, int64_t now,
    struct jwt_access_claims *out);

#endif
