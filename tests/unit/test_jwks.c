/*
 * test_jwks.c: unit tests for common/jwks.c.  Keys made here with OpenSSL
 * (RSA 2048, EC P-256 and P-384) go PEM -> jwks_add_json -> jwks_parse and
 * come back as the same public key; the example public keys of RFC 7517
 * Appendix A.1 parse; and every rule of jwks.h has a refusal of its own,
 * whose message names the key and quotes no key material.
 */
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
static char *
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

static EVP_PKEY *
pkey_of(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return pk;
}

/* doc_of returns {"keys": [the JWK of pk]} made by jwks_add_json. */
static json_t *
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
static json_t *
key_at(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "keys"), i);
}

/* parse_doc parses the text of doc into *set; it takes doc. */
static enum gh_err
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
static bool
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
static void
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
static void
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
static json_t *
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

static BIGNUM *
odd_number(int bits)
{
	BIGNUM *n = BN_new();

	CHECK(n != NULL && BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD) == 1);
	return n;
}

static void
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

static const char *const rsa_members[] = {"kty", "n", "e", "kid", "alg", "use", NULL};
static const char *const ec_members[] = {"kty", "crv", "x", "y", "kid", "alg", "use", NULL};

TEST(rsa_2048_round_trips_from_public_and_private_pem)
{
	round_trip(rsa2048, false, "rsa-1", "RS256", JWKS_RSA, rsa_members);
	round_trip(rsa2048, true, "rsa-2", "RS512", JWKS_RSA, rsa_members);
}

TEST(ec_p256_round_trips_from_public_and_private_pem)
{
	round_trip(p256, false, "20261127T174500Z-0123abcd", "ES256", JWKS_EC_P256, ec_members);
	round_trip(p256, true, "ec-2", "ES256", JWKS_EC_P256, ec_members);
}

TEST(ec_p384_round_trips_from_public_and_private_pem)
{
	round_trip(p384, false, "p384", "ES384", JWKS_EC_P384, ec_members);
	round_trip(p384, true, "p384", "ES384", JWKS_EC_P384, ec_members);
}

TEST(add_json_writes_fixed_length_ec_coordinates)
{
	json_t *doc = doc_of(p256, "a", "ES256");
	json_t *doc384 = doc_of(p384, "b", "ES384");

	/* 32 and 48 bytes are 43 and 64 base64url chars, leading zeros kept. */
	CHECK(json_string_length(json_object_get(key_at(doc, 0), "x")) == 43);
	CHECK(json_string_length(json_object_get(key_at(doc, 0), "y")) == 43);
	CHECK(json_string_length(json_object_get(key_at(doc384, 0), "x")) == 64);
	CHECK(json_string_length(json_object_get(key_at(doc384, 0), "y")) == 64);
	json_decref(doc);
	json_decref(doc384);
}

TEST(add_json_without_kid_or_alg_leaves_them_out)
{
	json_t *doc = doc_of(p256, NULL, NULL);
	struct jwks set;
	char err[256];

	CHECK(json_object_get(key_at(doc, 0), "kid") == NULL);
	CHECK(json_object_get(key_at(doc, 0), "alg") == NULL);
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 1 && set.keys[0].kid[0] == '\0' && set.keys[0].alg[0] == '\0');
	CHECK(jwks_find(&set, "") == &set.keys[0]);
	jwks_cleanup(&set);
}

TEST(add_json_several_keys_parse_and_find_each)
{
	json_t *doc = json_pack("{s:[]}", "keys");
	char *a = pem_of(rsa2048, true), *b = pem_of(p256, true), *c = pem_of(p384, false);
	struct jwks set;
	char err[256];

	CHECK(jwks_add_json(doc, a, strlen(a), "k1", "RS256") == GH_OK);
	CHECK(jwks_add_json(doc, b, strlen(b), "k2", "ES256") == GH_OK);
	CHECK(jwks_add_json(doc, c, strlen(c), "k3", "ES384") == GH_OK);
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 3);
	CHECK(jwks_find(&set, "k1") != NULL && jwks_find(&set, "k1")->kty == JWKS_RSA);
	CHECK(jwks_find(&set, "k2") != NULL && jwks_find(&set, "k2")->kty == JWKS_EC_P256);
	CHECK(jwks_find(&set, "k3") != NULL && jwks_find(&set, "k3")->kty == JWKS_EC_P384);
	CHECK(jwks_find(&set, "k") == NULL);
	CHECK(jwks_find(&set, "k12") == NULL);
	CHECK(jwks_find(&set, "") == NULL);
	CHECK(jwks_find(&set, NULL) == NULL);
	CHECK(jwks_find(NULL, "k1") == NULL);
	jwks_cleanup(&set);
	free(a);
	free(b);
	free(c);
}

TEST(add_json_refuses_what_parse_would_refuse)
{
	json_t *doc = json_pack("{s:[]}", "keys"), *bare = json_object();
	char *ec = pem_of(p256, false), *rsa = pem_of(rsa2048, false), kid[JWKS_KID_MAX + 2];

	CHECK(jwks_add_json(doc, ec, strlen(ec), "x", "ES384") == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, strlen(ec), "x", "RS256") == GH_EINVAL);
	CHECK(jwks_add_json(doc, rsa, strlen(rsa), "x", "ES256") == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, strlen(ec), "x", "HS256") == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, strlen(ec), "x", "none") == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, strlen(ec), "", "ES256") == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, strlen(ec), "a\nb", "ES256") == GH_EINVAL);
	memset(kid, 'k', JWKS_KID_MAX + 1);
	kid[JWKS_KID_MAX + 1] = '\0';
	CHECK(jwks_add_json(doc, ec, strlen(ec), kid, "ES256") == GH_EINVAL);
	kid[JWKS_KID_MAX] = '\0';
	CHECK(jwks_add_json(doc, ec, strlen(ec), kid, "ES256") == GH_OK);
	CHECK(jwks_add_json(doc, rsa, strlen(rsa), kid, "RS256") == GH_EEXISTS);
	CHECK(jwks_add_json(doc, ec, strlen(ec), NULL, NULL) == GH_OK);
	CHECK(jwks_add_json(doc, rsa, strlen(rsa), NULL, NULL) == GH_EEXISTS);
	CHECK(jwks_add_json(doc, "not a key", 9, "y", NULL) == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, 0, "y", NULL) == GH_EINVAL);
	CHECK(jwks_add_json(doc, ec, strlen(ec) / 2, "y", NULL) == GH_EINVAL);
	CHECK(jwks_add_json(bare, ec, strlen(ec), "y", NULL) == GH_EINVAL);
	CHECK(jwks_add_json(NULL, ec, strlen(ec), "y", NULL) == GH_EINVAL);
	CHECK(json_array_size(json_object_get(doc, "keys")) == 2);
	json_decref(doc);
	json_decref(bare);
	free(ec);
	free(rsa);
}

TEST(add_json_stops_at_max_keys)
{
	json_t *doc = json_pack("{s:[]}", "keys");
	char *ec = pem_of(p256, false), kid[16];
	struct jwks set;
	char err[256];
	int i;

	for (i = 0; i < JWKS_MAX_KEYS; i++) {
		snprintf(kid, sizeof(kid), "k%d", i);
		CHECK(jwks_add_json(doc, ec, strlen(ec), kid, "ES256") == GH_OK);
	}
	CHECK(jwks_add_json(doc, ec, strlen(ec), "one-more", "ES256") == GH_ETOOBIG);
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == JWKS_MAX_KEYS);
	jwks_cleanup(&set);
	free(ec);
}

TEST(add_json_refuses_an_encrypted_private_key_without_prompting)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	json_t *doc = json_pack("{s:[]}", "keys");

	CHECK(bio != NULL && PEM_write_bio_PrivateKey(bio, p256, EVP_aes_128_cbc(),
	                         (unsigned char *)"pass", 4, NULL, NULL) == 1);
	n = BIO_get_mem_data(bio, &data);
	CHECK(n > 0);
	CHECK(jwks_add_json(doc, data, (size_t)n, "enc", "ES256") == GH_EINVAL);
	BIO_free(bio);
	json_decref(doc);
}

TEST(rfc7517_a1_example_public_keys_parse_when_use_is_sig)
{
	struct jwks set;
	const struct jwks_key *ec, *rsa;
	json_error_t jerr;
	json_t *doc = json_loads(rfc7517_a1, 0, &jerr);
	char err[256];
	enum jwks_kty kty;
	EVP_PKEY *pk;

	CHECK(doc != NULL);
	/* As printed, the EC key is for encryption ("use": "enc"). */
	refused_text(rfc7517_a1, GH_EINVAL, "keys[0] (kid \"1\"): use \"enc\" is not \"sig\"");
	json_object_set_new(key_at(doc, 0), "use", json_string("sig"));
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 2);
	CHECK((ec = jwks_find(&set, "1")) == &set.keys[0]);
	CHECK((rsa = jwks_find(&set, "2011-04-29")) == &set.keys[1]);
	if (ec != NULL && rsa != NULL) {
		CHECK(ec->kty == JWKS_EC_P256);
		CHECK_STR(ec->alg, "");
		CHECK(rsa->kty == JWKS_RSA);
		CHECK_STR(rsa->alg, "RS256");
		CHECK((pk = pkey_of(rsa->pem)) != NULL);
		CHECK(pk != NULL && EVP_PKEY_get_bits(pk) == 2048);
		EVP_PKEY_free(pk);
		CHECK(jwks_pem_kty(ec->pem, ec->pem_len, &kty) == GH_OK && kty == JWKS_EC_P256);
	}
	jwks_cleanup(&set);
}

TEST(rfc7517_a1_keys_parse_without_use)
{
	json_t *doc = json_loads(rfc7517_a1, 0, NULL);
	struct jwks set;
	char err[256];

	CHECK(json_object_del(key_at(doc, 0), "use") == 0);
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 2);
	jwks_cleanup(&set);
}

TEST(private_d_refused)
{
	json_t *doc = json_loads(rfc7517_a1, 0, NULL);

	json_object_set_new(key_at(doc, 0), "use", json_string("sig"));
	json_object_set_new(key_at(doc, 0), "d", json_string(RFC7517_EC_D));
	refused(doc, GH_EINVAL, "keys[0] (kid \"1\"): holds private key material (\"d\")");
}

TEST(rsa_private_members_refused)
{
	static const char *const names[] = {"p", "q", "dp", "dq", "qi", "oth"};
	json_t *doc;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		doc = json_loads(rfc7517_a1, 0, NULL);
		json_array_remove(json_object_get(doc, "keys"), 0);
		json_object_set_new(key_at(doc, 0), names[i], json_string("AQAB"));
		snprintf(want, sizeof(want), "(\"%s\")", names[i]);
		refused(doc, GH_EINVAL, want);
	}
}

TEST(use_other_than_sig_refused)
{
	json_t *doc = doc_of(p256, "u", "ES256");

	json_object_set_new(key_at(doc, 0), "use", json_string("enc"));
	refused(doc, GH_EINVAL, "keys[0] (kid \"u\"): use \"enc\" is not \"sig\"");
	doc = doc_of(p256, "u", "ES256");
	json_object_set_new(key_at(doc, 0), "use", json_integer(1));
	refused(doc, GH_EINVAL, "use is not \"sig\"");
}

TEST(key_ops_without_verify_refused)
{
	json_t *doc = doc_of(p256, "o", "ES256");
	struct jwks set;
	char err[256];

	json_object_set_new(key_at(doc, 0), "key_ops", json_pack("[s]", "encrypt"));
	refused(doc, GH_EINVAL, "\"key_ops\" is not an array that holds \"verify\"");
	doc = doc_of(p256, "o", "ES256");
	json_object_set_new(key_at(doc, 0), "key_ops", json_string("verify"));
	refused(doc, GH_EINVAL, "key_ops");
	doc = doc_of(p256, "o", "ES256");
	json_object_set_new(key_at(doc, 0), "key_ops", json_pack("[s]", "verify"));
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	jwks_cleanup(&set);
}

TEST(alg_outside_the_list_refused)
{
	static const char *const algs[] = {"HS256", "none", "PS256", "ES512", "EdDSA", "rs256"};
	json_t *doc;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		doc = doc_of(p256, "a", "ES256");
		json_object_set_new(key_at(doc, 0), "alg", json_string(algs[i]));
		refused(doc, GH_EINVAL, "is not one of RS256, RS384, RS512, ES256, ES384");
	}
}

TEST(alg_of_another_family_refused)
{
	json_t *doc = doc_of(p384, "a", "ES384");

	json_object_set_new(key_at(doc, 0), "alg", json_string("ES256"));
	refused(doc, GH_EINVAL, "keys[0] (kid \"a\"): alg ES256 does not fit an EC P-384 key");
	doc = doc_of(p256, "a", "ES256");
	json_object_set_new(key_at(doc, 0), "alg", json_string("ES384"));
	refused(doc, GH_EINVAL, "alg ES384 does not fit an EC P-256 key");
	doc = doc_of(p256, "a", "ES256");
	json_object_set_new(key_at(doc, 0), "alg", json_string("RS256"));
	refused(doc, GH_EINVAL, "alg RS256 does not fit an EC P-256 key");
	doc = doc_of(rsa2048, "a", "RS256");
	json_object_set_new(key_at(doc, 0), "alg", json_string("ES256"));
	refused(doc, GH_EINVAL, "alg ES256 does not fit an RSA key");
}

TEST(kty_other_than_rsa_or_ec_refuses_the_whole_file)
{
	json_t *doc = doc_of(p256, "good", "ES256");

	json_array_append_new(json_object_get(doc, "keys"),
	    json_pack("{s:s,s:s,s:s}", "kty", "oct", "k", "c2VjcmV0", "kid", "sym"));
	/* "k" is a symmetric key: refused as private material before kty. */
	refused(
	    json_deep_copy(doc), GH_EINVAL, "keys[1] (kid \"sym\"): holds private key material");
	json_object_del(key_at(doc, 1), "k");
	refused(
	    json_deep_copy(doc), GH_EINVAL, "keys[1] (kid \"sym\"): kty \"oct\" is not RSA or EC");
	json_object_set_new(key_at(doc, 1), "kty", json_string("OKP"));
	refused(json_deep_copy(doc), GH_EINVAL, "kty \"OKP\" is not RSA or EC");
	json_object_del(key_at(doc, 1), "kty");
	refused(doc, GH_EINVAL, "keys[1] (kid \"sym\"): has no \"kty\"");
}

TEST(curve_other_than_p256_or_p384_refused)
{
	json_t *doc = doc_of(p256, "c", "ES256");

	json_object_set_new(key_at(doc, 0), "crv", json_string("P-521"));
	refused(json_deep_copy(doc), GH_EINVAL, "crv \"P-521\" is not P-256 or P-384");
	json_object_set_new(key_at(doc, 0), "crv", json_string("secp256k1"));
	refused(json_deep_copy(doc), GH_EINVAL, "crv \"secp256k1\" is not P-256 or P-384");
	json_object_del(key_at(doc, 0), "crv");
	refused(doc, GH_EINVAL, "has no \"crv\"");
}

TEST(p256_point_not_on_curve_refused)
{
	json_t *doc = json_loads(rfc7517_a1, 0, NULL);
	char y[] = RFC7517_EC_Y;

	json_array_remove(json_object_get(doc, "keys"), 1);
	json_object_del(key_at(doc, 0), "use");
	y[0] = y[0] == 'A' ? 'B' : 'A'; /* another y, the same x */
	json_object_set_new(key_at(doc, 0), "y", json_string(y));
	refused(doc, GH_EINVAL, "keys[0] (kid \"1\"): \"x\" and \"y\" are not a point on P-256");
}

TEST(ec_coordinates_of_the_wrong_size_refused)
{
	json_t *doc = json_loads(rfc7517_a1, 0, NULL);
	unsigned char raw[64];
	char x[96];

	json_array_remove(json_object_get(doc, "keys"), 1);
	json_object_del(key_at(doc, 0), "use");
	/* P-256 coordinates under P-384: padded, they are no point of it. */
	json_object_set_new(key_at(doc, 0), "crv", json_string("P-384"));
	refused(json_deep_copy(doc), GH_EINVAL, "\"x\" and \"y\" are not a point on P-384");
	/* 33 bytes on P-256: longer than any coordinate. */
	json_object_set_new(key_at(doc, 0), "crv", json_string("P-256"));
	CHECK(crypto_b64url_decode(RFC7517_EC_X, strlen(RFC7517_EC_X), raw + 1) == 32);
	raw[0] = 0;
	crypto_b64url_encode(raw, 33, x);
	json_object_set_new(key_at(doc, 0), "x", json_string(x));
	refused(json_deep_copy(doc), GH_EINVAL,
	    "\"x\" and \"y\" must be at most 32 bytes each on P-256");
	json_object_set_new(key_at(doc, 0), "x", json_string(""));
	refused(json_deep_copy(doc), GH_EINVAL,
	    "\"x\" and \"y\" must be at most 32 bytes each on P-256");
	json_object_del(key_at(doc, 0), "y");
	refused(doc, GH_EINVAL, "has no \"y\"");
}

TEST(ec_coordinate_without_its_leading_zero_taken)
{
	/* PyJWT before 2.7 writes x and y without leading zero bytes: find a
	 * P-256 key whose x starts with one, and drop it. */
	unsigned char raw[64];
	char text[96], err[256];
	struct jwks set;
	EVP_PKEY *pk = NULL, *back;
	json_t *doc = NULL;
	long n = 0;

	for (int tries = 0; tries < 5000; tries++) {
		json_decref(doc);
		EVP_PKEY_free(pk);
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		doc = doc_of(pk, "z", "ES256");
		const char *x = json_string_value(json_object_get(key_at(doc, 0), "x"));
		if ((n = crypto_b64url_decode(x, strlen(x), raw)) == 32 && raw[0] == 0)
			break;
	}
	CHECK(n == 32 && raw[0] == 0);
	crypto_b64url_encode(raw + 1, 31, text);
	json_object_set_new(key_at(doc, 0), "x", json_string(text));
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 1);
	back = set.nkeys == 1 ? pkey_of(set.keys[0].pem) : NULL;
	CHECK(back != NULL && EVP_PKEY_eq(back, pk) == 1);
	EVP_PKEY_free(back);
	EVP_PKEY_free(pk);
	jwks_cleanup(&set);
}

TEST(truncated_base64url_refused)
{
	json_t *doc = json_loads(rfc7517_a1, 0, NULL);
	char x[] = RFC7517_EC_X, n[] = RFC7517_RSA_N;

	json_object_del(key_at(doc, 0), "use");
	x[strlen(x) - 1] = '\0'; /* 42 chars: 31 bytes and stray bits */
	json_object_set_new(key_at(doc, 0), "x", json_string(x));
	refused(json_deep_copy(doc), GH_EINVAL, "keys[0] (kid \"1\"): \"x\" is not base64url");
	json_object_set_new(key_at(doc, 0), "x", json_string(RFC7517_EC_X));
	n[strlen(n) - 1] = '\0'; /* 341 chars: 4k+1, no encoding has it */
	json_object_set_new(key_at(doc, 1), "n", json_string(n));
	refused(doc, GH_EINVAL, "keys[1] (kid \"2011-04-29\"): \"n\" is not base64url");
}

TEST(base64url_padding_and_other_alphabets_refused)
{
	static const char *const bad[] = {"AQAB=", "AQA=", "AQ+B", "AQ/B", "AQ B", "AQAB\n", ""};
	json_t *doc;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = json_loads(rfc7517_a1, 0, NULL);
		json_array_remove(json_object_get(doc, "keys"), 0);
		json_object_set_new(key_at(doc, 0), "e", json_string(bad[i]));
		/* "" decodes to nothing: a zero exponent, refused as such. */
		refused(doc, GH_EINVAL, bad[i][0] != '\0' ? "\"e\" is not base64url" : "exponent");
	}
}

TEST(rsa_modulus_size_limits)
{
	BIGNUM *e = BN_new(), *n;
	struct jwks set;
	char err[256];

	CHECK(e != NULL && BN_set_word(e, 65537) == 1);
	n = odd_number(2047);
	refused(rsa_doc(n, e), GH_EINVAL, "keys[0] (kid \"r\"): an RSA modulus of 2047 bits");
	BN_free(n);
	n = odd_number(8193);
	refused(rsa_doc(n, e), GH_EINVAL, "an RSA modulus of 8193 bits (2048 to 8192 taken)");
	BN_free(n);
	n = odd_number(1024);
	refused(rsa_doc(n, e), GH_EINVAL, "an RSA modulus of 1024 bits");
	BN_free(n);
	n = odd_number(8192);
	CHECK(parse_doc(rsa_doc(n, e), &set, err, sizeof(err)) == GH_OK);
	jwks_cleanup(&set);
	BN_free(n);
	n = odd_number(2048);
	CHECK(parse_doc(rsa_doc(n, e), &set, err, sizeof(err)) == GH_OK);
	jwks_cleanup(&set);
	CHECK(BN_clear_bit(n, 0) == 1);
	refused(rsa_doc(n, e), GH_EINVAL, "an even RSA modulus");
	BN_free(n);
	BN_free(e);
}

TEST(rsa_exponent_odd_over_one_and_short)
{
	BIGNUM *n = odd_number(2048), *e = BN_new();
	struct jwks set;
	char err[256];

	CHECK(e != NULL);
	BN_set_word(e, 3);
	CHECK(parse_doc(rsa_doc(n, e), &set, err, sizeof(err)) == GH_OK);
	jwks_cleanup(&set);
	BN_set_word(e, 1);
	refused(rsa_doc(n, e), GH_EINVAL, "keys[0] (kid \"r\"): an RSA exponent that is not odd");
	BN_set_word(e, 65536);
	refused(rsa_doc(n, e), GH_EINVAL, "an RSA exponent that is not odd");
	BN_rand(e, 65, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD);
	refused(rsa_doc(n, e), GH_EINVAL, "an RSA exponent that is not odd, over 1 and at most 64");
	BN_free(n);
	BN_free(e);
}

TEST(rsa_without_n_or_e_refused)
{
	json_t *doc = json_loads(rfc7517_a1, 0, NULL);

	json_array_remove(json_object_get(doc, "keys"), 0);
	json_object_set_new(key_at(doc, 0), "e", json_integer(65537));
	refused(json_deep_copy(doc), GH_EINVAL, "\"e\" is not a string");
	json_object_del(key_at(doc, 0), "n");
	refused(doc, GH_EINVAL, "keys[0] (kid \"2011-04-29\"): has no \"n\"");
}

TEST(duplicate_kid_refused)
{
	json_t *doc = doc_of(p256, "same", "ES256"), *two = doc_of(p384, "same", "ES384");

	json_array_extend(json_object_get(doc, "keys"), json_object_get(two, "keys"));
	json_decref(two);
	refused(doc, GH_EINVAL, "keys[1] (kid \"same\"): the same kid as keys[0]");
}

TEST(two_keys_without_kid_refused)
{
	json_t *doc = doc_of(p256, NULL, NULL), *two = doc_of(p384, NULL, NULL);

	json_array_extend(json_object_get(doc, "keys"), json_object_get(two, "keys"));
	json_decref(two);
	refused(doc, GH_EINVAL, "keys[1]: no kid, as keys[0]");
}

TEST(bad_kid_refused)
{
	static const char *const bad[] = {"", "tab\there", "nl\n", "caf\xc3\xa9", "del\x7f"};
	json_t *doc;
	char kid[JWKS_KID_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = doc_of(p256, "k", NULL);
		json_object_set_new(key_at(doc, 0), "kid", json_string(bad[i]));
		refused(
		    doc, GH_EINVAL, "keys[0]: \"kid\" is not 1 to 128 bytes of printable ASCII");
	}
	memset(kid, 'k', sizeof(kid) - 1);
	kid[sizeof(kid) - 1] = '\0';
	doc = doc_of(p256, "k", NULL);
	json_object_set_new(key_at(doc, 0), "kid", json_string(kid));
	refused(doc, GH_EINVAL, "keys[0]: \"kid\" is not 1 to 128 bytes");
	doc = doc_of(p256, "k", NULL);
	json_object_set_new(key_at(doc, 0), "kid", json_integer(7));
	refused(doc, GH_EINVAL, "keys[0]: \"kid\" is not a string");
}

TEST(kid_of_128_printable_bytes_taken)
{
	json_t *doc = doc_of(p256, "k", NULL);
	char kid[JWKS_KID_MAX + 1];
	struct jwks set;
	char err[256];

	memset(kid, '~', JWKS_KID_MAX);
	kid[0] = ' ';
	kid[JWKS_KID_MAX] = '\0';
	json_object_set_new(key_at(doc, 0), "kid", json_string(kid));
	CHECK(parse_doc(doc, &set, err, sizeof(err)) == GH_OK);
	CHECK(jwks_find(&set, kid) != NULL);
	jwks_cleanup(&set);
}

TEST(document_shape_refused)
{
	refused_text("", GH_EINVAL, "not valid JSON");
	refused_text("{\"keys\": [", GH_EINVAL, "not valid JSON (line 1");
	refused_text("[]", GH_EINVAL, "not a JSON object");
	refused_text("{}", GH_EINVAL, "no \"keys\" array");
	refused_text("{\"keys\": {}}", GH_EINVAL, "no \"keys\" array");
	refused_text("{\"keys\": []}", GH_EINVAL, "\"keys\" is empty");
	refused_text("{\"keys\": [1]}", GH_EINVAL, "keys[0]: not a JSON object");
	refused_text("{\"keys\": [{}], \"keys\": [{}]}", GH_EINVAL, "duplicate object key");
	refused_text("{\"keys\": []} x", GH_EINVAL, "not valid JSON");
}

TEST(json_errors_quote_no_key_material)
{
	char text[512];

	/* A stray quote inside n: jansson would say "near '<text>'". */
	snprintf(text, sizeof(text),
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\"\",\"y\":\"%s\"}]}",
	    RFC7517_EC_X, RFC7517_EC_Y);
	refused_text(text, GH_EINVAL, "not valid JSON");
	snprintf(
	    text, sizeof(text), "{\"keys\":[{\"kty\":\"EC\",\"x\":\"%s\x01\"}]}", RFC7517_EC_X);
	refused_text(text, GH_EINVAL, "not valid JSON");
}

TEST(duplicate_member_in_a_key_refused)
{
	char text[512];

	snprintf(text, sizeof(text),
	    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"y\":\"%s\"}]"
	    "}",
	    RFC7517_EC_X, RFC7517_EC_Y, RFC7517_EC_Y);
	refused_text(text, GH_EINVAL, "duplicate object key");
}

TEST(too_many_keys_refused)
{
	json_t *doc = doc_of(p256, "k0", NULL), *keys = json_object_get(doc, "keys"), *k;
	char kid[16];
	int i;

	for (i = 1; i <= JWKS_MAX_KEYS; i++) {
		k = json_deep_copy(key_at(doc, 0));
		snprintf(kid, sizeof(kid), "k%d", i);
		json_object_set_new(k, "kid", json_string(kid));
		json_array_append_new(keys, k);
	}
	refused(doc, GH_ETOOBIG, "more than 32 keys");
}

TEST(document_over_the_size_refused)
{
	static char big[JWKS_MAX_BYTES + 2];
	struct jwks set;
	char err[256];

	/* Valid JSON, padded with spaces past the limit. */
	memset(big, ' ', sizeof(big) - 1);
	memcpy(big, rfc7517_a1, strlen(rfc7517_a1));
	CHECK(jwks_parse(big, JWKS_MAX_BYTES + 1, &set, err, sizeof(err)) == GH_ETOOBIG);
	CHECK(strstr(err, "larger than 64 KiB") != NULL);
	CHECK(set.keys == NULL && set.nkeys == 0);
}

TEST(parse_refusal_with_no_err_buffer)
{
	struct jwks set;

	CHECK(jwks_parse("{}", 2, &set, NULL, 0) == GH_EINVAL);
	CHECK(jwks_parse(NULL, 0, &set, NULL, 0) == GH_EINVAL);
}

TEST(pem_kty_names_the_family)
{
	char *rsa = pem_of(rsa2048, false), *ec = pem_of(p256, false), *ec384 = pem_of(p384, false);
	char *priv = pem_of(p256, true);
	enum jwks_kty kty;

	CHECK(jwks_pem_kty(rsa, strlen(rsa), &kty) == GH_OK && kty == JWKS_RSA);
	CHECK(jwks_pem_kty(ec, strlen(ec), &kty) == GH_OK && kty == JWKS_EC_P256);
	CHECK(jwks_pem_kty(ec384, strlen(ec384), &kty) == GH_OK && kty == JWKS_EC_P384);
	CHECK(jwks_pem_kty(priv, strlen(priv), &kty) == GH_EINVAL);
	CHECK(jwks_pem_kty("junk", 4, &kty) == GH_EINVAL);
	CHECK(jwks_pem_kty(ec, 0, &kty) == GH_EINVAL);
	CHECK(jwks_pem_kty(NULL, 0, &kty) == GH_EINVAL);
	CHECK(jwks_pem_kty(ec, strlen(ec) - 40, &kty) == GH_EINVAL);
	free(rsa);
	free(ec);
	free(ec384);
	free(priv);
}

TEST(pem_kty_refuses_other_keys)
{
	static const struct {
		const char *type, *param;
	} others[] = {{"EC", "P-521"}, {"EC", "secp256k1"}, {"ED25519", NULL}};
	EVP_PKEY *pk;
	enum jwks_kty kty;
	char *pem;
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		pk = others[i].param
		         ? EVP_PKEY_Q_keygen(NULL, NULL, others[i].type, others[i].param)
		         : EVP_PKEY_Q_keygen(NULL, NULL, others[i].type);
		CHECK(pk != NULL);
		pem = pem_of(pk, false);
		CHECK(pem != NULL && jwks_pem_kty(pem, strlen(pem), &kty) == GH_EINVAL);
		free(pem);
		EVP_PKEY_free(pk);
	}
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	pem = pem_of(pk, false);
	CHECK(pem != NULL && jwks_pem_kty(pem, strlen(pem), &kty) == GH_EINVAL);
	free(pem);
	EVP_PKEY_free(pk);
}

TEST(load_reads_a_file_and_names_it_in_errors)
{
	char dir[] = "/tmp/gh_jwks_XXXXXX", path[64], err[400];
	struct jwks set;
	FILE *f;
	size_t i;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/partner.json", dir);
	CHECK((f = fopen(path, "w")) != NULL);
	fputs(rfc7517_a1, f);
	fclose(f);
	CHECK(jwks_load(path, &set, err, sizeof(err)) == GH_EINVAL);
	CHECK(strncmp(err, path, strlen(path)) == 0 && strstr(err, "keys[0] (kid \"1\")") != NULL);
	CHECK(set.nkeys == 0);

	CHECK((f = fopen(path, "w")) != NULL);
	fprintf(f, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":\"r\"}]}",
	    RFC7517_RSA_N);
	fclose(f);
	CHECK(jwks_load(path, &set, err, sizeof(err)) == GH_OK);
	CHECK(set.nkeys == 1 && jwks_find(&set, "r") != NULL);
	jwks_cleanup(&set);

	/* One byte over the limit: padded with spaces, valid otherwise. */
	CHECK((f = fopen(path, "a")) != NULL);
	for (i = 0; i < JWKS_MAX_BYTES; i++)
		fputc(' ', f);
	fclose(f);
	CHECK(jwks_load(path, &set, err, sizeof(err)) == GH_ETOOBIG);
	CHECK(strncmp(err, path, strlen(path)) == 0 && strstr(err, "larger than 64 KiB") != NULL);
	CHECK(set.nkeys == 0 && set.keys == NULL);
	unlink(path);

	CHECK(jwks_load(path, &set, err, sizeof(err)) == GH_EIO);
	CHECK(strncmp(err, path, strlen(path)) == 0 && strstr(err, "cannot read") != NULL);
	CHECK(jwks_load(dir, &set, err, sizeof(err)) == GH_EIO);
	CHECK(strstr(err, "not a regular file") != NULL);
	rmdir(dir);
}

TEST(cleanup_is_harmless_on_a_zeroed_set_and_twice)
{
	struct jwks set;
	char err[256];

	memset(&set, 0, sizeof(set));
	jwks_cleanup(&set);
	jwks_cleanup(NULL);
	CHECK(parse_doc(doc_of(p256, "k", NULL), &set, err, sizeof(err)) == GH_OK);
	jwks_cleanup(&set);
	CHECK(set.keys == NULL && set.nkeys == 0);
	jwks_cleanup(&set);
}

int
main(void)
{
	rsa2048 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (rsa2048 == NULL || p256 == NULL || p384 == NULL) {
		fprintf(stderr, "test_jwks: cannot make the test keys\n");
		return 1;
	}
	RUN(rsa_2048_round_trips_from_public_and_private_pem);
	RUN(ec_p256_round_trips_from_public_and_private_pem);
	RUN(ec_p384_round_trips_from_public_and_private_pem);
	RUN(add_json_writes_fixed_length_ec_coordinates);
	RUN(add_json_without_kid_or_alg_leaves_them_out);
	RUN(add_json_several_keys_parse_and_find_each);
	RUN(add_json_refuses_what_parse_would_refuse);
	RUN(add_json_stops_at_max_keys);
	RUN(add_json_refuses_an_encrypted_private_key_without_prompting);
	RUN(rfc7517_a1_example_public_keys_parse_when_use_is_sig);
	RUN(rfc7517_a1_keys_parse_without_use);
	RUN(private_d_refused);
	RUN(rsa_private_members_refused);
	RUN(use_other_than_sig_refused);
	RUN(key_ops_without_verify_refused);
	RUN(alg_outside_the_list_refused);
	RUN(alg_of_another_family_refused);
	RUN(kty_other_than_rsa_or_ec_refuses_the_whole_file);
	RUN(curve_other_than_p256_or_p384_refused);
	RUN(p256_point_not_on_curve_refused);
	RUN(ec_coordinates_of_the_wrong_size_refused);
	RUN(ec_coordinate_without_its_leading_zero_taken);
	RUN(truncated_base64url_refused);
	RUN(base64url_padding_and_other_alphabets_refused);
	RUN(rsa_modulus_size_limits);
	RUN(rsa_exponent_odd_over_one_and_short);
	RUN(rsa_without_n_or_e_refused);
	RUN(duplicate_kid_refused);
	RUN(two_keys_without_kid_refused);
	RUN(bad_kid_refused);
	RUN(kid_of_128_printable_bytes_taken);
	RUN(document_shape_refused);
	RUN(json_errors_quote_no_key_material);
	RUN(duplicate_member_in_a_key_refused);
	RUN(too_many_keys_refused);
	RUN(document_over_the_size_refused);
	RUN(parse_refusal_with_no_err_buffer);
	RUN(pem_kty_names_the_family);
	RUN(pem_kty_refuses_other_keys);
	RUN(load_reads_a_file_and_names_it_in_errors);
	RUN(cleanup_is_harmless_on_a_zeroed_set_and_twice);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	return test_summary();
}
