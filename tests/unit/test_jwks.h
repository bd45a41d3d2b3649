/*
 * test_jwks.h: what the two programs testing common/jwks.c (test_jwks.c,
 * the JWKS document, and test_jwks_key.c, one key) share: the test keys,
 * RFC 7517's example keys, and helpers that make, parse and refuse
 * documents.
 */
#ifndef GH_TEST_JWKS_H
#define GH_TEST_JWKS_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "jwks.h"
#include "test.h"

static EVP_PKEY *rsa2048, *p256, *p384;

/* RFC 7517 Appendix A.1, "Example Public Keys", as printed. */
#define RFC7517_EC_X "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
#define RFC7517_EC_Y "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
#define RFC7517_RSA_N                                                                              \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"  \
	"BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"          \
	"65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdk" \
	"t-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"                   \
	"kEgU8awapJzKnqDKgw"
static const char rfc7517_a1[] = "{\"keys\":\n"
                                 "  [\n"
                                 "    {\"kty\":\"EC\",\n"
                                 "     \"crv\":\"P-256\",\n"
                                 "     \"x\":\"" RFC7517_EC_X "\",\n"
                                 "     \"y\":\"" RFC7517_EC_Y "\",\n"
                                 "     \"use\":\"enc\",\n"
                                 "     \"kid\":\"1\"},\n"
                                 "\n"
                                 "    {\"kty\":\"RSA\",\n"
                                 "     \"n\": \"" RFC7517_RSA_N "\",\n"
                                 "     \"e\":\"AQAB\",\n"
                                 "     \"alg\":\"RS256\",\n"
                                 "     \"kid\":\"2011-04-29\"}\n"
                                 "  ]\n"
                                 "}\n";
/* The private part of the EC key (RFC 7517 Appendix A.2). */
#define RFC7517_EC_D "870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"

/* pem_of returns the PEM of pk (private: PKCS#8), heap, NUL-terminated. */
static inline char *
pem_of(EVP_PKEY *pk, bool private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s = NULL;
	long n;

	if (bio == NULL)
		return NULL;
	if ((private ? PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL)
	             : PEM_write_bio_PUBKEY(bio, pk)) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, data, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(bio);
	return s;
}

static inline EVP_PKEY *
pkey_of(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return pk;
}

/* doc_of returns {"keys": [the JWK of pk]} made by jwks_add_json. */
static inline json_t *
doc_of(EVP_PKEY *pk, const char *kid, const char *alg)
{
	json_t *doc = json_pack("{s:[]}", "keys");
	char *pem = pem_of(pk, false);

	CHECK(doc != NULL && pem != NULL);
	CHECK(jwks_add_json(doc, pem, pem ? strlen(pem) : 0, kid, alg) == GH_OK);
	free(pem);
	return doc;
}

/* key_at returns the JWK number i of doc. */
static inline json_t *
key_at(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "keys"), i);
}

/* parse_doc parses the text of doc into *set; it takes doc. */
static inline enum gh_err
parse_doc(json_t *doc, struct jwks *set, char *err, size_t errlen)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	enum gh_err e;

	CHECK(text != NULL);
	e = jwks_parse(text, text ? strlen(text) : 0, set, err, errlen);
	free(text);
	json_decref(doc);
	return e;
}

/* quotes_material tells whether err holds 12 chars of any base64url member. */
static inline bool
quotes_material(const char *err, const char *text)
{
	static const char *const names[] = {
	    "\"n\":\"", "\"x\":\"", "\"y\":\"", "\"d\":\"", "\"n\": \""};
	const char *p;
	char piece[13];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (p = strstr(text, names[i]); p != NULL; p = strstr(p + 1, names[i])) {
			memcpy(piece, p + strlen(names[i]), 12);
			piece[12] = '\0';
			if (strstr(err, piece) != NULL)
				return true;
		}
	return false;
}

/* refused parses text and checks it is refused with e, with a message that
 * holds want and no key material. */
static inline void
refused_text(const char *text, enum gh_err e, const char *want)
{
	struct jwks set;
	char err[256];

	CHECK(jwks_parse(text, strlen(text), &set, err, sizeof(err)) == e);
	CHECK(set.keys == NULL && set.nkeys == 0);
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", err, want);
		CHECK(false);
	}
	CHECK(!quotes_material(err, text));
}

/* refused is refused_text on doc, which it takes. */
static inline void
refused(json_t *doc, enum gh_err e, const char *want)
{
	char *text = json_dumps(doc, JSON_COMPACT);

	CHECK(text != NULL);
	if (text != NULL)
		refused_text(text, e, want);
	free(text);
	json_decref(doc);
}

/* rsa_doc returns {"keys":[{"kty":"RSA","n":n,"e":e,"kid":"r"}]}. */
static inline json_t *
rsa_doc(const BIGNUM *n, const BIGNUM *e)
{
	unsigned char bin[1100];
	char nb[1500], eb[64];
	int len;

	len = BN_bn2bin(n, bin);
	crypto_b64url_encode(bin, (size_t)len, nb);
	len = BN_bn2bin(e, bin);
	crypto_b64url_encode(bin, (size_t)len, eb);
	return json_pack(
	    "{s:[{s:s,s:s,s:s,s:s}]}", "keys", "kty", "RSA", "n", nb, "e", eb, "kid", "r");
}

static inline BIGNUM *
odd_number(int bits)
{
	BIGNUM *n = BN_new();

	CHECK(n != NULL && BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) == 1);
	return n;
}

static inline void
round_trip(EVP_PKEY *pk, bool private, const char *kid, const char *alg, enum jwks_kty kty,
    const char *const members[])
{
	json_t *doc = json_pack("{s:[]}", "keys"), *jwk;
	char *pem = pem_of(pk, private), err[256];
	const struct jwks_key *k;
	EVP_PKEY *back;
	struct jwks set;
	size_t i;

	CHECK(doc != NULL && pem != NULL);
	CHECK(jwks_add_json(doc, pem, strlen(pem), kid, alg) == GH_OK);
	jwk = key_at(doc, 0);
	/* Exactly the public members: nothing of a private key. */
	for (i = 0; members[i] != NULL; i++)
		CHECK(json_is_string(json_object_get(jwk, members[i])));
	CHECK(json_object_size(jwk) == i);
	CHECK_STR(json_string_value(json_object_get(jwk, "use")), "sig");
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 1);
	CHECK((k = jwks_find(&set, kid)) != NULL);
	if (k != NULL) {
		CHECK(k->kty == kty);
		CHECK_STR(k->alg, alg);
		CHECK(k->pem_len == strlen(k->pem));
		CHECK(strncmp(k->pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
		CHECK((back = pkey_of(k->pem)) != NULL);
		CHECK(back != NULL && EVP_PKEY_eq(back, pk) == 1);
		EVP_PKEY_free(back);
	}
	jwks_cleanup(&set);
	free(pem);
}

/* test_jwks_keys_make makes the test keys; false when it cannot. */
static inline bool
test_jwks_keys_make(void)
{
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return rsa2048 != NULL && p256 != NULL && p384 != NULL;
}

static inline void
test_jwks_keys_free(void)
{
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
}

#endif
