/*
 * test_csrf.c: CSRF tokens and the Origin / Sec-Fetch-Site check.
 */
#include <string.h>

#include "config.h"
#include "csrf.h"
#include "request.h"
#include "test.h"

static struct config cfg;

static const char *const SESSION_A =
    "1111111111111111111111111111111111111111111111111111111111111111";
static const char *const SESSION_B =
    "2222222222222222222222222222222222222222222222222222222222222222";

/* req fills a request with only the fields csrf_origin_ok reads. */
static struct request
req(const char *host, bool https, const char *origin, const char *sfs)
{
	struct request r;

	memset(&r, 0, sizeof(r));
	r.host = (char *)host;
	r.https = https;
	r.origin = (char *)origin;
	r.sec_fetch_site = (char *)sfs;
	return r;
}

static bool
origin_ok(const char *host, bool https, const char *origin, const char *sfs)
{
	struct request r = req(host, https, origin, sfs);

	return csrf_origin_ok(&r);
}

TEST(token_for_same_binding_verifies)
{
	char t[CSRF_TOKEN_LEN + 1], t2[CSRF_TOKEN_LEN + 1];

	csrf_token(&cfg, "logout", SESSION_A, t);
	CHECK(strlen(t) == CSRF_TOKEN_LEN);
	CHECK(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	      CSRF_TOKEN_LEN);
	CHECK(csrf_verify(&cfg, "logout", SESSION_A, t));
	csrf_token(&cfg, "logout", SESSION_A, t2);
	CHECK_STR(t, t2); /* stateless: the same inputs give the same token */
}

TEST(token_for_another_binding_refused)
{
	char t[CSRF_TOKEN_LEN + 1];

	csrf_token(&cfg, "logout", SESSION_A, t);
	CHECK(!csrf_verify(&cfg, "logout", SESSION_B, t));
}

TEST(token_for_another_purpose_refused)
{
	char t[CSRF_TOKEN_LEN + 1];

	csrf_token(&cfg, "logout", SESSION_A, t);
	CHECK(!csrf_verify(&cfg, "password", SESSION_A, t));
	/* "a|b" + "c" must not equal "a" + "b|c": a purpose may not hold "|". */
	csrf_token(&cfg, "a", "b|c", t);
	CHECK(!csrf_verify(&cfg, "a|b", "c", t));
}

TEST(tampered_truncated_or_empty_token_refused)
{
	char t[CSRF_TOKEN_LEN + 1], longer[CSRF_TOKEN_LEN + 2];

	csrf_token(&cfg, "login", SESSION_A, t);
	memcpy(longer, t, CSRF_TOKEN_LEN);
	longer[CSRF_TOKEN_LEN] = 'A';
	longer[CSRF_TOKEN_LEN + 1] = '\0';
	CHECK(!csrf_verify(&cfg, "login", SESSION_A, longer));
	t[CSRF_TOKEN_LEN - 1] = '\0';
	CHECK(!csrf_verify(&cfg, "login", SESSION_A, t));
	csrf_token(&cfg, "login", SESSION_A, t);
	t[0] = t[0] == 'A' ? 'B' : 'A';
	CHECK(!csrf_verify(&cfg, "login", SESSION_A, t));
	CHECK(!csrf_verify(&cfg, "login", SESSION_A, ""));
	CHECK(!csrf_verify(&cfg, "login", SESSION_A, NULL));
	CHECK(!csrf_verify(&cfg, "login", NULL, t));
	CHECK(!csrf_verify(&cfg, "login", "", t));
	CHECK(!csrf_verify(&cfg, NULL, SESSION_A, t));
}

TEST(token_under_another_secret_refused)
{
	struct config other = cfg;
	char t[CSRF_TOKEN_LEN + 1];

	other.secret = "another secret of the same length!!";
	csrf_token(&other, "logout", SESSION_A, t);
	CHECK(csrf_verify(&other, "logout", SESSION_A, t));
	CHECK(!csrf_verify(&cfg, "logout", SESSION_A, t));
}

TEST(no_secret_no_valid_token)
{
	struct config none = cfg;
	char t[CSRF_TOKEN_LEN + 1], t2[CSRF_TOKEN_LEN + 1];

	none.secret = NULL;
	csrf_token(&none, "logout", SESSION_A, t);
	CHECK(strlen(t) == CSRF_TOKEN_LEN);                 /* a form still renders... */
	CHECK(!csrf_verify(&none, "logout", SESSION_A, t)); /* ...but never verifies */
	none.secret = "";
	csrf_token(&none, "logout", SESSION_A, t2);
	CHECK(!csrf_verify(&none, "logout", SESSION_A, t2));
	CHECK(strcmp(t, t2) != 0);
}

TEST(origin_absent_allowed)
{
	CHECK(origin_ok("example.org", true, "", ""));
	CHECK(origin_ok("example.org", true, NULL, NULL));
}

TEST(origin_same_host_allowed)
{
	CHECK(origin_ok("example.org", true, "https://example.org", "same-origin"));
	CHECK(origin_ok("example.org", true, "https://EXAMPLE.org", ""));
	CHECK(origin_ok("Example.ORG", true, "https://example.org", ""));
	CHECK(origin_ok("example.org:8443", true, "https://example.org:8443", ""));
	CHECK(origin_ok("example.org", true, "https://example.org:443", ""));
	CHECK(origin_ok("example.org:443", true, "https://example.org", ""));
	CHECK(origin_ok("localhost:8080", false, "http://localhost:8080", "same-origin"));
	CHECK(origin_ok("[::1]:8080", false, "http://[::1]:8080", ""));
	/* A sibling subdomain is "same-site": the token still guards it. */
	CHECK(origin_ok("example.org", true, "https://example.org", "same-site"));
	CHECK(origin_ok("example.org", true, "", "none"));
}

TEST(origin_of_another_host_refused)
{
	CHECK(!origin_ok("example.org", true, "https://evil.example", ""));
	CHECK(!origin_ok("example.org", true, "https://example.org.evil.example", ""));
	CHECK(!origin_ok("example.org", true, "https://notexample.org", ""));
	CHECK(!origin_ok("example.org", true, "https://example.or", ""));
	CHECK(!origin_ok("example.org:8443", true, "https://example.org:9443", ""));
	CHECK(!origin_ok("example.org", true, "https://example.org:8443", ""));
	CHECK(!origin_ok("example.org", true, "https://user@example.org", ""));
	CHECK(!origin_ok("example.org", true, "https://example.org/path", ""));
	CHECK(!origin_ok("", true, "https://example.org", ""));
}

TEST(origin_null_or_other_scheme_refused)
{
	CHECK(!origin_ok("example.org", true, "null", ""));
	CHECK(!origin_ok("example.org", true, "file://", ""));
	CHECK(!origin_ok("example.org", true, "chrome-extension://example.org", ""));
	CHECK(!origin_ok("example.org", true, "example.org", ""));
	CHECK(!origin_ok("example.org", true, "https://", ""));
}

TEST(http_origin_on_https_request_refused)
{
	CHECK(!origin_ok("example.org", true, "http://example.org", ""));
	/* Behind a TLS proxy the request may look like HTTP; an https Origin of
	 * the same host is then fine. */
	CHECK(origin_ok("example.org", false, "https://example.org", ""));
}

TEST(cross_site_fetch_refused)
{
	CHECK(!origin_ok("example.org", true, "", "cross-site"));
	CHECK(!origin_ok("example.org", true, "https://example.org", "cross-site"));
	CHECK(!origin_ok("example.org", true, "https://example.org", "Cross-Site"));
}

int
main(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.secret = "test secret: 32 bytes or more, please";
	RUN(token_for_same_binding_verifies);
	RUN(token_for_another_binding_refused);
	RUN(token_for_another_purpose_refused);
	RUN(tampered_truncated_or_empty_token_refused);
	RUN(token_under_another_secret_refused);
	RUN(no_secret_no_valid_token);
	RUN(origin_absent_allowed);
	RUN(origin_same_host_allowed);
	RUN(origin_of_another_host_refused);
	RUN(origin_null_or_other_scheme_refused);
	RUN(http_origin_on_https_request_refused);
	RUN(cross_site_fetch_refused);
	return test_summary();
}
