/*
 * test_route.c: the checks route_table_problem makes of a route table at
 * start (common/route.c); the pipeline itself is tried through the real
 * responders (tests/integration/test_routes.py).
 */
#include <stdio.h>
#include <string.h>

#include "route.h"
#include "test.h"

static void
handler(struct server_ctx *ctx, const struct request *req, struct response *res,
    const struct route_call *call)
{
	(void)ctx;
	(void)req;
	(void)res;
	(void)call;
}

/* A route of no form fields, named field by field. */
#define ROUTE(p, m, c, r, b, pu, h)                                                   \
	{                                                                             \
		.path = (p), .methods = (m), .caller = (c), .role = (r), .csrf = (b), \
		.csrf_purpose = (pu), .handler = (h)                                  \
	}
#define GOOD_GET ROUTE("/a", ROUTE_GET, ROUTE_ANYONE, NULL, ROUTE_CSRF_PRELOGIN, "a", handler)
#define GOOD_POST ROUTE("/a", ROUTE_POST, ROUTE_ANYONE, NULL, ROUTE_CSRF_PRELOGIN, "a", handler)

static bool
refused(const struct route *r, size_t n, const char *want)
{
	const char *got = route_table_problem(r, n);

	if (got == NULL || strstr(got, want) == NULL) {
		fprintf(stderr, "got \"%s\", wanted \"%s\"\n", got ? got : "(accepted)", want);
		return false;
	}
	return true;
}

TEST(good_tables_accepted)
{
	const struct route login[] = {GOOD_GET, GOOD_POST};
	const struct route logout[] = {
	    ROUTE("/b", ROUTE_GET, ROUTE_ANY_SESSION, NULL, ROUTE_CSRF_SESSION, "b", handler),
	    ROUTE("/b", ROUTE_POST, ROUTE_SESSION, NULL, ROUTE_CSRF_SESSION, "b", handler),
	    ROUTE("/c", ROUTE_GET | ROUTE_POST, ROUTE_ROLE, "admin", ROUTE_CSRF_SESSION, "c",
	        handler),
	    ROUTE("/d", ROUTE_GET, ROUTE_ANYONE, NULL, ROUTE_CSRF_NONE, NULL, handler),
	};

	CHECK(route_table_problem(login, 2) == NULL);
	CHECK(route_table_problem(logout, 4) == NULL);
}

TEST(post_without_csrf_refused)
{
	const struct route r[] = {
	    ROUTE("/a", ROUTE_POST, ROUTE_ANYONE, NULL, ROUTE_CSRF_NONE, NULL, handler)};
	const struct route both[] = {ROUTE(
	    "/a", ROUTE_GET | ROUTE_POST, ROUTE_SESSION, NULL, ROUTE_CSRF_NONE, NULL, handler)};

	CHECK(refused(r, 1, "POST route needs a CSRF binding"));
	CHECK(refused(both, 1, "POST route needs a CSRF binding"));
}

TEST(session_binding_needs_a_session)
{
	const struct route anyone[] = {
	    ROUTE("/a", ROUTE_GET, ROUTE_ANYONE, NULL, ROUTE_CSRF_SESSION, "a", handler)};
	const struct route optional_post[] = {
	    ROUTE("/a", ROUTE_POST, ROUTE_ANY_SESSION, NULL, ROUTE_CSRF_SESSION, "a", handler)};

	CHECK(refused(anyone, 1, "needs the session looked up"));
	CHECK(refused(optional_post, 1, "needs a session (ROUTE_SESSION)"));
}

TEST(self_proving_post_reads_no_session)
{
	const struct route ok[] = {
	    ROUTE("/a", ROUTE_POST, ROUTE_ANYONE, NULL, ROUTE_CSRF_SELF_PROVING, "a", handler)};
	const struct route with_session[] = {ROUTE(
	    "/a", ROUTE_POST, ROUTE_ANY_SESSION, NULL, ROUTE_CSRF_SELF_PROVING, "a", handler)};

	CHECK(route_table_problem(ok, 1) == NULL);
	CHECK(refused(with_session, 1, "reads no session (ROUTE_ANYONE)"));
}

TEST(malformed_routes_refused)
{
	const struct route no_slash[] = {
	    ROUTE("a", ROUTE_GET, ROUTE_ANYONE, NULL, ROUTE_CSRF_NONE, NULL, handler)};
	const struct route no_methods[] = {
	    ROUTE("/a", 0, ROUTE_ANYONE, NULL, ROUTE_CSRF_NONE, NULL, handler)};
	const struct route no_handler[] = {
	    ROUTE("/a", ROUTE_GET, ROUTE_ANYONE, NULL, ROUTE_CSRF_NONE, NULL, NULL)};
	const struct route no_purpose[] = {
	    ROUTE("/a", ROUTE_POST, ROUTE_ANYONE, NULL, ROUTE_CSRF_PRELOGIN, NULL, handler)};
	const struct route role_unnamed[] = {
	    ROUTE("/a", ROUTE_GET, ROUTE_ROLE, NULL, ROUTE_CSRF_SESSION, "a", handler)};
	const struct route role_stray[] = {
	    ROUTE("/a", ROUTE_GET, ROUTE_SESSION, "admin", ROUTE_CSRF_SESSION, "a", handler)};
	const struct route twice[] = {GOOD_GET, GOOD_POST, GOOD_GET};

	CHECK(refused(no_slash, 1, "path starting with /"));
	CHECK(refused(no_methods, 1, "path starting with /"));
	CHECK(refused(no_handler, 1, "path starting with /"));
	CHECK(refused(no_purpose, 1, "needs its purpose"));
	CHECK(refused(role_unnamed, 1, "ROUTE_ROLE"));
	CHECK(refused(role_stray, 1, "ROUTE_ROLE"));
	CHECK(refused(twice, 3, "same method on one path"));
}

TEST(bad_form_fields_refused)
{
	static const struct route_field ok[] = {{"name", 64, true, "Enter a name."}};
	static const struct route_field no_error[] = {{"name", 64, true, NULL}};
	static const struct route_field no_max[] = {{"name", 0, false, "Too long."}};
	const struct route get_with_fields[] = {{.path = "/a",
	    .methods = ROUTE_GET,
	    .caller = ROUTE_ANYONE,
	    .handler = handler,
	    .fields = ok,
	    .nfields = 1}};
	const struct route post_ok[] = {{.path = "/a",
	    .methods = ROUTE_POST,
	    .caller = ROUTE_ANYONE,
	    .csrf = ROUTE_CSRF_PRELOGIN,
	    .csrf_purpose = "a",
	    .handler = handler,
	    .fields = ok,
	    .nfields = 1}};
	struct route post_bad[] = {post_ok[0]};

	CHECK(route_table_problem(post_ok, 1) == NULL);
	CHECK(refused(get_with_fields, 1, "POST-only routes"));
	post_bad[0].fields = no_error;
	CHECK(refused(post_bad, 1, "a name, a maximum length and an error"));
	post_bad[0].fields = no_max;
	CHECK(refused(post_bad, 1, "a name, a maximum length and an error"));
	post_bad[0].fields = ok;
	post_bad[0].nfields = ROUTE_MAX_FIELDS + 1;
	CHECK(refused(post_bad, 1, "ROUTE_MAX_FIELDS at most"));
}

int
main(void)
{
	RUN(good_tables_accepted);
	RUN(post_without_csrf_refused);
	RUN(session_binding_needs_a_session);
	RUN(self_proving_post_reads_no_session);
	RUN(malformed_routes_refused);
	RUN(bad_form_fields_refused);
	return test_summary();
}
