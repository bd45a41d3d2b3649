/*
 * test_response.c: unit tests for common/response.c.  Headers and bodies
 * are checked in the response's buffers; response_send writes to an
 * in-memory FastCGI stream built on libfcgi's public FCGX_Stream fields.
 */
#include <errno.h>

#include <fcgiapp.h>

#include "log.h"
#include "response.h"
#include "test.h"
#include "test_stream.h"

static const char plain_500[] = "Status: 500 Internal Server Error\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Cache-Control: no-store\r\n"
                                "\r\n"
                                "Internal Server Error\n";

TEST(init_is_an_empty_200)
{
	struct response r;

	response_init(&r);
	CHECK(r.status == 200);
	CHECK_STR(r.headers.data, "");
	CHECK_STR(r.body.data, "");
	CHECK(!r.broken);
	response_cleanup(&r);
	response_cleanup(&r);
}

TEST(headers_are_kept_in_order)
{
	struct response r;

	response_init(&r);
	response_header(&r, "X-One", "1");
	response_header(&r, "Variable-REMOTE_USER", "alice");
	response_header(&r, "X-Empty", "");
	CHECK_STR(r.headers.data, "X-One: 1\r\nVariable-REMOTE_USER: alice\r\nX-Empty: \r\n");
	CHECK(!r.broken);
	response_cleanup(&r);
}

TEST(header_value_with_cr_or_lf_breaks_the_response)
{
	struct response r;

	response_init(&r);
	response_header(&r, "Location", "/x\r\nSet-Cookie: evil=1");
	CHECK(r.broken);
	CHECK(strstr(r.headers.data, "evil") == NULL);
	response_reset(&r);
	response_header(&r, "X-A", "a\nb");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, "X-A", "a\rb");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, "X-A", "a\x01");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, "X-A", NULL);
	CHECK(r.broken);
	response_cleanup(&r);
}

TEST(header_name_must_be_a_token)
{
	struct response r;

	response_init(&r);
	response_header(&r, "", "x");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, "X A", "x");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, "X:A", "x");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, "X-A\r\nY", "x");
	CHECK(r.broken);
	response_reset(&r);
	response_header(&r, NULL, "x");
	CHECK(r.broken);
	response_cleanup(&r);
}

TEST(security_headers_are_exactly_these)
{
	struct response r;

	response_init(&r);
	response_security_headers(&r);
	CHECK_STR(r.headers.data,
	    "Cache-Control: no-store\r\n"
	    "Pragma: no-cache\r\n"
	    "Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self'; "
	    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"
	    "X-Frame-Options: DENY\r\n"
	    "Referrer-Policy: same-origin\r\n"
	    "X-Content-Type-Options: nosniff\r\n");
	response_cleanup(&r);
}

TEST(session_cookie_has_all_attributes)
{
	struct response r;
	struct cookie c = {"__Host-gatehouse", "abc-_123", 0, true, true, "Lax"};

	response_init(&r);
	response_cookie(&r, &c);
	CHECK_STR(r.headers.data,
	    "Set-Cookie: __Host-gatehouse=abc-_123; Path=/; Secure; HttpOnly; SameSite=Lax\r\n");
	CHECK(!r.broken);
	response_cleanup(&r);
}

TEST(cookie_max_age_positive_is_written)
{
	struct response r;
	struct cookie c = {"gatehouse", "v", 2592000, false, true, "Strict"};

	response_init(&r);
	response_cookie(&r, &c);
	CHECK_STR(r.headers.data,
	    "Set-Cookie: gatehouse=v; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict\r\n");
	response_cleanup(&r);
}

TEST(cookie_deleted_with_max_age_0_and_expires)
{
	struct response r;
	struct cookie c = {"__Host-gatehouse", "", -1, true, true, "Lax"};

	response_init(&r);
	response_cookie(&r, &c);
	CHECK_STR(r.headers.data,
	    "Set-Cookie: __Host-gatehouse=; Path=/; Max-Age=0; "
	    "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax\r\n");
	response_cleanup(&r);
}

TEST(cookie_without_same_site_omits_it)
{
	struct response r;
	struct cookie c = {"a", "b", 0, false, false, NULL};

	response_init(&r);
	response_cookie(&r, &c);
	CHECK_STR(r.headers.data, "Set-Cookie: a=b; Path=/\r\n");
	response_cleanup(&r);
}

static bool
cookie_breaks(const char *name, const char *value, bool secure, const char *same_site)
{
	struct response r;
	struct cookie c = {name, value, 0, secure, true, same_site};
	bool broken;

	response_init(&r);
	response_cookie(&r, &c);
	broken = r.broken && strstr(r.headers.data, "Set-Cookie") == NULL;
	response_cleanup(&r);
	return broken;
}

TEST(cookie_with_forbidden_characters_is_refused)
{
	CHECK(cookie_breaks("a b", "v", true, "Lax"));
	CHECK(cookie_breaks("a=b", "v", true, "Lax"));
	CHECK(cookie_breaks("a;b", "v", true, "Lax"));
	CHECK(cookie_breaks("", "v", true, "Lax"));
	CHECK(cookie_breaks(NULL, "v", true, "Lax"));
	CHECK(cookie_breaks("a", "v;Domain=evil.example", true, "Lax"));
	CHECK(cookie_breaks("a", "v w", true, "Lax"));
	CHECK(cookie_breaks("a", "v,w", true, "Lax"));
	CHECK(cookie_breaks("a", "\"v\"", true, "Lax"));
	CHECK(cookie_breaks("a", "v\\w", true, "Lax"));
	CHECK(cookie_breaks("a", "v\r\nX: y", true, "Lax"));
	CHECK(cookie_breaks("a", "\xc3\xa9", true, "Lax"));
	CHECK(cookie_breaks("a", NULL, true, "Lax"));
	CHECK(cookie_breaks("a", "v", true, "Lax; Domain=x"));
	CHECK(!cookie_breaks("a", "v", true, "Lax"));
}

TEST(host_prefixed_cookie_requires_secure)
{
	CHECK(cookie_breaks("__Host-gatehouse", "v", false, "Lax"));
	CHECK(cookie_breaks("__Secure-x", "v", false, "Lax"));
	CHECK(!cookie_breaks("__Host-gatehouse", "v", true, "Lax"));
}

TEST(redirect_sets_status_location_and_type)
{
	struct response r;

	response_init(&r);
	response_redirect(&r, 303, "/private/page?x=1");
	CHECK(r.status == 303);
	CHECK_STR(r.headers.data,
	    "Location: /private/page?x=1\r\nContent-Type: text/plain; charset=utf-8\r\n");
	CHECK(!r.broken);
	response_cleanup(&r);
}

TEST(redirect_refuses_crlf_and_non_3xx)
{
	struct response r;

	response_init(&r);
	response_redirect(&r, 302, "/a\r\nSet-Cookie: x=1");
	CHECK(r.broken);
	response_reset(&r);
	response_redirect(&r, 200, "/a");
	CHECK(r.broken);
	response_cleanup(&r);
}

TEST(json_and_text_set_type_and_body)
{
	struct response r;

	response_init(&r);
	response_json(&r, 401, "{\"error\":\"unauthorized\"}");
	CHECK(r.status == 401);
	CHECK_STR(r.headers.data, "Content-Type: application/json\r\n");
	CHECK_STR(r.body.data, "{\"error\":\"unauthorized\"}");
	response_reset(&r);
	response_text(&r, 503, "Service temporarily unavailable, try again later.\n");
	CHECK(r.status == 503);
	CHECK_STR(r.headers.data, "Content-Type: text/plain; charset=utf-8\r\n");
	CHECK_STR(r.body.data, "Service temporarily unavailable, try again later.\n");
	response_cleanup(&r);
}

TEST(send_writes_status_first_then_headers_blank_line_body)
{
	struct response r;
	struct mem_stream m;

	mem_open(&m);
	response_init(&r);
	response_redirect(&r, 302, "/auth/login?next=%2Fprivate");
	buf_puts(&r.body, "see /auth/login\n");
	CHECK(response_send(&r, &m.s));
	CHECK_STR(mem_text(&m), "Status: 302 Found\r\n"
	                        "Location: /auth/login?next=%2Fprivate\r\n"
	                        "Content-Type: text/plain; charset=utf-8\r\n"
	                        "\r\n"
	                        "see /auth/login\n");
	response_cleanup(&r);
	buf_cleanup(&m.out);
}

TEST(send_of_bare_200_has_no_headers)
{
	struct response r;
	struct mem_stream m;

	mem_open(&m);
	response_init(&r);
	CHECK(response_send(&r, &m.s));
	CHECK_STR(mem_text(&m), "Status: 200 OK\r\n\r\n");
	response_cleanup(&r);
	buf_cleanup(&m.out);
}

TEST(send_of_broken_response_is_a_plain_500)
{
	struct response r;
	struct mem_stream m;

	mem_open(&m);
	response_init(&r);
	response_header(&r, "X-Good", "1");
	response_text(&r, 200, "secret page");
	response_header(&r, "X-Bad", "a\r\nb");
	CHECK(response_send(&r, &m.s));
	CHECK_STR(mem_text(&m), plain_500);
	response_cleanup(&r);
	buf_cleanup(&m.out);
}

TEST(send_of_invalid_status_is_a_plain_500)
{
	struct response r;
	struct mem_stream m;

	mem_open(&m);
	response_init(&r);
	r.status = 42;
	CHECK(response_send(&r, &m.s));
	CHECK_STR(mem_text(&m), plain_500);
	response_cleanup(&r);
	buf_cleanup(&m.out);
}

TEST(send_of_a_large_body_is_complete)
{
	struct response r;
	struct mem_stream m;
	size_t i;

	mem_open(&m);
	response_init(&r);
	for (i = 0; i < 200000; i++)
		buf_putc(&r.body, (char)('a' + i % 26));
	CHECK(response_send(&r, &m.s));
	mem_text(&m);
	CHECK(m.out.len == 18 + 200000);
	CHECK(strncmp(m.out.data, "Status: 200 OK\r\n\r\n", 18) == 0);
	CHECK(
	    m.out.len == 18 + r.body.len && memcmp(m.out.data + 18, r.body.data, r.body.len) == 0);
	response_cleanup(&r);
	buf_cleanup(&m.out);
}

TEST(send_reports_a_failed_stream)
{
	struct response r;
	struct mem_stream m;

	mem_open(&m);
	m.fail = true;
	response_init(&r);
	response_text(&r, 200, "a body longer than the stream's thirty-two byte chunk");
	CHECK(!response_send(&r, &m.s));
	CHECK(!response_send(&r, NULL));
	response_cleanup(&r);
	buf_cleanup(&m.out);
}

TEST(reset_clears_status_headers_body_and_broken)
{
	struct response r;

	response_init(&r);
	response_text(&r, 404, "nope");
	response_header(&r, "X", "\n");
	response_reset(&r);
	CHECK(r.status == 200);
	CHECK(!r.broken);
	CHECK_STR(r.headers.data, "");
	CHECK_STR(r.body.data, "");
	response_cleanup(&r);
}

TEST(reason_phrases)
{
	CHECK_STR(response_reason(200), "OK");
	CHECK_STR(response_reason(302), "Found");
	CHECK_STR(response_reason(303), "See Other");
	CHECK_STR(response_reason(401), "Unauthorized");
	CHECK_STR(response_reason(403), "Forbidden");
	CHECK_STR(response_reason(413), "Content Too Large");
	CHECK_STR(response_reason(503), "Service Unavailable");
	CHECK_STR(response_reason(299), "Unknown");
}

int
main(void)
{
	/* The refusals below are logged at LOG_ERR: keep the output quiet. */
	log_init("test_response", LOG_CRIT, false);
	RUN(init_is_an_empty_200);
	RUN(headers_are_kept_in_order);
	RUN(header_value_with_cr_or_lf_breaks_the_response);
	RUN(header_name_must_be_a_token);
	RUN(security_headers_are_exactly_these);
	RUN(session_cookie_has_all_attributes);
	RUN(cookie_max_age_positive_is_written);
	RUN(cookie_deleted_with_max_age_0_and_expires);
	RUN(cookie_without_same_site_omits_it);
	RUN(cookie_with_forbidden_characters_is_refused);
	RUN(host_prefixed_cookie_requires_secure);
	RUN(redirect_sets_status_location_and_type);
	RUN(redirect_refuses_crlf_and_non_3xx);
	RUN(json_and_text_set_type_and_body);
	RUN(send_writes_status_first_then_headers_blank_line_body);
	RUN(send_of_bare_200_has_no_headers);
	RUN(send_of_broken_response_is_a_plain_500);
	RUN(send_of_invalid_status_is_a_plain_500);
	RUN(send_of_a_large_body_is_complete);
	RUN(send_reports_a_failed_stream);
	RUN(reset_clears_status_headers_body_and_broken);
	RUN(reason_phrases);
	return test_summary();
}
