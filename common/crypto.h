/*
 * crypto.h: the few primitives Gatehouse needs, over OpenSSL's libcrypto and
 * getrandom(2): random bytes and tokens, SHA-256, HMAC-SHA-256, base64url,
 * hex, constant-time comparison and wiping.
 */
#ifndef GH_CRYPTO_H
#define GH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA256_HEX_LEN 64
/* A token of 32 random bytes in base64url without padding is 43 chars. */
#define CRYPTO_TOKEN_LEN 43

/* crypto_random fills p with n bytes from getrandom(2); GH_ECRYPTO if it fails. */
enum gh_err crypto_random(void *p, size_t n);
/* crypto_token writes CRYPTO_TOKEN_LEN chars + NUL of a fresh random token. */
enum gh_err crypto_token(char out[CRYPTO_TOKEN_LEN + 1]);
/* A token with a recognisable prefix (personal access tokens "ghpat_",
 * refresh tokens "ghrt_"): the prefix, then crypto_token's 43 characters.
 * crypto_prefixed_token writes one into out (strlen(prefix) +
 * CRYPTO_TOKEN_LEN + 1 bytes); crypto_prefixed_token_valid tells whether s
 * has that form, the canonical base64url of 32 bytes after the prefix. */
enum gh_err crypto_prefixed_token(const char *prefix, char *out);
bool crypto_prefixed_token_valid(const char *s, const char *prefix);
/* crypto_sha256_hex writes the lowercase hex SHA-256 of p[0..n) + NUL. */
void crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_SHA256_HEX_LEN + 1]);
/* crypto_hmac_sha256 writes the 32-byte HMAC-SHA-256 of msg under key. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[CRYPTO_SHA256_LEN]);
/* crypto_hmac_sha256_hex writes the same as lowercase hex + NUL. */
void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
    char out[CRYPTO_SHA256_HEX_LEN + 1]);
/* crypto_b64url_encode writes base64url without padding + NUL; out must hold
 * 4*ceil(n/3)+1 bytes.  Returns the length written. */
size_t crypto_b64url_encode(const void *p, size_t n, char *out);
/* crypto_b64url_decode decodes the base64url text s[0..n) (no padding,
 * nothing but the 64 characters, the unused bits zero: one text per value)
 * into out, which must hold n*3/4+1 bytes.  Returns the decoded length, or
 * -1 for text that is not canonical base64url. */
long crypto_b64url_decode(const char *s, size_t n, unsigned char *out);
/* crypto_equal compares two strings in time independent of their contents
 * (the length of a is not secret).  NULL is never equal. */
bool crypto_equal(const char *a, const char *b);
/* crypto_wipe zeroes memory in a way the compiler cannot elide. */
void crypto_wipe(void *p, size_t n);

#endif
