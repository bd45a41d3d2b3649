/*
 * test_jwks_key.c: unit tests for common/jwks_key.c, one key.  Keys made
 * here with OpenSSL (RSA 2048, EC P-256 and P-384) go PEM -> jwks_add_json
 * -> jwks_parse and come back as the same public key; the RSA and EC
 * members' limits each have a refusal of their own; jwks_pem_kty names a
 * key's family.
 */
#include "test_jwks.h"

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

int
main(void)
{
	if (!test_jwks_keys_make()) {
		fprintf(stderr, "test_jwks_key: cannot make the test keys\n");
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
	RUN(curve_other_than_p256_or_p384_refused);
	RUN(p256_point_not_on_curve_refused);
	RUN(ec_coordinates_of_the_wrong_size_refused);
	RUN(ec_coordinate_without_its_leading_zero_taken);
	RUN(truncated_base64url_refused);
	RUN(base64url_padding_and_other_alphabets_refused);
	RUN(rsa_modulus_size_limits);
	RUN(rsa_exponent_odd_over_one_and_short);
	RUN(rsa_without_n_or_e_refused);
	RUN(pem_kty_names_the_family);
	RUN(pem_kty_refuses_other_keys);
	test_jwks_keys_free();
	return test_summary();
}
