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
	char *envp[] = {NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
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
	char *envp[] = {role, method, uri, qs, host, addr, ua, acc, auth, origin, sfs, NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
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

TEST(forwarded_for_read_only_when_asked)
{
	char method[] = "REQUEST_METHOD=POST";
	char uri[] = "REQUEST_URI=/auth/login";
	char xff[] = "HTTP_X_FORWARDED_FOR=198.51.100.1, 192.0.2.9";
	char *envp[] = {method, uri, xff, NULL};
	char *none[] = {method, uri, NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_FORWARDED) == GH_OK);
	CHECK_STR(r.forwarded_for, "198.51.100.1, 192.0.2.9");
	request_cleanup(&r);
	CHECK(request_parse(&r, none, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
	CHECK_STR(r.forwarded_for, "");
	request_cleanup(&r);
	/* The check asks for nothing beyond the path and cookies. */
	CHECK(request_parse(&r, envp, NULL, 0, 0) == GH_OK);
	CHECK(r.forwarded_for == NULL);
	request_cleanup(&r);
}

TEST(forwarded_for_read_with_a_credential_only_when_asked_so)
{
	char uri[] = "REQUEST_URI=/private/";
	char xff[] = "HTTP_X_FORWARDED_FOR=198.51.100.1";
	char auth[] = "HTTP_AUTHORIZATION=Bearer abc";
	char empty[] = "HTTP_AUTHORIZATION=";
	char *with[] = {uri, xff, auth, NULL};
	char *without[] = {uri, xff, NULL};
	char *blank[] = {uri, xff, empty, NULL};
	struct request r;

	CHECK(request_parse(&r, with, NULL, 0, REQUEST_PARSE_FORWARDED_AUTH) == GH_OK);
	CHECK_STR(r.forwarded_for, "198.51.100.1");
	request_cleanup(&r);
	/* A cookie request of the check costs nothing more. */
	CHECK(request_parse(&r, without, NULL, 0, REQUEST_PARSE_FORWARDED_AUTH) == GH_OK);
	CHECK(r.forwarded_for == NULL);
	request_cleanup(&r);
	CHECK(request_parse(&r, blank, NULL, 0, REQUEST_PARSE_FORWARDED_AUTH) == GH_OK);
	CHECK(r.forwarded_for == NULL);
	request_cleanup(&r);
	/* Without the flag, not even with a credential. */
	CHECK(request_parse(&r, with, NULL, 0, 0) == GH_OK);
	CHECK(r.forwarded_for == NULL);
	request_cleanup(&r);
}

TEST(names_must_match_whole)
{
	char a[] = "HTTP_HOSTX=wrong";
	char b[] = "HTTP_HOST";
	char c[] = "HTTP_HOST=right";
	char d[] = "HTTP_HOST=second";
	char *envp[] = {a, b, c, d, NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
	CHECK_STR(r.host, "right");
	request_cleanup(&r);
}

TEST(host_falls_back_to_server_name)
{
	char a[] = "SERVER_NAME=srv.example";
	char *envp[] = {a, NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
	CHECK_STR(r.host, "srv.example");
	request_cleanup(&r);
}

static bool
https_of(const char *item)
{
	char buf[64];
	char *envp[] = {buf, NULL};
	struct request r;
	bool https;

	snprintf(buf, sizeof(buf), "%s", item);
	if (request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) != GH_OK)
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
	char *envp[] = {uri, NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
	CHECK_STR(r.path, "/p");
	CHECK_STR(kvlist_get(&r.query, "next"), "/private?a=1");
	CHECK_STR(kvlist_get(&r.query, "b"), "");
	request_cleanup(&r);
}

static enum gh_err
parse_uri(const char *uri_item, const char *qs_item)
{
	char u[16384], q[16384];
	char *envp[3] = {u, NULL, NULL};
	struct request r;
	enum gh_err e;

	snprintf(u, sizeof(u), "%s", uri_item);
	if (qs_item != NULL) {
		snprintf(q, sizeof(q), "%s", qs_item);
		envp[1] = q;
	}
	e = request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL);
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
	struct kvlist l = {0};
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
	struct kvlist l = {0};
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
	struct kvlist l = {0};
	const char *s = "next=/first&next=//evil.example";

	CHECK(request_urlencoded_parse(s, strlen(s), &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "next"), "/first");
	kvlist_cleanup(&l);
}

TEST(urlencoded_too_many_fields_is_refused)
{
	struct kvlist l = {0};
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
	struct kvlist l = {0};
	const char *s = "a=1&b=2&c=%zz";

	CHECK(request_urlencoded_parse(s, strlen(s), &l) == GH_EINVAL);
	CHECK(l.n == 0 && l.v == NULL);
	kvlist_cleanup(&l);
}

static enum gh_err
parse_post(const char *ctype, const char *method, const char *body, size_t len, struct request *r)
{
	char ct[128], m[64];
	char *envp[] = {ct, m, NULL};

	snprintf(ct, sizeof(ct), "CONTENT_TYPE=%s", ctype);
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	return request_parse(r, envp, body, len, REQUEST_PARSE_ALL);
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
	CHECK(
	    parse_post("multipart/form-data; boundary=x", "POST", body, strlen(body), &r) == GH_OK);
	CHECK(r.form.n == 0);
	request_cleanup(&r);
	CHECK(parse_post("application/x-www-form-urlencodedX", "POST", body, strlen(body), &r) ==
	      GH_OK);
	CHECK(r.form.n == 0);
	request_cleanup(&r);
}

TEST(form_body_with_nul_byte_is_refused)
{
	const char body[] = "username=ali\0ce&password=x";
	struct request r;

	CHECK(parse_post("application/x-www-form-urlencoded", "POST", body, sizeof(body) - 1, &r) ==
	      GH_EINVAL);
	request_cleanup(&r);
	CHECK(parse_post("application/x-www-form-urlencoded", "POST", "a=%00", 5, &r) == GH_EINVAL);
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
	struct kvlist l = {0};

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
	struct kvlist l = {0};

	CHECK(request_cookies_parse("__Host-gatehouse=abc-_%41==; x=\"q\"", &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "__Host-gatehouse"), "abc-_%41==");
	CHECK_STR(kvlist_get(&l, "x"), "\"q\"");
	kvlist_cleanup(&l);
}

TEST(cookie_first_duplicate_wins)
{
	struct kvlist l = {0};

	CHECK(request_cookies_parse("sid=first; sid=second", &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "sid"), "first");
	kvlist_cleanup(&l);
}

TEST(cookie_empty_header_and_empty_pairs_are_fine)
{
	struct kvlist l = {0};

	CHECK(request_cookies_parse("", &l) == GH_OK);
	CHECK(l.n == 0);
	CHECK(request_cookies_parse(NULL, &l) == GH_OK);
	CHECK(request_cookies_parse("a=1;; ;", &l) == GH_OK);
	CHECK(l.n == 1);
	kvlist_cleanup(&l);
}

TEST(cookie_garbage_pairs_are_skipped)
{
	struct kvlist l = {0};

	/* A sibling subdomain's nameless or valueless cookie, or one with a
	 * control character, must not cost the user their own. */
	CHECK(request_cookies_parse("novalue", &l) == GH_OK);
	CHECK(l.n == 0 && l.v == NULL);
	CHECK(request_cookies_parse("a=b; novalue; =value; c=\x01; d=\x7f; e=f\tg; h=i", &l) ==
	      GH_OK);
	CHECK(l.n == 2);
	CHECK_STR(kvlist_get(&l, "a"), "b");
	CHECK_STR(kvlist_get(&l, "h"), "i");
	CHECK(kvlist_get(&l, "c") == NULL && kvlist_get(&l, "e") == NULL);
	kvlist_cleanup(&l);
	CHECK(request_cookies_parse("a=b\r\nSet-Cookie: x=y", &l) == GH_OK);
	CHECK(l.n == 0);
	kvlist_cleanup(&l);
}

TEST(cookie_header_over_the_limit_is_refused)
{
	static char h[REQUEST_MAX_COOKIE_HEADER + 2];
	struct kvlist l = {0};

	memcpy(h, "a=", 2);
	memset(h + 2, 'x', REQUEST_MAX_COOKIE_HEADER - 2);
	CHECK(request_cookies_parse(h, &l) == GH_OK); /* exactly the limit */
	kvlist_cleanup(&l);
	h[REQUEST_MAX_COOKIE_HEADER] = 'x';
	CHECK(request_cookies_parse(h, &l) == GH_EINVAL);
}

TEST(cookie_many_pairs_are_kept)
{
	struct kvlist l = {0};
	struct buf b;
	int i;

	/* Over REQUEST_MAX_FIELDS cookies (other applications' included): the
	 * last one, ours, is still found. */
	buf_init(&b);
	for (i = 0; i < 3 * REQUEST_MAX_FIELDS; i++)
		buf_printf(&b, "c%d=%d; ", i, i);
	buf_puts(&b, "gatehouse=tok");
	CHECK(request_cookies_parse(b.data, &l) == GH_OK);
	CHECK(l.n == 3 * REQUEST_MAX_FIELDS + 1);
	CHECK_STR(kvlist_get(&l, "gatehouse"), "tok");
	kvlist_cleanup(&l);
	buf_cleanup(&b);
}

TEST(bad_cookie_pair_does_not_fail_the_request)
{
	char c[] = "HTTP_COOKIE=; garbage; =x; gatehouse=tok";
	char *envp[] = {c, NULL};
	struct request r;

	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_OK);
	CHECK_STR(kvlist_get(&r.cookies, "gatehouse"), "tok");
	request_cleanup(&r);
}

static enum gh_err
parse_path(char **envp, unsigned int parts, char *out, size_t outlen)
{
	struct request r;
	enum gh_err e;

	e = request_parse(&r, envp, NULL, 0, parts);
	if (e == GH_OK)
		snprintf(out, outlen, "%s", r.path);
	request_cleanup(&r);
	return e;
}

TEST(raw_hash_in_the_path_is_refused)
{
	char u[] = "REQUEST_URI=/admin/#/../../public/";
	char *envp[] = {u, NULL};
	char path[64];

	/* lighttpd and nginx serve /admin/ for this target. */
	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_EINVAL);
}

TEST(raw_hash_in_the_query_is_harmless)
{
	char u[] = "REQUEST_URI=/admin/?a=#/../../public/";
	char *envp[] = {u, NULL};
	char path[64];

	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_OK);
	CHECK_STR(path, "/admin/");
}

TEST(absolute_form_target_is_refused)
{
	const char *targets[] = {"REQUEST_URI=http://site/admin/", "REQUEST_URI=HTTP://u@site/",
	    "REQUEST_URI=*", "REQUEST_URI=site:80", "REQUEST_URI="};
	char item[64], path[64];
	char *envp[] = {item, NULL};
	size_t i;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		snprintf(item, sizeof(item), "%s", targets[i]);
		CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_EINVAL);
	}
}

TEST(control_character_in_the_path_is_refused)
{
	char u[] = "REQUEST_URI=/admin%0a/";
	char g[] = "GATEHOUSE_PATH=/admin\t/";
	char *envp[] = {u, NULL};
	char path[64];

	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_EINVAL);
	envp[0] = g;
	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_EINVAL);
}

TEST(server_path_wins_and_is_not_decoded_again)
{
	/* GATEHOUSE_PATH is the web server's own decoded path ("%41" there was
	 * "%2541" on the wire): decoding it again would be a second decoding
	 * the server never did. */
	char u[] = "REQUEST_URI=/public/%252e%252e/admin/#x";
	char g[] = "GATEHOUSE_PATH=/public/%2e%2e/admin/";
	char o[] = "GATEHOUSE_ORIGINAL_URI=/public/%252e%252e/admin/#x";
	char *envp[] = {u, g, o, NULL};
	char path[64];

	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_OK);
	CHECK_STR(path, "/public/%2e%2e/admin/");
}

TEST(empty_server_path_is_refused)
{
	/* nginx: a protected location without "set $gh_path $uri". */
	char u[] = "REQUEST_URI=/private/";
	char g[] = "GATEHOUSE_PATH=";
	char *envp[] = {u, g, NULL};
	char path[64];

	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_EINVAL);
}

TEST(lighttpd_normalised_target_wins)
{
	char u[] = "REQUEST_URI=/admin/%2e%2E/public/?q";
	char d[] = "REDIRECT_URI=/public/?q";
	char *envp[] = {u, d, NULL};
	char path[64];

	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_OK);
	CHECK_STR(path, "/public/");
}

TEST(query_is_not_parsed_unless_asked)
{
	char u[] = "REQUEST_URI=/private/?a=%";
	char q[] = "QUERY_STRING=a=%";
	char *envp[] = {u, q, NULL};
	char path[64];

	CHECK(parse_path(envp, 0, path, sizeof(path)) == GH_OK);
	CHECK(parse_path(envp, REQUEST_PARSE_QUERY, path, sizeof(path)) == GH_EINVAL);
}

TEST(cleanup_is_safe_on_zeroed_failed_and_twice)
{
	char u[] = "REQUEST_URI=/a%00";
	char *envp[] = {u, NULL};
	struct request r;

	memset(&r, 0, sizeof(r));
	request_cleanup(&r);
	CHECK(request_parse(&r, envp, NULL, 0, REQUEST_PARSE_ALL) == GH_EINVAL);
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
	RUN(forwarded_for_read_only_when_asked);
	RUN(forwarded_for_read_with_a_credential_only_when_asked_so);
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
	RUN(cookie_garbage_pairs_are_skipped);
	RUN(cookie_header_over_the_limit_is_refused);
	RUN(cookie_many_pairs_are_kept);
	RUN(bad_cookie_pair_does_not_fail_the_request);
	RUN(raw_hash_in_the_path_is_refused);
	RUN(raw_hash_in_the_query_is_harmless);
	RUN(absolute_form_target_is_refused);
	RUN(control_character_in_the_path_is_refused);
	RUN(server_path_wins_and_is_not_decoded_again);
	RUN(empty_server_path_is_refused);
	RUN(lighttpd_normalised_target_wins);
	RUN(query_is_not_parsed_unless_asked);
	RUN(cleanup_is_safe_on_zeroed_failed_and_twice);
	RUN(wants_json_for_api_clients_only);
	return test_summary();
}
