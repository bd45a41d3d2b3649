/*
 * test_crypto.c: unit tests for common/crypto.c, checked against published
 * test vectors (FIPS 180-2 for SHA-256, RFC 4231 for HMAC-SHA-256, RFC 4648
 * for base64url).
 */
#include "crypto.h"
#include "test.h"

static void
hex_of(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

TEST(sha256_hex_matches_fips_vectors)
{
	char out[CRYPTO_SHA256_HEX_LEN + 1];

	crypto_sha256_hex("abc", 3, out);
	CHECK_STR(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	crypto_sha256_hex("", 0, out);
	CHECK_STR(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK(strlen(out) == CRYPTO_SHA256_HEX_LEN);
}

TEST(sha256_hex_covers_bytes_after_a_nul)
{
	char a[CRYPTO_SHA256_HEX_LEN + 1], b[CRYPTO_SHA256_HEX_LEN + 1];

	crypto_sha256_hex("a\0b", 3, a);
	crypto_sha256_hex("a\0c", 3, b);
	CHECK(strcmp(a, b) != 0);
}

TEST(hmac_sha256_matches_rfc4231_vectors)
{
	unsigned char key[20], mac[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];

	memset(key, 0x0b, sizeof(key));
	crypto_hmac_sha256(key, sizeof(key), "Hi There", 8, mac);
	hex_of(mac, sizeof(mac), hex);
	CHECK_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	hex_of(mac, sizeof(mac), hex);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(hmac_sha256_with_empty_key_and_message)
{
	unsigned char mac[CRYPTO_SHA256_LEN];
	char hex[2 * CRYPTO_SHA256_LEN + 1];

	crypto_hmac_sha256(NULL, 0, NULL, 0, mac);
	hex_of(mac, sizeof(mac), hex);
	CHECK_STR(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(hmac_sha256_depends_on_key)
{
	unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];

	crypto_hmac_sha256("key1", 4, "msg", 3, a);
	crypto_hmac_sha256("key2", 4, "msg", 3, b);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

TEST(b64url_matches_rfc4648_vectors_without_padding)
{
	char out[16];

	CHECK(crypto_b64url_encode("", 0, out) == 0);
	CHECK_STR(out, "");
	CHECK(crypto_b64url_encode("f", 1, out) == 2);
	CHECK_STR(out, "Zg");
	CHECK(crypto_b64url_encode("fo", 2, out) == 3);
	CHECK_STR(out, "Zm8");
	CHECK(crypto_b64url_encode("foo", 3, out) == 4);
	CHECK_STR(out, "Zm9v");
	crypto_b64url_encode("foob", 4, out);
	CHECK_STR(out, "Zm9vYg");
	crypto_b64url_encode("fooba", 5, out);
	CHECK_STR(out, "Zm9vYmE");
	crypto_b64url_encode("foobar", 6, out);
	CHECK_STR(out, "Zm9vYmFy");
}

TEST(b64url_uses_dash_and_underscore)
{
	const unsigned char in[] = {0xfb, 0xff, 0xbf};
	char out[8];

	crypto_b64url_encode(in, sizeof(in), out);
	CHECK_STR(out, "-_-_");
}

TEST(b64url_decode_matches_rfc4648_vectors)
{
	static const char *const vec[][2] = {{"", ""}, {"Zg", "f"}, {"Zm8", "fo"}, {"Zm9v", "foo"},
	    {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"Zm9vYmFy", "foobar"}};
	unsigned char out[16];
	size_t i, n;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		n = 99;
		CHECK(crypto_b64url_decode(vec[i][0], strlen(vec[i][0]), out, &n) == GH_OK);
		CHECK(n == strlen(vec[i][1]) && memcmp(out, vec[i][1], n) == 0);
	}
	CHECK(crypto_b64url_decode("-_-_", 4, out, &n) == GH_OK);
	CHECK(n == 3 && out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
}

TEST(b64url_decode_round_trips_every_length)
{
	unsigned char in[64], back[CRYPTO_B64URL_DECODED_MAX(88)];
	char enc[88];
	size_t n, got;

	for (n = 0; n < sizeof(in); n++)
		in[n] = (unsigned char)(n * 37 + 11);
	for (n = 0; n <= sizeof(in); n++) {
		size_t len = crypto_b64url_encode(in, n, enc);
		CHECK(crypto_b64url_decode(enc, len, back, &got) == GH_OK);
		CHECK(got == n && memcmp(back, in, n) == 0);
	}
}

TEST(b64url_decode_refuses_padding_other_chars_and_bad_lengths)
{
	unsigned char out[16];
	size_t n = 99;

	CHECK(crypto_b64url_decode("Zg==", 4, out, &n) == GH_EINVAL);
	CHECK(n == 0);
	CHECK(crypto_b64url_decode("Zm8=", 4, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Zm9v+/", 6, out, &n) == GH_EINVAL); /* plain base64 */
	CHECK(crypto_b64url_decode("Zm 9v", 5, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Zm9v\n", 5, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Zm9\0v", 5, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Z", 1, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Zm9vY", 5, out, &n) == GH_EINVAL);
}

TEST(b64url_decode_refuses_nonzero_trailing_bits)
{
	unsigned char out[16];
	size_t n;

	/* "Zg" is "f"; "Zh" has the same first 8 bits and a stray low bit. */
	CHECK(crypto_b64url_decode("Zh", 2, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Zm9", 3, out, &n) == GH_EINVAL);
	CHECK(crypto_b64url_decode("Zm8", 3, out, &n) == GH_OK);
}

TEST(token_is_43_base64url_chars_and_fresh)
{
	char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
	size_t i;

	CHECK(crypto_token(a) == GH_OK);
	CHECK(crypto_token(b) == GH_OK);
	CHECK(strlen(a) == CRYPTO_TOKEN_LEN);
	CHECK(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	      CRYPTO_TOKEN_LEN);
	CHECK(strcmp(a, b) != 0);
	for (i = 0; i < 3; i++)
		CHECK(crypto_token(a) == GH_OK && strcmp(a, b) != 0);
}

TEST(random_fills_large_buffers_and_accepts_zero)
{
	static unsigned char big[1 << 20];
	size_t i, zeros = 0;

	CHECK(crypto_random(big, 0) == GH_OK);
	CHECK(crypto_random(big, sizeof(big)) == GH_OK);
	for (i = 0; i < sizeof(big); i++)
		zeros += big[i] == 0;
	/* About 4096 expected; all zeros would mean nothing was written. */
	CHECK(zeros < 8192);
}

TEST(equal_accepts_identical_strings)
{
	CHECK(crypto_equal("abc", "abc"));
	CHECK(crypto_equal("", ""));
}

TEST(equal_refuses_different_strings_prefixes_and_null)
{
	CHECK(!crypto_equal("abc", "abd"));
	CHECK(!crypto_equal("abc", "ab"));
	CHECK(!crypto_equal("ab", "abc"));
	CHECK(!crypto_equal("", "a"));
	CHECK(!crypto_equal("a", ""));
	CHECK(!crypto_equal(NULL, "a"));
	CHECK(!crypto_equal("a", NULL));
	CHECK(!crypto_equal(NULL, NULL));
}

TEST(wipe_zeroes_memory)
{
	char s[16] = "secret secret";
	size_t i;
	int zero = 1;

	crypto_wipe(s, sizeof(s));
	for (i = 0; i < sizeof(s); i++)
		if (s[i] != 0)
			zero = 0;
	CHECK(zero);
	crypto_wipe(NULL, 0);
}

int
main(void)
{
	RUN(sha256_hex_matches_fips_vectors);
	RUN(sha256_hex_covers_bytes_after_a_nul);
	RUN(hmac_sha256_matches_rfc4231_vectors);
	RUN(hmac_sha256_with_empty_key_and_message);
	RUN(hmac_sha256_depends_on_key);
	RUN(b64url_matches_rfc4648_vectors_without_padding);
	RUN(b64url_uses_dash_and_underscore);
	RUN(b64url_decode_matches_rfc4648_vectors);
	RUN(b64url_decode_round_trips_every_length);
	RUN(b64url_decode_refuses_padding_other_chars_and_bad_lengths);
	RUN(b64url_decode_refuses_nonzero_trailing_bits);
	RUN(token_is_43_base64url_chars_and_fresh);
	RUN(random_fills_large_buffers_and_accepts_zero);
	RUN(equal_accepts_identical_strings);
	RUN(equal_refuses_different_strings_prefixes_and_null);
	RUN(wipe_zeroes_memory);
	return test_summary();
}
