/*
 * crypto.c: the few cryptographic primitives Gatehouse needs (see crypto.h):
 * random bytes from getrandom(2), SHA-256 and HMAC-SHA-256 from OpenSSL's
 * libcrypto, base64url and hex encoding, constant-time comparison, wiping.
 *
 * SHA-256 and HMAC have no error return in the contract: libcrypto fails
 * there only when it cannot allocate, and carrying on with a made-up digest
 * would turn every session id or CSRF token into the same known value, so
 * such a failure aborts the process instead (the web server answers 500 and
 * the supervisor restarts the program).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"

static void
crypto_fatal(const char *what)
{
	fprintf(stderr, "gatehouse: crypto: %s failed, aborting\n", what);
	abort();
}

enum gh_err
crypto_random(void *p, size_t n)
{
	unsigned char *q = p;
	ssize_t got;

	while (n > 0) {
		got = getrandom(q, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return GH_ECRYPTO;
		}
		q += got;
		n -= (size_t)got;
	}
	return GH_OK;
}

enum gh_err
crypto_token(char out[CRYPTO_TOKEN_LEN + 1])
{
	unsigned char raw[32];
	enum gh_err e;

	out[0] = '\0';
	if ((e = crypto_random(raw, sizeof(raw))) != GH_OK)
		return e;
	crypto_b64url_encode(raw, sizeof(raw), out);
	crypto_wipe(raw, sizeof(raw));
	return GH_OK;
}

enum gh_err
crypto_prefixed_token(const char *prefix, char *out)
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	return crypto_token(out + n);
}

bool
crypto_prefixed_token_valid(const char *s, const char *prefix)
{
	unsigned char raw[CRYPTO_TOKEN_LEN]; /* 43 * 3 / 4 + 1 bytes */
	size_t n = strlen(prefix);
	bool ok;

	if (s == NULL || strncmp(s, prefix, n) != 0 ||
	    strnlen(s + n, CRYPTO_TOKEN_LEN + 1) != CRYPTO_TOKEN_LEN)
		return false;
	ok = crypto_b64url_decode(s + n, CRYPTO_TOKEN_LEN, raw) == 32;
	crypto_wipe(raw, sizeof(raw));
	return ok;
}

static void
crypto_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

void
crypto_sha256_hex(const void *p, size_t n, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (p == NULL)
		p = "";
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != CRYPTO_SHA256_LEN)
		crypto_fatal("SHA-256");
	crypto_hex(md, CRYPTO_SHA256_LEN, out);
}

void
crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[CRYPTO_SHA256_LEN])
{
	static const unsigned char none[1];
	unsigned int outlen = 0;

	if (keylen > INT_MAX)
		crypto_fatal("HMAC-SHA-256 (key too long)");
	/* OpenSSL treats a NULL key as "keep the previous key": never pass one. */
	if (key == NULL)
		key = none;
	if (msg == NULL)
		msg = none;
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) == NULL ||
	    outlen != CRYPTO_SHA256_LEN)
		crypto_fatal("HMAC-SHA-256");
}

void
crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t msglen,
    char out[CRYPTO_SHA256_HEX_LEN + 1])
{
	unsigned char mac[CRYPTO_SHA256_LEN];

	crypto_hmac_sha256(key, keylen, msg, msglen, mac);
	crypto_hex(mac, sizeof(mac), out);
	crypto_wipe(mac, sizeof(mac));
}

size_t
crypto_b64url_encode(const void *p, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = p;
	size_t i, o = 0;
	unsigned long v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 | s[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)s[i] << 16;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

static int
crypto_b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long
crypto_b64url_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned long v = 0;
	size_t i, o = 0;
	int d, bits = 0;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((d = crypto_b64url_value((unsigned char)s[i])) < 0)
			return -1;
		v = (v << 6 | (unsigned long)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	/* The bits left over must be zero: one encoding per value. */
	if ((v & ((1ul << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

bool
crypto_equal(const char *a, const char *b)
{
	const volatile unsigned char *pa = (const volatile unsigned char *)a;
	const volatile unsigned char *pb = (const volatile unsigned char *)b;
	size_t la, i, j = 0;
	unsigned char d = 0, cb;

	if (a == NULL || b == NULL)
		return false;
	/*
	 * Walk a's length only.  Once b ends, j stays on its NUL, which never
	 * equals a byte of a; after the loop b must end exactly there.
	 */
	la = strlen(a);
	for (i = 0; i < la; i++) {
		cb = pb[j];
		d |= (unsigned char)(pa[i] ^ cb);
		j += (size_t)(cb != 0);
	}
	d |= pb[j];
	return d == 0;
}

void
crypto_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}
