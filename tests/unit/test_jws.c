/*
 * test_jws.c: tokens verified and signed around libjwt (common/jws.c), the
 * attacks of design.md §8 and §9 each refused, for the reason expected.
 * Attack tokens are put together by hand here, as an attacker would.
 */
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jws.h"
#include "test.h"

#define NOW 1800000000
#define CLAIMS_MISMATCH 99 /* verify(): claims given with a refusal, or none with JWS_OK */
#define SECRET "0123456789abcdef0123456789abcdef"

static char *rsa_pub, *rsa_priv, *ec_pub, *ec_priv, *ec384_pub;

static char *
pem_of(EVP_PKEY *k, bool private)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (private)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, k);
	n = BIO_get_mem_data(b, &data);
	/* Not strndup: the BIO's data has no NUL for it to stop at. */
	if ((out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

static void
keys_make(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");

	rsa_pub = pem_of(rsa, false);
	rsa_priv = pem_of(rsa, true);
	ec_pub = pem_of(ec, false);
	ec_priv = pem_of(ec, true);
	ec384_pub = pem_of(ec384, false);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
}

/* A token of header and body (JSON texts), its signature HMAC-SHA-256 of
 * the signing input under key (NULL: sig as given, base64url). */
static char *
forge(const char *header, const char *body, const char *key, const char *sig)
{
	size_t hn = strlen(header), bn = strlen(body);
	char *out = malloc(2 * (hn + bn) + 200);
	unsigned char mac[32];
	size_t n;

	n = crypto_b64url_encode(header, hn, out);
	out[n++] = '.';
	n += crypto_b64url_encode(body, bn, out + n);
	if (key != NULL) {
		crypto_hmac_sha256(key, strlen(key), out, n, mac);
		out[n++] = '.';
		crypto_b64url_encode(mac, sizeof(mac), out + n);
	} else {
		out[n++] = '.';
		memcpy(out + n, sig, strlen(sig) + 1);
	}
	return out;
}

/* Claims that pass the default rules at NOW, with extra members. */
static char *
claims_text(const char *extra)
{
	char *s = malloc(512);

	snprintf(s, 512,
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"sub\":\"alice\","
	    "\"jti\":\"j-1\",\"iat\":%d,\"exp\":%d%s%s}",
	    NOW, NOW + 120, extra[0] ? "," : "", extra);
	return s;
}

static const struct jws_rules rules = {
    .issuer = "https://partner.example",
    .audience = "gatehouse",
    .max_lifetime = 300,
    .skew = 60,
    .require_jti = true,
};

static const struct jws_key hs_key = {
    .alg = CONFIG_HS256, .secret = (const unsigned char *)SECRET, .secret_len = 32};

static enum jws_refusal
verify(const char *token, const struct jws_key *key, const struct jws_rules *r, int64_t now)
{
	json_t *claims = NULL;
	enum jws_refusal rr = jws_verify(token, key, r, now, &claims);

	if ((rr == JWS_OK) != (claims != NULL))
		return (enum jws_refusal)CLAIMS_MISMATCH;
	json_decref(claims);
	return rr;
}

/* An HS256 token of the given claims, made as a partner would. */
static enum jws_refusal
hs_verify_claims(const char *body, const struct jws_rules *r, int64_t now)
{
	char *t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", body, SECRET, NULL);
	enum jws_refusal rr = verify(t, &hs_key, r, now);

	free(t);
	return rr;
}

TEST(hs256_partner_token_accepted_with_its_claims)
{
	char *body = claims_text("\"email\":\"a@example.org\"");
	char *t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", body, SECRET, NULL);
	json_t *claims = NULL;

	CHECK(jws_verify(t, &hs_key, &rules, NOW, &claims) == JWS_OK);
	CHECK(claims != NULL);
	CHECK_STR(json_string_value(json_object_get(claims, "email")), "a@example.org");
	json_decref(claims);
	free(t);
	free(body);
}

TEST(wrong_secret_is_a_bad_signature)
{
	char *body = claims_text("");
	char *t = forge("{\"alg\":\"HS256\"}", body, "another secret of thirty-two bytes!", NULL);

	CHECK(verify(t, &hs_key, &rules, NOW) == JWS_BAD_SIGNATURE);
	free(t);
	free(body);
}

TEST(alg_none_refused_in_any_case)
{
	const char *const heads[] = {"{\"alg\":\"none\"}", "{\"alg\":\"NONE\"}",
	    "{\"alg\":\"None\"}", "{\"alg\":\"nOnE\"}", "{\"alg\":\"none\",\"typ\":\"JWT\"}"};
	char *body = claims_text("");
	const struct jws_key rs = {
	    .alg = CONFIG_RS256, .pem = rsa_pub, .pem_len = strlen(rsa_pub), .kty = JWKS_RSA};

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		char *empty_sig = forge(heads[i], body, NULL, "");
		char *some_sig = forge(heads[i], body, NULL, "AAAA");

		/* An empty signature is not even a token's form here. */
		CHECK(verify(empty_sig, &hs_key, &rules, NOW) == JWS_MALFORMED);
		CHECK(verify(some_sig, &hs_key, &rules, NOW) == JWS_WRONG_ALG);
		CHECK(verify(some_sig, &rs, &rules, NOW) == JWS_WRONG_ALG);
		free(empty_sig);
		free(some_sig);
	}
	free(body);
}

TEST(hs256_signed_with_the_rsa_public_key_refused)
{
	/* Algorithm confusion: the public key's PEM text as the HMAC secret. */
	char *body = claims_text("");
	char *t = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", body, rsa_pub, NULL);
	const struct jws_key rs = {
	    .alg = CONFIG_RS256, .pem = rsa_pub, .pem_len = strlen(rsa_pub), .kty = JWKS_RSA};

	CHECK(verify(t, &rs, &rules, NOW) == JWS_WRONG_ALG);
	/* And libjwt alone would have taken it: the reason for the header check. */
	jwt_t *jwt = NULL;
	CHECK(jwt_decode(&jwt, t, (const unsigned char *)rsa_pub, (int)strlen(rsa_pub)) == 0);
	jwt_free(jwt);
	free(t);
	free(body);
}

TEST(sign_and_verify_round_trip_es256_and_rs256)
{
	char *body = claims_text("");
	json_t *c = json_loads(body, 0, NULL), *out = NULL;
	char *t = NULL;
	const struct jws_key es = {
	    .alg = CONFIG_ES256, .pem = ec_pub, .pem_len = strlen(ec_pub), .kty = JWKS_EC_P256};
	const struct jws_key rs = {
	    .alg = CONFIG_RS256, .pem = rsa_pub, .pem_len = strlen(rsa_pub), .kty = JWKS_RSA};

	CHECK(jws_sign(CONFIG_ES256, ec_priv, strlen(ec_priv), "k1", c, &t) == GH_OK);
	CHECK(jws_verify(t, &es, &rules, NOW, &out) == JWS_OK);
	json_decref(out);
	/* An ES256 token where RS256 is configured. */
	CHECK(verify(t, &rs, &rules, NOW) == JWS_WRONG_ALG);
	free(t);
	CHECK(jws_sign(CONFIG_RS256, rsa_priv, strlen(rsa_priv), "k2", c, &t) == GH_OK);
	CHECK(verify(t, &rs, &rules, NOW) == JWS_OK);
	CHECK(verify(t, &es, &rules, NOW) == JWS_WRONG_ALG);
	/* One flipped signature bit. */
	t[strlen(t) - 5] = t[strlen(t) - 5] == 'A' ? 'B' : 'A';
	CHECK(verify(t, &rs, &rules, NOW) == JWS_BAD_SIGNATURE);
	free(t);
	json_decref(c);
	free(body);
}

TEST(key_of_the_wrong_family_refused)
{
	char *body = claims_text("");
	json_t *c = json_loads(body, 0, NULL);
	char *t = NULL;
	const struct jws_key p384 = {.alg = CONFIG_ES256,
	    .pem = ec384_pub,
	    .pem_len = strlen(ec384_pub),
	    .kty = JWKS_EC_P384};

	CHECK(jws_sign(CONFIG_ES256, ec_priv, strlen(ec_priv), NULL, c, &t) == GH_OK);
	CHECK(verify(t, &p384, &rules, NOW) == JWS_WRONG_KEY);
	free(t);
	json_decref(c);
	free(body);
}

TEST(exp_missing_expired_or_too_far_refused)
{
	char body[256];

	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\"}");
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_NO_EXP);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":\"%d\"}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_NO_EXP);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":%d.5}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_NO_EXP);
	/* Expired: exp itself, with the skew, is too late; a second before is not. */
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":%d}",
	    NOW - 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_EXPIRED);
	CHECK(hs_verify_claims(body, &rules, NOW - 1) == JWS_OK);
	/* Too far ahead: lifetime 300 plus skew 60. */
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":%d}",
	    NOW + 361);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_EXP_TOO_FAR);
	CHECK(hs_verify_claims(body, &rules, NOW + 1) == JWS_OK);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":9223372036854775807}");
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_EXP_TOO_FAR);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":-9223372036854775807}");
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_EXPIRED);
}

TEST(nbf_or_iat_in_the_future_refused)
{
	char *b1 = claims_text("\"nbf\":1800000061");
	char *b2 = claims_text("\"nbf\":1800000060");
	char *b3 = claims_text("\"nbf\":\"soon\"");
	char body[256];

	CHECK(hs_verify_claims(b1, &rules, NOW) == JWS_NOT_YET);
	CHECK(hs_verify_claims(b2, &rules, NOW) == JWS_OK);
	CHECK(hs_verify_claims(b3, &rules, NOW) == JWS_BAD_CLAIM);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"iat\":%d,\"exp\":%d}",
	    NOW + 61, NOW + 120);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_NOT_YET);
	free(b1);
	free(b2);
	free(b3);
}

TEST(wrong_or_missing_issuer_refused)
{
	char body[256];

	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example/\",\"aud\":\"gatehouse\","
	    "\"jti\":\"x\",\"exp\":%d}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_ISSUER);
	snprintf(body, sizeof(body), "{\"aud\":\"gatehouse\",\"jti\":\"x\",\"exp\":%d}", NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_ISSUER);
	snprintf(body, sizeof(body),
	    "{\"iss\":[\"https://"
	    "partner.example\"],\"aud\":\"gatehouse\",\"jti\":\"x\",\"exp\":%d}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_CLAIM);
}

TEST(audience_as_string_or_array)
{
	const char *const good[] = {
	    "\"gatehouse\"", "[\"gatehouse\"]", "[\"other\",\"gatehouse\"]"};
	const char *const bad[] = {"\"Gatehouse\"", "[\"other\"]", "[]", "\"gatehouse \""};
	char body[256];

	for (size_t i = 0; i < 3; i++) {
		snprintf(body, sizeof(body),
		    "{\"iss\":\"https://partner.example\",\"aud\":%s,\"jti\":\"x\",\"exp\":%d}",
		    good[i], NOW + 60);
		CHECK(hs_verify_claims(body, &rules, NOW) == JWS_OK);
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(body, sizeof(body),
		    "{\"iss\":\"https://partner.example\",\"aud\":%s,\"jti\":\"x\",\"exp\":%d}",
		    bad[i], NOW + 60);
		CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_AUDIENCE);
	}
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"jti\":\"x\",\"exp\":%d}", NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_AUDIENCE);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://"
	    "partner.example\",\"aud\":[1,\"gatehouse\"],\"jti\":\"x\",\"exp\":%d}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_CLAIM);
}

TEST(jti_required_and_bounded)
{
	char body[600], jti[300];

	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"exp\":%d}", NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_JTI);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"jti\":7,\"exp\":%d}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_JTI);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"jti\":\"\",\"exp\":%d}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_JTI);
	memset(jti, 'j', 256);
	jti[256] = '\0';
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"jti\":\"%s\",\"exp\":%d}",
	    jti, NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_BAD_JTI);
	jti[255] = '\0';
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"jti\":\"%s\",\"exp\":%d}",
	    jti, NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_OK);
	snprintf(body, sizeof(body),
	    "{\"iss\":\"https://partner.example\",\"aud\":\"gatehouse\",\"jti\":\"a\\u0000b\","
	    "\"exp\":%d}",
	    NOW + 60);
	CHECK(hs_verify_claims(body, &rules, NOW) == JWS_MALFORMED);
}

TEST(header_typ_crit_and_kid_checked)
{
	char *body = claims_text("");
	const char *const bad[] = {"{\"alg\":\"HS256\",\"typ\":\"JWS\"}",
	    "{\"alg\":\"HS256\",\"typ\":1}", "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
	    "{\"alg\":\"HS256\",\"kid\":5}"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = forge(bad[i], body, SECRET, NULL);

		CHECK(verify(t, &hs_key, &rules, NOW) == JWS_BAD_HEADER);
		free(t);
	}
	char *t = forge("{\"alg\":\"HS256\",\"typ\":\"jwt\",\"kid\":\"any\"}", body, SECRET, NULL);
	CHECK(verify(t, &hs_key, &rules, NOW) == JWS_OK);
	free(t);
	t = forge("{\"alg\":\"HS384\"}", body, SECRET, NULL);
	CHECK(verify(t, &hs_key, &rules, NOW) == JWS_WRONG_ALG);
	free(t);
	free(body);
}

TEST(malformed_truncated_and_oversized_refused)
{
	char *body = claims_text("");
	char *t = forge("{\"alg\":\"HS256\"}", body, SECRET, NULL);
	char *big = malloc(JWS_MAX_LEN + 2), *dup;
	size_t n = strlen(t);

	CHECK(verify(t, &hs_key, &rules, NOW) == JWS_OK);
	for (size_t cut = 0; cut < n; cut += 7) {
		char *s = strndup(t, cut);

		CHECK(verify(s, &hs_key, &rules, NOW) != JWS_OK);
		free(s);
	}
	CHECK(verify("", &hs_key, &rules, NOW) == JWS_MALFORMED);
	CHECK(verify("a.b.c.d", &hs_key, &rules, NOW) == JWS_MALFORMED);
	CHECK(verify("...", &hs_key, &rules, NOW) == JWS_MALFORMED);
	CHECK(verify("not a token", &hs_key, &rules, NOW) == JWS_MALFORMED);
	CHECK(verify(NULL, &hs_key, &rules, NOW) == JWS_MALFORMED);
	/* Padding, or a base64 '+', is not base64url. */
	dup = malloc(n + 2);
	snprintf(dup, n + 2, "%s=", t);
	CHECK(verify(dup, &hs_key, &rules, NOW) == JWS_MALFORMED);
	free(dup);
	memset(big, 'A', JWS_MAX_LEN + 1);
	big[JWS_MAX_LEN + 1] = '\0';
	CHECK(verify(big, &hs_key, &rules, NOW) == JWS_TOO_LONG);
	free(big);
	free(t);
	/* A claim named twice. */
	t = forge("{\"alg\":\"HS256\"}", "{\"exp\":1,\"exp\":1800000100}", SECRET, NULL);
	CHECK(verify(t, &hs_key, &rules, NOW) == JWS_MALFORMED);
	free(t);
	t = forge("{\"alg\":\"HS256\"}", "[1,2]", SECRET, NULL);
	CHECK(verify(t, &hs_key, &rules, NOW) == JWS_MALFORMED);
	free(t);
	free(body);
}

TEST(refusals_have_texts)
{
	for (int r = JWS_OK; r <= JWS_BAD_CLAIM; r++)
		CHECK(strcmp(jws_refusal_text((enum jws_refusal)r), "refused") != 0);
	CHECK_STR(jws_alg_name(CONFIG_ES384), "ES384");
}

int
main(void)
{
	keys_make();
	RUN(hs256_partner_token_accepted_with_its_claims);
	RUN(wrong_secret_is_a_bad_signature);
	RUN(alg_none_refused_in_any_case);
	RUN(hs256_signed_with_the_rsa_public_key_refused);
	RUN(sign_and_verify_round_trip_es256_and_rs256);
	RUN(key_of_the_wrong_family_refused);
	RUN(exp_missing_expired_or_too_far_refused);
	RUN(nbf_or_iat_in_the_future_refused);
	RUN(wrong_or_missing_issuer_refused);
	RUN(audience_as_string_or_array);
	RUN(jti_required_and_bounded);
	RUN(header_typ_crit_and_kid_checked);
	RUN(malformed_truncated_and_oversized_refused);
	RUN(refusals_have_texts);
	free(rsa_pub);
	free(rsa_priv);
	free(ec_pub);
	free(ec_priv);
	free(ec384_pub);
	return test_summary();
}
