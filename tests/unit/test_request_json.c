/*
 * test_request_json.c: unit tests for common/request_json.c, a JSON
 * request body as form fields (the token API's bodies): the flat object of
 * strings it takes, everything else refused with the list left empty, and
 * request_parse's REQUEST_PARSE_JSON (its content types, body_malformed).
 */
#include "buf.h"
#include "request.h"
#include "test.h"

/* parse runs request_json_parse on the text s. */
static enum gh_err
parse(const char *s, struct kvlist *l)
{
	return request_json_parse(s, strlen(s), l);
}

/* refused tells whether the len bytes of s are refused with GH_EINVAL and
 * the list left empty (said on stderr when not). */
static bool
refused_n(const char *s, size_t len)
{
	struct kvlist l = {0};
	enum gh_err e = request_json_parse(s, len, &l);
	bool ok = e == GH_EINVAL && l.v == NULL && l.n == 0;

	if (!ok)
		fprintf(stderr, "not refused (%d, %zu fields): %.*s\n", (int)e, l.n, (int)len, s);
	kvlist_cleanup(&l);
	return ok;
}

static bool
refused(const char *s)
{
	return refused_n(s, strlen(s));
}

TEST(flat_object_of_strings_becomes_fields)
{
	struct kvlist l = {0};

	CHECK(parse(" {\"grant_type\": \"password\",\n\t\"username\":\"alice\", "
	            "\"password\":\"p@ss w\\u00f6rd \\\"&=\\\\\\n\", \"scope\":\"\"}\r\n",
	          &l) == GH_OK);
	CHECK(l.n == 4);
	CHECK_STR(kvlist_get(&l, "grant_type"), "password");
	CHECK_STR(kvlist_get(&l, "username"), "alice");
	CHECK_STR(kvlist_get(&l, "password"), "p@ss w\xc3\xb6rd \"&=\\\n");
	CHECK_STR(kvlist_get(&l, "scope"), "");
	CHECK(kvlist_get(&l, "refresh_token") == NULL);
	kvlist_cleanup(&l);
	CHECK(l.v == NULL && l.n == 0);
	/* Names are any string, escapes decoded. */
	CHECK(parse("{\"a b\":\"1\",\"\\u0063\":\"2\",\"\":\"3\"}", &l) == GH_OK);
	CHECK_STR(kvlist_get(&l, "a b"), "1");
	CHECK_STR(kvlist_get(&l, "c"), "2");
	CHECK_STR(kvlist_get(&l, ""), "3");
	kvlist_cleanup(&l);
}

TEST(empty_object_gives_no_field)
{
	struct kvlist l = {0};

	CHECK(parse("{}", &l) == GH_OK);
	CHECK(l.n == 0 && l.v == NULL);
	kvlist_cleanup(&l);
	CHECK(parse(" { } ", &l) == GH_OK);
	CHECK(l.n == 0);
	kvlist_cleanup(&l);
}

TEST(anything_but_a_flat_object_of_strings_refused)
{
	/* Nested, numbers, arrays, other JSON values. */
	CHECK(refused("{\"a\":{\"b\":\"c\"}}"));
	CHECK(refused("{\"a\":\"b\",\"c\":[\"d\"]}"));
	CHECK(refused("{\"a\":\"b\",\"n\":1}"));
	CHECK(refused("{\"a\":1.5}"));
	CHECK(refused("{\"a\":true}"));
	CHECK(refused("{\"a\":null}"));
	/* Not an object. */
	CHECK(refused("[\"a\",\"b\"]"));
	CHECK(refused("[]"));
	CHECK(refused("\"grant_type\""));
	CHECK(refused("42"));
	CHECK(refused("null"));
	/* A name given twice, even with the same value. */
	CHECK(refused("{\"username\":\"alice\",\"username\":\"admin\"}"));
	CHECK(refused("{\"a\":\"1\",\"a\":\"1\"}"));
	CHECK(refused("{\"a\":\"1\",\"\\u0061\":\"2\"}"));
	/* A NUL, escaped or raw. */
	CHECK(refused("{\"username\":\"admin\\u0000alice\"}"));
	CHECK(refused("{\"user\\u0000name\":\"alice\"}"));
	CHECK(refused_n("{\"a\":\"b\0c\"}", 11));
	CHECK(refused_n("{\"a\":\"b\"}\0", 10));
	/* Trailing garbage, a second document. */
	CHECK(refused("{\"a\":\"b\"} x"));
	CHECK(refused("{\"a\":\"b\"}{\"c\":\"d\"}"));
	CHECK(refused("{\"a\":\"b\"},"));
	/* Empty, blank, truncated, not JSON. */
	CHECK(refused(""));
	CHECK(refused_n(NULL, 0));
	CHECK(refused("   "));
	CHECK(refused("{\"a\":\"b\""));
	CHECK(refused("{'a':'b'}"));
	CHECK(refused("grant_type=password&username=alice"));
	/* Not UTF-8, a lone surrogate. */
	CHECK(refused("{\"a\":\"\xff\"}"));
	CHECK(refused("{\"a\":\"\\ud800\"}"));
}

/* object_of writes into b an object of n fields "fI": "I". */
static void
object_of(struct buf *b, int n)
{
	buf_reset(b);
	buf_puts(b, "{");
	for (int i = 0; i < n; i++)
		buf_printf(b, "%s\"f%d\":\"%d\"", i > 0 ? "," : "", i, i);
	buf_puts(b, "}");
}

TEST(at_most_request_max_fields)
{
	struct kvlist l = {0};
	struct buf b;

	buf_init(&b);
	object_of(&b, REQUEST_MAX_FIELDS);
	CHECK(request_json_parse(b.data, b.len, &l) == GH_OK);
	CHECK(l.n == REQUEST_MAX_FIELDS);
	CHECK_STR(kvlist_get(&l, "f63"), "63");
	kvlist_cleanup(&l);
	object_of(&b, REQUEST_MAX_FIELDS + 1);
	CHECK(refused_n(b.data, b.len));
	object_of(&b, 1000);
	CHECK(refused_n(b.data, b.len));
	buf_cleanup(&b);
}

TEST(body_length_is_respected)
{
	const char body[] = "{\"a\":\"b\"}{\"c\":1}";
	struct kvlist l = {0};

	CHECK(request_json_parse(body, 9, &l) == GH_OK);
	CHECK(l.n == 1);
	CHECK_STR(kvlist_get(&l, "a"), "b");
	kvlist_cleanup(&l);
	CHECK(refused_n(body, 8));
	CHECK(refused_n(body, sizeof(body) - 1));
}

/* post runs request_parse on a request of method with content type ct and
 * body, with parts. */
static enum gh_err
post(const char *method, const char *ct, const char *body, unsigned int parts, struct request *r)
{
	char c[128], m[64];
	char *envp[] = {c, m, NULL};

	snprintf(c, sizeof(c), "CONTENT_TYPE=%s", ct);
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	return request_parse(r, envp, body, strlen(body), parts);
}

#define API_PARTS (REQUEST_PARSE_ALL | REQUEST_PARSE_JSON)
#define GRANT "{\"grant_type\":\"refresh_token\",\"refresh_token\":\"ghrt_x\"}"

TEST(json_post_fills_the_form_with_parse_json)
{
	static const char *const types[] = {
	    "application/json",
	    "application/json; charset=utf-8",
	    "Application/JSON;charset=UTF-8",
	    " application/json ",
	};
	struct request r;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK(post("POST", types[i], GRANT, API_PARTS, &r) == GH_OK);
		if (r.form.n != 2)
			fprintf(stderr, "not taken: \"%s\"\n", types[i]);
		CHECK(r.form.n == 2 && !r.body_malformed);
		CHECK_STR(kvlist_get(&r.form, "grant_type"), "refresh_token");
		CHECK_STR(kvlist_get(&r.form, "refresh_token"), "ghrt_x");
		request_cleanup(&r);
	}
	/* A urlencoded body is still a form. */
	CHECK(post("POST", "application/x-www-form-urlencoded", "grant_type=password", API_PARTS,
	          &r) == GH_OK);
	CHECK_STR(kvlist_get(&r.form, "grant_type"), "password");
	CHECK(!r.body_malformed);
	request_cleanup(&r);
}

TEST(malformed_json_body_sets_body_malformed_not_an_error)
{
	static const char *const bodies[] = {
	    "{\"grant_type\":\"password\"",
	    "{\"grant_type\":\"password\",\"grant_type\":\"refresh_token\"}",
	    "{\"expires_in\":3600}",
	    "grant_type=password",
	    "{\"a\":\"\\u0000\"}",
	};
	struct request r;

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		CHECK(post("POST", "application/json", bodies[i], API_PARTS, &r) == GH_OK);
		CHECK(r.body_malformed);
		CHECK(r.form.n == 0 && r.form.v == NULL);
		CHECK_STR(r.method, "POST"); /* the rest of the request is whole */
		request_cleanup(&r);
		CHECK(!r.body_malformed);
	}
}

TEST(json_body_not_parsed_unless_asked)
{
	struct request r;

	/* Without REQUEST_PARSE_JSON, or without REQUEST_PARSE_FORM. */
	CHECK(post("POST", "application/json", GRANT, REQUEST_PARSE_ALL, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	CHECK(post("POST", "application/json", "{bad", REQUEST_PARSE_ALL, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	CHECK(post("POST", "application/json", GRANT, REQUEST_PARSE_QUERY | REQUEST_PARSE_JSON,
	          &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	/* Not a POST, or another media type. */
	CHECK(post("GET", "application/json", GRANT, API_PARTS, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	CHECK(post("POST", "application/jsonx", GRANT, API_PARTS, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	CHECK(post("POST", "application/json-patch+json", GRANT, API_PARTS, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	CHECK(post("POST", "text/plain", GRANT, API_PARTS, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
	/* An empty body: nothing to parse, nothing malformed. */
	CHECK(post("POST", "application/json", "", API_PARTS, &r) == GH_OK);
	CHECK(r.form.n == 0 && !r.body_malformed);
	request_cleanup(&r);
}

int
main(void)
{
	RUN(flat_object_of_strings_becomes_fields);
	RUN(empty_object_gives_no_field);
	RUN(anything_but_a_flat_object_of_strings_refused);
	RUN(at_most_request_max_fields);
	RUN(body_length_is_respected);
	RUN(json_post_fills_the_form_with_parse_json);
	RUN(malformed_json_body_sets_body_malformed_not_an_error);
	RUN(json_body_not_parsed_unless_asked);
	return test_summary();
}
