/*
 * test_request.c: unit tests for common/request.c: FastCGI parameters,
 * query strings, urlencoded forms and Cookie headers, malformed ones
 * included.
 */
#include "buf.h"
#include "request.h"
#include "test.h"

TEST(absent_parameters_get_their_defaults)
{
	char *envp[] = { NULL };
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0) == GH_OK);
	CHECK(r.role == REQUEST_RESPONDER);
	CHECK_STR(r.method, "GET");
	CHECK_STR(r.uri, "/");
	CHECK_STR(r.path, "/");
	CHECK_STR(r.host, "");
	CHECK_STR(r.remote_addr, "");
	CHECK_STR(r.user_agent, "");
	CHECK_STR(r.accept, "");
	CHECK_STR(r.authorization, "");
	CHECK_STR(r.origin, "");
	CHECK_STR(r.sec_fetch_site, "");
	CHECK_STR(r.content_type, "");
	CHECK(!r.https);
	CHECK(r.query.n == 0 && r.form.n == 0 && r.cookies.n == 0);
	request_cleanup(&r);
}

TEST(parameters_are_copied_out)
{
	char role[] = "FCGI_ROLE=AUTHORIZER";
	char method[] = "REQUEST_METHOD=GET";
	char uri[] = "REQUEST_URI=/private/a%20b/c+d?x=1&y=%41";
	char qs[] = "QUERY_STRING=x=1&y=%41";
	char host[] = "HTTP_HOST=example.org";
	char addr[] = "REMOTE_ADDR=192.0.2.7";
	char ua[] = "HTTP_USER_AGENT=test/1.0";
	char acc[] = "HTTP_ACCEPT=text/html";
	char auth[] = "HTTP_AUTHORIZATION=Bearer abc";
	char origin[] = "HTTP_ORIGIN=https://example.org";
	char sfs[] = "HTTP_SEC_FETCH_SITE=same-origin";
	char *envp[] = { role, method, uri, qs, host, addr, ua, acc, auth, origin, sfs, NULL };
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0) == GH_OK);
	memset(host, 'X', sizeof(host) - 1); /* libfcgi frees the block later */
	CHECK(r.role == REQUEST_AUTHORIZER);
	CHECK_STR(r.uri, "/private/a%20b/c+d?x=1&y=%41");
	CHECK_STR(r.path, "/private/a b/c+d");
	CHECK_STR(r.host, "example.org");
	CHECK_STR(r.remote_addr, "192.0.2.7");
	CHECK_STR(r.user_agent, "test/1.0");
	CHECK_STR(r.accept, "text/html");
	CHECK_STR(r.authorization, "Bearer abc");
	CHECK_STR(r.origin, "https://example.org");
	CHECK_STR(r.sec_fetch_site, "same-origin");
	CHECK_STR(kvlist_get(&r.query, "x"), "1");
	CHECK_STR(kvlist_get(&r.query, "y"), "A");
	CHECK(kvlist_get(&r.query, "z") == NULL);
	request_cleanup(&r);
}

TEST(names_must_match_whole)
{
	char a[] = "HTTP_HOSTX=wrong";
	char b[] = "HTTP_HOST";
	char c[] = "HTTP_HOST=right";
	char d[] = "HTTP_HOST=second";
	char *envp[] = { a, b, c, d, NULL };
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0) == GH_OK);
	CHECK_STR(r.host, "right");
	request_cleanup(&r);
}

TEST(host_falls_back_to_server_name)
{
	char a[] = "SERVER_NAME=srv.example";
	char *envp[] = { a, NULL };
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0) == GH_OK);
	CHECK_STR(r.host, "srv.example");
	request_cleanup(&r);
}

static bool
https_of(const char *item)
{
	char buf[64];
	char *envp[] = { buf, NULL };
	struct request r;
	bool https;

	snprintf(buf, sizeof(buf), "%s", item);
	if (request_parse(&r, envp, NULL, 0) != GH_OK)
		return false;
	https = r.https;
	request_cleanup(&r);
	return https;
}

TEST(https_from_https_or_request_scheme)
{
	CHECK(https_of("HTTPS=on"));
	CHECK(https_of("HTTPS=ON"));
	CHECK(https_of("HTTPS=1"));
	CHECK(https_of("REQUEST_SCHEME=https"));
	CHECK(https_of("REQUEST_SCHEME=HTTPS"));
	CHECK(!https_of("HTTPS=off"));
	CHECK(!https_of("HTTPS="));
	CHECK(!https_of("REQUEST_SCHEME=http"));
}

TEST(query_falls_back_to_the_uri)
{
	char uri[] = "REQUEST_URI=/p?next=%2Fprivate%3Fa%3D1&b";
	char *envp[] = { uri, NULL };
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0) == GH_OK);
	CHECK_STR(r.path, "/p");
	CHECK_STR(kvlist_get(&r.query, "next"), "/private?a=1");
	CHECK_STR(kvlist_get(&r.query, "b"), "");
	request_cleanup(&r);
}

static enum gh_err
parse_uri(const char *uri_item, const char *qs_item)
{
	char u[16384], q[16384];
	char *envp[3] = { u, NULL, NULL };
	struct request r;
	enum gh_err e;

	snprintf(u, sizeof(u), "%s", uri_item);
	if (qs_item != NULL) {
		snprintf(q, sizeof(q), "%s", qs_item);
		envp[1] = q;
	}
	e = request_parse(&r, envp, NULL, 0);
	request_cleanup(&r);
	return e;
}

TEST(path_with_malformed_escape_is_refused)
{
	CHECK(parse_uri("REQUEST_URI=/a%zzb", NULL) == GH_EINVAL);
	CHECK(parse_uri("REQUEST_URI=/a%4", NULL) == GH_EINVAL);
	CHECK(parse_uri("REQUEST_URI=/a%", NULL) == GH_EINVAL);
}

TEST(path_with_percent00_is_refused)
{
	CHECK(parse_uri("REQUEST_URI=/private%00.html", NULL) == GH_EINVAL);
}

TEST(query_with_malformed_escape_or_nul_is_refused)
{
	CHECK(parse_uri("REQUEST_URI=/", "QUERY_STRING=a=%G1") == GH_EINVAL);
	CHECK(parse_uri("REQUEST_URI=/", "QUERY_STRING=a=b%00c") == GH_EINVAL);
	CHECK(parse_uri("REQUEST_URI=/", "QUERY_STRING=a%00=b") == GH_EINVAL);
	CHECK(parse_uri("REQUEST_URI=/?a=%", NULL) == GH_EINVAL);
}

TEST(query_over_the_limit_is_refused)
{
	char q[REQUEST_MAX_QUERY + 64];

	memcpy(q, "QUERY_STRING=a=", 15);
	memset(q + 15, 'x', REQUEST_MAX_QUERY - 2);
	q[15 + REQUEST_MAX_QUERY - 2] = '\0'; /* exactly the limit */
	CHECK(parse_uri("REQUEST_URI=/", q) == GH_OK);
	q[15 + REQUEST_MAX_QUERY - 2] = 'x';
	q[15 + REQUEST_MAX_QUERY - 1] = '\0';
	CHECK(parse_uri("REQUEST_URI=/", q) == GH_EINVAL);
}

TEST(urlencoded_decodes_plus_and_escapes)
{
	struct kvlist l = { 0 };
	const char *s = "name=J%C3%B6rg+Smith&msg=a%2Bb%26c%3Dd&empty=&flag";

	CHECK(request_urlencoded_parse(s, strlen(s), &l) == GH_OK);
	CHECK(l.n == 4);
	CHECK_STR(kvlist_get(&l, "name"), "J\xc3\xb6rg Smith");
	CHECK_STR(kvlist_get(&l, "msg"), "a+b&c=d");
	CHECK_STR(kvlist_get(&l, "empty"), "");
	CHECK_STR(kvlist_get(&l, "flag"), "");
	kvlist_cleanup(&l);
}

TEST(urlencoded_skips_empty_pairs)
{
	struct kvlist l = { 0 };
	const char *s = "&a=1&&b=2&";

	CHECK(request_urlencoded_parse(s, strlen(s), &l) == GH_OK);
	CHECK(l.n == 2);
	CHECK_STR(kvlist_get(&l, "a"), "1");
	CHECK_STR(kvlist_get(&l, "b"), "2");
	kvlist_cleanup(&l);
	CHECK(request_urlencoded_parse("", 0, &l) == GH_OK);
	CHECK(l.n == 0);
	CHECK(request_urlencoded_parse("&&&", 3, &l) == GH_OK);
	CHECK(l.n == 0);
}

TEST(urlencoded_first_duplicate_wins)
{
	struct kvlist l = { 0 };
	const char *s = "next=/first&next=//evil.example";

	CHECK(request_urlencoded_parse(s, strlen(s), &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "next"), "/first");
	kvlist_cleanup(&l);
}

TEST(urlencoded_too_many_fields_is_refused)
{
	struct kvlist l = { 0 };
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < REQUEST_MAX_FIELDS; i++)
		buf_printf(&b, "f%d=%d&", i, i);
	CHECK(request_urlencoded_parse(b.data, b.len, &l) == GH_OK);
	CHECK(l.n == REQUEST_MAX_FIELDS);
	kvlist_cleanup(&l);
	buf_puts(&b, "one=more");
	CHECK(request_urlencoded_parse(b.data, b.len, &l) == GH_EINVAL);
	CHECK(l.n == 0 && l.v == NULL);
	buf_cleanup(&b);
}

TEST(urlencoded_error_late_in_input_leaves_list_empty)
{
	struct kvlist l = { 0 };
	const char *s = "a=1&b=2&c=%zz";

	CHECK(request_urlencoded_parse(s, strlen(s), &l) == GH_EINVAL);
	CHECK(l.n == 0 && l.v == NULL);
	kvlist_cleanup(&l);
}

static enum gh_err
parse_post(const char *ctype, const char *method, const char *body, size_t len,
    struct request *r)
{
	char ct[128], m[64];
	char *envp[] = { ct, m, NULL };

	snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype);
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	return request_parse(r, envp, body, len);
}

TEST(form_parsed_for_urlencoded_post)
{
	const char *body = "username=alice&password=p%40ss+word&csrf=t0k";
	struct request r;

	CHECK(parse_post("application/x-www-form-urlencoded", "POST", body, strlen(body), &r) ==
	    GH_OK);
	CHECK_STR(kvlist_get(&r.form, "username"), "alice");
	CHECK_STR(kvlist_get(&r.form, "password"), "p@ss word");
	CHECK_STR(kvlist_get(&r.form, "csrf"), "t0k");
	request_cleanup(&r);

	CHECK(parse_post("Application/X-WWW-Form-URLEncoded; charset=UTF-8", "POST", body,
	          strlen(body), &r) == GH_OK);
	CHECK_STR(kvlist_get(&r.form, "username"), "alice");
	request_cleanup(&r);
}

TEST(form_ignored_for_other_methods_and_types)
{
	const char *body = "username=alice";
	struct request r;

	CHECK(parse_post("application/x-www-form-urlencoded", "GET", body, strlen(body), &r) ==
	    GH_OK);
	CHECK(r.form.n == 0);
	request_cleanup(&r);
	CHECK(parse_post("multipart/form-data; boundary=x", "POST", body, strlen(body), &r) ==
	    GH_OK);
	CHECK(r.form.n == 0);
	request_cleanup(&r);
	CHECK(parse_post("application/x-www-form-urlencodedX", "POST", body, strlen(body),
	          &r) == GH_OK);
	CHECK(r.form.n == 0);
	request_cleanup(&r);
}

TEST(form_body_with_nul_byte_is_refused)
{
	const char body[] = "username=ali\0ce&password=x";
	struct request r;

	CHECK(parse_post("application/x-www-form-urlencoded", "POST", body, sizeof(body) - 1,
	          &r) == GH_EINVAL);
	request_cleanup(&r);
	CHECK(parse_post("application/x-www-form-urlencoded", "POST", "a=%00", 5, &r) ==
	    GH_EINVAL);
	request_cleanup(&r);
}

TEST(form_body_length_is_respected)
{
	const char body[] = "a=1&b=2";
	struct request r;

	CHECK(parse_post("application/x-www-form-urlencoded", "POST", body, 3, &r) == GH_OK);
	CHECK_STR(kvlist_get(&r.form, "a"), "1");
	CHECK(kvlist_get(&r.form, "b") == NULL);
	request_cleanup(&r);
}

TEST(cookies_are_split_and_trimmed)
{
	struct kvlist l = { 0 };

	CHECK(request_cookies_parse("a=b; c=d;e=f ;  g = h ; empty=", &l) == GH_OK);
	CHECK(l.n == 5);
	CHECK_STR(kvlist_get(&l, "a"), "b");
	CHECK_STR(kvlist_get(&l, "c"), "d");
	CHECK_STR(kvlist_get(&l, "e"), "f");
	CHECK_STR(kvlist_get(&l, "g"), "h");
	CHECK_STR(kvlist_get(&l, "empty"), "");
	kvlist_cleanup(&l);
}

TEST(cookie_values_are_kept_as_sent)
{
	struct kvlist l = { 0 };

	CHECK(request_cookies_parse("__Host-gatehouse=abc-_%41==; x=\"q\"", &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "__Host-gatehouse"), "abc-_%41==");
	CHECK_STR(kvlist_get(&l, "x"), "\"q\"");
	kvlist_cleanup(&l);
}

TEST(cookie_first_duplicate_wins)
{
	struct kvlist l = { 0 };

	CHECK(request_cookies_parse("sid=first; sid=second", &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "sid"), "first");
	kvlist_cleanup(&l);
}

TEST(cookie_empty_header_and_empty_pairs_are_fine)
{
	struct kvlist l = { 0 };

	CHECK(request_cookies_parse("", &l) == GH_OK);
	CHECK(l.n == 0);
	CHECK(request_cookies_parse(NULL, &l) == GH_OK);
	CHECK(request_cookies_parse("a=1;; ;", &l) == GH_OK);
	CHECK(l.n == 1);
	kvlist_cleanup(&l);
}

TEST(cookie_garbage_is_refused)
{
	struct kvlist l = { 0 };

	CHECK(request_cookies_parse("novalue", &l) == GH_EINVAL);
	CHECK(request_cookies_parse("a=b; novalue", &l) == GH_EINVAL);
	CHECK(l.n == 0 && l.v == NULL);
	CHECK(request_cookies_parse("=value", &l) == GH_EINVAL);
	CHECK(request_cookies_parse("a=b\r\nSet-Cookie: x=y", &l) == GH_EINVAL);
	CHECK(request_cookies_parse("a=b\tc", &l) == GH_EINVAL);
	CHECK(request_cookies_parse("a=\x01", &l) == GH_EINVAL);
	CHECK(request_cookies_parse("a=\x7f", &l) == GH_EINVAL);
}

TEST(cookie_header_over_the_limit_is_refused)
{
	static char h[REQUEST_MAX_COOKIE_HEADER + 2];
	struct kvlist l = { 0 };

	memcpy(h, "a=", 2);
	memset(h + 2, 'x', REQUEST_MAX_COOKIE_HEADER - 2);
	CHECK(request_cookies_parse(h, &l) == GH_OK); /* exactly the limit */
	kvlist_cleanup(&l);
	h[REQUEST_MAX_COOKIE_HEADER] = 'x';
	CHECK(request_cookies_parse(h, &l) == GH_EINVAL);
}

TEST(cookie_too_many_pairs_is_refused)
{
	struct kvlist l = { 0 };
	struct buf b;
	int i;

	buf_init(&b);
	for (i = 0; i < REQUEST_MAX_FIELDS; i++)
		buf_printf(&b, "c%d=%d; ", i, i);
	CHECK(request_cookies_parse(b.data, &l) == GH_OK);
	CHECK(l.n == REQUEST_MAX_FIELDS);
	kvlist_cleanup(&l);
	buf_puts(&b, "one=more");
	CHECK(request_cookies_parse(b.data, &l) == GH_EINVAL);
	buf_cleanup(&b);
}

TEST(bad_cookie_header_fails_the_request)
{
	char c[] = "HTTP_COOKIE=a=b; garbage";
	char *envp[] = { c, NULL };
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0) == GH_EINVAL);
	request_cleanup(&r);
}

TEST(cleanup_is_safe_on_zeroed_failed_and_twice)
{
	char u[] = "REQUEST_URI=/a%00";
	char *envp[] = { u, NULL };
	struct request r;

	memset(&r, 0, sizeof(r));
	request_cleanup(&r);
	CHECK(request_parse(&r, envp, NULL, 0) == GH_EINVAL);
	request_cleanup(&r);
	request_cleanup(&r);
	CHECK(r.path == NULL && r.method == NULL);
}

static bool
wants_json(const char *accept, const char *authorization)
{
	struct request r;

	memset(&r, 0, sizeof(r));
	r.accept = (char *)accept;
	r.authorization = (char *)authorization;
	return request_wants_json(&r);
}

TEST(wants_json_for_api_clients_only)
{
	CHECK(wants_json("application/json", ""));
	CHECK(wants_json("application/json; q=1.0, */*;q=0.1", ""));
	CHECK(wants_json("APPLICATION/JSON", ""));
	CHECK(wants_json("", "Bearer eyJhbGciOi.x.y"));
	CHECK(wants_json("text/html", "bearer abc"));
	CHECK(!wants_json("text/html,application/xhtml+xml,application/json", ""));
	CHECK(!wants_json("*/*", ""));
	CHECK(!wants_json("", ""));
	CHECK(!wants_json("application/jsonx", ""));
	CHECK(!wants_json("", "Basic YWxpY2U6cHc="));
}

int
main(void)
{
	RUN(absent_parameters_get_their_defaults);
	RUN(parameters_are_copied_out);
	RUN(names_must_match_whole);
	RUN(host_falls_back_to_server_name);
	RUN(https_from_https_or_request_scheme);
	RUN(query_falls_back_to_the_uri);
	RUN(path_with_malformed_escape_is_refused);
	RUN(path_with_percent00_is_refused);
	RUN(query_with_malformed_escape_or_nul_is_refused);
	RUN(query_over_the_limit_is_refused);
	RUN(urlencoded_decodes_plus_and_escapes);
	RUN(urlencoded_skips_empty_pairs);
	RUN(urlencoded_first_duplicate_wins);
	RUN(urlencoded_too_many_fields_is_refused);
	RUN(urlencoded_error_late_in_input_leaves_list_empty);
	RUN(form_parsed_for_urlencoded_post);
	RUN(form_ignored_for_other_methods_and_types);
	RUN(form_body_with_nul_byte_is_refused);
	RUN(form_body_length_is_respected);
	RUN(cookies_are_split_and_trimmed);
	RUN(cookie_values_are_kept_as_sent);
	RUN(cookie_first_duplicate_wins);
	RUN(cookie_empty_header_and_empty_pairs_are_fine);
	RUN(cookie_garbage_is_refused);
	RUN(cookie_header_over_the_limit_is_refused);
	RUN(cookie_too_many_pairs_is_refused);
	RUN(bad_cookie_header_fails_the_request);
	RUN(cleanup_is_safe_on_zeroed_failed_and_twice);
	RUN(wants_json_for_api_clients_only);
	return test_summary();
}
