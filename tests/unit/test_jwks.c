/*
 * test_jwks.c: unit tests for common/jwks.c, the JWKS document: the example
 * public keys of RFC 7517 Appendix A.1 parse, and every rule of jwks.h on a
 * document and its keys' members has a refusal of its own, whose message
 * names the key and quotes no key material (one key's conversions:
 * test_jwks_key.c).
 */
#include "test_jwks.h"

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
	if (!test_jwks_keys_make()) {
		fprintf(stderr, "test_jwks: cannot make the test keys\n");
		return 1;
	}
	RUN(rfc7517_a1_example_public_keys_parse_when_use_is_sig);
	RUN(rfc7517_a1_keys_parse_without_use);
	RUN(private_d_refused);
	RUN(rsa_private_members_refused);
	RUN(use_other_than_sig_refused);
	RUN(key_ops_without_verify_refused);
	RUN(alg_outside_the_list_refused);
	RUN(alg_of_another_family_refused);
	RUN(kty_other_than_rsa_or_ec_refuses_the_whole_file);
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
	RUN(load_reads_a_file_and_names_it_in_errors);
	RUN(cleanup_is_harmless_on_a_zeroed_set_and_twice);
	test_jwks_keys_free();
	return test_summary();
}
