/*
 * test_credential.c: the Authorization header as gatehouse-check parses it
 * (common/credential.c): the two schemes exactly as written, their limits,
 * Basic's canonical base64 and its one colon, and what is wiped.
 */
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#include "credential.h"
#include "test.h"

/* basic returns "Basic " and the base64 of the n bytes of s, in a static
 * buffer. */
static const char *
basic(const char *s, size_t n)
{
	static char out[4 * CREDENTIAL_HEADER_MAX];

	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)s, (int)n);
	return out;
}

static const char *
basic_str(const char *s)
{
	return basic(s, strlen(s));
}

/* all_zero tells whether the n bytes at p are 0. */
static bool
all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

TEST(bearer_token_is_the_rest_of_the_header)
{
	const char *h = "Bearer abc.DEF-_~+/09==";
	struct credential c;

	CHECK(credential_parse(h, &c) == GH_OK);
	CHECK(c.scheme == CREDENTIAL_BEARER);
	CHECK(c.token == h + 7);
	CHECK(c.user == NULL);
	credential_cleanup(&c);
	CHECK(c.token == NULL);
	CHECK(credential_parse("Bearer ghpat_x", &c) == GH_OK);
	CHECK_STR(c.token, "ghpat_x");
	credential_cleanup(&c);
}

TEST(bearer_is_spelled_exactly_with_one_space)
{
	static const char *const bad[] = {
	    "bearer abc",
	    "BEARER abc",
	    "Bearer  abc",
	    " Bearer abc",
	    "Bearer abc ",
	    "Bearer\tabc",
	    "Bearer",
	    "Bearer ",
	    "Bearerabc",
	    "Bearer abc def",
	    "Bearer abc,def",
	    "Bearer =abc",
	    "Bearer ==",
	    "Bearer ab=c",
	    "Bearer abc\r\n",
	    "Bearer ab\x01"
	    "c",
	    "Bearer ab\xc3\xa9",
	    "Bearer \"abc\"",
	};
	struct credential c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (credential_parse(bad[i], &c) != GH_EINVAL)
			fprintf(stderr, "taken: \"%s\"\n", bad[i]);
		CHECK(credential_parse(bad[i], &c) == GH_EINVAL);
		CHECK(c.token == NULL && c.user == NULL);
	}
}

TEST(other_schemes_and_nothing_are_refused)
{
	static const char *const bad[] = {
	    "",
	    "Digest username=\"a\"",
	    "Token abc",
	    "Negotiate abc",
	    "Basic",
	    "Basic ",
	    "basic YTpi",
	    "BASIC YTpi",
	    "Basic  YTpi",
	    "Basicx YTpi",
	    "ghpat_abc",
	};
	struct credential c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(credential_parse(bad[i], &c) == GH_EINVAL);
	CHECK(credential_parse(NULL, &c) == GH_EINVAL);
}

TEST(bearer_token_length_is_bounded)
{
	static char h[7 + CREDENTIAL_TOKEN_MAX + 2];
	struct credential c;

	memcpy(h, "Bearer ", 7);
	memset(h + 7, 'a', CREDENTIAL_TOKEN_MAX);
	h[7 + CREDENTIAL_TOKEN_MAX] = '\0';
	CHECK(credential_parse(h, &c) == GH_OK);
	CHECK(c.token != NULL && strlen(c.token) == CREDENTIAL_TOKEN_MAX);
	h[7 + CREDENTIAL_TOKEN_MAX] = 'a';
	h[7 + CREDENTIAL_TOKEN_MAX + 1] = '\0';
	CHECK(credential_parse(h, &c) == GH_EINVAL);
}

TEST(basic_splits_user_and_password)
{
	struct credential c;

	CHECK(credential_parse(basic_str("alice:ghpat_secret"), &c) == GH_OK);
	CHECK(c.scheme == CREDENTIAL_BASIC);
	CHECK_STR(c.user, "alice");
	CHECK_STR(c.token, "ghpat_secret");
	credential_cleanup(&c);
	CHECK(c.user == NULL && c.token == NULL);
	CHECK(all_zero(c.basic, sizeof(c.basic)));
	/* Bytes above ASCII are a name's own (UTF-8), compared as they are. */
	CHECK(credential_parse(basic_str("j\xc3\xbcrgen:pw"), &c) == GH_OK);
	CHECK_STR(c.user, "j\xc3\xbcrgen");
	credential_cleanup(&c);
	/* The smallest. */
	CHECK(credential_parse(basic_str("a:b"), &c) == GH_OK);
	CHECK_STR(c.user, "a");
	CHECK_STR(c.token, "b");
	credential_cleanup(&c);
}

TEST(basic_needs_exactly_one_colon_and_both_parts)
{
	static const char *const bad[] = {
	    "alice",
	    "alice:pa:ss",
	    "alice:",
	    ":ghpat_x",
	    ":",
	    "::",
	    "alice::",
	    "a:b:",
	};
	struct credential c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(credential_parse(basic_str(bad[i]), &c) == GH_EINVAL);
		CHECK(c.user == NULL && c.token == NULL);
		CHECK(all_zero(c.basic, sizeof(c.basic)));
	}
}

TEST(basic_refuses_control_bytes)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
	    {"al\x01ice:pw", 9},
	    {"alice:p\x7fw", 9},
	    {"alice:pw\n", 9},
	    {"alice\t:pw", 9},
	    {"alice:p\0w", 9},
	    {"\0lice:pw", 8},
	};
	struct credential c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(credential_parse(basic(bad[i].s, bad[i].n), &c) == GH_EINVAL);
		CHECK(all_zero(c.basic, sizeof(c.basic)));
	}
	/* A space is no control byte. */
	CHECK(credential_parse(basic_str("al ice:p w"), &c) == GH_OK);
	credential_cleanup(&c);
}

TEST(basic_lengths_are_bounded)
{
	char s[CREDENTIAL_BASIC_MAX + 2];
	struct credential c;

	/* A user of CREDENTIAL_USER_MAX bytes, and one more. */
	memset(s, 'u', CREDENTIAL_USER_MAX);
	memcpy(s + CREDENTIAL_USER_MAX, ":pw", 4);
	CHECK(credential_parse(basic_str(s), &c) == GH_OK);
	CHECK(c.user != NULL && strlen(c.user) == CREDENTIAL_USER_MAX);
	credential_cleanup(&c);
	memset(s, 'u', CREDENTIAL_USER_MAX + 1);
	memcpy(s + CREDENTIAL_USER_MAX + 1, ":pw", 4);
	CHECK(credential_parse(basic_str(s), &c) == GH_EINVAL);
	/* user:password of CREDENTIAL_BASIC_MAX bytes, and one more. */
	memset(s, 'p', sizeof(s));
	memcpy(s, "u:", 2);
	s[CREDENTIAL_BASIC_MAX] = '\0';
	CHECK(credential_parse(basic_str(s), &c) == GH_OK);
	CHECK(c.token != NULL && strlen(c.token) == CREDENTIAL_BASIC_MAX - 2);
	credential_cleanup(&c);
	s[CREDENTIAL_BASIC_MAX] = 'p';
	s[CREDENTIAL_BASIC_MAX + 1] = '\0';
	CHECK(credential_parse(basic_str(s), &c) == GH_EINVAL);
}

TEST(base64_decodes_canonical_text_only)
{
	static const struct {
		const char *in;
		long want; /* -1: refused */
		const char *out;
	} cases[] = {
	    {"", 0, ""},
	    {"YQ==", 1, "a"},
	    {"YWI=", 2, "ab"},
	    {"YWJj", 3, "abc"},
	    {"YWJjZA==", 4, "abcd"},
	    {"+/+/", 3, "\xfb\xff\xbf"},
	    /* Unused bits set: another text for the same value. */
	    {"YR==", -1, NULL},
	    {"YWJ=", -1, NULL},
	    /* Padding missing, short, misplaced or too long. */
	    {"YQ", -1, NULL},
	    {"YQ=", -1, NULL},
	    {"YWI", -1, NULL},
	    {"Y===", -1, NULL},
	    {"====", -1, NULL},
	    {"YQ==YQ==", -1, NULL},
	    {"Y=Q=", -1, NULL},
	    /* Another alphabet, whitespace. */
	    {"-_-_", -1, NULL},
	    {"YW I=", -1, NULL},
	    {"YWI=\n", -1, NULL},
	    {"YW\nJj", -1, NULL},
	};
	unsigned char out[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long n =
		    credential_base64_decode(cases[i].in, strlen(cases[i].in), out, sizeof(out));

		if (n != cases[i].want)
			fprintf(
			    stderr, "\"%s\": %ld, expected %ld\n", cases[i].in, n, cases[i].want);
		CHECK(n == cases[i].want);
		if (n >= 0 && n == cases[i].want)
			CHECK(memcmp(out, cases[i].out, (size_t)n) == 0);
	}
	/* It never writes past outlen. */
	CHECK(credential_base64_decode("YWJj", 4, out, 2) == -1);
	CHECK(credential_base64_decode("YWI=", 4, out, 2) == 2);
}

TEST(base64_round_trips_random_bytes)
{
	unsigned char raw[300], back[300];
	char text[420];
	uint64_t x = 0x9e3779b97f4a7c15u;
	bool ok = true;

	for (int round = 0; round < 2000 && ok; round++) {
		size_t n = (size_t)(test_xorshift64(&x) % sizeof(raw));
		for (size_t i = 0; i < n; i++)
			raw[i] = (unsigned char)test_xorshift64(&x);
		int len = EVP_EncodeBlock((unsigned char *)text, raw, (int)n);
		long got = credential_base64_decode(text, (size_t)len, back, sizeof(back));
		ok = got == (long)n && memcmp(raw, back, n) == 0;
		/* Any single character changed is refused or decodes to other
		 * bytes: no two texts of one value. */
		if (ok && len > 0) {
			size_t at = (size_t)(test_xorshift64(&x) % (uint64_t)len);
			char was = text[at];
			text[at] = was == 'A' ? 'B' : 'A';
			got = credential_base64_decode(text, (size_t)len, back, sizeof(back));
			ok = got != (long)n || memcmp(raw, back, n) != 0;
			text[at] = was;
		}
	}
	CHECK(ok);
}

int
main(void)
{
	RUN(bearer_token_is_the_rest_of_the_header);
	RUN(bearer_is_spelled_exactly_with_one_space);
	RUN(other_schemes_and_nothing_are_refused);
	RUN(bearer_token_length_is_bounded);
	RUN(basic_splits_user_and_password);
	RUN(basic_needs_exactly_one_colon_and_both_parts);
	RUN(basic_refuses_control_bytes);
	RUN(basic_lengths_are_bounded);
	RUN(base64_decodes_canonical_text_only);
	RUN(base64_round_trips_random_bytes);
	return test_summary();
}
