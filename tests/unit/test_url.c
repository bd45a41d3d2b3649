/*
 * test_url.c: unit tests for common/url.c: percent-decoding and the
 * open-redirect check on "next".
 */
#include "test.h"
#include "url.h"

static const char *
dec(const char *s, bool plus, char *out, long *n)
{
	*n = url_decode(s, strlen(s), out, plus);
	return *n < 0 ? NULL : out;
}

TEST(decode_handles_escapes_in_both_cases)
{
	char out[64];
	long n;

	CHECK_STR(dec("a%20b%2fc%2Fd", false, out, &n), "a b/c/d");
	CHECK(n == 7);
	CHECK_STR(dec("%C3%A9t%c3%a9", false, out, &n), "\xc3\xa9t\xc3\xa9");
	CHECK_STR(dec("", false, out, &n), "");
	CHECK(n == 0);
}

TEST(decode_plus_is_space_only_when_asked)
{
	char out[32];
	long n;

	CHECK_STR(dec("a+b%2B", true, out, &n), "a b+");
	CHECK_STR(dec("a+b%2B", false, out, &n), "a+b+");
}

TEST(decode_refuses_malformed_escapes)
{
	char out[32];
	long n;

	CHECK(dec("%", false, out, &n) == NULL);
	CHECK(dec("abc%4", false, out, &n) == NULL);
	CHECK(dec("%zz", false, out, &n) == NULL);
	CHECK(dec("%4g", false, out, &n) == NULL);
	CHECK(dec("%%41", false, out, &n) == NULL);
	CHECK(dec("% 41", false, out, &n) == NULL);
}

TEST(decode_refuses_percent00_and_raw_nul)
{
	char out[32];

	CHECK(url_decode("a%00b", 5, out, false) == -1);
	CHECK(url_decode("a\0b", 3, out, false) == -1);
}

TEST(decode_stops_at_len_not_at_nul)
{
	char out[32];

	/* The escape is cut by len: it must not read past it. */
	CHECK(url_decode("ab%41", 4, out, false) == -1);
	CHECK(url_decode("ab%41", 2, out, false) == 2);
	CHECK_STR(out, "ab");
}

TEST(next_allows_relative_paths)
{
	CHECK(url_next_is_safe("/", NULL));
	CHECK(url_next_is_safe("/private/page?x=1", NULL));
	CHECK(url_next_is_safe("/a/b#frag", ""));
	CHECK(url_next_is_safe("/p?next=//evil.example", NULL));
}

TEST(next_refuses_protocol_relative_and_backslash)
{
	CHECK(!url_next_is_safe("//evil.example", NULL));
	CHECK(!url_next_is_safe("//evil.example/", "evil.example"));
	CHECK(!url_next_is_safe("/\\evil.example", NULL));
	CHECK(!url_next_is_safe("\\\\evil.example", NULL));
	CHECK(!url_next_is_safe("/private\\page", NULL));
	CHECK(!url_next_is_safe("https://example.org\\@evil.example", "example.org"));
}

TEST(next_refuses_unlisted_absolute_urls)
{
	CHECK(!url_next_is_safe("https://evil.example", NULL));
	CHECK(!url_next_is_safe("https://evil.example/", ""));
	CHECK(!url_next_is_safe("https://evil.example/", "example.org"));
	CHECK(!url_next_is_safe("https://example.org.evil.example/", "example.org"));
	CHECK(!url_next_is_safe("https://evilexample.org/", "example.org"));
}

TEST(next_refuses_other_schemes)
{
	CHECK(!url_next_is_safe("javascript:alert(1)", "alert(1)"));
	CHECK(!url_next_is_safe("JavaScript:alert(1)", NULL));
	CHECK(!url_next_is_safe("data:text/html,<script>", NULL));
	CHECK(!url_next_is_safe("ftp://example.org/", "example.org"));
	CHECK(!url_next_is_safe("https:example.org", "example.org"));
	CHECK(!url_next_is_safe("https:/example.org", "example.org"));
	CHECK(!url_next_is_safe("example.org/page", "example.org"));
	CHECK(!url_next_is_safe(" /page", NULL));
}

TEST(next_refuses_control_characters)
{
	CHECK(!url_next_is_safe("/a\r\nSet-Cookie: x=y", NULL));
	CHECK(!url_next_is_safe("/a\nb", NULL));
	CHECK(!url_next_is_safe("/\t/evil.example", NULL));
	CHECK(!url_next_is_safe("/a\x7f", NULL));
	CHECK(!url_next_is_safe("https://example.org/\r\n", "example.org"));
}

TEST(next_refuses_empty_null_and_overlong)
{
	char big[2100];

	CHECK(!url_next_is_safe(NULL, NULL));
	CHECK(!url_next_is_safe("", NULL));
	big[0] = '/';
	memset(big + 1, 'a', sizeof(big) - 2);
	big[sizeof(big) - 1] = '\0';
	CHECK(!url_next_is_safe(big, NULL));
	big[2048] = '\0'; /* exactly 2048 bytes */
	CHECK(url_next_is_safe(big, NULL));
}

TEST(next_allows_configured_hosts_case_insensitively)
{
	const char *hosts = "example.org  App.Example.net";

	CHECK(url_next_is_safe("https://example.org/private", hosts));
	CHECK(url_next_is_safe("http://EXAMPLE.org", hosts));
	CHECK(url_next_is_safe("HTTPS://app.example.net/x?y=1#z", hosts));
	CHECK(url_next_is_safe("https://example.org:8443/", hosts));
	CHECK(url_next_is_safe("https://example.org?x=1", hosts));
	CHECK(!url_next_is_safe("https://example.net/", hosts));
}

TEST(next_refuses_userinfo_and_bad_ports)
{
	const char *hosts = "example.org";

	CHECK(!url_next_is_safe("https://user@example.org/", hosts));
	CHECK(!url_next_is_safe("https://example.org@evil.example/", hosts));
	CHECK(!url_next_is_safe("https://example.org:@evil.example/", hosts));
	CHECK(!url_next_is_safe("https://example.org:/", hosts));
	CHECK(!url_next_is_safe("https://example.org:80x/", hosts));
	CHECK(!url_next_is_safe("https://example.org:123456/", hosts));
	CHECK(!url_next_is_safe("https:///path", hosts));
	CHECK(!url_next_is_safe("https://:443/", hosts));
}

TEST(next_matches_ipv6_literals_exactly)
{
	CHECK(url_next_is_safe("https://[::1]:8443/x", "[::1]"));
	CHECK(!url_next_is_safe("https://[::1]/x", "example.org"));
	CHECK(!url_next_is_safe("https://[::1/x", "[::1]"));
}

int
main(void)
{
	RUN(decode_handles_escapes_in_both_cases);
	RUN(decode_plus_is_space_only_when_asked);
	RUN(decode_refuses_malformed_escapes);
	RUN(decode_refuses_percent00_and_raw_nul);
	RUN(decode_stops_at_len_not_at_nul);
	RUN(next_allows_relative_paths);
	RUN(next_refuses_protocol_relative_and_backslash);
	RUN(next_refuses_unlisted_absolute_urls);
	RUN(next_refuses_other_schemes);
	RUN(next_refuses_control_characters);
	RUN(next_refuses_empty_null_and_overlong);
	RUN(next_allows_configured_hosts_case_insensitively);
	RUN(next_refuses_userinfo_and_bad_ports);
	RUN(next_matches_ipv6_literals_exactly);
	return test_summary();
}
